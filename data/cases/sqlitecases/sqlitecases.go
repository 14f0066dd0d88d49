// Package sqlitecases is the case store on SQLite: the GeoPackage file's
// own database (`(*gpkg.Store).DB()`), in tables of its own (case_*)
// migrated through the case_schema table. A case row keeps the filter
// columns (indexed) and the whole case as JSON; the row codec is the one
// pgcases shares (data/cases/internal/caserow).
package sqlitecases

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/internal/caserow"
	"citygrid/data/gpkg"
)

// Store is the case store on an SQLite database.
type Store struct {
	caserow.Reader
	// Field keeps idempotent writes' answers, duty and positions.
	caserow.Field
	db *sql.DB
	// mu serialises writes: SQLite has one writer, and a deferred
	// transaction upgrading to a write lock could fail with SQLITE_BUSY.
	mu        sync.Mutex
	listeners caserow.Listeners
}

var (
	_ cases.ServerStore     = (*Store)(nil)
	_ cases.HistoryImporter = (*Store)(nil)
	_ data.ReplayStore      = (*Store)(nil)
	_ cases.FieldStore      = (*Store)(nil)
)

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
` + caserow.CaseIndexes + `
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
	fmt.Sprintf(caserow.FieldTables, "BLOB"),
}

// New opens the case tables in db, creating or migrating them.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
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
	s := &Store{Reader: caserow.Reader{DB: sqlDB{db}, Doc: "doc", NoRows: sql.ErrNoRows}, db: db}
	s.Field = caserow.Field{DB: sqlDB{db}, NoRows: sql.ErrNoRows, Exec: s.exec}
	return s, nil
}

// sqlDB is a database/sql handle (the database or a transaction) as the
// shared reads' caserow.DB.
type sqlDB struct {
	db interface {
		QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	}
}

func (d sqlDB) Query(ctx context.Context, q string, args ...any) (caserow.Rows, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (d sqlDB) QueryRow(ctx context.Context, q string, args ...any) caserow.Row {
	return d.db.QueryRowContext(ctx, q, args...)
}

// sqlRows drops the error of Close, which rows.Err reports.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

// DB returns the database the store writes to.
func (s *Store) DB() *sql.DB { return s.db }

// OnChange registers a listener for committed writes.
func (s *Store) OnChange(fn func(*cases.Case, *cases.Transition)) { s.listeners.Add(fn) }

// caseValuesSet are the case_cases columns an update sets, in the order of
// caserow.CaseValues after its id and number.
const caseValuesSet = `state = ?, kind = ?, category = ?, source = ?, unit = ?, street = ?, community = ?, unit_grid = ?, dispatcher = ?, reporter = ?,
	lon = ?, lat = ?, reported_at = ?, updated_at = ?, due_at = ?, version = ?, doc = ?`

// Create stores a new case.
func (s *Store) Create(ctx context.Context, c *cases.Case, t *cases.Transition) (err error) {
	defer func() { err = gpkg.WriteError(err) }() // a full disk is 503, not 500
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
	// when another connection wrote in between. The row is written with a
	// placeholder number and document, completed once the id is known.
	caserow.NewCase(c)
	res, err := tx.ExecContext(ctx, `INSERT INTO case_cases(number, state, kind, category, source, lon, lat, reported_at, updated_at, version, doc)
		VALUES (?, '', '', '', '', 0, 0, 0, 0, 0, '{}')`, fmt.Sprintf("pending-%d", time.Now().UnixNano()))
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	c.ID, _ = res.LastInsertId()
	if c.Number == "" {
		c.Number = caserow.Number(c)
	}
	vals, err := caserow.CaseValues(c)
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE case_cases SET number = ?, `+caseValuesSet+` WHERE id = ?`, append(vals[1:], c.ID)...); err != nil {
		if isUnique(err) {
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
	s.listeners.Notify(c, t)
	return nil
}

var insertTransitionSQL = `INSERT INTO case_transitions(` + caserow.Columns(caserow.TransitionColumns) + `) VALUES (` + caserow.Placeholders(len(caserow.TransitionColumns)) + `)`

func insertTransition(ctx context.Context, tx *sql.Tx, t *cases.Transition) error {
	if _, err := tx.ExecContext(ctx, insertTransitionSQL, caserow.TransitionValues(t)...); err != nil {
		return fmt.Errorf("record transition of case %d: %w", t.CaseID, err)
	}
	return nil
}

// Update stores c and t if c.Version is still the stored version.
func (s *Store) Update(ctx context.Context, c *cases.Case, t *cases.Transition) (err error) {
	defer func() { err = gpkg.WriteError(err) }() // a full disk is 503, not 500
	s.mu.Lock()
	defer s.mu.Unlock()
	old := c.Version
	err = s.update(ctx, c, t, old)
	if err != nil {
		c.Version = old
		return err
	}
	s.listeners.Notify(c, t)
	return nil
}

func (s *Store) update(ctx context.Context, c *cases.Case, t *cases.Transition, old int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	defer tx.Rollback()
	c.Version = old + 1
	vals, err := caserow.CaseValues(c)
	if err != nil {
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE case_cases SET `+caseValuesSet+` WHERE id = ? AND version = ?`, append(vals[2:], c.ID, old)...)
	if err != nil {
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return s.Conflict(tx.QueryRowContext(ctx, `SELECT state, version FROM case_cases WHERE id = ?`, c.ID), c, t, old)
	}
	var seq int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM case_transitions WHERE case_id = ?`, c.ID).Scan(&seq); err != nil {
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	t.CaseID, t.Seq = c.ID, seq
	if err := insertTransition(ctx, tx, t); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	return nil
}

// AddAttachment records a stored file of a case.
func (s *Store) AddAttachment(ctx context.Context, a *cases.Attachment) (err error) {
	defer func() { err = gpkg.WriteError(err) }() // a full disk is 503, not 500
	s.mu.Lock()
	defer s.mu.Unlock()
	vals := caserow.AttachmentValues(a)
	res, err := s.db.ExecContext(ctx, `INSERT INTO case_attachments(`+caserow.Columns(caserow.AttachmentColumns[1:])+`) VALUES (`+caserow.Placeholders(len(vals)-1)+`)`, vals[1:]...)
	if err != nil {
		return fmt.Errorf("attach to case %d: %w", a.CaseID, err)
	}
	a.ID, _ = res.LastInsertId()
	return nil
}

// PutConfig stores a new version of the named configuration document and
// returns it. When ifVersion is not 0 it must be the current version, else
// the error is a *cases.VersionError.
func (s *Store) PutConfig(ctx context.Context, name string, body []byte, user string, ifVersion int64) (_ cases.ConfigDoc, err error) {
	defer func() { err = gpkg.WriteError(err) }()
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return cases.ConfigDoc{}, fmt.Errorf("config %s: %w", name, err)
	}
	defer tx.Rollback()
	// Write first (see Create), then check the version it got.
	at := time.Now().UTC()
	if _, err := tx.ExecContext(ctx, `INSERT INTO case_config(name, version, body, "user", at) SELECT ?, COALESCE(MAX(version), 0) + 1, ?, ?, ? FROM case_config WHERE name = ?`,
		name, string(body), user, caserow.MS(at), name); err != nil {
		return cases.ConfigDoc{}, fmt.Errorf("config %s: %w", name, err)
	}
	var v int64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM case_config WHERE name = ?`, name).Scan(&v); err != nil {
		return cases.ConfigDoc{}, fmt.Errorf("config %s: %w", name, err)
	}
	if ifVersion != 0 && ifVersion != v-1 {
		return cases.ConfigDoc{}, &cases.VersionError{Name: name, Current: v - 1}
	}
	d := cases.ConfigDoc{Name: name, Version: v, Body: body, User: user, At: at}
	if err := tx.Commit(); err != nil {
		return cases.ConfigDoc{}, fmt.Errorf("config %s: %w", name, err)
	}
	return d, nil
}

// MarkNotified records that a notification of kind for the case's deadline
// dueAt went out; it reports false when it had already been recorded.
func (s *Store) MarkNotified(ctx context.Context, caseID int64, kind string, dueAt time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO case_notifications(case_id, kind, due_at, sent_at) VALUES (?, ?, ?, ?)`, caseID, kind, caserow.MS(dueAt), caserow.MS(time.Now()))
	if err != nil {
		return false, fmt.Errorf("notification of case %d: %w", caseID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Has reports whether db holds the case tables, without creating them
// as New does: a GeoPackage that never ran the workflow has no cases to
// move.
func Has(ctx context.Context, db *sql.DB) (bool, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'case_cases'`).Scan(&n); err != nil {
		return false, fmt.Errorf("case tables: %w", err)
	}
	return n > 0, nil
}

// exec runs one write of the field tables under the store's write lock.
func (s *Store) exec(ctx context.Context, q string, args ...any) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
