package api

import (
	"citygrid/api/internal/testcity"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// apiTest serves the test city and checks every answer against the
// OpenAPI document: its status must be documented for the route and its
// body must validate against the documented schema.
type apiTest struct {
	t   *testing.T
	h   http.Handler
	doc *openAPI
	ops map[string]operation
}

var (
	sharedOnce sync.Once
	sharedH    http.Handler
)

func newAPITest(t *testing.T) *apiTest {
	sharedOnce.Do(func() { sharedH = newTestServer(t) })
	doc := loadOpenAPI(t)
	return &apiTest{t: t, h: sharedH, doc: doc, ops: doc.operations(t)}
}

// do sends a request and returns the status and the decoded JSON body.
func (a *apiTest) do(method, route, target, body string) (int, map[string]any) {
	a.t.Helper()
	var req *http.Request
	if body != "" {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		a.t.Fatalf("%s %s: Content-Type %q, body %.200s", method, target, ct, rec.Body)
	}
	var v map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		a.t.Fatalf("%s %s: body is not a JSON object: %v: %.300s", method, target, err, rec.Body)
	}
	op, ok := a.ops[method+" "+route]
	if !ok {
		a.t.Fatalf("%s %s is not documented", method, route)
	}
	resp, ok := op.Responses[strconv.Itoa(rec.Code)]
	if !ok {
		a.t.Errorf("%s %s answered %d, which the OpenAPI document does not list", method, target, rec.Code)
		return rec.Code, v
	}
	for _, msg := range a.doc.validate(resp.Content["application/json"].Schema, any(v), "$") {
		a.t.Errorf("%s %s (%d): %s", method, target, rec.Code, msg)
	}
	return rec.Code, v
}

// str digs a string out of decoded JSON by a dotted path.
func str(v any, path string) string {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	s, _ := v.(string)
	if f, ok := v.(float64); ok {
		s = fmt.Sprint(f)
	}
	return s
}

func TestLocate(t *testing.T) {
	a := newAPITest(t)
	tests := []struct {
		name                     string
		query                    string
		grid, community, regrids string
	}{
		{"a point in the west half is in grid A1", "lon=118.705&lat=31.91", testcity.GridA1, testcity.CommunityA, "inspector/I01 responsibility/R01"},
		{"a point in the east half is in grid A2", "lon=118.715&lat=31.91", testcity.GridA2, testcity.CommunityA, "inspector/I01 responsibility/R01"},
		{"a point in community B has no responsibility grid", "lon=118.73&lat=31.91", testcity.GridB1, testcity.CommunityB, "inspector/I01"},
		{"a point on the A1/A2 edge goes to the lower code", "lon=118.71&lat=31.91", testcity.GridA1, testcity.CommunityA, "inspector/I01 responsibility/R01"},
		{"a point on the community border goes to the lower community", "lon=118.72&lat=31.91", testcity.GridA2, testcity.CommunityA, "inspector/I01 responsibility/R01"},
		{"a corner of the city is covered", "lon=118.74&lat=31.92", testcity.GridB1, testcity.CommunityB, "inspector/I01"},
		{"wgs84 is the storage datum", "lon=118.705&lat=31.91&crs=wgs84", testcity.GridA1, testcity.CommunityA, "inspector/I01 responsibility/R01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, v := a.do("GET", "/api/v1/locate", "/api/v1/locate?"+tt.query, "")
			if code != http.StatusOK {
				t.Fatalf("status %d: %v", code, v)
			}
			if got := str(v, "unit_grid.code"); got != tt.grid {
				t.Errorf("unit grid %s, want %s", got, tt.grid)
			}
			if got := str(v, "community.code"); got != tt.community {
				t.Errorf("community %s, want %s", got, tt.community)
			}
			if str(v, "street.code") != testcity.Street || str(v, "district.code") != testcity.District {
				t.Errorf("street %s district %s", str(v, "street.code"), str(v, "district.code"))
			}
			var mg []string
			for _, m := range v["management_grids"].([]any) {
				mg = append(mg, str(m, "kind")+"/"+str(m, "code"))
			}
			if got := strings.Join(mg, " "); got != tt.regrids {
				t.Errorf("management grids %q, want %q", got, tt.regrids)
			}
		})
	}
}

func TestLocateConvertsCommercialBasemapCoordinates(t *testing.T) {
	a := newAPITest(t)
	// 118.705,31.91 in CGCS2000 is about 118.7099,31.9079 in GCJ-02 (an
	// offset of roughly 500 m east, 200 m south near Nanjing): taken as
	// CGCS2000 that point would fall in grid A1 still, so use a point whose
	// raw and converted positions land in different grids.
	code, raw := a.do("GET", "/api/v1/locate", "/api/v1/locate?lon=118.7125&lat=31.91", "")
	if code != http.StatusOK || str(raw, "unit_grid.code") != testcity.GridA2 {
		t.Fatalf("raw point: %d %v", code, raw)
	}
	code, v := a.do("GET", "/api/v1/locate", "/api/v1/locate?lon=118.7125&lat=31.91&crs=gcj02", "")
	if code != http.StatusOK {
		t.Fatalf("status %d: %v", code, v)
	}
	if str(v, "unit_grid.code") != testcity.GridA1 {
		t.Errorf("GCJ-02 point located in %s; its CGCS2000 position (about 500 m west) is in %s", str(v, "unit_grid.code"), testcity.GridA1)
	}
	if str(v, "crs") != "GCJ-02" {
		t.Errorf("crs %q, want GCJ-02", str(v, "crs"))
	}
	pt := v["point"].([]any)
	if math.Abs(pt[0].(float64)-118.7125) > 1e-7 || math.Abs(pt[1].(float64)-31.91) > 1e-7 {
		t.Errorf("point %v, want the input echoed in GCJ-02", pt)
	}
}

func TestLocateOutsideTheCity(t *testing.T) {
	a := newAPITest(t)
	code, v := a.do("GET", "/api/v1/locate", "/api/v1/locate?lon=118.75&lat=31.91", "")
	if code != http.StatusNotFound {
		t.Fatalf("status %d, want 404: %v", code, v)
	}
	if str(v, "nearest_unit_grid.code") != testcity.GridB1 {
		t.Errorf("nearest grid %s, want %s", str(v, "nearest_unit_grid.code"), testcity.GridB1)
	}
	// 0.01° of longitude at 31.91°N is 111,320 m·cos(31.91°) ≈ 945 m.
	d, _ := strconv.ParseFloat(str(v, "nearest_unit_grid.distance_m"), 64)
	if d < 930 || d > 960 {
		t.Errorf("distance %v m, want about 945 m", d)
	}
	if str(v, "error") == "" || str(v, "crs") == "" {
		t.Errorf("404 answer lacks error or crs: %v", v)
	}
}

func TestBadLocateInputIs400NamingTheField(t *testing.T) {
	a := newAPITest(t)
	tests := []struct {
		name, query, field string
	}{
		{"lon is required", "lat=31.9", "lon"},
		{"lat is required", "lon=118.7", "lat"},
		{"lon must be a number", "lon=abc&lat=31.9", "lon"},
		{"lat must be a number", "lon=118.7&lat=3l.9", "lat"},
		{"NaN is not a number", "lon=NaN&lat=31.9", "lon"},
		{"infinity is not a number", "lon=118.7&lat=Inf", "lat"},
		{"lat must be within ±90", "lon=118.7&lat=90.5", "lat"},
		{"lon must be within ±180", "lon=-181&lat=31.9", "lon"},
		{"crs must be known", "lon=118.7&lat=31.9&crs=utm50", "crs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, v := a.do("GET", "/api/v1/locate", "/api/v1/locate?"+tt.query, "")
			if code != http.StatusBadRequest || str(v, "field") != tt.field {
				t.Errorf("status %d field %q, want 400 naming %q: %v", code, str(v, "field"), tt.field, v)
			}
		})
	}
}

func TestHealthAndUnknownPaths(t *testing.T) {
	a := newAPITest(t)
	if code, v := a.do("GET", "/healthz", "/healthz", ""); code != http.StatusOK || str(v, "status") != "ok" {
		t.Errorf("/healthz: %d %v", code, v)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/nowhere", nil))
	if rec.Code != http.StatusNotFound || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Errorf("unknown path: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	rec = httptest.NewRecorder()
	a.h.ServeHTTP(rec, httptest.NewRequest("DELETE", "/api/v1/locate", nil))
	if rec.Code != http.StatusMethodNotAllowed || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Errorf("wrong method: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
}
