package gpkg

import (
	"context"
	"path/filepath"
	"testing"

	"citygrid/data"
)

// TestRuleKindRoundTrips stores rules of each kind and reads them back.
func TestRuleKindRoundTrips(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	in := []data.Rule{
		{Category: "0101", Scope: data.ScopeCity, Unit: "D1", Kind: data.KindComponent},
		{Category: "0101", Scope: data.ScopeCity, Unit: "D2", Kind: data.KindEvent},
		{Category: "0101", Scope: data.ScopeCity, Unit: "D3"},
	}
	if err := st.Insert(ctx, &data.Dataset{Rules: in}); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Rules) != 3 {
		t.Fatalf("%d rules, want 3", len(ds.Rules))
	}
	for i, r := range ds.Rules {
		if r.Kind != in[i].Kind || r.Unit != in[i].Unit {
			t.Errorf("rule %d: kind %q unit %s, want %q %s", i, r.Kind, r.Unit, in[i].Kind, in[i].Unit)
		}
	}
}
