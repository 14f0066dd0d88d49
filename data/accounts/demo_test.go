package accounts_test

import (
	"context"
	"strings"
	"testing"

	"citygrid/data"
	"citygrid/data/accounts"
	"citygrid/data/demo"
)

// TestDemoUsersAreTheActorsOfTheDemoHistory: on the generated demo city
// every demo user's unit and grid exist, and the case-handling users are
// people the demo's case history shows acting in their role, so signing
// in as them shows their own work.
func TestDemoUsersAreTheActorsOfTheDemoHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a city")
	}
	ctx := context.Background()
	ds, err := demo.Generate(ctx, demo.Options{Seed: 1, Scale: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	_, trs, err := demo.Cases(ds, demo.CaseOptions{Seed: 1, Days: 60, RegisteredPerYear: 6000})
	if err != nil {
		t.Fatal(err)
	}
	acted := map[data.Role]map[string]bool{}
	for _, tr := range trs {
		if acted[tr.Role] == nil {
			acted[tr.Role] = map[string]bool{}
		}
		acted[tr.Role][accounts.NormalizeName(tr.User)] = true
	}
	users, err := accounts.DemoUsers(ds)
	if err != nil {
		t.Fatal(err)
	}
	dir := accounts.NewDatasetDirectory(ds)
	for _, u := range users {
		if u.Unit != "" {
			if name, err := dir.DepartmentName(ctx, u.Unit); err != nil || u.Unit != accounts.DemoUnit {
				t.Errorf("%s: unit %s (%s, %v), want %s", u.Name, u.Unit, name, err, accounts.DemoUnit)
			}
		}
		if u.HasRole(data.RoleInspector) {
			if _, err := dir.InspectorGridName(ctx, u.Grid); err != nil || !strings.HasPrefix(u.Name, "jdy") {
				t.Errorf("inspector %s on grid %q: %v", u.Name, u.Grid, err)
			}
		}
		for _, r := range []data.Role{data.RoleInspector, data.RoleOperator, data.RoleSupervisor, data.RoleDispatcher, data.RoleUnit} {
			if u.HasRole(r) && !acted[r][u.Name] {
				t.Errorf("demo user %s never acts as %s in the demo history", u.Name, r)
			}
		}
	}
}
