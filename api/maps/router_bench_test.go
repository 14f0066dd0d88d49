package maps_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"citygrid/api"
	"citygrid/api/city"
	"citygrid/api/internal/routertest"
	"citygrid/api/internal/testcity"
	"citygrid/spatial"
)

// BenchmarkServeCachedTile measures the handler path of a tile already in
// the in-memory cache (the steady state of a baked or warmed server),
// through the full router and middleware.
func BenchmarkServeCachedTile(b *testing.B) {
	ix, err := spatial.Build(testcity.New())
	if err != nil {
		b.Fatal(err)
	}
	h, err := routertest.Server(b, city.Config{Index: ix}, api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	url := testcity.CityTile()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("status %d", rec.Code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			w := &tileSink{h: http.Header{}}
			h.ServeHTTP(w, req)
			if w.code != 200 {
				b.Fatalf("status %d", w.code)
			}
		}
	})
}

type tileSink struct {
	h    http.Header
	code int
}

func (d *tileSink) Header() http.Header { return d.h }
func (d *tileSink) Write(p []byte) (int, error) {
	if d.code == 0 {
		d.code = 200
	}
	return len(p), nil
}
func (d *tileSink) WriteHeader(c int) { d.code = c }
