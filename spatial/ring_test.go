package spatial

import (
	"testing"

	"github.com/paulmach/orb"
)

// wkt-like helpers for the cases below: a ring from flat coordinates.
func ringOf(xy ...float64) orb.Ring {
	r := make(orb.Ring, 0, len(xy)/2)
	for i := 0; i+1 < len(xy); i += 2 {
		r = append(r, orb.Point{xy[i], xy[i+1]})
	}
	return r
}

// TestInvalidPolygonsAreReadShellMinusHoles pins the reading of invalid
// polygons to PostGIS 3.3's ST_Covers. Every expectation was checked with
// PostGIS 3.3.2 (GEOS 3.11.1) on the same MULTIPOLYGON and point, and each
// follows from "a part covers what its shell winds around, less what its
// holes contain".
func TestInvalidPolygonsAreReadShellMinusHoles(t *testing.T) {
	outer := ringOf(0, 0, 10, 0, 10, 10, 0, 10, 0, 0)
	tests := []struct {
		name string
		mp   orb.MultiPolygon
		p    orb.Point
		want int
	}{
		{"an island stored as a hole outside the shell covers nothing",
			orb.MultiPolygon{{outer, ringOf(20, 20, 21, 20, 21, 21, 20, 21, 20, 20)}}, orb.Point{20.5, 20.5}, outside},
		{"the edge of a hole outside the shell is not a boundary",
			orb.MultiPolygon{{outer, ringOf(20, 20, 21, 20, 21, 21, 20, 21, 20, 20)}}, orb.Point{20, 20.5}, outside},
		{"the shell still covers its inside when a hole lies outside it",
			orb.MultiPolygon{{outer, ringOf(20, 20, 21, 20, 21, 21, 20, 21, 20, 20)}}, orb.Point{5, 5}, interior},
		{"a ring wound twice around a point covers it (even-odd would not)",
			orb.MultiPolygon{{ringOf(0, 0, 10, 0, 10, 10, 0, 10, 0, 0, 1, 1, 9, 1, 9, 9, 1, 9, 1, 1, 0, 0)}}, orb.Point{5, 5}, interior},
		{"a self-touching ring's loop wound the same way is inside",
			orb.MultiPolygon{{ringOf(0, 0, 10, 0, 10, 10, 5, 10, 5, 5, 6, 5, 6, 6, 5, 6, 5, 10, 0, 10, 0, 0)}}, orb.Point{5.5, 5.5}, interior},
		{"a point on a self-touching ring's cut line is on the boundary",
			orb.MultiPolygon{{ringOf(0, 0, 10, 0, 10, 10, 5, 10, 5, 5, 6, 5, 6, 6, 5, 6, 5, 10, 0, 10, 0, 0)}}, orb.Point{5, 7}, boundary},
		{"a hole of one part covered by another part is covered",
			orb.MultiPolygon{{outer, ringOf(2, 2, 8, 2, 8, 8, 2, 8, 2, 2)}, {ringOf(3, 3, 7, 3, 7, 7, 3, 7, 3, 3)}}, orb.Point{5, 5}, interior},
		{"a hole of one part outside the other part is not covered",
			orb.MultiPolygon{{outer, ringOf(2, 2, 8, 2, 8, 8, 2, 8, 2, 2)}, {ringOf(3, 3, 7, 3, 7, 7, 3, 7, 3, 3)}}, orb.Point{2.5, 5}, outside},
		{"a hole crossing the shell takes away what lies inside both",
			orb.MultiPolygon{{outer, ringOf(5, 5, 15, 5, 15, 6, 5, 6, 5, 5)}}, orb.Point{7, 5.5}, outside},
		{"a hole crossing the shell adds nothing outside it",
			orb.MultiPolygon{{outer, ringOf(5, 5, 15, 5, 15, 6, 5, 6, 5, 5)}}, orb.Point{12, 5.5}, outside},
		{"the shell's edge inside a crossing hole is still a boundary",
			orb.MultiPolygon{{outer, ringOf(5, 5, 15, 5, 15, 6, 5, 6, 5, 5)}}, orb.Point{10, 5.5}, boundary},
		{"a point on a hole's edge inside the shell is on the boundary",
			orb.MultiPolygon{{outer, ringOf(2, 2, 8, 2, 8, 8, 2, 8, 2, 2)}}, orb.Point{2, 5}, boundary},
		{"overlapping parts cover their overlap",
			orb.MultiPolygon{{ringOf(0, 0, 4, 0, 4, 4, 0, 4, 0, 0)}, {ringOf(2, 2, 6, 2, 6, 6, 2, 6, 2, 2)}}, orb.Point{3, 3}, interior},
		{"a hole inside a hole still leaves the point out (holes do not nest)",
			orb.MultiPolygon{{outer, ringOf(2, 2, 8, 2, 8, 8, 2, 8, 2, 2), ringOf(4, 4, 6, 4, 6, 6, 4, 6, 4, 4)}}, orb.Point{5, 5}, outside},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pp := prepare(tc.mp)
			if got := pp.locate(tc.p[0], tc.p[1]); got != tc.want {
				t.Errorf("prepared locate = %d, want %d", got, tc.want)
			}
			got := multiPolygonLocate(tc.mp, tc.p[0], tc.p[1])
			if (got != outside) != (tc.want != outside) {
				t.Errorf("unprepared locate = %d, want %d", got, tc.want)
			}
		})
	}
}
