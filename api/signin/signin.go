// Package signin is sign-in over HTTP: the sign-in page, the routes of a
// person's own session (sign in and out, switch role, change password,
// sessions elsewhere) and the administrators' user API, over the accounts
// service of data/accounts. Who makes a request, cookie or token, is
// decided before these routes by package auth; this package only opens
// and ends sessions and manages accounts.
package signin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"citygrid/api/auth"
	"citygrid/api/httpx"
	"citygrid/data"
	"citygrid/data/accounts"
	"citygrid/data/accounts/password"

	"github.com/go-chi/chi/v5"
)

// maxSessionBody caps the JSON bodies of the sign-in and account routes:
// a user name, a password of at most password.MaxBytes and a few fields.
const maxSessionBody = 4 << 10

// sessionAPI serves sign-in, the signed-in user's own session and
// password, and the administrators' user API.
type sessionAPI struct {
	svc     *accounts.Service
	trusted []netip.Prefix
	cop     *http.CrossOriginProtection
}

// Mount adds the sign-in routes, the user API and the sign-in page over
// o.Accounts (nil: every route answers 503 saying so).
func Mount(r chi.Router, o auth.SessionOptions) {
	s := &sessionAPI{svc: o.Accounts, trusted: o.TrustedProxies, cop: http.NewCrossOriginProtection()}
	r.Get(auth.SignInPath, signInPage)
	r.Get(auth.SignInPath+"/assets/{file}", signInAsset)
	r.Group(func(r chi.Router) {
		r.Use(httpx.LimitBody(maxSessionBody))
		own := r.With(s.available)
		own.Post(auth.SessionPath, s.signIn)
		own.Get(auth.SessionPath, s.current)
		own.Delete(auth.SessionPath, s.signOut)
		own.Put("/api/v1/session/role", s.selectRole)
		own.Post("/api/v1/session/password", s.changePassword)
		signed := r.With(auth.Require(data.Roles...), s.available)
		signed.Get("/api/v1/sessions", s.sessions)
		signed.Delete("/api/v1/sessions/{id}", s.revokeSession)
		admin := r.With(auth.Require(data.RoleAdmin), s.available)
		admin.Get("/api/v1/users", s.users)
		admin.Post("/api/v1/users", s.createUser)
		admin.Patch("/api/v1/users/{name}", s.updateUser)
		admin.Post("/api/v1/users/{name}/password", s.resetPassword)
	})
}

// SelfServiceRoutes are the writes every signed-in person may make on
// their own session, whatever their role: switch role, change password,
// end one of their sessions. Sign-in and sign-out are public.
var SelfServiceRoutes = []string{"PUT /api/v1/session/role", "POST /api/v1/session/password", "DELETE /api/v1/sessions/{id}"}

var errNoAccounts = fmt.Errorf("this server has no accounts (sign in with a bearer token): %w", data.ErrUnavailable)

// available answers 503 when the server has no account service.
func (s *sessionAPI) available(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.svc == nil {
			httpx.WriteError(w, errNoAccounts)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// decodeStrict reads a JSON object of exactly the fields of v.
func decodeStrict(r *http.Request, v any) error {
	if r.Body == nil || r.Body == http.NoBody {
		return httpx.BadRequest("body", "required")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return httpx.JSONError(err)
	}
	if dec.More() {
		return httpx.BadRequest("body", "trailing data after the JSON value")
	}
	return nil
}

// signedIn is the cookie session of a request: its secret and what it
// resolved to.
type signedIn struct {
	secret  string
	current accounts.Current
}

// sessionOf returns the request's cookie session, if it has one.
func sessionOf(r *http.Request) (signedIn, bool) {
	secret, cur, ok := auth.SessionOf(r)
	return signedIn{secret: secret, current: cur}, ok
}

// ownSession returns the request's cookie session and decodes the body
// into v (unless nil), answering 401 or 400 itself when it cannot.
func ownSession(w http.ResponseWriter, r *http.Request, v any) (signedIn, bool) {
	si, ok := sessionOf(r)
	if !ok {
		httpx.WriteError(w, errNotSignedIn)
		return si, false
	}
	if v != nil {
		if err := decodeStrict(r, v); err != nil {
			httpx.WriteError(w, err)
			return si, false
		}
	}
	return si, true
}

// SessionUser is the signed-in user as the session routes show it.
type SessionUser struct {
	Username    string      `json:"username"`
	DisplayName string      `json:"display_name"`
	Roles       []data.Role `json:"roles"`
	// Role is the role the session acts in now.
	Role data.Role `json:"role"`
	// Department is the department code of a unit handler.
	Department string `json:"department,omitempty"`
	// Grid is an inspector's work grid.
	Grid string `json:"grid,omitempty"`
}

// SessionBody is the answer of the session routes.
type SessionBody struct {
	User SessionUser `json:"user"`
	// CSRFToken goes back in X-CSRF-Token on every write.
	CSRFToken string `json:"csrf_token"`
	// SessionID is the session's public id, as GET /api/v1/sessions lists it.
	SessionID string `json:"session_id"`
	// ExpiresAt is the absolute end of the session; it ends sooner after
	// IdleTimeoutSeconds without a request.
	ExpiresAt          time.Time `json:"expires_at"`
	IdleTimeoutSeconds int       `json:"idle_timeout_seconds"`
}

func (s *sessionAPI) body(u accounts.User, sess accounts.Session, secret string) SessionBody {
	return SessionBody{
		User:      SessionUser{Username: u.Name, DisplayName: u.DisplayName, Roles: u.Roles, Role: sess.Role, Department: u.Unit, Grid: u.Grid},
		CSRFToken: accounts.CSRFToken(secret), SessionID: sess.ID, ExpiresAt: sess.ExpiresAt,
		IdleTimeoutSeconds: int(s.svc.IdleTimeout() / time.Second),
	}
}

// writeLocked answers a refused sign-in with 429 and Retry-After.
func writeLocked(w http.ResponseWriter, err error) {
	var le *accounts.LockedError
	if errors.As(err, &le) {
		w.Header().Set("Retry-After", auth.RetryAfterSeconds(le.RetryAfter))
	}
	httpx.WriteError(w, err)
}

// signIn answers POST /api/v1/session: user name and password in, a
// session cookie and the session body out (201). A cookie session the
// browser held before is signed out.
func (s *sessionAPI) signIn(w http.ResponseWriter, r *http.Request) {
	// Sign-in has no session yet, so the middleware's check did not run:
	// a form of another site must not sign the browser into an account
	// of the attacker's choosing.
	if err := s.cop.Check(r); err != nil {
		httpx.WriteError(w, fmt.Errorf("cross-origin sign-in refused: %w", data.ErrForbidden))
		return
	}
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeStrict(r, &req); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if req.Username == "" || req.Password == "" {
		httpx.WriteError(w, httpx.BadRequest("body", "username and password are required"))
		return
	}
	in, err := s.svc.SignIn(r.Context(), req.Username, req.Password, auth.ClientIP(r, s.trusted), r.UserAgent())
	if err != nil {
		writeLocked(w, err)
		return
	}
	if old := auth.SessionCookie(r, s.trusted); old != "" {
		_ = s.svc.SignOut(r.Context(), old)
	}
	auth.SetSessionCookie(w, r, s.trusted, in.Secret)
	httpx.WriteJSON(w, http.StatusCreated, s.body(in.User, in.Session, in.Secret))
}

// errNotSignedIn answers the session routes for a request without a
// cookie session.
var errNotSignedIn = fmt.Errorf("not signed in (no valid session cookie): %w", data.ErrUnauthorized)

// current answers GET /api/v1/session: who is signed in, or 401.
func (s *sessionAPI) current(w http.ResponseWriter, r *http.Request) {
	si, ok := ownSession(w, r, nil)
	if !ok {
		return
	}
	httpx.WriteJSON(w, http.StatusOK, s.body(si.current.User, si.current.Session, si.secret))
}

// signOut answers DELETE /api/v1/session: the session ends and the cookie
// is cleared (204), signed in or not.
func (s *sessionAPI) signOut(w http.ResponseWriter, r *http.Request) {
	if si, ok := sessionOf(r); ok {
		if err := s.svc.SignOut(r.Context(), si.secret); err != nil {
			httpx.WriteError(w, err)
			return
		}
	}
	auth.ClearSessionCookie(w, r, s.trusted)
	w.WriteHeader(http.StatusNoContent)
}

// selectRole answers PUT /api/v1/session/role {"role": …}: the session acts
// in another of the user's roles from now on.
func (s *sessionAPI) selectRole(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Role data.Role `json:"role"`
	}
	si, ok := ownSession(w, r, &req)
	if !ok {
		return
	}
	cur, err := s.svc.SelectRole(r.Context(), si.secret, req.Role)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, s.body(cur.User, cur.Session, si.secret))
}

// changePassword answers POST /api/v1/session/password: the signed-in user
// sets a new password, giving the current one; their other sessions end
// (204).
func (s *sessionAPI) changePassword(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Old string `json:"old_password"`
		New string `json:"new_password"`
	}
	si, ok := ownSession(w, r, &req)
	if !ok {
		return
	}
	if err := s.svc.ChangePassword(r.Context(), si.secret, req.Old, req.New, auth.ClientIP(r, s.trusted)); err != nil {
		writeLocked(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// sessionView is one of a user's sessions as GET /api/v1/sessions lists
// it.
type sessionView struct {
	accounts.Session
	// Current marks the session of the request.
	Current bool `json:"current"`
}

// sessions answers GET /api/v1/sessions: where the caller is signed in.
func (s *sessionAPI) sessions(w http.ResponseWriter, r *http.Request) {
	all, err := s.svc.Sessions(r.Context(), auth.PrincipalOf(r).User)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	si, _ := sessionOf(r)
	out := make([]sessionView, len(all))
	for i, x := range all {
		out[i] = sessionView{Session: x, Current: x.ID == si.current.Session.ID}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

// revokeSession answers DELETE /api/v1/sessions/{id}: the caller ends one
// of their own sessions (204; 404 for a session not theirs).
func (s *sessionAPI) revokeSession(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if err := s.svc.RevokeSession(r.Context(), auth.PrincipalOf(r).User, id); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if si, ok := sessionOf(r); ok && si.current.Session.ID == id {
		auth.ClearSessionCookie(w, r, s.trusted)
	}
	w.WriteHeader(http.StatusNoContent)
}

// UserView is a user as the admin API shows it.
type UserView struct {
	Username          string      `json:"username"`
	DisplayName       string      `json:"display_name"`
	Roles             []data.Role `json:"roles"`
	Department        string      `json:"department,omitempty"`
	Grid              string      `json:"grid,omitempty"`
	Disabled          bool        `json:"disabled"`
	CreatedAt         time.Time   `json:"created_at"`
	UpdatedAt         time.Time   `json:"updated_at"`
	PasswordChangedAt time.Time   `json:"password_changed_at"`
}

func userView(u accounts.User) UserView {
	return UserView{Username: u.Name, DisplayName: u.DisplayName, Roles: u.Roles, Department: u.Unit, Grid: u.Grid,
		Disabled: u.Disabled, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, PasswordChangedAt: u.PasswordChangedAt}
}

// users answers GET /api/v1/users.
func (s *sessionAPI) users(w http.ResponseWriter, r *http.Request) {
	us, err := s.svc.ListUsers(r.Context())
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	out := make([]UserView, len(us))
	for i, u := range us {
		out[i] = userView(u)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"users": out})
}

// newPassword is the password part of creating a user or resetting one:
// a password the admin chose, or generate for one made up here and shown
// once in the answer.
type newPassword struct {
	Password string `json:"password,omitempty"`
	Generate bool   `json:"generate,omitempty"`
}

// pick returns the password to set, and whether it was generated.
func (p newPassword) pick() (string, bool, error) {
	switch {
	case p.Generate && p.Password != "":
		return "", false, httpx.BadRequest("password", "give a password or generate, not both")
	case p.Generate:
		pw, err := password.Generate()
		return pw, true, err
	case p.Password == "":
		return "", false, httpx.BadRequest("password", "required (or \"generate\": true)")
	}
	return p.Password, false, nil
}

// createdUser is the answer of POST /api/v1/users and of a reset: the
// generated password appears here only, once.
type createdUser struct {
	User     *UserView `json:"user,omitempty"`
	Password string    `json:"password,omitempty"`
}

// createUser answers POST /api/v1/users (201).
func (s *sessionAPI) createUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username    string      `json:"username"`
		DisplayName string      `json:"display_name"`
		Roles       []data.Role `json:"roles"`
		Department  string      `json:"department"`
		Grid        string      `json:"grid"`
		newPassword
	}
	if err := decodeStrict(r, &req); err != nil {
		httpx.WriteError(w, err)
		return
	}
	pw, generated, err := req.pick()
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	u, err := s.svc.CreateUser(r.Context(), accounts.User{Name: req.Username, DisplayName: req.DisplayName, Roles: req.Roles,
		Unit: req.Department, Grid: req.Grid}, pw)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	v := userView(u)
	out := createdUser{User: &v}
	if generated {
		out.Password = pw
	}
	httpx.WriteJSON(w, http.StatusCreated, out)
}

// updateUser answers PATCH /api/v1/users/{name}: display name, roles (with
// department and grid) and the disabled flag, each only when given.
// Changing roles or disabling ends the user's sessions.
func (s *sessionAPI) updateUser(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	var req struct {
		DisplayName *string      `json:"display_name"`
		Roles       *[]data.Role `json:"roles"`
		Department  *string      `json:"department"`
		Grid        *string      `json:"grid"`
		Disabled    *bool        `json:"disabled"`
	}
	if err := decodeStrict(r, &req); err != nil {
		httpx.WriteError(w, err)
		return
	}
	ctx := r.Context()
	u, err := s.svc.User(ctx, name)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	// The roles are validated with the whole user by the store's rules, so
	// they go first; a display name is checked here before either is
	// written, so that a refused request changes nothing.
	if req.DisplayName != nil {
		if n := utf8.RuneCountInString(strings.TrimSpace(*req.DisplayName)); n == 0 || n > 64 {
			httpx.WriteError(w, &data.ValidationError{Field: "display_name", Reason: "must be 1 to 64 characters"})
			return
		}
	}
	if req.Roles != nil || req.Department != nil || req.Grid != nil {
		roles, unit, grid := u.Roles, u.Unit, u.Grid
		if req.Roles != nil {
			roles = *req.Roles
		}
		if req.Department != nil {
			unit = *req.Department
		}
		if req.Grid != nil {
			grid = *req.Grid
		}
		if u, err = s.svc.SetRoles(ctx, name, roles, unit, grid); err != nil {
			httpx.WriteError(w, err)
			return
		}
	}
	if req.DisplayName != nil {
		if u, err = s.svc.SetDisplayName(ctx, name, *req.DisplayName); err != nil {
			httpx.WriteError(w, err)
			return
		}
	}
	if req.Disabled != nil && *req.Disabled != u.Disabled {
		if u, err = s.svc.SetDisabled(ctx, name, *req.Disabled); err != nil {
			httpx.WriteError(w, err)
			return
		}
	}
	httpx.WriteJSON(w, http.StatusOK, userView(u))
}

// resetPassword answers POST /api/v1/users/{name}/password: an admin sets a
// new password (or has one generated, shown once); every session of the
// user ends.
func (s *sessionAPI) resetPassword(w http.ResponseWriter, r *http.Request) {
	var req newPassword
	if err := decodeStrict(r, &req); err != nil {
		httpx.WriteError(w, err)
		return
	}
	pw, generated, err := req.pick()
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	if err := s.svc.ResetPassword(r.Context(), chi.URLParam(r, "name"), pw); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if !generated {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, createdUser{Password: pw})
}
