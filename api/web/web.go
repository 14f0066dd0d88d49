// Package web holds the browser pages citygrid serves, embedded in the
// binary, and finds on disk the npm-installed libraries they load. The
// libraries are served from disk, never from a CDN, so the pages work
// offline; this folder is also their npm package (npm ci --prefix api/web).
package web

import (
	"embed"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// MapFiles is the map page: index.html, app.js and app.css.
//
//go:embed index.html app.js app.css
var MapFiles embed.FS

// CommandFiles is the command display and its report page.
//
//go:embed command.html command.js command.css command-style.json command-report.html command-report.js
var CommandFiles embed.FS

// LoginFiles is the sign-in page, which the command pages send people to
// when they are not signed in.
//
//go:embed login.html login.js login.css
var LoginFiles embed.FS

// FindInstalledDir finds an npm package's dist directory holding marker:
// override when it holds it, else rel (relative to the repository root)
// under the working directory, the executable's directory or one of their
// five nearest parents.
func FindInstalledDir(override, rel, marker string) string {
	ok := func(dir string) bool {
		_, err := os.Stat(filepath.Join(dir, marker))
		return err == nil
	}
	if override != "" && ok(override) {
		return override
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
			if cand := filepath.Join(dir, rel); ok(cand) {
				return cand
			}
		}
	}
	return ""
}

// WebDirEnv names the environment variable that points at MapLibre GL
// JS's dist directory when it is not under api/web/node_modules relative
// to the working directory or the executable.
const WebDirEnv = "CITYGRID_WEB_DIR"

// maplibreDist is where npm puts MapLibre GL JS's browser files, relative
// to the repository root.
const maplibreDist = "api/web/node_modules/maplibre-gl/dist"

// MapLibreDir looks for MapLibre GL JS's dist directory: $CITYGRID_WEB_DIR,
// then api/web/node_modules/... under the working directory and its
// parents, then under the executable's directory and its parents. The
// files are served from disk, never from a CDN, so the map works offline.
func MapLibreDir() string {
	return FindInstalledDir(os.Getenv(WebDirEnv), maplibreDist, "maplibre-gl.mjs")
}

// echartsDist is where npm puts Apache ECharts' browser files, relative to
// the repository root (npm ci --prefix api/command).
const echartsDist = "api/command/node_modules/echarts/dist"

// EChartsDirEnv names the environment variable that points at ECharts'
// dist directory when it is not under api/command/node_modules relative
// to the working directory or the executable.
const EChartsDirEnv = "CITYGRID_ECHARTS_DIR"

// EChartsDir looks for echarts.min.js like MapLibreDir looks for
// MapLibre: $CITYGRID_ECHARTS_DIR, then api/command/node_modules/... under
// the working directory, the executable's directory and their parents.
func EChartsDir() string {
	return FindInstalledDir(os.Getenv(EChartsDirEnv), echartsDist, "echarts.min.js")
}

// WriteAsset answers one of the pages' own files: its type from its
// extension (.js, .css, .json), revalidated on every use (no-cache) so a
// new binary's pages are picked up at once.
func WriteAsset(w http.ResponseWriter, name string, body []byte) {
	h := w.Header()
	switch {
	case strings.HasSuffix(name, ".js"):
		h.Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".css"):
		h.Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".json"):
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(body)
}

// WritePage answers one of the pages' HTML documents, revalidated on every
// use like their assets.
func WritePage(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(body)
}
