package api

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"citygrid/api/city"
	"citygrid/api/internal/testcity"
	"citygrid/data"

	"github.com/paulmach/orb"
)

// memLog is an in-memory data.ChangeLog with notifications, standing in
// for another replica's writes to a shared store.
type memLog struct {
	mu      sync.Mutex
	changes []data.Change
	pruned  int64 // changes up to this Seq are gone
	reads   int
	subs    []func(int64)
}

func (m *memLog) LastChangeSeq(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.changes) == 0 {
		return 0, nil
	}
	return m.changes[len(m.changes)-1].Seq, nil
}

func (m *memLog) ChangesSince(_ context.Context, after int64, limit int) ([]data.Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if after < m.pruned {
		return nil, fmt.Errorf("changes after %d: %w", after, data.ErrGone)
	}
	var out []data.Change
	for _, ch := range m.changes {
		if ch.Seq > after && len(out) < limit {
			out = append(out, ch)
		}
	}
	return out, nil
}

// commit appends changes (their Seqs set by the caller) and notifies.
func (m *memLog) commit(chs ...data.Change) {
	m.mu.Lock()
	m.changes = append(m.changes, chs...)
	subs := append([]func(int64){}, m.subs...)
	m.mu.Unlock()
	for _, fn := range subs {
		fn(chs[len(chs)-1].Seq)
	}
}

func (m *memLog) listen(ctx context.Context, fn func(int64)) error {
	m.mu.Lock()
	m.subs = append(m.subs, fn)
	m.mu.Unlock()
	<-ctx.Done()
	return ctx.Err()
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lampAt is a new street lamp in grid A1 of testCity.
func lampAt(code string, p orb.Point, version int64) *data.Component {
	return &data.Component{Code: code, Category: testcity.Lamp, Name: "路灯" + code[len(code)-2:], Geometry: p,
		Department: "D-LIGHT", Status: data.StatusIntact, UnitGrid: testcity.GridA1, Version: version}
}

// newFollowerTest starts a follower of a fresh memLog from Seq start on
// the live test server. The timer is an hour, so only notifications wake
// the follower after its first read.
func newFollowerTest(t *testing.T, start int64) (*city.City, *memLog, *city.Follower, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	log := &memLog{pruned: 0}
	_, live := newLiveTestCity(t, city.Config{ChangeLog: log, ChangeSeq: start, ChangeNotify: log.listen, FollowEvery: time.Hour,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	f := live.Follower
	// The listener subscribes asynchronously: wait for it.
	waitFor(t, "the follower listens", func() bool { log.mu.Lock(); defer log.mu.Unlock(); return len(log.subs) == 1 })
	return live, log, f, logs
}

// waitFor polls cond until it holds or 10 s pass (a generous bound: this
// asserts that the follower gets there, not how fast).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestFollowerAppliesRemoteChangesOnNotification: a change another
// replica committed reaches the index when the store notifies it, and the
// follower's position moves to its Seq.
func TestFollowerAppliesRemoteChangesOnNotification(t *testing.T) {
	live, log, f, logs := newFollowerTest(t, 0)
	lamp := lampAt("3201140201000091", orb.Point{118.7080, 31.9120}, 1)
	log.commit(data.Change{Layer: "components", Op: data.OpInsert, Code: lamp.Code, Version: 1, AfterComponent: lamp, Seq: 1})
	waitFor(t, "the remote lamp is in the index", func() bool { _, ok := indexComponent(live, lamp.Code); return ok })
	waitFor(t, "the follower is at Seq 1", func() bool { return f.Seq() == 1 })
	moved := lampAt(lamp.Code, orb.Point{118.7085, 31.9125}, 2)
	log.commit(data.Change{Layer: "components", Op: data.OpUpdate, Code: lamp.Code, Version: 2, BeforeComponent: lamp, AfterComponent: moved, Seq: 2})
	waitFor(t, "the remote move is in the index", func() bool { c, _ := indexComponent(live, lamp.Code); return c.Version == 2 })
	if c, _ := indexComponent(live, lamp.Code); c.Geometry != moved.Geometry {
		t.Errorf("moved lamp at %v, want %v", c.Geometry, moved.Geometry)
	}
	if s := logs.String(); s != "" {
		t.Errorf("warnings while following: %s", s)
	}
}

// TestFollowerSkipsOwnChangesAndOlderOnes: the replica's own edit, applied
// by its handler, comes back from the log and is not applied again (no
// drift warning); an older remote change of the same lamp, committed
// before the own one but read after it, does not bring the lamp back to
// its older state; a remote change of another lamp in the same read is
// applied.
func TestFollowerSkipsOwnChangesAndOlderOnes(t *testing.T) {
	live, log, f, logs := newFollowerTest(t, 10)
	a1 := lampAt("3201140201000092", orb.Point{118.7060, 31.9110}, 1)
	a2 := lampAt(a1.Code, orb.Point{118.7065, 31.9115}, 2)
	a3 := lampAt(a1.Code, orb.Point{118.7070, 31.9105}, 3)
	b1 := lampAt("3201140201000093", orb.Point{118.7050, 31.9050}, 1)
	// The replica starts at Seq 10. Its own edits: 11 (insert a) and 13
	// (move a), applied by its handlers at once. Another replica's: 12
	// (move a, committed before 13) and 14 (insert b). The follower reads
	// 11..14 only after the own edits were applied.
	live.Live.Apply([]data.Change{{Layer: "components", Op: data.OpInsert, Code: a1.Code, Version: 1, AfterComponent: a1, Seq: 11}})
	live.Live.Apply([]data.Change{{Layer: "components", Op: data.OpUpdate, Code: a1.Code, Version: 3, BeforeComponent: a2, AfterComponent: a3, Seq: 13}})
	log.commit(
		data.Change{Layer: "components", Op: data.OpInsert, Code: a1.Code, Version: 1, AfterComponent: a1, Seq: 11},
		data.Change{Layer: "components", Op: data.OpUpdate, Code: a1.Code, Version: 2, BeforeComponent: a1, AfterComponent: a2, Seq: 12},
		data.Change{Layer: "components", Op: data.OpUpdate, Code: a1.Code, Version: 3, BeforeComponent: a2, AfterComponent: a3, Seq: 13},
		data.Change{Layer: "components", Op: data.OpInsert, Code: b1.Code, Version: 1, AfterComponent: b1, Seq: 14},
	)
	waitFor(t, "the follower is at Seq 14", func() bool { return f.Seq() == 14 })
	if c, ok := indexComponent(live, a1.Code); !ok || c.Version != 3 || c.Geometry != a3.Geometry {
		t.Errorf("lamp a after following: %+v %v, want version 3 at %v", c, ok, a3.Geometry)
	}
	if _, ok := indexComponent(live, b1.Code); !ok {
		t.Error("the remote lamp b was not applied")
	}
	if s := logs.String(); strings.Contains(s, "drifted") || strings.Contains(s, "could not replay") {
		t.Errorf("own changes were applied twice: %s", s)
	}
}

// TestFollowerStopsAtAPrunedLog: when the log no longer holds the changes
// after the replica's Seq, the follower applies nothing, says so once at
// Error level and reports itself stale.
func TestFollowerStopsAtAPrunedLog(t *testing.T) {
	live, log, f, logs := newFollowerTest(t, 3)
	log.mu.Lock()
	log.pruned = 5
	log.mu.Unlock()
	lamp := lampAt("3201140201000094", orb.Point{118.7080, 31.9120}, 1)
	log.commit(data.Change{Layer: "components", Op: data.OpInsert, Code: lamp.Code, Version: 1, AfterComponent: lamp, Seq: 6})
	waitFor(t, "the follower gives up", f.Stale)
	log.commit(data.Change{Layer: "components", Op: data.OpInsert, Code: lamp.Code + "1", Version: 1, AfterComponent: lamp, Seq: 7})
	waitFor(t, "the second read", func() bool { log.mu.Lock(); defer log.mu.Unlock(); return log.reads >= 3 })
	if _, ok := indexComponent(live, lamp.Code); ok {
		t.Error("a change past a gap was applied")
	}
	if f.StaleStage() == "" {
		t.Error("a replica behind a pruned log does not say it is stale")
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Errorf("%d errors logged, want 1: %s", n, logs)
	}
}

// indexComponent reads a component from the live index the way handlers
// do, under the index's read view (the follower applies concurrently).
func indexComponent(live *city.City, code string) (data.Component, bool) {
	var c data.Component
	var ok bool
	live.Index.View(func() {
		var p *data.Component
		if p, ok = live.Index.Component(code); ok {
			c = *p
		}
	})
	return c, ok
}
