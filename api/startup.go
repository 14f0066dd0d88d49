package api

import (
	"net/http"
	"sync/atomic"

	"citygrid/api/httpx"
	"citygrid/data/cases"
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
	httpx.WriteJSON(w, http.StatusServiceUnavailable, httpx.ErrorBody{Error: "server is starting: " + stage})
}

// healthBody is the answer of /healthz and /readyz.
type healthBody struct {
	Status string `json:"status"`
	Stage  string `json:"stage,omitempty"`
	// CalendarWarnings name the years whose holiday arrangement admins
	// must load (deadlines into them are provisional). They do not take
	// the server out of service.
	CalendarWarnings []cases.ArrangementWarning `json:"calendar_warnings,omitempty"`
}
