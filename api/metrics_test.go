package api

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics of h with the Prometheus text parser.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("status %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	return fams
}

// sample finds the sample of family name whose labels are labels.
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) == len(labels) {
			same := true
			for k, v := range labels {
				same = same && got[k] == v
			}
			if same {
				return m
			}
		}
	}
	return nil
}

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
	fams := scrape(t, h)
	counts := []struct {
		route, code string
		want        float64
	}{{"/api/v1/locate", "2xx", 2}, {"/api/v1/locate", "4xx", 2}, {"unmatched", "4xx", 2}}
	for _, c := range counts {
		l := map[string]string{"method": "GET", "route": c.route, "code": c.code}
		m := sample(fams, "citygrid_http_requests_total", l)
		if m == nil || m.GetCounter().GetValue() != c.want {
			t.Errorf("citygrid_http_requests_total%v = %v, want %v", l, m, c.want)
		}
		hm := sample(fams, "citygrid_http_request_duration_seconds", l)
		if hm == nil || float64(hm.GetHistogram().GetSampleCount()) != c.want {
			t.Errorf("citygrid_http_request_duration_seconds%v = %v, want %v observations", l, hm, c.want)
			continue
		}
		// Buckets are cumulative and end at the count.
		var last uint64
		for _, b := range hm.GetHistogram().GetBucket() {
			if b.GetCumulativeCount() < last {
				t.Errorf("bucket counts decrease at le=%v", b.GetUpperBound())
			}
			last = b.GetCumulativeCount()
		}
		// The parser keeps the +Inf bucket, which holds every observation.
		if last != hm.GetHistogram().GetSampleCount() || len(hm.GetHistogram().GetBucket()) != len(latencyBuckets)+1 {
			t.Errorf("buckets %v", hm.GetHistogram().GetBucket())
		}
	}
	if fams["citygrid_http_request_duration_seconds"].GetType() != dto.MetricType_HISTOGRAM {
		t.Errorf("the duration is a %v", fams["citygrid_http_request_duration_seconds"].GetType())
	}
	for _, f := range fams {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if strings.Contains(l.GetValue(), "/no/such/path") {
					t.Errorf("unmatched paths must not become label values")
				}
			}
		}
	}
}

// TestMetricsKeepTheirNamesAndAddTheRuntimeCollectors: every family the
// dashboards read keeps its name, type and labels, and the Go runtime and
// process collectors are there.
func TestMetricsKeepTheirNamesAndAddTheRuntimeCollectors(t *testing.T) {
	fams := scrape(t, newTestServer(t))
	want := map[string]struct {
		typ    dto.MetricType
		labels []string
	}{
		"citygrid_http_requests_total":           {dto.MetricType_COUNTER, []string{"code", "method", "route"}},
		"citygrid_http_request_duration_seconds": {dto.MetricType_HISTOGRAM, []string{"code", "method", "route"}},
		"citygrid_heap_alloc_bytes":              {dto.MetricType_GAUGE, nil},
		"citygrid_gc_cycles_total":               {dto.MetricType_COUNTER, nil},
		"citygrid_goroutines":                    {dto.MetricType_GAUGE, nil},
		"citygrid_uptime_seconds":                {dto.MetricType_GAUGE, nil},
		"citygrid_rate_limited_total":            {dto.MetricType_COUNTER, []string{"limit"}},
		"citygrid_auth_failures_total":           {dto.MetricType_COUNTER, []string{"reason"}},
		"citygrid_index_features":                {dto.MetricType_GAUGE, []string{"layer"}},
		"go_goroutines":                          {dto.MetricType_GAUGE, nil},
		"go_memstats_heap_alloc_bytes":           {dto.MetricType_GAUGE, nil},
		"process_resident_memory_bytes":          {dto.MetricType_GAUGE, nil},
		"process_cpu_seconds_total":              {dto.MetricType_COUNTER, nil},
	}
	// The scrape itself is the request the HTTP families have seen so far;
	// they appear once a request was served.
	for name, w := range want {
		if strings.HasPrefix(name, "citygrid_http_") {
			continue
		}
		f := fams[name]
		if f == nil {
			t.Errorf("%s is missing", name)
			continue
		}
		if f.GetType() != w.typ {
			t.Errorf("%s is a %v, want %v", name, f.GetType(), w.typ)
		}
		for _, m := range f.Metric {
			var ls []string
			for _, l := range m.Label {
				ls = append(ls, l.GetName())
			}
			if !slices.Equal(ls, w.labels) {
				t.Errorf("%s has labels %v, want %v", name, ls, w.labels)
			}
		}
	}
	if m := sample(fams, "citygrid_index_features", map[string]string{"layer": "components"}); m == nil || m.GetGauge().GetValue() != 5 {
		t.Errorf("index components: %v", m)
	}
	if m := sample(fams, "citygrid_rate_limited_total", map[string]string{"limit": "report"}); m == nil {
		t.Errorf("the report limit has no counter")
	}
}
