package api

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"citygrid/api/city"
	"citygrid/api/internal/testcity"
	"citygrid/data"
	"citygrid/spatial"

	"github.com/paulmach/orb"
)

func num(v any, path string) float64 {
	f, _ := strconv.ParseFloat(str(v, path), 64)
	return f
}

func TestResponsible(t *testing.T) {
	a := newAPITest(t)
	tests := []struct {
		name, query      string
		unit, rule, comp string
	}{
		{"a lamp case at a surveyed lamp goes to the lamp's maintainer",
			"lon=118.7150&lat=31.9150&category=0201", "D-LIGHT", "component_maintainer", "3201140201000002"},
		{"a lamp case with no lamp nearby follows the street rule",
			"lon=118.735&lat=31.915&category=0201", "D-STREET", "rule_table", ""},
		{"a cover case at a surveyed cover goes to its maintainer, a property company",
			"lon=118.7050&lat=31.9100&category=0101", "D-OWNER", "component_maintainer", "3201140101000001"},
		{"a cover case with no cover nearby and no rule goes to the competent department",
			"lon=118.735&lat=31.915&category=0101", "D-WATER", "category_department", ""},
		{"a case naming a component needs no point",
			"component=3201140101000002", "D-WATER", "component_maintainer", "3201140101000002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, v := a.do("GET", "/api/v1/responsible", "/api/v1/responsible?"+tt.query, "")
			if code != http.StatusOK {
				t.Fatalf("status %d: %v", code, v)
			}
			if str(v, "unit.code") != tt.unit || str(v, "rule") != tt.rule {
				t.Errorf("unit %s rule %s, want %s %s", str(v, "unit.code"), str(v, "rule"), tt.unit, tt.rule)
			}
			if str(v, "component.code") != tt.comp {
				t.Errorf("component %q, want %q", str(v, "component.code"), tt.comp)
			}
			reasons, _ := v["reasons"].([]any)
			if len(reasons) == 0 || str(reasons[len(reasons)-1], "rule") != tt.rule {
				t.Errorf("the last reason should be the deciding rule %s: %v", tt.rule, reasons)
			}
		})
	}
}

func TestResponsibleRejectsBadInput(t *testing.T) {
	a := newAPITest(t)
	tests := []struct {
		name, query string
		status      int
		field       string
	}{
		{"an unknown category is 400", "lon=118.705&lat=31.91&category=9999", 400, "category"},
		{"a missing category is 400", "lon=118.705&lat=31.91", 400, "category"},
		{"an unknown component is 400", "component=3201149999000001", 400, "component"},
		{"a component of another category is 400", "lon=118.705&lat=31.91&category=0201&component=3201140101000001", 400, "component"},
		{"a missing lat is 400", "lon=118.705&category=0101", 400, "lat"},
		{"a point outside the city is 404", "lon=118.80&lat=31.91&category=0101", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, v := a.do("GET", "/api/v1/responsible", "/api/v1/responsible?"+tt.query, "")
			if code != tt.status || str(v, "field") != tt.field {
				t.Errorf("status %d field %q, want %d %q: %v", code, str(v, "field"), tt.status, tt.field, v)
			}
		})
	}
}

func TestNearest(t *testing.T) {
	a := newAPITest(t)
	// At 31.91°N 0.0001° is about 9.45 m east-west and 11.09 m north-south,
	// so the lamp at (+0.0001, +0.0001) is about 14.6 m away and the cover
	// at +0.001° east about 94.5 m.
	tests := []struct {
		name, query string
		want        []string
		dists       []float64
	}{
		{"the two nearest of any category", "lon=118.7050&lat=31.9100&k=2",
			[]string{"3201140101000001", "3201140201000001"}, []float64{0, 14.6}},
		{"the two nearest covers", "lon=118.7050&lat=31.9100&k=2&category=0101",
			[]string{"3201140101000001", "3201140101000002"}, []float64{0, 94.5}},
		{"a 50 m radius keeps only the close cover", "lon=118.7050&lat=31.9100&k=5&radius=50&category=0101",
			[]string{"3201140101000001"}, []float64{0}},
		{"nothing within 1 m of an empty spot", "lon=118.735&lat=31.915&radius=1", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, v := a.do("GET", "/api/v1/nearest", "/api/v1/nearest?"+tt.query, "")
			if code != http.StatusOK {
				t.Fatalf("status %d: %v", code, v)
			}
			comps, _ := v["components"].([]any)
			var got []string
			for i, c := range comps {
				got = append(got, str(c, "code"))
				if i < len(tt.dists) && math.Abs(num(c, "distance_m")-tt.dists[i]) > 0.3 {
					t.Errorf("%s at %.2f m, want about %.1f m", str(c, "code"), num(c, "distance_m"), tt.dists[i])
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || int(num(v, "count")) != len(tt.want) {
				t.Errorf("got %v (count %v), want %v", got, v["count"], tt.want)
			}
		})
	}
	for _, bad := range []struct{ query, field string }{
		{"lon=118.705&lat=31.91&k=0", "k"},
		{"lon=118.705&lat=31.91&k=ten", "k"},
		{"lon=118.705&lat=31.91&radius=-5", "radius"},
		{"lon=118.705&lat=31.91&radius=1e9", "radius"},
		{"lon=118.705&lat=31.91&category=7777", "category"},
	} {
		code, v := a.do("GET", "/api/v1/nearest", "/api/v1/nearest?"+bad.query, "")
		if code != http.StatusBadRequest || str(v, "field") != bad.field {
			t.Errorf("%s: status %d field %q, want 400 naming %s", bad.query, code, str(v, "field"), bad.field)
		}
	}
}

func TestWithin(t *testing.T) {
	a := newAPITest(t)
	polyA2 := `{"type":"Polygon","coordinates":[[[118.71,31.90],[118.72,31.90],[118.72,31.92],[118.71,31.92],[118.71,31.90]]]}`
	tests := []struct {
		name, method, query, body string
		count                     int
		counts                    string
		listed                    int
		truncated                 bool
	}{
		{"grid A1's box holds two covers and a lamp", "GET", "bbox=118.70,31.90,118.71,31.92", "", 3, "0101:2 0201:1", 3, false},
		{"a limit lists fewer but counts all", "GET", "bbox=118.70,31.90,118.71,31.92&limit=1", "", 3, "0101:2 0201:1", 1, true},
		{"a category filter counts one category", "GET", "bbox=118.70,31.90,118.71,31.92&category=0201", "", 1, "0201:1", 1, false},
		{"grid A2's polygon holds one lamp", "POST", "", polyA2, 1, "0201:1", 1, false},
		{"a Feature wrapping the polygon works the same", "POST", "", `{"type":"Feature","properties":{},"geometry":` + polyA2 + `}`, 1, "0201:1", 1, false},
		{"a MultiPolygon of A2 and B1 holds a lamp and a cover", "POST", "",
			`{"type":"MultiPolygon","coordinates":[[[[118.71,31.90],[118.72,31.90],[118.72,31.92],[118.71,31.92],[118.71,31.90]]],[[[118.725,31.90],[118.74,31.90],[118.74,31.92],[118.725,31.92],[118.725,31.90]]]]}`,
			2, "0101:1 0201:1", 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, v := a.do(tt.method, "/api/v1/within", "/api/v1/within?"+tt.query, tt.body)
			if code != http.StatusOK {
				t.Fatalf("status %d: %v", code, v)
			}
			var counts []string
			for _, cat := range []string{testcity.Cover, testcity.Lamp} {
				if n, ok := v["counts"].(map[string]any)[cat]; ok {
					counts = append(counts, fmt.Sprintf("%s:%v", cat, n))
				}
			}
			comps, _ := v["components"].([]any)
			if int(num(v, "count")) != tt.count || strings.Join(counts, " ") != tt.counts ||
				len(comps) != tt.listed || v["truncated"] != tt.truncated {
				t.Errorf("count %v counts %v listed %d truncated %v; want %d %s %d %v",
					v["count"], counts, len(comps), v["truncated"], tt.count, tt.counts, tt.listed, tt.truncated)
			}
		})
	}
	for _, bad := range []struct{ name, method, query, body, field string }{
		{"a three-number bbox", "GET", "bbox=1,2,3", "", "bbox"},
		{"a bbox with min above max", "GET", "bbox=118.72,31.90,118.71,31.92", "", "bbox"},
		{"a bbox beyond the pole", "GET", "bbox=118,89,119,91", "", "bbox"},
		{"a missing bbox", "GET", "", "", "bbox"},
		{"a limit above the cap", "GET", "bbox=118.70,31.90,118.71,31.92&limit=100000", "", "limit"},
		{"a point instead of a polygon", "POST", "", `{"type":"Point","coordinates":[118.7,31.9]}`, "type"},
		{"malformed JSON", "POST", "", `{"type":"Polygon","coordinates":[[[118.7,`, "body"},
		{"an open ring", "POST", "", `{"type":"Polygon","coordinates":[[[118.70,31.90],[118.71,31.90],[118.71,31.92]]]}`, "polygon"},
		{"an empty body", "POST", "", ``, "body"},
	} {
		t.Run("400 for "+bad.name, func(t *testing.T) {
			code, v := a.do(bad.method, "/api/v1/within", "/api/v1/within?"+bad.query, bad.body)
			if code != http.StatusBadRequest || str(v, "field") != bad.field {
				t.Errorf("status %d field %q, want 400 naming %s: %v", code, str(v, "field"), bad.field, v)
			}
		})
	}
}

func TestLocateBatch(t *testing.T) {
	a := newAPITest(t)
	code, v := a.do("POST", "/api/v1/locate/batch", "/api/v1/locate/batch",
		`{"points": [[118.705, 31.91], [118.715,31.91] ,[118.75,31.91]], "crs": "wgs84"}`)
	if code != http.StatusOK {
		t.Fatalf("status %d: %v", code, v)
	}
	res := v["results"].([]any)
	if len(res) != 3 || num(v, "count") != 3 || num(v, "covered") != 2 || str(v, "crs") != "EPSG:4326" {
		t.Fatalf("answer %v", v)
	}
	if str(res[0], "unit_grid.code") != testcity.GridA1 || str(res[1], "unit_grid.code") != testcity.GridA2 ||
		str(res[1], "street.code") != testcity.Street || res[2].(map[string]any)["covered"] != false ||
		str(res[2], "nearest_unit_grid.code") != testcity.GridB1 {
		t.Errorf("results %v", res)
	}

	for _, bad := range []struct{ name, body, field string }{
		{"malformed JSON", `{"points": [[118.7, 31.9]`, "body"},
		{"no points member", `{"crs":"wgs84"}`, "points"},
		{"an unknown member", `{"points":[],"pionts":[]}`, "pionts"},
		{"a point with three numbers", `{"points":[[118.7,31.9,5]]}`, "points[0]"},
		{"a point with one number", `{"points":[[118.7]]}`, "points[0]"},
		{"a string coordinate", `{"points":[[118.7,31.9],["118.7",31.9]]}`, "points[1]"},
		{"a latitude beyond the pole", `{"points":[[118.7,31.9],[118.7,95]]}`, "points[1]"},
		{"an unknown crs", `{"crs":"mars","points":[[118.7,31.9]]}`, "crs"},
		{"trailing data", `{"points":[]} []`, "body"},
		{"more points than the cap", `{"points":[` + strings.Repeat("[118.7,31.9],", 1000) + `[118.7,31.9]]}`, "points"},
	} {
		t.Run("400 for "+bad.name, func(t *testing.T) {
			code, v := a.do("POST", "/api/v1/locate/batch", "/api/v1/locate/batch", bad.body)
			if code != http.StatusBadRequest || str(v, "field") != bad.field {
				t.Errorf("status %d field %q, want 400 naming %s: %v", code, str(v, "field"), bad.field, v)
			}
		})
	}
}

func TestLocateBatchAgreesWithSingleLocates(t *testing.T) {
	a := newAPITest(t)
	rng := rand.New(rand.NewPCG(3, 4))
	var pts [][2]float64
	for range 700 {
		// Some points fall outside the city, some on grid edges.
		lon := 118.695 + rng.Float64()*0.05
		if rng.IntN(10) == 0 {
			lon = 118.71
		}
		pts = append(pts, [2]float64{lon, 31.895 + rng.Float64()*0.03})
	}
	body, _ := json.Marshal(map[string]any{"points": pts, "crs": "gcj02"})
	code, v := a.do("POST", "/api/v1/locate/batch", "/api/v1/locate/batch", string(body))
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	res := v["results"].([]any)
	if len(res) != len(pts) {
		t.Fatalf("%d results for %d points", len(res), len(pts))
	}
	for i, p := range pts {
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, httptest.NewRequest("GET", fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v&crs=gcj02", p[0], p[1]), nil))
		var single map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &single)
		for _, k := range []string{"unit_grid.code", "community.code", "street.code", "district.code", "nearest_unit_grid.code"} {
			if str(single, k) != str(res[i], k) {
				t.Fatalf("point %d %v: batch %s=%q, single %q", i, p, k, str(res[i], k), str(single, k))
			}
		}
		if (rec.Code == http.StatusOK) != res[i].(map[string]any)["covered"].(bool) {
			t.Fatalf("point %d: single status %d, batch covered %v", i, rec.Code, res[i].(map[string]any)["covered"])
		}
	}
}

func TestResponsibleBatch(t *testing.T) {
	a := newAPITest(t)
	code, v := a.do("POST", "/api/v1/responsible/batch", "/api/v1/responsible/batch", `{"crs":"wgs84","cases":[
		{"point":[118.7150,31.9150],"category":"0201"},
		{"point":[118.735,31.915],"category":"0101"},
		{"component":"3201140101000002"},
		{"point":[118.80,31.91],"category":"0101"}]}`)
	if code != http.StatusOK {
		t.Fatalf("status %d: %v", code, v)
	}
	res := v["results"].([]any)
	want := []struct{ unit, rule string }{
		{"D-LIGHT", "component_maintainer"}, {"D-WATER", "category_department"}, {"D-WATER", "component_maintainer"}, {"", ""},
	}
	if len(res) != len(want) || str(v, "crs") != "EPSG:4326" {
		t.Fatalf("answer %v", v)
	}
	for i, w := range want {
		if str(res[i], "unit.code") != w.unit || str(res[i], "rule") != w.rule {
			t.Errorf("case %d: unit %q rule %q, want %q %q", i, str(res[i], "unit.code"), str(res[i], "rule"), w.unit, w.rule)
		}
	}
	if str(res[3], "error") == "" || str(res[3], "location.nearest_unit_grid.code") != testcity.GridB1 {
		t.Errorf("the case outside the city should carry an error and its nearest grid: %v", res[3])
	}
	for _, bad := range []struct{ name, body, field string }{
		{"an unknown category", `{"cases":[{"point":[118.705,31.91],"category":"0101"},{"point":[118.705,31.91],"category":"9999"}]}`, "category"},
		{"a latitude beyond the pole", `{"cases":[{"point":[118.705,91],"category":"0101"}]}`, "cases[0].point"},
		{"no cases", `{"cases":[]}`, "cases"},
		{"a wrongly typed member", `{"cases":{"point":1}}`, "cases"},
		{"more cases than the cap", `{"cases":[` + strings.Repeat(`{"category":"0101"},`, 1000) + `{"category":"0101"}]}`, "cases"},
	} {
		t.Run("400 for "+bad.name, func(t *testing.T) {
			code, v := a.do("POST", "/api/v1/responsible/batch", "/api/v1/responsible/batch", bad.body)
			if code != http.StatusBadRequest || str(v, "field") != bad.field {
				t.Errorf("status %d field %q, want 400 naming %s: %v", code, str(v, "field"), bad.field, v)
			}
		})
	}
}

// TestGeocode runs the endpoints through the whole server against the
// shared test city, checking answers against the OpenAPI document.
func TestGeocode(t *testing.T) {
	a := newAPITest(t)
	code, v := a.do("GET", "/api/v1/geocode", "/api/v1/geocode?q="+url.QueryEscape("软件大道3号"), "")
	if code != http.StatusOK {
		t.Fatalf("status %d: %v", code, v)
	}
	res, _ := v["results"].([]any)
	if len(res) == 0 || str(res[0], "code") != "320114A0000003" || str(res[0], "level") != "door_plate" || str(res[0], "unit_grid") != testcity.GridA2 {
		t.Fatalf("first result %v, want door plate 3 in grid A2", res)
	}
	if str(v, "crs") != "EPSG:4490" || str(v, "query") != "软件大道3号" {
		t.Errorf("crs %q query %q", str(v, "crs"), str(v, "query"))
	}

	code, v = a.do("GET", "/api/v1/geocode/suggest", "/api/v1/geocode/suggest?q="+url.QueryEscape("软件"), "")
	if code != http.StatusOK {
		t.Fatalf("suggest: status %d: %v", code, v)
	}
	var labels []string
	for _, r := range v["results"].([]any) {
		labels = append(labels, str(r, "label"))
	}
	if !strings.Contains(strings.Join(labels, " "), "软件大道") {
		t.Errorf("suggest 软件 gave %v, want 软件大道 among them", labels)
	}

	code, v = a.do("GET", "/api/v1/geocode/reverse", "/api/v1/geocode/reverse?lon=118.7051&lat=31.9103", "")
	if code != http.StatusOK {
		t.Fatalf("reverse: status %d: %v", code, v)
	}
	res, _ = v["results"].([]any)
	if len(res) == 0 || str(res[0], "code") != "320114A0000001" {
		t.Errorf("reverse results %v, want door plate 1 first", res)
	}
	if str(v, "location.unit_grid.code") != testcity.GridA1 || !strings.Contains(str(v, "description"), "软件大道1号") {
		t.Errorf("reverse location %q description %q", str(v, "location.unit_grid.code"), str(v, "description"))
	}

	for _, bad := range []struct{ route, query, field string }{
		{"/api/v1/geocode", "", "q"},
		{"/api/v1/geocode", "q=%E8%BD%AF&limit=0", "limit"},
		{"/api/v1/geocode/suggest", "q=%20", "q"},
		{"/api/v1/geocode/reverse", "lon=118.7", "lat"},
	} {
		code, v := a.do("GET", bad.route, bad.route+"?"+bad.query, "")
		if code != http.StatusBadRequest || str(v, "field") != bad.field {
			t.Errorf("%s?%s: status %d field %q, want 400 naming %s", bad.route, bad.query, code, str(v, "field"), bad.field)
		}
	}
}

// newCityAPITest serves ds, not the shared test city, checking answers
// against the OpenAPI document.
func newCityAPITest(t *testing.T, ds *data.Dataset) *apiTest {
	t.Helper()
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newServer(t, city.Config{Index: ix}, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	doc := loadOpenAPI(t)
	return &apiTest{t: t, h: h, doc: doc, ops: doc.operations(t)}
}

// TestGeocodeACrossingAnswersAsDocumented serves the test city with a
// second road, 翠竹路 along lon 118.716, crossing 软件大道 at (118.716,
// 31.91) in 甲社区, and checks a crossing query, a suggestion and a
// reverse answer against the OpenAPI document: level intersection,
// precision on every result, matched and ignored parts.
func TestGeocodeACrossingAnswersAsDocumented(t *testing.T) {
	ds := testcity.New()
	ds.Roads = append(ds.Roads, data.Road{Code: "320114L0002", Name: "翠竹路", District: testcity.District,
		Geometry: orb.MultiLineString{{{118.716, 31.90}, {118.716, 31.92}}}})
	a := newCityAPITest(t, ds)

	code, v := a.do("GET", "/api/v1/geocode", "/api/v1/geocode?q="+url.QueryEscape("乙社区软件大道与翠竹路交叉口附近"), "")
	res, _ := v["results"].([]any)
	if code != http.StatusOK || len(res) == 0 {
		t.Fatalf("status %d: %v", code, v)
	}
	first := res[0]
	if str(first, "level") != "intersection" || str(first, "precision") != "intersection" ||
		str(first, "code") != "320114L0001&320114L0002" || str(first, "label") != "软件大道与翠竹路交叉口" {
		t.Fatalf("first result %v, want the intersection of 320114L0001 and 320114L0002", first)
	}
	if p := first.(map[string]any)["geometry"].(map[string]any)["coordinates"].([]any); math.Abs(p[0].(float64)-118.716) > 1e-6 || math.Abs(p[1].(float64)-31.91) > 1e-6 {
		t.Errorf("crossing at %v, want (118.716, 31.91)", p)
	}
	parts := func(key string) map[string]string {
		out := map[string]string{}
		list, _ := first.(map[string]any)[key].([]any)
		for _, p := range list {
			out[str(p, "text")] = str(p, "role")
		}
		return out
	}
	m, ign := parts("matched"), parts("ignored")
	if m["软件大道"] != "road" || m["翠竹路"] != "road" || m["与"] != "connector" || m["交叉口附近"] != "position" {
		t.Errorf("matched %v, want both roads, the connector and the position word", m)
	}
	// The crossing lies in 甲社区, so the 乙社区 of the query is ranked,
	// not trusted, and said to be ignored.
	if len(ign) != 1 || ign["乙社区"] != "community" || str(first, "community") != testcity.CommunityA {
		t.Errorf("ignored %v in community %s, want 乙社区 ignored in %s", ign, str(first, "community"), testcity.CommunityA)
	}
	for _, r := range res {
		if str(r, "precision") == "" {
			t.Errorf("result without precision: %v", r)
		}
	}

	code, v = a.do("GET", "/api/v1/geocode/suggest", "/api/v1/geocode/suggest?q=cuizhu", "")
	if res, _ := v["results"].([]any); code != http.StatusOK || len(res) == 0 || str(res[0], "code") != "320114L0002" || str(res[0], "precision") != "road" {
		t.Errorf("suggest cuizhu: %d %v, want 翠竹路 with precision road", code, v)
	}
	code, v = a.do("GET", "/api/v1/geocode/reverse", "/api/v1/geocode/reverse?lon=118.7161&lat=31.9150", "")
	if res, _ := v["results"].([]any); code != http.StatusOK || len(res) == 0 || str(res[0], "precision") == "" {
		t.Errorf("reverse: %d %v, want results with precision", code, v)
	}
}

// TestReadyzListsOverlappingPolygonsWithoutGoingUnready: a city whose
// responsibility grids overlap (twelve drawn over each other: 66 pairs)
// is ready, and /readyz counts the pairs and lists the first ten; the
// test city, which has none, answers a count of 0. Both answers are
// checked against the OpenAPI document.
func TestReadyzListsOverlappingPolygonsWithoutGoingUnready(t *testing.T) {
	ready := func(ds *data.Dataset) map[string]any {
		t.Helper()
		code, v := newCityAPITest(t, ds).do("GET", "/readyz", "/readyz", "")
		if code != http.StatusOK || str(v, "status") != "ok" {
			t.Fatalf("/readyz: %d %v, want 200 ok", code, v)
		}
		return v
	}
	if v := ready(testcity.New()); num(v, "overlaps.count") != 0 {
		t.Errorf("the test city: %v, want no overlaps", v["overlaps"])
	}
	v := ready(testcity.WithOverlappingGrids(12))
	first, _ := v["overlaps"].(map[string]any)["first"].([]any)
	if num(v, "overlaps.count") != 66 || len(first) != 10 {
		t.Fatalf("overlaps %v, want count 66 and the first 10 pairs", v["overlaps"])
	}
	seen := map[string]bool{}
	for _, p := range first {
		a, b := str(p, "a"), str(p, "b")
		if str(p, "layer") != "management:responsibility" || !(a < b) || !strings.HasPrefix(a, "R") || seen[a+b] {
			t.Errorf("pair %v: want two distinct responsibility grids, lower code first", p)
		}
		seen[a+b] = true
	}
}
