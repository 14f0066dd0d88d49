package api

import (
	"citygrid/api/httpx"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// wrapWriter returns w as a status- and size-recording writer, reusing the
// wrapper an outer middleware already made, so that the metrics, the access
// log and panic recovery share one per request.
func wrapWriter(w http.ResponseWriter, r *http.Request) middleware.WrapResponseWriter {
	if ww, ok := w.(middleware.WrapResponseWriter); ok {
		return ww
	}
	return middleware.NewWrapResponseWriter(w, r.ProtoMajor)
}

// accessLog writes one structured line per request after it is served:
// method, path, route pattern, status, bytes, duration and request id.
func accessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := wrapWriter(w, r)
			next.ServeHTTP(ww, r)
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			route := ""
			if rc := chi.RouteContext(r.Context()); rc != nil {
				route = rc.RoutePattern()
			}
			user, role := httpx.NotedUser(r.Context())
			log.LogAttrs(r.Context(), level, "request",
				slog.String("id", httpx.RequestID(r.Context())),
				slog.String("user", user),
				slog.String("role", role),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Int("bytes", ww.BytesWritten()),
				slog.Duration("duration", time.Since(start)),
				slog.String("remote", r.RemoteAddr),
			)
		})
	}
}

// recoverPanics turns a handler panic into a logged stack trace and a 500
// JSON answer (when nothing was written yet) instead of a dropped
// connection. http.ErrAbortHandler is re-raised: it is the deliberate way
// to abort a response.
func recoverPanics(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ww := wrapWriter(w, r)
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
					slog.String("id", httpx.RequestID(r.Context())),
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.String("panic", fmt.Sprint(v)),
					slog.String("stack", string(debug.Stack())),
				)
				if ww.Status() == 0 {
					httpx.WriteError(ww, fmt.Errorf("panic: %v", v))
				}
			}()
			next.ServeHTTP(ww, r)
		})
	}
}

// contentSecurityPolicy lets the pages load only this server's scripts,
// styles, images, fonts and data. MapLibre needs its workers from blob:
// URLs and images from data: and blob: URLs; styles may be inline because
// MapLibre, ECharts and the report page set them. No page may be framed
// by another site.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"

// securityHeaders sets the browser protections on every answer (pages,
// assets and API alike, so that none is forgotten): no Referer leaves a
// page, the content security policy, no framing by other sites and no
// content-type sniffing.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "SAMEORIGIN")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}
