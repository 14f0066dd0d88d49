package city

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"citygrid/api/internal/testcity"
	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/sqlitecases"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
	"citygrid/spatial"
	"citygrid/tiles"
	"citygrid/tiles/mbtiles"
)

// notifyingLog is a change log with no changes whose notifications block
// until the listener's context ends, as PostgreSQL's LISTEN does.
type notifyingLog struct {
	mu        sync.Mutex
	listening int
}

func (*notifyingLog) LastChangeSeq(context.Context) (int64, error) { return 0, nil }

func (*notifyingLog) ChangesSince(context.Context, int64, int) ([]data.Change, error) {
	return nil, nil
}

func (l *notifyingLog) listen(ctx context.Context, _ func(int64)) error {
	l.mu.Lock()
	l.listening++
	l.mu.Unlock()
	<-ctx.Done()
	return ctx.Err()
}

// TestCloseStopsEveryGoroutine opens a city that starts all its background
// work — a replica follower with its listener, the rewriter of a baked
// tiles file after a live edit, the case board's load of a store holding
// a case, the webhook sweeps, an import watch check — and checks that
// Close leaves no goroutine behind: the count returns to what it was
// before Open (after a short settle for goroutines on their way out).
func TestCloseStopsEveryGoroutine(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := gpkg.Open(ctx, filepath.Join(dir, "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bakeCity(t, ds, dir)
	// A case in the store makes the board load in the background; a
	// webhook in the stored settings starts the sweeps.
	cs, err := sqlitecases.New(ctx, st.DB())
	if err != nil {
		t.Fatal(err)
	}
	set := cases.DefaultSettings()
	set.WebhookURL = "http://127.0.0.1:9/notify"
	body, _ := json.Marshal(set)
	if _, err := cs.PutConfig(ctx, "settings", body, "test", 0); err != nil {
		t.Fatal(err)
	}
	c0 := &cases.Case{Source: cases.SourceHotline, Kind: data.KindEvent, Category: "0406", State: cases.StateReported,
		ReportedAt: time.Now(), Point: ds.UnitGrids[0].Geometry.Bound().Center()}
	if err := cs.Create(ctx, c0, &cases.Transition{Action: cases.ActReport, To: c0.State, User: "op1", Role: data.RoleOperator}); err != nil {
		t.Fatal(err)
	}

	before := settledGoroutines()
	log := &notifyingLog{}
	c, err := Open(ctx, Config{Store: st, Dataset: ds, Dir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ChangeLog: log, ChangeNotify: log.listen, FollowEvery: time.Hour, WatchEvery: time.Nanosecond,
		Deliver: func(context.Context, string, []byte) (int, error) { return 503, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if c.Workflow == nil || c.Follower == nil {
		t.Fatalf("workflow %v, follower %v: the test city must start both", c.Workflow != nil, c.Follower != nil)
	}
	if !c.Workflow.sweeping {
		t.Fatal("the webhook sweeps did not start")
	}
	// A live edit marks baked tiles dirty: the provider's rewriter runs.
	comp := ds.Components[0]
	comp.Name = "改名"
	comp.Version++
	c.Live.Apply([]data.Change{{Layer: "components", Op: data.OpUpdate, Code: comp.Code, Version: comp.Version,
		BeforeComponent: &ds.Components[0], AfterComponent: &comp}})
	c.Poke()
	deadline := time.Now().Add(10 * time.Second)
	for {
		log.mu.Lock()
		n := log.listening
		log.mu.Unlock()
		if n > 0 && c.Board.Stats().Len() == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the follower listens %d times, the board holds %d cases", n, c.Board.Stats().Len())
		}
		time.Sleep(5 * time.Millisecond)
	}
	running := stacks()
	for _, fn := range []string{"(*Follower).run", "(*Follower).listen", "(*Workflow).startSweeps", "database/sql.(*DB).connectionOpener"} {
		if !strings.Contains(running, fn) {
			t.Fatalf("no goroutine runs %s after Open: the test would not see it leak", fn)
		}
	}

	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Close(cctx); err != nil {
		t.Fatal(err)
	}
	var after int
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if after = runtime.NumGoroutine(); after <= before {
			return
		}
	}
	t.Fatalf("%d goroutines after Close, %d before Open:\n%s", after, before, cityStacks(stacks()))
}

// settledGoroutines counts the goroutines once the count has held still
// for 50 ms (goroutines of earlier tests on their way out), waiting at
// most 2 s.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			return n
		}
		n = m
	}
	return n
}

// stacks is every goroutine's stack.
func stacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// cityStacks keeps the goroutine dumps that are not the test's own.
func cityStacks(all string) string {
	var out []string
	for _, g := range strings.Split(all, "\n\n") {
		if !strings.Contains(g, "testing.") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

// bakeCity bakes ds's tiles at z14–z15 into dir/citygrid.mbtiles.
func bakeCity(t *testing.T, ds *data.Dataset, dir string) {
	t.Helper()
	ctx := context.Background()
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tiles.New(ix, tiles.Options{Attribution: "citygrid"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := mbtiles.Create(ctx, filepath.Join(dir, MBTilesFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Bake(ctx, w, tiles.BakeOptions{MinZoom: 14, MaxZoom: 15}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestStartUpWarnsOfOverlappingPolygons: twelve responsibility grids
// drawn over each other are 66 overlapping pairs (12·11/2); opening the
// city logs one warning with the count and the first five pairs, and a
// city without overlaps logs none.
func TestStartUpWarnsOfOverlappingPolygons(t *testing.T) {
	open := func(ds *data.Dataset) string {
		t.Helper()
		var buf bytes.Buffer
		c, err := Open(context.Background(), Config{Dataset: ds, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	if out := open(testcity.New()); strings.Contains(out, "overlap") {
		t.Errorf("a city without overlaps warns:\n%s", out)
	}
	out := open(testcity.WithOverlappingGrids(12))
	var warn string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "level=WARN") && strings.Contains(line, "overlap") {
			warn = line
		}
	}
	if !strings.Contains(warn, "count=66") || strings.Count(warn, "management:responsibility R") != 5 {
		t.Fatalf("warning %q, want count=66 and five pairs", warn)
	}
}
