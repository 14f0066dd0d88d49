// Package auth decides who makes a request and what they may do: bearer
// tokens (fixed or issued from a token store), roles per route, the read
// policy of a private server, rate limits per address and per token, and
// the token administration API.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"citygrid/api/httpx"
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

// WithPrincipal returns ctx carrying p as the principal of its request:
// what Authenticate does once a token checks out, and what a handler
// mounted behind another authentication (or a test) does itself.
func WithPrincipal(ctx context.Context, p data.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalOf returns who makes r: the zero Principal for a request without
// credentials.
func PrincipalOf(r *http.Request) data.Principal {
	p, _ := r.Context().Value(principalKey{}).(data.Principal)
	return p
}

// Authenticate reads "Authorization: Bearer <token>" and puts the principal
// into the request context. A request without the header goes on as
// anonymous (public routes serve it; Require refuses it); a header with
// a bad token is refused at once with 401. Every failure is logged with
// the client address and the token's public id (never the token) and
// spends one token of the client's failed-authentication bucket; a client
// whose bucket is empty gets 429 with Retry-After for any request carrying
// a token, before the token is even looked at.
//
// failures is the failed-authentication limit per client address (zero
// Rate: DefaultAuthFailures).
func Authenticate(a Authenticator, failures RateLimit, trusted []netip.Prefix, log *slog.Logger, sec *Counters) func(http.Handler) http.Handler {
	if failures.Rate <= 0 {
		failures = DefaultAuthFailures
	}
	fails := newLimiter(failures)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := r.Header.Get("Authorization")
			if h == "" {
				next.ServeHTTP(w, r)
				return
			}
			ip := clientIP(r, trusted)
			now := time.Now()
			if blocked, wait := fails.empty(ip, now); blocked {
				sec.limited[limitAuthFailure].Add(1)
				tooMany(w, wait, "too many failed authentications from this address")
				return
			}
			fail := func(reason string, err error) {
				sec.authFailures[reason].Add(1)
				fails.take(ip, now, 1)
				log.LogAttrs(r.Context(), slog.LevelWarn, "authentication failed",
					slog.String("id", httpx.RequestID(r.Context())),
					slog.String("remote", ip),
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.String("reason", reason),
					slog.String("error", err.Error()))
				httpx.WriteError(w, err)
			}
			scheme, token, ok := strings.Cut(h, " ")
			token = strings.TrimSpace(token)
			if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="citygrid"`)
				fail(failMalformed, fmt.Errorf("Authorization header is not \"Bearer <token>\": %w", data.ErrUnauthorized))
				return
			}
			if a == nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="citygrid"`)
				fail(failUnknown, fmt.Errorf("this server issues no tokens: %w", data.ErrUnauthorized))
				return
			}
			p, err := a.Authenticate(r.Context(), token)
			if err != nil {
				if !errors.Is(err, data.ErrUnauthorized) {
					// The store failed, not the client: no failure is
					// counted against it.
					httpx.WriteError(w, err)
					return
				}
				w.Header().Set("WWW-Authenticate", `Bearer realm="citygrid", error="invalid_token"`)
				reason := failUnknown
				switch msg := err.Error(); {
				case strings.Contains(msg, "revoked"):
					reason = failRevoked
				case strings.Contains(msg, "expired"):
					reason = failExpired
				}
				fail(reason, err)
				return
			}
			httpx.NoteUser(r, p.User, string(p.Role))
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
}

// Require admits only principals with one of roles (RoleAdmin is always
// admitted): 401 without credentials, 403 with another role.
func Require(roles ...data.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := PrincipalOf(r)
			if p.Anonymous() {
				w.Header().Set("WWW-Authenticate", `Bearer realm="citygrid"`)
				httpx.WriteError(w, fmt.Errorf("%s %s needs a bearer token: %w", r.Method, r.URL.Path, data.ErrUnauthorized))
				return
			}
			if p.Role != data.RoleAdmin && !slices.Contains(roles, p.Role) {
				httpx.WriteError(w, fmt.Errorf("role %q may not %s %s: %w", p.Role, r.Method, r.URL.Path, data.ErrForbidden))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// publicPrefixes and publicPaths are the explicit list of what anyone may
// read without a token, whatever the configuration: the map (page, assets,
// tiles, TileJSON, styles, fonts), Open311 GeoReport v2 (read and post —
// citizens' apps have no accounts here), the probes, the API document and
// the command pages' shells (/command, /command/report and their assets:
// no data; the page asks for a token and its data calls keep their rules).
var (
	publicPaths    = []string{"/", "/healthz", "/readyz", "/api/v1/openapi.json", "/command", "/command/report"}
	publicPrefixes = []string{"/tiles/", "/styles/", "/fonts/", "/web/", "/open311/", "/command/assets/", "/command/echarts/"}
)

// ReadOnlyPosts are POST routes that only read (lookups whose input is too
// big for a query string). They follow the read policy, not the write one.
var ReadOnlyPosts = []string{"/api/v1/locate/batch", "/api/v1/responsible/batch", "/api/v1/within"}

// privateTiles are the tiles under /tiles/ that are not public on a
// private server: the case map shows every case's place and category.
var privateTiles = []string{"/tiles/cases.json", "/tiles/cases/"}

// PublicPath reports whether path is on the public list.
func PublicPath(path string) bool {
	for _, p := range privateTiles {
		if strings.HasPrefix(path, p) {
			return false
		}
	}
	if slices.Contains(publicPaths, path) {
		return true
	}
	for _, p := range publicPrefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// ReadPolicy enforces Config.PrivateReads: when set, every request
// outside the public list needs a valid token of some role (401 without),
// so the internal APIs (lookups, geocoding, statistics, cases, metrics)
// are closed to the anonymous Internet while the map stays public. Writes
// are guarded per route by requireRole either way.
func ReadPolicy(private bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if !private {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if PublicPath(r.URL.Path) || !PrincipalOf(r).Anonymous() {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="citygrid"`)
			httpx.WriteError(w, fmt.Errorf("%s needs a bearer token on this server (public_lookups is off): %w", r.URL.Path, data.ErrUnauthorized))
		})
	}
}
