package spatial

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/demo"

	"github.com/paulmach/orb"
)

var (
	demoMu     sync.Mutex
	demoCities = map[float64]*data.Dataset{}
)

// demoCity generates (once per scale and test binary) the demo city.
func demoCity(tb testing.TB, scale float64) *data.Dataset {
	tb.Helper()
	demoMu.Lock()
	defer demoMu.Unlock()
	if ds, ok := demoCities[scale]; ok {
		return ds
	}
	ds, err := demo.Generate(context.Background(), demo.Options{Seed: 1, Scale: scale})
	if err != nil {
		tb.Fatal(err)
	}
	demoCities[scale] = ds
	return ds
}

// cityPoints returns n random points over the bounding box of the city's
// unit grids (so a share of them fall outside the district's outline).
func cityPoints(ds *data.Dataset, n int, seed uint64) []orb.Point {
	b := ds.UnitGrids[0].Geometry.Bound()
	for _, g := range ds.UnitGrids {
		b = b.Union(g.Geometry.Bound())
	}
	r := rand.New(rand.NewPCG(seed, 99))
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
	}
	return pts
}

// insidePoints returns n random points that lie inside unit grids.
func insidePoints(ix *Index, n int, seed uint64) []orb.Point {
	var pts []orb.Point
	for _, p := range cityPoints(ix.ds, 4*n, seed) {
		if ix.grids.covering(p[0], p[1]) >= 0 {
			pts = append(pts, p)
			if len(pts) == n {
				break
			}
		}
	}
	return pts
}

func benchBuild(b *testing.B, scale float64) {
	ds := demoCity(b, scale)
	b.ReportAllocs()
	var ix *Index
	var before, after runtime.MemStats
	cpu0, ops := cpuTime(), 0
	for b.Loop() {
		ops++
		ix = nil
		runtime.GC()
		runtime.ReadMemStats(&before)
		var err error
		ix, err = Build(ds)
		if err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, ops)
	runtime.GC()
	runtime.ReadMemStats(&after)
	n := float64(len(ds.Components))
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "index-B/component")
	b.ReportMetric(n, "components")
	runtime.KeepAlive(ix)
}

// BenchmarkBuildScale1 indexes the full demo city (400k+ components).
func BenchmarkBuildScale1(b *testing.B) { benchBuild(b, 1) }

// BenchmarkBuildScale3 indexes the 1.25-million-component city.
func BenchmarkBuildScale3(b *testing.B) { benchBuild(b, 3) }

func benchIndex(b *testing.B) *Index {
	ds := demoCity(b, 1)
	ix, err := Build(ds)
	if err != nil {
		b.Fatal(err)
	}
	// Settle the collector after the big allocations of generation and
	// build, so its marking does not land inside the timed loop.
	runtime.GC()
	return ix
}

// BenchmarkLocate is the in-process hot path on one core: random points
// inside the demo city's unit grids.
func BenchmarkLocate(b *testing.B) {
	ix := benchIndex(b)
	pts := insidePoints(ix, 1<<14, 1)
	loc := Location{ManagementGrids: make([]ManagementGridRef, 0, 8)}
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	i := 0
	for b.Loop() {
		if err := ix.LocateInto(pts[i&(len(pts)-1)], &loc); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "lookups/s")
	// On a machine shared with other work the wall clock overstates the
	// cost; CPU time of this process says what one core does.
	b.ReportMetric(float64(i)/(cpuTime()-cpu0).Seconds(), "lookups/cpu-s")
}

// cpuTime is the user+system CPU time consumed by this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLocateMixed includes points outside the district (nearest-grid
// search) in proportion to the city's bounding box.
func BenchmarkLocateMixed(b *testing.B) {
	ix := benchIndex(b)
	pts := cityPoints(ix.ds, 1<<14, 2)
	loc := Location{ManagementGrids: make([]ManagementGridRef, 0, 8)}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		_ = ix.LocateInto(pts[i&(len(pts)-1)], &loc)
		i++
	}
}

// BenchmarkLocateBatch100k is one full-size batch over all cores.
func BenchmarkLocateBatch100k(b *testing.B) {
	ix := benchIndex(b)
	pts := insidePoints(ix, MaxBatch, 3)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, n := cpuTime(), 0
	for b.Loop() {
		if _, err := ix.LocateBatch(pts); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportCPU(b, cpu0, n)
}

// BenchmarkResponsibleBatch100k is a full-size responsibility batch.
func BenchmarkResponsibleBatch100k(b *testing.B) {
	ix := benchIndex(b)
	pts := insidePoints(ix, MaxBatch, 4)
	var cats []data.Category
	cats = append(cats, ix.ds.Categories...)
	qs := make([]ResponsibleQuery, len(pts))
	for i, p := range pts {
		c := &cats[i%len(cats)]
		qs[i] = ResponsibleQuery{Point: p, Kind: c.Kind, Category: c.Code}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, n := cpuTime(), 0
	for b.Loop() {
		if _, err := ix.ResponsibleBatch(qs); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportCPU(b, cpu0, n)
}

// BenchmarkNearest10 asks for the 10 nearest components of any category
// within 200 m.
func BenchmarkNearest10(b *testing.B) {
	ix := benchIndex(b)
	pts := insidePoints(ix, 1024, 5)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		if _, err := ix.Nearest(pts[i%len(pts)], 10, 200, nil); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportCPU(b, cpu0, i)
}

// reportCPU reports the process CPU time per operation since cpu0: on a
// machine shared with other work it says what the code costs, where
// ns/op also counts the time spent waiting for a core.
func reportCPU(b *testing.B, cpu0 time.Duration, ops int) {
	if ops > 0 {
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(ops), "cpu-ns/op")
	}
}

// BenchmarkResponsible is one responsibility decision for a component
// category (the nearest-component search included).
func BenchmarkResponsible(b *testing.B) {
	ix := benchIndex(b)
	pts := insidePoints(ix, 1024, 6)
	cat := ix.compCats[0]
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		if _, err := ix.Responsible(pts[i%len(pts)], data.KindComponent, cat, ""); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportCPU(b, cpu0, i)
}

// BenchmarkWithin500m counts and lists (up to 100) the components in a
// 500 m × 500 m box.
func BenchmarkWithin500m(b *testing.B) {
	ix := benchIndex(b)
	pts := insidePoints(ix, 256, 7)
	const d = 0.0025 // about 250 m either side
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		p := pts[i%len(pts)]
		if _, err := ix.WithinBound(orb.Bound{Min: orb.Point{p[0] - d, p[1] - d}, Max: orb.Point{p[0] + d, p[1] + d}}, nil, 100); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportCPU(b, cpu0, i)
}

// outsidePoints returns n random points outside every unit grid: over the
// city's bounding box padded by about 2 km, plus one in eight far away
// (up to 2° off), as a phone with a bad fix or a mistyped coordinate gives.
func outsidePoints(ix *Index, n int, seed uint64) []orb.Point {
	b := ix.ds.UnitGrids[0].Geometry.Bound()
	for _, g := range ix.ds.UnitGrids {
		b = b.Union(g.Geometry.Bound())
	}
	b = b.Pad(0.02)
	r := rand.New(rand.NewPCG(seed, 7))
	pts := make([]orb.Point, 0, n)
	for len(pts) < n {
		p := orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
		if len(pts)%8 == 7 {
			p = orb.Point{p[0] + 4*r.Float64() - 2, p[1] + 4*r.Float64() - 2}
		}
		if ix.grids.covering(p[0], p[1]) < 0 {
			pts = append(pts, p)
		}
	}
	return pts
}

// BenchmarkLocateOutside is locate for points outside the city: the answer
// names the nearest unit grid and its distance.
func BenchmarkLocateOutside(b *testing.B) {
	ix := benchIndex(b)
	pts := outsidePoints(ix, 1<<12, 5)
	loc := Location{ManagementGrids: make([]ManagementGridRef, 0, 8)}
	o := ix.currentOutline() // built on first use; not timed
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, i := cpuTime(), 0
	for b.Loop() {
		if err := ix.LocateInto(pts[i&(len(pts)-1)], &loc); !IsOutside(err) {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/(cpuTime()-cpu0).Seconds(), "lookups/cpu-s")
	b.ReportMetric(float64(len(o.edges)), "outline-edges")
}
