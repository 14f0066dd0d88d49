package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"

	"citygrid/api/city"
	"citygrid/api/internal/testcity"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
	"citygrid/spatial"
)

// newTestServer serves testCity through the real router.
func newTestServer(t testing.TB) http.Handler {
	t.Helper()
	ix, err := newTestIndex()
	if err != nil {
		t.Fatal(err)
	}
	h, err := newServer(t, city.Config{Index: ix}, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBatchPoints: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// newTestIndex indexes the test city.
func newTestIndex() (*spatial.Index, error) { return testcity.Index() }

// storedTestCity stores gpkgtest.City in a new GeoPackage under dir (closed
// at the end of the test) and indexes what the store loads back, as serve
// does at start-up.
func storedTestCity(t testing.TB, dir string) (*gpkg.Store, *spatial.Index) {
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

// newServer opens the city of cc (its logger that of cfg when unset) and
// serves it with cfg; the city is closed at the end of the test (tb nil:
// never, for a server shared by benchmarks).
func newServer(tb testing.TB, cc city.Config, cfg Config) (http.Handler, error) {
	if cc.Logger == nil {
		cc.Logger = cfg.Logger
	}
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
	return New(c, cfg)
}
