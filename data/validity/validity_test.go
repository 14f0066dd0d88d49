package validity

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func sq(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

// planarArea is the area in degrees² of a built multipolygon, for
// hand-computed expectations.
func planarArea(mp orb.MultiPolygon) float64 {
	var s float64
	for _, p := range mp {
		for i, r := range p {
			a := math.Abs(signedArea(dedup(r)) / 2)
			if i > 0 {
				a = -a
			}
			s += a
		}
	}
	return s
}

func reasons(ps []Problem) []Reason {
	var out []Reason
	for _, p := range ps {
		out = append(out, p.Reason)
	}
	return out
}

// The cases, with the areas of their shell-minus-holes reading worked out
// by hand, and the reasons GEOS 3.11 gives (ST_IsValidReason).
var cases = []struct {
	name   string
	mp     orb.MultiPolygon
	reason Reason // "" for a valid polygon
	area   float64
}{
	{"a square is valid", orb.MultiPolygon{{sq(0, 0, 2, 2)}}, "", 4},
	{"a square with a hole inside is valid", orb.MultiPolygon{{sq(0, 0, 4, 4), sq(1, 1, 2, 2)}}, "", 15},
	{"a bow tie crosses itself; both lobes count",
		orb.MultiPolygon{{{{0, 0}, {2, 2}, {2, 0}, {0, 2}, {0, 0}}}}, SelfIntersection, 2},
	{"an island stored as a hole outside the shell takes nothing away",
		orb.MultiPolygon{{sq(0, 0, 2, 2), sq(5, 5, 6, 6)}}, RingOutsideShell, 4},
	{"a hole half outside the shell removes only its inside half",
		orb.MultiPolygon{{sq(0, 0, 2, 2), sq(1, 0.5, 3, 1.5)}}, SelfIntersection, 3},
	{"a figure-eight shell touching itself at a vertex keeps both loops",
		orb.MultiPolygon{{{{0, 0}, {1, 1}, {2, 0}, {2, 2}, {1, 1}, {0, 2}, {0, 0}}}}, SelfTouch, 2},
	{"two overlapping parts count their overlap once",
		orb.MultiPolygon{{sq(0, 0, 2, 2)}, {sq(1, 0, 3, 2)}}, PartsOverlap, 6},
	{"a part inside another is covered once",
		orb.MultiPolygon{{sq(0, 0, 4, 4)}, {sq(1, 1, 2, 2)}}, PartsOverlap, 16},
	{"a sliver with all points on a line has no area",
		orb.MultiPolygon{{{{0, 0}, {1, 1}, {2, 2}, {0, 0}}}}, ZeroArea, 0},
	{"a ring of two distinct points has too few",
		orb.MultiPolygon{{{{0, 0}, {1, 1}, {1, 1}, {0, 0}}}}, TooFewPoints, 0},
	{"a spike folding back along an edge crosses itself",
		orb.MultiPolygon{{{{0, 0}, {2, 0}, {3, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}}}, SelfIntersection, 4},
}

func TestPolygonNamesTheReasonAndMakeValidKeepsTheReading(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			probs := Polygon(c.mp)
			if c.reason == "" && len(probs) > 0 {
				t.Fatalf("valid polygon reported %v", probs)
			}
			if c.reason != "" {
				found := false
				for _, p := range probs {
					found = found || p.Reason == c.reason
				}
				if !found {
					t.Fatalf("reasons %v, want %q", reasons(probs), c.reason)
				}
			}
			fixed := MakeValid(c.mp)
			if got := planarArea(fixed); math.Abs(got-c.area) > 1e-12 {
				t.Errorf("repaired area %v, want %v (%v)", got, c.area, fixed)
			}
			if len(fixed) > 0 {
				if again := Polygon(fixed); len(again) > 0 {
					t.Errorf("repair is not valid: %v in %v", again, fixed)
				}
			}
			// The repair covers the same points as the reading of the input.
			rg, rf := newRegion(c.mp), newRegion(fixed)
			for x := 0.0317; x < 6; x += 0.1 {
				for y := 0.0731; y < 6; y += 0.1 {
					p := orb.Point{x, y}
					if rg.covers(p) != rf.covers(p) {
						t.Fatalf("at %v: input covers %v, repair %v", p, rg.covers(p), rf.covers(p))
					}
				}
			}
		})
	}
}

func TestIntersectionMeasuresTheOverlapOnly(t *testing.T) {
	a := orb.MultiPolygon{{sq(0, 0, 2, 2)}}
	b := orb.MultiPolygon{{sq(1, 1, 3, 3)}}
	if got := planarArea(Intersection(a, b)); got != 1 {
		t.Errorf("overlap area %v, want 1", got)
	}
	neighbour := orb.MultiPolygon{{sq(2, 0, 4, 2)}}
	if InteriorsMeet(a, neighbour) {
		t.Error("neighbours sharing an edge reported as overlapping")
	}
	if got := Intersection(a, neighbour); planarArea(got) != 0 {
		t.Errorf("neighbours overlap by %v", planarArea(got))
	}
	for _, c := range []struct {
		name string
		b    orb.MultiPolygon
	}{
		{"crossing", b},
		{"a copy", a},
		{"inside", orb.MultiPolygon{{sq(0.5, 0.5, 1, 1)}}},
		{"a triangle with its vertices on the boundary", orb.MultiPolygon{{{{0, 0}, {2, 0}, {1, 2}, {0, 0}}}}},
	} {
		if !InteriorsMeet(a, c.b) {
			t.Errorf("%s: overlap not seen", c.name)
		}
	}
}

func TestDifferenceFindsTheGapBetweenChildren(t *testing.T) {
	parent := orb.MultiPolygon{{sq(0, 0, 4, 2)}}
	kids := []orb.MultiPolygon{{{sq(0, 0, 1, 2)}}, {{sq(1.5, 0, 4, 2)}}}
	gap := Difference(parent, kids)
	if got := planarArea(gap); math.Abs(got-1) > 1e-12 {
		t.Errorf("gap %v, want 1 (%v)", got, gap)
	}
}

func TestLinesOfOnePointHaveZeroLength(t *testing.T) {
	ml := orb.MultiLineString{{{1, 1}, {1, 1}}, {{0, 0}, {1, 0}}}
	probs := Lines(ml)
	if len(probs) != 1 || probs[0].Reason != ZeroLength || probs[0].Part != 0 {
		t.Fatalf("problems %v", probs)
	}
	if fixed := RepairLines(ml); len(fixed) != 1 || len(fixed[0]) != 2 {
		t.Errorf("repaired %v", fixed)
	}
}
