package tiles_test

import (
	"context"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/demo"
	"citygrid/spatial"
	"citygrid/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// The benchmarks run over the demo city with the real spatial index.
// CITYGRID_BENCH_SCALE sets the demo scale (default 1, the full city).
var (
	benchOnce sync.Once
	benchTS   *tiles.Tileset
	benchDS   *data.Dataset
	benchErr  error
)

func benchCity(b *testing.B) (*tiles.Tileset, *data.Dataset) {
	benchOnce.Do(func() {
		scale := 1.0
		if s := os.Getenv("CITYGRID_BENCH_SCALE"); s != "" {
			scale, benchErr = strconv.ParseFloat(s, 64)
			if benchErr != nil {
				return
			}
		}
		benchDS, benchErr = demo.Generate(context.Background(), demo.Options{Seed: 1, Scale: scale})
		if benchErr != nil {
			return
		}
		var ix *spatial.Index
		ix, benchErr = spatial.Build(benchDS)
		if benchErr != nil {
			return
		}
		benchTS, benchErr = tiles.New(ix, tiles.Options{})
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchTS, benchDS
}

// densest is the tile of zoom z holding the most components.
func densest(ds *data.Dataset, z int) maptile.Tile {
	counts := map[maptile.Tile]int{}
	var best maptile.Tile
	for i := range ds.Components {
		t := maptile.At(ds.Components[i].Geometry.Bound().Center(), maptile.Zoom(z))
		counts[t]++
		if counts[t] > counts[best] {
			best = t
		}
	}
	return best
}

func benchTile(b *testing.B, z int) {
	ts, ds := benchCity(b)
	t := densest(ds, z)
	ctx := context.Background()
	first, err := ts.Tile(ctx, z, int(t.X), int(t.Y))
	if err != nil || first == nil {
		b.Fatalf("tile %v: %v", t, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	times := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := ts.Tile(ctx, z, int(t.X), int(t.Y)); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(len(first)), "bytes-gz")
}

// BenchmarkDensestZ16Tile encodes the z16 tile with the most components
// (target: under 5 ms median).
func BenchmarkDensestZ16Tile(b *testing.B) { benchTile(b, 16) }

// BenchmarkDensestZ14Tile encodes the z14 tile with the most components,
// the zoom with the largest tiles.
func BenchmarkDensestZ14Tile(b *testing.B) { benchTile(b, 14) }

// BenchmarkDensestZ17Tile encodes the z17 tile with the most components.
func BenchmarkDensestZ17Tile(b *testing.B) { benchTile(b, 17) }

// TestCategoryZoomsOfTheDemoCity logs the minimum zoom chosen for each
// category of a small demo city and checks no tile of it passes 500 KB.
func TestCategoryZoomsOfTheDemoCity(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a demo city")
	}
	ds, err := demo.Generate(context.Background(), demo.Options{Seed: 1, Scale: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tiles.New(ix, tiles.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ds.Categories {
		if c.Kind == data.KindComponent {
			t.Logf("%s %-8s %s z%d", c.Code, c.Geometry, c.Name, ts.CategoryMinZoom(c.Code))
		}
	}
	largest := 0
	for z := 10; z <= 17; z++ {
		for _, a := range ts.CoveringTiles(z) {
			b, err := ts.Tile(context.Background(), a.Z, a.X, a.Y)
			if err != nil {
				t.Fatal(err)
			}
			largest = max(largest, len(b))
		}
	}
	if largest > 500<<10 {
		t.Errorf("largest tile %d bytes, over 500 KB", largest)
	}
	t.Logf("largest tile %d bytes", largest)
	_ = orb.Point{}
}
