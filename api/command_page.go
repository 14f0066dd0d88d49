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

//go:embed web/command.html web/command.js web/command.css web/command-style.json web/command-report.html web/command-report.js
var commandFiles embed.FS

// echartsDist is where npm puts Apache ECharts' browser files, relative to
// the repository root (npm ci --prefix api/command).
const echartsDist = "api/command/node_modules/echarts/dist"

// EChartsDirEnv names the environment variable that points at ECharts'
// dist directory when it is not under api/command/node_modules relative
// to the working directory or the executable.
const EChartsDirEnv = "CITYGRID_ECHARTS_DIR"

// findEChartsDir looks for echarts.min.js like findWebDir looks for
// MapLibre: $CITYGRID_ECHARTS_DIR, then api/command/node_modules/... under
// the working directory, the executable's directory and their parents.
func findEChartsDir() string {
	return findInstalledDir(os.Getenv(EChartsDirEnv), echartsDist, "echarts.min.js")
}

// findInstalledDir finds an npm package's dist directory holding marker:
// override when it holds it, else rel (relative to the repository root)
// under the working directory, the executable's directory or one of their
// five nearest parents.
func findInstalledDir(override, rel, marker string) string {
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

// page answers GET /command: the command display. It holds no data; its
// script asks for a token and reads the statistics API.
func (b *caseBoard) page(w http.ResponseWriter, r *http.Request) {
	body, err := commandFiles.ReadFile("web/command.html")
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	var missing []string
	if b.webDir() == "" {
		missing = append(missing, "MapLibre GL JS (npm ci --prefix api/web)")
	}
	if b.echartsDir() == "" {
		missing = append(missing, "Apache ECharts (npm ci --prefix api/command)")
	}
	if len(missing) > 0 {
		note := `<div id="missing">The command page needs ` + strings.Join(missing, " and ") +
			`, not installed on this server. Install from the repository root and restart.</div>`
		body = bytes.Replace(body, []byte("<!--MISSING-->"), []byte(note), 1)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(body)
}

// reportPage answers GET /command/report: the printable monthly report.
func (b *caseBoard) reportPage(w http.ResponseWriter, r *http.Request) {
	body, err := commandFiles.ReadFile("web/command-report.html")
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(body)
}

// asset answers GET /command/assets/{file}: the page's script, styles and
// the case layers' style (URLs filled in for this server).
func (b *caseBoard) asset(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "file")
	if strings.Contains(name, "/") || strings.HasSuffix(name, ".html") {
		httpx.WriteError(w, fmt.Errorf("command asset %q: %w", name, data.ErrNotFound))
		return
	}
	body, err := commandFiles.ReadFile("web/" + name)
	if err != nil {
		httpx.WriteError(w, fmt.Errorf("command asset %q: %w", name, data.ErrNotFound))
		return
	}
	switch {
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".json"):
		body = bytes.ReplaceAll(body, []byte("@BASE@"), []byte(httpx.BaseURL(r)))
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(body)
}

func (b *caseBoard) echartsDir() string {
	b.echartsOnce.Do(func() { b.echartsPath = findEChartsDir() })
	return b.echartsPath
}

// webDir is MapLibre's directory, looked up once like echartsDir.
func (b *caseBoard) webDir() string {
	b.webOnce.Do(func() { b.webPath = findWebDir() })
	return b.webPath
}

// echarts answers GET /command/echarts/{file} from the installed dist
// files (echarts.min.js and its source map).
func (b *caseBoard) echarts(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "file")
	dir := b.echartsDir()
	if dir == "" || !strings.HasPrefix(name, "echarts") || strings.ContainsAny(name, `/\`) || strings.Contains(name, "..") {
		httpx.WriteError(w, fmt.Errorf("echarts file %q: %w", name, data.ErrNotFound))
		return
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		httpx.WriteError(w, fmt.Errorf("echarts file %q: %w", name, data.ErrNotFound))
		return
	}
	if strings.HasSuffix(name, ".js") || strings.HasSuffix(name, ".mjs") {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeFile(w, r, path)
}
