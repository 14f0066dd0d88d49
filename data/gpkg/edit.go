package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"citygrid/data"
)

var _ data.Editor = (*Store)(nil)

// migrateV3 adds the edit history and the survey changesets. They are
// citygrid tables, not GeoPackage layers (GIS clients list only the city's
// layers); before and after are the feature as JSON (GeoJSON geometry),
// NULL for the side of an insert or delete that has none.
func migrateV3(ctx context.Context, tx *sql.Tx) error {
	stmts := []string{
		`CREATE TABLE citygrid_history (
			id INTEGER PRIMARY KEY AUTOINCREMENT,
			layer TEXT NOT NULL, code TEXT NOT NULL, op TEXT NOT NULL, version INTEGER NOT NULL,
			at DATETIME NOT NULL, user TEXT NOT NULL, reason TEXT NOT NULL,
			changeset TEXT NOT NULL DEFAULT '', before TEXT, after TEXT)`,
		`CREATE INDEX citygrid_history_code ON citygrid_history (layer, code, id)`,
		`CREATE INDEX citygrid_history_at ON citygrid_history (layer, at)`,
		`CREATE TABLE citygrid_changesets (
			id TEXT NOT NULL PRIMARY KEY, created_at DATETIME NOT NULL, user TEXT NOT NULL,
			base_time TEXT NOT NULL, status TEXT NOT NULL, items BLOB NOT NULL, applied_at DATETIME)`,
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// refCache keeps the reference layers edits are checked against (see
// data.EditReference), read once and kept until an import or a grid edit
// changes them.
type refCache struct {
	mu  sync.Mutex
	ref *data.EditReference
	gen string // the store's MetaGeneration the reference was read at
}

// reference returns the cached reference layers, reading them on first use
// and again after an import, by this process or another (MetaGeneration
// moved).
func (s *Store) reference(ctx context.Context) (*data.EditReference, error) {
	s.refs.mu.Lock()
	defer s.refs.mu.Unlock()
	gen, err := s.Meta(ctx, MetaGeneration)
	if err != nil {
		return nil, err
	}
	if s.refs.ref != nil && gen == s.refs.gen {
		return s.refs.ref, nil
	}
	s.refs.gen = gen
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	l := loader{tx: tx, intern: map[string]string{}}
	ds := &data.Dataset{}
	for _, level := range []data.AdminLevel{data.LevelDistrict, data.LevelStreet, data.LevelCommunity} {
		if err := l.admin(ctx, ds, level); err != nil {
			return nil, err
		}
	}
	for _, fn := range []func(context.Context, *data.Dataset) error{l.unitGrids, l.categories, l.departments} {
		if err := fn(ctx, ds); err != nil {
			return nil, err
		}
	}
	s.refs.ref = data.NewEditReference(ds)
	return s.refs.ref, nil
}

// dropReference makes the next edit read the reference layers again.
func (s *Store) dropReference() {
	s.refs.mu.Lock()
	s.refs.ref = nil
	s.refs.mu.Unlock()
}

// editTx is one write transaction with its history.
type editTx struct {
	ctx       context.Context
	tx        *sql.Tx
	ref       *data.EditReference
	meta      data.EditMeta
	at        time.Time
	changeset string
	changes   []data.Change
	stmts     map[string]*sql.Stmt
	bound     orb.Bound
	hasBound  bool
	touched   map[string]bool
}

// write runs fn in one write transaction and returns the changes it made
// once they are committed.
func (s *Store) write(ctx context.Context, m data.EditMeta, changeset string, fn func(*editTx) error) ([]data.Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Under the write lock: a grid edit committed just before must be seen.
	ref, err := s.reference(ctx)
	if err != nil {
		return nil, fmt.Errorf("read reference layers: %w", err)
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, WriteError(err)
	}
	defer tx.Rollback()
	et := &editTx{ctx: ctx, tx: tx, ref: ref, meta: m, at: s.now(), changeset: changeset, stmts: map[string]*sql.Stmt{}, touched: map[string]bool{}}
	defer et.close()
	if err := fn(et); err != nil {
		return nil, err
	}
	if err := et.touchContents(); err != nil {
		return nil, WriteError(err)
	}
	if err := et.numberChanges(); err != nil {
		return nil, WriteError(err)
	}
	if err := tx.Commit(); err != nil {
		return nil, WriteError(fmt.Errorf("commit: %w", err))
	}
	if et.touched[data.LayerUnitGrids] {
		s.dropReference()
	}
	return et.changes, nil
}

// now is the time of the next change: the wall clock at millisecond
// precision, but never before the previous change (as-of reads compare
// history times, so they must not go back when the clock does). Changes in
// one millisecond share its time.
func (s *Store) now() time.Time {
	t := time.Now().UTC().Truncate(time.Millisecond)
	s.lastMu.Lock()
	defer s.lastMu.Unlock()
	if t.Before(s.last) {
		t = s.last
	}
	s.last = t
	return t
}

func (e *editTx) close() {
	for _, st := range e.stmts {
		st.Close()
	}
}

func (e *editTx) stmt(q string) (*sql.Stmt, error) {
	if st, ok := e.stmts[q]; ok {
		return st, nil
	}
	st, err := e.tx.PrepareContext(e.ctx, q)
	if err != nil {
		return nil, err
	}
	e.stmts[q] = st
	return st, nil
}

func (e *editTx) exec(q string, args ...any) error {
	st, err := e.stmt(q)
	if err != nil {
		return err
	}
	return execFused(e.ctx, st, args)
}

func (e *editTx) grow(table string, g orb.Geometry) {
	e.touched[table] = true
	if table != data.LayerComponents || g == nil {
		return
	}
	b := g.Bound()
	if !e.hasBound {
		e.bound, e.hasBound = b, true
	} else {
		e.bound = e.bound.Union(b)
	}
}

func (e *editTx) touchContents() error {
	now := e.at.Format(timestampFormat)
	for table := range e.touched {
		if _, err := e.tx.ExecContext(e.ctx, `UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?`, now, table); err != nil {
			return err
		}
	}
	if e.hasBound {
		b := e.bound
		if _, err := e.tx.ExecContext(e.ctx, `UPDATE gpkg_contents SET
			min_x = min(coalesce(min_x, ?1), ?1), min_y = min(coalesce(min_y, ?2), ?2),
			max_x = max(coalesce(max_x, ?3), ?3), max_y = max(coalesce(max_y, ?4), ?4)
			WHERE table_name = 'components'`, b.Min[0], b.Min[1], b.Max[0], b.Max[1]); err != nil {
			return err
		}
	}
	return nil
}

// record appends a change and its history row.
func (e *editTx) record(c data.Change) error {
	c.At, c.User, c.Reason = e.at, e.meta.User, e.meta.Reason
	var before, after []byte
	var err error
	switch c.Layer {
	case data.LayerComponents:
		if before, err = componentJSON(c.BeforeComponent); err != nil {
			return err
		}
		if after, err = componentJSON(c.AfterComponent); err != nil {
			return err
		}
	case data.LayerUnitGrids:
		if before, err = unitGridJSON(c.BeforeUnitGrid); err != nil {
			return err
		}
		if after, err = unitGridJSON(c.AfterUnitGrid); err != nil {
			return err
		}
	}
	if err := e.exec(`INSERT INTO citygrid_history (layer, code, op, version, at, user, reason, changeset, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.Layer, c.Code, string(c.Op), c.Version, e.at.Format(timestampFormat),
		e.meta.User, e.meta.Reason, e.changeset, nullText(before), nullText(after)); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	e.changes = append(e.changes, c)
	return nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func nullText(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// stored reads one component inside the transaction.
func (e *editTx) StoredComponent(code string) (*data.Component, error) {
	l := loader{tx: e.tx, intern: map[string]string{}}
	var out *data.Component
	err := l.scanComponents(e.ctx, `WHERE code = ?`, []any{code}, func(c *data.Component) {
		cc := *c
		out = &cc
	})
	return out, err
}

// lastVersion is the highest version code ever had (0: never stored).
func (e *editTx) LastVersion(code string) (int64, error) {
	st, err := e.stmt(`SELECT coalesce(max(version), 0) FROM citygrid_history WHERE layer = 'components' AND code = ?`)
	if err != nil {
		return 0, err
	}
	var v int64
	err = st.QueryRowContext(e.ctx, code).Scan(&v)
	return v, err
}

// nextCode assigns the next free sequence of county+category (see
// data.NextComponentCode), counting codes that were deleted too.
func (e *editTx) nextCode(county, category string, taken map[string]int) (string, error) {
	return data.NextComponentCode(county, category, taken, func(lo, hi string) (string, error) {
		var a, b sql.NullString
		if err := e.tx.QueryRowContext(e.ctx, `SELECT max(code) FROM components WHERE code BETWEEN ? AND ?`, lo, hi).Scan(&a); err != nil {
			return "", err
		}
		if err := e.tx.QueryRowContext(e.ctx, `SELECT max(code) FROM citygrid_history WHERE layer = 'components' AND code BETWEEN ? AND ?`, lo, hi).Scan(&b); err != nil {
			return "", err
		}
		return max(a.String, b.String), nil
	})
}

// Prepare derives what the store owns (unit grid, code, change time) and
// checks the component. where names it in errors.
func (e *editTx) Prepare(c *data.Component, where string, taken map[string]int) error {
	return e.ref.Prepare(c, where, e.at, func(county, category string) (string, error) {
		return e.nextCode(county, category, taken)
	})
}

var componentColumns = `geom, code, category, name, department, owner, maintainer, status, unit_grid, survey_date, changed_at, version, note`

func componentArgs(c *data.Component) []any {
	var g any
	if c.Geometry != nil {
		g = AppendGeometry(nil, c.Geometry, SRSCGCS2000)
	}
	return []any{g, c.Code, c.Category, c.Name, c.Department, c.Owner, c.Maintainer, string(c.Status), c.UnitGrid,
		formatDate(c.SurveyDate), formatTimestamp(c.ChangedAt), c.Version, c.Note}
}

func (e *editTx) InsertComponent(c *data.Component) error {
	if err := e.exec(`INSERT INTO components (`+componentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, componentArgs(c)...); err != nil {
		if isConstraint(err) {
			return fmt.Errorf("component %s is already stored: %w", c.Code, data.ErrConflict)
		}
		return WriteError(err)
	}
	e.grow(data.LayerComponents, c.Geometry)
	return e.record(data.Change{Layer: data.LayerComponents, Op: data.OpInsert, Code: c.Code, Version: c.Version, AfterComponent: c})
}

func (e *editTx) UpdateComponent(before, c *data.Component) error {
	args := componentArgs(c)
	if err := e.exec(`UPDATE components SET geom = ?, code = ?, category = ?, name = ?, department = ?, owner = ?, maintainer = ?,
		status = ?, unit_grid = ?, survey_date = ?, changed_at = ?, version = ?, note = ? WHERE code = ?`, append(args, before.Code)...); err != nil {
		return WriteError(err)
	}
	e.grow(data.LayerComponents, c.Geometry)
	return e.record(data.Change{Layer: data.LayerComponents, Op: data.OpUpdate, Code: c.Code, Version: c.Version, BeforeComponent: before, AfterComponent: c})
}

func (e *editTx) DeleteComponent(before *data.Component) error {
	if err := e.exec(`DELETE FROM components WHERE code = ?`, before.Code); err != nil {
		return WriteError(err)
	}
	e.grow(data.LayerComponents, nil)
	return e.record(data.Change{Layer: data.LayerComponents, Op: data.OpDelete, Code: before.Code, Version: before.Version, BeforeComponent: before})
}

// CreateComponent stores a new component (see data.Editor).
func (s *Store) CreateComponent(ctx context.Context, c data.Component, m data.EditMeta) ([]data.Change, error) {
	return s.write(ctx, m, "", func(e *editTx) error { return data.CreateComponentIn(e, c) })
}

// UpdateComponent replaces a stored component (see data.Editor).
func (s *Store) UpdateComponent(ctx context.Context, c data.Component, expected int64, m data.EditMeta) ([]data.Change, error) {
	return s.PatchComponent(ctx, c.Code, expected, data.ReplaceComponent(c), m)
}

// PatchComponent changes a stored component in one transaction (see
// data.Editor). The code cannot change.
func (s *Store) PatchComponent(ctx context.Context, code string, expected int64, patch func(*data.Component) error, m data.EditMeta) ([]data.Change, error) {
	return s.write(ctx, m, "", func(e *editTx) error { return data.PatchComponentIn(e, code, expected, patch) })
}

// DeleteComponent removes a stored component (see data.Editor).
func (s *Store) DeleteComponent(ctx context.Context, code string, expected int64, m data.EditMeta) ([]data.Change, error) {
	return s.write(ctx, m, "", func(e *editTx) error { return data.DeleteComponentIn(e, code, expected) })
}

// History lists the changes of one feature, oldest first.
func (s *Store) History(ctx context.Context, layer, code string) ([]data.HistoryEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, layer, code, op, version, at, user, reason, changeset, before, after
		FROM citygrid_history WHERE layer = ? AND code = ? ORDER BY id`, layer, code)
	if err != nil {
		return nil, fmt.Errorf("history of %s %s: %w", layer, code, err)
	}
	out, err := historyRows(rows)
	if err != nil {
		return nil, fmt.Errorf("history of %s %s: %w", layer, code, err)
	}
	if len(out) == 0 {
		if layer == data.LayerComponents {
			if _, err := s.Component(ctx, code); err != nil {
				return nil, err
			}
		} else {
			var n int
			if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM unit_grids WHERE code = ?`, code).Scan(&n); err != nil {
				return nil, err
			}
			if n == 0 {
				return nil, fmt.Errorf("unit grid %s: %w", code, data.ErrNotFound)
			}
		}
	}
	return out, nil
}

// ScanComponents streams stored components in code order (see
// data.Editor); fn's pointer is only valid during the call.
func (s *Store) ScanComponents(ctx context.Context, after, unitGrid, category string, fn func(*data.Component) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tail, args := `WHERE code > ?`, []any{after}
	if unitGrid != "" {
		tail += ` AND unit_grid = ?`
		args = append(args, unitGrid)
	}
	if category != "" {
		tail += ` AND category = ?`
		args = append(args, category)
	}
	l := loader{tx: s.db, intern: map[string]string{}}
	stop := errors.New("stop")
	err := l.scanComponentsErr(ctx, tail+` ORDER BY code`, args, func(c *data.Component) error {
		if !fn(c) {
			return stop
		}
		return nil
	})
	if err == stop {
		return nil
	}
	return err
}

// asOf reads the component layer (or only code) as it was at t (see
// data.AsOf).
func (s *Store) asOf(ctx context.Context, t time.Time, code string) ([]data.Component, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	before, err := firstBefore(ctx, tx, data.LayerComponents, code, t)
	if err != nil {
		return nil, fmt.Errorf("as of %s: %w", t, err)
	}
	then := make(map[string]*data.Component, len(before))
	for c, doc := range before {
		if then[c], err = parseComponentJSON(doc); err != nil {
			return nil, err
		}
	}
	l := loader{tx: tx, intern: map[string]string{}}
	tail, targs := `ORDER BY code`, []any(nil)
	if code != "" {
		tail, targs = `WHERE code = ?`, []any{code}
	}
	return data.FeaturesAsOf(then, componentCode, func(keep func(*data.Component)) error {
		return l.scanComponents(ctx, tail, targs, keep)
	})
}

func componentCode(c *data.Component) string { return c.Code }

// The history documents (data.MarshalComponentDoc and friends); NULL
// columns are the side of an insert or delete without a feature.
var (
	componentJSON = data.MarshalComponentDoc
	unitGridJSON  = data.MarshalUnitGridDoc
)

func parseComponentJSON(s sql.NullString) (*data.Component, error) {
	return data.UnmarshalComponentDoc(nullBytes(s))
}

func parseUnitGridJSON(s sql.NullString) (*data.UnitGrid, error) {
	return data.UnmarshalUnitGridDoc(nullBytes(s))
}

// nullBytes is a nullable text column as a document: nil for NULL.
func nullBytes(s sql.NullString) []byte {
	if !s.Valid {
		return nil
	}
	return []byte(s.String)
}
