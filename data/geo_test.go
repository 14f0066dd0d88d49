package data

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// stripAreaSimpson integrates the ellipsoid's area element M(φ)·N(φ)·cosφ
// dφ dλ numerically: an independent second way to the area of a lon/lat
// rectangle.
func stripAreaSimpson(lon0, lat0, lon1, lat1 float64) float64 {
	a, e2 := EllipsoidA, EllipsoidF*(2-EllipsoidF)
	f := func(phi float64) float64 {
		s := math.Sin(phi)
		w := 1 - e2*s*s
		m := a * (1 - e2) / math.Pow(w, 1.5)
		n := a / math.Sqrt(w)
		return m * n * math.Cos(phi)
	}
	p0, p1 := lat0*math.Pi/180, lat1*math.Pi/180
	const steps = 1000
	h := (p1 - p0) / steps
	sum := f(p0) + f(p1)
	for i := 1; i < steps; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		sum += w * f(p0+float64(i)*h)
	}
	return sum * h / 3 * (lon1 - lon0) * math.Pi / 180
}

func rect(lon0, lat0, lon1, lat1 float64) orb.Ring {
	return orb.Ring{{lon0, lat0}, {lon1, lat0}, {lon1, lat1}, {lon0, lat1}, {lon0, lat0}}
}

func TestAreaM2(t *testing.T) {
	cell := rect(118.78, 32, 118.781, 32.001)
	cellArea := stripAreaSimpson(118.78, 32, 118.781, 32.001)
	big := rect(118.7, 31.9, 118.9, 32.1)
	bigArea := stripAreaSimpson(118.7, 31.9, 118.9, 32.1)
	hole := rect(118.75, 31.95, 118.8, 32.0)
	holeArea := stripAreaSimpson(118.75, 31.95, 118.8, 32.0)
	reversed := rect(118.78, 32, 118.781, 32.001)
	reversed.Reverse()
	tests := []struct {
		name string
		mp   orb.MultiPolygon
		want float64
		tol  float64 // relative
	}{
		{"a 0.001° cell at lat 32 matches the integrated ellipsoid strip", orb.MultiPolygon{{cell}}, cellArea, 1e-9},
		{"a clockwise ring has the same area", orb.MultiPolygon{{reversed}}, cellArea, 1e-9},
		{"a 0.2° square matches the integrated strip", orb.MultiPolygon{{big}}, bigArea, 1e-9},
		{"a hole is subtracted", orb.MultiPolygon{{big, hole}}, bigArea - holeArea, 1e-9},
		{"two parts add up", orb.MultiPolygon{{cell}, {hole}}, cellArea + holeArea, 1e-9},
		{"an empty multipolygon has no area", orb.MultiPolygon{}, 0, 0},
		{"a degenerate ring has no area", orb.MultiPolygon{{orb.Ring{{1, 1}, {2, 2}, {1, 1}}}}, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := AreaM2(tc.mp)
			if math.Abs(got-tc.want) > tc.tol*math.Abs(tc.want)+1e-9 {
				t.Fatalf("AreaM2 = %.6f, want %.6f", got, tc.want)
			}
		})
	}
	// Hand check: 0.001° × 0.001° at 32°N is about 111 m × 94.5 m.
	if a := AreaM2(orb.MultiPolygon{{cell}}); a < 10400 || a > 10600 {
		t.Fatalf("cell area %.1f m² is not about 10,500 m²", a)
	}
}

func TestAreaM2AgreesWithSphericalArea(t *testing.T) {
	// orb/geo.Area works on a sphere of radius 6378137; the ellipsoid is
	// smaller towards the poles, so the two agree only within half a
	// percent at this latitude — a sanity bound, not an oracle.
	r := orb.Ring{{118.70, 31.95}, {118.83, 31.93}, {118.86, 32.04}, {118.79, 32.07}, {118.72, 32.02}, {118.70, 31.95}}
	got := AreaM2(orb.MultiPolygon{{r}})
	sph := math.Abs(geo.Area(orb.Polygon{r}))
	if d := math.Abs(got-sph) / sph; d > 0.005 {
		t.Fatalf("ellipsoidal %.0f m² vs spherical %.0f m²: %.3f %% apart", got, sph, d*100)
	}
}

func TestOrientRFC7946(t *testing.T) {
	outer := rect(0, 0, 10, 10)
	outer.Reverse()          // clockwise
	hole := rect(2, 2, 4, 4) // counter-clockwise
	mp := OrientRFC7946(orb.MultiPolygon{{outer, hole}})
	if !RingIsCCW(mp[0][0]) {
		t.Error("outer ring is not counter-clockwise")
	}
	if RingIsCCW(mp[0][1]) {
		t.Error("hole is not clockwise")
	}
}

func BenchmarkAreaM2(b *testing.B) {
	mp := orb.MultiPolygon{{rect(118.78, 32, 118.781, 32.001)}}
	b.ReportAllocs()
	for b.Loop() {
		AreaM2(mp)
	}
}

// Great-circle distances against hand-computed arcs: a degree of a
// meridian or of the equator is R·π/180 (111 195.08 m), a degree of
// longitude at 60° half that, and the distance is symmetric.
func TestHaversineM(t *testing.T) {
	deg := EarthRadiusM * math.Pi / 180
	for _, c := range []struct {
		name string
		a, b orb.Point
		want float64
	}{
		{"one degree along a meridian", orb.Point{118.78, 31.5}, orb.Point{118.78, 32.5}, deg},
		{"one degree along the equator", orb.Point{0, 0}, orb.Point{1, 0}, deg},
		{"the same point", orb.Point{118.78, 31.99}, orb.Point{118.78, 31.99}, 0},
		{"antipodes", orb.Point{0, 0}, orb.Point{180, 0}, EarthRadiusM * math.Pi},
	} {
		if got := HaversineM(c.a, c.b); math.Abs(got-c.want) > 1e-6 || math.Abs(HaversineM(c.b, c.a)-got) > 1e-9 {
			t.Errorf("%s: %.6f m, want %.6f", c.name, got, c.want)
		}
	}
	// along the 60th parallel a degree of longitude is nearly half a degree
	// of the equator (the great circle is a little shorter than the parallel)
	if got := HaversineM(orb.Point{0, 60}, orb.Point{1, 60}); got > deg/2 || got < deg/2*0.9999 {
		t.Errorf("a degree at 60°: %.3f m, want just under %.3f", got, deg/2)
	}
}
