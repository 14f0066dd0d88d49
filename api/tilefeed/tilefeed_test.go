package tilefeed_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"citygrid/api/internal/apitest"
	"citygrid/api/tilefeed"
	"citygrid/data"
	"citygrid/spatial"
	"citygrid/tiles"
)

type city struct {
	ds  *data.Dataset
	ix  *spatial.Index
	p   *tiles.Provider
	srv *httptest.Server
}

func newCity(t *testing.T) *city {
	t.Helper()
	ds, ix, p := apitest.DemoTiles(t, 8, 0.01)
	srv := httptest.NewServer(tilefeed.Handler(func() *tiles.Provider { return p }))
	t.Cleanup(srv.Close)
	return &city{ds, ix, p, srv}
}

// edit marks the k-th component damaged (or lost if it was damaged).
func (c *city) edit(t *testing.T, k int) {
	t.Helper()
	cur, _ := c.ix.Component(c.ds.Components[k].Code)
	before, after := *cur, *cur
	after.Status = data.StatusDamaged
	if before.Status == data.StatusDamaged {
		after.Status = data.StatusLost
	}
	after.Version++
	ch := data.Change{Layer: "components", Op: data.OpUpdate, Code: before.Code, Version: after.Version, BeforeComponent: &before, AfterComponent: &after}
	if _, err := c.p.Apply([]data.Change{ch}, c.ix.Apply); err != nil {
		t.Fatal(err)
	}
}

func (c *city) get(t *testing.T, query string, want int) tilefeed.Answer {
	t.Helper()
	resp, err := http.Get(c.srv.URL + "?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("?%s: %d, want %d", query, resp.StatusCode, want)
	}
	var a tilefeed.Answer
	json.NewDecoder(resp.Body).Decode(&a)
	return a
}

func names(ts []tiles.TileAddress) []string {
	var out []string
	for _, a := range ts {
		out = append(out, strconv.Itoa(a.Z)+"/"+strconv.Itoa(a.X)+"/"+strconv.Itoa(a.Y))
	}
	return out
}

func TestTheFeedAnswersPollsLongPollsAndResets(t *testing.T) {
	c := newCity(t)
	start := c.get(t, "", 200)
	if start.Next != c.p.ChangesSeq() || len(start.Tiles) != 0 || start.Reset {
		t.Fatalf("start %+v", start)
	}
	// A long poll waits for the edit.
	done := make(chan tilefeed.Answer, 1)
	go func() {
		// Not c.get: t.Fatal must not run outside the test's goroutine.
		var a tilefeed.Answer
		if resp, err := http.Get(c.srv.URL + "?since=" + strconv.FormatInt(start.Next, 10) + "&wait=10"); err == nil {
			json.NewDecoder(resp.Body).Decode(&a)
			resp.Body.Close()
		}
		done <- a
	}()
	time.Sleep(100 * time.Millisecond)
	c.edit(t, 5)
	var a tilefeed.Answer
	select {
	case a = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll did not return after the edit")
	}
	want, next, _ := c.p.Changes(context.Background(), start.Next)
	if len(a.Tiles) == 0 || !slices.Equal(a.Tiles, names(want)) || a.Next != next || *a.Since != start.Next {
		t.Fatalf("long poll %+v, feed %v at %d", a, names(want), next)
	}
	// Nothing new: an empty list at once (no wait asked).
	if again := c.get(t, "since="+strconv.FormatInt(a.Next, 10), 200); len(again.Tiles) != 0 || again.Next != a.Next {
		t.Fatalf("again %+v", again)
	}
	if r := c.get(t, "since=1", 200); !r.Reset || r.Next != a.Next {
		t.Fatalf("an old since: %+v", r)
	}
	c.get(t, "since=abc", 400)
	c.get(t, "since=1&wait=600", 400)
}

func TestTheFeedStreamsServerSentEvents(t *testing.T) {
	c := newCity(t)
	req, _ := http.NewRequest("GET", c.srv.URL, nil)
	req.Header.Set("Accept", "text/event-stream")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("Content-Type %s", resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	event := func() tilefeed.Answer {
		t.Helper()
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var a tilefeed.Answer
				if err := json.Unmarshal([]byte(d), &a); err != nil {
					t.Fatal(err)
				}
				return a
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return tilefeed.Answer{}
	}
	first := event()
	if first.Next != c.p.ChangesSeq() {
		t.Fatalf("first event %+v", first)
	}
	c.edit(t, 9)
	second := event()
	if len(second.Tiles) == 0 || second.Next != first.Next+1 {
		t.Fatalf("second event %+v", second)
	}
}
