// Package ui serves the work screens of the centre and the departments
// (受理, 立案, 派遣, 处置, 核查, 案卷): a Vue application that Vite builds
// into api/ui/dist. The package knows nothing of the rest of the HTTP API;
// the router mounts Handler at Prefix, and the application reads the JSON
// API from the same origin.
//
// The build is served from disk, found like MapLibre GL JS is: an explicit
// directory, else api/ui/dist under the working directory or the
// executable's directory or one of their parents. Hashed files under
// assets/ are cached for a year; index.html is revalidated on every load so
// a new build reaches browsers at once. Any other path below Prefix without
// a file extension is a route of the application (history mode) and gets
// index.html.
package ui

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Prefix is where the application lives; every route of its router starts
// with it (the build's base in vite.config.js says the same).
const Prefix = "/app/"

// DirEnv names the environment variable that points at a built dist
// directory, for installs that keep it outside the repository.
const DirEnv = "CITYGRID_UI_DIR"

// DistRel is the build's directory relative to the repository root.
const DistRel = "api/ui/dist"

// assetsDir holds Vite's content-hashed output: a file there never changes
// under its name, so browsers may keep it for a year.
const assetsDir = "assets/"

// ErrNotBuilt reports that no built application was found; its message says
// how to build one.
var ErrNotBuilt = errors.New("the work screens are not built: run `npm ci --prefix api && npm run build --prefix api` " +
	"from the repository root (or point " + DirEnv + " at a built dist directory)")

// Find returns the built application's directory: override when it holds
// index.html, else DistRel under the working directory, the executable's
// directory or one of their parents (up to five levels), else under the
// checkout this package was compiled from (so `go run` from anywhere finds
// it). It returns an error wrapping ErrNotBuilt that lists where it looked
// when none holds it.
func Find(override string) (string, error) {
	var looked []string
	try := func(dir string) bool {
		looked = append(looked, dir)
		st, err := os.Stat(filepath.Join(dir, "index.html"))
		return err == nil && st.Mode().IsRegular()
	}
	if override != "" {
		if try(override) {
			return override, nil
		}
	}
	var roots []string
	if wd, err := os.Getwd(); err == nil {
		roots = append(roots, wd)
	}
	if exe, err := os.Executable(); err == nil {
		roots = append(roots, filepath.Dir(exe))
	}
	for _, root := range roots {
		for dir, i := root, 0; i < 6; i, dir = i+1, filepath.Dir(dir) {
			if cand := filepath.Join(dir, filepath.FromSlash(DistRel)); try(cand) {
				return cand, nil
			}
		}
	}
	if checkoutDist != "" && try(checkoutDist) {
		return checkoutDist, nil
	}
	return "", fmt.Errorf("%w; looked in %s", ErrNotBuilt, strings.Join(looked, ", "))
}

// Open finds the build ($CITYGRID_UI_DIR, else the usual places) and
// returns its Handler; the error says how to build the screens. A server
// calls it at start-up so a missing build stops it with that message
// instead of failing in browsers.
func Open() (*Handler, error) {
	dir, err := Find(os.Getenv(DirEnv))
	if err != nil {
		return nil, err
	}
	return New(dir)
}

// Router is what Mount needs of a router with chi-style patterns.
type Router interface {
	Method(method, pattern string, h http.Handler)
}

// Mount registers h, for GET, for Prefix without its slash (a
// redirect) and for everything below Prefix.
func (h *Handler) Mount(r Router) {
	r.Method(http.MethodGet, strings.TrimSuffix(Prefix, "/"), h)
	r.Method(http.MethodGet, Prefix+"*", h)
}

// checkoutDist is dist/ beside this file in the checkout it was compiled
// from, "" when the build trimmed the paths.
var checkoutDist = func() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	return filepath.Join(filepath.Dir(file), "dist")
}()

// Handler serves one built application directory at Prefix.
type Handler struct {
	dir string
	// gz caches gzip-compressed copies of files, keyed by path; an entry
	// is used only while the file's size and time are unchanged.
	gz sync.Map
}

type gzEntry struct {
	size    int64
	modTime time.Time
	body    []byte
}

// New returns a Handler for the build in dir, which must hold index.html.
func New(dir string) (*Handler, error) {
	st, err := os.Stat(filepath.Join(dir, "index.html"))
	if err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w; %s holds no index.html", ErrNotBuilt, dir)
	}
	return &Handler{dir: dir}, nil
}

// Dir is the directory served.
func (h *Handler) Dir() string { return h.dir }

// ServeHTTP answers GET and HEAD below Prefix; Prefix without its slash
// redirects to Prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on the work screens")
		return
	}
	if r.URL.Path == strings.TrimSuffix(Prefix, "/") {
		target := Prefix
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	rel, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		httpError(w, http.StatusNotFound, "no such path "+r.URL.Path)
		return
	}
	name, ok := cleanName(rel)
	if !ok {
		httpError(w, http.StatusBadRequest, "bad path "+r.URL.Path)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if name != "" && name != "index.html" {
		if st, err := os.Stat(filepath.Join(h.dir, filepath.FromSlash(name))); err == nil && st.Mode().IsRegular() {
			cache := "no-cache"
			if strings.HasPrefix(name, assetsDir) {
				cache = "public, max-age=31536000, immutable"
			}
			h.serveFile(w, r, name, st, cache)
			return
		}
		// A missing file (a stale hashed asset, a mistyped image) is a 404:
		// index.html in its place would reach a script tag as HTML.
		if strings.HasPrefix(name, assetsDir) || path.Ext(name) != "" {
			httpError(w, http.StatusNotFound, "no such file "+r.URL.Path)
			return
		}
	}
	st, err := os.Stat(filepath.Join(h.dir, "index.html"))
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, ErrNotBuilt.Error())
		return
	}
	h.serveFile(w, r, "index.html", st, "no-cache")
}

// cleanName turns the path below Prefix into a slash-separated name inside
// the build, refusing anything that would leave it.
func cleanName(rel string) (string, bool) {
	if strings.Contains(rel, "\\") || strings.ContainsRune(rel, 0) {
		return "", false
	}
	for _, seg := range strings.Split(rel, "/") {
		if seg == ".." {
			return "", false
		}
	}
	name := strings.TrimPrefix(path.Clean("/"+rel), "/")
	if name != "" && !fs.ValidPath(name) {
		return "", false
	}
	return name, true
}

// serveFile writes one file with its content type and cache policy,
// gzip-compressed when the client accepts it and the type compresses.
func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, name string, st os.FileInfo, cache string) {
	ctype := contentType(name)
	hdr := w.Header()
	hdr.Set("Content-Type", ctype)
	hdr.Set("Cache-Control", cache)
	if compressible(ctype) {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) && st.Size() > 1024 {
			if body, err := h.gzipped(name, st); err == nil {
				hdr.Set("Content-Encoding", "gzip")
				http.ServeContent(w, r, "", st.ModTime(), bytes.NewReader(body))
				return
			}
		}
	}
	f, err := os.Open(filepath.Join(h.dir, filepath.FromSlash(name)))
	if err != nil {
		httpError(w, http.StatusNotFound, "no such file "+name)
		return
	}
	defer f.Close()
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// gzipped returns the compressed bytes of name, compressing once per
// version of the file.
func (h *Handler) gzipped(name string, st os.FileInfo) ([]byte, error) {
	if v, ok := h.gz.Load(name); ok {
		if e := v.(gzEntry); e.size == st.Size() && e.modTime.Equal(st.ModTime()) {
			return e.body, nil
		}
	}
	raw, err := os.ReadFile(filepath.Join(h.dir, filepath.FromSlash(name)))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	h.gz.Store(name, gzEntry{size: st.Size(), modTime: st.ModTime(), body: buf.Bytes()})
	return buf.Bytes(), nil
}

// types fixes the content types of what Vite writes, so they do not depend
// on the host's MIME tables.
var types = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".jpg":   "image/jpeg",
	".webp":  "image/webp",
	".ico":   "image/x-icon",
	".woff":  "font/woff",
	".woff2": "font/woff2",
	".ttf":   "font/ttf",
	".txt":   "text/plain; charset=utf-8",
	".wasm":  "application/wasm",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := types[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.HasPrefix(ctype, "application/json") ||
		strings.HasPrefix(ctype, "image/svg") || ctype == "application/wasm"
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (and
// does not refuse it with q=0).
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// httpError answers with the JSON error body the rest of the API uses.
func httpError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{msg})
}
