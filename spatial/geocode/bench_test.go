package geocode

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

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

// BenchmarkForward geocodes the evaluation set's mix of queries (door
// plates with dropped, reordered and mistyped levels, POIs, communities).
func BenchmarkForward(b *testing.B) {
	ds, g := benchCity(b)
	set := buildEvalSet(ds, g, 2000)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		if _, err := g.Forward(set[i%len(set)].text, 5); err != nil {
			b.Fatal(err)
		}
	}
	reportQPS(b, cpu0)
}

// BenchmarkForwardFullAddress geocodes standard full addresses only.
func BenchmarkForwardFullAddress(b *testing.B) {
	ds, g := benchCity(b)
	rng := rand.New(rand.NewPCG(1, 2))
	qs := make([]string, 2000)
	for i := range qs {
		qs[i] = ds.Addresses[rng.IntN(len(ds.Addresses))].FullAddress
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		if _, err := g.Forward(qs[i%len(qs)], 5); err != nil {
			b.Fatal(err)
		}
	}
	reportQPS(b, cpu0)
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
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		if _, err := g.Reverse(pts[i%len(pts)]); err != nil {
			b.Fatal(err)
		}
	}
	reportQPS(b, cpu0)
}

// BenchmarkSuggest completes name prefixes, pinyin initials and door
// numbers.
func BenchmarkSuggest(b *testing.B) {
	_, g := benchCity(b)
	qs := []string{"软件", "rjdd", "huashen", "雨花台", "丁墙", "软件大道1", "南京南", "yh", "宁丹路2", "梅山"}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		if _, err := g.Suggest(qs[i%len(qs)], 10); err != nil {
			b.Fatal(err)
		}
	}
	reportQPS(b, cpu0)
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
