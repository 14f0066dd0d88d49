// Package tilefeed serves the tile change feed over HTTP: which tiles
// (z/x/y) edits changed since a sequence number, for CDN purgers, offline
// clients syncing an extract and replicas catching up. It is a thin
// adapter over tiles.Provider.Changes and WaitChanges: one answer, a long
// poll (wait=SECONDS) or a stream of server-sent events.
package tilefeed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"citygrid/tiles"
)

// MaxWait bounds a long poll, below the usual proxy timeouts.
const MaxWait = 60 * time.Second

// Answer is one answer of the feed.
type Answer struct {
	// Since echoes the sequence number asked from (absent at the start).
	Since *int64 `json:"since,omitempty"`
	// Next is the sequence number to ask from next time.
	Next int64 `json:"next"`
	// Reset: since is not covered (too old, or from an earlier run or
	// load of the data); every tile must be taken as changed.
	Reset bool `json:"reset"`
	// Tiles lists the changed tiles as "z/x/y", by zoom, x and y.
	Tiles []string `json:"tiles"`
}

// Handler answers GET …/changes?since=SEQ[&wait=SECONDS] from the current
// provider; with Accept: text/event-stream it streams an event per batch
// of changes instead. Without since it answers the current sequence
// number to start from.
func Handler(provider func() *tiles.Provider) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p := provider()
		var since *int64
		v := q.Get("since")
		if v == "" {
			// An event stream reconnecting says where it stopped.
			v = r.Header.Get("Last-Event-ID")
		}
		if v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				fail(w, http.StatusBadRequest, "since: want the integer sequence number of a previous answer (next)")
				return
			}
			since = &n
		}
		var wait time.Duration
		if v := q.Get("wait"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || time.Duration(n)*time.Second > MaxWait {
				fail(w, http.StatusBadRequest, fmt.Sprintf("wait: want seconds from 0 to %d", int(MaxWait/time.Second)))
				return
			}
			wait = time.Duration(n) * time.Second
		}
		if strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			stream(w, r, p, since)
			return
		}
		if since == nil {
			write(w, Answer{Next: p.ChangesSeq(), Tiles: []string{}})
			return
		}
		if wait > 0 {
			ctx, cancel := context.WithTimeout(r.Context(), wait)
			_ = p.WaitChanges(ctx, *since)
			cancel()
		}
		a, err := answer(r.Context(), p, *since)
		if err != nil {
			fail(w, http.StatusInternalServerError, err.Error())
			return
		}
		write(w, a)
	})
}

// answer lists the changes since a sequence number.
func answer(ctx context.Context, p *tiles.Provider, since int64) (Answer, error) {
	list, next, err := p.Changes(ctx, since)
	a := Answer{Since: &since, Next: next, Tiles: make([]string, len(list))}
	switch {
	case errors.Is(err, tiles.ErrFeedReset):
		a.Reset = true
	case err != nil:
		return a, err
	}
	for i, t := range list {
		a.Tiles[i] = strconv.Itoa(t.Z) + "/" + strconv.Itoa(t.X) + "/" + strconv.Itoa(t.Y)
	}
	return a, nil
}

// stream sends an event for every batch of changes until the client goes.
func stream(w http.ResponseWriter, r *http.Request, p *tiles.Provider, since *int64) {
	fl, ok := w.(http.Flusher)
	if !ok {
		fail(w, http.StatusNotAcceptable, "this connection cannot stream events")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	seq := p.ChangesSeq()
	if since != nil {
		seq = *since
	}
	for {
		a, err := answer(r.Context(), p, seq)
		if err != nil {
			return
		}
		if len(a.Tiles) > 0 || a.Reset || since == nil {
			b, _ := json.Marshal(a)
			fmt.Fprintf(w, "id: %d\nevent: changes\ndata: %s\n\n", a.Next, b)
			fl.Flush()
		}
		since, seq = &a.Next, a.Next
		if err := p.WaitChanges(r.Context(), seq); err != nil {
			return
		}
	}
}

func write(w http.ResponseWriter, a Answer) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Access-Control-Allow-Origin", "*")
	_ = json.NewEncoder(w).Encode(a)
}

func fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
