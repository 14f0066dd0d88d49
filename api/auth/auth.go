// Package auth decides who makes a request and what they may do: bearer
// tokens (fixed or issued from a token store), browser session cookies with
// their CSRF check, roles per route, the read policy of a private server,
// rate limits per address and per token, and the token administration API.
// Opening and ending sessions and managing accounts is package signin's.
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
// the client address and the token's public id (never the token).
//
// Failures are counted per (address, token id): a page left open with a
// revoked token, reconnecting every few seconds, soon gets 429 with
// Retry-After for that token alone, before it is looked up again, while a
// colleague's valid token from the same address (one NAT, one proxy)
// goes on working. A valid token is never refused for failures of other
// tokens. Failures of every token from one address are counted too, ten
// times more loosely: past that, a failing token gets 429 instead of 401,
// which slows a guesser trying new tokens without touching valid ones.
//
// failures is the failed-authentication limit per (address, token) (zero
// Rate: DefaultAuthFailures).
func Authenticate(a Authenticator, failures RateLimit, trusted []netip.Prefix, log *slog.Logger, sec *Counters) func(http.Handler) http.Handler {
	if failures.Rate <= 0 {
		failures = DefaultAuthFailures
	}
	perToken := newLimiter(failures)
	perAddr := newLimiter(RateLimit{Rate: failures.Rate * addressFailureFactor, Burst: failures.Burst * addressFailureFactor})
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := r.Header.Get("Authorization")
			if h == "" {
				next.ServeHTTP(w, r)
				return
			}
			ip := ClientIP(r, trusted)
			now := time.Now()
			scheme, token, ok := strings.Cut(h, " ")
			token = strings.TrimSpace(token)
			wellFormed := ok && strings.EqualFold(scheme, "Bearer") && token != ""
			id := "malformed"
			if wellFormed {
				id = data.HashToken(token).ID()
			}
			key := ip + " " + id
			if blocked, wait := perToken.empty(key, now); blocked {
				sec.limited[limitAuthFailure].Add(1)
				tooMany(w, wait, "too many failed authentications with this token from this address")
				return
			}
			fail := func(reason string, err error) {
				sec.authFailures[reason].Add(1)
				perToken.take(key, now, 1)
				log.LogAttrs(r.Context(), slog.LevelWarn, "authentication failed",
					slog.String("id", httpx.RequestID(r.Context())),
					slog.String("remote", ip),
					slog.String("token_id", id),
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.String("reason", reason),
					slog.String("error", err.Error()))
				if ok, wait := perAddr.take(ip, now, 1); !ok {
					sec.limited[limitAuthFailure].Add(1)
					tooMany(w, wait, "too many failed authentications from this address")
					return
				}
				httpx.WriteError(w, err)
			}
			if !wellFormed {
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

// addressFailureFactor is how much more loosely failed authentications
// are counted per address than per (address, token).
const addressFailureFactor = 10

// Require admits only principals with one of roles (RoleAdmin is always
// admitted): 401 without credentials, 403 with another role.
func Require(roles ...data.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := PrincipalOf(r)
			if p.Anonymous() {
				w.Header().Set("WWW-Authenticate", `Bearer realm="citygrid"`)
				httpx.WriteError(w, fmt.Errorf("%s %s needs sign-in or a bearer token: %w", r.Method, r.URL.Path, data.ErrUnauthorized))
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
// no data; a page sends a browser that is not signed in to sign in, and
// its data calls keep their rules), the work screens (/app/) and the field
// app (/field/), which sign in themselves, the sign-in page and the sign-in route itself (GET
// /api/v1/session answers 401 without a session).
var (
	publicPaths    = []string{"/", "/app", "/healthz", "/readyz", "/api/v1/openapi.json", "/command", "/command/report", SignInPath, SessionPath, "/field"}
	publicPrefixes = []string{"/app/", "/tiles/", "/styles/", "/fonts/", "/web/", "/open311/", "/command/assets/", "/command/echarts/", SignInPath + "/assets/", "/field/"}
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
