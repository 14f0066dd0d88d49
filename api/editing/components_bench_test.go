package editing_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citygrid/api"
	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/internal/routertest"
	"citygrid/data"
	"citygrid/data/demo"
	"citygrid/data/gpkg"
	"citygrid/spatial"
)

// BenchmarkHTTPEditsWithStore: 32 surveyors PATCH distinct point components
// of the demo city through the real handlers as fast as they can: each
// edit is a store transaction with its history row, then the live index
// and tile invalidation (live.Apply), then the answer. Reports edits/s and
// latency percentiles. Scale from CITYGRID_BENCH_SCALE (default 1).
//
//	go test ./api -run XXX -bench HTTPEditsWithStore -benchtime 5000x
func BenchmarkHTTPEditsWithStore(b *testing.B) {
	scale := 1.0
	if s := os.Getenv("CITYGRID_BENCH_SCALE"); s != "" {
		scale, _ = strconv.ParseFloat(s, 64)
	}
	ctx := context.Background()
	ds, err := demo.Generate(ctx, demo.Options{Seed: 1, Scale: scale})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	st, err := gpkg.Open(ctx, filepath.Join(dir, "citygrid.gpkg"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Insert(ctx, ds); err != nil {
		b.Fatal(err)
	}
	ix, err := spatial.Build(ds)
	if err != nil {
		b.Fatal(err)
	}
	h, err := routertest.Server(b, city.Config{Store: st, Index: ix, Dir: dir}, api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: auth.StaticTokens{"sur": {User: "bench", Role: data.RoleSurveyor}}})
	if err != nil {
		b.Fatal(err)
	}
	const editors = 32
	var pts []data.Component
	for _, c := range ds.Components {
		if _, ok := c.Geometry.(orb.Point); ok {
			pts = append(pts, c)
		}
		if len(pts) == 4096 {
			break
		}
	}
	lat := make([]time.Duration, b.N)
	var failed sync.Once
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for e := 0; e < editors; e++ {
		wg.Add(1)
		go func(e int) {
			defer wg.Done()
			for i := e; i < b.N; i += editors {
				c := &pts[(i/editors*editors+e)%len(pts)]
				p := c.Geometry.(orb.Point)
				p[0] += 1e-7
				body := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%.9f,%.9f]}}`, p[0], p[1])
				req := httptest.NewRequest("PATCH", "/api/v1/components/"+c.Code, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer sur")
				req.Header.Set("If-Match", data.ETag(c.Code, c.Version))
				rec := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(rec, req)
				lat[i] = time.Since(t0)
				if rec.Code != 200 {
					failed.Do(func() { b.Errorf("edit %d: %d %s", i, rec.Code, rec.Body) })
					return
				}
				c.Geometry, c.Version = p, c.Version+1
			}
		}(e)
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/el.Seconds(), "edits/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkHTTPChangeset50k uploads a 50,000-feature survey batch (25k
// modifications, 25k additions) as GeoJSON with apply=true through the
// handlers: parse, store, plan, one transaction, live index and tiles.
// Scale from CITYGRID_BENCH_SCALE (default 1).
//
//	go test ./api -run XXX -bench HTTPChangeset50k -benchtime 1x
func BenchmarkHTTPChangeset50k(b *testing.B) {
	scale := 1.0
	if s := os.Getenv("CITYGRID_BENCH_SCALE"); s != "" {
		scale, _ = strconv.ParseFloat(s, 64)
	}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ds, err := demo.Generate(ctx, demo.Options{Seed: 1, Scale: scale})
		if err != nil {
			b.Fatal(err)
		}
		dir := b.TempDir()
		st, err := gpkg.Open(ctx, filepath.Join(dir, "citygrid.gpkg"))
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Insert(ctx, ds); err != nil {
			b.Fatal(err)
		}
		ix, err := spatial.Build(ds)
		if err != nil {
			b.Fatal(err)
		}
		h, err := routertest.Server(b, city.Config{Store: st, Index: ix, Dir: dir}, api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: auth.StaticTokens{"sur": {User: "bench", Role: data.RoleSurveyor}}})
		if err != nil {
			b.Fatal(err)
		}
		var body strings.Builder
		body.WriteString(`{"type":"FeatureCollection","features":[`)
		n := 0
		for _, c := range ds.Components {
			p, ok := c.Geometry.(orb.Point)
			if !ok {
				continue
			}
			if n > 0 {
				body.WriteByte(',')
			}
			fmt.Fprintf(&body, `{"type":"Feature","geometry":null,"properties":{"code":%q,"status":"damaged","version":%d}},`, c.Code, c.Version)
			fmt.Fprintf(&body, `{"type":"Feature","geometry":{"type":"Point","coordinates":[%.7f,%.7f]},"properties":{"_op":"add","code":%q,"category":%q,"name":"普查新增","department":%q,"status":"intact"}}`,
				p[0]+1e-6, p[1], data.ComponentCode(c.Code[:6], c.Category, 900000+n), c.Category, c.Department)
			n += 2
			if n >= 50000 {
				break
			}
		}
		body.WriteString(`]}`)
		req := httptest.NewRequest("POST", "/api/v1/changesets?apply=true", strings.NewReader(body.String()))
		req.Header.Set("Authorization", "Bearer sur")
		req.Header.Set("Content-Type", "application/geo+json")
		rec := httptest.NewRecorder()
		b.StartTimer()
		h.ServeHTTP(rec, req)
		b.StopTimer()
		if rec.Code != 201 {
			b.Fatalf("%d %.500s", rec.Code, rec.Body)
		}
		b.ReportMetric(float64(body.Len())/1e6, "MB")
		st.Close()
	}
}
