package field

import (
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"citygrid/api/httpx"
	"citygrid/api/web"
	"citygrid/data"

	"github.com/go-chi/chi/v5"
)

// Prefix is where the app lives (the base of its Vite build).
const Prefix = "/field/"

// DirEnv names the environment variable pointing at a built app, for
// installs that keep it outside the repository.
const DirEnv = "CITYGRID_FIELD_DIR"

// DistRel is the build's directory relative to the repository root.
const DistRel = "api/field/dist"

// findDist returns the built app's directory: $CITYGRID_FIELD_DIR, else
// DistRel under the working directory, the executable's directory or one
// of their parents; "" when none holds index.html.
func findDist() string {
	return web.FindInstalledDir(os.Getenv(DirEnv), filepath.FromSlash(DistRel), "index.html")
}

// mountApp serves the built app at Prefix. Hashed files under assets/
// are cached for a year; the shell (index.html), the service worker and
// the manifest are revalidated on every load, so a new build reaches
// phones at their next start. A path without extension is a screen of the
// app and gets index.html. The build is looked up on first use, so a
// server started before `npm run build` serves it once built.
func mountApp(r chi.Router) {
	var (
		mu  sync.Mutex
		dir string
	)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if dir == "" {
			dir = findDist()
		}
		d := dir
		mu.Unlock()
		if d == "" {
			httpx.WriteJSON(w, http.StatusServiceUnavailable, httpx.ErrorBody{Error: "the field app is not built: run `npm ci --prefix api && npm run build --prefix api`"})
			return
		}
		rel := strings.TrimPrefix(path.Clean("/"+strings.TrimPrefix(r.URL.Path, Prefix)), "/")
		if rel == "" || path.Ext(rel) == "" {
			rel = "index.html"
		}
		f, err := os.Open(filepath.Join(d, filepath.FromSlash(rel)))
		if err != nil {
			httpx.WriteError(w, &notFound{r.URL.Path})
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			httpx.WriteError(w, &notFound{r.URL.Path})
			return
		}
		if strings.HasPrefix(rel, "assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		if rel == "sw.js" {
			// The worker controls the whole app.
			w.Header().Set("Service-Worker-Allowed", Prefix)
		}
		if strings.HasSuffix(rel, ".webmanifest") {
			w.Header().Set("Content-Type", "application/manifest+json")
		}
		// ServeContent, not ServeFile: ServeFile redirects …/index.html to
		// …/, and a service worker must not cache a redirected answer.
		http.ServeContent(w, r, rel, st.ModTime(), f)
	})
	r.Get(strings.TrimSuffix(Prefix, "/"), func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
	})
	r.Get(Prefix+"*", h)
}

// notFound is a file of the app that does not exist.
type notFound struct{ path string }

func (e *notFound) Error() string { return "no such file " + e.path }
func (e *notFound) Unwrap() error { return data.ErrNotFound }
