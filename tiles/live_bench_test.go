package tiles_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/demo"
	"citygrid/spatial"
	"citygrid/tiles"
	"citygrid/tiles/mbtiles"

	"github.com/paulmach/orb"
)

// liveBench is a demo city (CITYGRID_BENCH_SCALE, default 1) with its
// index, tileset and a baked MBTiles file of z10–z17, for the edit
// benchmarks. Each benchmark gets its own copy of everything but the
// generated dataset's template.
type liveBench struct {
	ds   *data.Dataset
	ix   *spatial.Index
	ts   *tiles.Tileset
	p    *tiles.Provider
	path string
}

var (
	liveBenchOnce sync.Once
	liveBenchDS   *data.Dataset
	liveBenchErr  error
)

func newLiveBench(b *testing.B, bake bool) *liveBench {
	b.Helper()
	liveBenchOnce.Do(func() {
		scale := 1.0
		if s := os.Getenv("CITYGRID_BENCH_SCALE"); s != "" {
			if scale, liveBenchErr = strconv.ParseFloat(s, 64); liveBenchErr != nil {
				return
			}
		}
		liveBenchDS, liveBenchErr = demo.Generate(context.Background(), demo.Options{Seed: 1, Scale: scale})
	})
	if liveBenchErr != nil {
		b.Fatal(liveBenchErr)
	}
	ds := *liveBenchDS
	ds.Components = slices.Clone(ds.Components)
	ds.UnitGrids = slices.Clone(ds.UnitGrids)
	lb := &liveBench{ds: &ds}
	var err error
	if lb.ix, err = spatial.Build(lb.ds); err != nil {
		b.Fatal(err)
	}
	if lb.ts, err = tiles.New(lb.ix, tiles.Options{}); err != nil {
		b.Fatal(err)
	}
	var r *mbtiles.Reader
	if bake {
		lb.path = filepath.Join(b.TempDir(), "city.mbtiles")
		w, err := mbtiles.Create(context.Background(), lb.path)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		st, err := lb.ts.Bake(context.Background(), w, tiles.BakeOptions{MinZoom: 10, MaxZoom: 17})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Logf("baked %d tiles (%d stored) in %v", st.Tiles, st.Stored, time.Since(start).Round(time.Millisecond))
		if r, err = mbtiles.Open(context.Background(), lb.path); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { r.Close() })
	}
	lb.p, _ = tiles.NewProvider(lb.ts, r, 0)
	b.Cleanup(lb.p.Close)
	return lb
}

// nudge is a single survey correction: a random point component moved by
// up to about 10 m.
func (lb *liveBench) nudge(r *rand.Rand) []data.Change {
	for {
		var c data.Component
		lb.ix.View(func() { c = lb.ds.Components[r.IntN(len(lb.ds.Components))] })
		p, ok := c.Geometry.(orb.Point)
		if !ok {
			continue
		}
		after := c
		after.Geometry = orb.Point{p[0] + (r.Float64()-0.5)*2e-4, p[1] + (r.Float64()-0.5)*2e-4}
		after.Version++
		return []data.Change{{Layer: "components", Op: data.OpUpdate, Code: c.Code, Version: after.Version, BeforeComponent: &c, AfterComponent: &after}}
	}
}

// BenchmarkLiveEdit applies single component edits as fast as they come:
// the index updated in place, cluster counts, data version, and the
// touched tiles dropped from the cache (no baked file).
func BenchmarkLiveEdit(b *testing.B) {
	lb := newLiveBench(b, false)
	r := rand.New(rand.NewPCG(1, 2))
	touched := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		chs := lb.nudge(r)
		b.StartTimer()
		ts, err := lb.p.Apply(chs, lb.ix.Apply)
		if err != nil {
			b.Fatal(err)
		}
		touched += len(ts)
	}
	b.ReportMetric(float64(touched)/float64(b.N), "tiles/edit")
}

// BenchmarkLiveEditsAt1000PerSecond paces b.N single edits at 1,000 a
// second over the demo city with a baked z10–z17 file, while a reader
// fetches one touched tile after every edit (and checks it is the new
// content: read-your-writes) and the rewriter stores dirty tiles in the
// background. It reports the rate reached, the Apply latency, the largest
// backlog of dirty baked tiles, the time the rewriter needs after the last
// edit until the file is current again, and tiles rewritten a second; and
// the process's CPU time per edit while edits come in (Apply, the reader,
// the rewriter) and in all, drain included — measures of work that other
// jobs on a shared machine do not inflate.
// Run: go test ./tiles -run XXX -bench LiveEditsAt1000 -benchtime=5000x
func BenchmarkLiveEditsAt1000PerSecond(b *testing.B) {
	lb := newLiveBench(b, true)
	r := rand.New(rand.NewPCG(3, 4))
	edits := make([][]data.Change, b.N)
	for i := range edits {
		edits[i] = lb.nudge(r)
	}
	lat := make([]time.Duration, 0, b.N)
	maxDirty := 0
	ctx := context.Background()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i, chs := range edits {
		if d := time.Until(start.Add(time.Duration(i) * time.Millisecond)); d > 0 {
			time.Sleep(d)
		}
		t0 := time.Now()
		touched, err := lb.p.Apply(chs, lb.ix.Apply)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		// The next request for a touched tile is the new content.
		a := touched[len(touched)-1]
		got, err := lb.p.Tile(ctx, a.Z, a.X, a.Y)
		if err != nil {
			b.Fatal(err)
		}
		if got.From == "baked" {
			b.Fatalf("touched tile %v answered from the stale baked file", a)
		}
		maxDirty = max(maxDirty, lb.p.Dirty())
	}
	elapsed := time.Since(start)
	endEdits, cpu1 := time.Now(), cpuTime()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := lb.p.WaitRewritten(wctx); err != nil {
		b.Fatal(err)
	}
	drain := time.Since(endEdits)
	cpu2 := cpuTime()
	b.StopTimer()
	slices.Sort(lat)
	st := lb.p.RewriteStats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "edits/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "apply-p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "apply-p99-µs")
	b.ReportMetric(float64(maxDirty), "max-dirty-tiles")
	b.ReportMetric(drain.Seconds(), "drain-s")
	b.ReportMetric(float64(st.Written)/(elapsed+drain).Seconds(), "rewritten-tiles/s")
	b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/edit")
	b.ReportMetric(float64((cpu2-cpu0).Microseconds())/float64(b.N), "cpu-µs/edit-with-drain")
	if st.Err != "" {
		b.Errorf("rewriter: %s", st.Err)
	}
}
