package api

import (
	"citygrid/api/httpx"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// ctxKey keys the values this package stores in a request context.
type ctxKey int

const (
	requestIDKey ctxKey = iota
	requestInfoKey
)

// requestInfo is what inner middleware learns about a request that the
// outer access log reports: authenticate records the user here, because
// the context it derives is not the one the access log holds.
type requestInfo struct {
	user string
	role string
}

// noteUser records the authenticated principal for the access log.
func noteUser(r *http.Request, user, role string) {
	if ri, ok := r.Context().Value(requestInfoKey).(*requestInfo); ok {
		ri.user, ri.role = user, role
	}
}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// requestContext gives every request an id — the client's X-Request-Id
// when it sent a sane one, else a process prefix and a counter — stores it
// in the context and echoes it in the X-Request-Id response header, so a
// dispatcher's bug report can be matched to the server's log line; with a
// positive timeout it also puts a deadline on the request's context.
// Handlers doing long work (batches, area queries) check the context and
// return its error, which statusOf maps to 503. Both are done in one
// middleware so that a request's context is derived once per request.
func requestContext(timeout time.Duration) func(http.Handler) http.Handler {
	var buf [4]byte
	_, _ = rand.Read(buf[:])
	prefix := hex.EncodeToString(buf[:]) + "-"
	var n atomic.Uint64
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get("X-Request-Id")
			if !saneRequestID(id) {
				id = prefix + strconv.FormatUint(n.Add(1), 10)
			}
			w.Header()["X-Request-Id"] = []string{id}
			ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey, id), requestInfoKey, new(requestInfo))
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// saneRequestID accepts client ids of up to 64 printable ASCII characters,
// so that an id can neither flood nor forge log lines.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' || id[i] == '"' || id[i] == '\\' {
			return false
		}
	}
	return true
}

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
			user, role := "", ""
			if ri, ok := r.Context().Value(requestInfoKey).(*requestInfo); ok {
				user, role = ri.user, ri.role
			}
			log.LogAttrs(r.Context(), level, "request",
				slog.String("id", RequestID(r.Context())),
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
					slog.String("id", RequestID(r.Context())),
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

// limitBodies caps every request body at n bytes; reading past the cap
// fails with *http.MaxBytesError, which statusOf maps to 413.
func limitBodies(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				httpx.WriteError(w, &http.MaxBytesError{Limit: n})
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}
