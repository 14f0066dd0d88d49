package spatial

import (
	"errors"
	"strings"
	"testing"

	"citygrid/data"
	"citygrid/data/gpkg/gpkgtest"

	"github.com/paulmach/orb"
)

// kindCity is the sample city, whose catalogue has both component 0101
// (上水井盖, competent department D0003) and event 0101 (暴露垃圾, D0002),
// plus an event-only code 0102, with the rule table given.
func kindCity(t *testing.T, rules ...data.Rule) *Index {
	t.Helper()
	ds := gpkgtest.City()
	ds.Categories = append(ds.Categories, data.Category{Scheme: data.SchemeGBT30428, Kind: data.KindEvent, Code: "0102",
		Name: "道路不洁", Big: "01", BigName: "市容环境", Department: "D0002", DeadlineClass: "A"})
	ds.Rules = rules
	ix, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// Points of the sample city: the water cover 3201140101000001 is at
// (118.765, 31.995); nearCover is about 2 m north of it, farFromCover about
// 950 m east (no component of 0101 within the 15 m tolerance).
var (
	nearCover    = orb.Point{118.765, 31.99502}
	farFromCover = orb.Point{118.775, 31.995}
)

func TestResponsibleKeysCategoriesByKindAndCode(t *testing.T) {
	// Rules 1 and 2 name the same code 0101 for the two kinds, at the same
	// scope and priority. Keyed by code alone, one of them would decide
	// both kinds (rule 1, the lower ID); keyed by kind and code each kind
	// gets its own.
	byKind := []data.Rule{
		{ID: 1, Kind: data.KindEvent, Category: "0101", Scope: data.ScopeCity, Unit: "D0002"},
		{ID: 2, Kind: data.KindComponent, Category: "0101", Scope: data.ScopeCity, Unit: "D0001"},
	}
	// A rule of kind "" names the code in either kind.
	eitherKind := []data.Rule{{ID: 5, Category: "0101", Scope: data.ScopeManagementGrid, ScopeRef: "ZR001", Unit: "D0003"}}
	// A high-priority rule for event 0101 must not decide component 0101.
	eventOnly := []data.Rule{{ID: 9, Kind: data.KindEvent, Category: "0101", Scope: data.ScopeCity, Unit: "D0001", Priority: 9}}
	tests := []struct {
		name      string
		rules     []data.Rule
		p         orb.Point
		kind      data.CategoryKind
		category  string
		component string
		rule      string
		ruleID    int64
		unit      string
		catName   string
		catKind   data.CategoryKind
	}{
		{"event 0101 follows the event rule", byKind, farFromCover, data.KindEvent, "0101", "", RuleTable, 1, "D0002", "暴露垃圾", data.KindEvent},
		{"component 0101 follows the component rule", byKind, farFromCover, data.KindComponent, "0101", "", RuleTable, 2, "D0001", "上水井盖", data.KindComponent},
		{"component 0101 at the cover goes to the cover's maintainer", byKind, nearCover, data.KindComponent, "0101", "", RuleComponentMaintainer, 0, "D0003", "上水井盖", data.KindComponent},
		{"event 0101 at the cover ignores the cover (events are not components)", byKind, nearCover, data.KindEvent, "0101", "", RuleTable, 1, "D0002", "暴露垃圾", data.KindEvent},
		{"a component named by code implies kind component", byKind, orb.Point{}, "", "", "3201140101000001", RuleComponentMaintainer, 0, "D0003", "上水井盖", data.KindComponent},
		{"a rule of kind \"\" applies to event 0101", eitherKind, farFromCover, data.KindEvent, "0101", "", RuleTable, 5, "D0003", "暴露垃圾", data.KindEvent},
		{"a rule of kind \"\" applies to component 0101", eitherKind, farFromCover, data.KindComponent, "0101", "", RuleTable, 5, "D0003", "上水井盖", data.KindComponent},
		{"an event rule does not decide the component of the same code", eventOnly, farFromCover, data.KindComponent, "0101", "", RuleCategoryDepartment, 0, "D0003", "上水井盖", data.KindComponent},
		{"the event of the same code follows it", eventOnly, farFromCover, data.KindEvent, "0101", "", RuleTable, 9, "D0001", "暴露垃圾", data.KindEvent},
		{"an unambiguous component code needs no kind", nil, farFromCover, "", "0213", "", RuleCategoryDepartment, 0, "D0002", "护栏", data.KindComponent},
		{"an unambiguous event code needs no kind", nil, farFromCover, "", "0102", "", RuleCategoryDepartment, 0, "D0002", "道路不洁", data.KindEvent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix := kindCity(t, tc.rules...)
			got, err := ix.Responsible(tc.p, tc.kind, tc.category, tc.component)
			if err != nil {
				t.Fatal(err)
			}
			if got.Rule != tc.rule || got.RuleID != tc.ruleID || got.Unit.Code != tc.unit {
				t.Fatalf("decided by %s %d → %s, want %s %d → %s; reasons %+v", got.Rule, got.RuleID, got.Unit.Code, tc.rule, tc.ruleID, tc.unit, got.Reasons)
			}
			if got.Category.Name != tc.catName || got.Category.Kind != tc.catKind {
				t.Fatalf("category %+v, want %s of kind %s", got.Category, tc.catName, tc.catKind)
			}
		})
	}
}

func TestResponsibleRejectsAnAmbiguousCodeWithoutKind(t *testing.T) {
	ix := kindCity(t)
	_, err := ix.Responsible(farFromCover, "", "0101", "")
	var ve *data.ValidationError
	if !errors.As(err, &ve) || ve.Field != "category" {
		t.Fatalf("error %v, want a validation error on category", err)
	}
	for _, want := range []string{"ambiguous", "component 0101 上水井盖", "event 0101 暴露垃圾", "kind="} {
		if !strings.Contains(ve.Reason, want) {
			t.Errorf("reason %q does not say %q", ve.Reason, want)
		}
	}
	bad := []struct {
		name                  string
		kind                  data.CategoryKind
		category, component   string
		field, reasonContains string
	}{
		{"an unknown kind", "部件", "0101", "", "kind", "unknown category kind"},
		{"a component-only code as an event", data.KindEvent, "0213", "", "category", "unknown event category"},
		{"an event-only code as a component", data.KindComponent, "0102", "", "category", "unknown component category"},
		{"a component named for a case of kind event", data.KindEvent, "", "3201140101000001", "kind", "not of kind event"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ix.Responsible(farFromCover, tc.kind, tc.category, tc.component)
			if !errors.As(err, &ve) || ve.Field != tc.field || !strings.Contains(ve.Reason, tc.reasonContains) {
				t.Fatalf("error %v, want a validation error on %s saying %q", err, tc.field, tc.reasonContains)
			}
		})
	}
}

func TestResponsibleBatchTakesAKindPerCase(t *testing.T) {
	ix := kindCity(t,
		data.Rule{ID: 1, Kind: data.KindEvent, Category: "0101", Scope: data.ScopeCity, Unit: "D0002"},
		data.Rule{ID: 2, Kind: data.KindComponent, Category: "0101", Scope: data.ScopeCity, Unit: "D0001"})
	qs := []ResponsibleQuery{
		{Point: farFromCover, Kind: data.KindEvent, Category: "0101"},
		{Point: farFromCover, Kind: data.KindComponent, Category: "0101"},
	}
	res, err := ix.ResponsibleBatch(qs)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Unit.Code != "D0002" || res[0].Category.Kind != data.KindEvent || res[1].Unit.Code != "D0001" || res[1].Category.Kind != data.KindComponent {
		t.Fatalf("answers %+v / %+v", res[0].Responsibility, res[1].Responsibility)
	}
	qs = append(qs, ResponsibleQuery{Point: farFromCover, Category: "0101"})
	var ve *data.ValidationError
	if _, err := ix.ResponsibleBatch(qs); !errors.As(err, &ve) || ve.Where != "case 2" || ve.Field != "category" || !strings.Contains(ve.Reason, "ambiguous") {
		t.Fatalf("ambiguous case: %v, want a validation error naming case 2", err)
	}
}

func TestNearestAndWithinMeanComponentCategories(t *testing.T) {
	ix := kindCity(t)
	// 0101 is also an event code; in nearest and within it is the
	// component category.
	near, err := ix.Nearest(nearCover, 5, 100, []string{"0101"})
	if err != nil {
		t.Fatal(err)
	}
	if near.Count != 1 || near.Components[0].Code != "3201140101000001" {
		t.Fatalf("nearest %+v, want the cover", near)
	}
	in, err := ix.WithinBound(orb.Bound{Min: orb.Point{118.76, 31.99}, Max: orb.Point{118.77, 32.00}}, []string{"0101"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if in.Count != 1 || in.Counts["0101"] != 1 {
		t.Fatalf("within %+v, want the one cover", in)
	}
	var ve *data.ValidationError
	for _, call := range []func() error{
		func() error { _, err := ix.Nearest(nearCover, 5, 100, []string{"0102"}); return err },
		func() error {
			_, err := ix.WithinBound(orb.Bound{Min: orb.Point{118.76, 31.99}, Max: orb.Point{118.77, 32.00}}, []string{"0102"}, 10)
			return err
		},
	} {
		if err := call(); !errors.As(err, &ve) || ve.Field != "category" || !strings.Contains(ve.Reason, "event category") {
			t.Fatalf("an event-only code: %v, want a validation error saying it is an event category", err)
		}
	}
}

func TestCategoryLooksUpByKind(t *testing.T) {
	ix := kindCity(t)
	c, ok := ix.Category(data.KindComponent, "0101")
	e, ok2 := ix.Category(data.KindEvent, "0101")
	if !ok || !ok2 || c.Name != "上水井盖" || e.Name != "暴露垃圾" {
		t.Fatalf("component %v %v, event %v %v", c, ok, e, ok2)
	}
	if _, ok := ix.Category("", "0101"); ok {
		t.Fatal("a category without kind was found")
	}
}
