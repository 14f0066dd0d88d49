package spatial

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/demo"

	"github.com/paulmach/orb"
)

// demoHistory builds the demo city's index and a year of its case history
// (units from the index's lookup), as replay cases.
func demoHistory(tb testing.TB, scale float64) (*Index, []ReplayCase) {
	tb.Helper()
	ds := demoCity(tb, scale)
	cp := *ds
	cp.Rules = slices.Clone(ds.Rules)
	ix, err := BuildOptions(&cp, Options{FallbackUnit: ds.Departments[0].Code})
	if err != nil {
		tb.Fatal(err)
	}
	resolve := func(p orb.Point, kind data.CategoryKind, category, component string) string {
		r, err := ix.Responsible(p, kind, category, component)
		if err != nil {
			return ""
		}
		return r.Unit.Code
	}
	cs, _, err := demo.Cases(ix.Dataset(), demo.CaseOptions{Seed: 2, End: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), Responsible: resolve})
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]ReplayCase, 0, len(cs))
	for i := range cs {
		c := &cs[i]
		if c.Unit == "" && len(c.ReturnedBy) == 0 {
			continue
		}
		unit := c.Unit
		if len(c.ReturnedBy) > 0 {
			unit = c.ReturnedBy[0]
		}
		out = append(out, ReplayCase{ID: int64(i + 1), Number: fmt.Sprint("C", i+1), ReportedAt: c.ReportedAt, Point: c.Point,
			Kind: c.Kind, Category: c.Category, Component: c.Component, Unit: unit, UnitGrid: c.UnitGrid})
	}
	return ix, out
}

// proposedChange edits the demo rule table the way an admin would: one
// row moves to another unit, one is deleted, one street-wide row of high
// priority is added for a busy event class.
func proposedChange(ix *Index) []data.Rule {
	rules := ix.Rules()
	depts := ix.Dataset().Departments
	other := func(u string) string {
		for _, d := range depts {
			if d.Code != u {
				return d.Code
			}
		}
		return u
	}
	var street string
	for i := range rules {
		if rules[i].Scope == data.ScopeStreet && street == "" {
			street = rules[i].ScopeRef
			rules[i].Unit = other(rules[i].Unit)
		}
	}
	for i := range rules {
		if rules[i].Scope == data.ScopeManagementGrid {
			rules = slices.Delete(rules, i, i+1)
			break
		}
	}
	var top int64
	for _, r := range rules {
		top = max(top, r.ID)
	}
	cat := ix.Dataset().Rules[0].Category
	rules = append(rules, data.Rule{ID: top + 1, Kind: data.KindEvent, Category: cat, Scope: data.ScopeStreet, ScopeRef: street,
		Unit: depts[len(depts)-1].Code, Priority: 100, Note: "街道统一处置"})
	return rules
}

// TestReplayRulesListsExactlyTheCasesThatChange replays a year of demo
// cases under a proposed rule table and checks the list against brute
// force: every case looked up in full with the table in use, then with
// the proposed table served by the index.
func TestReplayRulesListsExactlyTheCasesThatChange(t *testing.T) {
	ix, cs := demoHistory(t, 0.05)
	proposed := proposedChange(ix)
	if err := ix.CheckRules(proposed); err != nil {
		t.Fatal(err)
	}
	got := ix.ReplayRules(cs, NewRuleSet(proposed))

	before := make([]string, len(cs))
	for i, c := range cs {
		if r, err := ix.Responsible(c.Point, c.Kind, c.Category, c.Component); err == nil {
			before[i] = r.Unit.Code
		}
	}
	old := ix.Rules()
	ix.SetRules(proposed)
	want := map[int64]string{}
	for i, c := range cs {
		r, err := ix.Responsible(c.Point, c.Kind, c.Category, c.Component)
		if err == nil && r.Unit.Code != before[i] {
			want[c.ID] = before[i] + "→" + r.Unit.Code
		}
	}
	ix.SetRules(old)
	if len(want) < 10 {
		t.Fatalf("the change moves only %d of %d cases: not a test", len(want), len(cs))
	}
	if len(got) != len(want) {
		t.Errorf("replay lists %d cases, brute force %d", len(got), len(want))
	}
	for _, d := range got {
		if w := want[d.CaseID]; w != d.Was+"→"+d.Now {
			t.Errorf("case %d: replay %s→%s, brute force %q", d.CaseID, d.Was, d.Now, w)
		}
		if d.Why[0] != WhyRuleChange || len(d.Reasons) == 0 {
			t.Errorf("case %d: why %v reasons %v", d.CaseID, d.Why, d.Reasons)
		}
	}
	t.Logf("%d of %d cases change unit", len(got), len(cs))
	// Today's rules and data decide every demo case as it was decided.
	if d := ix.ReplayToday(cs); len(d) != 0 {
		t.Errorf("today's replay of an unchanged city lists %d cases, first %+v", len(d), d[0])
	}
	ix.SetRules(proposed)
	today := ix.ReplayToday(cs)
	ix.SetRules(old)
	if len(today) != len(want) {
		t.Errorf("after the change is saved, today's replay lists %d cases, want %d", len(today), len(want))
	}
}

// TestPrecedentDecidesTheNextCase saves an arbitration ruling as a rule
// (the case's unit grid, and a drawn polygon), and the next case at that
// place and class goes to the ruled unit, the ruling cited in its reasons.
func TestPrecedentDecidesTheNextCase(t *testing.T) {
	ix, cs := demoHistory(t, 0.05)
	var c ReplayCase
	for _, x := range cs {
		if x.Kind == data.KindEvent && x.UnitGrid != "" {
			c = x
			break
		}
	}
	before, err := ix.Responsible(c.Point, c.Kind, c.Category, "")
	if err != nil {
		t.Fatal(err)
	}
	var ruled string
	for _, d := range ix.Dataset().Departments {
		if d.Code != before.Unit.Code {
			ruled = d.Code
			break
		}
	}
	ruledAt := time.Date(2026, 5, 12, 15, 30, 0, 0, time.UTC)
	prec := &data.Precedent{CaseID: c.ID, CaseNumber: "202605120031", RuledAt: ruledAt, RuledBy: "zbz01"}
	d := 0.0005
	square := orb.Polygon{{{c.Point[0] - d, c.Point[1] - d}, {c.Point[0] + d, c.Point[1] - d}, {c.Point[0] + d, c.Point[1] + d},
		{c.Point[0] - d, c.Point[1] + d}, {c.Point[0] - d, c.Point[1] - d}}}
	for _, scope := range []data.Rule{
		{Scope: data.ScopeUnitGrid, ScopeRef: c.UnitGrid},
		{Scope: data.ScopeArea, Area: square},
	} {
		old := ix.Rules()
		r := scope
		r.ID, r.Kind, r.Category, r.Unit, r.Precedent, r.Priority = 99999, c.Kind, c.Category, ruled, prec, 100
		rules := append(ix.Rules(), r)
		if err := ix.CheckRules(rules); err != nil {
			t.Fatal(err)
		}
		ix.SetRules(rules)
		got, err := ix.Responsible(c.Point, c.Kind, c.Category, "")
		ix.SetRules(old)
		if err != nil {
			t.Fatal(err)
		}
		if got.Unit.Code != ruled || got.Rule != RuleTable || got.RuleID != 99999 {
			t.Errorf("%s precedent: %s by %s#%d", scope.Scope, got.Unit.Code, got.Rule, got.RuleID)
		}
		last := got.Reasons[len(got.Reasons)-1]
		if !last.Decided || !strings.Contains(last.Detail, "precedent: arbitration of case 202605120031 on 2026-05-12 by zbz01") {
			t.Errorf("%s precedent: reason %q", scope.Scope, last.Detail)
		}
		// Another class at the same place is not touched.
		for _, x := range cs {
			if x.Kind == data.KindEvent && x.Category != c.Category {
				a, _ := ix.Responsible(c.Point, x.Kind, x.Category, "")
				ix.SetRules(rules)
				b, _ := ix.Responsible(c.Point, x.Kind, x.Category, "")
				ix.SetRules(old)
				if a.Unit.Code != b.Unit.Code {
					t.Errorf("%s precedent moves class %s too", scope.Scope, x.Category)
				}
				break
			}
		}
	}
	bad := []data.Rule{{ID: 1, Scope: data.ScopeArea, Unit: ruled, Area: orb.Polygon{{{0, 0}, {1, 0}, {0, 0}}}},
		{ID: 1, Scope: data.ScopeUnitGrid, ScopeRef: "nope", Unit: "nope"}}
	err = ix.CheckRules(bad)
	for _, f := range []string{"rules[0].area", "rules[1].id", "rules[1].unit", "rules[1].scope_ref"} {
		if err == nil || !strings.Contains(fmt.Sprintf("%+v", []*data.ValidationError(err.(data.ValidationErrors))), f) {
			t.Errorf("CheckRules does not name %s: %v", f, err)
		}
	}
}

// BenchmarkReplayRulesDemoYear replays a year of demo cases (full-scale
// demo city) under a proposed rule table.
func BenchmarkReplayRulesDemoYear(b *testing.B) {
	ix, cs := demoHistory(b, 1)
	rs := NewRuleSet(proposedChange(ix))
	b.ResetTimer()
	n := 0
	for b.Loop() {
		n = len(ix.ReplayRules(cs, rs))
	}
	b.ReportMetric(float64(len(cs)), "cases")
	b.ReportMetric(float64(n), "changed")
}
