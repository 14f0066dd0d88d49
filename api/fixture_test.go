package api

import (
	"io"
	"log/slog"
	"net/http"
	"testing"

	"citygrid/api/city"
	"citygrid/api/internal/apitest"
	"citygrid/api/internal/testcity"
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

// newServer opens the city of cc (its logger that of cfg when unset) and
// serves it with cfg; the city is closed at the end of the test (tb nil:
// never, for a server shared by benchmarks).
func newServer(tb testing.TB, cc city.Config, cfg Config) (http.Handler, error) {
	if cc.Logger == nil {
		cc.Logger = cfg.Logger
	}
	c, err := apitest.OpenCity(tb, cc)
	if err != nil {
		return nil, err
	}
	return New(c, cfg)
}
