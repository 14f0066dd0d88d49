package gpkg

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"citygrid/data"
)

const (
	// timestampFormat is the GeoPackage DATETIME form (ISO 8601, UTC,
	// milliseconds).
	timestampFormat = "2006-01-02T15:04:05.000Z"
	// dateFormat is the GeoPackage DATE form.
	dateFormat = "2006-01-02"
	// rowsPerStatement is how many rows one INSERT carries; multi-row
	// statements cut the per-row cgo and VDBE set-up cost about threefold.
	rowsPerStatement = 64
)

// MetaGeneration is the metadata key counting the inserts a store has
// committed: a server can poll it to learn that an import changed the city.
const MetaGeneration = "store.generation"

// Insert stores every feature of ds in one transaction. A code already
// stored, or present twice in ds, fails the whole insert with an error
// wrapping data.ErrConflict that names the layer and the code; nothing is
// written then. Rules with ID 0 get the next free ID. Each insert adds one
// to the MetaGeneration counter in the same transaction.
func (s *Store) Insert(ctx context.Context, ds *data.Dataset) error {
	if ds == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("insert: begin: %w", err)
	}
	defer tx.Rollback()
	if err := insertAll(ctx, tx, ds); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			// database/sql rolls the transaction back when ctx ends and
			// closes its statements: the statement's error ("statement is
			// closed") hides why.
			return fmt.Errorf("insert: %w", cerr)
		}
		return fmt.Errorf("insert: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO citygrid_meta (key, value) VALUES (?, '1')
		ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`, MetaGeneration); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("insert: commit: %w", err)
	}
	s.dropReference() // an import may add grids, categories, departments
	return nil
}

func insertAll(ctx context.Context, tx *sql.Tx, ds *data.Dataset) error {
	var arena []byte
	geom := func(g orb.Geometry) any {
		if g == nil {
			return nil
		}
		start := len(arena)
		arena = AppendGeometry(arena, g, SRSCGCS2000)
		return arena[start:len(arena):len(arena)]
	}
	reset := func() { arena = arena[:0] }
	bounds := map[string]orb.Bound{}
	grow := func(table string, b orb.Bound) {
		if old, ok := bounds[table]; ok {
			b = old.Union(b)
		}
		bounds[table] = b
	}

	for i := range ds.AdminUnits {
		if adminTable(ds.AdminUnits[i].Level) == "" {
			return fmt.Errorf("admin unit %s has unknown level %q", ds.AdminUnits[i].Code, ds.AdminUnits[i].Level)
		}
	}
	// Admin units, split by level.
	for _, level := range []data.AdminLevel{data.LevelDistrict, data.LevelStreet, data.LevelCommunity} {
		table := adminTable(level)
		w := newWriter(tx, table, []string{"geom", "code", "name", "parent"}, reset)
		for i := range ds.AdminUnits {
			u := &ds.AdminUnits[i]
			if u.Level != level {
				continue
			}
			if !isEmpty(u.Geometry) {
				grow(table, u.Geometry.Bound())
			}
			if err := w.add(ctx, func() string { return "code " + u.Code }, geom(u.Geometry), u.Code, u.Name, u.Parent); err != nil {
				return err
			}
		}
		if err := w.flush(ctx); err != nil {
			return err
		}
	}

	w := newWriter(tx, "unit_grids", []string{"geom", "code", "community", "area_m2"}, reset)
	for i := range ds.UnitGrids {
		g := &ds.UnitGrids[i]
		if !isEmpty(g.Geometry) {
			grow("unit_grids", g.Geometry.Bound())
		}
		if err := w.add(ctx, func() string { return "code " + g.Code }, geom(g.Geometry), g.Code, g.Community, g.AreaM2); err != nil {
			return err
		}
	}
	if err := w.flush(ctx); err != nil {
		return err
	}

	w = newWriter(tx, "management_grids", []string{"geom", "kind", "code", "name", "unit"}, reset)
	for i := range ds.ManagementGrids {
		g := &ds.ManagementGrids[i]
		if !isEmpty(g.Geometry) {
			grow("management_grids", g.Geometry.Bound())
		}
		if err := w.add(ctx, func() string { return fmt.Sprintf("kind %s code %s", g.Kind, g.Code) }, geom(g.Geometry), g.Kind, g.Code, g.Name, g.Unit); err != nil {
			return err
		}
	}
	if err := w.flush(ctx); err != nil {
		return err
	}

	w = newWriter(tx, "categories", []string{"scheme", "kind", "code", "name", "big", "big_name", "geometry", "department", "deadline_class"}, reset)
	for i := range ds.Categories {
		c := &ds.Categories[i]
		if err := w.add(ctx, func() string { return fmt.Sprintf("%s %s code %s", c.Scheme, c.Kind, c.Code) },
			c.Scheme, string(c.Kind), c.Code, c.Name, c.Big, c.BigName, string(c.Geometry), c.Department, c.DeadlineClass); err != nil {
			return err
		}
	}
	if err := w.flush(ctx); err != nil {
		return err
	}

	w = newWriter(tx, "departments", []string{"code", "name", "credit_code", "parent", "kind"}, reset)
	for i := range ds.Departments {
		d := &ds.Departments[i]
		if err := w.add(ctx, func() string { return "code " + d.Code }, d.Code, d.Name, d.CreditCode, d.Parent, string(d.Kind)); err != nil {
			return err
		}
	}
	if err := w.flush(ctx); err != nil {
		return err
	}

	w = newWriter(tx, "components", []string{"geom", "code", "category", "name", "department", "owner", "maintainer", "status", "unit_grid", "survey_date", "changed_at", "version", "note"}, reset)
	for i := range ds.Components {
		c := &ds.Components[i]
		// Load reads these columns packed around the unit separator.
		for _, s := range [...]string{c.Category, c.Name, c.Department, c.Owner, c.Maintainer, string(c.Status), c.UnitGrid} {
			if strings.IndexByte(s, 0x1f) >= 0 {
				return fmt.Errorf("component %s: text %q holds the control character U+001F", c.Code, s)
			}
		}
		if c.Geometry != nil && !isEmpty(c.Geometry) {
			grow("components", c.Geometry.Bound())
		}
		if err := w.add(ctx, func() string { return "code " + c.Code }, geom(c.Geometry), c.Code, c.Category, c.Name,
			c.Department, c.Owner, c.Maintainer, string(c.Status), c.UnitGrid,
			formatDate(c.SurveyDate), formatTimestamp(c.ChangedAt), c.Version, c.Note); err != nil {
			return err
		}
	}
	if err := w.flush(ctx); err != nil {
		return err
	}

	w = newWriter(tx, "roads", []string{"geom", "code", "name", "district"}, reset)
	for i := range ds.Roads {
		r := &ds.Roads[i]
		if !isEmpty(r.Geometry) {
			grow("roads", r.Geometry.Bound())
		}
		if err := w.add(ctx, func() string { return "code " + r.Code }, geom(r.Geometry), r.Code, r.Name, r.District); err != nil {
			return err
		}
	}
	if err := w.flush(ctx); err != nil {
		return err
	}

	w = newWriter(tx, "addresses", []string{"geom", "code", "road", "number", "full_address", "community"}, reset)
	for i := range ds.Addresses {
		a := &ds.Addresses[i]
		grow("addresses", a.Point.Bound())
		if err := w.add(ctx, func() string { return "code " + a.Code }, geom(a.Point), a.Code, a.Road, a.Number, a.FullAddress, a.Community); err != nil {
			return err
		}
	}
	if err := w.flush(ctx); err != nil {
		return err
	}

	w = newWriter(tx, "pois", []string{"geom", "code", "name", "kind", "landmark"}, reset)
	for i := range ds.POIs {
		p := &ds.POIs[i]
		grow("pois", p.Point.Bound())
		if err := w.add(ctx, func() string { return "code " + p.Code }, geom(p.Point), p.Code, p.Name, p.Kind, p.Landmark); err != nil {
			return err
		}
	}
	if err := w.flush(ctx); err != nil {
		return err
	}

	// Rules: an ID of 0 means "assign one", so those rows leave the id out.
	w = newWriter(tx, "rules", []string{"id", "category", "scope", "scope_ref", "unit", "priority", "note", "kind"}, reset)
	for i := range ds.Rules {
		r := &ds.Rules[i]
		var id any
		if r.ID != 0 {
			id = r.ID
		}
		if err := w.add(ctx, func() string { return fmt.Sprintf("id %d", r.ID) }, id, r.Category, string(r.Scope), r.ScopeRef, r.Unit, r.Priority, r.Note, string(r.Kind)); err != nil {
			return err
		}
	}
	if err := w.flush(ctx); err != nil {
		return err
	}

	return touchContents(ctx, tx, ds, bounds)
}

// touchContents widens the extents in gpkg_contents and records the change
// time of every table the insert wrote to.
func touchContents(ctx context.Context, tx *sql.Tx, ds *data.Dataset, bounds map[string]orb.Bound) error {
	now := time.Now().UTC().Format(timestampFormat)
	written := map[string]bool{}
	for _, u := range ds.AdminUnits {
		written[adminTable(u.Level)] = true
	}
	for table, n := range map[string]int{
		"unit_grids": len(ds.UnitGrids), "management_grids": len(ds.ManagementGrids),
		"categories": len(ds.Categories), "departments": len(ds.Departments),
		"components": len(ds.Components), "roads": len(ds.Roads), "addresses": len(ds.Addresses),
		"pois": len(ds.POIs), "rules": len(ds.Rules),
	} {
		if n > 0 {
			written[table] = true
		}
	}
	for table := range written {
		if _, err := tx.ExecContext(ctx, `UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?`, now, table); err != nil {
			return fmt.Errorf("update gpkg_contents: %w", err)
		}
		b, ok := bounds[table]
		if !ok {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE gpkg_contents SET
			min_x = min(coalesce(min_x, ?1), ?1), min_y = min(coalesce(min_y, ?2), ?2),
			max_x = max(coalesce(max_x, ?3), ?3), max_y = max(coalesce(max_y, ?4), ?4)
			WHERE table_name = ?5`, b.Min[0], b.Min[1], b.Max[0], b.Max[1], table); err != nil {
			return fmt.Errorf("update gpkg_contents extent: %w", err)
		}
	}
	return nil
}

func adminTable(level data.AdminLevel) string {
	switch level {
	case data.LevelDistrict:
		return "districts"
	case data.LevelStreet:
		return "streets"
	case data.LevelCommunity:
		return "communities"
	}
	return ""
}

func formatDate(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(dateFormat)
}

func formatTimestamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timestampFormat)
}

// writer inserts the rows of one table rowsPerStatement at a time. When a
// multi-row statement hits a UNIQUE constraint it replays that chunk row by
// row (the failed statement left nothing behind) to name the offending row.
type writer struct {
	tx       *sql.Tx
	table    string
	cols     []string
	chunk    *sql.Stmt
	row      *sql.Stmt
	args     []any
	describe []func() string
	reset    func()
}

func newWriter(tx *sql.Tx, table string, cols []string, reset func()) *writer {
	return &writer{tx: tx, table: table, cols: cols, reset: reset}
}

func (w *writer) statement(ctx context.Context, rows int) (*sql.Stmt, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", w.table, strings.Join(w.cols, ", "))
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(w.cols)), ", ") + ")"
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	st, err := w.tx.PrepareContext(ctx, b.String())
	if err != nil {
		return nil, fmt.Errorf("prepare insert into %s: %w", w.table, err)
	}
	return st, nil
}

func (w *writer) add(ctx context.Context, describe func() string, args ...any) error {
	w.args = append(w.args, args...)
	w.describe = append(w.describe, describe)
	if len(w.describe) < rowsPerStatement {
		return nil
	}
	if w.chunk == nil {
		st, err := w.statement(ctx, rowsPerStatement)
		if err != nil {
			return err
		}
		w.chunk = st
	}
	if err := execFused(ctx, w.chunk, w.args); err != nil {
		return w.explain(ctx, err)
	}
	w.clear()
	return nil
}

func (w *writer) clear() {
	clear(w.args)
	w.args = w.args[:0]
	w.describe = w.describe[:0]
	w.reset()
}

// flush writes the pending rows one at a time and releases the statements.
func (w *writer) flush(ctx context.Context) error {
	defer func() {
		if w.chunk != nil {
			w.chunk.Close()
		}
		if w.row != nil {
			w.row.Close()
		}
	}()
	if len(w.describe) == 0 {
		return nil
	}
	if err := w.rowByRow(ctx); err != nil {
		return err
	}
	w.clear()
	return nil
}

func (w *writer) rowByRow(ctx context.Context) error {
	if w.row == nil {
		st, err := w.statement(ctx, 1)
		if err != nil {
			return err
		}
		w.row = st
	}
	n := len(w.cols)
	for i, d := range w.describe {
		if err := execFused(ctx, w.row, w.args[i*n:(i+1)*n]); err != nil {
			if isConstraint(err) {
				return fmt.Errorf("%s %s: already stored or given twice: %w", w.table, d(), data.ErrConflict)
			}
			return fmt.Errorf("insert into %s %s: %w", w.table, d(), err)
		}
	}
	return nil
}

// explain turns a failed chunk into an error naming the failing row.
func (w *writer) explain(ctx context.Context, err error) error {
	if !isConstraint(err) {
		return fmt.Errorf("insert into %s: %w", w.table, err)
	}
	if rerr := w.rowByRow(ctx); rerr != nil {
		return rerr
	}
	return fmt.Errorf("insert into %s: %w (%v)", w.table, data.ErrConflict, err)
}

// execFused runs an INSERT through the query path of go-sqlite3, which
// binds every argument and takes the step in one cgo crossing; the exec
// path crosses once per argument, which for a 64-row, 832-argument
// statement costs more than SQLite's own work.
func execFused(ctx context.Context, st *sql.Stmt, args []any) error {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}
