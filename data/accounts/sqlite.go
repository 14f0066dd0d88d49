package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"citygrid/data"
)

// SQLStore is the Store in an SQLite database — the GeoPackage file of a
// data directory (`(*gpkg.Store).DB()`), in tables of its own (account_*)
// versioned by account_schema, so that the account code evolves apart
// from the layer schema. Times are Unix microseconds. Every write is one
// statement, so SQLite's busy timeout is all the coordination another
// process writing the same file (the CLI beside a server) needs.
type SQLStore struct {
	db *sql.DB
}

var _ Store = (*SQLStore)(nil)

// sqliteMigrations are applied in order; account_schema records how many.
var sqliteMigrations = []string{
	`CREATE TABLE account_users (
		name TEXT PRIMARY KEY,
		display_name TEXT NOT NULL,
		roles TEXT NOT NULL,
		unit TEXT NOT NULL DEFAULT '',
		grid TEXT NOT NULL DEFAULT '',
		disabled INTEGER NOT NULL DEFAULT 0,
		password_hash TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL,
		password_changed_at INTEGER NOT NULL
	);
	CREATE TABLE account_sessions (
		hash BLOB PRIMARY KEY,
		id TEXT NOT NULL,
		user TEXT NOT NULL REFERENCES account_users(name),
		role TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		last_seen_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		revoked_at INTEGER,
		user_agent TEXT NOT NULL DEFAULT '',
		addr TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX account_sessions_user ON account_sessions(user, created_at);
	CREATE INDEX account_sessions_expires ON account_sessions(expires_at);`,
}

// NewSQLStore opens the account tables in db, creating or migrating them.
// A store already at the current version is only read, so a read-only
// file still signs people in (without updating last-seen times).
func NewSQLStore(ctx context.Context, db *sql.DB) (*SQLStore, error) {
	s := &SQLStore{db: db}
	var v int
	err := db.QueryRowContext(ctx, `SELECT version FROM account_schema`).Scan(&v)
	if err == nil && v == len(sqliteMigrations) {
		return s, nil
	}
	if err == nil && v > len(sqliteMigrations) {
		return nil, fmt.Errorf("account tables are version %d, this citygrid knows %d", v, len(sqliteMigrations))
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("account tables: %w", sqliteWriteError(err))
	}
	defer tx.Rollback()
	// The first statement writes, so this transaction holds the write lock
	// before it reads the version: two processes cannot both migrate.
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS account_schema (version INTEGER NOT NULL)`); err != nil {
		return nil, fmt.Errorf("account tables: %w", sqliteWriteError(err))
	}
	v = 0
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM account_schema`).Scan(&v); err != nil {
		return nil, fmt.Errorf("account tables: %w", err)
	}
	for i := v; i < len(sqliteMigrations); i++ {
		if _, err := tx.ExecContext(ctx, sqliteMigrations[i]); err != nil {
			return nil, fmt.Errorf("account migration %d: %w", i+1, sqliteWriteError(err))
		}
	}
	for _, q := range []string{`DELETE FROM account_schema`, `INSERT INTO account_schema (version) VALUES (` + strconv.Itoa(len(sqliteMigrations)) + `)`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("account tables: %w", sqliteWriteError(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("account tables: %w", sqliteWriteError(err))
	}
	return s, nil
}

// sqliteWriteError marks the SQLite errors that mean "cannot write now"
// (read-only, disk full, busy) with data.ErrUnavailable, as the other
// stores of the GeoPackage file do.
func sqliteWriteError(err error) error {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code {
	case sqlite3.ErrReadonly, sqlite3.ErrFull, sqlite3.ErrBusy, sqlite3.ErrLocked, sqlite3.ErrIoErr, sqlite3.ErrCantOpen:
		return fmt.Errorf("store cannot take writes (%v): %w", err, data.ErrUnavailable)
	}
	if se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey || se.ExtendedCode == sqlite3.ErrConstraintUnique {
		return fmt.Errorf("%v: %w", err, data.ErrConflict)
	}
	return err
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(n int64) time.Time { return time.UnixMicro(n).UTC() }

const sqliteUserColumns = `name, display_name, roles, unit, grid, disabled, password_hash, created_at, updated_at, password_changed_at`

func scanSQLiteUser(sc interface{ Scan(...any) error }) (User, string, error) {
	var u User
	var roles, hash string
	var created, updated, changed int64
	if err := sc.Scan(&u.Name, &u.DisplayName, &roles, &u.Unit, &u.Grid, &u.Disabled, &hash, &created, &updated, &changed); err != nil {
		return u, "", err
	}
	u.Roles = splitRoles(roles)
	u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = fromMicros(created), fromMicros(updated), fromMicros(changed)
	return u, hash, nil
}

// joinRoles and splitRoles store roles as one comma-separated column:
// every write of a user is then one row.
func joinRoles(rs []data.Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ",")
}

func splitRoles(s string) []data.Role {
	var rs []data.Role
	for _, r := range strings.Split(s, ",") {
		if r != "" {
			rs = append(rs, data.Role(r))
		}
	}
	return rs
}

// CreateUser implements Store.
func (s *SQLStore) CreateUser(ctx context.Context, u User, hash string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO account_users (`+sqliteUserColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.Name, u.DisplayName, joinRoles(u.Roles), u.Unit, u.Grid, u.Disabled, hash, micros(u.CreatedAt), micros(u.UpdatedAt), micros(u.PasswordChangedAt))
	if err != nil {
		err = sqliteWriteError(err)
		if errors.Is(err, data.ErrConflict) {
			return fmt.Errorf("user %s exists: %w", u.Name, data.ErrConflict)
		}
		return err
	}
	return nil
}

// User implements Store.
func (s *SQLStore) User(ctx context.Context, name string) (User, string, error) {
	u, hash, err := scanSQLiteUser(s.db.QueryRowContext(ctx, `SELECT `+sqliteUserColumns+` FROM account_users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, "", fmt.Errorf("user %s: %w", name, data.ErrNotFound)
	}
	if err != nil {
		return User{}, "", fmt.Errorf("read user %s: %w", name, err)
	}
	return u, hash, nil
}

// Users implements Store.
func (s *SQLStore) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+sqliteUserColumns+` FROM account_users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, _, err := scanSQLiteUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// exec runs one write and fails with data.ErrNotFound when it touched no
// row.
func (s *SQLStore) exec(ctx context.Context, what string, q string, args ...any) error {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, sqliteWriteError(err))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%s: %w", what, data.ErrNotFound)
	}
	return nil
}

// UpdateUser implements Store.
func (s *SQLStore) UpdateUser(ctx context.Context, u User) error {
	return s.exec(ctx, "update user "+u.Name, `UPDATE account_users SET display_name = ?, roles = ?, unit = ?, grid = ?, disabled = ?, updated_at = ? WHERE name = ?`,
		u.DisplayName, joinRoles(u.Roles), u.Unit, u.Grid, u.Disabled, micros(u.UpdatedAt), u.Name)
}

// SetPasswordHash implements Store.
func (s *SQLStore) SetPasswordHash(ctx context.Context, name, hash string, changedAt time.Time) error {
	if changedAt.IsZero() {
		return s.exec(ctx, "set password of "+name, `UPDATE account_users SET password_hash = ? WHERE name = ?`, hash, name)
	}
	return s.exec(ctx, "set password of "+name, `UPDATE account_users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE name = ?`,
		hash, micros(changedAt), micros(changedAt), name)
}

const sqliteSessionColumns = `id, user, role, created_at, last_seen_at, expires_at, COALESCE(revoked_at, 0), user_agent, addr`

func scanSQLiteSession(sc interface{ Scan(...any) error }) (Session, error) {
	var x Session
	var role string
	var created, seen, expires, revoked int64
	if err := sc.Scan(&x.ID, &x.User, &role, &created, &seen, &expires, &revoked, &x.UserAgent, &x.Addr); err != nil {
		return x, err
	}
	x.Role = data.Role(role)
	x.CreatedAt, x.LastSeenAt, x.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	if revoked != 0 {
		x.RevokedAt = fromMicros(revoked)
	}
	return x, nil
}

// CreateSession implements Store.
func (s *SQLStore) CreateSession(ctx context.Context, x Session, h SessionHash) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO account_sessions (hash, id, user, role, created_at, last_seen_at, expires_at, user_agent, addr)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, h[:], x.ID, x.User, string(x.Role), micros(x.CreatedAt), micros(x.LastSeenAt), micros(x.ExpiresAt), x.UserAgent, x.Addr); err != nil {
		return fmt.Errorf("create session %s: %w", x.ID, sqliteWriteError(err))
	}
	return nil
}

// SessionByHash implements Store.
func (s *SQLStore) SessionByHash(ctx context.Context, h SessionHash) (Session, error) {
	x, err := scanSQLiteSession(s.db.QueryRowContext(ctx, `SELECT `+sqliteSessionColumns+` FROM account_sessions WHERE hash = ?`, h[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session %s: %w", h.ID(), data.ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session %s: %w", h.ID(), err)
	}
	return x, nil
}

// TouchSession implements Store. It only moves LastSeenAt forward, so
// requests finishing out of order never set it back.
func (s *SQLStore) TouchSession(ctx context.Context, h SessionHash, lastSeen time.Time) error {
	return s.exec(ctx, "touch session "+h.ID(), `UPDATE account_sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE hash = ?`, micros(lastSeen), h[:])
}

// SetSessionRole implements Store.
func (s *SQLStore) SetSessionRole(ctx context.Context, h SessionHash, role data.Role, at time.Time) error {
	return s.exec(ctx, "set role of session "+h.ID(), `UPDATE account_sessions SET role = ?, last_seen_at = MAX(last_seen_at, ?) WHERE hash = ?`, string(role), micros(at), h[:])
}

// Sessions implements Store.
func (s *SQLStore) Sessions(ctx context.Context, user string, now time.Time) ([]Session, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+sqliteSessionColumns+` FROM account_sessions
		WHERE user = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC, id`, user, micros(now))
	if err != nil {
		return nil, fmt.Errorf("sessions of %s: %w", user, err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		x, err := scanSQLiteSession(rows)
		if err != nil {
			return nil, fmt.Errorf("sessions of %s: %w", user, err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// RevokeSession implements Store. Revoking a revoked session succeeds and
// keeps the first revocation time.
func (s *SQLStore) RevokeSession(ctx context.Context, user, id string, at time.Time) error {
	return s.exec(ctx, "revoke session "+id, `UPDATE account_sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE user = ? AND id = ?`, micros(at), user, id)
}

// RevokeSessions implements Store.
func (s *SQLStore) RevokeSessions(ctx context.Context, user, except string, at time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE account_sessions SET revoked_at = ? WHERE user = ? AND id <> ? AND revoked_at IS NULL AND expires_at > ?`,
		micros(at), user, except, micros(at))
	if err != nil {
		return 0, fmt.Errorf("revoke sessions of %s: %w", user, sqliteWriteError(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// PruneSessions implements Store.
func (s *SQLStore) PruneSessions(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM account_sessions WHERE expires_at < ? OR revoked_at < ?`, micros(before), micros(before))
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", sqliteWriteError(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// SQLDirectory is the Directory of a GeoPackage file: its departments and
// inspector work grids tables (the same tables and columns in a PostgreSQL
// store, see PGStore.Directory).
type SQLDirectory struct{ DB *sql.DB }

// DepartmentName implements Directory.
func (d SQLDirectory) DepartmentName(ctx context.Context, code string) (string, error) {
	return d.name(ctx, `SELECT name FROM departments WHERE code = ?`, code)
}

// InspectorGridName implements Directory.
func (d SQLDirectory) InspectorGridName(ctx context.Context, code string) (string, error) {
	return d.name(ctx, `SELECT name FROM management_grids WHERE kind = '`+data.KindInspector+`' AND code = ?`, code)
}

func (d SQLDirectory) name(ctx context.Context, q, code string) (string, error) {
	var n string
	err := d.DB.QueryRowContext(ctx, q, code).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%s: %w", code, data.ErrNotFound)
	}
	return n, err
}

// DatasetDirectory is the Directory of a city in memory (the server's
// loaded dataset, the demo city before it is stored).
type DatasetDirectory struct {
	departments, grids map[string]string
}

// NewDatasetDirectory indexes ds's departments and inspector work grids.
func NewDatasetDirectory(ds *data.Dataset) *DatasetDirectory {
	d := &DatasetDirectory{departments: map[string]string{}, grids: map[string]string{}}
	for _, x := range ds.Departments {
		d.departments[x.Code] = x.Name
	}
	for _, g := range ds.ManagementGrids {
		if g.Kind == data.KindInspector {
			d.grids[g.Code] = g.Name
		}
	}
	return d
}

// DepartmentName implements Directory.
func (d *DatasetDirectory) DepartmentName(_ context.Context, code string) (string, error) {
	if n, ok := d.departments[code]; ok {
		return n, nil
	}
	return "", fmt.Errorf("department %s: %w", code, data.ErrNotFound)
}

// InspectorGridName implements Directory.
func (d *DatasetDirectory) InspectorGridName(_ context.Context, code string) (string, error) {
	if n, ok := d.grids[code]; ok {
		return n, nil
	}
	return "", fmt.Errorf("inspector grid %s: %w", code, data.ErrNotFound)
}
