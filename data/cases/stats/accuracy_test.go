package stats_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/stats"
	"citygrid/data/cases/stats/statstest"
	"citygrid/data/demo"
)

// TestAccuracyOnTheDemoHistoryMatchesTheTransitions computes first-time
// dispatch accuracy per small class over a demo year from the cases, and
// again from the transitions alone (statstest.NaiveAccuracy): every
// class, every period, the same counts.
func TestAccuracyOnTheDemoHistoryMatchesTheTransitions(t *testing.T) {
	ds, err := demo.Generate(context.Background(), demo.Options{Seed: 5, Scale: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	cs, trs, err := demo.Cases(ds, demo.CaseOptions{Seed: 5, End: end})
	if err != nil {
		t.Fatal(err)
	}
	tab := stats.NewAccuracyTable()
	tab.PutAll(cs)
	returned := 0
	for i := range cs {
		if cs[i].ReturnCount > 0 && cs[i].DispatchedAt != nil {
			returned++
		}
	}
	if returned < 50 {
		t.Fatalf("the demo history has only %d returned cases: the test would not tell stuck from returned", returned)
	}
	periods := [][2]time.Time{
		{end.AddDate(-1, 0, 0), end},
		{time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
		{time.Date(2025, 12, 15, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 22, 0, 0, 0, 0, time.UTC)},
	}
	for _, p := range periods {
		want := statstest.NaiveAccuracy(cs, trs, p[0], p[1])
		got, err := tab.Compute(stats.AccuracyByCategory, p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Rows) != len(want) {
			t.Errorf("%v: %d classes, naive %d", p, len(got.Rows), len(want))
		}
		total := 0
		for _, r := range got.Rows {
			w := want[r.Key]
			if r.Dispatched != w.Dispatched || r.Stuck != w.Stuck {
				t.Errorf("%v class %s: dispatched %d stuck %d, naive %d %d", p, r.Key, r.Dispatched, r.Stuck, w.Dispatched, w.Stuck)
			}
			if w.Dispatched > 0 && (r.Accuracy == nil || *r.Accuracy != float64(w.Stuck)/float64(w.Dispatched)) {
				t.Errorf("%v class %s: accuracy %v", p, r.Key, r.Accuracy)
			}
			total += w.Dispatched
		}
		if got.Total.Dispatched != total {
			t.Errorf("%v: total %d, classes sum to %d", p, got.Total.Dispatched, total)
		}
		if p == periods[0] && total < 10000 {
			t.Errorf("a demo year has only %d dispatched cases", total)
		}
	}
}

// TestAccuracyByRuleAndUnitHandComputed: three cases with recorded
// lookups, by hand.
func TestAccuracyByRuleAndUnitHandComputed(t *testing.T) {
	at := func(d int) *time.Time { v := time.Date(2026, 3, d, 9, 0, 0, 0, time.UTC); return &v }
	res := func(rule string, id int64, unit string, auto bool) json.RawMessage {
		b, _ := json.Marshal(cases.Resolution{Decision: cases.Decision{Unit: unit, Rule: rule,
			Reasons: []cases.Step{{Rule: rule, Decided: true, RuleID: id}}}, Auto: auto})
		return b
	}
	cs := []cases.Case{
		{ID: 1, Kind: data.KindEvent, Category: "0101", DispatchedAt: at(2), Unit: "A", Resolution: res("rule_table", 7, "A", true)},
		{ID: 2, Kind: data.KindEvent, Category: "0101", DispatchedAt: at(3), Unit: "B", ReturnCount: 1, ReturnedBy: []string{"A"}, Resolution: res("rule_table", 7, "A", true)},
		{ID: 3, Kind: data.KindComponent, Category: "0101", DispatchedAt: at(4), Unit: "C", Resolution: res("category_department", 0, "A", false)},
		{ID: 4, Kind: data.KindComponent, Category: "0101", Unit: ""},
	}
	tab := stats.NewAccuracyTable()
	tab.PutAll(cs)
	byRule, err := tab.Compute(stats.AccuracyByRule, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(byRule.Rows) != 2 || byRule.Rows[0].Key != "category_department" || byRule.Rows[1].Key != "rule_table#7" {
		t.Fatalf("rows %+v", byRule.Rows)
	}
	if r := byRule.Rows[1]; r.Dispatched != 2 || r.Stuck != 1 || r.Auto != 2 || r.Followed != 2 || *r.Accuracy != 0.5 {
		t.Errorf("rule_table#7 %+v", r)
	}
	if r := byRule.Rows[0]; r.Dispatched != 1 || r.Stuck != 1 || r.Followed != 0 {
		t.Errorf("category_department %+v", r)
	}
	byUnit, _ := tab.Compute(stats.AccuracyByUnit, time.Time{}, time.Time{})
	if len(byUnit.Rows) != 2 || byUnit.Rows[0].Key != "A" || byUnit.Rows[0].Dispatched != 2 || byUnit.Rows[0].Stuck != 1 {
		t.Errorf("by unit %+v", byUnit.Rows)
	}
	march3, _ := tab.Compute(stats.AccuracyByCategory, *at(3), *at(4))
	if march3.Total.Dispatched != 1 || march3.Total.Stuck != 0 || *march3.Total.Accuracy != 0 {
		t.Errorf("one day: %+v", march3.Total)
	}
	recent := tab.Recent(1, time.Time{})
	if r := recent["event/0101"]; r.Dispatched != 1 || r.Stuck != 0 {
		t.Errorf("last case of event/0101: %+v", r)
	}
	if _, err := tab.Compute("street", time.Time{}, time.Time{}); err == nil {
		t.Error("an unknown group is accepted")
	}
	sh := stats.AccuracySheetOf(byRule)
	if len(sh.Rows) != 3 || sh.Rows[2][0] != "total" || sh.Header[len(sh.Header)-1] != "accuracy_rate" {
		t.Errorf("sheet %+v", sh)
	}
}

// TestProposalsJudgeTheWindow: a class off at 100 % over its window is
// proposed, a class on at 50 % is flagged, one with too few cases is
// left alone.
func TestProposalsJudgeTheWindow(t *testing.T) {
	tab := stats.NewAccuracyTable()
	id := int64(0)
	add := func(cat string, n, returned int) {
		for i := range n {
			id++
			at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(id) * time.Hour)
			c := cases.Case{ID: id, Kind: data.KindEvent, Category: cat, DispatchedAt: &at, Unit: "U"}
			if i < returned {
				c.ReturnCount, c.ReturnedBy = 1, []string{"U"}
			}
			tab.Put(&c)
		}
	}
	add("good", 40, 0)
	add("bad", 40, 20)
	add("rare", 3, 0)
	a := cases.DefaultAutoDispatch()
	a.Classes["event/good"] = false
	ps := tab.Proposals(a, time.Time{})
	got := map[string]string{}
	for _, p := range ps {
		got[p.Class] = p.Verdict
	}
	want := map[string]string{"event/good": stats.ProposeOn, "event/bad": stats.FlagBelow, "event/rare": stats.TooFewCases}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if ps[0].Class != "event/bad" || ps[1].Class != "event/good" {
		t.Errorf("order %v", ps)
	}
	// A window of 10 sees only the last ten "bad" cases, none returned.
	a.Window, a.MinCases = 10, 5
	for _, p := range tab.Proposals(a, time.Time{}) {
		if p.Class == "event/bad" && p.Verdict != stats.KeepOn {
			t.Errorf("last ten of bad: %s %+v", p.Verdict, p.Window)
		}
	}
}
