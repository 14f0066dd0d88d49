package command

import (
	"bytes"
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

// page answers GET /command: the command display. It holds no data; its
// script asks for a token and reads the statistics API.
func (b *caseBoard) page(w http.ResponseWriter, r *http.Request) {
	body, err := web.CommandFiles.ReadFile("command.html")
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
	web.WritePage(w, body)
}

// reportPage answers GET /command/report: the printable monthly report.
func (b *caseBoard) reportPage(w http.ResponseWriter, r *http.Request) {
	body, err := web.CommandFiles.ReadFile("command-report.html")
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	web.WritePage(w, body)
}

// asset answers GET /command/assets/{file}: the page's script, styles and
// the case layers' style (URLs filled in for this server).
func (b *caseBoard) asset(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "file")
	if strings.Contains(name, "/") || strings.HasSuffix(name, ".html") {
		httpx.WriteError(w, fmt.Errorf("command asset %q: %w", name, data.ErrNotFound))
		return
	}
	body, err := web.CommandFiles.ReadFile(name)
	if err != nil {
		httpx.WriteError(w, fmt.Errorf("command asset %q: %w", name, data.ErrNotFound))
		return
	}
	if strings.HasSuffix(name, ".json") {
		body = bytes.ReplaceAll(body, []byte("@BASE@"), []byte(httpx.BaseURL(r)))
	}
	web.WriteAsset(w, name, body)
}

func (b *caseBoard) echartsDir() string {
	b.echartsOnce.Do(func() { b.echartsPath = web.EChartsDir() })
	return b.echartsPath
}

// webDir is MapLibre's directory, looked up once like echartsDir.
func (b *caseBoard) webDir() string {
	b.webOnce.Do(func() { b.webPath = web.MapLibreDir() })
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
