package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"citygrid/api/httpx"
	"citygrid/data"
	"citygrid/data/accounts"
)

// Cookie names of the browser session. Over TLS the cookie carries the
// __Host- prefix, which browsers accept only with Secure, Path=/ and no
// Domain: no sibling host or plain-HTTP page can set or shadow it. Plain
// HTTP (a demo on a laptop, a test) cannot use the prefix.
const (
	SecureCookieName = "__Host-citygrid_session"
	PlainCookieName  = "citygrid_session"
)

// CSRFHeader carries a session's anti-forgery token on every
// cookie-authenticated write.
const CSRFHeader = "X-CSRF-Token"

// SignInPath is the sign-in page the command pages send people to when
// they are not signed in, with ?next= the page they asked for.
const SignInPath = "/login"

// SessionOptions configure the cookie-session middleware and routes.
type SessionOptions struct {
	// Accounts checks passwords and resolves sessions; nil: no sign-in
	// (the middleware passes everything through, the routes answer 503).
	Accounts *accounts.Service
	// TrustedProxies may say, with X-Forwarded-Proto, that the client
	// spoke TLS to them; the cookie is then Secure and __Host- prefixed.
	TrustedProxies []netip.Prefix
	Log            *slog.Logger
}

// secureRequest reports whether the browser reached the server over TLS:
// directly, or through a trusted proxy that says so.
func secureRequest(r *http.Request, trusted []netip.Prefix) bool {
	if r.TLS != nil {
		return true
	}
	if len(trusted) == 0 {
		return false
	}
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	peer, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil || !inPrefixes(peer, trusted) {
		return false
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// cookieName is the session cookie's name for r's transport.
func cookieName(r *http.Request, trusted []netip.Prefix) string {
	if secureRequest(r, trusted) {
		return SecureCookieName
	}
	return PlainCookieName
}

// SessionCookie returns the session secret r carries, "" when none.
func SessionCookie(r *http.Request, trusted []netip.Prefix) string {
	c, err := r.Cookie(cookieName(r, trusted))
	if err != nil {
		return ""
	}
	return c.Value
}

// SetSessionCookie gives the browser its session. It has no Max-Age: it
// ends with the browser, and the server ends it sooner on its idle and
// absolute timeouts.
func SetSessionCookie(w http.ResponseWriter, r *http.Request, trusted []netip.Prefix, secret string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName(r, trusted), Value: secret, Path: "/", HttpOnly: true,
		Secure: secureRequest(r, trusted), SameSite: http.SameSiteLaxMode})
}

// ClearSessionCookie tells the browser to forget its session cookie.
func ClearSessionCookie(w http.ResponseWriter, r *http.Request, trusted []netip.Prefix) {
	http.SetCookie(w, &http.Cookie{Name: cookieName(r, trusted), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: secureRequest(r, trusted), SameSite: http.SameSiteLaxMode})
}

type sessionKey struct{}

// signedIn is the session a request was authenticated with.
type signedIn struct {
	secret  string
	current accounts.Current
}

// SessionOf returns the cookie session r was authenticated with, and its
// secret: ok is false for a request without one (anonymous, or a bearer
// token).
func SessionOf(r *http.Request) (secret string, cur accounts.Current, ok bool) {
	s, ok := r.Context().Value(sessionKey{}).(signedIn)
	return s.secret, s.current, ok
}

// unsafeMethod reports whether m may change something, so that a
// cookie-authenticated request with it needs the CSRF token.
func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// signingIn reports whether r is a sign-in. A browser still signed in may
// sign in again (another person at the same desk) from the sign-in page,
// which has no CSRF token: the password is the proof, and the origin
// check still applies.
func signingIn(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == SessionPath
}

// SessionPath is the route that signs in (POST), reads (GET) and ends
// (DELETE) the browser's session.
const SessionPath = "/api/v1/session"

// errCSRF answers a cookie-authenticated write without the session's
// anti-forgery token.
var errCSRF = fmt.Errorf("a write with the session cookie needs the session's %s header (from POST or GET /api/v1/session): %w", CSRFHeader, data.ErrForbidden)

// Sessions authenticates browsers by their session cookie, after
// Authenticate: a request that carries an Authorization header was decided
// there (a bearer token wins and needs no CSRF token). Otherwise the
// cookie's session becomes the request's principal under the same context
// key as a token's, so every role check and unit scoping applies to it
// unchanged. A cookie of no valid session is cleared and the request goes
// on as anonymous; it is not counted as a failure, so a stale cookie can
// lock nobody out.
//
// Every cookie-authenticated POST, PUT, PATCH and DELETE must pass Go's
// cross-origin protection (Sec-Fetch-Site, else Origin against Host) and
// carry the session's CSRF token in X-CSRF-Token: 403 otherwise. A form
// another site posts fails both. Sign-in itself needs no CSRF token.
func Sessions(o SessionOptions) func(http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		if o.Accounts == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "" {
				next.ServeHTTP(w, r)
				return
			}
			secret := SessionCookie(r, o.TrustedProxies)
			if secret == "" {
				next.ServeHTTP(w, r)
				return
			}
			cur, err := o.Accounts.Session(r.Context(), secret)
			if errors.Is(err, accounts.ErrNoSession) {
				ClearSessionCookie(w, r, o.TrustedProxies)
				next.ServeHTTP(w, r)
				return
			}
			if err != nil {
				httpx.WriteError(w, err)
				return
			}
			if unsafeMethod(r.Method) {
				if err := cop.Check(r); err != nil {
					httpx.WriteError(w, fmt.Errorf("cross-origin %s refused: %w", r.Method, data.ErrForbidden))
					return
				}
				if !signingIn(r) && !accounts.CheckCSRF(secret, r.Header.Get(CSRFHeader)) {
					o.Log.LogAttrs(r.Context(), slog.LevelWarn, "csrf token missing or wrong",
						slog.String("id", httpx.RequestID(r.Context())),
						slog.String("user", cur.User.Name),
						slog.String("session", cur.Session.ID),
						slog.String("method", r.Method),
						slog.String("path", r.URL.Path))
					httpx.WriteError(w, errCSRF)
					return
				}
			}
			httpx.NoteUser(r, cur.Principal.User, string(cur.Principal.Role))
			ctx := WithPrincipal(r.Context(), cur.Principal)
			ctx = context.WithValue(ctx, sessionKey{}, signedIn{secret: secret, current: cur})
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// SignInFirst sends a browser that is not signed in from a page to the
// sign-in page (303), which brings it back to the page once signed in.
// Pages stay free of credentials in their address: no ?token=.
func SignInFirst(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if PrincipalOf(r).Anonymous() {
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, SignInPath+"?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}
