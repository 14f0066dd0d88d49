// Package accounts keeps the people who sign in to citygrid's screens:
// users with a password hash (argon2id), one or more roles and, for unit
// handlers, their department; browser sessions stored only as hashes with
// idle and absolute timeouts; and a limiter that slows password guessing per
// account and per address. Service is what the HTTP layer calls; it knows
// nothing of HTTP. Bearer tokens for machines stay in data.TokenStore.
//
// Two stores implement Store: SQLStore in the GeoPackage file of a data
// directory and PGStore in PostgreSQL for replicas; accountstest runs one
// suite against both.
package accounts

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"citygrid/data"
)

// User is a person who signs in (an account). The password hash is kept
// apart from it (Store.User returns it separately) so that a User can be
// listed, logged and encoded without it.
type User struct {
	// Name is the sign-in name: 2 to 64 lower-case ASCII letters, digits,
	// dots, dashes and underscores, unique. Sign-in lower-cases what is typed.
	Name string `json:"name"`
	// DisplayName is the person's name as colleagues read it (张伟).
	DisplayName string `json:"display_name"`
	// Roles are the posts the user holds, at least one. A session acts in
	// one of them at a time (Session.Role), so that every case transition
	// records one role as today.
	Roles []data.Role `json:"roles"`
	// Unit is the department code of a unit handler; set exactly when Roles
	// holds data.RoleUnit.
	Unit string `json:"unit,omitempty"`
	// Grid is the inspector work grid (监督员工作网格) an inspector walks, a
	// management grid code of kind data.KindInspector; only for inspectors,
	// optional.
	Grid string `json:"grid,omitempty"`
	// Disabled users cannot sign in and their sessions end.
	Disabled          bool      `json:"disabled"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	PasswordChangedAt time.Time `json:"password_changed_at"`
}

// HasRole reports whether u holds role r.
func (u User) HasRole(r data.Role) bool { return slices.Contains(u.Roles, r) }

// Principal is who u is when acting in role r: the unit only for the unit
// role, as data.CheckPrincipal wants it.
func (u User) Principal(r data.Role) data.Principal {
	p := data.Principal{User: u.Name, Role: r}
	if r == data.RoleUnit {
		p.Unit = u.Unit
	}
	return p
}

// Session is a signed-in browser. The store keeps only the SHA-256 hash of
// its secret, like API tokens: the secret has 256 random bits, so a fast
// unsalted hash is as safe as a slow one and can be looked up by index.
type Session struct {
	// ID is the session's public name, the first 12 hex digits of its
	// hash: what a "signed in elsewhere" list shows and revoke-one takes,
	// and what a log line names instead of the secret.
	ID   string `json:"id"`
	User string `json:"user"`
	// Role is the role the session acts in, one of the user's roles.
	Role       data.Role `json:"role"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	// ExpiresAt is the absolute end, however active the session is.
	ExpiresAt time.Time `json:"expires_at"`
	// RevokedAt is zero for a live session.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// UserAgent and Addr describe where the session was opened, for the
	// list of the user's sessions.
	UserAgent string `json:"user_agent,omitempty"`
	Addr      string `json:"addr,omitempty"`
}

// Valid reports whether s may authenticate at now, given the idle timeout.
func (s Session) Valid(now time.Time, idle time.Duration) bool {
	return s.RevokedAt.IsZero() && now.Before(s.ExpiresAt) && now.Before(s.LastSeenAt.Add(idle))
}

// SessionPrefix starts every session secret, so that a leaked one is
// recognisable (API tokens start with data.TokenPrefix).
const SessionPrefix = "cgs_"

// SessionHash is the SHA-256 hash of a session secret, the only form
// stored.
type SessionHash [sha256.Size]byte

// HashSession hashes a presented session secret.
func HashSession(secret string) SessionHash { return sha256.Sum256([]byte(secret)) }

// ID returns the public id of the session with this hash.
func (h SessionHash) ID() string { return hex.EncodeToString(h[:6]) }

// CSRFToken returns the anti-forgery token of the session with this
// secret: a hash of the secret under its own label, so it needs no
// storage, differs from the stored hash and cannot be made without the
// cookie that another site can neither read nor set.
func CSRFToken(secret string) string {
	sum := sha256.Sum256([]byte("citygrid csrf\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// CheckCSRF reports, in constant time, whether token is the CSRF token of
// the session with this secret.
func CheckCSRF(secret, token string) bool {
	return subtle.ConstantTimeCompare([]byte(CSRFToken(secret)), []byte(token)) == 1
}

// Errors of sign-in and sessions, for the HTTP layer to map to statuses.
// Each wraps the data sentinel of its status class, so the existing error
// → status function already answers them correctly.
var (
	// ErrBadCredentials: unknown user or wrong password (401). The two are
	// not told apart.
	ErrBadCredentials = fmt.Errorf("wrong user name or password: %w", data.ErrUnauthorized)
	// ErrDisabled: the password was right but the account is disabled
	// (403).
	ErrDisabled = fmt.Errorf("account disabled: %w", data.ErrForbidden)
	// ErrNoSession: the session is unknown, expired, revoked or its user
	// disabled (401).
	ErrNoSession = fmt.Errorf("no valid session: %w", data.ErrUnauthorized)
	// ErrLocked: too many failed sign-ins for the account or from the
	// address (429); the error is a *LockedError with the wait.
	ErrLocked = fmt.Errorf("too many failed sign-ins: %w", data.ErrTooManyRequests)
)

// LockedError is a sign-in refused by the limiter; RetryAfter says when
// the next attempt is taken.
type LockedError struct {
	// Scope is "account" or "address".
	Scope      string
	RetryAfter time.Duration
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("too many failed sign-ins for this %s: retry in %s", e.Scope, e.RetryAfter.Round(time.Second))
}

// Unwrap makes errors.Is(err, ErrLocked) and data.ErrTooManyRequests hold.
func (e *LockedError) Unwrap() error { return ErrLocked }

// ErrorDetails gives the client the wait in seconds (data.Detailer).
func (e *LockedError) ErrorDetails() any {
	return map[string]any{"scope": e.Scope, "retry_after_seconds": int((e.RetryAfter + time.Second - 1) / time.Second)}
}

var userName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// NormalizeName is how a typed user name is matched: trimmed and
// lower-cased.
func NormalizeName(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// Directory says which departments and inspector work grids exist, so that
// a unit user names a real department and an inspector a real grid.
type Directory interface {
	// DepartmentName returns the name of the department with this code, or
	// fails with data.ErrNotFound.
	DepartmentName(ctx context.Context, code string) (string, error)
	// InspectorGridName returns the name of the inspector work grid with
	// this code, or fails with data.ErrNotFound.
	InspectorGridName(ctx context.Context, code string) (string, error)
}

// checkUser validates u (already normalised) against the rules and the
// directory, collecting every problem.
func checkUser(ctx context.Context, u *User, dir Directory) error {
	var es data.ValidationErrors
	bad := func(field, reason string) { es = append(es, &data.ValidationError{Field: field, Reason: reason}) }
	if !userName.MatchString(u.Name) {
		bad("name", "must be 2 to 64 lower-case letters, digits, '.', '-' or '_', starting with a letter or digit")
	}
	if n := utf8.RuneCountInString(u.DisplayName); n == 0 || n > 64 || !utf8.ValidString(u.DisplayName) {
		bad("display_name", "must be 1 to 64 characters")
	}
	if len(u.Roles) == 0 {
		bad("roles", "at least one role")
	}
	seen := map[data.Role]bool{}
	for _, r := range u.Roles {
		if !slices.Contains(data.Roles, r) {
			bad("roles", fmt.Sprintf("%q is not a role (want one of %v)", r, data.Roles))
		} else if seen[r] {
			bad("roles", fmt.Sprintf("%q given twice", r))
		}
		seen[r] = true
	}
	switch {
	case seen[data.RoleUnit] && u.Unit == "":
		bad("unit", "a unit handler needs the department code of their unit")
	case !seen[data.RoleUnit] && u.Unit != "":
		bad("unit", "only unit handlers belong to a unit")
	case u.Unit != "":
		if _, err := dir.DepartmentName(ctx, u.Unit); errors.Is(err, data.ErrNotFound) {
			bad("unit", fmt.Sprintf("no department has code %q", u.Unit))
		} else if err != nil {
			return fmt.Errorf("check unit %s: %w", u.Unit, err)
		}
	}
	switch {
	case !seen[data.RoleInspector] && u.Grid != "":
		bad("grid", "only inspectors walk a work grid")
	case u.Grid != "":
		if _, err := dir.InspectorGridName(ctx, u.Grid); errors.Is(err, data.ErrNotFound) {
			bad("grid", fmt.Sprintf("no inspector work grid has code %q", u.Grid))
		} else if err != nil {
			return fmt.Errorf("check grid %s: %w", u.Grid, err)
		}
	}
	return es.Err()
}

// Store keeps users and sessions. Implementations: SQLStore (the
// GeoPackage file of a data directory) and PGStore (PostgreSQL). Times
// are stored with at least microsecond precision and returned in UTC.
type Store interface {
	// CreateUser stores a new user with its password hash; a taken name
	// fails wrapping data.ErrConflict.
	CreateUser(ctx context.Context, u User, hash string) error
	// User reads a user and its password hash, or fails with
	// data.ErrNotFound.
	User(ctx context.Context, name string) (User, string, error)
	// Users lists every user by name.
	Users(ctx context.Context) ([]User, error)
	// UpdateUser stores u's display name, roles, unit, grid, disabled flag
	// and UpdatedAt (data.ErrNotFound when there is no such user).
	UpdateUser(ctx context.Context, u User) error
	// SetPasswordHash replaces a user's hash; changedAt, when not zero,
	// becomes PasswordChangedAt (a rehash keeps the old one).
	SetPasswordHash(ctx context.Context, name, hash string, changedAt time.Time) error

	// CreateSession stores a new session under the hash of its secret.
	CreateSession(ctx context.Context, s Session, h SessionHash) error
	// SessionByHash reads a session, revoked and expired ones included, or
	// fails with data.ErrNotFound.
	SessionByHash(ctx context.Context, h SessionHash) (Session, error)
	// TouchSession sets a session's LastSeenAt (only forward).
	TouchSession(ctx context.Context, h SessionHash, lastSeen time.Time) error
	// SetSessionRole sets the role a session acts in and its LastSeenAt.
	SetSessionRole(ctx context.Context, h SessionHash, role data.Role, at time.Time) error
	// Sessions lists a user's sessions not revoked and not past ExpiresAt
	// at now, newest first.
	Sessions(ctx context.Context, user string, now time.Time) ([]Session, error)
	// RevokeSession revokes the user's session with this public id
	// (data.ErrNotFound when the user has none such).
	RevokeSession(ctx context.Context, user, id string, at time.Time) error
	// RevokeSessions revokes every live session of a user but the one with
	// public id except (none when empty) and returns how many it revoked.
	RevokeSessions(ctx context.Context, user, except string, at time.Time) (int, error)
	// PruneSessions deletes sessions that ended (revoked or expired) before
	// the given time and returns how many.
	PruneSessions(ctx context.Context, before time.Time) (int, error)
}
