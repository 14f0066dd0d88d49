package lookups

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"citygrid/api/httpx"
	"citygrid/api/internal/testcity"
	"citygrid/data"
	"citygrid/spatial"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
)

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "320114001001001", `a"b\c`, "tab\there\n", "雨花台区", "\x01\x1f", "bad\xffutf8"} {
		got := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%q encodes to invalid JSON %s: %v", s, got, err)
			continue
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if back != want {
			t.Errorf("%q round-trips to %q", s, back)
		}
	}
}

// FuzzParseBatch checks the hand-written batch parser against
// encoding/json: whatever it accepts, encoding/json reads as the same
// points, and it never panics.
func FuzzParseBatch(f *testing.F) {
	for _, s := range []string{
		`{"points":[[118.7,31.9]]}`, `{"crs":"gcj02","points":[[1,2],[3,4]]}`, `{"points":[]}`,
		`{"points":[[1e3,-2.5E-3]]}`, `{"points":[[1,2,3]]}`, `{ "crs" : "a\"b" , "points" : [ [ 0 , 0 ] ] }`,
		`{"points":[[01,2]]}`, `{"points":[[-,2]]}`, `{}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := parseBatch(b, 1000)
		if err != nil {
			if httpx.StatusOf(err) != http.StatusBadRequest {
				t.Fatalf("error %v maps to %d, want 400", err, httpx.StatusOf(err))
			}
			return
		}
		var v struct {
			CRS    string      `json:"crs"`
			Points [][]float64 `json:"points"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("parseBatch accepted %q, encoding/json rejects it: %v", b, err)
		}
		if v.CRS != req.crs || len(v.Points) != len(req.points) {
			t.Fatalf("parseBatch read crs %q and %d points, encoding/json %q and %d", req.crs, len(req.points), v.CRS, len(v.Points))
		}
		for i, p := range v.Points {
			if len(p) != 2 || p[0] != req.points[i][0] || p[1] != req.points[i][1] {
				t.Fatalf("point %d: parseBatch %v, encoding/json %v", i, req.points[i], p)
			}
		}
	})
}

// levelsCity has a unit grid for each set of levels a point may lie in,
// in columns 0.01° wide from lon 118.70: G1 in community, street and
// district; G2 in the street and district only; G3 in the district only;
// G4 in none. A responsibility grid covers G1 and G2.
func levelsCity() *data.Dataset {
	col := func(i int) orb.MultiPolygon {
		return testcity.Box(118.70+0.01*float64(i), 31.90, 118.71+0.01*float64(i), 31.91)
	}
	ds := &data.Dataset{
		AdminUnits: []data.AdminUnit{
			{Level: data.LevelDistrict, Code: "320114", Name: "雨花台区", Parent: "3201", Geometry: testcity.Box(118.70, 31.90, 118.73, 31.91)},
			{Level: data.LevelStreet, Code: "320114001", Name: "雨花街道", Parent: "320114", Geometry: testcity.Box(118.70, 31.90, 118.72, 31.91)},
			{Level: data.LevelCommunity, Code: "320114001001", Name: "甲社区", Parent: "320114001", Geometry: col(0)},
		},
		ManagementGrids: []data.ManagementGrid{
			{Kind: data.KindResponsibility, Code: "R01", Name: "甲责任网格", Geometry: testcity.Box(118.70, 31.90, 118.72, 31.91)},
		},
	}
	for i := range 4 {
		ds.UnitGrids = append(ds.UnitGrids, data.UnitGrid{Code: "G" + strconv.Itoa(i+1), Community: "320114001001", Geometry: col(i), AreaM2: 1})
	}
	return ds
}

// TestBatchAnswersWriteTheLevelsTheSingleAnswerWrites locates points in
// and out of each level singly and in one batch: a level is in the batch
// result exactly when it is in the single answer, with the same code, and
// both agree with the levels the point's column was built with.
func TestBatchAnswersWriteTheLevelsTheSingleAnswerWrites(t *testing.T) {
	ix, err := spatial.Build(levelsCity())
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	(&spatialService{ix: ix, maxBatch: 100}).mount(r)
	pts := []struct {
		p       orb.Point
		levels  string // c, s, d: the community, street and district it lies in
		outside bool   // no unit grid covers it
	}{
		{orb.Point{118.705, 31.905}, "csd", false},
		{orb.Point{118.7001, 31.9099}, "csd", false},
		{orb.Point{118.715, 31.905}, "sd", false},
		{orb.Point{118.7199, 31.9001}, "sd", false},
		{orb.Point{118.725, 31.905}, "d", false},
		{orb.Point{118.735, 31.905}, "", false},
		{orb.Point{118.7399, 31.9099}, "", false},
		{orb.Point{118.80, 31.905}, "", true},
	}
	var body strings.Builder
	body.WriteString(`{"points":[`)
	for i, c := range pts {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, "[%v,%v]", c.p[0], c.p[1])
	}
	body.WriteString("]}")
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/locate/batch", strings.NewReader(body.String())))
	var batch struct{ Results []map[string]any }
	if err := json.Unmarshal(rec.Body.Bytes(), &batch); err != nil || rec.Code != http.StatusOK || len(batch.Results) != len(pts) {
		t.Fatalf("batch: %d %v: %.300s", rec.Code, err, rec.Body)
	}
	code := func(v map[string]any, key string) (string, bool) {
		m, ok := v[key].(map[string]any)
		if !ok {
			return "", false
		}
		s, _ := m["code"].(string)
		return s, true
	}
	for i, c := range pts {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", c.p[0], c.p[1]), nil))
		var single map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &single); err != nil {
			t.Fatalf("locate %v: %d %v", c.p, rec.Code, err)
		}
		got := batch.Results[i]
		if got["covered"] != single["covered"] || got["covered"] != !c.outside {
			t.Errorf("%v: covered %v in the batch, %v singly", c.p, got["covered"], single["covered"])
		}
		for _, key := range []string{"unit_grid", "community", "street", "district", "nearest_unit_grid"} {
			bc, inBatch := code(got, key)
			sc, inSingle := code(single, key)
			if inBatch != inSingle || bc != sc || (inBatch && bc == "") {
				t.Errorf("%v: %s %q (present %v) in the batch, %q (present %v) singly", c.p, key, bc, inBatch, sc, inSingle)
			}
		}
		for l, key := range map[byte]string{'c': "community", 's': "street", 'd': "district"} {
			if _, in := code(got, key); in != (strings.IndexByte(c.levels, l) >= 0) {
				t.Errorf("%v (levels %q): %s present %v", c.p, c.levels, key, in)
			}
		}
	}
}
