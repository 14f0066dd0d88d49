// Package web holds the browser pages citygrid serves, embedded in the
// binary, and finds on disk the npm-installed libraries they load. The
// libraries are served from disk, never from a CDN, so the pages work
// offline; this folder is also an npm package of the api/ workspace, installed
// with the others by npm ci --prefix api.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"citygrid/api/httpx"
	"citygrid/data"
)

// MapFiles is the map page (index.html, app.js, app.css) and the
// navigation bar's styles every page links (nav.css).
//
//go:embed index.html app.js app.css nav.css
var MapFiles embed.FS

//go:embed nav.html
var navHTML []byte

// WithNav puts the navigation bar every page shares in place of the page's
// <!--NAV--> comment, the entry of page (map, command, report, app)
// marked as the current one. The bar's styles are /web/nav.css.
func WithNav(page []byte, current string) []byte {
	nav := bytes.Replace(navHTML, []byte(`data-page="`+current+`"`), []byte(`data-page="`+current+`" class="on" aria-current="page"`), 1)
	return bytes.Replace(page, []byte("<!--NAV-->"), bytes.TrimSpace(nav), 1)
}

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
// five nearest parents, else under the repository this binary was built
// from (so `go run` and a binary copied elsewhere find the packages of
// their checkout). "" when none holds it.
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
	if root := sourceRoot(); root != "" {
		if cand := filepath.Join(root, rel); ok(cand) {
			return cand
		}
	}
	return ""
}

// sourceRoot is the repository root this package was compiled from (two
// levels above this file), or "" when the build trimmed the paths.
func sourceRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// InstallCommand is what installs every front-end package the pages load,
// run from the repository root: api/ is an npm workspace (web, command,
// ui) whose packages all land in api/node_modules.
const InstallCommand = "npm ci --prefix api"

// WebDirEnv names the environment variable that points at MapLibre GL
// JS's dist directory when it is not under api/node_modules relative to
// the working directory, the executable or the source checkout.
const WebDirEnv = "CITYGRID_WEB_DIR"

// maplibreDist is where npm puts MapLibre GL JS's browser files, relative
// to the repository root.
const maplibreDist = "api/node_modules/maplibre-gl/dist"

// MapLibreDir looks for MapLibre GL JS's dist directory: $CITYGRID_WEB_DIR,
// then api/node_modules/... under the working directory and its parents,
// the executable's directory and its parents, and the source checkout.
// The files are served from disk, never from a CDN, so the map works
// offline.
func MapLibreDir() string {
	return FindInstalledDir(os.Getenv(WebDirEnv), maplibreDist, "maplibre-gl.mjs")
}

// echartsDist is where npm puts Apache ECharts' browser files, relative to
// the repository root.
const echartsDist = "api/node_modules/echarts/dist"

// EChartsDirEnv names the environment variable that points at ECharts'
// dist directory when it is not found like MapLibre's.
const EChartsDirEnv = "CITYGRID_ECHARTS_DIR"

// EChartsDir looks for echarts.min.js like MapLibreDir looks for
// MapLibre: $CITYGRID_ECHARTS_DIR, then api/node_modules/echarts/dist.
func EChartsDir() string {
	return FindInstalledDir(os.Getenv(EChartsDirEnv), echartsDist, "echarts.min.js")
}

// pinyinDist is where npm puts pinyin-pro's browser bundle, relative to
// the repository root: the map page's category list matches pinyin.
const pinyinDist = "api/node_modules/pinyin-pro/dist"

// PinyinDir looks for pinyin-pro's browser bundle (index.js) under
// api/node_modules like MapLibreDir.
func PinyinDir() string {
	return FindInstalledDir("", pinyinDist, "index.js")
}

// Libraries are the installed front-end packages the pages load.
type Libraries struct {
	MapLibre string // MapLibre GL JS dist directory
	ECharts  string // Apache ECharts dist directory
	Pinyin   string // pinyin-pro dist directory
}

// Require finds the front-end packages every page needs, or answers an
// error naming each missing one and the command that installs them: a
// server refuses to start without them rather than serve broken pages.
func Require() (Libraries, error) {
	return require(MapLibreDir(), EChartsDir(), PinyinDir())
}

func require(maplibre, echarts, pinyin string) (Libraries, error) {
	var missing []string
	if maplibre == "" {
		missing = append(missing, "MapLibre GL JS ("+maplibreDist+", or $"+WebDirEnv+")")
	}
	if echarts == "" {
		missing = append(missing, "Apache ECharts ("+echartsDist+", or $"+EChartsDirEnv+")")
	}
	if pinyin == "" {
		missing = append(missing, "pinyin-pro ("+pinyinDist+")")
	}
	if len(missing) > 0 {
		return Libraries{}, fmt.Errorf("front-end packages not installed: %s; run `%s` in the repository root, then start again",
			strings.Join(missing, " and "), InstallCommand)
	}
	return Libraries{MapLibre: maplibre, ECharts: echarts, Pinyin: pinyin}, nil
}

// ServeDist answers one browser file of an installed package from dir: a
// plain file name (no path) starting with prefix, or 404. Library files
// change only with an npm install, so browsers may keep them an hour.
func ServeDist(w http.ResponseWriter, r *http.Request, dir, name, prefix string) {
	if dir == "" || name == "" || !strings.HasPrefix(name, prefix) || strings.ContainsAny(name, `/\`) || strings.Contains(name, "..") {
		httpx.WriteError(w, fmt.Errorf("library file %q: %w", name, data.ErrNotFound))
		return
	}
	path := filepath.Join(dir, name)
	if fi, err := os.Stat(path); err != nil || fi.IsDir() {
		httpx.WriteError(w, fmt.Errorf("library file %q: %w", name, data.ErrNotFound))
		return
	}
	if strings.HasSuffix(name, ".mjs") || strings.HasSuffix(name, ".js") {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeFile(w, r, path)
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
