package api

import (
	"bytes"
	"embed"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"citygrid/api/httpx"
	"citygrid/data"

	"github.com/go-chi/chi/v5"
)

//go:embed web/index.html web/app.js web/app.css
var webFiles embed.FS

// maplibreDist is where npm puts MapLibre GL JS's browser files, relative
// to the repository root.
const maplibreDist = "api/web/node_modules/maplibre-gl/dist"

// findWebDir looks for MapLibre GL JS's dist directory: $CITYGRID_WEB_DIR,
// then api/web/node_modules/... under the working directory and its
// parents, then under the executable's directory and its parents. The
// files are served from disk, never from a CDN, so the map works offline.
func findWebDir() string {
	return findInstalledDir(os.Getenv(WebDirEnv), maplibreDist, "maplibre-gl.mjs")
}

// page answers GET /: the map page, or instructions when MapLibre GL JS
// is not installed.
func (m *mapService) page(w http.ResponseWriter, r *http.Request) {
	b, err := webFiles.ReadFile("web/index.html")
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	missing := ""
	if m.webDir == "" {
		missing = `<div id="missing"><h1>citygrid</h1><p>The map needs MapLibre GL JS, which is not installed on this server.</p>` +
			`<p>Install it from the repository root with <code>npm ci --prefix api/web</code> (or point ` + WebDirEnv +
			` at a <code>maplibre-gl/dist</code> directory) and restart the server.</p></div>`
	}
	b = bytes.Replace(b, []byte("<!--MISSING-->"), []byte(missing), 1)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

// asset answers GET /web/{file} for the page's own script and styles.
func (m *mapService) asset(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "file")
	b, err := webFiles.ReadFile("web/" + name)
	if err != nil || strings.Contains(name, "/") {
		httpx.WriteError(w, fmt.Errorf("web asset %q: %w", name, data.ErrNotFound))
		return
	}
	switch {
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
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
