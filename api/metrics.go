package api

import (
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/spatial"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics counts requests and their latencies per route and status class
// and serves them at /metrics through the Prometheus client library, with
// the Go runtime and process collectors beside citygrid's own families.
// Each server has its own registry (tests build many servers in one
// process); the metric names and labels are those dashboards know.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// series caches the counter and histogram of each route key, so that
	// a request costs two atomic adds rather than two label lookups.
	series sync.Map // routeKey → *routeSeries
}

// routeKey identifies one series.
type routeKey struct {
	method, route string
	class         int // status / 100
}

type routeSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// latencyBuckets are the histogram upper bounds in seconds: the API's
// targets sit at 5 ms (p99 locate) and 200 ms (batches).
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10}

func newMetrics() *metrics {
	start := time.Now()
	m := &metrics{reg: prometheus.NewRegistry()}
	labels := []string{"method", "route", "code"}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "citygrid_http_requests_total",
		Help: "HTTP requests served, by method, route pattern and status class."}, labels)
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "citygrid_http_request_duration_seconds",
		Help: "Time to serve HTTP requests, by method, route pattern and status class.", Buckets: latencyBuckets}, labels)
	m.reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "citygrid_heap_alloc_bytes", Help: "Bytes of allocated heap objects."}, func() float64 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			return float64(ms.HeapAlloc)
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "citygrid_gc_cycles_total", Help: "Completed garbage collection cycles."}, func() float64 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			return float64(ms.NumGC)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "citygrid_goroutines", Help: "Goroutines that currently exist."}, func() float64 {
			return float64(runtime.NumGoroutine())
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "citygrid_uptime_seconds", Help: "Seconds since the HTTP handler was built."}, func() float64 {
			return time.Since(start).Seconds()
		}),
	)
	return m
}

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
		v, ok := m.series.Load(key)
		if !ok {
			code := strconv.Itoa(key.class) + "xx"
			v, _ = m.series.LoadOrStore(key, &routeSeries{
				count:    m.requests.WithLabelValues(method, route, code),
				duration: m.duration.WithLabelValues(method, route, code),
			})
		}
		s := v.(*routeSeries)
		s.count.Inc()
		s.duration.Observe(d.Seconds())
	})
}

// serve answers GET /metrics in the text format (or OpenMetrics, when the
// scraper asks for it).
func (m *metrics) serve() http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// funcFamily is a metric family whose samples a function reports at
// scrape time, each with one label value (or none, when label is "").
type funcFamily struct {
	desc    *prometheus.Desc
	typ     prometheus.ValueType
	collect func(emit func(labelValue string, v float64))
}

// Describe implements prometheus.Collector.
func (f *funcFamily) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }

// Collect implements prometheus.Collector.
func (f *funcFamily) Collect(ch chan<- prometheus.Metric) {
	f.collect(func(lv string, v float64) {
		var vals []string
		if lv != "" {
			vals = []string{lv}
		}
		ch <- prometheus.MustNewConstMetric(f.desc, f.typ, v, vals...)
	})
}

// addFamily registers a family of samples reported by collect, labelled by
// label (none when "").
func (m *metrics) addFamily(name, help, label string, typ prometheus.ValueType, collect func(emit func(labelValue string, v float64))) {
	var labels []string
	if label != "" {
		labels = []string{label}
	}
	m.reg.MustRegister(&funcFamily{desc: prometheus.NewDesc(name, help, labels, nil), typ: typ, collect: collect})
}

// registerSecurity exposes the security counters.
func (m *metrics) registerSecurity(s *auth.Counters, tokens *auth.StoreTokens) {
	m.addFamily("citygrid_rate_limited_total", "Requests refused with 429, by limit (ip, token, auth_failure, report).", "limit", prometheus.CounterValue, func(emit func(string, float64)) {
		s.Limited(func(limit string, n uint64) { emit(limit, float64(n)) })
	})
	m.addFamily("citygrid_auth_failures_total", "Failed authentications, by reason.", "reason", prometheus.CounterValue, func(emit func(string, float64)) {
		s.AuthFailures(func(reason string, n uint64) { emit(reason, float64(n)) })
	})
	if tokens != nil {
		m.addFamily("citygrid_token_cache_lookups_total", "Token authentications, by whether the token cache answered.", "result", prometheus.CounterValue, func(emit func(string, float64)) {
			h, mi := tokens.CacheStats()
			emit("hit", float64(h))
			emit("miss", float64(mi))
		})
	}
}

// registerIndexGauges exposes the sizes of the spatial index's layers.
func registerIndexGauges(m *metrics, ix *spatial.Index) {
	m.addFamily("citygrid_index_features", "Features in the in-memory spatial index, by layer.", "layer", prometheus.GaugeValue, func(emit func(string, float64)) {
		ix.View(func() {
			ds := ix.Dataset()
			emit("admin_units", float64(len(ds.AdminUnits)))
			emit("unit_grids", float64(len(ds.UnitGrids)))
			emit("management_grids", float64(len(ds.ManagementGrids)))
			emit("components", float64(len(ds.Components)))
			emit("roads", float64(len(ds.Roads)))
			emit("addresses", float64(len(ds.Addresses)))
			emit("pois", float64(len(ds.POIs)))
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
	m.addFamily("citygrid_calendar_missing_arrangements", "Years (current or starting within 60 days) without a loaded holiday arrangement.", "", prometheus.GaugeValue, func(emit func(string, float64)) {
		emit("", float64(len(wf.Service.ArrangementWarnings())))
	})
}

// registerFollowerMetrics exposes where a replica's follower is in the
// store's change log.
func registerFollowerMetrics(m *metrics, f *city.Follower) {
	m.addFamily("citygrid_replica_seq", "Seq of the newest store change this replica applied from the change log.", "", prometheus.GaugeValue, func(emit func(string, float64)) {
		emit("", float64(f.Seq()))
	})
	m.addFamily("citygrid_replica_lag_changes", "Committed store changes notified but not applied yet by this replica.", "", prometheus.GaugeValue, func(emit func(string, float64)) {
		emit("", float64(max(0, f.Newest()-f.Seq())))
	})
	m.addFamily("citygrid_replica_stale", "1 when the change log was pruned past this replica, which must be restarted.", "", prometheus.GaugeValue, func(emit func(string, float64)) {
		v := 0.0
		if f.Stale() {
			v = 1
		}
		emit("", v)
	})
	m.addFamily("citygrid_replica_changes_applied_total", "Store changes applied from the change log (committed through other replicas, or own ones already applied and skipped).", "", prometheus.CounterValue, func(emit func(string, float64)) {
		emit("", float64(f.Applied()))
	})
}
