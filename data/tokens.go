package data

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TokenPrefix starts every API token citygrid issues, so that a leaked
// token is recognisable to secret scanners and to a person reading a log.
const TokenPrefix = "cgt_"

// tokenSecretBytes is the entropy of a token: 256 bits from crypto/rand.
const tokenSecretBytes = 32

// Token is an issued API token as the store keeps it: never the token
// itself, only its SHA-256 hash and what it grants. SHA-256 without salt or
// stretching is enough because the token is 256 random bits: a slow,
// salted password hash defends low-entropy secrets against guessing, and
// nothing can guess 2^256; a fast hash keeps a store lookup per new token
// cheap and lets the server find a token by its hash with an index.
type Token struct {
	// ID is the token's public name (the first 12 hex digits of its hash):
	// what `citygrid token list` shows and `revoke` takes, and what a log
	// line names instead of the token.
	ID        string    `json:"id"`
	Principal Principal `json:"principal"`
	// Note says what the token is for ("dispatch console 3").
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is zero for a token that does not expire.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// RevokedAt is zero for a live token.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Valid reports whether t may authenticate at now.
func (t Token) Valid(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// TokenHash is the SHA-256 hash of a token, the only form that is stored.
type TokenHash [sha256.Size]byte

// HashToken hashes a presented token.
func HashToken(token string) TokenHash { return sha256.Sum256([]byte(token)) }

// ID returns the public id of the token with this hash.
func (h TokenHash) ID() string { return hex.EncodeToString(h[:6]) }

// NewToken returns a fresh random token (TokenPrefix and 43 base64url
// characters) and its hash.
func NewToken() (string, TokenHash, error) {
	var b [tokenSecretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", TokenHash{}, fmt.Errorf("new token: %w", err)
	}
	tok := TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return tok, HashToken(tok), nil
}

// CheckPrincipal validates what a token is to be issued for: a user, a
// known role and, exactly for unit handlers, a unit.
func CheckPrincipal(p Principal) error {
	if strings.TrimSpace(p.User) == "" || len(p.User) > 200 {
		return &ValidationError{Field: "user", Reason: "must be 1 to 200 characters"}
	}
	known := false
	for _, r := range Roles {
		known = known || r == p.Role
	}
	if !known {
		return &ValidationError{Field: "role", Reason: fmt.Sprintf("%q is not a role (want one of %v)", p.Role, Roles)}
	}
	if p.Role == RoleUnit && p.Unit == "" {
		return &ValidationError{Field: "unit", Reason: "a unit handler's token needs the department code of its unit"}
	}
	if p.Role != RoleUnit && p.Unit != "" {
		return &ValidationError{Field: "unit", Reason: fmt.Sprintf("only unit handlers act for a unit, not %s", p.Role)}
	}
	return nil
}

// TokenStore keeps issued tokens (implemented by data/gpkg).
type TokenStore interface {
	// CreateToken stores a new token for p and returns it; the token text
	// is returned only here and never stored.
	CreateToken(ctx context.Context, p Principal, note string, expiresAt time.Time) (token string, t Token, err error)
	// TokenByHash finds a token by hash, revoked and expired ones included,
	// or fails with ErrNotFound.
	TokenByHash(ctx context.Context, h TokenHash) (Token, error)
	// Tokens lists every token, newest first.
	Tokens(ctx context.Context) ([]Token, error)
	// RevokeToken revokes the token with this id (ErrNotFound if none).
	RevokeToken(ctx context.Context, id string) (Token, error)
	// TokenRevocations counts revocations ever made, so that a server can
	// notice a revocation made by another process and drop its cache.
	TokenRevocations(ctx context.Context) (int64, error)
}

// IssueToken checks a request for a token and makes it: the secret to
// hand out once, its hash and the record to store. Times are cut to
// resolution, the finest the store keeps, so that the record reads back
// as it was issued.
func IssueToken(p Principal, note string, expiresAt time.Time, resolution time.Duration) (string, TokenHash, Token, error) {
	if err := CheckPrincipal(p); err != nil {
		return "", TokenHash{}, Token{}, err
	}
	if len(note) > 500 {
		return "", TokenHash{}, Token{}, &ValidationError{Field: "note", Reason: "at most 500 characters"}
	}
	now := time.Now().UTC().Truncate(resolution)
	if !expiresAt.IsZero() && !expiresAt.After(now) {
		return "", TokenHash{}, Token{}, &ValidationError{Field: "expires", Reason: "lies in the past"}
	}
	tok, h, err := NewToken()
	if err != nil {
		return "", TokenHash{}, Token{}, err
	}
	t := Token{ID: h.ID(), Principal: p, Note: note, CreatedAt: now}
	if !expiresAt.IsZero() {
		t.ExpiresAt = expiresAt.UTC().Truncate(resolution)
	}
	return tok, h, t, nil
}

// TokenRows are the rows of a token listing (*sql.Rows, pgx.Rows).
type TokenRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ListTokens reads every row of a token listing with the store's scan.
func ListTokens[R TokenRows](rows R, scan func(R) (Token, error)) ([]Token, error) {
	var out []Token
	for rows.Next() {
		t, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// FoundToken is the answer of reading one token (named id; what the read
// was for): noRows, the driver's error for no row, is ErrNotFound.
func FoundToken(t Token, err, noRows error, id, what string) (Token, error) {
	if errors.Is(err, noRows) {
		return t, fmt.Errorf("token %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("%s token %s: %w", what, id, err)
	}
	return t, nil
}
