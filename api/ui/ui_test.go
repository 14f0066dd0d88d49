package ui

import (
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// build writes a small stand-in of a Vite build: index.html, a hashed
// script and stylesheet under assets/, and a favicon at the top.
func build(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"index.html":                `<!doctype html><html lang="zh-CN"><head><script type="module" src="/app/assets/index-Ab12Cd34.js"></script></head><body><div id="app"></div></body></html>`,
		"assets/index-Ab12Cd34.js":  "console.log('受理台');\n" + strings.Repeat("export const x = 1;\n", 200),
		"assets/index-Ef56Gh78.css": "body{margin:0}",
		"favicon.svg":               `<svg xmlns="http://www.w3.org/2000/svg"/>`,
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlerServesTheBuild(t *testing.T) {
	dir := build(t)
	h, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	index, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	script, _ := os.ReadFile(filepath.Join(dir, "assets/index-Ab12Cd34.js"))
	tests := []struct {
		name, target     string
		status           int
		ctype, cache     string
		body             string // exact body, when set
		bodyHasErrorJSON bool
	}{
		{"the root of the application is index.html, revalidated every time", "/app/", 200, "text/html; charset=utf-8", "no-cache", string(index), false},
		{"a route of the application falls back to index.html", "/app/dispatch", 200, "text/html; charset=utf-8", "no-cache", string(index), false},
		{"a deep route with a case id falls back to index.html", "/app/cases/20275", 200, "text/html; charset=utf-8", "no-cache", string(index), false},
		{"a route with a query falls back to index.html", "/app/signin?next=%2Fapp%2Fintake", 200, "text/html; charset=utf-8", "no-cache", string(index), false},
		{"index.html by name is the same page", "/app/index.html", 200, "text/html; charset=utf-8", "no-cache", string(index), false},
		{"a hashed script is cached for a year", "/app/assets/index-Ab12Cd34.js", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", string(script), false},
		{"a hashed stylesheet is cached for a year", "/app/assets/index-Ef56Gh78.css", 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable", "body{margin:0}", false},
		{"an unhashed file at the top is revalidated", "/app/favicon.svg", 200, "image/svg+xml", "no-cache", `<svg xmlns="http://www.w3.org/2000/svg"/>`, false},
		{"a missing hashed asset is 404, not index.html", "/app/assets/index-Old00000.js", 404, "application/json", "no-store", "", true},
		{"a missing file with an extension is 404", "/app/logo.png", 404, "application/json", "no-store", "", true},
		{"a path leaving the build is refused", "/app/../ui.go", 400, "application/json", "no-store", "", true},
		{"an encoded parent step is refused", "/app/assets/%2e%2e/%2e%2e/ui.go", 400, "application/json", "no-store", "", true},
		{"a path outside the prefix is 404", "/other", 404, "application/json", "no-store", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := get(t, h, http.MethodGet, tc.target, nil)
			b := body(t, res)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%s)", res.StatusCode, tc.status, b)
			}
			if got := res.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if got := res.Header.Get("Cache-Control"); got != tc.cache {
				t.Errorf("Cache-Control %q, want %q", got, tc.cache)
			}
			if tc.body != "" && b != tc.body {
				t.Errorf("body %.80q, want %.80q", b, tc.body)
			}
			if tc.bodyHasErrorJSON && !strings.HasPrefix(b, `{"error":`) {
				t.Errorf("body %q, want a JSON error", b)
			}
		})
	}
}

func TestHandlerRedirectsThePrefixWithoutSlash(t *testing.T) {
	h, _ := New(build(t))
	res := get(t, h, http.MethodGet, "/app?x=1", nil)
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/app/?x=1" {
		t.Fatalf("got %d Location %q, want 301 to /app/?x=1", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestHandlerRefusesWrites(t *testing.T) {
	h, _ := New(build(t))
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		res := get(t, h, m, "/app/", nil)
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: got %d Allow %q, want 405 with Allow: GET, HEAD", m, res.StatusCode, res.Header.Get("Allow"))
		}
	}
	res := get(t, h, http.MethodHead, "/app/intake", nil)
	if res.StatusCode != http.StatusOK || body(t, res) != "" {
		t.Errorf("HEAD: got %d, want 200 with no body", res.StatusCode)
	}
}

func TestHandlerCompressesTextForClientsThatAcceptGzip(t *testing.T) {
	dir := build(t)
	h, _ := New(dir)
	want, _ := os.ReadFile(filepath.Join(dir, "assets/index-Ab12Cd34.js"))
	for i := 0; i < 2; i++ { // the second answer comes from the cache
		res := get(t, h, http.MethodGet, "/app/assets/index-Ab12Cd34.js", map[string]string{"Accept-Encoding": "br, gzip"})
		if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("Content-Encoding %q Vary %q, want gzip and Vary: Accept-Encoding", res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
		}
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || string(got) != string(want) {
			t.Fatalf("decompressed body differs from the file (err %v)", err)
		}
	}
	// A client that refuses gzip gets the bytes as stored.
	res := get(t, h, http.MethodGet, "/app/assets/index-Ab12Cd34.js", map[string]string{"Accept-Encoding": "gzip;q=0"})
	if res.Header.Get("Content-Encoding") != "" || body(t, res) != string(want) {
		t.Errorf("gzip;q=0: Content-Encoding %q, want none and the plain file", res.Header.Get("Content-Encoding"))
	}
	// A rebuilt file is compressed again, not served from the stale cache.
	if err := os.WriteFile(filepath.Join(dir, "assets/index-Ab12Cd34.js"), []byte(strings.Repeat("// 新版本\n", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	res = get(t, h, http.MethodGet, "/app/assets/index-Ab12Cd34.js", map[string]string{"Accept-Encoding": "gzip"})
	zr, _ := gzip.NewReader(res.Body)
	got, _ := io.ReadAll(zr)
	if !strings.HasPrefix(string(got), "// 新版本") {
		t.Errorf("after a rebuild the old compressed copy was served: %.40q", got)
	}
}

func TestHandlerAnswersRevalidationWithNotModified(t *testing.T) {
	h, _ := New(build(t))
	res := get(t, h, http.MethodGet, "/app/", nil)
	lm := res.Header.Get("Last-Modified")
	if lm == "" {
		t.Fatal("index.html has no Last-Modified, so no-cache would refetch it every time")
	}
	res = get(t, h, http.MethodGet, "/app/cases/1", map[string]string{"If-Modified-Since": lm})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", res.StatusCode)
	}
}

func TestFindFallsBackToTheCheckoutItWasCompiledFrom(t *testing.T) {
	dir := build(t)
	old := checkoutDist
	checkoutDist = dir
	t.Cleanup(func() { checkoutDist = old })
	t.Chdir(t.TempDir())
	if got, err := Find(""); err != nil || got != dir {
		t.Errorf("Find = %s, %v; want the checkout's build %s", got, err, dir)
	}
}

func TestFindLooksInTheWorkingDirectoryAndItsParents(t *testing.T) {
	root := t.TempDir()
	dist := filepath.Join(root, filepath.FromSlash(DistRel))
	if err := os.MkdirAll(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<!doctype html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(root, "cmd", "citygrid")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(deep)
	got, err := Find("")
	if err != nil {
		t.Fatal(err)
	}
	if real, _ := filepath.EvalSymlinks(got); real != mustEval(t, dist) {
		t.Errorf("Find = %s, want %s", got, dist)
	}
	// An explicit directory with a build wins.
	other := build(t)
	if got, err := Find(other); err != nil || got != other {
		t.Errorf("Find(%s) = %s, %v", other, got, err)
	}
}

// withoutCheckout hides the build of the checkout the test runs in.
func withoutCheckout(t *testing.T) {
	old := checkoutDist
	checkoutDist = ""
	t.Cleanup(func() { checkoutDist = old })
}

func TestFindAndNewSayHowToBuildWhenTheBuildIsMissing(t *testing.T) {
	withoutCheckout(t)
	t.Chdir(t.TempDir())
	empty := t.TempDir()
	_, err := Find(empty)
	if !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("Find: %v, want ErrNotBuilt", err)
	}
	for _, want := range []string{"npm ci --prefix api", "npm run build --prefix api", empty} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not mention %q", err, want)
		}
	}
	if _, err := New(empty); !errors.Is(err, ErrNotBuilt) {
		t.Errorf("New: %v, want ErrNotBuilt", err)
	}
}

func TestMountServesThePrefixOnAChiRouter(t *testing.T) {
	h, _ := New(build(t))
	r := chi.NewRouter()
	r.Get("/api/v1/cases", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("api")) })
	h.Mount(r)
	for target, want := range map[string]int{"/app": 301, "/app/": 200, "/app/dispatch": 200, "/app/assets/index-Ab12Cd34.js": 200, "/api/v1/cases": 200, "/application": 404} {
		if res := get(t, r, http.MethodGet, target, nil); res.StatusCode != want {
			t.Errorf("%s: %d, want %d", target, res.StatusCode, want)
		}
	}
}

func TestOpenReadsTheDirectoryFromTheEnvironment(t *testing.T) {
	dir := build(t)
	t.Chdir(t.TempDir())
	t.Setenv(DirEnv, dir)
	h, err := Open()
	if err != nil || h.Dir() != dir {
		t.Fatalf("Open() = %v, %v; want the build in %s", h, err, dir)
	}
	t.Setenv(DirEnv, "")
	withoutCheckout(t)
	if _, err := Open(); !errors.Is(err, ErrNotBuilt) {
		t.Errorf("Open() without a build: %v, want ErrNotBuilt", err)
	}
}

func mustEval(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
