package crs

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestParseOGCTakesURIsAndCURIEs(t *testing.T) {
	for in, want := range map[string]OGC{
		"": CRS84, "http://www.opengis.net/def/crs/OGC/1.3/CRS84": CRS84,
		"http://www.opengis.net/def/crs/EPSG/0/4490": EPSG4490, "https://www.opengis.net/def/crs/EPSG/0/4490": EPSG4490,
		"[EPSG:3857]": EPSG3857, "epsg:4326": EPSG4326, "[OGC:CRS84]": CRS84,
	} {
		if got, err := ParseOGC(in); err != nil || got != want {
			t.Errorf("ParseOGC(%q) = %v, %v; want %v", in, got, err, want.URI)
		}
	}
	for _, bad := range []string{"EPSG:4214", "http://www.opengis.net/def/crs/EPSG/0/2000", "CRS84x"} {
		if _, err := ParseOGC(bad); err == nil {
			t.Errorf("ParseOGC(%q) accepted", bad)
		}
	}
}

// Web Mercator of 118.78°E 31.98°N by hand: x = R·λ, y = R·ln tan(π/4 + φ/2).
func TestOGCAxesAndMercator(t *testing.T) {
	p := orb.Point{118.78, 31.98}
	if got := EPSG4490.PointFromStorage(p); got != (orb.Point{31.98, 118.78}) {
		t.Errorf("EPSG:4490 is latitude first: %v", got)
	}
	m := EPSG3857.PointFromStorage(p)
	wantX := 6378137 * 118.78 * math.Pi / 180
	wantY := 6378137 * math.Log(math.Tan(math.Pi/4+31.98*math.Pi/360))
	if math.Abs(m[0]-wantX) > 1e-6 || math.Abs(m[1]-wantY) > 1e-6 || math.Abs(m[0]-13222529.12) > 0.01 || math.Abs(m[1]-3760685.60) > 0.01 {
		t.Errorf("EPSG:3857 %v, want %v %v", m, wantX, wantY)
	}
	back := EPSG3857.PointToStorage(m)
	if math.Abs(back[0]-p[0]) > 1e-12 || math.Abs(back[1]-p[1]) > 1e-12 {
		t.Errorf("EPSG:3857 round trip %v", back)
	}
	g := orb.Polygon{{{118, 31}, {119, 31}, {119, 32}, {118, 31}}}
	if got := EPSG4490.FromStorage(g).(orb.Polygon); got[0][1] != (orb.Point{31, 119}) || g[0][1] != (orb.Point{119, 31}) {
		t.Errorf("FromStorage changed the input or missed the swap: %v, %v", got, g)
	}
	b, err := EPSG4490.BoundToStorage([4]float64{31, 118, 32, 119})
	if err != nil || b != (orb.Bound{Min: orb.Point{118, 31}, Max: orb.Point{119, 32}}) {
		t.Errorf("BoundToStorage: %v, %v", b, err)
	}
	if _, err := CRS84.BoundToStorage([4]float64{119, 31, 118, 32}); err == nil {
		t.Error("an inverted bbox accepted")
	}
}
