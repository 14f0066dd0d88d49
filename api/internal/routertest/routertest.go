// Package routertest serves the test cities through the assembled router
// (api.New) for the HTTP tests of the api area packages.
package routertest

import (
	"io"
	"log/slog"
	"net/http"
	"testing"

	"citygrid/api"
	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/internal/apitest"
	"citygrid/api/internal/testcity"
	"citygrid/data"
	"citygrid/data/gpkg"
)

// Server opens the city of cc (its logger that of cfg when unset) and
// serves it through the assembled router with cfg; the city is closed at
// the end of the test (tb nil: never, for a server shared by benchmarks).
func Server(tb testing.TB, cc city.Config, cfg api.Config) (http.Handler, error) {
	if cc.Logger == nil {
		cc.Logger = cfg.Logger
	}
	c, err := apitest.OpenCity(tb, cc)
	if err != nil {
		return nil, err
	}
	return api.New(c, cfg)
}

// TestCity serves the hand-built test city (package testcity) from its
// index alone: no store, so no edits and no case workflow.
func TestCity(t testing.TB) http.Handler {
	t.Helper()
	ix, err := testcity.Index()
	if err != nil {
		t.Fatal(err)
	}
	h, err := Server(t, city.Config{Index: ix}, api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBatchPoints: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// CaseServer serves gpkgtest.City (known owners: the manhole cover
// 3201140101000001 is maintained by D0003, the guardrail by D0002) from a
// real store, with a token per role.
func CaseServer(t testing.TB) (http.Handler, string) {
	t.Helper()
	st, ix := apitest.StoredCity(t, t.TempDir())
	dir := t.TempDir()
	h, err := Server(t, city.Config{Store: st, Index: ix, Dir: dir}, api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: auth.StaticTokens{
		"ins": {User: "insp1", Role: data.RoleInspector},
		"opr": {User: "op1", Role: data.RoleOperator},
		"sup": {User: "boss", Role: data.RoleSupervisor},
		"dis": {User: "disp1", Role: data.RoleDispatcher},
		"u3":  {User: "water", Role: data.RoleUnit, Unit: "D0003"},
		"u2":  {User: "street", Role: data.RoleUnit, Unit: "D0002"},
		"cit": {User: "13800000000", Role: data.RoleCitizen},
		"vie": {User: "viewer1", Role: data.RoleViewer},
		"adm": {User: "root", Role: data.RoleAdmin},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return h, dir
}

// EditServer serves gpkgtest.City from a real store with a
// surveyor, a viewer and an admin token.
func EditServer(t testing.TB) (http.Handler, *gpkg.Store) {
	t.Helper()
	st, ix := apitest.StoredCity(t, t.TempDir())
	h, err := Server(t, city.Config{Store: st, Index: ix, Dir: t.TempDir()}, api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: auth.StaticTokens{
		"sur": {User: "surveyor1", Role: data.RoleSurveyor},
		"vie": {User: "viewer1", Role: data.RoleViewer},
		"adm": {User: "root", Role: data.RoleAdmin},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return h, st
}
