package data

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func square(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

func TestDissolveTwoByTwo(t *testing.T) {
	// Four unit squares sharing edges: one ring of the 2×2 square whose
	// vertices are its corners and the four edge midpoints (the centre
	// vertex, where all four met, is gone).
	mp := orb.MultiPolygon{square(0, 0, 1, 1), square(1, 0, 2, 1), square(0, 1, 1, 2), square(1, 1, 2, 2)}
	got := Dissolve(mp)
	if len(got) != 1 || len(got[0]) != 1 {
		t.Fatalf("%d polygons, first with %d rings", len(got), len(got[0]))
	}
	r := got[0][0]
	if len(r) != 9 || !RingIsCCW(r) {
		t.Fatalf("ring %v", r)
	}
	for _, p := range r {
		if p == (orb.Point{1, 1}) {
			t.Fatal("the centre vertex survived")
		}
	}
	if a := planar.Area(got); math.Abs(a-4) > 1e-12 {
		t.Fatalf("area %v", a)
	}
}

func TestDissolveRingAroundAHole(t *testing.T) {
	// Eight squares around an empty middle: one polygon with one hole.
	var mp orb.MultiPolygon
	for x := 0; x < 3; x++ {
		for y := 0; y < 3; y++ {
			if x == 1 && y == 1 {
				continue
			}
			mp = append(mp, square(float64(x), float64(y), float64(x+1), float64(y+1)))
		}
	}
	got := Dissolve(mp)
	if len(got) != 1 || len(got[0]) != 2 {
		t.Fatalf("%d polygons, first with %d rings", len(got), len(got[0]))
	}
	if RingIsCCW(got[0][1]) || math.Abs(planar.Area(got)-8) > 1e-12 {
		t.Fatalf("hole orientation or area wrong: %v", got)
	}
	if !planar.MultiPolygonContains(got, orb.Point{0.5, 0.5}) || planar.MultiPolygonContains(got, orb.Point{1.5, 1.5}) {
		t.Fatal("containment wrong")
	}
}

func TestDissolveKeepsDisjointPartsAndTJunctions(t *testing.T) {
	// Disjoint squares stay two polygons.
	got := Dissolve(orb.MultiPolygon{square(0, 0, 1, 1), square(3, 0, 4, 1)})
	if len(got) != 2 || math.Abs(planar.Area(got)-2) > 1e-12 {
		t.Fatalf("disjoint: %v", got)
	}
	// A T-junction (the right square's edge has no vertex where the left
	// squares meet) cannot be dissolved: the polygons come back side by
	// side with the same area.
	got = Dissolve(orb.MultiPolygon{square(0, 0, 1, 1), square(0, 1, 1, 2), square(1, 0, 2, 2)})
	if math.Abs(planar.Area(got)-4) > 1e-12 {
		t.Fatalf("T-junction area %v", planar.Area(got))
	}
}
