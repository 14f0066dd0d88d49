package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"citygrid/api/httpx"
	"citygrid/data"

	"github.com/go-chi/chi/v5"
)

// tokenService is the administrators' token API: issue, list and revoke
// API tokens over HTTP (the same as `citygrid token`), and whoami for
// every holder of a token.
type tokenService struct {
	store data.TokenStore
	auth  *StoreTokens // nil when the server authenticates otherwise
}

// MountTokens adds the token API over store (nil: every call answers
// 503); a is the server's token cache, told of revocations (nil when the
// server authenticates otherwise).
func MountTokens(r chi.Router, store data.TokenStore, a *StoreTokens) {
	(&tokenService{store: store, auth: a}).mount(r)
}

func (s *tokenService) mount(r chi.Router) {
	if s.store == nil {
		s.store = noTokenStore{}
	}
	r.With(Require(data.Roles...)).Get("/api/v1/whoami", s.whoami)
	admin := r.With(Require(data.RoleAdmin))
	admin.Get("/api/v1/tokens", s.list)
	admin.Post("/api/v1/tokens", s.create)
	admin.Delete("/api/v1/tokens/{id}", s.revoke)
}

// tokenRequest is the body of POST /api/v1/tokens.
type tokenRequest struct {
	User string    `json:"user"`
	Role data.Role `json:"role"`
	Unit string    `json:"unit,omitempty"`
	Note string    `json:"note,omitempty"`
	// ExpiresIn is a Go duration ("720h"); empty: the token does not expire.
	ExpiresIn string `json:"expires_in,omitempty"`
}

// issuedToken is the answer of POST /api/v1/tokens: the only time the
// token text is shown.
type issuedToken struct {
	Secret string `json:"token"`
	data.Token
}

func (s *tokenService) whoami(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, PrincipalOf(r))
}

func (s *tokenService) list(w http.ResponseWriter, r *http.Request) {
	ts, err := s.store.Tokens(r.Context())
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	if ts == nil {
		ts = []data.Token{}
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"tokens": ts})
}

func (s *tokenService) create(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		httpx.WriteError(w, &data.ValidationError{Field: "body", Reason: err.Error()})
		return
	}
	var exp time.Time
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 {
			httpx.WriteError(w, &data.ValidationError{Field: "expires_in", Reason: fmt.Sprintf("%q is not a positive duration like \"720h\"", req.ExpiresIn)})
			return
		}
		exp = time.Now().Add(d)
	}
	tok, t, err := s.store.CreateToken(r.Context(), data.Principal{User: req.User, Role: req.Role, Unit: req.Unit}, req.Note, exp)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, issuedToken{Secret: tok, Token: t})
}

func (s *tokenService) revoke(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	var t data.Token
	var err error
	if s.auth != nil {
		t, err = s.auth.Revoke(r.Context(), id)
	} else {
		t, err = s.store.RevokeToken(r.Context(), id)
	}
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, t)
}

// noTokenStore stands in when the server has no token store: the token
// API answers 503 saying so.
type noTokenStore struct{}

var errNoTokenStore = fmt.Errorf("this server has no token store: %w", data.ErrUnavailable)

func (noTokenStore) CreateToken(context.Context, data.Principal, string, time.Time) (string, data.Token, error) {
	return "", data.Token{}, errNoTokenStore
}
func (noTokenStore) TokenByHash(context.Context, data.TokenHash) (data.Token, error) {
	return data.Token{}, errNoTokenStore
}
func (noTokenStore) Tokens(context.Context) ([]data.Token, error) { return nil, errNoTokenStore }
func (noTokenStore) RevokeToken(context.Context, string) (data.Token, error) {
	return data.Token{}, errNoTokenStore
}
func (noTokenStore) TokenRevocations(context.Context) (int64, error) { return 0, errNoTokenStore }
