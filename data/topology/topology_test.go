package topology

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

func ring(xy ...float64) orb.Ring {
	r := make(orb.Ring, 0, len(xy)/2)
	for i := 0; i+1 < len(xy); i += 2 {
		r = append(r, orb.Point{xy[i], xy[i+1]})
	}
	return r
}

func square(x0, y0, x1, y1 float64) orb.Ring {
	return ring(x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)
}

func cw(r orb.Ring) orb.Ring {
	r = slices.Clone(r)
	slices.Reverse(r)
	return r
}

// The cases of the validity table. Each invalid one is what GEOS 3.11
// (ST_IsValidReason) also calls invalid.
var checkCases = []struct {
	name string
	mp   orb.MultiPolygon
	want []Reason // nil: valid
}{
	{"a square is valid", orb.MultiPolygon{{square(0, 0, 4, 4)}}, nil},
	{"a square with a hole is valid", orb.MultiPolygon{{square(0, 0, 4, 4), cw(square(1, 1, 3, 3))}}, nil},
	{"a hole touching its shell at one point is valid",
		orb.MultiPolygon{{square(0, 0, 4, 4), ring(2, 0, 1, 1, 3, 1, 2, 0)}}, nil},
	{"two parts touching at a corner are valid", orb.MultiPolygon{{square(0, 0, 1, 1)}, {square(1, 1, 2, 2)}}, nil},
	{"an unclosed ring is read closed", orb.MultiPolygon{{ring(0, 0, 4, 0, 4, 4, 0, 4)}}, nil},
	{"a bow tie crosses itself", orb.MultiPolygon{{ring(0, 0, 2, 2, 2, 0, 0, 2, 0, 0)}}, []Reason{SelfIntersection}},
	{"a ring through one vertex twice touches itself",
		orb.MultiPolygon{{ring(0, 0, 4, 0, 4, 4, 2, 0, 0, 4, 0, 0)}}, []Reason{SelfTouch}},
	{"an inverted hole touches its shell ring",
		orb.MultiPolygon{{ring(0, 0, 4, 0, 4, 4, 0, 4, 0, 0, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 0, 0)}}, []Reason{SelfTouch, SelfIntersection}},
	{"an island stored as a hole lies outside its shell",
		orb.MultiPolygon{{square(0, 0, 4, 4), cw(square(10, 10, 11, 11))}}, []Reason{RingOutsideShell}},
	{"a hole crossing its shell intersects it",
		orb.MultiPolygon{{square(0, 0, 4, 4), cw(square(3, 1, 6, 2))}}, []Reason{SelfIntersection}},
	{"a hole in a hole is nested", orb.MultiPolygon{{square(0, 0, 10, 10), cw(square(2, 2, 8, 8)), cw(square(4, 4, 6, 6))}},
		[]Reason{NestedHoles}},
	{"a part stored twice overlaps itself", orb.MultiPolygon{{square(0, 0, 4, 4)}, {square(0, 0, 4, 4)}}, []Reason{OverlappingParts}},
	{"a part inside another along its edges overlaps it",
		orb.MultiPolygon{{square(0, 0, 4, 4)}, {ring(0, 0, 4, 0, 4, 4, 0, 0)}}, []Reason{OverlappingParts}},
	{"overlapping parts overlap", orb.MultiPolygon{{square(0, 0, 4, 4)}, {square(2, 2, 6, 6)}}, []Reason{OverlappingParts}},
	{"a ring of collinear points has no area", orb.MultiPolygon{{ring(0, 0, 1, 1, 2, 2, 0, 0)}}, []Reason{ZeroArea}},
	{"a ring of two points has too few", orb.MultiPolygon{{ring(0, 0, 1, 1, 0, 0)}}, []Reason{TooFewPoints}},
	{"a NaN coordinate is not finite", orb.MultiPolygon{{ring(0, 0, math.NaN(), 1, 2, 2, 0, 0)}}, []Reason{NotFinite}},
}

func TestCheckNamesTheDefect(t *testing.T) {
	for _, tc := range checkCases {
		t.Run(tc.name, func(t *testing.T) {
			ps := Check(tc.mp)
			var got []Reason
			for _, p := range ps {
				if !slices.Contains(got, p.Reason) {
					got = append(got, p.Reason)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Fatalf("Check = %v, want reasons %v", ps, tc.want)
			}
			for _, p := range ps {
				if p.String() == "" {
					t.Fatal("a problem without a description")
				}
			}
		})
	}
}

func TestCheckLineFindsZeroLength(t *testing.T) {
	if ps := CheckLine(orb.LineString{{1, 1}, {1, 1}, {1, 1}}); len(ps) != 1 || ps[0].Reason != ZeroLength || ps[0].At != (orb.Point{1, 1}) {
		t.Fatalf("CheckLine = %v", ps)
	}
	if ps := CheckLine(orb.LineString{{1, 1}, {1, 1}, {2, 1}}); len(ps) != 0 {
		t.Fatalf("a line with a repeated vertex is still a line: %v", ps)
	}
	if ps := CheckLine(orb.LineString{{1, 1}}); len(ps) != 1 || ps[0].Reason != TooFewPoints {
		t.Fatalf("CheckLine of one point = %v", ps)
	}
	// PostGIS 3.3: ST_MakeValid('LINESTRING(5 5,5 5)') is POINT(5 5); a line
	// with repeated vertices keeps them.
	if g := MakeValidLine(orb.LineString{{5, 5}, {5, 5}}); g != (orb.Point{5, 5}) {
		t.Fatalf("MakeValidLine of a zero-length line = %v", g)
	}
	if g := MakeValidLine(orb.LineString{{5, 5}, {5, 5}, {6, 6}}); len(g.(orb.LineString)) != 3 {
		t.Fatalf("MakeValidLine changed a valid line: %v", g)
	}
}

// samePoints checks that a and b cover the same points among random points
// over their bound (and the vertices of both, moved a little inwards and
// outwards would be boundary-sensitive, so random points only).
func samePoints(t *testing.T, r *rand.Rand, a, b orb.MultiPolygon, n int) {
	t.Helper()
	bd := a.Bound().Union(b.Bound()).Pad(0.5)
	for range n {
		p := orb.Point{bd.Min[0] + r.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + r.Float64()*(bd.Max[1]-bd.Min[1])}
		if Covers(a, p) != Covers(b, p) {
			t.Fatalf("at %v the input covers %v, the repair %v\ninput  %v\nrepair %v", p, Covers(a, p), Covers(b, p), a, b)
		}
	}
}

func TestMakeValidKeepsTheShellMinusHolesReading(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range checkCases {
		if slices.Contains(tc.want, NotFinite) {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			fixed := MakeValid(tc.mp)
			if ps := Check(fixed); len(ps) > 0 {
				t.Fatalf("MakeValid(%v) = %v, still invalid: %v", tc.mp, fixed, ps)
			}
			samePoints(t, r, tc.mp, fixed, 4000)
			for _, poly := range fixed {
				if ringArea2(openRing(poly[0])) <= 0 {
					t.Fatalf("shell not counter-clockwise: %v", poly[0])
				}
				for _, h := range poly[1:] {
					if ringArea2(openRing(h)) >= 0 {
						t.Fatalf("hole not clockwise: %v", h)
					}
				}
			}
		})
	}
}

// TestMakeValidOnRandomSelfCrossingRings repairs random star polygons whose
// vertices were shuffled (rings crossing themselves many times) and
// compares the points covered.
func TestMakeValidOnRandomSelfCrossingRings(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		n := 4 + r.IntN(12)
		var rg orb.Ring
		for range n {
			if trial%2 == 0 { // lattice points: many multiple crossings
				rg = append(rg, orb.Point{float64(r.IntN(10)), float64(r.IntN(10))})
			} else { // lon/lat-like: every crossing rounded
				rg = append(rg, orb.Point{118.7 + r.Float64()*0.01, 32 + r.Float64()*0.01})
			}
		}
		rg = append(rg, rg[0])
		mp := orb.MultiPolygon{{rg}}
		if trial%3 == 0 && trial%2 == 0 {
			mp[0] = append(mp[0], cw(square(float64(r.IntN(5)), float64(r.IntN(5)), 5+float64(r.IntN(5)), 5+float64(r.IntN(5)))))
		}
		fixed := MakeValid(mp)
		if ps := Check(fixed); len(ps) > 0 {
			t.Fatalf("trial %d: MakeValid(%v) = %v, still invalid: %v", trial, mp, fixed, ps)
		}
		samePoints(t, r, mp, fixed, 500)
	}
}

func TestOverlapsAndGapsOfALayer(t *testing.T) {
	layer := []Feature{
		{"003", orb.MultiPolygon{{square(0, 0, 2, 2)}}},
		{"001", orb.MultiPolygon{{square(1, 0, 3, 2)}}}, // overlaps 003 in [1,2]×[0,2]
		{"002", orb.MultiPolygon{{square(3, 0, 4, 2)}}}, // shares only an edge with 001
	}
	ov := Overlaps(layer)
	if len(ov) != 1 || ov[0].A != "001" || ov[0].B != "003" {
		t.Fatalf("Overlaps = %v", ov)
	}
	if a := area(ov[0].Geometry); a != 2 {
		t.Fatalf("overlap area %v, want 2 (the strip [1,2]×[0,2])", a)
	}
	parent := orb.MultiPolygon{{square(0, 0, 5, 2)}}
	var children []orb.MultiPolygon
	for _, f := range layer {
		children = append(children, f.Geometry)
	}
	gap := Gaps(parent, children)
	if a := area(gap); a != 2 {
		t.Fatalf("gap %v of area %v, want the strip [4,5]×[0,2] of area 2", gap, a)
	}
	if len(Gaps(orb.MultiPolygon{{square(0, 0, 4, 2)}}, children)) != 0 {
		t.Fatal("children covering their parent leave a gap")
	}
}

// area is the planar area of a valid multipolygon.
func area(mp orb.MultiPolygon) float64 {
	var s float64
	for _, poly := range mp {
		for _, r := range poly {
			s += ringArea2(openRing(r)) / 2
		}
	}
	return s
}
