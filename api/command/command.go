// Package command serves the supervision and command side of the case
// workflow: the statistics and evaluation API, the live event stream and
// the command-display page (/command), all over the city's case board.
package command

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"citygrid/api/auth"
	"citygrid/api/city/caseboard"
	"citygrid/api/httpx"
	"citygrid/data"

	"github.com/go-chi/chi/v5"
)

// Mount adds the statistics, event stream and command page routes over
// board (the case map is package maps').
func Mount(r chi.Router, board *caseboard.Board) { (&caseBoard{Board: board}).mount(r) }

// caseBoard serves the city's board and the command page's assets.
type caseBoard struct {
	*caseboard.Board

	echartsOnce sync.Once
	echartsPath string
}

// commandZone is the zone days and months are counted in.
var commandZone = httpx.ChinaTime

// events answers GET /api/v1/case-events: a text/event-stream of case
// changes ("event: case"; "event: reload" when the board reloaded every
// case from the store), with a comment line every 15 s to keep
// proxies from closing it. Browsers read it with fetch, which sends the
// session cookie (or a script's bearer token) and sees a 401 or 429 that
// EventSource would hide.
func (b *caseBoard) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		httpx.WriteError(w, fmt.Errorf("event stream: %w", data.ErrUnavailable))
		return
	}
	// The stream outlives the handler timeout by design.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	ch := b.Subscribe()
	defer b.Unsubscribe(ch)
	visible := eventScope(auth.PrincipalOf(r))
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 2000\nevent: hello\ndata: {\"generation\":%d}\n\n", b.Layer().Generation())
	fl.Flush()
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			fl.Flush()
		case msg := <-ch:
			name, body, _ := bytes.Cut(msg, []byte("\n"))
			if !visible(body) {
				continue
			}
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, body); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

// eventScope is which events of the board p may receive, as the case
// lists scope them: a unit's token gets the events of its unit's cases
// (and the board's reloads, which carry no case), every other reading
// role all of them.
func eventScope(p data.Principal) func(body []byte) bool {
	if p.Role != data.RoleUnit {
		return func([]byte) bool { return true }
	}
	return func(body []byte) bool {
		var ev struct {
			Type string `json:"type"`
			Unit string `json:"unit"`
		}
		if json.Unmarshal(body, &ev) != nil {
			return false
		}
		return ev.Type == "reload" || p.Unit != "" && ev.Unit == p.Unit
	}
}

// readRoles are the roles that may read the case map, the statistics and
// the command page's data: every internal role that works on cases.
// Citizens (who see their own reports through Open311) and surveyors
// (component editing) may not.
var readRoles = []data.Role{data.RoleViewer, data.RoleInspector, data.RoleOperator, data.RoleSupervisor,
	data.RoleDispatcher, data.RoleUnit}

// mount adds the board's routes. The page shells (/command, its report
// page and assets) hold no data; a browser not signed in is sent to sign
// in first; the case tiles are
// public; the statistics and the event stream need one of readRoles;
// changing the scoring configuration needs admin.
func (b *caseBoard) mount(r chi.Router) {
	read := r.With(auth.Require(readRoles...))
	read.Get("/api/v1/stats", b.statsHandler)
	read.Get("/api/v1/stats/top", b.topHandler)
	read.Get("/api/v1/stats/today", b.todayHandler)
	read.Get("/api/v1/stats/dispatch-accuracy", b.accuracyHandler)
	read.Get("/api/v1/stats/scoring", b.getScoring)
	r.With(auth.Require(data.RoleAdmin)).Put("/api/v1/stats/scoring", b.putScoring)
	read.Get("/api/v1/case-events", b.events)
	r.With(auth.SignInFirst).Get("/command", b.page)
	r.With(auth.SignInFirst).Get("/command/report", b.reportPage)
	r.Get("/command/assets/{file}", b.asset)
	r.Get("/command/echarts/{file}", b.echarts)
}
