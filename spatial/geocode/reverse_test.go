package geocode

import (
	"math"
	"math/rand/v2"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// unit is a point on the unit sphere.
type unit [3]float64

func toUnit(p orb.Point) unit {
	lon, lat := p[0]*math.Pi/180, p[1]*math.Pi/180
	return unit{math.Cos(lat) * math.Cos(lon), math.Cos(lat) * math.Sin(lon), math.Sin(lat)}
}

func dot(a, b unit) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func cross(a, b unit) unit {
	return unit{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

// arcDistM is the great-circle distance from p to the arc ab, computed on
// the sphere with vectors: a second method, independent of the planar one
// Reverse uses.
func arcDistM(p, a, b orb.Point) float64 {
	P, A, B := toUnit(p), toUnit(a), toUnit(b)
	n := cross(A, B)
	nn := math.Sqrt(dot(n, n))
	if nn > 1e-15 {
		n = unit{n[0] / nn, n[1] / nn, n[2] / nn}
		// The foot of p on the great circle lies on the arc when it is on
		// the inner side of both end points.
		if dot(cross(A, P), n) >= 0 && dot(cross(P, B), n) >= 0 {
			return math.Abs(math.Asin(math.Max(-1, math.Min(1, dot(P, n))))) * data.EarthRadiusM
		}
	}
	return math.Min(data.HaversineM(p, a), data.HaversineM(p, b))
}

type bruteHit struct {
	code string
	d    float64
}

func bruteNearest(ds *data.Dataset, p orb.Point) (plate, road, poi, mark bruteHit) {
	plate.d, road.d, poi.d, mark.d = math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)
	for _, a := range ds.Addresses {
		if d := data.HaversineM(p, a.Point); d < plate.d {
			plate = bruteHit{a.Code, d}
		}
	}
	for _, r := range ds.Roads {
		for _, ls := range r.Geometry {
			for i := 1; i < len(ls); i++ {
				if d := arcDistM(p, ls[i-1], ls[i]); d < road.d {
					road = bruteHit{r.Code, d}
				}
			}
		}
	}
	for _, q := range ds.POIs {
		d := data.HaversineM(p, q.Point)
		if d < poi.d {
			poi = bruteHit{q.Code, d}
		}
		if q.Landmark && d < mark.d {
			mark = bruteHit{q.Code, d}
		}
	}
	return
}

// TestReverseAgreesWithBruteForce checks Reverse against a linear scan on
// 10,000 random points over and around the demo city (one in a hundred up
// to a degree away): the distance of
// every answer is the brute-force minimum (within 0.1 % and 5 cm, the
// difference between the planar search metric and the sphere), and the
// answer is the same feature for all but near-ties.
func TestReverseAgreesWithBruteForce(t *testing.T) {
	ds, g := demoCity(t)
	var b orb.Bound
	for i, u := range ds.AdminUnits {
		if i == 0 {
			b = u.Geometry.Bound()
		}
		b = b.Union(u.Geometry.Bound())
	}
	b = b.Pad(0.01)
	rng := rand.New(rand.NewPCG(10, 10000))
	const n = 10000
	same := 0
	for i := range n {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		if i%100 == 0 {
			// Now and then a point far outside the city, where the grid
			// search starts from the clamped cell and must still stop
			// only when nothing nearer can remain.
			p = orb.Point{p[0] + (rng.Float64()-0.5)*2, p[1] + (rng.Float64()-0.5)*2}
		}
		rr, err := g.Reverse(p)
		if err != nil {
			t.Fatal(err)
		}
		got := map[Level]Result{}
		for _, r := range rr.Results {
			got[r.Level] = r
		}
		plate, road, poi, mark := bruteNearest(ds, p)
		// The nearest POI of any kind is listed once: as the landmark when
		// it is one.
		wantPOI := poi
		poiLevel := LevelPOI
		if poi.code == mark.code {
			poiLevel = LevelLandmark
		}
		checks := []struct {
			level Level
			want  bruteHit
		}{{LevelDoorPlate, plate}, {LevelRoad, road}, {LevelLandmark, mark}, {poiLevel, wantPOI}}
		agree := true
		for _, c := range checks {
			r, ok := got[c.level]
			if !ok {
				t.Fatalf("point %d %v: no %s answer", i, p, c.level)
			}
			if math.Abs(*r.DistanceM-c.want.d) > 1e-3*c.want.d+0.05 {
				t.Fatalf("point %d %v: %s %s at %.3f m, brute force %s at %.3f m", i, p, c.level, r.Code, *r.DistanceM, c.want.code, c.want.d)
			}
			if r.Code != c.want.code {
				// A tie (a road end shared with the next road, two plates
				// equally far) is fine when the answer is, by the brute
				// force's own measure, as near as the minimum.
				if d := bruteDistOf(ds, c.level, r.Code, p); math.Abs(d-c.want.d) > 1e-3*c.want.d+0.05 {
					t.Fatalf("point %d %v: %s %s is %.3f m away by brute force, nearest %s at %.3f m", i, p, c.level, r.Code, d, c.want.code, c.want.d)
				}
				agree = false
			}
		}
		if agree {
			same++
		}
		if rr.Location == nil {
			t.Fatalf("point %d: no locate answer", i)
		}
	}
	t.Logf("%d random points: distances agree for all; features identical for %d, ties elsewhere", n, same)
}

// bruteDistOf is the brute-force distance from p to the feature with code.
func bruteDistOf(ds *data.Dataset, level Level, code string, p orb.Point) float64 {
	d := math.Inf(1)
	switch level {
	case LevelDoorPlate:
		for _, a := range ds.Addresses {
			if a.Code == code {
				d = data.HaversineM(p, a.Point)
			}
		}
	case LevelRoad:
		for _, r := range ds.Roads {
			if r.Code != code {
				continue
			}
			for _, ls := range r.Geometry {
				for i := 1; i < len(ls); i++ {
					d = math.Min(d, arcDistM(p, ls[i-1], ls[i]))
				}
			}
		}
	default:
		for _, q := range ds.POIs {
			if q.Code == code {
				d = data.HaversineM(p, q.Point)
			}
		}
	}
	return d
}

func spatialDistance(a orb.Point, b Point) float64 { return data.HaversineM(a, orb.Point(b)) }
