package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckLoopbackRefusesEveryOtherAddress(t *testing.T) {
	tests := []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1", true}, {"127.8.9.10", true}, {"::1", true}, {"localhost", true},
		{"10.0.0.1", false}, {"192.168.1.1", false}, {"8.8.8.8", false}, {"example.com", false}, {"", false},
	}
	for _, tt := range tests {
		if err := checkLoopback(tt.host); (err == nil) != tt.ok {
			t.Errorf("%q: err %v, want allowed=%v", tt.host, err, tt.ok)
		}
	}
	if err := run([]string{"-url", "http://10.1.2.3:8080", "-d", "1s"}, new(bytes.Buffer)); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("run against a private address: %v", err)
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0.001, time.Millisecond}} {
		if got := pct(d, tt.q); got != tt.want {
			t.Errorf("pct(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if pct(nil, 0.5) != 0 {
		t.Error("pct of nothing should be 0")
	}
}

func TestLonLatToTile(t *testing.T) {
	// 南京 (118.78, 31.99) at z14: x = (118.78+180)/360·2^14 = 13597.81,
	// y = (1 − asinh(tan 31.99°)/π)/2·2^14 = 6653.97.
	if x, y := lonLatToTile(118.78, 31.99, 14); x != 13597 || y != 6653 {
		t.Errorf("tile %d/%d, want 13597/6653", x, y)
	}
}

func TestRunCountsStatusesAndFailsOnErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/locate" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{}`)
	}))
	defer srv.Close()
	var out bytes.Buffer
	if err := run([]string{"-url", srv.URL, "-c", "2", "-d", "200ms", "-n", "50", "-bbox", "118.7,31.9,118.8,32.0"}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "requests=50 ") || !strings.Contains(out.String(), "errors=0") {
		t.Errorf("report: %s", out.String())
	}

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer failing.Close()
	out.Reset()
	if err := run([]string{"-url", failing.URL, "-c", "1", "-d", "100ms", "-n", "5", "-bbox", "118.7,31.9,118.8,32.0"}, &out); err == nil {
		t.Errorf("run against a failing server succeeded: %s", out.String())
	}
}

func TestRunAsksForGzipAndCountsWireBytes(t *testing.T) {
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	fmt.Fprint(zw, strings.Repeat(`{"unit_grid":{"code":"320114001001001"}}`, 50))
	zw.Close()
	var wrong atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/locate" && r.Header.Get("Accept-Encoding") != "gzip" {
			wrong.Add(1)
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(body.Bytes())
	}))
	defer srv.Close()
	var out bytes.Buffer
	if err := run([]string{"-url", srv.URL, "-c", "2", "-d", "2s", "-n", "20", "-bbox", "118.7,31.9,118.8,32.0"}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if wrong.Load() != 0 {
		t.Errorf("%d requests did not say Accept-Encoding: gzip", wrong.Load())
	}
	// The compressed size, not the 2,000-byte decompressed body: the
	// transport must not decompress.
	want := fmt.Sprintf("gzip=20 bytes/req=%d", body.Len())
	if !strings.Contains(out.String(), want) {
		t.Errorf("report %q lacks %q", out.String(), want)
	}
}
