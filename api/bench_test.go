package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
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
