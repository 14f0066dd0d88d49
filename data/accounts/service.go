package accounts

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"citygrid/data"
	"citygrid/data/accounts/password"
)

// Options configure a Service; zero fields take the defaults.
type Options struct {
	// Params are the argon2id parameters of new hashes (password.Default).
	Params password.Params
	// IdleTimeout ends a session not used for this long (2 h: a desk left
	// over lunch still works, a browser left overnight does not).
	IdleTimeout time.Duration
	// AbsoluteTimeout ends every session this long after sign-in (12 h: one
	// shift of a 7×24 centre, plus hand-over).
	AbsoluteTimeout time.Duration
	// AccountLimit and AddressLimit bound failed sign-ins
	// (DefaultAccountLimit, DefaultAddressLimit).
	AccountLimit, AddressLimit Limit
	// Log receives sign-in events (slog.Default()). Passwords and session
	// secrets never reach it; sessions are named by their public ID.
	Log *slog.Logger
	// Now is the clock (time.Now), for tests.
	Now func() time.Time
}

// Default session timeouts.
const (
	DefaultIdleTimeout     = 2 * time.Hour
	DefaultAbsoluteTimeout = 12 * time.Hour
	// touchEvery is how stale LastSeenAt may get before a request writes
	// it: one write a minute per active session, not one per request.
	touchEvery = time.Minute
)

// Service is accounts and sessions as the HTTP layer and the CLI use
// them. It is safe for concurrent use.
type Service struct {
	store    Store
	dir      Directory
	hasher   *password.Hasher
	accounts *limiter
	addrs    *limiter
	idle     time.Duration
	absolute time.Duration
	log      *slog.Logger
	now      func() time.Time
}

// NewService returns the service over store, validating departments and
// grids against dir.
func NewService(store Store, dir Directory, o Options) *Service {
	s := &Service{store: store, dir: dir, hasher: password.NewHasher(o.Params), idle: o.IdleTimeout, absolute: o.AbsoluteTimeout, log: o.Log, now: o.Now}
	if s.idle <= 0 {
		s.idle = DefaultIdleTimeout
	}
	if s.absolute <= 0 {
		s.absolute = DefaultAbsoluteTimeout
	}
	if o.AccountLimit == (Limit{}) {
		o.AccountLimit = DefaultAccountLimit
	}
	if o.AddressLimit == (Limit{}) {
		o.AddressLimit = DefaultAddressLimit
	}
	s.accounts, s.addrs = newLimiter(o.AccountLimit), newLimiter(o.AddressLimit)
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// IdleTimeout and AbsoluteTimeout return the session timeouts in force,
// for the cookie's Max-Age and the page's warning.
func (s *Service) IdleTimeout() time.Duration { return s.idle }

// AbsoluteTimeout returns the session lifetime from sign-in.
func (s *Service) AbsoluteTimeout() time.Duration { return s.absolute }

// clock returns now in UTC at the microsecond, the precision both stores
// keep.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// SignedIn is the result of a successful sign-in.
type SignedIn struct {
	// Secret is the session secret for the cookie. It is returned only
	// here and never stored or logged.
	Secret string
	// CSRF is the session's anti-forgery token (CSRFToken(Secret)).
	CSRF    string
	Session Session
	User    User
}

// Current is a session resolved from its secret.
type Current struct {
	Session Session
	User    User
	// Principal is who requests made with this session act as: the user
	// in the session's role, checked by the role checks tokens go through.
	Principal data.Principal
}

// SignIn checks a user name and password from addr (the client address as
// the HTTP layer determined it) and opens a session. It fails with
// ErrBadCredentials (unknown user or wrong password, not told apart), a
// *LockedError (too many failures for the account or from the address;
// checked before the password, so a locked account costs no hashing) or
// ErrDisabled (right password, disabled account).
//
// Only failures count. Each attempt is counted before the password is
// checked and given back on success, so concurrent guesses cannot pass
// the limit together. A refusal because the account is locked does not
// count against the address, so a page retrying a locked account never
// blocks colleagues behind the same address; a success clears the
// account's count and gives back only its own charge to the address.
// A password longer than password.MaxBytes fails without being hashed.
func (s *Service) SignIn(ctx context.Context, name, pw, addr, userAgent string) (SignedIn, error) {
	now := s.clock()
	key := NormalizeName(name)
	akey := addressKey(addr)
	if w := s.addrs.take(akey, now); w > 0 {
		s.log.Warn("sign-in refused", "reason", "address locked", "addr", addr, "retry_after", w.Round(time.Second))
		return SignedIn{}, &LockedError{Scope: "address", RetryAfter: w}
	}
	if w := s.accounts.take(key, now); w > 0 {
		s.addrs.refund(akey)
		s.log.Warn("sign-in refused", "reason", "account locked", "user", logName(key), "addr", addr, "retry_after", w.Round(time.Second))
		return SignedIn{}, &LockedError{Scope: "account", RetryAfter: w}
	}
	// Both keys now carry this attempt as a failure; a success or an
	// error that is not the caller's gives it back.
	refund := func() { s.accounts.refund(key); s.addrs.refund(akey) }
	u, hash, err := s.store.User(ctx, key)
	known := err == nil
	if err != nil && !errors.Is(err, data.ErrNotFound) {
		refund()
		return SignedIn{}, fmt.Errorf("sign in: %w", err)
	}
	ok := false
	if len(pw) <= password.MaxBytes {
		var rehash bool
		if known {
			ok, rehash, err = s.hasher.Verify(ctx, pw, hash)
		} else {
			err = s.hasher.Waste(ctx, pw)
		}
		if err != nil {
			refund()
			return SignedIn{}, fmt.Errorf("sign in %s: %w", logName(key), err)
		}
		if ok && known && rehash {
			defer s.rehash(ctx, u.Name, pw)
		}
	}
	if !ok || !known {
		s.log.Warn("sign-in failed", "reason", "bad credentials", "user", logName(key), "known_user", known, "addr", addr,
			"account_failures", int(s.accounts.failures(key, now)+0.5), "address_failures", int(s.addrs.failures(akey, now)+0.5))
		return SignedIn{}, ErrBadCredentials
	}
	s.addrs.refund(akey)
	s.accounts.reset(key)
	if u.Disabled {
		s.log.Warn("sign-in refused", "reason", "disabled", "user", u.Name, "addr", addr)
		return SignedIn{}, ErrDisabled
	}
	secret, h, err := newSessionSecret()
	if err != nil {
		return SignedIn{}, err
	}
	sess := Session{ID: h.ID(), User: u.Name, Role: u.Roles[0], CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.absolute),
		UserAgent: clip(userAgent, 300), Addr: clip(addr, 64)}
	if err := s.store.CreateSession(ctx, sess, h); err != nil {
		return SignedIn{}, fmt.Errorf("sign in %s: %w", u.Name, err)
	}
	s.log.Info("signed in", "user", u.Name, "role", sess.Role, "session", sess.ID, "addr", addr)
	return SignedIn{Secret: secret, CSRF: CSRFToken(secret), Session: sess, User: u}, nil
}

// rehash replaces a user's hash by one with the current parameters,
// keeping the password's change time. A failure only delays it to the next
// sign-in.
func (s *Service) rehash(ctx context.Context, name, pw string) {
	nh, err := s.hasher.Hash(ctx, pw)
	if err == nil {
		err = s.store.SetPasswordHash(ctx, name, nh, time.Time{})
	}
	if err != nil {
		s.log.Warn("password rehash failed", "user", name, "err", err)
	}
}

// logName is how a typed user name appears in a log: as typed when it
// could be a user name, else only its length, since people type their
// password into the name field.
func logName(name string) string {
	if userName.MatchString(name) {
		return name
	}
	return fmt.Sprintf("(not a user name, %d bytes)", len(name))
}

// clip cuts s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func newSessionSecret() (string, SessionHash, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", SessionHash{}, fmt.Errorf("new session: %w", err)
	}
	secret := SessionPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashSession(secret), nil
}

// Session resolves a session secret to its user and principal, or fails
// with ErrNoSession (unknown, revoked, idle too long, past its absolute
// end, user disabled or no longer holding the session's role). It writes
// LastSeenAt at most once a minute.
func (s *Service) Session(ctx context.Context, secret string) (Current, error) {
	if !strings.HasPrefix(secret, SessionPrefix) {
		return Current{}, ErrNoSession
	}
	h := HashSession(secret)
	sess, err := s.store.SessionByHash(ctx, h)
	if errors.Is(err, data.ErrNotFound) {
		return Current{}, ErrNoSession
	}
	if err != nil {
		return Current{}, fmt.Errorf("session %s: %w", h.ID(), err)
	}
	now := s.clock()
	if !sess.Valid(now, s.idle) {
		return Current{}, ErrNoSession
	}
	u, _, err := s.store.User(ctx, sess.User)
	if errors.Is(err, data.ErrNotFound) || (err == nil && (u.Disabled || !u.HasRole(sess.Role))) {
		return Current{}, ErrNoSession
	}
	if err != nil {
		return Current{}, fmt.Errorf("session %s: %w", h.ID(), err)
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := s.store.TouchSession(ctx, h, now); err != nil {
			// A store that cannot take the write (read-only, busy) must
			// not sign people out; the next request tries again.
			s.log.Warn("session last-seen not written", "session", sess.ID, "err", err)
		} else {
			sess.LastSeenAt = now
		}
	}
	return Current{Session: sess, User: u, Principal: u.Principal(sess.Role)}, nil
}

// SelectRole switches the session to another of its user's roles.
func (s *Service) SelectRole(ctx context.Context, secret string, role data.Role) (Current, error) {
	cur, err := s.Session(ctx, secret)
	if err != nil {
		return Current{}, err
	}
	if !cur.User.HasRole(role) {
		return Current{}, &data.ValidationError{Field: "role", Reason: fmt.Sprintf("%s does not hold role %q (holds %v)", cur.User.Name, role, cur.User.Roles)}
	}
	now := s.clock()
	if err := s.store.SetSessionRole(ctx, HashSession(secret), role, now); err != nil {
		return Current{}, fmt.Errorf("select role: %w", err)
	}
	cur.Session.Role, cur.Session.LastSeenAt = role, now
	cur.Principal = cur.User.Principal(role)
	s.log.Info("session role changed", "user", cur.User.Name, "session", cur.Session.ID, "role", role)
	return cur, nil
}

// SignOut revokes the session with this secret. Signing out an unknown or
// ended session succeeds: the browser is signed out either way.
func (s *Service) SignOut(ctx context.Context, secret string) error {
	h := HashSession(secret)
	sess, err := s.store.SessionByHash(ctx, h)
	if errors.Is(err, data.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	if err := s.store.RevokeSession(ctx, sess.User, sess.ID, s.clock()); err != nil && !errors.Is(err, data.ErrNotFound) {
		return fmt.Errorf("sign out: %w", err)
	}
	s.log.Info("signed out", "user", sess.User, "session", sess.ID)
	return nil
}

// Sessions lists the live sessions of a user ("signed in elsewhere").
func (s *Service) Sessions(ctx context.Context, user string) ([]Session, error) {
	now := s.clock()
	all, err := s.store.Sessions(ctx, NormalizeName(user), now)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(x Session) bool { return !x.Valid(now, s.idle) }), nil
}

// RevokeSession ends one session of a user by its public id.
func (s *Service) RevokeSession(ctx context.Context, user, id string) error {
	if err := s.store.RevokeSession(ctx, NormalizeName(user), id, s.clock()); err != nil {
		return fmt.Errorf("revoke session %s: %w", id, err)
	}
	s.log.Info("session revoked", "user", NormalizeName(user), "session", id)
	return nil
}

// RevokeSessions ends every session of a user except the one with public
// id except ("" for none): "sign out everywhere else" or, from an admin,
// everywhere.
func (s *Service) RevokeSessions(ctx context.Context, user, except string) (int, error) {
	n, err := s.store.RevokeSessions(ctx, NormalizeName(user), except, s.clock())
	if err != nil {
		return 0, fmt.Errorf("revoke sessions of %s: %w", user, err)
	}
	s.log.Info("sessions revoked", "user", NormalizeName(user), "count", n, "kept", except)
	return n, nil
}

// PruneSessions deletes sessions that ended more than a day ago, keeping
// recent ones for the user's list; call it now and then.
func (s *Service) PruneSessions(ctx context.Context) (int, error) {
	return s.store.PruneSessions(ctx, s.clock().Add(-24*time.Hour))
}

// CreateUser validates and stores a new user with an initial password.
func (s *Service) CreateUser(ctx context.Context, u User, pw string) (User, error) {
	u.Name = NormalizeName(u.Name)
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	if err := checkUser(ctx, &u, s.dir); err != nil {
		return User{}, err
	}
	if err := password.Check(u.Name, pw); err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return User{}, err
	}
	now := s.clock()
	u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = now, now, now
	if err := s.store.CreateUser(ctx, u, hash); err != nil {
		return User{}, fmt.Errorf("create user %s: %w", u.Name, err)
	}
	s.log.Info("user created", "user", u.Name, "roles", u.Roles, "unit", u.Unit)
	return u, nil
}

// User reads one user.
func (s *Service) User(ctx context.Context, name string) (User, error) {
	u, _, err := s.store.User(ctx, NormalizeName(name))
	return u, err
}

// ListUsers lists every user by name.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) { return s.store.Users(ctx) }

// update reads a user, lets change edit it, validates and stores it.
func (s *Service) update(ctx context.Context, name string, change func(*User)) (User, error) {
	u, _, err := s.store.User(ctx, NormalizeName(name))
	if err != nil {
		return User{}, err
	}
	change(&u)
	if err := checkUser(ctx, &u, s.dir); err != nil {
		return User{}, err
	}
	u.UpdatedAt = s.clock()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return User{}, fmt.Errorf("update user %s: %w", u.Name, err)
	}
	return u, nil
}

// SetDisabled disables or enables a user. Disabling ends the user's
// sessions at once.
func (s *Service) SetDisabled(ctx context.Context, name string, disabled bool) (User, error) {
	u, err := s.update(ctx, name, func(u *User) { u.Disabled = disabled })
	if err != nil {
		return User{}, err
	}
	if disabled {
		if _, err := s.store.RevokeSessions(ctx, u.Name, "", s.clock()); err != nil {
			return u, fmt.Errorf("disable %s: %w", u.Name, err)
		}
	}
	s.log.Info("user disabled flag set", "user", u.Name, "disabled", disabled)
	return u, nil
}

// DisableUser disables a user and ends their sessions.
func (s *Service) DisableUser(ctx context.Context, name string) (User, error) {
	return s.SetDisabled(ctx, name, true)
}

// SetRoles replaces a user's roles, unit and inspector grid. The user's
// sessions end, so that no session keeps acting in a role taken away.
func (s *Service) SetRoles(ctx context.Context, name string, roles []data.Role, unit, grid string) (User, error) {
	u, err := s.update(ctx, name, func(u *User) { u.Roles, u.Unit, u.Grid = slices.Clone(roles), unit, grid })
	if err != nil {
		return User{}, err
	}
	if _, err := s.store.RevokeSessions(ctx, u.Name, "", s.clock()); err != nil {
		return u, fmt.Errorf("set roles of %s: %w", u.Name, err)
	}
	s.log.Info("user roles set", "user", u.Name, "roles", u.Roles, "unit", u.Unit, "grid", u.Grid)
	return u, nil
}

// SetDisplayName changes how a user's name is shown.
func (s *Service) SetDisplayName(ctx context.Context, name, display string) (User, error) {
	return s.update(ctx, name, func(u *User) { u.DisplayName = strings.TrimSpace(display) })
}

// ResetPassword sets a new password chosen by an admin and ends every
// session of the user; the account's failure count is cleared.
func (s *Service) ResetPassword(ctx context.Context, name, pw string) error {
	key := NormalizeName(name)
	if _, _, err := s.store.User(ctx, key); err != nil {
		return err
	}
	if err := s.setPassword(ctx, key, pw); err != nil {
		return err
	}
	if _, err := s.store.RevokeSessions(ctx, key, "", s.clock()); err != nil {
		return fmt.Errorf("reset password of %s: %w", key, err)
	}
	s.accounts.reset(key)
	s.log.Info("password reset", "user", key)
	return nil
}

// ChangePassword is a signed-in user changing their own password: the old
// one must be right (a failure counts like a failed sign-in), and every
// other session of the user ends.
func (s *Service) ChangePassword(ctx context.Context, secret, old, pw, addr string) error {
	cur, err := s.Session(ctx, secret)
	if err != nil {
		return err
	}
	now := s.clock()
	if w := s.accounts.take(cur.User.Name, now); w > 0 {
		return &LockedError{Scope: "account", RetryAfter: w}
	}
	_, hash, err := s.store.User(ctx, cur.User.Name)
	if err != nil {
		s.accounts.refund(cur.User.Name)
		return err
	}
	ok, _, err := s.hasher.Verify(ctx, old, hash)
	if err != nil {
		s.accounts.refund(cur.User.Name)
		return fmt.Errorf("change password of %s: %w", cur.User.Name, err)
	}
	if !ok {
		s.addrs.fail(addressKey(addr), now)
		s.log.Warn("password change refused", "reason", "wrong current password", "user", cur.User.Name, "addr", addr)
		return &data.ValidationError{Field: "old_password", Reason: "is not the current password"}
	}
	s.accounts.reset(cur.User.Name)
	if err := s.setPassword(ctx, cur.User.Name, pw); err != nil {
		return err
	}
	if _, err := s.store.RevokeSessions(ctx, cur.User.Name, cur.Session.ID, now); err != nil {
		return fmt.Errorf("change password of %s: %w", cur.User.Name, err)
	}
	s.log.Info("password changed", "user", cur.User.Name, "session", cur.Session.ID)
	return nil
}

func (s *Service) setPassword(ctx context.Context, name, pw string) error {
	if err := password.Check(name, pw); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	if err := s.store.SetPasswordHash(ctx, name, hash, s.clock()); err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	return nil
}

// CopyUsers copies every user of from, password hash included, into to,
// which must hold no users: moving a data directory's accounts into the
// PostgreSQL store of its replicas. Sessions are not copied; people sign
// in again. It returns how many users it copied.
func CopyUsers(ctx context.Context, from, to Store) (int, error) {
	have, err := to.Users(ctx)
	if err != nil {
		return 0, err
	}
	if len(have) > 0 {
		return 0, fmt.Errorf("copy users: the destination holds %d users already: %w", len(have), data.ErrConflict)
	}
	us, err := from.Users(ctx)
	if err != nil {
		return 0, err
	}
	for i, u := range us {
		_, hash, err := from.User(ctx, u.Name)
		if err != nil {
			return i, err
		}
		if err := to.CreateUser(ctx, u, hash); err != nil {
			return i, fmt.Errorf("copy user %s: %w", u.Name, err)
		}
	}
	return len(us), nil
}
