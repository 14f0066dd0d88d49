package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestGeocode(t *testing.T) {
	a := newAPITest(t)
	code, v := a.do("GET", "/api/v1/geocode", "/api/v1/geocode?q="+url.QueryEscape("软件大道3号"), "")
	if code != http.StatusOK {
		t.Fatalf("status %d: %v", code, v)
	}
	res, _ := v["results"].([]any)
	if len(res) == 0 || str(res[0], "code") != "320114A0000003" || str(res[0], "level") != "door_plate" || str(res[0], "unit_grid") != tGridA2 {
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
	if str(v, "location.unit_grid.code") != tGridA1 || !strings.Contains(str(v, "description"), "软件大道1号") {
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
