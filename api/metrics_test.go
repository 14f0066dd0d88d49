package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMetricsCountRequestsByRouteAndClass(t *testing.T) {
	h := newTestServer(t) // a fresh server: counters start at zero
	for _, target := range []string{
		"/api/v1/locate?lon=118.705&lat=31.91",
		"/api/v1/locate?lon=118.706&lat=31.91",
		"/api/v1/locate?lon=118.80&lat=31.91", // outside: 404
		"/api/v1/locate?lat=31.91",            // 400
		"/no/such/path",
		"/another/missing/path",
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("status %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	body := rec.Body.String()
	for _, want := range []string{
		`citygrid_http_requests_total{method="GET",route="/api/v1/locate",code="2xx"} 2`,
		`citygrid_http_requests_total{method="GET",route="/api/v1/locate",code="4xx"} 2`,
		`citygrid_http_requests_total{method="GET",route="unmatched",code="4xx"} 2`,
		`citygrid_http_request_duration_seconds_bucket{method="GET",route="/api/v1/locate",code="2xx",le="+Inf"} 2`,
		`citygrid_http_request_duration_seconds_count{method="GET",route="/api/v1/locate",code="2xx"} 2`,
		"# TYPE citygrid_http_request_duration_seconds histogram",
		"citygrid_heap_alloc_bytes ",
	} {
		if !strings.Contains(body, want+"\n") && !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, "/no/such/path") {
		t.Errorf("unmatched paths must not become label values")
	}
	// Buckets are cumulative: each le line is at least the one before.
	var last int
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, `citygrid_http_request_duration_seconds_bucket{method="GET",route="/api/v1/locate",code="2xx"`) {
			continue
		}
		var n int
		if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &n); err != nil {
			t.Fatal(err)
		}
		if n < last {
			t.Errorf("bucket counts decrease: %s after %d", line, last)
		}
		last = n
	}
}
