package spatial

import (
	"math"
	"math/rand/v2"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
)

func TestOutlineKeepsOnlyEdgesNotSharedFromBothSides(t *testing.T) {
	// A 2×2 block of squares: 16 ring edges, 8 of them on the outline.
	var grids []data.UnitGrid
	for k, c := range [][2]float64{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
		grids = append(grids, data.UnitGrid{Code: "32011400100100" + string(rune('1'+k)),
			Geometry: orb.MultiPolygon{{square(c[0], c[1], c[0]+1, c[1]+1)}}})
	}
	ix, err := Build(&data.Dataset{UnitGrids: grids})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ix.currentOutline().edges); n != 8 {
		t.Fatalf("outline of a 2×2 block has %d edges, want 8", n)
	}
	// A clockwise copy of a square on top of another square (same edges,
	// interior on the same side) is not interior: all 8 edges stay.
	cw := square(5, 5, 6, 6)
	cw.Reverse()
	ix, err = Build(&data.Dataset{UnitGrids: []data.UnitGrid{
		{Code: "320114001001001", Geometry: orb.MultiPolygon{{square(5, 5, 6, 6)}}},
		{Code: "320114001001002", Geometry: orb.MultiPolygon{{cw}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ix.currentOutline().edges); n != 8 {
		t.Fatalf("two overlapping squares: %d outline edges, want 8", n)
	}
}

// outlineCity has the shapes the outline must get right: a T-junction
// (A's east edge against B and C), a grid with a hole partly filled by
// another grid (F shares the hole's west edge from inside), a
// multipolygon grid, and a lone grid far off.
func outlineCity() *data.Dataset {
	hole := square(6, 1, 7, 2)
	hole.Reverse()
	return &data.Dataset{UnitGrids: []data.UnitGrid{
		{Code: "320114001001001", Geometry: orb.MultiPolygon{{square(0, 0, 2, 2)}}},
		{Code: "320114001001002", Geometry: orb.MultiPolygon{{square(2, 0, 3, 1)}}},
		{Code: "320114001001003", Geometry: orb.MultiPolygon{{square(2, 1, 3, 2)}}},
		{Code: "320114001001004", Geometry: orb.MultiPolygon{{square(5, 0, 8, 3), hole}}},
		{Code: "320114001001005", Geometry: orb.MultiPolygon{{square(6, 1, 6.5, 2)}}},
		{Code: "320114001001006", Geometry: orb.MultiPolygon{{square(0, 4, 1, 5)}, {square(2, 4, 3, 5)}}},
		{Code: "320114001001007", Geometry: orb.MultiPolygon{{square(30, 30, 31, 31)}}},
	}}
}

func TestNearestGridByOutlineMatchesTheWalkAndTheScan(t *testing.T) {
	ds := outlineCity()
	ix, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(8, 8))
	outside := 0
	check := func(p orb.Point) {
		t.Helper()
		if ix.grids.covering(p[0], p[1]) >= 0 {
			return
		}
		outside++
		got, walk := ix.nearestGrid(p), ix.nearestGridWalk(p)
		code, d := bruteNearestGrid(ds, p)
		if got.Code != walk.Code || math.Abs(got.DistanceM-walk.DistanceM) > 1e-6 {
			t.Fatalf("%v: outline %+v, walk %+v", p, got, walk)
		}
		if got.Code != code || math.Abs(got.DistanceM-d) > 1e-6 {
			t.Fatalf("%v: outline %+v, scan %s at %.6f m", p, got, code, d)
		}
	}
	for i := 0; i < 20000; i++ {
		check(at(-3+r.Float64()*40, -3+r.Float64()*40))
	}
	// Points in the hole's open part, and exactly level with or below
	// vertices (ties between grids meeting at a corner).
	for i := 0; i < 2000; i++ {
		check(at(6.5+r.Float64()*0.5, 1+r.Float64()))
	}
	for _, p := range []orb.Point{at(2, -1), at(3, -0.5), at(-1, -1), at(2, 3), at(6.5, 1.5), at(1.5, 4.5), at(4, 1), at(100, -50)} {
		check(p)
	}
	if outside < 15000 {
		t.Fatalf("test setup: only %d points outside", outside)
	}
}

func TestNearestGridFollowsGridEdits(t *testing.T) {
	ds := outlineCity()
	ix, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	p := at(3.5, 0.5) // east of B
	if got := ix.nearestGrid(p); got.Code != "320114001001002" {
		t.Fatalf("nearest %+v, want B", got)
	}
	// Without B, A's east edge (a T-junction edge, kept on the outline) and
	// C are the nearest; the outline built before must not be reused.
	if !ix.grids.remove("320114001001002") {
		t.Fatal("remove failed")
	}
	got, walk := ix.nearestGrid(p), ix.nearestGridWalk(p)
	if got != walk || got.Code == "320114001001002" {
		t.Fatalf("after removing B: outline %+v, walk %+v", got, walk)
	}
}

// nearestGridWalk finds the unit grid whose boundary is closest to p. The
// R-tree is walked best-first by a planar lower bound (box distance in a
// local projection around p, where boxes stay boxes) for nodes and grids
// alike; a grid's exact distance is computed only when it is popped, and
// the walk ends once the next lower bound exceeds the best exact distance.
// Ties go to the lowest code. It was the search before the outline and is the
// reference the outline search (nearestGrid) is checked against.
func (ix *Index) nearestGridWalk(p orb.Point) NearestGrid {
	lp := newLocalPlane(p)
	var best NearestGrid
	bestD := math.Inf(1)
	var bestQ orb.Point
	ix.grids.tree.Nearby(
		func(min, max [2]float64, _ uint32, _ bool) float64 {
			return lp.boxDist(min[0], min[1], max[0], max[1])
		},
		func(_, _ [2]float64, i uint32, lb float64) bool {
			if lb > bestD {
				return false
			}
			q, d := ix.grids.prep[i].nearestOnEdges(lp)
			if code := ix.grids.code[i]; d < bestD || d == bestD && code < best.Code {
				best.Code, bestD, bestQ = code, d, q
			}
			return true
		},
	)
	if best.Code != "" {
		best.DistanceM = data.HaversineM(p, bestQ)
	}
	return best
}
