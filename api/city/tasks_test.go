package city

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"citygrid/data"
	"citygrid/data/accounts"
	"citygrid/data/cases"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
)

// users is an account list: wang walks the inspector work grid JD001,
// li has no grid, and a disabled inspector listed first walks JD001 too.
type users []accounts.User

func (u users) Users(context.Context) ([]accounts.User, error) {
	return append([]accounts.User(nil), u...), nil
}

// TestACheckTaskGoesToTheInspectorOfTheCasesWorkGrid runs the city with
// its accounts: the 核实 and then the 核查 task of a case in JD001 go to
// wang, and the supervisor can give it to li but not to a stranger.
func TestACheckTaskGoesToTheInspectorOfTheCasesWorkGrid(t *testing.T) {
	ctx := context.Background()
	insp := []data.Role{data.RoleInspector}
	c := openTestCity(t, Config{Users: users{
		{Name: "aaron", Roles: insp, Grid: "JD001", Disabled: true},
		{Name: "li", Roles: insp},
		{Name: "sun", Roles: []data.Role{data.RoleOperator}},
		{Name: "wang", Roles: insp, Grid: "JD001"},
	}})
	svc := c.Workflow.Service
	lon, lat := 118.765, 31.995
	citizen := data.Principal{User: "13800000000", Role: data.RoleCitizen}
	cs, err := svc.Report(ctx, citizen, cases.NewCase{Kind: data.KindEvent, Category: "0101", Lon: &lon, Lat: &lat})
	if err != nil {
		t.Fatal(err)
	}
	if cs.Inspector != "wang" || cs.InspectorFrom != cases.InspectorFromGrid {
		t.Fatalf("核实 to %q (%s), want wang of JD001", cs.Inspector, cs.InspectorFrom)
	}
	step := func(p data.Principal, action string, mod ...func(*cases.ActionRequest)) *cases.Case {
		t.Helper()
		req := cases.ActionRequest{Action: action, Note: "n"}
		for _, m := range mod {
			m(&req)
		}
		got, _, err := svc.Act(ctx, p, cs.ID, req)
		if err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		return got
	}
	step(data.Principal{User: "wang", Role: data.RoleInspector}, cases.ActVerify)
	// Registration dispatches it at once (the rule table decides).
	got := step(data.Principal{User: "boss", Role: data.RoleSupervisor}, cases.ActRegister)
	if got.State != cases.StateDispatched || got.Inspector != "" {
		t.Fatalf("registered: state %s, inspector %q", got.State, got.Inspector)
	}
	cs = step(data.Principal{User: "h", Role: data.RoleUnit, Unit: got.Unit}, cases.ActHandle)
	if cs.Inspector != "wang" || cs.InspectorFrom != cases.InspectorFromGrid {
		t.Fatalf("核查 to %q (%s), want wang of JD001", cs.Inspector, cs.InspectorFrom)
	}
	boss := data.Principal{User: "boss", Role: data.RoleSupervisor}
	if _, _, err := svc.Act(ctx, boss, cs.ID, cases.ActionRequest{Action: cases.ActAssignInspector, Inspector: "sun"}); !errors.As(err, new(*data.ValidationError)) {
		t.Fatalf("an operator took an inspector's task: %v", err)
	}
	if got := step(boss, cases.ActAssignInspector, func(r *cases.ActionRequest) { r.Inspector = "li" }); got.Inspector != "li" {
		t.Fatalf("reassigned to %q", got.Inspector)
	}
}

// openTestCity opens the test city from a fresh GeoPackage with cfg's
// other fields, closed when the test ends.
func openTestCity(t *testing.T, cfg Config) *City {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
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
	cfg.Store, cfg.Dataset, cfg.Dir = st, ds, dir
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctx) })
	return c
}
