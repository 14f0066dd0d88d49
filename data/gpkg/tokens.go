package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mattn/go-sqlite3"

	"citygrid/data"
)

// The token tables are not part of the GeoPackage schema migrations: they
// are created on first use and versioned in their own table,
// citygrid_token_schema, so that the API-token code evolves independently
// of the layer schema.
const tokenSchemaVersion = 1

var _ data.TokenStore = (*Store)(nil)

// ensureTokens creates the token tables when they are missing (one small
// read when they exist). A store that already has them is only read, so a
// read-only store still authenticates.
func (s *Store) ensureTokens(ctx context.Context) error {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT version FROM citygrid_token_schema`).Scan(&v)
	if err == nil && v >= tokenSchemaVersion {
		if v > tokenSchemaVersion {
			return fmt.Errorf("token tables are version %d, this citygrid knows %d: %w", v, tokenSchemaVersion, ErrNewerSchema)
		}
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("token tables: %w", writeError(err))
	}
	defer tx.Rollback()
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS citygrid_token_schema (version INTEGER NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS citygrid_tokens (
			id TEXT PRIMARY KEY,
			hash BLOB NOT NULL UNIQUE,
			user TEXT NOT NULL,
			role TEXT NOT NULL,
			unit TEXT NOT NULL DEFAULT '',
			note TEXT NOT NULL DEFAULT '',
			created_at TEXT NOT NULL,
			expires_at TEXT NOT NULL DEFAULT '',
			revoked_at TEXT NOT NULL DEFAULT '',
			revocation INTEGER NOT NULL DEFAULT 0)`,
		`DELETE FROM citygrid_token_schema`,
		`INSERT INTO citygrid_token_schema (version) VALUES (1)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("token tables: %w", writeError(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("token tables: %w", writeError(err))
	}
	return nil
}

// writeError marks the SQLite errors that mean "the store cannot take
// writes now" — a read-only file or directory, a full disk, a locked
// database after the busy timeout — with data.ErrUnavailable, so that the
// API answers 503 naming the problem instead of 500.
func writeError(err error) error {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code {
	case sqlite3.ErrReadonly:
		return fmt.Errorf("store is read-only (%v): %w", err, data.ErrUnavailable)
	case sqlite3.ErrFull:
		return fmt.Errorf("disk full (%v): %w", err, data.ErrUnavailable)
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		return fmt.Errorf("store is busy (%v): %w", err, data.ErrUnavailable)
	case sqlite3.ErrIoErr, sqlite3.ErrCantOpen:
		return fmt.Errorf("store I/O error (%v): %w", err, data.ErrUnavailable)
	}
	return err
}

// WriteError classifies an error from a store write like the token code
// does (read-only, disk full, busy → data.ErrUnavailable); other store
// writers may use it so that every write endpoint fails the same way.
func WriteError(err error) error { return writeError(err) }

const tokenTime = time.RFC3339Nano

// CreateToken implements data.TokenStore.
func (s *Store) CreateToken(ctx context.Context, p data.Principal, note string, expiresAt time.Time) (string, data.Token, error) {
	tok, h, t, err := data.IssueToken(p, note, expiresAt, 0)
	if err != nil {
		return "", data.Token{}, err
	}
	if err := s.ensureTokens(ctx); err != nil {
		return "", data.Token{}, err
	}
	// Token writes take the store's writer lock like the edits do: an
	// edit's deferred transaction that read before this commit could not
	// upgrade to a write and would fail with "database is locked".
	s.mu.Lock()
	defer s.mu.Unlock()
	exp := ""
	if !t.ExpiresAt.IsZero() {
		exp = t.ExpiresAt.Format(tokenTime)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO citygrid_tokens (id, hash, user, role, unit, note, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, t.ID, h[:], p.User, string(p.Role), p.Unit, note, t.CreatedAt.Format(tokenTime), exp)
	if err != nil {
		return "", data.Token{}, fmt.Errorf("create token: %w", writeError(err))
	}
	return tok, t, nil
}

const tokenColumns = `id, user, role, unit, note, created_at, expires_at, revoked_at`

func scanToken(sc interface{ Scan(...any) error }) (data.Token, error) {
	var t data.Token
	var role, created, expires, revoked string
	if err := sc.Scan(&t.ID, &t.Principal.User, &role, &t.Principal.Unit, &t.Note, &created, &expires, &revoked); err != nil {
		return t, err
	}
	t.Principal.Role = data.Role(role)
	var err error
	if t.CreatedAt, err = time.Parse(tokenTime, created); err != nil {
		return t, fmt.Errorf("token %s created_at: %w", t.ID, err)
	}
	if expires != "" {
		if t.ExpiresAt, err = time.Parse(tokenTime, expires); err != nil {
			return t, fmt.Errorf("token %s expires_at: %w", t.ID, err)
		}
	}
	if revoked != "" {
		if t.RevokedAt, err = time.Parse(tokenTime, revoked); err != nil {
			return t, fmt.Errorf("token %s revoked_at: %w", t.ID, err)
		}
	}
	return t, nil
}

// TokenByHash implements data.TokenStore.
func (s *Store) TokenByHash(ctx context.Context, h data.TokenHash) (data.Token, error) {
	if err := s.ensureTokens(ctx); err != nil {
		return data.Token{}, err
	}
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM citygrid_tokens WHERE hash = ?`, h[:]))
	return data.FoundToken(t, err, sql.ErrNoRows, h.ID(), "read")
}

// Tokens implements data.TokenStore.
func (s *Store) Tokens(ctx context.Context) ([]data.Token, error) {
	if err := s.ensureTokens(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenColumns+` FROM citygrid_tokens ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	return data.ListTokens(rows, func(r *sql.Rows) (data.Token, error) { return scanToken(r) })
}

// RevokeToken implements data.TokenStore. Revoking a revoked token
// succeeds and keeps the first revocation time.
func (s *Store) RevokeToken(ctx context.Context, id string) (data.Token, error) {
	if err := s.ensureTokens(ctx); err != nil {
		return data.Token{}, err
	}
	now := time.Now().UTC().Format(tokenTime)
	s.mu.Lock()
	_, err := s.db.ExecContext(ctx, `UPDATE citygrid_tokens
		SET revoked_at = ?, revocation = (SELECT COALESCE(MAX(revocation), 0) + 1 FROM citygrid_tokens)
		WHERE id = ? AND revoked_at = ''`, now, id)
	s.mu.Unlock()
	if err != nil {
		return data.Token{}, fmt.Errorf("revoke token %s: %w", id, writeError(err))
	}
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM citygrid_tokens WHERE id = ?`, id))
	return data.FoundToken(t, err, sql.ErrNoRows, id, "revoke")
}

// TokenRevocations implements data.TokenStore.
func (s *Store) TokenRevocations(ctx context.Context) (int64, error) {
	if err := s.ensureTokens(ctx); err != nil {
		return 0, err
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(revocation), 0) FROM citygrid_tokens`).Scan(&n); err != nil {
		return 0, fmt.Errorf("token revocations: %w", err)
	}
	return n, nil
}
