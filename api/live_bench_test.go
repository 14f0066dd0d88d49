package api

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"citygrid/api/city"
	"citygrid/api/maps"
	"citygrid/data"
	"citygrid/data/demo"
	"citygrid/spatial"
	"citygrid/tiles"
	"citygrid/tiles/mbtiles"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// BenchmarkLiveEditsSustained drives b.N single component edits at
// CITYGRID_EDIT_RATE a second (default 1,000) from 64 concurrent editors
// through the live updater of a server over the demo city
// (CITYGRID_BENCH_SCALE, default 1) that serves a baked z10–z17 MBTiles
// file. After each edit the editor fetches the z17 tile at the component's
// new place through the HTTP handler and checks (every tenth edit, by
// decoding it) that the component is drawn there: read-your-writes. It
// reports the rate reached, Apply latency, the largest backlog of baked
// tiles waiting to be rewritten, how long the rewriter needs after the last
// edit until the file is current, and the tiles it rewrote a second.
//
//	go test ./api -run XXX -bench LiveEditsSustained -benchtime=10000x
func BenchmarkLiveEditsSustained(b *testing.B) {
	scale := 1.0
	if s := os.Getenv("CITYGRID_BENCH_SCALE"); s != "" {
		scale, _ = strconv.ParseFloat(s, 64)
	}
	rate := 1000.0
	if s := os.Getenv("CITYGRID_EDIT_RATE"); s != "" {
		rate, _ = strconv.ParseFloat(s, 64)
	}
	ds, err := demo.Generate(context.Background(), demo.Options{Seed: 1, Scale: scale})
	if err != nil {
		b.Fatal(err)
	}
	ix, err := spatial.Build(ds)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	ts, err := tiles.New(ix, tiles.Options{Attribution: "citygrid"})
	if err != nil {
		b.Fatal(err)
	}
	w, err := mbtiles.Create(context.Background(), filepath.Join(dir, city.MBTilesFile))
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	if _, err := ts.Bake(context.Background(), w, tiles.BakeOptions{MinZoom: 10, MaxZoom: 17}); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Logf("baked z10–z17 in %v", time.Since(t0).Round(time.Millisecond))
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cy, err := city.Open(context.Background(), city.Config{Index: ix, Dir: dir, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	defer cy.Close(context.Background())
	r := chi.NewRouter()
	maps.Mount(r, cy, logger)
	live := cy.Live

	const editors = 64
	var mu sync.Mutex
	var lat []time.Duration
	var failures []string
	maxDirty := 0
	interval := time.Duration(float64(time.Second) / rate)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for e := 0; e < editors; e++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(e), 7))
			for i := e; i < b.N; i += editors {
				if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
					time.Sleep(d)
				}
				var c data.Component
				var p orb.Point
				for {
					// Each editor edits its own share of the components
					// (updates keep their places in the dataset), so no
					// other editor moves one between its edit and check.
					ix.View(func() { c = ds.Components[(rng.IntN(len(ds.Components)/editors))*editors+e] })
					var ok bool
					if p, ok = c.Geometry.(orb.Point); ok {
						break
					}
				}
				after := c
				after.Geometry = orb.Point{p[0] + (rng.Float64()-0.5)*2e-4, p[1] + (rng.Float64()-0.5)*2e-4}
				after.Version++
				t := time.Now()
				live.Apply([]data.Change{{Layer: "components", Op: data.OpUpdate, Code: c.Code, Version: after.Version, BeforeComponent: &c, AfterComponent: &after}})
				d := time.Since(t)
				tl := maptile.At(after.Geometry.(orb.Point), 17)
				req := httptest.NewRequest(http.MethodGet, "/tiles/city/17/"+strconv.Itoa(int(tl.X))+"/"+strconv.Itoa(int(tl.Y))+".mvt", nil)
				req.Header.Set("Accept-Encoding", "gzip")
				rec := httptest.NewRecorder()
				r.ServeHTTP(rec, req)
				fail := ""
				if rec.Code != http.StatusOK {
					fail = "tile status " + strconv.Itoa(rec.Code)
				} else if i%10 == 0 && !tileHasCode(rec.Body.Bytes(), c.Code) {
					fail = "component " + c.Code + " not in its z17 tile right after the edit (from " + rec.Header().Get("X-Tile-Source") + ")"
				}
				dirty := cy.Tiles.Provider().Dirty()
				mu.Lock()
				lat = append(lat, d)
				maxDirty = max(maxDirty, dirty)
				if fail != "" {
					failures = append(failures, fail)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	endEdits := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p := cy.Tiles.Provider()
	if err := p.WaitRewritten(ctx); err != nil {
		b.Fatal(err)
	}
	drain := time.Since(endEdits)
	b.StopTimer()
	if len(failures) > 0 {
		b.Fatalf("%d failures, first: %s", len(failures), failures[0])
	}
	slices.Sort(lat)
	st := p.RewriteStats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "edits/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "apply-p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "apply-p99-µs")
	b.ReportMetric(float64(maxDirty), "max-dirty-tiles")
	b.ReportMetric(drain.Seconds(), "drain-s")
	b.ReportMetric(float64(st.Written)/(elapsed+drain).Seconds(), "rewritten-tiles/s")
	if st.Err != "" {
		b.Errorf("rewriter: %s", st.Err)
	}
}

func tileHasCode(gz []byte, code string) bool {
	ls, err := mvt.UnmarshalGzipped(gz)
	if err != nil {
		return false
	}
	for _, l := range ls {
		if l.Name != data.LayerComponents {
			continue
		}
		for _, f := range l.Features {
			if f.Properties["code"] == code {
				return true
			}
		}
	}
	return false
}
