package api

import (
	"bufio"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
)

// metrics counts requests and their latencies per route and status class
// and serves them at /metrics in the Prometheus text exposition format
// (version 0.0.4), without a client library: a few atomic counters per
// route are all a scrape needs.
type metrics struct {
	start  time.Time
	routes sync.Map // routeKey → *routeStats
}

// routeKey identifies one series family member.
type routeKey struct {
	method, route string
	class         int // status / 100
}

// latencyBuckets are the histogram upper bounds in seconds: the API's
// targets sit at 5 ms (p99 locate) and 200 ms (batches).
var latencyBuckets = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10}

// routeStats are the counters of one routeKey.
type routeStats struct {
	count   atomic.Uint64
	sumNano atomic.Uint64
	buckets [len(latencyBuckets)]atomic.Uint64
}

func newMetrics() *metrics { return &metrics{start: time.Now()} }

// middleware records every request once it is served. Requests that match
// no route are counted under the route "unmatched", so that scanning for
// random paths cannot grow the series without bound.
func (m *metrics) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		ww := wrapWriter(w, r)
		next.ServeHTTP(ww, r)
		d := time.Since(t0)
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		route := ""
		if rc := chi.RouteContext(r.Context()); rc != nil {
			route = rc.RoutePattern()
		}
		if route == "" {
			route = "unmatched"
		}
		method := r.Method
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		default:
			method = "other"
		}
		key := routeKey{method, route, status / 100}
		v, ok := m.routes.Load(key)
		if !ok {
			v, _ = m.routes.LoadOrStore(key, new(routeStats))
		}
		st := v.(*routeStats)
		st.count.Add(1)
		st.sumNano.Add(uint64(d))
		secs := d.Seconds()
		for i, le := range latencyBuckets {
			if secs <= le {
				st.buckets[i].Add(1)
				break
			}
		}
	})
}

// serve answers GET /metrics.
func (m *metrics) serve(w http.ResponseWriter, r *http.Request) {
	type series struct {
		key routeKey
		st  *routeStats
	}
	var all []series
	m.routes.Range(func(k, v any) bool {
		all = append(all, series{k.(routeKey), v.(*routeStats)})
		return true
	})
	slices.SortFunc(all, func(a, b series) int {
		if a.key.route != b.key.route {
			return compareStrings(a.key.route, b.key.route)
		}
		if a.key.method != b.key.method {
			return compareStrings(a.key.method, b.key.method)
		}
		return a.key.class - b.key.class
	})
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# HELP citygrid_http_requests_total HTTP requests served, by method, route pattern and status class.")
	fmt.Fprintln(bw, "# TYPE citygrid_http_requests_total counter")
	for _, s := range all {
		fmt.Fprintf(bw, "citygrid_http_requests_total{%s} %d\n", labels(s.key), s.st.count.Load())
	}
	fmt.Fprintln(bw, "# HELP citygrid_http_request_duration_seconds Time to serve HTTP requests, by method, route pattern and status class.")
	fmt.Fprintln(bw, "# TYPE citygrid_http_request_duration_seconds histogram")
	for _, s := range all {
		l := labels(s.key)
		var cum uint64
		for i, le := range latencyBuckets {
			cum += s.st.buckets[i].Load()
			fmt.Fprintf(bw, "citygrid_http_request_duration_seconds_bucket{%s,le=\"%s\"} %d\n", l, strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		n := s.st.count.Load()
		fmt.Fprintf(bw, "citygrid_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", l, n)
		fmt.Fprintf(bw, "citygrid_http_request_duration_seconds_sum{%s} %g\n", l, float64(s.st.sumNano.Load())/1e9)
		fmt.Fprintf(bw, "citygrid_http_request_duration_seconds_count{%s} %d\n", l, n)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintln(bw, "# HELP citygrid_heap_alloc_bytes Bytes of allocated heap objects.")
	fmt.Fprintln(bw, "# TYPE citygrid_heap_alloc_bytes gauge")
	fmt.Fprintf(bw, "citygrid_heap_alloc_bytes %d\n", ms.HeapAlloc)
	fmt.Fprintln(bw, "# HELP citygrid_gc_cycles_total Completed garbage collection cycles.")
	fmt.Fprintln(bw, "# TYPE citygrid_gc_cycles_total counter")
	fmt.Fprintf(bw, "citygrid_gc_cycles_total %d\n", ms.NumGC)
	fmt.Fprintln(bw, "# HELP citygrid_goroutines Goroutines that currently exist.")
	fmt.Fprintln(bw, "# TYPE citygrid_goroutines gauge")
	fmt.Fprintf(bw, "citygrid_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintln(bw, "# HELP citygrid_uptime_seconds Seconds since the HTTP handler was built.")
	fmt.Fprintln(bw, "# TYPE citygrid_uptime_seconds gauge")
	fmt.Fprintf(bw, "citygrid_uptime_seconds %g\n", time.Since(m.start).Seconds())
	_ = bw.Flush()
}

// labels writes the label set of a series; route patterns and methods are
// escaped as the exposition format requires.
func labels(k routeKey) string {
	return fmt.Sprintf(`method=%s,route=%s,code="%dxx"`, strconv.Quote(k.method), strconv.Quote(k.route), k.class)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
