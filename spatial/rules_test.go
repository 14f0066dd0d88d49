package spatial

import (
	"testing"

	"citygrid/data"
)

func TestSetRulesReplacesTheRuleTable(t *testing.T) {
	ix := kindCity(t, data.Rule{ID: 1, Kind: data.KindEvent, Category: "0101", Scope: data.ScopeCity, Unit: "D0002"})
	decide := func() (string, int64) {
		t.Helper()
		r, err := ix.Responsible(farFromCover, data.KindEvent, "0101", "")
		if err != nil {
			t.Fatal(err)
		}
		return r.Unit.Code, r.RuleID
	}
	if unit, id := decide(); unit != "D0002" || id != 1 {
		t.Fatalf("before: %s by rule %d", unit, id)
	}
	ix.SetRules([]data.Rule{
		{ID: 1, Kind: data.KindEvent, Category: "0101", Scope: data.ScopeCity, Unit: "D0002"},
		{ID: 2, Kind: data.KindEvent, Category: "0101", Scope: data.ScopeCity, Unit: "D0001", Priority: 5},
	})
	if unit, id := decide(); unit != "D0001" || id != 2 {
		t.Fatalf("after adding a higher-priority rule: %s by rule %d, want D0001 by rule 2", unit, id)
	}
	ix.SetRules(nil)
	if unit, id := decide(); unit != "D0002" || id != 0 {
		t.Fatalf("without rules: %s by rule %d, want the competent department D0002", unit, id)
	}
	if len(ix.Dataset().Rules) != 0 {
		t.Fatalf("the dataset still lists %d rules", len(ix.Dataset().Rules))
	}
}
