package spatial

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"citygrid/data"
	"citygrid/data/topology"

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

// TestDistancesPassIslandsStoredAsHoles: PostGIS measures a point outside
// a polygon's shell to the shell, even when a hole of the polygon (an island
// stored as a hole) lies nearer; a point inside such a hole is outside the
// polygon too. Both the scan and the shape index (a shell of 80 vertices)
// must follow.
func TestDistancesPassIslandsStoredAsHoles(t *testing.T) {
	var shell orb.Ring
	for k := range 80 { // the square [0,1]² with 20 vertices a side
		f := float64(k%20) / 20
		shell = append(shell, [4]orb.Point{{f, 0}, {1, f}, {1 - f, 1}, {0, 1 - f}}[k/20])
	}
	shell = append(shell, shell[0])
	island := ringOf(1.5, 0, 1.5, 1, 2.5, 1, 2.5, 0, 1.5, 0)
	mp := orb.MultiPolygon{{shell, island}}
	base := orb.Point{118, 32}
	for i := range mp[0] {
		for k := range mp[0][i] {
			mp[0][i][k] = orb.Point{base[0] + mp[0][i][k][0]*0.001, base[1] + mp[0][i][k][1]*0.001}
		}
	}
	for _, p := range []orb.Point{{1.4, 0.5}, {2, 0.5}, {2.6, 0.5}} {
		q := orb.Point{base[0] + p[0]*0.001, base[1] + p[1]*0.001}
		want := data.HaversineM(q, orb.Point{base[0] + 0.001, q[1]}) // to the shell's east edge
		if got := componentDistance(q, mp); math.Abs(got-want) > 1e-6*want {
			t.Errorf("scan: distance from %v is %.3f m, want %.3f m to the shell", p, got, want)
		}
		if got := newShapeIndex(mp).distance(q); math.Abs(got-want) > 1e-6*want {
			t.Errorf("shape index: distance from %v is %.3f m, want %.3f m to the shell", p, got, want)
		}
	}
}

// TestZeroLengthLinesActAsTheirPoint pins the PostGIS 3.3 / GEOS 3.11
// reading of a line whose two vertices are the same point: ST_Intersects
// with a polygon holding the point (or with the point on its edge) is true,
// and ST_Distance is the distance to the point. Within and nearest follow.
func TestZeroLengthLinesActAsTheirPoint(t *testing.T) {
	ds := &data.Dataset{
		Categories: []data.Category{{Kind: data.KindComponent, Code: "0201"}},
		Components: []data.Component{
			{Code: "inside", Category: "0201", Geometry: orb.LineString{at(5, 5), at(5, 5)}},
			{Code: "on-edge", Category: "0201", Geometry: orb.LineString{at(10, 5), at(10, 5)}},
			{Code: "outside", Category: "0201", Geometry: orb.LineString{at(50, 5), at(50, 5)}},
		},
	}
	ix, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ix.WithinPolygon(orb.MultiPolygon{{square(0, 0, 10, 10)}}, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range res.Components {
		got = append(got, c.Code)
	}
	if !slices.Equal(got, []string{"inside", "on-edge"}) {
		t.Fatalf("within found %v, want the two lines whose point the square covers", got)
	}
	near, err := ix.Nearest(at(48, 5), 1, 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := data.HaversineM(at(48, 5), at(50, 5)); near.Count != 1 || near.Components[0].Code != "outside" || math.Abs(near.Components[0].DistanceM-want) > 1e-9 {
		t.Fatalf("nearest = %+v, want outside at %.3f m", near.Components, want)
	}
}

// TestPreparedLocateMatchesTheRingByRingReading is the property test of
// the slab index: on random multipolygons — valid ones (one parity pass),
// ones with self-crossing rings, holes anywhere and overlapping parts (the
// ring-by-ring walk) — prepared.locate classifies random points, every
// vertex and every edge midpoint as topology.Locate does.
func TestPreparedLocateMatchesTheRingByRingReading(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 13))
	randomRing := func(n int, x0, y0, size float64) orb.Ring {
		var rg orb.Ring
		for range n {
			rg = append(rg, orb.Point{x0 + float64(r.IntN(8))*size/8, y0 + float64(r.IntN(8))*size/8})
		}
		return append(rg, rg[0])
	}
	for trial := range 400 {
		var mp orb.MultiPolygon
		for range 1 + r.IntN(3) {
			x0, y0 := float64(r.IntN(4)), float64(r.IntN(4))
			var poly orb.Polygon
			if trial%2 == 0 { // valid: a square with square holes inside it
				poly = orb.Polygon{ringOf(x0, y0, x0+4, y0, x0+4, y0+4, x0, y0+4, x0, y0)}
				for h := range r.IntN(3) {
					hx := x0 + 0.5 + float64(h)*1.2
					poly = append(poly, ringOf(hx, y0+1, hx, y0+2, hx+1, y0+2, hx+1, y0+1, hx, y0+1))
				}
			} else {
				poly = orb.Polygon{randomRing(3+r.IntN(8), x0, y0, 4)}
				for range r.IntN(3) {
					poly = append(poly, randomRing(3+r.IntN(5), float64(r.IntN(6)), float64(r.IntN(6)), 3))
				}
			}
			mp = append(mp, poly)
			if trial%2 == 0 {
				break // one part: parts of a valid multipolygon must not overlap
			}
		}
		pp := prepare(mp)
		check := func(p orb.Point) {
			if got, want := pp.locate(p[0], p[1]), int(topology.Locate(mp, p)); got != want {
				t.Fatalf("trial %d at %v: prepared %d, topology %d\n%v", trial, p, got, want, mp)
			}
		}
		for range 200 {
			check(orb.Point{r.Float64() * 10, r.Float64() * 10})
		}
		for _, poly := range mp {
			for _, rg := range poly {
				for k := range rg {
					check(rg[k])
					if k+1 < len(rg) {
						check(orb.Point{(rg[k][0] + rg[k+1][0]) / 2, (rg[k][1] + rg[k+1][1]) / 2})
					}
				}
			}
		}
	}
}
