package data_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/gpkg/gpkgtest"
)

func TestValidateAcceptsTheSampleCity(t *testing.T) {
	if errs := data.Validate(gpkgtest.City(), nil); len(errs) > 0 {
		t.Fatalf("Validate(sample) = %v", errs)
	}
	// The sample's features added one layer at a time to a city holding
	// the rest are valid too.
	city := gpkgtest.City()
	batch := &data.Dataset{Components: city.Components}
	city.Components = nil
	if errs := data.Validate(batch, city); len(errs) > 0 {
		t.Fatalf("Validate(components into city) = %v", errs)
	}
}

func TestValidateFindsEachProblem(t *testing.T) {
	tests := []struct {
		name string
		// edit breaks the sample city; the whole city is validated alone.
		edit      func(ds *data.Dataset)
		wantWhere string
		wantField string
		wantIn    string // part of the reason
	}{
		{"a street under another district is refused", func(ds *data.Dataset) { ds.AdminUnits[1].Code = "320115001" },
			"admin_units[1]", "code", "parent"},
		{"a community whose street is unknown is refused", func(ds *data.Dataset) {
			ds.AdminUnits[2].Code, ds.AdminUnits[2].Parent = "320114002001", "320114002"
		}, "admin_units[2]", "parent", "unknown street"},
		{"an unknown admin level is refused", func(ds *data.Dataset) { ds.AdminUnits[0].Level = "province" },
			"admin_units[0]", "level", "unknown level"},
		{"a ring with three points is refused", func(ds *data.Dataset) {
			ds.AdminUnits[0].Geometry = orb.MultiPolygon{{{{118.7, 31.9}, {118.8, 31.9}, {118.7, 31.9}}}}
		}, "admin_units[0]", "geometry", "at least 4"},
		{"an open ring is refused", func(ds *data.Dataset) {
			ds.UnitGrids[0].Geometry = orb.MultiPolygon{{{{118.76, 31.99}, {118.77, 31.99}, {118.77, 32.0}, {118.76, 32.0}}}}
		}, "unit_grids[0]", "geometry", "not closed"},
		{"an open hole is refused", func(ds *data.Dataset) {
			h := ds.AdminUnits[2].Geometry[0][1]
			ds.AdminUnits[2].Geometry[0][1] = h[:len(h)-1].Clone()
			ds.AdminUnits[2].Geometry[0][1] = append(ds.AdminUnits[2].Geometry[0][1], orb.Point{118.786, 31.986})
		}, "admin_units[2]", "geometry", "hole 1 is not closed"},
		{"a unit grid in another community is refused", func(ds *data.Dataset) { ds.UnitGrids[1].Community = "320114001002" },
			"unit_grids[1]", "code", "does not start with its community"},
		{"a 14-digit unit grid code is asked to be widened", func(ds *data.Dataset) { ds.UnitGrids[0].Code = "32011400100101" },
			"unit_grids[0]", "code", `store it as "320114001001001"`},
		{"a unit grid with no area is refused", func(ds *data.Dataset) { ds.UnitGrids[0].AreaM2 = 0 },
			"unit_grids[0]", "area_m2", "positive"},
		{"a NaN area is refused", func(ds *data.Dataset) { ds.UnitGrids[0].AreaM2 = math.NaN() },
			"unit_grids[0]", "area_m2", "positive"},
		{"a unit grid given twice is refused", func(ds *data.Dataset) { ds.UnitGrids[1].Code = ds.UnitGrids[0].Code },
			"unit_grids[1]", "code", "given twice (also at unit_grids[0])"},
		{"a management grid of an unknown unit is refused", func(ds *data.Dataset) { ds.ManagementGrids[0].Unit = "D9999" },
			"management_grids[0]", "unit", `unknown department "D9999"`},
		{"a management grid without a kind is refused", func(ds *data.Dataset) { ds.ManagementGrids[1].Kind = "" },
			"management_grids[1]", "kind", "missing"},
		{"a 5-digit category under GB/T 30428.2 is refused", func(ds *data.Dataset) { ds.Categories[0].Code = "01010" },
			"categories[0]", "code", "must be 4 digits"},
		{"a category whose big class disagrees is refused", func(ds *data.Dataset) { ds.Categories[1].Big = "03" },
			"categories[1]", "big", "first two digits"},
		{"a component category without a geometry type is refused", func(ds *data.Dataset) { ds.Categories[0].Geometry = "" },
			"categories[0]", "geometry", "point, line or polygon"},
		{"a credit code with a wrong check character is refused", func(ds *data.Dataset) { ds.Departments[2].CreditCode = "91320100134887461H" },
			"departments[2]", "credit_code", "check character H, want L"},
		{"a department that is its own parent is refused", func(ds *data.Dataset) { ds.Departments[1].Parent = "D0002" },
			"departments[1]", "parent", "own parent"},
		{"a department name of 101 characters is refused", func(ds *data.Dataset) { ds.Departments[0].Name = strings.Repeat("部", 101) },
			"departments[0]", "name", "more than 100"},
		{"a name with a control character is refused", func(ds *data.Dataset) { ds.POIs[0].Name = "雨花\x00台" },
			"pois[0]", "name", "control character"},
		{"a name with invalid UTF-8 is refused", func(ds *data.Dataset) { ds.POIs[0].Name = "\xff\xfe" },
			"pois[0]", "name", "UTF-8"},
		{"a code with a space is refused", func(ds *data.Dataset) { ds.Roads[0].Code = "R 001" },
			"roads[0]", "code", "ASCII"},
		{"an unknown component category is refused", func(ds *data.Dataset) {
			ds.Components[0].Category, ds.Components[0].Code = "0199", "3201140199000001"
		}, "components[0]", "category", `unknown component category "0199"`},
		{"an event category does not serve a component", func(ds *data.Dataset) {
			ds.Categories[0].Code, ds.Categories[3].Code = "0102", "0101"
			ds.Categories[0].Name = "污水井盖"
		}, "components[0]", "category", `unknown component category "0101"`},
		{"a component code of another category is refused", func(ds *data.Dataset) { ds.Components[0].Code = "3201140213000002" },
			"components[0]", "code", "does not carry its category"},
		{"a component code of another county is refused", func(ds *data.Dataset) {
			ds.Components[0].Code = "3201150101000001"
		}, "components[0]", "code", "not a district of the city"},
		{"a point where the category wants a line is refused", func(ds *data.Dataset) { ds.Components[1].Geometry = orb.Point{118.775, 31.995} },
			"components[1]", "geometry", "surveyed as a line, not a Point"},
		{"a line where the category wants a point is refused", func(ds *data.Dataset) {
			ds.Components[0].Geometry = orb.LineString{{118.765, 31.995}, {118.766, 31.995}}
		}, "components[0]", "geometry", "surveyed as a point, not a LineString"},
		{"a longitude beyond 180 is refused", func(ds *data.Dataset) { ds.Components[0].Geometry = orb.Point{181, 31.995} },
			"components[0]", "geometry", "outside lon [-180, 180]"},
		{"a NaN latitude is refused", func(ds *data.Dataset) { ds.POIs[1].Point = orb.Point{118.76, math.NaN()} },
			"pois[1]", "geometry", "not a finite number"},
		{"an infinite coordinate in a line is refused", func(ds *data.Dataset) { ds.Roads[1].Geometry[1][0][0] = math.Inf(1) },
			"roads[1]", "geometry", "not a finite number"},
		{"a point outside its unit grid is refused", func(ds *data.Dataset) { ds.Components[0].Geometry = orb.Point{118.775, 31.995} },
			"components[0]", "unit_grid", "outside its unit grid 320114001001001"},
		{"an unknown unit grid is refused", func(ds *data.Dataset) { ds.Components[0].UnitGrid = "320114001001099" },
			"components[0]", "unit_grid", "unknown unit grid"},
		{"an unknown status is refused", func(ds *data.Dataset) { ds.Components[2].Status = "broken" },
			"components[2]", "status", `unknown status "broken"`},
		{"a missing status is refused", func(ds *data.Dataset) { ds.Components[2].Status = "" },
			"components[2]", "status", "missing"},
		{"an unknown competent department is refused", func(ds *data.Dataset) { ds.Components[1].Department = "D0404" },
			"components[1]", "department", "unknown department"},
		{"an unknown maintainer is refused", func(ds *data.Dataset) { ds.Components[0].Maintainer = "D0404" },
			"components[0]", "maintainer", "unknown department"},
		{"a change before the survey is refused", func(ds *data.Dataset) {
			ds.Components[0].ChangedAt = ds.Components[0].SurveyDate.Add(-48 * time.Hour)
		}, "components[0]", "changed_at", "before the survey date"},
		{"a component code given twice is refused", func(ds *data.Dataset) {
			c := ds.Components[0]
			ds.Components = append(ds.Components, c)
		}, "components[3]", "code", "given twice (also at components[0])"},
		{"a line with one point is refused", func(ds *data.Dataset) { ds.Components[1].Geometry = orb.LineString{{118.771, 31.991}} },
			"components[1]", "geometry", "at least 2 points"},
		{"an address on an unknown road is refused", func(ds *data.Dataset) { ds.Addresses[1].Road = "R404" },
			"addresses[1]", "road", `unknown road "R404"`},
		{"an address without a number is refused", func(ds *data.Dataset) { ds.Addresses[0].Number = "" },
			"addresses[0]", "number", "missing"},
		{"a rule on an unknown street is refused", func(ds *data.Dataset) { ds.Rules[1].ScopeRef = "320114009" },
			"rules[1]", "scope_ref", `unknown street "320114009"`},
		{"a city-wide rule with a reference is refused", func(ds *data.Dataset) { ds.Rules[0].ScopeRef = "320114" },
			"rules[0]", "scope_ref", "no scope reference"},
		{"a rule with an unknown scope is refused", func(ds *data.Dataset) { ds.Rules[0].Scope = "province" },
			"rules[0]", "scope", "unknown scope"},
		{"two rules with one id are refused", func(ds *data.Dataset) { ds.Rules[1].ID = 1 },
			"rules[1]", "id", "given twice"},
	}
	// The further errors that follow from the first: references to a
	// feature the edit made invalid.
	cascades := map[string]int{
		"a street under another district is refused":       3,
		"a community whose street is unknown is refused":   4,
		"a 14-digit unit grid code is asked to be widened": 2,
		"a unit grid given twice is refused":               2,
		"a 5-digit category under GB/T 30428.2 is refused": 1,
		"a code with a space is refused":                   2,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := gpkgtest.City()
			tt.edit(ds)
			errs := data.Validate(ds, nil)
			if len(errs) != 1+cascades[tt.name] {
				t.Fatalf("Validate = %d errors, want %d:\n%v", len(errs), 1+cascades[tt.name], joinErrs(errs))
			}
			e := errs[0]
			if e.Where != tt.wantWhere || e.Field != tt.wantField || !strings.Contains(e.Reason, tt.wantIn) {
				t.Fatalf("Validate = %q, want %s: %s: …%s…", e, tt.wantWhere, tt.wantField, tt.wantIn)
			}
		})
	}
}

func joinErrs(errs data.ValidationErrors) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error() + "\n")
	}
	return b.String()
}

func TestValidateAgainstTheStoredCity(t *testing.T) {
	city := gpkgtest.City()
	tests := []struct {
		name      string
		batch     *data.Dataset
		wantField string
		wantIn    string
	}{
		{"a component code already in the city is refused",
			&data.Dataset{Components: city.Components[:1]}, "code", "already stored"},
		{"a component outside the city's extent is refused", &data.Dataset{Components: []data.Component{func() data.Component {
			c := city.Components[0]
			c.Code, c.UnitGrid, c.Geometry = "3201140101000050", "", orb.Point{118.95, 31.99}
			return c
		}()}}, "geometry", "outside the city's extent"},
		{"a community already in the city is refused",
			&data.Dataset{AdminUnits: city.AdminUnits[2:3]}, "code", "already stored"},
		{"a management grid code is unique per kind only, so the same code of a new kind passes", &data.Dataset{ManagementGrids: []data.ManagementGrid{func() data.ManagementGrid {
			g := city.ManagementGrids[0]
			g.Kind = "sanitation"
			return g
		}()}}, "", ""},
		{"a category of another scheme with the same code passes", &data.Dataset{Categories: []data.Category{{
			Scheme: data.SchemeGBT47678, Kind: data.KindComponent, Code: "01001", Name: "上水井盖", Big: "01", Geometry: data.GeomPoint,
		}}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := data.ValidateWhere(tt.batch, city, func(layer string, i int) string { return "feature " + string(rune('1'+i)) })
			if tt.wantField == "" {
				if len(errs) > 0 {
					t.Fatalf("Validate = %v, want none", joinErrs(errs))
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != tt.wantField || !strings.Contains(errs[0].Reason, tt.wantIn) || errs[0].Where != "feature 1" {
				t.Fatalf("Validate = %v, want feature 1: %s: …%s…", joinErrs(errs), tt.wantField, tt.wantIn)
			}
		})
	}
}

func TestCheckCreditCode(t *testing.T) {
	tests := []struct {
		name, code string
		ok         bool
	}{
		{"a company code with a valid check character passes", "91320100134887461L", true},
		{"a public institution code passes", "12320114MB0000000Q", true},
		{"a wrong check character is refused", "91320100134887461H", false},
		{"the letter O is refused", "9132010013488746OL", false},
		{"17 characters are refused", "91320100134887461", false},
		{"lower case is refused", "91320100134887461l", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := data.CheckCreditCode(tt.code); (err == nil) != tt.ok {
				t.Fatalf("CheckCreditCode(%q) = %v, want ok=%v", tt.code, err, tt.ok)
			}
		})
	}
}

func TestTheExtentAllowsReprojectionNoiseAndGrowsWithDistricts(t *testing.T) {
	square := func(x0, y0, x1, y1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
	}
	city := &data.Dataset{AdminUnits: []data.AdminUnit{{Level: data.LevelDistrict, Code: "420102", Name: "江岸区", Parent: "4201", Geometry: square(114.8828125, 30.5, 114.9, 30.6)}}}
	street := func(west float64) *data.Dataset {
		return &data.Dataset{AdminUnits: []data.AdminUnit{{Level: data.LevelStreet, Code: "420102001", Name: "大智街道", Parent: "420102", Geometry: square(west, 30.5, 114.89, 30.55)}}}
	}
	if errs := data.Validate(street(114.88281249999999), city); len(errs) > 0 {
		t.Errorf("a vertex 1e-14° west of the district: %v", errs)
	}
	if errs := data.Validate(street(114.8828125-0.9*data.ExtentTolerance), city); len(errs) > 0 {
		t.Errorf("a vertex 0.9 tolerances west of the district: %v", errs)
	}
	errs := data.Validate(street(114.8828125-2*data.ExtentTolerance), city)
	if len(errs) != 1 || !strings.Contains(errs[0].Reason, "lies 0.2 m outside the city's extent") {
		t.Errorf("a vertex 2e-6° west of the district: %v, want it 0.2 m outside", errs)
	}
	// Another district beside the stored one extends the city.
	next := &data.Dataset{AdminUnits: []data.AdminUnit{{Level: data.LevelDistrict, Code: "420103", Name: "江汉区", Parent: "4201", Geometry: square(114.8, 30.5, 114.8828125, 30.6)}}}
	if errs := data.Validate(next, city); len(errs) > 0 {
		t.Errorf("a neighbouring district: %v", errs)
	}
}

func TestAnEditedPolygonMustBeValid(t *testing.T) {
	city := gpkgtest.City()
	g := city.UnitGrids[0]
	g.Code = g.Code[:12] + "999"
	b := g.Geometry.Bound()
	// The grid's bounds drawn as a bow tie: its two edges cross mid-grid.
	g.Geometry = orb.MultiPolygon{{{b.Min, b.Max, {b.Max[0], b.Min[1]}, {b.Min[0], b.Max[1]}, b.Min}}}
	errs := data.Validate(&data.Dataset{UnitGrids: []data.UnitGrid{g}}, city)
	if len(errs) != 1 || errs[0].Field != "geometry" || !strings.Contains(errs[0].Reason, "is not a valid polygon: self-intersection") {
		t.Errorf("Validate(bow tie) = %v", errs)
	}
	g.Geometry = orb.MultiPolygon{{{b.Min, {b.Center()[0], b.Min[1]}, {b.Max[0], b.Min[1]}, b.Min}}}
	errs = data.Validate(&data.Dataset{UnitGrids: []data.UnitGrid{g}}, city)
	if len(errs) == 0 || !strings.Contains(errs[0].Reason, "zero area") {
		t.Errorf("Validate(sliver) = %v", errs)
	}
}
