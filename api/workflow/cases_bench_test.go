package workflow_test

import (
	"citygrid/api/internal/routertest"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkCaseTransitionsHTTP: suspend/resume through the whole server
// (authentication, routing, service, SQLite store, the case board's
// listener updating statistics and the case tile layer), 4 concurrent
// dispatchers on disjoint cases.
//
//	go test ./api/ -run '^$' -bench CaseTransitionsHTTP -benchtime 5s
func BenchmarkCaseTransitionsHTTP(b *testing.B) {
	h, _ := routertest.CaseServer(b)
	const n = 128
	ids := make([]int, n)
	for i := range ids {
		// 60 m apart: no duplicates.
		body := fmt.Sprintf(`{"kind":"event","category":"0101","lon":%f,"lat":%f}`, 118.7605+float64(i%32)*0.0006, 31.9905+float64(i/32)*0.0006)
		rec := callTB(b, h, "POST", "/api/v1/cases", "ins", body)
		if rec.Code != 201 {
			b.Fatal(rec.Body.String())
		}
		var id int
		fmt.Sscanf(rec.Body.String()[strings.Index(rec.Body.String(), `"id":`)+5:], "%d", &id)
		ids[i] = id
		callTB(b, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/register", id), "sup", "")
		rec = callTB(b, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/dispatch", id), "dis", `{"unit":"D0002"}`)
		if rec.Code != 200 && rec.Code != 409 {
			b.Fatal(rec.Body.String())
		}
	}
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	suspended := make([]bool, n)
	b.ReportAllocs()
	b.ResetTimer()
	t0 := time.Now()
	b.SetParallelism(2)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := <-next
			action, body := "suspend", `{"note":"bench"}`
			if suspended[i] {
				action, body = "resume", ""
			}
			rec := callTB(b, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/%s", ids[i], action), "dis", body)
			if rec.Code != 200 {
				b.Error(rec.Body.String())
			}
			suspended[i] = !suspended[i]
			next <- i
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "transitions/s")
}

func callTB(tb testing.TB, h http.Handler, method, url, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
