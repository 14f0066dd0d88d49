package command

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"citygrid/api/httpx"
	"citygrid/api/web"
	"citygrid/data"

	"github.com/go-chi/chi/v5"
)

// page answers GET /command: the command display. It holds no data; its
// script reads the statistics API. The server does not start without
// MapLibre and ECharts (web.Require), so the page never explains them.
func (b *caseBoard) page(w http.ResponseWriter, r *http.Request) {
	body, err := web.CommandFiles.ReadFile("command.html")
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	body = web.WithNav(body, "command")
	web.WritePage(w, body)
}

// reportPage answers GET /command/report: the printable monthly report.
func (b *caseBoard) reportPage(w http.ResponseWriter, r *http.Request) {
	body, err := web.CommandFiles.ReadFile("command-report.html")
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	body = web.WithNav(body, "report")
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

// echarts answers GET /command/echarts/{file} from the installed dist
// files (echarts.min.js and its source map).
func (b *caseBoard) echarts(w http.ResponseWriter, r *http.Request) {
	web.ServeDist(w, r, b.echartsDir(), chi.URLParam(r, "file"), "echarts")
}
