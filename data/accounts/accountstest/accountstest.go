// Package accountstest is the one test suite of accounts.Store and of the
// Service over it: the SQLite store (in a GeoPackage file) and the
// PostgreSQL store run the same tests, so both behave the same.
// Expectations are hand-written: counts of failures, minutes of timeouts.
package accountstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/accounts"
	"citygrid/data/accounts/password"
)

// Opener opens a store on a fresh, empty database, closed by t's cleanup.
type Opener func(t *testing.T) accounts.Store

// Run runs every test of the suite against the stores open returns.
func Run(t *testing.T, open Opener) {
	t.Run("Users", func(t *testing.T) { testUsers(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open(t)) })
	t.Run("SignInAndSessionTimeouts", func(t *testing.T) { testSignIn(t, open(t)) })
	t.Run("LockOutPerAccountNotPerOffice", func(t *testing.T) { testAccountLock(t, open(t)) })
	t.Run("AddressLimitSlowsSpraying", func(t *testing.T) { testAddressLimit(t, open(t)) })
	t.Run("DisableRolesReset", func(t *testing.T) { testAdmin(t, open(t)) })
	t.Run("UsersAreValidated", func(t *testing.T) { testValidation(t, open(t)) })
	t.Run("RehashOnParameterChange", func(t *testing.T) { testRehash(t, open(t)) })
	t.Run("NoSecretReachesTheLog", func(t *testing.T) { testLogs(t, open(t)) })
	t.Run("DemoUsers", func(t *testing.T) { testDemo(t, open(t)) })
	t.Run("CopyUsers", func(t *testing.T) { testCopy(t, open(t), open(t)) })
}

// Directory is the small city the suite validates against: two
// departments and one inspector work grid.
func Directory() accounts.Directory {
	return accounts.NewDatasetDirectory(&data.Dataset{
		Departments: []data.Department{{Code: "HW", Name: "雨花台区环境卫生管理所"}, {Code: "SZ", Name: "雨花台区市政设施管理所"}},
		ManagementGrids: []data.ManagementGrid{
			{Kind: data.KindInspector, Code: "10020032011400160100", Name: "雨花街道第1监督员工作网格"},
			{Kind: data.KindResponsibility, Code: "10010032011400160100", Name: "雨花街道第1责任网格"},
		},
	})
}

// fastParams keep the suite quick; the hashing itself is tested with the
// defaults and the reference implementation's hashes in package accounts.
var fastParams = password.Params{Memory: 256, Time: 1, Threads: 1}

// Clock is a settable clock for the service.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newService(st accounts.Store, log *slog.Logger, o accounts.Options) (*accounts.Service, *Clock) {
	clk := &Clock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	if o.Params == (password.Params{}) {
		o.Params = fastParams
	}
	o.Now, o.Log = clk.Now, log
	if log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return accounts.NewService(st, Directory(), o), clk
}

const pw = "Tq7-kettle-雨花"

func mustCreate(t *testing.T, svc *accounts.Service, u accounts.User) accounts.User {
	t.Helper()
	got, err := svc.CreateUser(context.Background(), u, pw)
	if err != nil {
		t.Fatalf("create %s: %v", u.Name, err)
	}
	return got
}

func testUsers(t *testing.T, st accounts.Store) {
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 8, 0, 0, 123456000, time.UTC)
	u := accounts.User{Name: "hw01", DisplayName: "赵磊", Roles: []data.Role{data.RoleUnit, data.RoleViewer}, Unit: "HW",
		CreatedAt: at, UpdatedAt: at, PasswordChangedAt: at}
	if err := st.CreateUser(ctx, u, "$argon2id$hash-1"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, u, "$argon2id$hash-2"); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("second user hw01: %v, want ErrConflict", err)
	}
	got, hash, err := st.User(ctx, "hw01")
	if err != nil || hash != "$argon2id$hash-1" || !equalUser(got, u) {
		t.Fatalf("read back %+v %q %v, want %+v", got, hash, err, u)
	}
	if _, _, err := st.User(ctx, "nobody"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	a := accounts.User{Name: "admin", DisplayName: "管理员", Roles: []data.Role{data.RoleAdmin}, CreatedAt: at, UpdatedAt: at, PasswordChangedAt: at}
	if err := st.CreateUser(ctx, a, "$argon2id$hash-a"); err != nil {
		t.Fatal(err)
	}
	list, err := st.Users(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "admin" || list[1].Name != "hw01" {
		t.Fatalf("users %+v %v, want admin then hw01", list, err)
	}
	later := at.Add(time.Hour)
	u.Roles, u.Unit, u.Disabled, u.DisplayName, u.UpdatedAt = []data.Role{data.RoleInspector}, "", true, "赵磊磊", later
	if err := st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := st.SetPasswordHash(ctx, "hw01", "$argon2id$rehash", time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, hash, _ = st.User(ctx, "hw01")
	if !equalUser(got, u) || hash != "$argon2id$rehash" || !got.PasswordChangedAt.Equal(at) {
		t.Fatalf("after update and rehash %+v %q, want %+v with the password change time kept", got, hash, u)
	}
	if err := st.SetPasswordHash(ctx, "hw01", "$argon2id$new", later); err != nil {
		t.Fatal(err)
	}
	if got, _, _ = st.User(ctx, "hw01"); !got.PasswordChangedAt.Equal(later) {
		t.Fatalf("password changed at %s, want %s", got.PasswordChangedAt, later)
	}
	for _, err := range []error{
		st.UpdateUser(ctx, accounts.User{Name: "nobody", Roles: []data.Role{data.RoleViewer}}),
		st.SetPasswordHash(ctx, "nobody", "x", later),
	} {
		if !errors.Is(err, data.ErrNotFound) {
			t.Errorf("write to an unknown user: %v, want ErrNotFound", err)
		}
	}
}

func equalUser(a, b accounts.User) bool {
	return a.Name == b.Name && a.DisplayName == b.DisplayName && slices.Equal(a.Roles, b.Roles) && a.Unit == b.Unit && a.Grid == b.Grid &&
		a.Disabled == b.Disabled && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) && a.PasswordChangedAt.Equal(b.PasswordChangedAt) &&
		a.CreatedAt.Location() == time.UTC
}

func testSessions(t *testing.T, st accounts.Store) {
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for _, n := range []string{"zbz01", "pqy01"} {
		if err := st.CreateUser(ctx, accounts.User{Name: n, DisplayName: n, Roles: []data.Role{data.RoleSupervisor}, CreatedAt: at, UpdatedAt: at, PasswordChangedAt: at}, "h"); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(user, secret string, created time.Time) (accounts.Session, accounts.SessionHash) {
		h := accounts.HashSession(secret)
		s := accounts.Session{ID: h.ID(), User: user, Role: data.RoleSupervisor, CreatedAt: created, LastSeenAt: created,
			ExpiresAt: created.Add(12 * time.Hour), UserAgent: "Mozilla/5.0 Chrome/130", Addr: "192.0.2.7"}
		if err := st.CreateSession(ctx, s, h); err != nil {
			t.Fatal(err)
		}
		return s, h
	}
	s1, h1 := mk("zbz01", "cgs_one", at)
	s2, h2 := mk("zbz01", "cgs_two", at.Add(time.Minute))
	s3, _ := mk("zbz01", "cgs_old", at.Add(-13*time.Hour)) // expired at 07:00
	_, h4 := mk("pqy01", "cgs_other", at)
	got, err := st.SessionByHash(ctx, h1)
	if err != nil || got != s1 {
		t.Fatalf("read back %+v %v, want %+v", got, err, s1)
	}
	if _, err := st.SessionByHash(ctx, accounts.HashSession("cgs_none")); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	seen := at.Add(30 * time.Minute)
	if err := st.TouchSession(ctx, h1, seen); err != nil {
		t.Fatal(err)
	}
	if err := st.TouchSession(ctx, h1, seen.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ = st.SessionByHash(ctx, h1); !got.LastSeenAt.Equal(seen) || got.Role != data.RoleSupervisor {
		t.Fatalf("touched at %s, then at a minute earlier: %+v, want last seen %s and the role kept", seen, got, seen)
	}
	if err := st.SetSessionRole(ctx, h1, data.RoleViewer, seen.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ = st.SessionByHash(ctx, h1); !got.LastSeenAt.Equal(seen.Add(time.Minute)) || got.Role != data.RoleViewer {
		t.Fatalf("role set: %+v", got)
	}
	if err := st.TouchSession(ctx, accounts.HashSession("cgs_none"), seen); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("touching an unknown session: %v", err)
	}
	list, err := st.Sessions(ctx, "zbz01", at.Add(time.Hour))
	if err != nil || len(list) != 2 || list[0].ID != s2.ID || list[1].ID != s1.ID {
		t.Fatalf("live sessions of zbz01 %+v %v, want two, newest first (expired %s left out)", list, err, s3.ID)
	}
	if err := st.RevokeSession(ctx, "pqy01", s1.ID, at); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("revoking another user's session: %v, want ErrNotFound", err)
	}
	rev := at.Add(2 * time.Hour)
	if err := st.RevokeSession(ctx, "zbz01", s1.ID, rev); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeSession(ctx, "zbz01", s1.ID, rev.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ = st.SessionByHash(ctx, h1); !got.RevokedAt.Equal(rev) {
		t.Fatalf("revoked at %s, want the first revocation %s", got.RevokedAt, rev)
	}
	_, h5 := mk("zbz01", "cgs_five", at.Add(3*time.Hour))
	n, err := st.RevokeSessions(ctx, "zbz01", s2.ID, at.Add(4*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("revoke all but %s: %d %v, want 1 (cgs_five)", s2.ID, n, err)
	}
	if got, _ := st.SessionByHash(ctx, h2); !got.RevokedAt.IsZero() {
		t.Fatal("the kept session was revoked")
	}
	if got, _ := st.SessionByHash(ctx, h5); got.RevokedAt.IsZero() {
		t.Fatal("cgs_five was not revoked")
	}
	if got, _ := st.SessionByHash(ctx, h4); !got.RevokedAt.IsZero() {
		t.Fatal("another user's session was revoked")
	}
	// Ended before 07:30: only the expired one (07:00). The revoked ones
	// ended at 10:00 and 12:00 and stay.
	if n, err := st.PruneSessions(ctx, at.Add(-30*time.Minute)); err != nil || n != 1 {
		t.Fatalf("prune: %d %v, want 1", n, err)
	}
	if n, err := st.PruneSessions(ctx, at.Add(5*time.Hour)); err != nil || n != 2 {
		t.Fatalf("prune: %d %v, want 2 (the revoked ones)", n, err)
	}
}

func testSignIn(t *testing.T, st accounts.Store) {
	ctx := context.Background()
	svc, clk := newService(st, nil, accounts.Options{IdleTimeout: 30 * time.Minute, AbsoluteTimeout: 2 * time.Hour})
	mustCreate(t, svc, accounts.User{Name: "HW01 ", DisplayName: " 赵磊 ", Roles: []data.Role{data.RoleUnit, data.RoleViewer}, Unit: "HW"})
	in, err := svc.SignIn(ctx, " Hw01", pw, "192.0.2.7", "Mozilla/5.0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(in.Secret, accounts.SessionPrefix) || len(in.Secret) != 4+43 || in.CSRF != accounts.CSRFToken(in.Secret) {
		t.Fatalf("secret %q csrf %q", in.Secret, in.CSRF)
	}
	if in.User.Name != "hw01" || in.User.DisplayName != "赵磊" || in.Session.Role != data.RoleUnit || in.Session.ID != accounts.HashSession(in.Secret).ID() {
		t.Fatalf("signed in %+v", in)
	}
	cur, err := svc.Session(ctx, in.Secret)
	want := data.Principal{User: "hw01", Role: data.RoleUnit, Unit: "HW"}
	if err != nil || cur.Principal != want || data.CheckPrincipal(cur.Principal) != nil {
		t.Fatalf("session: %+v %v, want principal %+v", cur.Principal, err, want)
	}
	for _, bad := range []string{"", "cgs_", in.Secret + "x", "Bearer " + in.Secret, strings.TrimPrefix(in.Secret, "cgs_")} {
		if _, err := svc.Session(ctx, bad); !errors.Is(err, accounts.ErrNoSession) || !errors.Is(err, data.ErrUnauthorized) {
			t.Errorf("session %q: %v, want ErrNoSession", bad, err)
		}
	}
	// Role switch: viewer acts without the unit.
	cur, err = svc.SelectRole(ctx, in.Secret, data.RoleViewer)
	if err != nil || cur.Principal != (data.Principal{User: "hw01", Role: data.RoleViewer}) {
		t.Fatalf("select viewer: %+v %v", cur.Principal, err)
	}
	if _, err := svc.SelectRole(ctx, in.Secret, data.RoleAdmin); err == nil {
		t.Fatal("a user took a role they do not hold")
	}
	if cur, _ = svc.Session(ctx, in.Secret); cur.Session.Role != data.RoleViewer {
		t.Fatalf("role after switching: %s", cur.Session.Role)
	}

	// Last seen is written at most once a minute.
	h := accounts.HashSession(in.Secret)
	t0 := clk.Now()
	clk.Advance(40 * time.Second)
	svc.Session(ctx, in.Secret)
	if s, _ := st.SessionByHash(ctx, h); !s.LastSeenAt.Equal(t0) {
		t.Fatalf("last seen written after 40 s: %s", s.LastSeenAt)
	}
	clk.Advance(25 * time.Second)
	svc.Session(ctx, in.Secret)
	if s, _ := st.SessionByHash(ctx, h); !s.LastSeenAt.Equal(t0.Add(65 * time.Second)) {
		t.Fatalf("last seen after 65 s: %s, want written", s.LastSeenAt)
	}
	// Idle: 29 minutes of silence keep it, 30 end it.
	clk.Advance(29 * time.Minute)
	if _, err := svc.Session(ctx, in.Secret); err != nil {
		t.Fatalf("after 29 idle minutes: %v", err)
	}
	clk.Advance(30 * time.Minute)
	if _, err := svc.Session(ctx, in.Secret); !errors.Is(err, accounts.ErrNoSession) {
		t.Fatalf("after 30 idle minutes: %v, want ErrNoSession", err)
	}
	// Absolute: a session used every 20 minutes still ends at 2 h.
	in2, err := svc.SignIn(ctx, "hw01", pw, "192.0.2.7", "Mozilla/5.0")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		clk.Advance(20 * time.Minute)
		if _, err := svc.Session(ctx, in2.Secret); err != nil {
			t.Fatalf("active session after %d min: %v", 20*i, err)
		}
	}
	clk.Advance(20 * time.Minute)
	if _, err := svc.Session(ctx, in2.Secret); !errors.Is(err, accounts.ErrNoSession) {
		t.Fatalf("active session after 2 h: %v, want ErrNoSession", err)
	}
	// Signed in elsewhere, then signed out.
	a, _ := svc.SignIn(ctx, "hw01", pw, "192.0.2.7", "Firefox")
	clk.Advance(time.Minute)
	b, _ := svc.SignIn(ctx, "hw01", pw, "198.51.100.9", "Chrome")
	list, err := svc.Sessions(ctx, "hw01")
	if err != nil || len(list) != 2 || list[0].ID != b.Session.ID || list[0].Addr != "198.51.100.9" || list[1].UserAgent != "Firefox" {
		t.Fatalf("sessions %+v %v, want b then a", list, err)
	}
	if err := svc.SignOut(ctx, a.Secret); err != nil {
		t.Fatal(err)
	}
	if err := svc.SignOut(ctx, a.Secret); err != nil {
		t.Fatalf("signing out twice: %v", err)
	}
	if _, err := svc.Session(ctx, a.Secret); !errors.Is(err, accounts.ErrNoSession) {
		t.Fatalf("after sign-out: %v", err)
	}
	if _, err := svc.Session(ctx, b.Secret); err != nil {
		t.Fatalf("the other session after sign-out of one: %v", err)
	}
	c, _ := svc.SignIn(ctx, "hw01", pw, "192.0.2.7", "Edge")
	if n, err := svc.RevokeSessions(ctx, "hw01", c.Session.ID); err != nil || n != 1 {
		t.Fatalf("sign out everywhere else: %d %v, want 1", n, err)
	}
	if _, err := svc.Session(ctx, b.Secret); !errors.Is(err, accounts.ErrNoSession) {
		t.Fatal("b survived sign out everywhere else")
	}
	if _, err := svc.Session(ctx, c.Secret); err != nil {
		t.Fatalf("the kept session: %v", err)
	}
	if err := svc.RevokeSession(ctx, "hw01", c.Session.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Session(ctx, c.Secret); !errors.Is(err, accounts.ErrNoSession) {
		t.Fatal("c survived its revocation")
	}
}

func testAccountLock(t *testing.T, st accounts.Store) {
	ctx := context.Background()
	svc, clk := newService(st, nil, accounts.Options{})
	for _, n := range []string{"slj01", "slj02"} {
		mustCreate(t, svc, accounts.User{Name: n, DisplayName: "受理员", Roles: []data.Role{data.RoleOperator}})
	}
	office := "203.0.113.5"
	// Wrong password and unknown user answer the same.
	_, e1 := svc.SignIn(ctx, "slj01", "wrong-password", office, "")
	_, e2 := svc.SignIn(ctx, "nosuchuser", pw, office, "")
	if !errors.Is(e1, accounts.ErrBadCredentials) || e1 != e2 {
		t.Fatalf("wrong password %v, unknown user %v: want the same ErrBadCredentials", e1, e2)
	}
	// Four more failures (five in all) lock slj01 for 2 minutes.
	for range 4 {
		if _, err := svc.SignIn(ctx, "slj01", "wrong-password", office, ""); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("failure: %v", err)
		}
	}
	_, err := svc.SignIn(ctx, "SLJ01", pw, office, "")
	var le *accounts.LockedError
	if !errors.As(err, &le) || le.Scope != "account" || le.RetryAfter != 2*time.Minute || !errors.Is(err, data.ErrTooManyRequests) {
		t.Fatalf("sixth attempt, right password: %v, want locked for 2m", err)
	}
	// A page retrying the locked account 100 times does not lock out the
	// colleague at the same address.
	for range 100 {
		svc.SignIn(ctx, "slj01", "stale-password", office, "")
	}
	if _, err := svc.SignIn(ctx, "slj02", pw, office, ""); err != nil {
		t.Fatalf("colleague behind the same address: %v", err)
	}
	clk.Advance(2 * time.Minute)
	if _, err := svc.SignIn(ctx, "slj01", pw, office, ""); err != nil {
		t.Fatalf("after the wait, right password: %v", err)
	}
	// The success cleared the count: four failures do not lock.
	for range 4 {
		svc.SignIn(ctx, "slj01", "wrong-password", office, "")
	}
	if _, err := svc.SignIn(ctx, "slj01", pw, office, ""); err != nil {
		t.Fatalf("four failures after a success: %v, want not locked", err)
	}
	// Fifty guesses at once get five password checks, not fifty.
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.SignIn(ctx, "slj02", "wrong-password", "198.51.100.1", "")
			kind := "other: " + fmt.Sprint(err)
			switch {
			case errors.Is(err, accounts.ErrBadCredentials):
				kind = "checked"
			case errors.Is(err, accounts.ErrLocked):
				kind = "locked"
			}
			mu.Lock()
			counts[kind]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts["checked"] != 5 || counts["locked"] != 45 {
		t.Fatalf("50 concurrent guesses: %v, want 5 checked and 45 locked", counts)
	}
	// A password beyond the policy's length fails like a wrong one.
	if _, err := svc.SignIn(ctx, "slj01", strings.Repeat("x", password.MaxBytes+1), office, ""); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatalf("an over-long password: %v", err)
	}
	// An admin reset clears a lock at once.
	for range 5 {
		svc.SignIn(ctx, "slj01", "wrong-password", office, "")
	}
	if err := svc.ResetPassword(ctx, "slj01", "New-password-2026"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SignIn(ctx, "slj01", "New-password-2026", office, ""); err != nil {
		t.Fatalf("after an admin reset: %v", err)
	}
}

func testAddressLimit(t *testing.T, st accounts.Store) {
	ctx := context.Background()
	svc, clk := newService(st, nil, accounts.Options{AddressLimit: accounts.Limit{Failures: 6, Forgive: 10 * time.Second}})
	mustCreate(t, svc, accounts.User{Name: "pqy01", DisplayName: "派遣员", Roles: []data.Role{data.RoleDispatcher}})
	// A sprayer tries one password on six names: each account has one
	// failure, the address six.
	for _, n := range []string{"a1", "a2", "a3", "a4", "a5", "pqy01"} {
		if _, err := svc.SignIn(ctx, n, "Spring2026!", "2001:db8:9:9::1", ""); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("%s: %v", n, err)
		}
	}
	// From another address in the same /64 the next try is refused
	// before the password is checked.
	_, err := svc.SignIn(ctx, "pqy01", pw, "2001:db8:9:9::abcd", "")
	var le *accounts.LockedError
	if !errors.As(err, &le) || le.Scope != "address" || le.RetryAfter != 10*time.Second {
		t.Fatalf("seventh try from the /64: %v, want the address locked for 10s", err)
	}
	if _, err := svc.SignIn(ctx, "pqy01", pw, "2001:db8:9:a::1", ""); err != nil {
		t.Fatalf("another /64: %v", err)
	}
	clk.Advance(10 * time.Second)
	if _, err := svc.SignIn(ctx, "pqy01", pw, "2001:db8:9:9::1", ""); err != nil {
		t.Fatalf("after 10 s: %v", err)
	}
}

func testAdmin(t *testing.T, st accounts.Store) {
	ctx := context.Background()
	svc, _ := newService(st, nil, accounts.Options{})
	mustCreate(t, svc, accounts.User{Name: "zbz01", DisplayName: "值班长", Roles: []data.Role{data.RoleSupervisor, data.RoleDispatcher}})
	in, _ := svc.SignIn(ctx, "zbz01", pw, "192.0.2.1", "")
	// A user row changed behind the service's back (another process, an
	// operator with SQL) is honoured at the next request: disabled, or no
	// longer holding the session's role, ends the session.
	u, _, _ := st.User(ctx, "zbz01")
	for _, change := range []func(*accounts.User){
		func(u *accounts.User) { u.Disabled = true },
		func(u *accounts.User) { u.Roles = []data.Role{data.RoleDispatcher} },
	} {
		changed := u
		change(&changed)
		if err := st.UpdateUser(ctx, changed); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Session(ctx, in.Secret); !errors.Is(err, accounts.ErrNoSession) {
			t.Fatalf("session after the user row changed to %+v: %v, want ErrNoSession", changed, err)
		}
		if err := st.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Session(ctx, in.Secret); err != nil {
			t.Fatalf("session after the row was restored: %v", err)
		}
	}
	if _, err := svc.DisableUser(ctx, "zbz01"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Session(ctx, in.Secret); !errors.Is(err, accounts.ErrNoSession) {
		t.Fatalf("session of a disabled user: %v", err)
	}
	if _, err := svc.SignIn(ctx, "zbz01", pw, "192.0.2.1", ""); !errors.Is(err, accounts.ErrDisabled) || !errors.Is(err, data.ErrForbidden) {
		t.Fatalf("disabled user, right password: %v, want ErrDisabled", err)
	}
	if _, err := svc.SignIn(ctx, "zbz01", "wrong-password", "192.0.2.1", ""); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatalf("disabled user, wrong password: %v, want ErrBadCredentials (disabled is not revealed)", err)
	}
	if _, err := svc.SetDisabled(ctx, "zbz01", false); err != nil {
		t.Fatal(err)
	}
	in, err := svc.SignIn(ctx, "zbz01", pw, "192.0.2.1", "")
	if err != nil {
		t.Fatalf("enabled again: %v", err)
	}
	u, err = svc.SetRoles(ctx, "zbz01", []data.Role{data.RoleDispatcher}, "", "")
	if err != nil || !slices.Equal(u.Roles, []data.Role{data.RoleDispatcher}) {
		t.Fatalf("set roles: %+v %v", u, err)
	}
	if _, err := svc.Session(ctx, in.Secret); !errors.Is(err, accounts.ErrNoSession) {
		t.Fatalf("session after a role change: %v, want ended", err)
	}
	in, _ = svc.SignIn(ctx, "zbz01", pw, "192.0.2.1", "")
	if err := svc.ResetPassword(ctx, "zbz01", "zbz01-password"); err == nil {
		t.Fatal("a reset to a password containing the user name was accepted")
	}
	if err := svc.ResetPassword(ctx, "zbz01", "Another-one-2026"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Session(ctx, in.Secret); !errors.Is(err, accounts.ErrNoSession) {
		t.Fatal("a session survived a password reset")
	}
	if _, err := svc.SignIn(ctx, "zbz01", pw, "192.0.2.1", ""); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatalf("old password after reset: %v", err)
	}
	// The user changes their own password: other sessions end, this one stays.
	a, _ := svc.SignIn(ctx, "zbz01", "Another-one-2026", "192.0.2.1", "")
	b, _ := svc.SignIn(ctx, "zbz01", "Another-one-2026", "192.0.2.2", "")
	if err := svc.ChangePassword(ctx, a.Secret, "not-the-password", "Third-one-2026", "192.0.2.1"); err == nil {
		t.Fatal("a change with the wrong current password was accepted")
	}
	if err := svc.ChangePassword(ctx, a.Secret, "Another-one-2026", "Third-one-2026", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Session(ctx, a.Secret); err != nil {
		t.Fatalf("the session that changed the password: %v", err)
	}
	if _, err := svc.Session(ctx, b.Secret); !errors.Is(err, accounts.ErrNoSession) {
		t.Fatal("another session survived the password change")
	}
	if err := svc.ResetPassword(ctx, "nobody", "Another-one-2026"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("reset of an unknown user: %v", err)
	}
	if _, err := svc.DisableUser(ctx, "nobody"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("disable an unknown user: %v", err)
	}
	list, err := svc.ListUsers(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "zbz01" {
		t.Fatalf("list %+v %v", list, err)
	}
}

func testValidation(t *testing.T, st accounts.Store) {
	ctx := context.Background()
	svc, _ := newService(st, nil, accounts.Options{})
	for _, c := range []struct {
		name   string
		u      accounts.User
		fields []string
	}{
		{"unit user of a real department", accounts.User{Name: "hw01", DisplayName: "赵磊", Roles: []data.Role{data.RoleUnit}, Unit: "HW"}, nil},
		{"inspector on a real work grid", accounts.User{Name: "jdy00101", DisplayName: "李娜", Roles: []data.Role{data.RoleInspector}, Grid: "10020032011400160100"}, nil},
		{"inspector without a grid", accounts.User{Name: "jdy00102", DisplayName: "李娜", Roles: []data.Role{data.RoleInspector}}, nil},
		{"unit user of an unknown department", accounts.User{Name: "xx01", DisplayName: "x", Roles: []data.Role{data.RoleUnit}, Unit: "NOPE"}, []string{"unit"}},
		{"unit user without a department", accounts.User{Name: "xx02", DisplayName: "x", Roles: []data.Role{data.RoleUnit}}, []string{"unit"}},
		{"department without the unit role", accounts.User{Name: "xx03", DisplayName: "x", Roles: []data.Role{data.RoleViewer}, Unit: "HW"}, []string{"unit"}},
		{"a responsibility grid is not a work grid", accounts.User{Name: "xx04", DisplayName: "x", Roles: []data.Role{data.RoleInspector}, Grid: "10010032011400160100"}, []string{"grid"}},
		{"grid without the inspector role", accounts.User{Name: "xx05", DisplayName: "x", Roles: []data.Role{data.RoleOperator}, Grid: "10020032011400160100"}, []string{"grid"}},
		{"unknown and repeated roles", accounts.User{Name: "xx06", DisplayName: "x", Roles: []data.Role{"root", data.RoleViewer, data.RoleViewer}}, []string{"roles", "roles"}},
		{"no role, no display name, bad name", accounts.User{Name: "张伟"}, []string{"name", "display_name", "roles"}},
		{"one-letter name", accounts.User{Name: "a", DisplayName: "x", Roles: []data.Role{data.RoleViewer}}, []string{"name"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := svc.CreateUser(ctx, c.u, pw)
			var got []string
			var ves data.ValidationErrors
			if errors.As(err, &ves) {
				for _, ve := range ves {
					got = append(got, ve.Field)
				}
			} else if err != nil {
				t.Fatalf("create: %v, want validation errors on %v", err, c.fields)
			}
			if !slices.Equal(got, c.fields) {
				t.Fatalf("create: %v, want problems with %v", err, c.fields)
			}
		})
	}
	if _, err := svc.CreateUser(ctx, accounts.User{Name: "HW01", DisplayName: "again", Roles: []data.Role{data.RoleViewer}}, pw); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("HW01 beside hw01: %v, want ErrConflict", err)
	}
	var ve *data.ValidationError
	if _, err := svc.CreateUser(ctx, accounts.User{Name: "pcy01", DisplayName: "孙敏", Roles: []data.Role{data.RoleSurveyor}}, "short"); !errors.As(err, &ve) || ve.Field != "password" {
		t.Fatalf("short password: %v", err)
	}
	if _, err := svc.SetRoles(ctx, "hw01", []data.Role{data.RoleUnit}, "NOPE", ""); err == nil {
		t.Fatal("roles with an unknown department were set")
	}
	if u, _ := svc.User(ctx, "hw01"); u.Unit != "HW" {
		t.Fatalf("a refused role change was stored: %+v", u)
	}
}

func testRehash(t *testing.T, st accounts.Store) {
	ctx := context.Background()
	old, _ := newService(st, nil, accounts.Options{Params: password.Params{Memory: 128, Time: 1, Threads: 1}})
	mustCreate(t, old, accounts.User{Name: "admin", DisplayName: "管理员", Roles: []data.Role{data.RoleAdmin}})
	_, h0, _ := st.User(ctx, "admin")
	if !strings.Contains(h0, "m=128,t=1,p=1$") {
		t.Fatalf("hash %s", h0)
	}
	before, _, _ := st.User(ctx, "admin")
	svc, _ := newService(st, nil, accounts.Options{Params: password.Params{Memory: 256, Time: 2, Threads: 1}})
	if _, err := svc.SignIn(ctx, "admin", "wrong-password", "192.0.2.1", ""); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatal(err)
	}
	if _, h, _ := st.User(ctx, "admin"); h != h0 {
		t.Fatal("a failed sign-in rehashed")
	}
	if _, err := svc.SignIn(ctx, "admin", pw, "192.0.2.1", ""); err != nil {
		t.Fatal(err)
	}
	after, h1, _ := st.User(ctx, "admin")
	if !strings.Contains(h1, "$m=256,t=2,p=1$") || !after.PasswordChangedAt.Equal(before.PasswordChangedAt) {
		t.Fatalf("after sign-in under new parameters: %s, changed %s (was %s)", h1, after.PasswordChangedAt, before.PasswordChangedAt)
	}
	if _, err := svc.SignIn(ctx, "admin", pw, "192.0.2.1", ""); err != nil {
		t.Fatalf("sign in with the rehashed password: %v", err)
	}
	if _, h2, _ := st.User(ctx, "admin"); h2 != h1 {
		t.Fatal("a hash with current parameters was rehashed again")
	}
}

func testLogs(t *testing.T, st accounts.Store) {
	ctx := context.Background()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, clk := newService(st, log, accounts.Options{})
	mustCreate(t, svc, accounts.User{Name: "slj01", DisplayName: "受理员", Roles: []data.Role{data.RoleOperator}})
	secrets := []string{pw, "wrong-password-1", "Changed-password-2026"}
	svc.SignIn(ctx, "slj01", "wrong-password-1", "192.0.2.9", "")
	// A password typed into the name field is not logged either.
	svc.SignIn(ctx, pw, pw, "192.0.2.9", "")
	in, err := svc.SignIn(ctx, "slj01", pw, "192.0.2.9", "Chrome")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Minute)
	svc.Session(ctx, in.Secret)
	svc.SelectRole(ctx, in.Secret, data.RoleOperator)
	if err := svc.ChangePassword(ctx, in.Secret, pw, "Changed-password-2026", "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	svc.Sessions(ctx, "slj01")
	svc.SignOut(ctx, in.Secret)
	for range 6 {
		svc.SignIn(ctx, "slj01", "wrong-password-1", "192.0.2.9", "")
	}
	secrets = append(secrets, in.Secret, strings.TrimPrefix(in.Secret, accounts.SessionPrefix), in.CSRF)
	out := buf.String()
	for _, want := range []string{"sign-in failed", "signed in", "signed out", "password changed", "account locked", in.Session.ID} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the log contains the secret %q:\n%s", s, out)
		}
	}
}

func testDemo(t *testing.T, st accounts.Store) {
	ctx := context.Background()
	ds := &data.Dataset{
		Departments: []data.Department{{Code: "QZF", Name: "区人民政府"}, {Code: "HW", Name: "雨花台区环境卫生管理所"}},
		ManagementGrids: []data.ManagementGrid{
			{Kind: data.KindInspector, Code: "10020032011400260100", Name: "铁心桥街道第1监督员工作网格"},
			{Kind: data.KindInspector, Code: "10020032011400160200", Name: "雨花街道第2监督员工作网格"},
			{Kind: data.KindInspector, Code: "10020032011400160100", Name: "雨花街道第1监督员工作网格"},
		},
	}
	svc := accounts.NewService(st, accounts.NewDatasetDirectory(ds), accounts.Options{Params: fastParams, Log: slog.New(slog.DiscardHandler)})
	password, users, err := svc.CreateDemoUsers(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	roles := map[data.Role]string{}
	for _, u := range users {
		for _, r := range u.Roles {
			roles[r] = u.Name
		}
		in, err := svc.SignIn(ctx, u.Name, password, "127.0.0.1", "")
		if err != nil {
			t.Fatalf("demo user %s cannot sign in: %v", u.Name, err)
		}
		if _, err := svc.Session(ctx, in.Secret); err != nil {
			t.Fatalf("demo user %s: %v", u.Name, err)
		}
	}
	for _, r := range data.Roles {
		if roles[r] == "" {
			t.Errorf("no demo user for role %s", r)
		}
	}
	unit, _ := svc.User(ctx, roles[data.RoleUnit])
	ins, _ := svc.User(ctx, roles[data.RoleInspector])
	if unit.Name != "hw01" || unit.Unit != "HW" || ins.Name != "jdy00101" || ins.Grid != "10020032011400160100" {
		t.Fatalf("unit user %+v, inspector %+v: want hw01 of HW and jdy00101 on the first work grid of street 320114001", unit, ins)
	}
}

func testCopy(t *testing.T, from, to accounts.Store) {
	ctx := context.Background()
	src, _ := newService(from, nil, accounts.Options{})
	mustCreate(t, src, accounts.User{Name: "hw01", DisplayName: "赵磊", Roles: []data.Role{data.RoleUnit, data.RoleViewer}, Unit: "HW"})
	mustCreate(t, src, accounts.User{Name: "jdy00101", DisplayName: "李娜", Roles: []data.Role{data.RoleInspector}, Grid: "10020032011400160100"})
	if _, err := src.DisableUser(ctx, "jdy00101"); err != nil {
		t.Fatal(err)
	}
	if _, err := src.SignIn(ctx, "hw01", pw, "192.0.2.1", ""); err != nil {
		t.Fatal(err)
	}
	n, err := accounts.CopyUsers(ctx, from, to)
	if err != nil || n != 2 {
		t.Fatalf("copy: %d %v", n, err)
	}
	a, _ := from.Users(ctx)
	b, _ := to.Users(ctx)
	if len(a) != len(b) {
		t.Fatalf("copied %d users of %d", len(b), len(a))
	}
	for i := range a {
		_, ha, _ := from.User(ctx, a[i].Name)
		_, hb, _ := to.User(ctx, b[i].Name)
		if !equalUser(a[i], b[i]) || ha != hb {
			t.Errorf("copied %+v, want %+v with the same hash", b[i], a[i])
		}
	}
	dst, _ := newService(to, nil, accounts.Options{})
	if _, err := dst.SignIn(ctx, "hw01", pw, "192.0.2.1", ""); err != nil {
		t.Fatalf("sign in at the destination: %v", err)
	}
	if _, err := dst.SignIn(ctx, "jdy00101", pw, "192.0.2.1", ""); !errors.Is(err, accounts.ErrDisabled) {
		t.Fatalf("disabled user at the destination: %v", err)
	}
	if _, err := accounts.CopyUsers(ctx, from, to); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("a second copy: %v, want ErrConflict", err)
	}
}
