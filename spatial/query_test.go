package spatial

import (
	"cmp"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"citygrid/data"
	"citygrid/spatial/crs"

	"github.com/paulmach/orb"
)

func buildSynth(t testing.TB, seed uint64, nx, ny, perCell int) (*synthCity, *Index) {
	t.Helper()
	sc := newSynthCity(seed, nx, ny, perCell)
	ix, err := Build(sc.ds)
	if err != nil {
		t.Fatal(err)
	}
	return sc, ix
}

func TestNearestAgreesWithBruteForce(t *testing.T) {
	sc, ix := buildSynth(t, 21, 20, 16, 6)
	r := rand.New(rand.NewPCG(3, 4))
	catSets := [][]string{nil, {"0101"}, {"0109", "0201"}, {"0301"}, {"0301", "0101"}}
	for it := 0; it < 400; it++ {
		b := sc.bound.Pad(0.001)
		p := orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
		k := 1 + r.IntN(12)
		radius := 20 + r.Float64()*400
		cats := catSets[it%len(catSets)]
		got, err := ix.Nearest(p, k, radius, cats)
		if err != nil {
			t.Fatal(err)
		}
		type hit struct {
			code string
			d    float64
		}
		var want []hit
		for _, c := range sc.ds.Components {
			if len(cats) > 0 && !slices.Contains(cats, c.Category) {
				continue
			}
			var d float64
			if pt, ok := c.Geometry.(orb.Point); ok {
				d = data.HaversineM(p, pt)
			} else {
				d = bruteLineDistance(p, c.Geometry.(orb.LineString))
			}
			if d <= radius {
				want = append(want, hit{c.Code, d})
			}
		}
		slices.SortFunc(want, func(a, b hit) int {
			if c := cmp.Compare(a.d, b.d); c != 0 {
				return c
			}
			return cmp.Compare(a.code, b.code)
		})
		if len(want) > k {
			want = want[:k]
		}
		if got.Count != len(want) {
			t.Fatalf("Nearest(%v, k=%d, r=%.0f, %v) found %d, brute force %d", p, k, radius, cats, got.Count, len(want))
		}
		for i := range want {
			g := got.Components[i]
			if math.Abs(g.DistanceM-want[i].d) > 0.05 {
				t.Fatalf("result %d: %s at %.3f m, brute force %s at %.3f m", i, g.Code, g.DistanceM, want[i].code, want[i].d)
			}
			if g.Code != want[i].code && math.Abs(g.DistanceM-want[i].d) > 1e-9 {
				t.Fatalf("result %d: %s, brute force %s", i, g.Code, want[i].code)
			}
			if i > 0 && got.Components[i-1].DistanceM > g.DistanceM {
				t.Fatalf("results out of order at %d", i)
			}
		}
	}
}

// bruteLineDistance samples the line densely (every ~5 cm) and takes the
// smallest haversine distance: slow, independent of the projection used in
// production.
func bruteLineDistance(p orb.Point, ls orb.LineString) float64 {
	best := math.Inf(1)
	for i := 0; i+1 < len(ls); i++ {
		a, b := ls[i], ls[i+1]
		n := int(data.HaversineM(a, b)/0.05) + 1
		for s := 0; s <= n; s++ {
			t := float64(s) / float64(n)
			q := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
			best = math.Min(best, data.HaversineM(p, q))
		}
	}
	return best
}

func TestNearestRejectsBadArguments(t *testing.T) {
	_, ix := buildSynth(t, 1, 6, 6, 1)
	p := orb.Point{118.702, 31.952}
	tests := []struct {
		name   string
		k      int
		radius float64
		cats   []string
		field  string
	}{
		{"k of zero is refused", 0, 100, nil, "k"},
		{"k above the limit is refused", MaxNearestK + 1, 100, nil, "k"},
		{"a zero radius is refused", 5, 0, nil, "radius"},
		{"a NaN radius is refused", 5, math.NaN(), nil, "radius"},
		{"a radius above the limit is refused", 5, MaxRadiusM + 1, nil, "radius"},
		{"an unknown category is refused", 5, 100, []string{"9999"}, "category"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ix.Nearest(p, tc.k, tc.radius, tc.cats)
			var ve *data.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("error %v, want a validation error on %q", err, tc.field)
			}
		})
	}
}

func TestWithinCountsMatchBruteForce(t *testing.T) {
	sc, ix := buildSynth(t, 5, 16, 12, 8)
	r := rand.New(rand.NewPCG(8, 9))
	for it := 0; it < 60; it++ {
		var area orb.MultiPolygon
		var res WithinResult
		var err error
		cats := [][]string{nil, {"0201"}}[it%2]
		if it%3 == 0 {
			// a unit grid's polygon (the hole grid once)
			g := sc.ds.UnitGrids[r.IntN(len(sc.ds.UnitGrids))]
			if it == 0 {
				g = sc.ds.UnitGrids[sc.gridIndex(1, 1)]
			}
			area = g.Geometry
			res, err = ix.WithinPolygon(area, cats, 5)
		} else {
			x0 := sc.bound.Min[0] + r.Float64()*(sc.bound.Max[0]-sc.bound.Min[0])
			y0 := sc.bound.Min[1] + r.Float64()*(sc.bound.Max[1]-sc.bound.Min[1])
			b := orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x0 + r.Float64()*0.004, y0 + r.Float64()*0.004}}
			area = orb.MultiPolygon{b.ToPolygon()}
			res, err = ix.WithinBound(b, cats, 5)
		}
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{}
		total := 0
		for _, c := range sc.ds.Components {
			pt, ok := c.Geometry.(orb.Point)
			if !ok || (len(cats) > 0 && !slices.Contains(cats, c.Category)) {
				continue
			}
			if ratCovers(area, pt) {
				want[c.Category]++
				total++
			}
		}
		gotPoints := 0
		for cat, n := range res.Counts {
			if cat != "0301" {
				gotPoints += n
				if want[cat] != n {
					t.Fatalf("area %d: %d components of %s, brute force %d", it, n, cat, want[cat])
				}
			}
		}
		if gotPoints != total {
			t.Fatalf("area %d: %d point components, brute force %d", it, gotPoints, total)
		}
		if len(res.Components) != min(5, res.Count) || res.Truncated != (res.Count > 5) {
			t.Fatalf("area %d: listed %d of %d, truncated=%v", it, len(res.Components), res.Count, res.Truncated)
		}
	}
}

func TestWithinFindsLinesCrossingTheAreaWithoutAVertexInIt(t *testing.T) {
	ds := &data.Dataset{
		Categories: []data.Category{{Code: "0301", Kind: data.KindComponent}},
		Components: []data.Component{
			{Code: "3201140301000001", Category: "0301", Geometry: orb.LineString{at(-1, 0.5), at(2, 0.5)}},  // crosses
			{Code: "3201140301000002", Category: "0301", Geometry: orb.LineString{at(-1, 2), at(2, 2)}},      // north of it
			{Code: "3201140301000003", Category: "0301", Geometry: orb.LineString{at(-1, -1), at(1.5, 1.5)}}, // diagonal, ends inside
			{Code: "3201140301000004", Category: "0301", Geometry: orb.LineString{at(-1, 1), at(2, 1)}},      // along the top edge
			{Code: "3201140301000005", Category: "0301", Geometry: orb.LineString{at(1.5, -1), at(3, 0.5)}},  // bbox overlaps, line misses
		},
	}
	ix, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ix.WithinBound(orb.Bound{Min: at(0, 0), Max: at(1, 1)}, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, c := range res.Components {
		codes = append(codes, c.Code[len(c.Code)-1:])
	}
	if got := strings.Join(codes, ","); got != "1,3,4" {
		t.Fatalf("found %s, want 1,3,4", got)
	}
}

func TestResponsibleChainOfRules(t *testing.T) {
	sc, ix := buildSynth(t, 9, 30, 8, 2)
	ds := sc.ds
	var water *data.Component
	for i := range ds.Components {
		if ds.Components[i].Category == "0101" {
			water = &ds.Components[i]
			break
		}
	}
	wp := water.Geometry.(orb.Point)
	// a point ~5 m north of the water cover, and one in a far street
	near := orb.Point{wp[0], wp[1] + 5/111195.0}
	inStreet1 := sc.verts[2][2]
	inStreet1 = orb.Point{inStreet1[0] + 0.0003, inStreet1[1] + 0.0003}
	farStreet := orb.Point{sc.verts[25][5][0] + 0.0003, sc.verts[25][5][1] + 0.0003}
	loc1, _ := ix.Locate(inStreet1)
	locFar, _ := ix.Locate(farStreet)
	if loc1.Street.Code != "320114001" || locFar.Street.Code == "320114001" {
		t.Fatalf("test setup: streets %s and %s", loc1.Street.Code, locFar.Street.Code)
	}
	inR1 := slices.ContainsFunc(loc1.ManagementGrids, func(m ManagementGridRef) bool { return m.Code == "R0001" })
	tests := []respCase{
		{"a component named by code goes to its maintainer", wp, "", water.Code, RuleComponentMaintainer, water.Maintainer},
		{"a component case near a surveyed component goes to that component's maintainer", near, "0101", "", RuleComponentMaintainer, water.Maintainer},
		{"an event in a street with its own rule goes to the street's unit", inStreet1, "E0101", "", RuleTable, "S01"},
		{"an event elsewhere falls back to the city-wide rule", farStreet, "E0101", "", RuleTable, "D01"},
		{"a component category without a component nearby goes to its competent department", farStreet, "0201", "", RuleCategoryDepartment, "D02"},
		{"a category without department or rule goes to the fallback unit", farStreet, "0301", "", RuleFallback, "C00"},
	}
	if inR1 {
		tests = append(tests, respCase{"a catch-all management-grid rule decides for a category without department", inStreet1, "0301", "", RuleTable, "D02"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ix.Responsible(tc.p, "", tc.category, tc.component)
			if err != nil {
				t.Fatal(err)
			}
			if got.Rule != tc.rule || got.Unit.Code != tc.unit {
				t.Fatalf("decided by %s → %s, want %s → %s; reasons %+v", got.Rule, got.Unit.Code, tc.rule, tc.unit, got.Reasons)
			}
			last := got.Reasons[len(got.Reasons)-1]
			if !last.Decided || last.Rule != tc.rule {
				t.Fatalf("the last reason %+v is not the deciding rule", last)
			}
			for _, r := range got.Reasons[:len(got.Reasons)-1] {
				if r.Decided {
					t.Fatalf("an earlier reason claims to decide: %+v", r)
				}
			}
			if got.Unit.Name == "" {
				t.Fatalf("unit %s has no name", got.Unit.Code)
			}
			b, _ := json.Marshal(got)
			for _, key := range []string{`"unit":{"code"`, `"rule":`, `"reasons":[`, `"unit_grid":{"code"`, `"management_grids":[`} {
				if !strings.Contains(string(b), key) {
					t.Fatalf("JSON lacks %s: %s", key, b)
				}
			}
		})
	}
}

type respCase struct {
	name      string
	p         orb.Point
	category  string
	component string
	rule      string
	unit      string
}

func TestRuleTablePriorityThenNarrowerScope(t *testing.T) {
	loc := &Location{District: AdminRef{Code: "320114"}, Street: AdminRef{Code: "320114001"}, Community: AdminRef{Code: "320114001001"},
		ManagementGrids: []ManagementGridRef{{Kind: "responsibility", Code: "R1"}}}
	tests := []struct {
		name  string
		rules []data.Rule
		want  int64
	}{
		{"a narrower scope wins at equal priority", []data.Rule{
			{ID: 1, Category: "X", Scope: data.ScopeCity, Unit: "A"},
			{ID: 2, Category: "X", Scope: data.ScopeCommunity, ScopeRef: "320114001001", Unit: "B"},
			{ID: 3, Category: "X", Scope: data.ScopeStreet, ScopeRef: "320114001", Unit: "C"},
		}, 2},
		{"a higher priority beats a narrower scope", []data.Rule{
			{ID: 1, Category: "X", Scope: data.ScopeCity, Unit: "A", Priority: 5},
			{ID: 2, Category: "X", Scope: data.ScopeManagementGrid, ScopeRef: "R1", Unit: "B"},
		}, 1},
		{"a management grid is the narrowest scope", []data.Rule{
			{ID: 1, Category: "X", Scope: data.ScopeCommunity, ScopeRef: "320114001001", Unit: "A"},
			{ID: 2, Category: "X", Scope: data.ScopeManagementGrid, ScopeRef: "R1", Unit: "B"},
		}, 2},
		{"a rule naming the category beats a catch-all of the same scope and priority", []data.Rule{
			{ID: 1, Category: "", Scope: data.ScopeStreet, ScopeRef: "320114001", Unit: "A"},
			{ID: 2, Category: "X", Scope: data.ScopeStreet, ScopeRef: "320114001", Unit: "B"},
		}, 2},
		{"rules for other places or categories do not apply", []data.Rule{
			{ID: 1, Category: "X", Scope: data.ScopeStreet, ScopeRef: "320114002", Unit: "A"},
			{ID: 2, Category: "Y", Scope: data.ScopeCity, Unit: "B"},
			{ID: 3, Category: "X", Scope: data.ScopeManagementGrid, ScopeRef: "R2", Unit: "C"},
		}, 0},
		{"a rule naming no unit is ignored", []data.Rule{
			{ID: 1, Category: "X", Scope: data.ScopeCity, Unit: "A"},
			{ID: 2, Category: "X", Scope: data.ScopeStreet, ScopeRef: "320114001", Unit: ""},
		}, 1},
		{"the lowest id breaks a full tie", []data.Rule{
			{ID: 7, Category: "X", Scope: data.ScopeCity, Unit: "A"},
			{ID: 4, Category: "X", Scope: data.ScopeCity, Unit: "B"},
		}, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix, err := Build(&data.Dataset{Rules: tc.rules})
			if err != nil {
				t.Fatal(err)
			}
			r := ix.matchRule(&data.Category{Kind: data.KindEvent, Code: "X"}, loc)
			var got int64
			if r != nil {
				got = r.ID
			}
			if got != tc.want {
				t.Fatalf("rule %d chosen, want %d", got, tc.want)
			}
		})
	}
}

func TestResponsibleRejectsBadInput(t *testing.T) {
	sc, ix := buildSynth(t, 2, 6, 6, 1)
	inside := orb.Point{sc.bound.Min[0] + 0.0021, sc.bound.Min[1] + 0.0021}
	comp := sc.ds.Components[0]
	tests := []struct {
		name, category, component, field string
		p                                orb.Point
	}{
		{"an unknown category is a validation error", "9999", "", "category", inside},
		{"a missing category is a validation error", "", "", "category", inside},
		{"an unknown component is a validation error", "0101", "3201140101999999", "component", inside},
		{"a component of another category is a validation error", "E0101", comp.Code, "component", inside},
		{"a latitude beyond 90 is a validation error", "E0101", "", "lat", orb.Point{118, 91}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ix.Responsible(tc.p, "", tc.category, tc.component)
			var ve *data.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("error %v, want a validation error on %s", err, tc.field)
			}
		})
	}
	if _, err := ix.Responsible(orb.Point{100, 20}, "", "E0101", ""); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("outside the city: %v, want not found", err)
	}
}

func TestBatchesMatchSingleLookups(t *testing.T) {
	sc, ix := buildSynth(t, 4, 20, 20, 1)
	r := rand.New(rand.NewPCG(1, 1))
	b := sc.bound.Pad(0.0005)
	pts := make([]orb.Point, 5000)
	qs := make([]ResponsibleQuery, len(pts))
	for i := range pts {
		pts[i] = orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
		qs[i] = ResponsibleQuery{Point: pts[i], Category: []string{"E0101", "0101", "0301"}[i%3]}
	}
	locs, err := ix.LocateBatch(pts)
	if err != nil {
		t.Fatal(err)
	}
	resps, err := ix.ResponsibleBatch(qs)
	if err != nil {
		t.Fatal(err)
	}
	outside := 0
	for i, p := range pts {
		want, werr := ix.Locate(p)
		if werr != nil {
			outside++
		}
		gotJSON, _ := json.Marshal(locs[i])
		wantJSON, _ := json.Marshal(want)
		if string(gotJSON) != string(wantJSON) {
			t.Fatalf("point %d: batch %s, single %s", i, gotJSON, wantJSON)
		}
		wr, rerr := ix.Responsible(p, "", qs[i].Category, "")
		if (rerr != nil) != (resps[i].Error != "") || wr.Unit != resps[i].Unit || wr.Rule != resps[i].Rule {
			t.Fatalf("case %d: batch %+v %q, single %+v %v", i, resps[i].Unit, resps[i].Error, wr.Unit, rerr)
		}
	}
	if outside == 0 || outside == len(pts) {
		t.Fatalf("test setup: %d of %d points outside", outside, len(pts))
	}
	_, err = ix.LocateBatch(append(pts[:10:10], orb.Point{200, 0}))
	var ve *data.ValidationError
	if !errors.As(err, &ve) || ve.Where != "point 10" {
		t.Fatalf("bad point: %v, want a validation error naming point 10", err)
	}
	if _, err := ix.LocateBatch(make([]orb.Point, MaxBatch+1)); !errors.As(err, &ve) {
		t.Fatalf("oversize batch: %v", err)
	}
	qs[7].Category = "nope"
	if _, err := ix.ResponsibleBatch(qs); !errors.As(err, &ve) || ve.Where != "case 7" {
		t.Fatalf("bad case: %v, want a validation error naming case 7", err)
	}
}

func TestLocationJSONHasTheAgreedShape(t *testing.T) {
	sc, ix := buildSynth(t, 2, 6, 6, 0)
	loc, err := ix.Locate(orb.Point{sc.bound.Min[0] + 0.0025, sc.bound.Min[1] + 0.0025})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(loc)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"unit_grid", "community", "street", "district"} {
		if sub, ok := m[k].(map[string]any); !ok || sub["code"] == "" {
			t.Fatalf("%s missing in %s", k, b)
		}
	}
	mg, ok := m["management_grids"].([]any)
	if !ok || len(mg) != 2 || mg[0].(map[string]any)["kind"] == nil {
		t.Fatalf("management_grids wrong in %s", b)
	}
	if m["crs"] != "EPSG:4490" {
		t.Fatalf("crs = %v", m["crs"])
	}
	out, _ := ix.Locate(orb.Point{100, 20})
	b, _ = json.Marshal(out)
	if strings.Contains(string(b), `"unit_grid"`) || !strings.Contains(string(b), `"nearest_unit_grid":{"code"`) || !strings.Contains(string(b), `"management_grids":[]`) {
		t.Fatalf("outside answer %s", b)
	}
}

func TestComponentsCanBeRemovedAndReinserted(t *testing.T) {
	sc, ix := buildSynth(t, 6, 6, 6, 2)
	c := sc.ds.Components[3]
	p := c.Geometry.(orb.Point)
	find := func() bool {
		res, _ := ix.Nearest(p, 1, 1, []string{c.Category})
		return res.Count == 1 && res.Components[0].Code == c.Code
	}
	if !find() {
		t.Fatal("component not found before removal")
	}
	if !ix.removeComponent(c.Code) || find() {
		t.Fatal("component still found after removal")
	}
	if _, ok := ix.Component(c.Code); ok {
		t.Fatal("code lookup still finds the removed component")
	}
	if err := ix.insertComponent(3); err != nil || !find() {
		t.Fatalf("reinsert: %v, found=%v", err, find())
	}
	if err := ix.insertComponent(3); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("duplicate insert: %v", err)
	}
}

func TestBuildRefusesDuplicateCodes(t *testing.T) {
	g := data.UnitGrid{Code: "320114001001001", Geometry: orb.MultiPolygon{{square(0, 0, 1, 1)}}}
	if _, err := Build(&data.Dataset{UnitGrids: []data.UnitGrid{g, g}}); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("duplicate unit grid: %v", err)
	}
	c := data.Component{Code: "3201140101000001", Category: "0101", Geometry: at(0, 0)}
	if _, err := Build(&data.Dataset{Components: []data.Component{c, c}}); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("duplicate component: %v", err)
	}
}

func TestNearestBreaksDistanceTiesByCode(t *testing.T) {
	p := at(0, 0)
	var comps []data.Component
	// Six components at one spot, inserted in descending code order, in
	// two categories; and one a little farther away.
	for _, code := range []string{"3201140101000009", "3201140101000007", "3201140201000005", "3201140101000003", "3201140201000002", "3201140101000004"} {
		comps = append(comps, data.Component{Code: code, Category: code[6:10], Geometry: at(1, 1)})
	}
	comps = append(comps, data.Component{Code: "3201140101000001", Category: "0101", Geometry: at(1.5, 1.5)})
	ix, err := Build(&data.Dataset{Components: comps, Categories: []data.Category{{Code: "0101"}, {Code: "0201"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cats []string
		want []string
	}{
		{"ties over all categories go to the lowest codes", nil, []string{"3201140101000003", "3201140101000004"}},
		{"ties within one category go to the lowest codes", []string{"0101"}, []string{"3201140101000003", "3201140101000004"}},
		{"ties across per-category walks go to the lowest codes", []string{"0201", "0101"}, []string{"3201140101000003", "3201140101000004"}},
		{"ties in the other category alone", []string{"0201"}, []string{"3201140201000002", "3201140201000005"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ix.Nearest(p, 2, 1000, tc.cats)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range res.Components {
				got = append(got, c.Code)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestResponsibleFindsTheNearestLiveComponentWithinTolerance(t *testing.T) {
	sc, ix := buildSynth(t, 13, 12, 10, 10)
	ds := sc.ds
	for i := range ds.Components {
		if i%7 == 0 {
			ds.Components[i].Status = data.StatusRemoved
		}
	}
	r := rand.New(rand.NewPCG(21, 22))
	found := 0
	for it := 0; it < 2000; it++ {
		p := orb.Point{sc.bound.Min[0] + r.Float64()*(sc.bound.Max[0]-sc.bound.Min[0]), sc.bound.Min[1] + r.Float64()*(sc.bound.Max[1]-sc.bound.Min[1])}
		cat := []string{"0101", "0109", "0201", "0301"}[it%4]
		radius := []float64{5, 15, 40}[it%3]
		want, wantD := "", math.Inf(1)
		for _, c := range ds.Components {
			if c.Category != cat || c.Status == data.StatusRemoved {
				continue
			}
			var d float64
			if pt, ok := c.Geometry.(orb.Point); ok {
				d = data.HaversineM(p, pt)
			} else {
				d = bruteLineDistance(p, c.Geometry.(orb.LineString))
			}
			if d <= radius && (d < wantD || d == wantD && c.Code < want) {
				want, wantD = c.Code, d
			}
		}
		got, ok := ix.nearestInRadius(cat, p, radius, isRemoved)
		if ok != (want != "") {
			// a line component exactly at the radius may differ by the
			// sampling error of the brute force
			if !(cat == "0301" && math.Abs(wantD-radius) < 0.1) {
				t.Fatalf("%v cat %s r %.0f: found=%v, brute force %q at %.3f", p, cat, radius, ok, want, wantD)
			}
			continue
		}
		if ok {
			found++
			if code := ds.Components[got.i].Code; code != want && math.Abs(got.d-wantD) > 0.05 {
				t.Fatalf("%v cat %s: %s at %.3f m, brute force %s at %.3f m", p, cat, code, got.d, want, wantD)
			}
		}
	}
	if found < 100 {
		t.Fatalf("test setup: only %d searches found a component", found)
	}
}

func TestToCRSConvertsAnswersWithoutTouchingTheDataset(t *testing.T) {
	sc, ix := buildSynth(t, 3, 6, 6, 3)
	p := sc.ds.Components[0].Geometry.(orb.Point)
	res, err := ix.Nearest(p, 3, 500, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := res.Components[0].Geometry.Geometry.(orb.Point)
	res.ToCRS(crs.GCJ02)
	if res.CRS != crs.GCJ02 || res.Components[0].Geometry.Geometry.(orb.Point) != crs.WGS84ToGCJ02(first) {
		t.Fatalf("answer not converted: %v %v", res.CRS, res.Components[0].Geometry)
	}
	if sc.ds.Components[0].Geometry.(orb.Point) != p {
		t.Fatal("converting the answer moved the component in the dataset")
	}
	loc, _ := ix.Locate(p)
	loc.ToCRS(crs.BD09)
	if loc.CRS != crs.BD09 || loc.Point != crs.WGS84ToBD09(p) {
		t.Fatalf("location not converted: %+v", loc)
	}
	b, _ := json.Marshal(res)
	if !strings.Contains(string(b), `"crs":"GCJ-02"`) || !strings.Contains(string(b), `"geometry":{"type":"Point"`) {
		t.Fatalf("JSON %s", b)
	}
}

// TestWithinStopsAtItsCountCap: a city-wide area holds more components
// than WithinCountCap; the search stops there and says so instead of
// visiting them all, and one category with fewer components than the cap
// is still counted exactly.
func TestWithinStopsAtItsCountCap(t *testing.T) {
	sc, ix := buildSynth(t, 7, 40, 40, 8)
	total, lamps := 0, 0
	for _, c := range sc.ds.Components {
		total++
		if c.Category == "0201" {
			lamps++
		}
	}
	if total <= WithinCountCap || lamps >= WithinCountCap {
		t.Fatalf("the synthetic city has %d components, %d lamps: want more than the cap of %d, lamps fewer", total, lamps, WithinCountCap)
	}
	res, err := ix.WithinBound(sc.bound, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !res.CountCapped || !res.Truncated || res.Count != WithinCountCap || len(res.Components) != 1 {
		t.Fatalf("whole city, limit 1: count %d of %d, capped %v, truncated %v, %d listed", res.Count, total, res.CountCapped, res.Truncated, len(res.Components))
	}
	res, err = ix.WithinBound(sc.bound, []string{"0201"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.CountCapped || res.Count != lamps || !res.Truncated || len(res.Components) != 0 {
		t.Fatalf("lamps: count %d of %d, capped %v", res.Count, lamps, res.CountCapped)
	}
}
