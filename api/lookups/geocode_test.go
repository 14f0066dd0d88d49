package lookups

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"citygrid/api/city"
	"citygrid/api/internal/testcity"
	"citygrid/data"
	"citygrid/spatial"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
)

// geocodeCity is one community of one street with one unit grid, 软件大道
// along lat 31.91 with plates 1 and 3 (north side, lon 118.705 and
// 118.715) and 2 (south side), 翠竹路 along lon 118.72 crossing it at
// (118.72, 31.91), and the landmark 雨花客厅.
func geocodeCity() *data.Dataset {
	whole := testcity.Box(118.70, 31.90, 118.74, 31.92)
	return &data.Dataset{
		AdminUnits: []data.AdminUnit{
			{Level: data.LevelDistrict, Code: "320114", Name: "雨花台区", Parent: "3201", Geometry: whole},
			{Level: data.LevelStreet, Code: "320114001", Name: "雨花街道", Parent: "320114", Geometry: whole},
			{Level: data.LevelCommunity, Code: "320114001002", Name: "丁墙社区居委会", Parent: "320114001", Geometry: whole},
		},
		UnitGrids: []data.UnitGrid{{Code: "320114001002001", Community: "320114001002", Geometry: whole, AreaM2: 1}},
		Roads: []data.Road{
			{Code: "320114L0001", Name: "软件大道", District: "320114", Geometry: orb.MultiLineString{{{118.70, 31.91}, {118.74, 31.91}}}},
			{Code: "320114L0002", Name: "翠竹路", District: "320114", Geometry: orb.MultiLineString{{{118.72, 31.90}, {118.72, 31.92}}}},
		},
		Addresses: []data.Address{
			{Code: "A1", Road: "320114L0001", Number: "1", FullAddress: "雨花台区雨花街道软件大道1号", Community: "320114001002", Point: orb.Point{118.705, 31.9102}},
			{Code: "A3", Road: "320114L0001", Number: "3", FullAddress: "雨花台区雨花街道软件大道3号", Community: "320114001002", Point: orb.Point{118.715, 31.9102}},
			{Code: "A2", Road: "320114L0001", Number: "2", FullAddress: "雨花台区雨花街道软件大道2号", Community: "320114001002", Point: orb.Point{118.71, 31.9098}},
		},
		POIs: []data.POI{{Code: "P1", Name: "雨花客厅", Kind: "mall", Landmark: true, Point: orb.Point{118.73, 31.915}}},
	}
}

func geocodeRouter(t *testing.T) http.Handler {
	t.Helper()
	ix, err := spatial.Build(geocodeCity())
	if err != nil {
		t.Fatal(err)
	}
	geo, err := city.NewGeocoder(ix)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	(&geocodeService{geo: geo}).mount(r)
	return r
}

type geoAnswer struct {
	CRS     string `json:"crs"`
	Count   int    `json:"count"`
	Results []struct {
		Label    string  `json:"label"`
		Score    float64 `json:"score"`
		Level    string  `json:"level"`
		Code     string  `json:"code"`
		UnitGrid string  `json:"unit_grid"`
		Geometry struct {
			Type        string     `json:"type"`
			Coordinates [2]float64 `json:"coordinates"`
		} `json:"geometry"`
		DistanceM *float64  `json:"distance_m"`
		Precision string    `json:"precision"`
		Matched   []geoPart `json:"matched"`
		Ignored   []geoPart `json:"ignored"`
	} `json:"results"`
	Description string `json:"description"`
	Location    *struct {
		UnitGrid struct {
			Code string `json:"code"`
		} `json:"unit_grid"`
	} `json:"location"`
	Error string `json:"error"`
	Field string `json:"field"`
}

// geoPart is a matched or ignored part of a forward query.
type geoPart struct {
	Text string `json:"text"`
	Role string `json:"role"`
	Note string `json:"note"`
}

func getGeo(t *testing.T, h http.Handler, target string) (int, geoAnswer) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	var a geoAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("GET %s: %d %v: %.300s", target, rec.Code, err, rec.Body)
	}
	return rec.Code, a
}

func TestGeocodeEndpoints(t *testing.T) {
	h := geocodeRouter(t)
	q := url.QueryEscape
	for _, c := range []struct {
		name, target string
		level, code  string
	}{
		{"free text finds a door plate", "/api/v1/geocode?q=" + q("雨花台区软件大道３号"), "door_plate", "A3"},
		{"structured fields find a door plate", "/api/v1/geocode?road=" + q("软件大道") + "&number=3", "door_plate", "A3"},
		{"text and fields together find a door plate", "/api/v1/geocode?q=" + q("软件大道") + "&number=1", "door_plate", "A1"},
		{"a landmark is found by name", "/api/v1/geocode?q=" + q("雨花客厅附近"), "landmark", "P1"},
		{"a community is found by its short name", "/api/v1/geocode?q=" + q("丁墙社区"), "community", "320114001002"},
		{"pinyin initials suggest the road", "/api/v1/geocode/suggest?q=rjdd", "road", "320114L0001"},
		{"a road and digits suggest its plates", "/api/v1/geocode/suggest?q=" + q("软件大道3"), "door_plate", "A3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, a := getGeo(t, h, c.target)
			if status != http.StatusOK || len(a.Results) == 0 {
				t.Fatalf("GET %s: %d %+v", c.target, status, a)
			}
			r := a.Results[0]
			if r.Level != c.level || r.Code != c.code || a.Count != len(a.Results) {
				t.Fatalf("GET %s: first %s %s (count %d), want %s %s", c.target, r.Level, r.Code, a.Count, c.level, c.code)
			}
			if r.Geometry.Type != "Point" || r.UnitGrid != "320114001002001" || r.Score <= 0 || r.Score > 1 {
				t.Errorf("GET %s: result %+v", c.target, r)
			}
		})
	}
}

// TestACrossingQueryAnswersTheIntersection checks the ways people write a
// crossing give the point where the two centre lines cross, (118.72,
// 31.91) by construction, as level and precision intersection with both
// roads among the matched parts.
func TestACrossingQueryAnswersTheIntersection(t *testing.T) {
	h := geocodeRouter(t)
	for _, c := range []struct{ name, q, label, position string }{
		{"A与B交叉口", "软件大道与翠竹路交叉口", "软件大道与翠竹路交叉口", "交叉口"},
		{"A和B路口", "软件大道和翠竹路路口", "软件大道与翠竹路交叉口", "路口"},
		{"AB路口 with the roads the other way round", "翠竹路软件大道路口", "翠竹路与软件大道交叉口", "路口"},
	} {
		t.Run(c.name, func(t *testing.T) {
			target := "/api/v1/geocode?q=" + url.QueryEscape(c.q)
			status, a := getGeo(t, h, target)
			if status != http.StatusOK || len(a.Results) == 0 {
				t.Fatalf("GET %s: %d %+v", target, status, a)
			}
			r := a.Results[0]
			if r.Level != "intersection" || r.Precision != "intersection" || r.Code != "320114L0001&320114L0002" || r.Label != c.label {
				t.Fatalf("first result %s %s %s %q, want intersection 320114L0001&320114L0002 %q", r.Level, r.Precision, r.Code, r.Label, c.label)
			}
			if p := r.Geometry.Coordinates; math.Abs(p[0]-118.72) > 1e-6 || math.Abs(p[1]-31.91) > 1e-6 {
				t.Errorf("crossing at %v, want (118.72, 31.91)", p)
			}
			roles := map[string]string{}
			for _, m := range r.Matched {
				roles[m.Text] = m.Role
			}
			if roles["软件大道"] != "road" || roles["翠竹路"] != "road" || roles[c.position] != "position" || len(r.Ignored) != 0 {
				t.Errorf("matched %+v ignored %+v, want both roads and %s, nothing ignored", r.Matched, r.Ignored, c.position)
			}
		})
	}
	// One road of the two is still answered, as a road whose precision
	// says so, with the other road's words reported as ignored.
	_, a := getGeo(t, h, "/api/v1/geocode?q="+url.QueryEscape("软件大道与翠竹路交叉口"))
	for _, r := range a.Results[1:] {
		if r.Level != "road" || r.Precision != "road" || len(r.Ignored) == 0 {
			t.Errorf("a one-road answer %+v, want level and precision road with the other road ignored", r)
		}
	}
}

func TestGeocodeLimitAndCRS(t *testing.T) {
	h := geocodeRouter(t)
	_, a := getGeo(t, h, "/api/v1/geocode?limit=1&q="+url.QueryEscape("软件大道3号"))
	if len(a.Results) != 1 {
		t.Fatalf("limit=1 gave %d results", len(a.Results))
	}
	_, g := getGeo(t, h, "/api/v1/geocode?limit=1&crs=gcj02&q="+url.QueryEscape("软件大道3号"))
	got, want := g.Results[0].Geometry.Coordinates, [2]float64{118.715, 31.9102}
	// GCJ-02 shifts points in Nanjing by a few hundred metres.
	if g.CRS != "GCJ-02" || got == want || math.Abs(got[0]-want[0]) > 0.01 || math.Abs(got[1]-want[1]) > 0.01 {
		t.Errorf("crs=gcj02: %s %v, want a shifted point near %v", g.CRS, got, want)
	}
}

func TestReverseEndpoint(t *testing.T) {
	h := geocodeRouter(t)
	status, a := getGeo(t, h, "/api/v1/geocode/reverse?lon=118.715&lat=31.9104")
	if status != http.StatusOK || len(a.Results) < 3 {
		t.Fatalf("reverse: %d %+v", status, a)
	}
	first := a.Results[0]
	if first.Level != "door_plate" || first.Code != "A3" || first.DistanceM == nil || math.Abs(*first.DistanceM-22.24) > 0.05 {
		t.Errorf("nearest %+v, want plate 3 at 22.24 m", first)
	}
	if a.Location == nil || a.Location.UnitGrid.Code != "320114001002001" {
		t.Errorf("location %+v", a.Location)
	}
	if !strings.HasPrefix(a.Description, "雨花台区雨花街道软件大道3号北约22米") {
		t.Errorf("description %q", a.Description)
	}
}

func TestGeocodeBadInputIs400NamingTheField(t *testing.T) {
	h := geocodeRouter(t)
	for _, c := range []struct{ name, target, field string }{
		{"forward without q or fields", "/api/v1/geocode", "q"},
		{"forward with a blank q", "/api/v1/geocode?q=%20%20", "q"},
		{"forward with an oversized q", "/api/v1/geocode?q=" + strings.Repeat("路", 300), "q"},
		{"forward with limit 0", "/api/v1/geocode?q=a&limit=0", "limit"},
		{"forward with a limit that is no number", "/api/v1/geocode?q=a&limit=x", "limit"},
		{"forward with an unknown CRS", "/api/v1/geocode?q=a&crs=mars", "crs"},
		{"suggest without q", "/api/v1/geocode/suggest", "q"},
		{"reverse without lon", "/api/v1/geocode/reverse?lat=31.9", "lon"},
		{"reverse with latitude 95", "/api/v1/geocode/reverse?lon=118.7&lat=95", "lat"},
		{"reverse with a longitude that is no number", "/api/v1/geocode/reverse?lon=abc&lat=31.9", "lon"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, a := getGeo(t, h, c.target)
			if status != http.StatusBadRequest || a.Field != c.field || a.Error == "" {
				t.Errorf("GET %s: %d field %q error %q, want 400 naming %q", c.target, status, a.Field, a.Error, c.field)
			}
		})
	}
}

// TestTheIssueRoutesAnswerAsTheGeocodeOnes checks the short routes the
// issue names, /api/v1/reverse and /api/v1/suggest, give the same answers
// as /api/v1/geocode/reverse and /api/v1/geocode/suggest.
func TestTheIssueRoutesAnswerAsTheGeocodeOnes(t *testing.T) {
	h := geocodeRouter(t)
	for _, pair := range [][2]string{
		{"/api/v1/reverse?lon=118.715&lat=31.9104", "/api/v1/geocode/reverse?lon=118.715&lat=31.9104"},
		{"/api/v1/suggest?q=rjdd", "/api/v1/geocode/suggest?q=rjdd"},
	} {
		s1, a1 := getGeo(t, h, pair[0])
		s2, a2 := getGeo(t, h, pair[1])
		if s1 != http.StatusOK || s1 != s2 || len(a1.Results) == 0 || len(a1.Results) != len(a2.Results) || a1.Results[0].Code != a2.Results[0].Code {
			t.Errorf("%s: %d %+v; %s: %d %+v", pair[0], s1, a1.Results, pair[1], s2, a2.Results)
		}
	}
}
