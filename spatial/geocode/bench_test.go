package geocode

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"citygrid/data"
	"citygrid/data/demo"

	"github.com/paulmach/orb"
)

var (
	benchOnce sync.Once
	benchDS   *data.Dataset
	benchGC   *Geocoder
)

// benchCity is the demo city at GEOCODE_BENCH_SCALE (default 1, the full
// district) and its geocoder.
func benchCity(b *testing.B) (*data.Dataset, *Geocoder) {
	b.Helper()
	benchOnce.Do(func() {
		scale := 1.0
		if s := os.Getenv("GEOCODE_BENCH_SCALE"); s != "" {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				b.Fatal(err)
			}
			scale = v
		}
		ds, err := demo.Generate(context.Background(), demo.Options{Seed: 1, Scale: scale})
		if err != nil {
			b.Fatal(err)
		}
		g, err := Build(ds)
		if err != nil {
			b.Fatal(err)
		}
		benchDS, benchGC = ds, g
		b.Logf("bench city at scale %g: %d roads, %d door plates, %d POIs, %d name forms", scale, len(ds.Roads), len(ds.Addresses), len(ds.POIs), len(g.aliases))
	})
	if benchGC == nil {
		b.Fatal("no bench city")
	}
	return benchDS, benchGC
}

// reportQPS reports queries per wall-clock second and per second of CPU
// time: on a shared machine the second is what one core sustains.
func reportQPS(b *testing.B, cpu0 time.Duration) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "queries/s")
	}
	if c := (cpuTime() - cpu0).Seconds(); c > 0 {
		b.ReportMetric(float64(b.N)/c, "queries/cpu-s")
	}
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// latencies records each query's wall-clock and thread CPU time, for the
// percentiles a mean hides. On a shared machine the wall time includes
// waits for a core; the CPU time is what the query itself costs.
type latencies struct{ wall, cpu []time.Duration }

// threadCPU is the CPU time of the calling OS thread
// (clock_gettime(CLOCK_THREAD_CPUTIME_ID)).
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// timed runs one query and records its times; the benchmark goroutine is
// locked to its thread so that thread CPU time is the query's.
func (l *latencies) timed(f func()) {
	c0, t0 := threadCPU(), time.Now()
	f()
	l.wall = append(l.wall, time.Since(t0))
	l.cpu = append(l.cpu, threadCPU()-c0)
}

// report adds the median and 99th percentile of both times.
func (l *latencies) report(b *testing.B) {
	for _, x := range []struct {
		name string
		ds   []time.Duration
	}{{"wall", l.wall}, {"cpu", l.cpu}} {
		if len(x.ds) == 0 {
			continue
		}
		slices.Sort(x.ds)
		b.ReportMetric(float64(x.ds[len(x.ds)/2].Microseconds()), "µs-p50-"+x.name)
		b.ReportMetric(float64(x.ds[len(x.ds)*99/100].Microseconds()), "µs-p99-"+x.name)
	}
}

// runQueries times query i of each iteration and reports queries per
// second and the latency percentiles. The benchmark goroutine is locked to
// its thread so that thread CPU time is the query's own.
func runQueries(b *testing.B, query func(i int) error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var l latencies
	var err error
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		l.timed(func() { err = query(i) })
		if err != nil {
			b.Fatal(err)
		}
	}
	reportQPS(b, cpu0)
	l.report(b)
}

// BenchmarkForwardWritten geocodes the written-as-people-write evaluation
// set drawn from the bench city (crossings, Chinese numerals, wrong
// hints, POI short names, traditional characters …).
func BenchmarkForwardWritten(b *testing.B) {
	ds, g := benchCity(b)
	set := buildWrittenSet(b, ds, 200)
	runQueries(b, func(i int) error {
		q := set[i%len(set)]
		if q.query != nil {
			_, err := g.ForwardQuery(*q.query, 5)
			return err
		}
		_, err := g.Forward(q.text, 5)
		return err
	})
}

// BenchmarkForward geocodes the evaluation set's mix of queries (door
// plates with dropped, reordered and mistyped levels, POIs, communities).
func BenchmarkForward(b *testing.B) {
	ds, g := benchCity(b)
	set := buildEvalSet(ds, g, 2000)
	runQueries(b, func(i int) error {
		_, err := g.Forward(set[i%len(set)].text, 5)
		return err
	})
}

// BenchmarkForwardFullAddress geocodes standard full addresses only.
func BenchmarkForwardFullAddress(b *testing.B) {
	ds, g := benchCity(b)
	rng := rand.New(rand.NewPCG(1, 2))
	qs := make([]string, 2000)
	for i := range qs {
		qs[i] = ds.Addresses[rng.IntN(len(ds.Addresses))].FullAddress
	}
	runQueries(b, func(i int) error {
		_, err := g.Forward(qs[i%len(qs)], 5)
		return err
	})
}

// benchPoints draws random points over the bounding box of the city's unit
// grids; inside keeps only those a unit grid covers.
func benchPoints(ds *data.Dataset, g *Geocoder, n int, inside bool) []orb.Point {
	var bd orb.Bound
	for i, u := range ds.UnitGrids {
		if i == 0 {
			bd = u.Geometry.Bound()
		}
		bd = bd.Union(u.Geometry.Bound())
	}
	rng := rand.New(rand.NewPCG(3, 4))
	pts := make([]orb.Point, 0, n)
	for len(pts) < n {
		p := orb.Point{bd.Min[0] + rng.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + rng.Float64()*(bd.Max[1]-bd.Min[1])}
		if inside {
			if loc, err := g.ix.Locate(p); err != nil || !loc.Covered {
				continue
			}
		}
		pts = append(pts, p)
	}
	return pts
}

// BenchmarkReverse describes random points inside the city, where
// inspectors report from.
func BenchmarkReverse(b *testing.B) { benchReverse(b, true) }

// BenchmarkReverseAnywhere describes random points over the city's
// bounding box, a third of them outside the district.
func BenchmarkReverseAnywhere(b *testing.B) { benchReverse(b, false) }

func benchReverse(b *testing.B, inside bool) {
	ds, g := benchCity(b)
	pts := benchPoints(ds, g, 4096, inside)
	runQueries(b, func(i int) error {
		_, err := g.Reverse(pts[i%len(pts)])
		return err
	})
}

// BenchmarkSuggest completes name prefixes, door numbers, and pinyin in
// full, by initials and with fuzzy syllables.
func BenchmarkSuggest(b *testing.B) {
	ds, g := benchCity(b)
	qs := []string{"软件", "rjdd", "huashen", "雨花台", "丁墙", "软件大道1", "南京南", "yh", "宁丹路2", "梅山",
		"gongshangyinhang", "lanjinglanzhan", "nindanlu", "ruanjiangdadao", "zh", "x"}
	// And the first two to five characters of names, as typed.
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		p := &ds.POIs[rng.IntN(len(ds.POIs))]
		rs := []rune(strings.TrimPrefix(p.Name, "南京市"))
		qs = append(qs, string(rs[:min(len(rs), 2+rng.IntN(4))]))
	}
	runQueries(b, func(i int) error {
		_, err := g.Suggest(qs[i%len(qs)], 10)
		return err
	})
}

// BenchmarkBuild indexes the city.
func BenchmarkBuild(b *testing.B) {
	ds, _ := benchCity(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(ds); err != nil {
			b.Fatal(err)
		}
	}
}
