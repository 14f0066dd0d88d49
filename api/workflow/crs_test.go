package workflow_test

import (
	"fmt"
	"math"
	"testing"

	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
	"citygrid/spatial/crs"

	"github.com/paulmach/orb"
)

// The conversions a report goes through, checked against values published
// by two independent implementations (coordtransform, eviltransform).
func TestCRSConversionsMatchPublishedPairs(t *testing.T) {
	for _, c := range []struct {
		name     string
		convert  func(orb.Point) orb.Point
		in, want orb.Point
	}{
		{"wgs84 to gcj02 at Tiananmen (coordtransform)", crs.WGS84ToGCJ02, orb.Point{116.404, 39.915}, orb.Point{116.41024449916938, 39.91640428150164}},
		{"gcj02 to bd09 at Tiananmen (coordtransform)", crs.GCJ02ToBD09, orb.Point{116.404, 39.915}, orb.Point{116.41036949371029, 39.92133699351021}},
		{"wgs84 to gcj02 in Shanghai (eviltransform)", crs.WGS84ToGCJ02, orb.Point{121.5272106, 31.1774276}, orb.Point{121.531541859215, 31.17530398364597}},
	} {
		if got := c.convert(c.in); math.Abs(got[0]-c.want[0]) > 1e-6 || math.Abs(got[1]-c.want[1]) > 1e-6 {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// A phone reports in GCJ-02, a Baidu map in BD-09: with crs each lands on
// the unit grid and goes to the unit of its WGS84 twin, and being at the
// same place it is linked to the twin as a duplicate that names it.
func TestAGCJ02AndABD09ReportResolveLikeTheirWGS84Twin(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	wgs := orb.Point{118.76505, 31.99502} // 5 m from the surveyed manhole cover maintained by D0003
	gcj := crs.WGS84ToGCJ02(wgs)
	bd := crs.WGS84ToBD09(wgs)
	if d := (gcj[0] - wgs[0]) * 94000; d < 100 {
		t.Fatalf("the GCJ-02 twin is only %.0f m east: the test would prove nothing", d)
	}
	post := func(tok, crsName string, p orb.Point) map[string]any {
		body := fmt.Sprintf(`{"kind":"component","category":"0101","lon":%.9f,"lat":%.9f,"crs":%q,"description":"井盖破损"}`, p[0], p[1], crsName)
		return apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", tok, body), 201)
	}
	unitOf := func(m map[string]any) any { return m["resolution"].(map[string]any)["unit"] }
	twin := post("ins", "wgs84", wgs)
	if twin["unit_grid"] != "320114001001001" || unitOf(twin) != "D0003" {
		t.Fatalf("WGS84 twin %v %v", twin["unit_grid"], unitOf(twin))
	}
	for _, c := range []struct {
		crs string
		p   orb.Point
	}{{"gcj02", gcj}, {"BD-09", bd}} {
		m := post("cit", c.crs, c.p)
		if m["unit_grid"] != twin["unit_grid"] || unitOf(m) != unitOf(twin) {
			t.Errorf("%s: grid %v unit %v, want %v %v", c.crs, m["unit_grid"], unitOf(m), twin["unit_grid"], unitOf(twin))
		}
		if math.Abs(m["lon"].(float64)-wgs[0]) > 1e-6 || math.Abs(m["lat"].(float64)-wgs[1]) > 1e-6 {
			t.Errorf("%s stored at %v,%v, want %v", c.crs, m["lon"], m["lat"], wgs)
		}
		o, _ := m["original"].(map[string]any)
		if m["state"] != "cancelled" || o == nil || o["id"] != twin["id"] || o["number"] != twin["number"] || o["state"] != "verified" {
			t.Errorf("%s duplicate: state %v, original %v", c.crs, m["state"], o)
		}
	}
	apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "cit", `{"kind":"component","category":"0101","lon":118.7,"lat":32,"crs":"epsg:3857"}`), 400)
}
