// Package apitest is what the api packages' HTTP tests share: requests
// with a bearer token, decoded answers, a stored test city, an opened city
// closed with the test, and a PostgreSQL schema for the case store.
package apitest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"citygrid/api/city"
	"citygrid/data/cases/pgcases"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
	"citygrid/spatial"
	"citygrid/test/pgtest"
)

// Call sends method url with body to h, with token
// as bearer token when not empty and the given header name, value pairs.
func Call(t testing.TB, h http.Handler, method, url, token, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, url, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// DecodeBody decodes a JSON object answer.
func DecodeBody(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	return m
}

// MustStatus fails the test unless rec has status want, and returns its
// JSON object body (nil when it has none).
func MustStatus(t testing.TB, rec *httptest.ResponseRecorder, want int) map[string]any {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("status %d, want %d: %s", rec.Code, want, rec.Body.String())
	}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && rec.Body.Len() > 0 && rec.Body.Bytes()[0] == '{' {
		return DecodeBody(t, rec)
	}
	return nil
}

// StoredCity stores gpkgtest.City in a new GeoPackage under dir (closed at
// the end of the test) and indexes what the store loads back, as serve
// does at start-up.
func StoredCity(t testing.TB, dir string) (*gpkg.Store, *spatial.Index) {
	t.Helper()
	ctx := context.Background()
	st, err := gpkg.Open(ctx, filepath.Join(dir, "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	return st, ix
}

// OpenCity opens the city of cc, closed at the end of the test (tb nil:
// never, for a city shared by benchmarks).
func OpenCity(tb testing.TB, cc city.Config) (*city.City, error) {
	c, err := city.Open(context.Background(), cc)
	if err != nil {
		return nil, err
	}
	if tb != nil {
		tb.Cleanup(func() {
			if err := c.Close(context.Background()); err != nil {
				tb.Errorf("close city: %v", err)
			}
		})
	}
	return c, nil
}

var (
	pg        pgtest.Shared
	pgSchemas atomic.Int64
)

// Postgres returns the URL of CITYGRID_TEST_POSTGRES or of a throwaway
// cluster started on first use; without PostgreSQL the test skips, or
// fails when CI is set. A package that calls it stops the cluster from
// its TestMain with StopPostgres.
func Postgres(t testing.TB) string {
	t.Helper()
	return pg.URL(t)
}

// StopPostgres stops the cluster Postgres started, if any.
func StopPostgres() { pg.Stop() }

// PGCases opens handles case stores on one new schema (each its own pool,
// as replicas have), closed and dropped after the test.
func PGCases(t testing.TB, handles int) []*pgcases.Store {
	t.Helper()
	url := Postgres(t)
	ctx := context.Background()
	schema := fmt.Sprintf("api_cases_%d_%d", os.Getpid(), pgSchemas.Add(1))
	var out []*pgcases.Store
	for i := range handles {
		s, err := pgcases.Open(ctx, url, schema)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if i == 0 {
			t.Cleanup(func() { s.DropSchema(context.Background()) }) // before the Close above
		}
		out = append(out, s)
	}
	return out
}
