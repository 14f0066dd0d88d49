package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"citygrid/data"
)

// Authenticator turns a bearer token into the principal it was issued to.
// An unknown, revoked or expired token is an error wrapping
// data.ErrUnauthorized.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (data.Principal, error)
}

// StaticTokens is an Authenticator over a fixed token → principal map, for
// tests and for bootstrapping a server before any token is issued.
type StaticTokens map[string]data.Principal

// Authenticate implements Authenticator.
func (t StaticTokens) Authenticate(_ context.Context, token string) (data.Principal, error) {
	p, ok := t[token]
	if !ok {
		return data.Principal{}, fmt.Errorf("unknown token: %w", data.ErrUnauthorized)
	}
	return p, nil
}

type principalKey struct{}

// principalOf returns who makes r: the zero Principal for a request without
// credentials.
func principalOf(r *http.Request) data.Principal {
	p, _ := r.Context().Value(principalKey{}).(data.Principal)
	return p
}

// authenticate reads "Authorization: Bearer <token>" and puts the principal
// into the request context. A request without the header goes on as
// anonymous (public routes serve it; requireRole refuses it); a header with
// a bad token is refused at once with 401.
func authenticate(a Authenticator) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := r.Header.Get("Authorization")
			if h == "" {
				next.ServeHTTP(w, r)
				return
			}
			scheme, token, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="citygrid"`)
				writeError(w, fmt.Errorf("Authorization header is not \"Bearer <token>\": %w", data.ErrUnauthorized))
				return
			}
			if a == nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="citygrid"`)
				writeError(w, fmt.Errorf("this server issues no tokens: %w", data.ErrUnauthorized))
				return
			}
			p, err := a.Authenticate(r.Context(), strings.TrimSpace(token))
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="citygrid", error="invalid_token"`)
				writeError(w, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
		})
	}
}

// requireRole admits only principals with one of roles (RoleAdmin is always
// admitted): 401 without credentials, 403 with another role.
func requireRole(roles ...data.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := principalOf(r)
			if p.Anonymous() {
				w.Header().Set("WWW-Authenticate", `Bearer realm="citygrid"`)
				writeError(w, fmt.Errorf("%s %s needs a bearer token: %w", r.Method, r.URL.Path, data.ErrUnauthorized))
				return
			}
			if p.Role != data.RoleAdmin && !slices.Contains(roles, p.Role) {
				writeError(w, fmt.Errorf("role %q may not %s %s: %w", p.Role, r.Method, r.URL.Path, data.ErrForbidden))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
