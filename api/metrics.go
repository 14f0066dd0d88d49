package api

import (
	"bufio"
	"citygrid/api/auth"
	"citygrid/api/city"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"citygrid/spatial"

	"github.com/go-chi/chi/v5"
)

// metrics counts requests and their latencies per route and status class
// and serves them at /metrics in the Prometheus text exposition format
// (version 0.0.4), without a client library: a few atomic counters per
// route are all a scrape needs.
type metrics struct {
	start  time.Time
	routes sync.Map // routeKey → *routeStats

	mu       sync.Mutex
	families []family
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
	m.writeFamilies(bw)
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

// family is one extra metric family: a name, help text, type and a
// function that reports its samples (labels in exposition syntax without
// braces, "" for none).
type family struct {
	name, help, typ string
	collect         func(emit func(labels string, v float64))
}

// addFamily registers an extra metric family served after the built-in
// ones. Services expose their gauges through it from New, e.g.
//
//	m.addGauge("citygrid_case_queue_length", "Open cases per queue.", func(emit func(string, float64)) { ... })
func (m *metrics) addFamily(name, help, typ string, collect func(emit func(labels string, v float64))) {
	m.mu.Lock()
	m.families = append(m.families, family{name, help, typ, collect})
	m.mu.Unlock()
}

// addGauge registers a gauge family.
func (m *metrics) addGauge(name, help string, collect func(emit func(labels string, v float64))) {
	m.addFamily(name, help, "gauge", collect)
}

// addCounter registers a counter family.
func (m *metrics) addCounter(name, help string, collect func(emit func(labels string, v float64))) {
	m.addFamily(name, help, "counter", collect)
}

// writeFamilies writes the registered extra families.
func (m *metrics) writeFamilies(bw *bufio.Writer) {
	m.mu.Lock()
	fams := slices.Clone(m.families)
	m.mu.Unlock()
	for _, f := range fams {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, f.typ)
		f.collect(func(labels string, v float64) {
			if labels != "" {
				fmt.Fprintf(bw, "%s{%s} %s\n", f.name, labels, strconv.FormatFloat(v, 'g', -1, 64))
			} else {
				fmt.Fprintf(bw, "%s %s\n", f.name, strconv.FormatFloat(v, 'g', -1, 64))
			}
		})
	}
}

// registerSecurity exposes the security counters.
func (m *metrics) registerSecurity(s *auth.Counters, tokens *auth.StoreTokens) {
	m.addCounter("citygrid_rate_limited_total", "Requests refused with 429, by limit (ip, token, auth_failure).", func(emit func(string, float64)) {
		s.Limited(func(limit string, n uint64) { emit(`limit="`+limit+`"`, float64(n)) })
	})
	m.addCounter("citygrid_auth_failures_total", "Failed authentications, by reason.", func(emit func(string, float64)) {
		s.AuthFailures(func(reason string, n uint64) { emit(`reason="`+reason+`"`, float64(n)) })
	})
	if tokens != nil {
		m.addCounter("citygrid_token_cache_lookups_total", "Token authentications, by whether the token cache answered.", func(emit func(string, float64)) {
			h, mi := tokens.CacheStats()
			emit(`result="hit"`, float64(h))
			emit(`result="miss"`, float64(mi))
		})
	}
}

// registerIndexGauges exposes the sizes of the spatial index's layers.
func registerIndexGauges(m *metrics, ix *spatial.Index) {
	m.addGauge("citygrid_index_features", "Features in the in-memory spatial index, by layer.", func(emit func(string, float64)) {
		ix.View(func() {
			ds := ix.Dataset()
			emit(`layer="admin_units"`, float64(len(ds.AdminUnits)))
			emit(`layer="unit_grids"`, float64(len(ds.UnitGrids)))
			emit(`layer="management_grids"`, float64(len(ds.ManagementGrids)))
			emit(`layer="components"`, float64(len(ds.Components)))
			emit(`layer="roads"`, float64(len(ds.Roads)))
			emit(`layer="addresses"`, float64(len(ds.Addresses)))
			emit(`layer="pois"`, float64(len(ds.POIs)))
		})
	})
}

// registerCalendarGauge exposes how many years admins must load a holiday
// arrangement for (the current one, and the next from 60 days before it),
// so an alert can fire before deadlines turn provisional.
func registerCalendarGauge(m *metrics, wf *city.Workflow) {
	if wf == nil {
		return
	}
	m.addGauge("citygrid_calendar_missing_arrangements", "Years (current or starting within 60 days) without a loaded holiday arrangement.", func(emit func(string, float64)) {
		emit("", float64(len(wf.Service.ArrangementWarnings())))
	})
}

// registerFollowerMetrics exposes where a replica's follower is in the
// store's change log.
func registerFollowerMetrics(m *metrics, f *city.Follower) {
	m.addGauge("citygrid_replica_seq", "Seq of the newest store change this replica applied from the change log.", func(emit func(string, float64)) {
		emit("", float64(f.Seq()))
	})
	m.addGauge("citygrid_replica_lag_changes", "Committed store changes notified but not applied yet by this replica.", func(emit func(string, float64)) {
		emit("", float64(max(0, f.Newest()-f.Seq())))
	})
	m.addGauge("citygrid_replica_stale", "1 when the change log was pruned past this replica, which must be restarted.", func(emit func(string, float64)) {
		v := 0.0
		if f.Stale() {
			v = 1
		}
		emit("", v)
	})
	m.addCounter("citygrid_replica_changes_applied_total", "Store changes applied from the change log (committed through other replicas, or own ones already applied and skipped).", func(emit func(string, float64)) {
		emit("", float64(f.Applied()))
	})
}
