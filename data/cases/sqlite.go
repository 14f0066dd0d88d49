package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// SQLStore is the Store on an SQLite database — the GeoPackage file's own
// (`(*gpkg.Store).DB()`), in tables of its own (case_*), migrated through
// the case_schema table. A case row keeps the filter columns (indexed) and
// the whole case as JSON.
type SQLStore struct {
	db *sql.DB
	// mu serialises writes: SQLite has one writer, and a deferred
	// transaction upgrading to a write lock could fail with SQLITE_BUSY.
	mu        sync.Mutex
	lmu       sync.RWMutex
	listeners []func(*Case, *Transition)
}

var _ Store = (*SQLStore)(nil)

// migrations of the case tables, applied in order; case_schema records how
// many are applied.
var migrations = []string{
	`CREATE TABLE case_cases (
		id INTEGER PRIMARY KEY,
		number TEXT NOT NULL UNIQUE,
		state TEXT NOT NULL,
		kind TEXT NOT NULL,
		category TEXT NOT NULL,
		source TEXT NOT NULL,
		unit TEXT NOT NULL DEFAULT '',
		street TEXT NOT NULL DEFAULT '',
		community TEXT NOT NULL DEFAULT '',
		unit_grid TEXT NOT NULL DEFAULT '',
		dispatcher TEXT NOT NULL DEFAULT '',
		reporter TEXT NOT NULL DEFAULT '',
		lon REAL NOT NULL,
		lat REAL NOT NULL,
		reported_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL,
		due_at INTEGER,
		version INTEGER NOT NULL,
		doc TEXT NOT NULL
	);
	CREATE INDEX case_cases_state_due ON case_cases(state, due_at);
	CREATE INDEX case_cases_unit_state_due ON case_cases(unit, state, due_at);
	CREATE INDEX case_cases_dispatcher_state_due ON case_cases(dispatcher, state, due_at);
	CREATE INDEX case_cases_reported ON case_cases(reported_at);
	CREATE INDEX case_cases_updated ON case_cases(updated_at);
	CREATE INDEX case_cases_category_reported ON case_cases(category, reported_at);
	CREATE INDEX case_cases_street ON case_cases(street, state);
	CREATE INDEX case_cases_community ON case_cases(community, state);
	CREATE INDEX case_cases_grid ON case_cases(unit_grid, state);
	CREATE INDEX case_cases_reporter ON case_cases(reporter) WHERE reporter <> '';
	CREATE TABLE case_transitions (
		case_id INTEGER NOT NULL REFERENCES case_cases(id),
		seq INTEGER NOT NULL,
		at INTEGER NOT NULL,
		action TEXT NOT NULL,
		from_state TEXT NOT NULL,
		to_state TEXT NOT NULL,
		user TEXT NOT NULL,
		role TEXT NOT NULL,
		unit TEXT NOT NULL DEFAULT '',
		note TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (case_id, seq)
	) WITHOUT ROWID;
	CREATE INDEX case_transitions_at ON case_transitions(at);
	CREATE TABLE case_attachments (
		id INTEGER PRIMARY KEY,
		case_id INTEGER NOT NULL REFERENCES case_cases(id),
		name TEXT NOT NULL UNIQUE,
		type TEXT NOT NULL,
		size INTEGER NOT NULL,
		sha256 TEXT NOT NULL,
		stage TEXT NOT NULL,
		user TEXT NOT NULL,
		uploaded INTEGER NOT NULL
	);
	CREATE INDEX case_attachments_case ON case_attachments(case_id);
	CREATE TABLE case_config (
		name TEXT NOT NULL,
		version INTEGER NOT NULL,
		body TEXT NOT NULL,
		user TEXT NOT NULL,
		at INTEGER NOT NULL,
		PRIMARY KEY (name, version)
	);
	CREATE TABLE case_notifications (
		case_id INTEGER NOT NULL,
		kind TEXT NOT NULL,
		due_at INTEGER NOT NULL,
		sent_at INTEGER NOT NULL,
		PRIMARY KEY (case_id, kind, due_at)
	) WITHOUT ROWID;`,
	`ALTER TABLE case_transitions ADD COLUMN step_due_at INTEGER`,
}

// NewSQLStore opens the case tables in db, creating or migrating them.
func NewSQLStore(ctx context.Context, db *sql.DB) (*SQLStore, error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS case_schema (version INTEGER NOT NULL, applied INTEGER NOT NULL)`); err != nil {
		return nil, fmt.Errorf("case schema: %w", err)
	}
	var v int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM case_schema`).Scan(&v); err != nil {
		return nil, fmt.Errorf("case schema: %w", err)
	}
	if v > len(migrations) {
		return nil, fmt.Errorf("case schema version %d is newer than this citygrid (%d)", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("case migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("case migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_schema(version, applied) VALUES (?, ?)`, i+1, time.Now().Unix()); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("case migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("case migration %d: %w", i+1, err)
		}
	}
	return &SQLStore{db: db}, nil
}

// DB returns the database the store writes to.
func (s *SQLStore) DB() *sql.DB { return s.db }

// OnChange registers a listener for committed writes.
func (s *SQLStore) OnChange(fn func(*Case, *Transition)) {
	s.lmu.Lock()
	s.listeners = append(s.listeners, fn)
	s.lmu.Unlock()
}

func (s *SQLStore) notify(c *Case, t *Transition) {
	s.lmu.RLock()
	ls := s.listeners
	s.lmu.RUnlock()
	for _, fn := range ls {
		cc := *c
		tt := *t
		fn(&cc, &tt)
	}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func msPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// Create stores a new case.
func (s *SQLStore) Create(ctx context.Context, c *Case, t *Transition) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	defer tx.Rollback()
	// The first statement writes, so the transaction takes the write lock
	// at once (waiting out other writers of the shared file) instead of
	// upgrading a read snapshot, which SQLite refuses with SQLITE_BUSY
	// when another connection wrote in between.
	if c.ReportedAt.IsZero() {
		c.ReportedAt = time.Now().UTC()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.ReportedAt
	}
	c.Version = 1
	c.Lon, c.Lat = c.Point[0], c.Point[1]
	res, err := tx.ExecContext(ctx, `INSERT INTO case_cases(number, state, kind, category, source, unit, street, community, unit_grid, dispatcher, reporter, lon, lat, reported_at, updated_at, due_at, version, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')`,
		fmt.Sprintf("pending-%d", time.Now().UnixNano()), c.State, c.Kind, c.Category, c.Source, c.Unit, c.Street, c.Community, c.UnitGrid, c.Dispatcher, c.Reporter,
		c.Point[0], c.Point[1], ms(c.ReportedAt), ms(c.UpdatedAt), msPtr(c.DueAt), c.Version)
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	c.ID, _ = res.LastInsertId()
	if c.Number == "" {
		c.Number = fmt.Sprintf("%s%07d", c.ReportedAt.In(chinaTZ).Format("20060102"), c.ID)
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE case_cases SET number = ?, doc = ? WHERE id = ?`, c.Number, string(doc), c.ID); err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return fmt.Errorf("create case: number %q exists: %w", c.Number, data.ErrConflict)
		}
		return fmt.Errorf("create case: %w", err)
	}
	t.CaseID = c.ID
	t.Seq = 1
	if err := insertTransition(ctx, tx, t); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	s.notify(c, t)
	return nil
}

func insertTransition(ctx context.Context, tx *sql.Tx, t *Transition) error {
	if t.At.IsZero() {
		t.At = time.Now().UTC()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO case_transitions(case_id, seq, at, action, from_state, to_state, user, role, unit, note, step_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.CaseID, t.Seq, ms(t.At), t.Action, t.From, t.To, t.User, t.Role, t.Unit, t.Note, msPtr(t.StepDueAt))
	if err != nil {
		return fmt.Errorf("record transition of case %d: %w", t.CaseID, err)
	}
	return nil
}

// Update stores c and t if c.Version is still the stored version.
func (s *SQLStore) Update(ctx context.Context, c *Case, t *Transition) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	defer tx.Rollback()
	old := c.Version
	c.Version = old + 1
	c.Lon, c.Lat = c.Point[0], c.Point[1]
	doc, err := json.Marshal(c)
	if err != nil {
		c.Version = old
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE case_cases SET state = ?, kind = ?, category = ?, source = ?, unit = ?, street = ?, community = ?, unit_grid = ?, dispatcher = ?, reporter = ?,
		lon = ?, lat = ?, updated_at = ?, due_at = ?, version = ?, doc = ? WHERE id = ? AND version = ?`,
		c.State, c.Kind, c.Category, c.Source, c.Unit, c.Street, c.Community, c.UnitGrid, c.Dispatcher, c.Reporter,
		c.Point[0], c.Point[1], ms(c.UpdatedAt), msPtr(c.DueAt), c.Version, string(doc), c.ID, old)
	if err != nil {
		c.Version = old
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		c.Version = old
		var st State
		var v int64
		err := tx.QueryRowContext(ctx, `SELECT state, version FROM case_cases WHERE id = ?`, c.ID).Scan(&st, &v)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("case %d: %w", c.ID, data.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("update case %d: %w", c.ID, err)
		}
		return &ConflictError{ID: c.ID, Action: t.Action, State: st, Version: v, Allowed: nil, Reason: fmt.Sprintf("changed by someone else (version %d, not %d)", v, old)}
	}
	var seq int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM case_transitions WHERE case_id = ?`, c.ID).Scan(&seq); err != nil {
		c.Version = old
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	t.CaseID, t.Seq = c.ID, seq
	if err := insertTransition(ctx, tx, t); err != nil {
		c.Version = old
		return err
	}
	if err := tx.Commit(); err != nil {
		c.Version = old
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	s.notify(c, t)
	return nil
}

func decodeCase(doc string, lon, lat float64) (*Case, error) {
	c := new(Case)
	if err := json.Unmarshal([]byte(doc), c); err != nil {
		return nil, fmt.Errorf("decode case: %w", err)
	}
	c.Point = orb.Point{lon, lat}
	c.Lon, c.Lat = lon, lat
	return c, nil
}

// Get returns one case.
func (s *SQLStore) Get(ctx context.Context, id int64) (*Case, error) {
	var doc string
	var lon, lat float64
	err := s.db.QueryRowContext(ctx, `SELECT doc, lon, lat FROM case_cases WHERE id = ?`, id).Scan(&doc, &lon, &lat)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("case %d: %w", id, data.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("case %d: %w", id, err)
	}
	return decodeCase(doc, lon, lat)
}

// handlingStates are the states in which a handling deadline runs and
// the unit still owes the work (a handled case waits for the check; a
// suspended one has no running deadline).
var handlingStates = []State{StateDispatched}

func (f *Filter) where() (string, []any) {
	var w []string
	var args []any
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		w = append(w, col+" IN ("+strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	eq := func(col, v string) {
		if v != "" {
			w = append(w, col+" = ?")
			args = append(args, v)
		}
	}
	if len(f.IDs) > 0 {
		w = append(w, "id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(f.IDs)), ",")+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	states := f.States
	if f.Overdue {
		if len(states) == 0 {
			states = handlingStates
		} else {
			var keep []State
			for _, s := range states {
				for _, h := range handlingStates {
					if s == h {
						keep = append(keep, s)
					}
				}
			}
			states = keep
			if len(states) == 0 {
				w = append(w, "1 = 0")
			}
		}
	}
	if f.Open && len(states) == 0 {
		w = append(w, "state NOT IN ('closed', 'not_registered', 'cancelled')")
	}
	ss := make([]string, len(states))
	for i, s := range states {
		ss[i] = string(s)
	}
	in("state", ss)
	eq("category", f.Category)
	eq("kind", string(f.Kind))
	eq("source", string(f.Source))
	eq("unit", f.Unit)
	eq("street", f.Street)
	eq("community", f.Community)
	eq("unit_grid", f.UnitGrid)
	eq("dispatcher", f.Dispatcher)
	eq("reporter", f.Reporter)
	rng := func(col string, from, to time.Time) {
		if !from.IsZero() {
			w = append(w, col+" >= ?")
			args = append(args, ms(from))
		}
		if !to.IsZero() {
			w = append(w, col+" < ?")
			args = append(args, ms(to))
		}
	}
	if !f.DueBefore.IsZero() {
		w = append(w, "due_at < ?")
		args = append(args, ms(f.DueBefore))
	}
	rng("reported_at", f.ReportedFrom, f.ReportedTo)
	rng("updated_at", f.UpdatedFrom, f.UpdatedTo)
	if f.Overdue {
		now := f.Now
		if now.IsZero() {
			now = time.Now()
		}
		w = append(w, "due_at < ?")
		args = append(args, ms(now))
	}
	if len(w) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(w, " AND "), args
}

// List returns one page of matching cases.
func (s *SQLStore) List(ctx context.Context, f Filter) (Page, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultPageSize
	}
	if f.Limit > MaxPageSize {
		f.Limit = MaxPageSize
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	where, args := f.where()
	order := " ORDER BY id DESC"
	if f.Sort == SortDue {
		order = " ORDER BY due_at IS NULL, due_at, id"
	}
	p := Page{Cases: []*Case{}, Offset: f.Offset, Limit: f.Limit, Total: -1}
	rows, err := s.db.QueryContext(ctx, `SELECT doc, lon, lat FROM case_cases`+where+order+` LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return p, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var doc string
		var lon, lat float64
		if err := rows.Scan(&doc, &lon, &lat); err != nil {
			return p, fmt.Errorf("list cases: %w", err)
		}
		c, err := decodeCase(doc, lon, lat)
		if err != nil {
			return p, err
		}
		p.Cases = append(p.Cases, c)
	}
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("list cases: %w", err)
	}
	if !f.NoTotal {
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_cases`+where, args...).Scan(&p.Total); err != nil {
			return p, fmt.Errorf("count cases: %w", err)
		}
	}
	return p, nil
}

// Transitions returns a case's transitions in order.
func (s *SQLStore) Transitions(ctx context.Context, id int64) ([]Transition, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT case_id, seq, at, action, from_state, to_state, user, role, unit, note, step_due_at FROM case_transitions WHERE case_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("transitions of case %d: %w", id, err)
	}
	out, err := scanTransitions(rows)
	if err != nil {
		return nil, fmt.Errorf("transitions of case %d: %w", id, err)
	}
	if len(out) == 0 {
		if _, err := s.Get(ctx, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Scan calls fn for the cases reported in [from, to).
func (s *SQLStore) Scan(ctx context.Context, from, to time.Time, fn func(*Case) bool) error {
	f := Filter{ReportedFrom: from, ReportedTo: to}
	where, args := f.where()
	return s.scan(ctx, where, args, fn)
}

// All calls fn for every case.
func (s *SQLStore) All(ctx context.Context, fn func(*Case) bool) error {
	return s.scan(ctx, "", nil, fn)
}

func (s *SQLStore) scan(ctx context.Context, where string, args []any, fn func(*Case) bool) error {
	// Pages by ID so that no read transaction stays open across a long
	// scan (it would hold the WAL back); each page's JSON is decoded on
	// every core, then handed to fn in ID order.
	type raw struct {
		doc      string
		lon, lat float64
	}
	var after int64
	page := make([]raw, 0, scanPage)
	out := make([]*Case, scanPage)
	workers := max(1, runtime.GOMAXPROCS(0))
	for {
		rows, err := s.db.QueryContext(ctx, `SELECT id, doc, lon, lat FROM case_cases`+andWhere(where, "id > ?")+` ORDER BY id LIMIT `+strconv.Itoa(scanPage), append(append([]any{}, args...), after)...)
		if err != nil {
			return fmt.Errorf("scan cases: %w", err)
		}
		page = page[:0]
		for rows.Next() {
			var r raw
			if err := rows.Scan(&after, &r.doc, &r.lon, &r.lat); err != nil {
				rows.Close()
				return fmt.Errorf("scan cases: %w", err)
			}
			page = append(page, r)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("scan cases: %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		errs := make([]error, workers)
		var wg sync.WaitGroup
		chunk := (len(page) + workers - 1) / workers
		for w := 0; w < workers; w++ {
			lo, hi := w*chunk, min(len(page), (w+1)*chunk)
			if lo >= hi {
				continue
			}
			wg.Add(1)
			go func(w, lo, hi int) {
				defer wg.Done()
				for i := lo; i < hi; i++ {
					c, err := decodeCase(page[i].doc, page[i].lon, page[i].lat)
					if err != nil {
						errs[w] = err
						return
					}
					out[i] = c
				}
			}(w, lo, hi)
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		for i := range page {
			if !fn(out[i]) {
				return nil
			}
			out[i] = nil
		}
		if len(page) < scanPage {
			return nil
		}
	}
}

// scanPage is how many cases one scan query reads.
const scanPage = 10000

func andWhere(where, cond string) string {
	if where == "" {
		return " WHERE " + cond
	}
	return where + " AND " + cond
}

// AddAttachment records a stored file of a case.
func (s *SQLStore) AddAttachment(ctx context.Context, a *Attachment) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.db.ExecContext(ctx, `INSERT INTO case_attachments(case_id, name, type, size, sha256, stage, user, uploaded) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.CaseID, a.Name, a.Type, a.Size, a.SHA256, a.Stage, a.User, ms(a.Uploaded))
	if err != nil {
		return fmt.Errorf("attach to case %d: %w", a.CaseID, err)
	}
	a.ID, _ = res.LastInsertId()
	return nil
}

// Attachments lists a case's files.
func (s *SQLStore) Attachments(ctx context.Context, caseID int64) ([]Attachment, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, case_id, name, type, size, sha256, stage, user, uploaded FROM case_attachments WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("attachments of case %d: %w", caseID, err)
	}
	defer rows.Close()
	out := []Attachment{}
	for rows.Next() {
		var a Attachment
		var at int64
		if err := rows.Scan(&a.ID, &a.CaseID, &a.Name, &a.Type, &a.Size, &a.SHA256, &a.Stage, &a.User, &at); err != nil {
			return nil, fmt.Errorf("attachments of case %d: %w", caseID, err)
		}
		a.Uploaded = fromMS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// PutConfig stores a new version of the named configuration document and
// returns it. When ifVersion is not 0 it must be the current version, else
// the error wraps data.ErrPrecondition.
func (s *SQLStore) PutConfig(ctx context.Context, name string, body []byte, user string, ifVersion int64) (ConfigDoc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return ConfigDoc{}, fmt.Errorf("config %s: %w", name, err)
	}
	defer tx.Rollback()
	// Write first (see Create), then check the version it got.
	at := time.Now().UTC()
	if _, err := tx.ExecContext(ctx, `INSERT INTO case_config(name, version, body, user, at) SELECT ?, COALESCE(MAX(version), 0) + 1, ?, ?, ? FROM case_config WHERE name = ?`,
		name, string(body), user, ms(at), name); err != nil {
		return ConfigDoc{}, fmt.Errorf("config %s: %w", name, err)
	}
	var v int64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM case_config WHERE name = ?`, name).Scan(&v); err != nil {
		return ConfigDoc{}, fmt.Errorf("config %s: %w", name, err)
	}
	if ifVersion != 0 && ifVersion != v-1 {
		return ConfigDoc{}, &VersionError{Name: name, Current: v - 1}
	}
	d := ConfigDoc{Name: name, Version: v, Body: body, User: user, At: at}
	if err := tx.Commit(); err != nil {
		return ConfigDoc{}, fmt.Errorf("config %s: %w", name, err)
	}
	return d, nil
}

// Config returns the named document at version (0: the latest); a missing
// one wraps data.ErrNotFound.
func (s *SQLStore) Config(ctx context.Context, name string, version int64) (ConfigDoc, error) {
	q := `SELECT version, body, user, at FROM case_config WHERE name = ? ORDER BY version DESC LIMIT 1`
	args := []any{name}
	if version > 0 {
		q = `SELECT version, body, user, at FROM case_config WHERE name = ? AND version = ?`
		args = append(args, version)
	}
	d := ConfigDoc{Name: name}
	var body string
	var at int64
	err := s.db.QueryRowContext(ctx, q, args...).Scan(&d.Version, &body, &d.User, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("config %s: %w", name, data.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("config %s: %w", name, err)
	}
	d.Body, d.At = []byte(body), fromMS(at)
	return d, nil
}

// ConfigVersions lists the stored versions of a document, newest first.
func (s *SQLStore) ConfigVersions(ctx context.Context, name string) ([]ConfigDoc, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT version, user, at FROM case_config WHERE name = ? ORDER BY version DESC`, name)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	defer rows.Close()
	out := []ConfigDoc{}
	for rows.Next() {
		d := ConfigDoc{Name: name}
		var at int64
		if err := rows.Scan(&d.Version, &d.User, &at); err != nil {
			return nil, fmt.Errorf("config %s: %w", name, err)
		}
		d.At = fromMS(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// MarkNotified records that a notification of kind for the case's deadline
// dueAt went out; it reports false when it had already been recorded.
func (s *SQLStore) MarkNotified(ctx context.Context, caseID int64, kind string, dueAt time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO case_notifications(case_id, kind, due_at, sent_at) VALUES (?, ?, ?, ?)`, caseID, kind, ms(dueAt), ms(time.Now()))
	if err != nil {
		return false, fmt.Errorf("notification of case %d: %w", caseID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// VersionError is a configuration write against a version that is not
// current; it wraps data.ErrPrecondition.
type VersionError struct {
	Name    string
	Current int64
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("config %s: version %d is current", e.Name, e.Current)
}

// Unwrap makes errors.Is(err, data.ErrPrecondition) true.
func (e *VersionError) Unwrap() error { return data.ErrPrecondition }

// ErrorDetails names the current version.
func (e *VersionError) ErrorDetails() any { return map[string]any{"version": e.Current} }

// chinaTZ is UTC+8 for case numbers (no DST in China).
var chinaTZ = time.FixedZone("CST", 8*3600)

// TransitionsBetween returns the transitions recorded in [from, to), oldest
// first, at most limit (the Open311 updates feed).
func (s *SQLStore) TransitionsBetween(ctx context.Context, from, to time.Time, limit int) ([]Transition, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT case_id, seq, at, action, from_state, to_state, user, role, unit, note, step_due_at FROM case_transitions WHERE at >= ? AND at < ? ORDER BY at, case_id, seq LIMIT ?`, ms(from), ms(to), limit)
	if err != nil {
		return nil, fmt.Errorf("transitions: %w", err)
	}
	out, err := scanTransitions(rows)
	if err != nil {
		return nil, fmt.Errorf("transitions: %w", err)
	}
	return out, nil
}

// scanTransitions reads transition rows (the columns of insertTransition)
// and closes them.
func scanTransitions(rows *sql.Rows) ([]Transition, error) {
	defer rows.Close()
	out := []Transition{}
	for rows.Next() {
		var t Transition
		var at int64
		var due sql.NullInt64
		if err := rows.Scan(&t.CaseID, &t.Seq, &at, &t.Action, &t.From, &t.To, &t.User, &t.Role, &t.Unit, &t.Note, &due); err != nil {
			return nil, err
		}
		t.At = fromMS(at)
		if due.Valid {
			d := fromMS(due.Int64)
			t.StepDueAt = &d
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

var _ ServerStore = (*SQLStore)(nil)

// Notified reports whether a notification of kind for the case's deadline
// dueAt was recorded by MarkNotified.
func (s *SQLStore) Notified(ctx context.Context, caseID int64, kind string, dueAt time.Time) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_notifications WHERE case_id = ? AND kind = ? AND due_at = ?`, caseID, kind, ms(dueAt)).Scan(&n); err != nil {
		return false, fmt.Errorf("notification of case %d: %w", caseID, err)
	}
	return n > 0, nil
}

// CaseIDByNumber finds a case by its number.
func (s *SQLStore) CaseIDByNumber(ctx context.Context, number string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM case_cases WHERE number = ?`, number).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("case number %q: %w", number, data.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("case number %q: %w", number, err)
	}
	return id, nil
}
