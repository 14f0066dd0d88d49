package pgcases

import (
	"context"
	"fmt"
	"time"

	"citygrid/data"

	"github.com/jackc/pgx/v5"
)

// The API tokens of a PostgreSQL deployment live next to its cases
// (citygrid_tokens in the case schema), so every replica authenticates
// the same tokens and sees the same revocations (TokenRevocations is a
// database sequence value).

const pgTokenColumns = `id, "user", role, unit, note, created_at, expires_at, revoked_at`

func scanPGToken(row pgx.Row) (data.Token, error) {
	var t data.Token
	var role string
	var expires, revoked *time.Time
	if err := row.Scan(&t.ID, &t.Principal.User, &role, &t.Principal.Unit, &t.Note, &t.CreatedAt, &expires, &revoked); err != nil {
		return t, err
	}
	t.Principal.Role = data.Role(role)
	t.CreatedAt = t.CreatedAt.UTC()
	if expires != nil {
		t.ExpiresAt = expires.UTC()
	}
	if revoked != nil {
		t.RevokedAt = revoked.UTC()
	}
	return t, nil
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// CreateToken implements data.TokenStore.
func (s *Store) CreateToken(ctx context.Context, p data.Principal, note string, expiresAt time.Time) (string, data.Token, error) {
	// PostgreSQL keeps microseconds.
	tok, h, t, err := data.IssueToken(p, note, expiresAt, time.Microsecond)
	if err != nil {
		return "", data.Token{}, err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO citygrid_tokens (id, hash, "user", role, unit, note, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.ID, h[:], p.User, string(p.Role), p.Unit, note, t.CreatedAt, timeOrNil(t.ExpiresAt)); err != nil {
		return "", data.Token{}, fmt.Errorf("create token: %w", err)
	}
	return tok, t, nil
}

// TokenByHash implements data.TokenStore.
func (s *Store) TokenByHash(ctx context.Context, h data.TokenHash) (data.Token, error) {
	t, err := scanPGToken(s.pool.QueryRow(ctx, `SELECT `+pgTokenColumns+` FROM citygrid_tokens WHERE hash = $1`, h[:]))
	return data.FoundToken(t, err, pgx.ErrNoRows, h.ID(), "read")
}

// Tokens implements data.TokenStore.
func (s *Store) Tokens(ctx context.Context) ([]data.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pgTokenColumns+` FROM citygrid_tokens ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	return data.ListTokens(rows, func(r pgx.Rows) (data.Token, error) { return scanPGToken(r) })
}

// RevokeToken implements data.TokenStore; revoking a revoked token keeps
// its first revocation time.
func (s *Store) RevokeToken(ctx context.Context, id string) (data.Token, error) {
	if _, err := s.pool.Exec(ctx, `UPDATE citygrid_tokens SET revoked_at = $1, revocation = nextval('citygrid_token_revocations') WHERE id = $2 AND revoked_at IS NULL`,
		time.Now().UTC(), id); err != nil {
		return data.Token{}, fmt.Errorf("revoke token %s: %w", id, err)
	}
	t, err := scanPGToken(s.pool.QueryRow(ctx, `SELECT `+pgTokenColumns+` FROM citygrid_tokens WHERE id = $1`, id))
	return data.FoundToken(t, err, pgx.ErrNoRows, id, "revoke")
}

// TokenRevocations implements data.TokenStore.
func (s *Store) TokenRevocations(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(revocation), 0) FROM citygrid_tokens`).Scan(&n); err != nil {
		return 0, fmt.Errorf("token revocations: %w", err)
	}
	return n, nil
}
