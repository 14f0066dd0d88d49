package httpx

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	"citygrid/data"
)

// IdempotencyKeyHeader names the header by which a client marks a write
// it may send again (a field app whose answer was lost on a bad network):
// the server answers a repeat with the first answer instead of doing the
// write twice.
const IdempotencyKeyHeader = "Idempotency-Key"

// ReplayedHeader is set on an answer that repeats a stored one.
const ReplayedHeader = "Idempotent-Replayed"

// ErrKeyReused: an idempotency key came back with another request (422).
var ErrKeyReused = errors.New("idempotency key used before with another request")

// ErrKeyInProgress: the first request of a key is still being answered
// (409 with Retry-After).
var ErrKeyInProgress = fmt.Errorf("the first request with this idempotency key is still running: %w", data.ErrConflict)

// MaxReplayBody is the largest answer stored for replay; a longer answer
// is not kept (a repeat runs the write again).
const MaxReplayBody = 1 << 20

// Idempotent makes writes (POST, PUT, PATCH, DELETE) that carry an
// Idempotency-Key header happen once per user and key: the first answer
// is stored (with store, which may return nil: no store, header ignored)
// and a repeat gets it back; the same key with another method, path or
// body answers 422. Answers of server errors, 401, 403 and 429 are not
// stored, so the client's retry runs the write. userOf names the caller
// (""; anonymous calls are not deduplicated).
func Idempotent(store func() data.ReplayStore, userOf func(*http.Request) string, log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := r.Header.Get(IdempotencyKeyHeader)
			if key == "" || !isWrite(r.Method) {
				next.ServeHTTP(w, r)
				return
			}
			st, user := store(), userOf(r)
			if st == nil || user == "" {
				next.ServeHTTP(w, r)
				return
			}
			if len(key) > 200 || !printableASCII(key) {
				WriteError(w, BadRequest(IdempotencyKeyHeader, "1 to 200 printable ASCII characters"))
				return
			}
			hash, err := requestHash(r)
			if err != nil {
				WriteError(w, err)
				return
			}
			ctx := r.Context()
			stored, fresh, err := st.BeginReplay(ctx, data.Replay{User: user, Key: key, Request: hash, At: time.Now().UTC()})
			if err != nil {
				WriteError(w, err)
				return
			}
			if !fresh {
				replay(w, stored, hash)
				return
			}
			rec := &recorder{ResponseWriter: w}
			finished := false
			defer func() {
				if finished {
					return
				}
				// A panic or a server error: the key is free again.
				if err := st.AbandonReplay(context.WithoutCancel(ctx), user, key); err != nil {
					log.Error("idempotency key not released", "err", err)
				}
			}()
			next.ServeHTTP(rec, r)
			if !keepAnswer(rec.status()) || rec.overflow {
				return
			}
			err = st.FinishReplay(context.WithoutCancel(ctx), data.Replay{User: user, Key: key, Status: rec.status(),
				ContentType: rec.Header().Get("Content-Type"), Location: rec.Header().Get("Location"), ETag: rec.Header().Get("ETag"), Body: rec.body.Bytes()})
			if err != nil {
				log.Error("idempotent answer not stored", "err", err)
				return
			}
			finished = true
		})
	}
}

func isWrite(m string) bool {
	return m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch || m == http.MethodDelete
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// keepAnswer: answers a repeat must get again. Server errors, missing or
// refused credentials and rate limits are not the write's answer.
func keepAnswer(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests:
		return false
	}
	return status >= 200 && status < 500
}

// requestHash hashes method, path with query, the If-Match precondition
// and body, restoring the body for the handler. A multipart body's
// boundary is left out: a client that builds the form again picks a new
// one for the same parts.
func requestHash(r *http.Request) (string, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return "", err
		}
		return "", BadRequest("body", "unreadable: "+err.Error())
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "multipart/form-data" && params["boundary"] != "" {
		body = bytes.ReplaceAll(body, []byte(params["boundary"]), []byte("boundary"))
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", r.Method, r.URL.RequestURI(), r.Header.Get("If-Match"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// replay answers a repeat with the stored answer.
func replay(w http.ResponseWriter, s data.Replay, hash string) {
	switch {
	case s.Request != hash:
		WriteJSON(w, http.StatusUnprocessableEntity, ErrorBody{Error: ErrKeyReused.Error(), Field: IdempotencyKeyHeader})
	case s.Status == 0:
		w.Header().Set("Retry-After", "1")
		WriteError(w, ErrKeyInProgress)
	default:
		if s.ContentType != "" {
			w.Header().Set("Content-Type", s.ContentType)
		}
		if s.Location != "" {
			w.Header().Set("Location", s.Location)
		}
		if s.ETag != "" {
			w.Header().Set("ETag", s.ETag)
		}
		w.Header().Set(ReplayedHeader, "true")
		w.Header().Set("Content-Length", strconv.Itoa(len(s.Body)))
		w.WriteHeader(s.Status)
		w.Write(s.Body)
	}
}

// recorder passes an answer through and keeps a copy of it.
type recorder struct {
	http.ResponseWriter
	code     int
	body     bytes.Buffer
	overflow bool
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	if r.body.Len()+len(p) > MaxReplayBody {
		r.overflow = true
	} else {
		r.body.Write(p)
	}
	return r.ResponseWriter.Write(p)
}

func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
