package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"citygrid/api/city"
	"citygrid/data/demo"
	"citygrid/spatial"
)

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the router, middleware and handler rather than a recorder.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// BenchmarkServeLocate measures one locate request through the whole
// handler stack (request id, panic recovery, body limit, timeout, routing,
// parsing, lookup, JSON encoding), without the network.
func BenchmarkServeLocate(b *testing.B) {
	h := newTestServer(b)
	req := httptest.NewRequest("GET", "/api/v1/locate?lon=118.705&lat=31.91", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

// BenchmarkLocateBatch measures a 100,000-point batch request end to end
// in process (parse, locate on all cores, encode) over the test city.
func BenchmarkLocateBatch(b *testing.B) {
	h := newTestServer(b)
	body := batchBody(100_000)
	w := &discardWriter{h: http.Header{}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, httptest.NewRequest("POST", "/api/v1/locate/batch", bytesReader(body)))
	}
}

func batchBody(n int) []byte {
	b := []byte(`{"crs":"wgs84","points":[`)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendFloat(b, 118.695+float64(i%997)*0.00005, 'f', 7, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, 31.895+float64(i%991)*0.00003, 'f', 7, 64)
		b = append(b, ']')
	}
	return append(b, "]}"...)
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// demoServer serves the full demo city (scale 1), built once per process.
var demoServer = sync.OnceValues(func() (http.Handler, error) {
	ds, err := demo.Generate(context.Background(), demo.Options{Seed: 1, Scale: 1})
	if err != nil {
		return nil, err
	}
	ix, err := spatial.Build(ds)
	if err != nil {
		return nil, err
	}
	return newServer(nil, city.Config{Index: ix}, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
})

// demoBatchBody is a 100,000-point batch over the middle of the demo city,
// where every point lies in a unit grid (points outside the district take
// the costlier nearest-grid path; test/load and locate.lua include those).
func demoBatchBody() []byte {
	rng := rand.New(rand.NewPCG(1, 1))
	b := []byte(`{"crs":"wgs84","points":[`)
	for i := range 100_000 {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendFloat(b, 118.76+rng.Float64()*0.04, 'f', 7, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, 31.97+rng.Float64()*0.03, 'f', 7, 64)
		b = append(b, ']')
	}
	return append(b, "]}"...)
}

// BenchmarkLocateBatchDemoCity measures a 100,000-point batch over the full
// demo city (scale 1) through the handler: parse, locate on all cores,
// encode. Target: under 200 ms.
func BenchmarkLocateBatchDemoCity(b *testing.B) {
	h, err := demoServer()
	if err != nil {
		b.Fatal(err)
	}
	body := demoBatchBody()
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, httptest.NewRequest("POST", "/api/v1/locate/batch", bytesReader(body)))
	}
}

// BenchmarkServeLocateDemoCity measures one locate request through the
// whole handler stack over the full demo city, at random points.
func BenchmarkServeLocateDemoCity(b *testing.B) {
	h, err := demoServer()
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	reqs := make([]*http.Request, 4096)
	for i := range reqs {
		reqs[i] = httptest.NewRequest("GET", fmt.Sprintf("/api/v1/locate?lon=%.7f&lat=%.7f",
			118.688+rng.Float64()*0.182, 31.942+rng.Float64()*0.097), nil)
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, reqs[i%len(reqs)])
		i++
	}
}
