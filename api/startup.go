package api

import (
	"html"
	"net/http"
	"strings"
	"sync/atomic"

	"citygrid/api/httpx"
	"citygrid/data/cases"
	"citygrid/spatial"
)

// Gate is the handler a server listens with while it is still starting: it
// answers /healthz and /readyz with 503 and the current start-up stage, and
// every other path with 503 and Retry-After, until Ready hands it the real
// handler. Listening early lets an orchestrator or a test see that the
// process is alive (and why it is not ready yet) during a long demo
// generation or index build, and makes a port conflict fail at once.
type Gate struct {
	stage   atomic.Pointer[string]
	handler atomic.Pointer[http.Handler]
}

// NewGate returns a gate in the given start-up stage.
func NewGate(stage string) *Gate {
	g := new(Gate)
	g.SetStage(stage)
	return g
}

// SetStage records what the server is doing now ("loading store", ...).
func (g *Gate) SetStage(stage string) { g.stage.Store(&stage) }

// Ready hands every later request to h.
func (g *Gate) Ready(h http.Handler) { g.handler.Store(&h) }

// ServeHTTP serves through the real handler once ready, 503 before.
func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := g.handler.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Retry-After", "5")
	w.Header().Set("Cache-Control", "no-store")
	stage := *g.stage.Load()
	if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, healthBody{Status: "starting", Stage: stage})
		return
	}
	if wantsPage(r) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write(loadingPage(stage))
		return
	}
	httpx.WriteJSON(w, http.StatusServiceUnavailable, httpx.ErrorBody{Error: "server is starting: " + stage})
}

// wantsPage reports whether r comes from a browser navigating to a page: a
// GET that accepts text/html and is not under /api/ (API clients, and a
// page's own fetch calls, keep the JSON answer).
func wantsPage(r *http.Request) bool {
	if r.Method != http.MethodGet || strings.HasPrefix(r.URL.Path, "/api/") {
		return false
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(mt), "text/html") {
			return true
		}
	}
	return false
}

// stageNames are the start-up stages in the words of the loading page.
var stageNames = map[string]string{
	"starting":                  "正在启动",
	"generating demo city":      "正在生成演示城市",
	"storing demo city":         "正在保存演示城市",
	"storing demo case history": "正在生成演示案件",
	"opening store":             "正在打开数据库",
	"loading store":             "正在读取数据",
	"building spatial index":    "正在建立空间索引",
}

// loadingPage is what a browser sees while the server starts: a small
// Chinese page that asks again every two seconds (meta refresh, so it
// needs no script) and so turns into the real page once the server is
// ready, with no manual reload.
func loadingPage(stage string) []byte {
	step := stageNames[stage]
	if step == "" {
		step = "正在准备"
	}
	return []byte(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>正在加载城市数据…</title><link rel="icon" href="data:,">
<style>body{margin:0;height:100vh;display:flex;align-items:center;justify-content:center;background:#f3f0e8;color:#2b2b2b;
font:16px/1.6 'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',system-ui,sans-serif}
main{text-align:center}h1{font-size:22px;font-weight:600;margin:0 0 8px}p{margin:0;color:#6d5c45}
.dot{display:inline-block;width:10px;height:10px;margin:0 3px;border-radius:50%;background:#2f6db3;animation:b 1.2s infinite}
.dot:nth-child(2){animation-delay:.2s}.dot:nth-child(3){animation-delay:.4s}@keyframes b{50%{opacity:.2}}</style></head>
<body><main id="loading"><h1>正在加载城市数据…</h1><p>` + html.EscapeString(step) + `，页面将自动刷新。</p>
<p><span class="dot"></span><span class="dot"></span><span class="dot"></span></p></main></body></html>
`)
}

// healthBody is the answer of /healthz and /readyz.
type healthBody struct {
	Status string `json:"status"`
	Stage  string `json:"stage,omitempty"`
	// CalendarWarnings is readiness detail (/readyz only): the years
	// whose holiday arrangement admins must load (deadlines into them are
	// provisional). They do not take the server out of service.
	CalendarWarnings []cases.ArrangementWarning `json:"calendar_warnings,omitempty"`
	// Overlaps is readiness detail (/readyz only): polygons of one layer
	// that overlap. Answers stay exact where they do, so it is no reason
	// to take the server out of service, but the data wants fixing.
	Overlaps *overlapDetail `json:"overlaps,omitempty"`
}

// overlapsShown is how many overlapping pairs /readyz lists.
const overlapsShown = 10

// overlapDetail counts the overlapping pairs of polygons the index found
// and lists the first of them.
type overlapDetail struct {
	Count int               `json:"count"`
	First []spatial.Overlap `json:"first"`
}

// overlapsOf is the overlap detail of ix.
func overlapsOf(ix *spatial.Index) *overlapDetail {
	ov := ix.Overlaps()
	return &overlapDetail{Count: len(ov), First: append([]spatial.Overlap{}, ov[:min(len(ov), overlapsShown)]...)}
}
