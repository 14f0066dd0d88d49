package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
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

// NoteUser records the authenticated principal for the access log.
func NoteUser(r *http.Request, user, role string) {
	if ri, ok := r.Context().Value(requestInfoKey).(*requestInfo); ok {
		ri.user, ri.role = user, role
	}
}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// RequestContext gives every request an id — the client's X-Request-Id
// when it sent a sane one, else a process prefix and a counter — stores it
// in the context and echoes it in the X-Request-Id response header, so a
// dispatcher's bug report can be matched to the server's log line; with a
// positive timeout it also puts a deadline on the request's context.
// Handlers doing long work (batches, area queries) check the context and
// return its error, which StatusOf maps to 503. Both are done in one
// middleware so that a request's context is derived once per request.
func RequestContext(timeout time.Duration) func(http.Handler) http.Handler {
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

// NotedUser is the principal NoteUser recorded for the request of ctx.
func NotedUser(ctx context.Context) (user, role string) {
	if ri, ok := ctx.Value(requestInfoKey).(*requestInfo); ok {
		return ri.user, ri.role
	}
	return "", ""
}

// LimitBody caps every request body at n bytes; reading past the cap
// fails with *http.MaxBytesError, which StatusOf maps to 413. A body
// declared larger is refused before it is read.
func LimitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				WriteError(w, &http.MaxBytesError{Limit: n})
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}
