package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"citygrid/data"
	"citygrid/data/pgschema"
)

// DefaultPGSchema is the schema OpenPG uses when given none. Accounts
// live in a schema of their own, beside the city (citygrid_store) and the
// cases and tokens (citygrid_cases), so that every replica of a
// deployment signs in the same users and sees the same sessions.
const DefaultPGSchema = "citygrid_accounts"

// PGStore is the Store in PostgreSQL.
type PGStore struct {
	pool   *pgxpool.Pool
	schema string
}

var _ Store = (*PGStore)(nil)

// pgMigrations are applied in order inside the store's schema;
// account_schema records which.
var pgMigrations = []string{
	`CREATE TABLE account_users (
		name text PRIMARY KEY,
		display_name text NOT NULL,
		roles text[] NOT NULL,
		unit text NOT NULL DEFAULT '',
		grid text NOT NULL DEFAULT '',
		disabled boolean NOT NULL DEFAULT false,
		password_hash text NOT NULL,
		created_at timestamptz NOT NULL,
		updated_at timestamptz NOT NULL,
		password_changed_at timestamptz NOT NULL
	);
	CREATE TABLE account_sessions (
		hash bytea PRIMARY KEY,
		id text NOT NULL,
		"user" text NOT NULL REFERENCES account_users(name),
		role text NOT NULL,
		created_at timestamptz NOT NULL,
		last_seen_at timestamptz NOT NULL,
		expires_at timestamptz NOT NULL,
		revoked_at timestamptz,
		user_agent text NOT NULL DEFAULT '',
		addr text NOT NULL DEFAULT ''
	);
	CREATE INDEX account_sessions_user ON account_sessions("user", created_at);
	CREATE INDEX account_sessions_expires ON account_sessions(expires_at);`,
}

// OpenPG connects to the database at url and opens the account tables in
// schema (DefaultPGSchema when empty), creating or migrating them.
func OpenPG(ctx context.Context, url, schema string) (*PGStore, error) {
	if schema == "" {
		schema = DefaultPGSchema
	}
	if !pgschema.ValidName(schema) {
		return nil, fmt.Errorf("account store: schema %q: want a lower-case SQL identifier", schema)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("account store: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	// Sign-ins are rare and short: a few connections are plenty.
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("account store: %w", err)
	}
	s := &PGStore{pool: pool, schema: schema}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *PGStore) migrate(ctx context.Context) error {
	return pgschema.Migrate(ctx, s.pool, pgschema.Plan{What: "account store", Schema: s.schema, Table: "account_schema",
		Lock: "citygrid account schema", Steps: pgMigrations})
}

// Close releases the connections.
func (s *PGStore) Close() error {
	s.pool.Close()
	return nil
}

// Schema returns the schema the tables live in.
func (s *PGStore) Schema() string { return s.schema }

// DropSchema removes the schema and everything in it (tests).
func (s *PGStore) DropSchema(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+s.schema+` CASCADE`)
	return err
}

const pgUserColumns = `name, display_name, roles, unit, grid, disabled, password_hash, created_at, updated_at, password_changed_at`

func scanPGUser(row pgx.Row) (User, string, error) {
	var u User
	var roles []string
	var hash string
	if err := row.Scan(&u.Name, &u.DisplayName, &roles, &u.Unit, &u.Grid, &u.Disabled, &hash, &u.CreatedAt, &u.UpdatedAt, &u.PasswordChangedAt); err != nil {
		return u, "", err
	}
	for _, r := range roles {
		u.Roles = append(u.Roles, data.Role(r))
	}
	u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC(), u.PasswordChangedAt.UTC()
	return u, hash, nil
}

func roleStrings(rs []data.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// pgWriteError marks a unique violation with data.ErrConflict.
func pgWriteError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%v: %w", err, data.ErrConflict)
	}
	return err
}

// CreateUser implements Store.
func (s *PGStore) CreateUser(ctx context.Context, u User, hash string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO account_users (`+pgUserColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		u.Name, u.DisplayName, roleStrings(u.Roles), u.Unit, u.Grid, u.Disabled, hash, u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt)
	if err != nil {
		err = pgWriteError(err)
		if errors.Is(err, data.ErrConflict) {
			return fmt.Errorf("user %s exists: %w", u.Name, data.ErrConflict)
		}
		return err
	}
	return nil
}

// User implements Store.
func (s *PGStore) User(ctx context.Context, name string) (User, string, error) {
	u, hash, err := scanPGUser(s.pool.QueryRow(ctx, `SELECT `+pgUserColumns+` FROM account_users WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, "", fmt.Errorf("user %s: %w", name, data.ErrNotFound)
	}
	if err != nil {
		return User{}, "", fmt.Errorf("read user %s: %w", name, err)
	}
	return u, hash, nil
}

// Users implements Store.
func (s *PGStore) Users(ctx context.Context) ([]User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pgUserColumns+` FROM account_users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, _, err := scanPGUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// exec runs one write and fails with data.ErrNotFound when it touched no
// row.
func (s *PGStore) exec(ctx context.Context, what, q string, args ...any) error {
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, pgWriteError(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", what, data.ErrNotFound)
	}
	return nil
}

// UpdateUser implements Store.
func (s *PGStore) UpdateUser(ctx context.Context, u User) error {
	return s.exec(ctx, "update user "+u.Name, `UPDATE account_users SET display_name = $1, roles = $2, unit = $3, grid = $4, disabled = $5, updated_at = $6 WHERE name = $7`,
		u.DisplayName, roleStrings(u.Roles), u.Unit, u.Grid, u.Disabled, u.UpdatedAt, u.Name)
}

// SetPasswordHash implements Store.
func (s *PGStore) SetPasswordHash(ctx context.Context, name, hash string, changedAt time.Time) error {
	if changedAt.IsZero() {
		return s.exec(ctx, "set password of "+name, `UPDATE account_users SET password_hash = $1 WHERE name = $2`, hash, name)
	}
	return s.exec(ctx, "set password of "+name, `UPDATE account_users SET password_hash = $1, password_changed_at = $2, updated_at = $2 WHERE name = $3`,
		hash, changedAt, name)
}

const pgSessionColumns = `id, "user", role, created_at, last_seen_at, expires_at, revoked_at, user_agent, addr`

func scanPGSession(row pgx.Row) (Session, error) {
	var x Session
	var role string
	var revoked *time.Time
	if err := row.Scan(&x.ID, &x.User, &role, &x.CreatedAt, &x.LastSeenAt, &x.ExpiresAt, &revoked, &x.UserAgent, &x.Addr); err != nil {
		return x, err
	}
	x.Role = data.Role(role)
	x.CreatedAt, x.LastSeenAt, x.ExpiresAt = x.CreatedAt.UTC(), x.LastSeenAt.UTC(), x.ExpiresAt.UTC()
	if revoked != nil {
		x.RevokedAt = revoked.UTC()
	}
	return x, nil
}

// CreateSession implements Store.
func (s *PGStore) CreateSession(ctx context.Context, x Session, h SessionHash) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO account_sessions (hash, id, "user", role, created_at, last_seen_at, expires_at, user_agent, addr)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, h[:], x.ID, x.User, string(x.Role), x.CreatedAt, x.LastSeenAt, x.ExpiresAt, x.UserAgent, x.Addr); err != nil {
		return fmt.Errorf("create session %s: %w", x.ID, pgWriteError(err))
	}
	return nil
}

// SessionByHash implements Store.
func (s *PGStore) SessionByHash(ctx context.Context, h SessionHash) (Session, error) {
	x, err := scanPGSession(s.pool.QueryRow(ctx, `SELECT `+pgSessionColumns+` FROM account_sessions WHERE hash = $1`, h[:]))
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, fmt.Errorf("session %s: %w", h.ID(), data.ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session %s: %w", h.ID(), err)
	}
	return x, nil
}

// TouchSession implements Store. It only moves LastSeenAt forward, so
// requests finishing out of order never set it back.
func (s *PGStore) TouchSession(ctx context.Context, h SessionHash, lastSeen time.Time) error {
	return s.exec(ctx, "touch session "+h.ID(), `UPDATE account_sessions SET last_seen_at = GREATEST(last_seen_at, $1) WHERE hash = $2`, lastSeen, h[:])
}

// SetSessionRole implements Store.
func (s *PGStore) SetSessionRole(ctx context.Context, h SessionHash, role data.Role, at time.Time) error {
	return s.exec(ctx, "set role of session "+h.ID(), `UPDATE account_sessions SET role = $1, last_seen_at = GREATEST(last_seen_at, $2) WHERE hash = $3`, string(role), at, h[:])
}

// Sessions implements Store.
func (s *PGStore) Sessions(ctx context.Context, user string, now time.Time) ([]Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pgSessionColumns+` FROM account_sessions
		WHERE "user" = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC, id`, user, now)
	if err != nil {
		return nil, fmt.Errorf("sessions of %s: %w", user, err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		x, err := scanPGSession(rows)
		if err != nil {
			return nil, fmt.Errorf("sessions of %s: %w", user, err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// RevokeSession implements Store; revoking a revoked session keeps the
// first revocation time.
func (s *PGStore) RevokeSession(ctx context.Context, user, id string, at time.Time) error {
	return s.exec(ctx, "revoke session "+id, `UPDATE account_sessions SET revoked_at = COALESCE(revoked_at, $1) WHERE "user" = $2 AND id = $3`, at, user, id)
}

// RevokeSessions implements Store.
func (s *PGStore) RevokeSessions(ctx context.Context, user, except string, at time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE account_sessions SET revoked_at = $1 WHERE "user" = $2 AND id <> $3 AND revoked_at IS NULL AND expires_at > $1`,
		at, user, except)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions of %s: %w", user, err)
	}
	return int(tag.RowsAffected()), nil
}

// PruneSessions implements Store.
func (s *PGStore) PruneSessions(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM account_sessions WHERE expires_at < $1 OR revoked_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Directory returns the Directory of the city stored in this database's
// citySchema (the pgstore schema, citygrid_store by default): its
// departments and inspector work grids tables.
func (s *PGStore) Directory(citySchema string) (Directory, error) {
	if !pgschema.ValidName(citySchema) {
		return nil, fmt.Errorf("city schema %q: want a lower-case SQL identifier", citySchema)
	}
	return pgDirectory{pool: s.pool, schema: citySchema}, nil
}

type pgDirectory struct {
	pool   *pgxpool.Pool
	schema string
}

func (d pgDirectory) DepartmentName(ctx context.Context, code string) (string, error) {
	return d.name(ctx, `SELECT name FROM `+d.schema+`.departments WHERE code = $1`, code)
}

func (d pgDirectory) InspectorGridName(ctx context.Context, code string) (string, error) {
	return d.name(ctx, `SELECT name FROM `+d.schema+`.management_grids WHERE kind = '`+data.KindInspector+`' AND code = $1`, code)
}

func (d pgDirectory) name(ctx context.Context, q, code string) (string, error) {
	var n string
	err := d.pool.QueryRow(ctx, q, code).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("%s: %w", code, data.ErrNotFound)
	}
	return n, err
}
