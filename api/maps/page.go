package maps

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"citygrid/api/httpx"
	"citygrid/api/web"
	"citygrid/data"

	"github.com/go-chi/chi/v5"
)

// page answers GET /: the map page. The server does not start without
// MapLibre GL JS (web.Require), so the page never explains a missing one.
func (m *mapService) page(w http.ResponseWriter, r *http.Request) {
	b, err := web.MapFiles.ReadFile("index.html")
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	b = web.WithNav(b, "map")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

// asset answers GET /web/{file} for the page's own script and styles.
func (m *mapService) asset(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "file")
	b, err := web.MapFiles.ReadFile(name)
	if err != nil || strings.Contains(name, "/") {
		httpx.WriteError(w, fmt.Errorf("web asset %q: %w", name, data.ErrNotFound))
		return
	}
	web.WriteAsset(w, name, b)
}

// maplibre answers GET /web/maplibre-gl/* from the installed dist files.
func (m *mapService) maplibre(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "*")
	if m.webDir == "" || name == "" || strings.Contains(name, "/") || strings.Contains(name, "..") {
		httpx.WriteError(w, fmt.Errorf("maplibre file %q: %w", name, data.ErrNotFound))
		return
	}
	path := filepath.Join(m.webDir, name)
	if _, err := os.Stat(path); err != nil {
		httpx.WriteError(w, fmt.Errorf("maplibre file %q: %w", name, data.ErrNotFound))
		return
	}
	if strings.HasSuffix(name, ".mjs") || strings.HasSuffix(name, ".js") {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeFile(w, r, path)
}
