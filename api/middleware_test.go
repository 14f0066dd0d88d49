package api

import (
	"bytes"
	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/httpx"
	"citygrid/data"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
)

// decodeError reads an error answer and checks it is JSON.
func decodeError(t *testing.T, rec *httptest.ResponseRecorder) httpx.ErrorBody {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON; body %s", ct, rec.Body)
	}
	var b httpx.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, rec.Body)
	}
	return b
}

func TestRecoverPanicsAnswers500JSONAndLogsTheStack(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	r := chi.NewRouter()
	r.Use(httpx.RequestContext(0), recoverPanics(log))
	r.Get("/boom", func(w http.ResponseWriter, r *http.Request) { panic("kaboom") })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if b := decodeError(t, rec); b.Error != "internal error" {
		t.Errorf("error %q leaks the panic; want \"internal error\"", b.Error)
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("log lacks the panic value or stack: %s", logs.String())
	}
	if !strings.Contains(logs.String(), rec.Header().Get("X-Request-Id")) {
		t.Errorf("log lacks the request id %q", rec.Header().Get("X-Request-Id"))
	}
}

func TestRequestIDs(t *testing.T) {
	r := chi.NewRouter()
	r.Use(httpx.RequestContext(0))
	var seen string
	r.Get("/", func(w http.ResponseWriter, r *http.Request) { seen = httpx.RequestID(r.Context()) })
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"a sane client id is kept", "abc-123", true},
		{"an id with a quote is replaced", `a"b`, false},
		{"an overlong id is replaced", strings.Repeat("x", 65), false},
		{"a missing id is generated", "", false},
	}
	ids := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			if tt.sent != "" {
				req.Header.Set("X-Request-Id", tt.sent)
			}
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			got := rec.Header().Get("X-Request-Id")
			if got != seen || got == "" {
				t.Fatalf("header %q, context %q", got, seen)
			}
			if (got == tt.sent) != tt.kept {
				t.Errorf("sent %q, got %q, kept=%v", tt.sent, got, tt.kept)
			}
			if !tt.kept && ids[got] {
				t.Errorf("generated id %q twice", got)
			}
			ids[got] = true
		})
	}
}

func TestAccessLogRecordsStatusRouteAndID(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	r := chi.NewRouter()
	r.Use(httpx.RequestContext(0), accessLog(log))
	r.Get("/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusTeapot, map[string]int{"n": 1})
	})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/things/7", nil))
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log line is not one JSON object: %v: %s", err, logs.String())
	}
	want := map[string]any{"msg": "request", "method": "GET", "path": "/things/7", "route": "/things/{id}",
		"status": float64(418), "id": rec.Header().Get("X-Request-Id")}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log %s = %v, want %v", k, line[k], v)
		}
	}
	if line["bytes"].(float64) != float64(rec.Body.Len()) {
		t.Errorf("log bytes %v, body %d", line["bytes"], rec.Body.Len())
	}
}

func TestLimitBodiesAnswers413NamingTheBody(t *testing.T) {
	r := chi.NewRouter()
	r.Use(httpx.LimitBody(10))
	r.Post("/", func(w http.ResponseWriter, r *http.Request) {
		var v any
		if err := httpx.DecodeJSON(r, &v); err != nil {
			httpx.WriteError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	tests := []struct {
		name    string
		body    string
		chunked bool
		want    int
	}{
		{"a small body passes", `[1,2,3]`, false, http.StatusNoContent},
		{"a declared oversize body is refused before reading", `[1,2,3,4,5,6,7,8]`, false, http.StatusRequestEntityTooLarge},
		{"an undeclared oversize body is refused while reading", `[1,2,3,4,5,6,7,8]`, true, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			if tt.chunked {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want == http.StatusRequestEntityTooLarge {
				if b := decodeError(t, rec); b.Field != "body" {
					t.Errorf("field %q, want body", b.Field)
				}
			}
		})
	}
}

func TestTimeoutsSetADeadlineThatMapsTo503(t *testing.T) {
	r := chi.NewRouter()
	r.Use(httpx.RequestContext(time.Millisecond))
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Context().Deadline(); !ok {
			t.Error("no deadline on the request context")
		}
		<-r.Context().Done()
		httpx.WriteError(w, r.Context().Err())
	})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", rec.Code)
	}
}

func TestGateAnswers503UntilReady(t *testing.T) {
	g := NewGate("loading store")
	for _, path := range []string{"/healthz", "/api/v1/locate"} {
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("%s before ready: status %d, Retry-After %q", path, rec.Code, rec.Header().Get("Retry-After"))
		}
		if !strings.Contains(rec.Body.String(), "loading store") {
			t.Errorf("%s before ready does not say the stage: %s", path, rec.Body)
		}
	}
	g.Ready(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("after ready: status %d", rec.Code)
	}
}

func TestGateShowsBrowsersALoadingPageAndAPIClientsJSON(t *testing.T) {
	g := NewGate("building spatial index")
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	cases := []struct {
		method, path, accept string
		page                 bool
	}{
		{"GET", "/", browser, true},
		{"GET", "/command", "TEXT/HTML", true},
		{"GET", "/", "", false},
		{"GET", "/", "application/json", false},
		{"GET", "/", "*/*", false},
		{"GET", "/api/v1/locate", browser, false},
		{"POST", "/", browser, false},
	}
	for _, c := range cases {
		req := httptest.NewRequest(c.method, c.path, nil)
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s %s %q: status %d", c.method, c.path, c.accept, rec.Code)
		}
		ct := rec.Header().Get("Content-Type")
		if c.page {
			if !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, "正在加载城市数据…") ||
				!strings.Contains(body, `http-equiv="refresh"`) || !strings.Contains(body, "正在建立空间索引") {
				t.Errorf("%s %s %q: want the loading page, got %s %.300s", c.method, c.path, c.accept, ct, body)
			}
		} else if !strings.HasPrefix(ct, "application/json") || !strings.Contains(body, `"server is starting: building spatial index"`) {
			t.Errorf("%s %s %q: want the JSON error, got %s %.300s", c.method, c.path, c.accept, ct, body)
		}
	}
}

func TestABatchThatOutlivesTheHandlerTimeoutIs503(t *testing.T) {
	ix, err := newTestIndex()
	if err != nil {
		t.Fatal(err)
	}
	h, err := newServer(t, city.Config{Index: ix}, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HandlerTimeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/locate/batch", bytes.NewReader(batchBody(1000))))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %.200s", rec.Code, rec.Body)
	}
	decodeError(t, rec)
}

// TestAnonymousBatchesAreCappedTokenHoldersKeepTheFullLimit: a batch is
// the costliest lookup, so callers without a token get 1,000 points
// (lookups.AnonymousBatchPoints) and a clear 400 past it, while a token
// holder's 5,000-point batch is served.
func TestAnonymousBatchesAreCappedTokenHoldersKeepTheFullLimit(t *testing.T) {
	ix, err := newTestIndex()
	if err != nil {
		t.Fatal(err)
	}
	h, err := newServer(t, city.Config{Index: ix}, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Auth: auth.StaticTokens{"vie": {User: "v", Role: data.RoleViewer}}})
	if err != nil {
		t.Fatal(err)
	}
	post := func(n int, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/v1/locate/batch", bytes.NewReader(batchBody(n)))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := post(1000, ""); rec.Code != http.StatusOK {
		t.Fatalf("1,000 anonymous points: %d %.200s", rec.Code, rec.Body)
	}
	rec := post(1001, "")
	if rec.Code != http.StatusBadRequest || decodeError(t, rec).Field != "points" {
		t.Fatalf("1,001 anonymous points: %d %.200s", rec.Code, rec.Body)
	}
	if rec := post(5000, "vie"); rec.Code != http.StatusOK {
		t.Fatalf("5,000 points with a token: %d %.200s", rec.Code, rec.Body)
	}
}
