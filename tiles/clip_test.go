package tiles

import (
	"math/rand"
	"testing"

	"github.com/paulmach/orb"
)

func boxRing(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

// evenOdd is a plain crossing-number test over every ring of a polygon.
func evenOdd(p orb.Polygon, x, y float64) bool {
	in := false
	for _, r := range p {
		for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
			a, b := r[i], r[j]
			if (a[1] > y) != (b[1] > y) && x < (b[0]-a[0])*(y-a[1])/(b[1]-a[1])+a[0] {
				in = !in
			}
		}
	}
	return in
}

// TestClippingKeepsHolesInsideAndDropsTilesInAHole: a tile lying wholly in
// a hole gets no polygon (as PostGIS leaves it out); a hole crossing the
// tile's buffer edge never comes out sharing an edge with the exterior, and
// inside the box the clipped polygon covers exactly the points the
// original covers (sampled on a grid, by an independent crossing test).
func TestClippingKeepsHolesInsideAndDropsTilesInAHole(t *testing.T) {
	box := orb.Bound{Min: orb.Point{-Buffer, -Buffer}, Max: orb.Point{Extent + Buffer, Extent + Buffer}}
	inHole := orb.MultiPolygon{{boxRing(-9000, -9000, 14000, 14000), boxRing(-5000, -5000, 9000, 9000)}}
	if got := clipPolygons(box, inHole); len(got) != 0 {
		t.Errorf("a tile inside a hole got %v", got)
	}
	r := rand.New(rand.NewSource(3))
	for n := 0; n < 200; n++ {
		ext := boxRing(-3000+r.Float64()*1000, -3000+r.Float64()*1000, 5500+r.Float64()*2500, 5500+r.Float64()*2500)
		p := orb.Polygon{ext}
		// Holes on a lattice so they never overlap, some crossing the box.
		for i := 0; i < 4; i++ {
			for j := 0; j < 4; j++ {
				if r.Intn(3) != 0 {
					continue
				}
				x0 := -1500 + float64(i)*1700 + r.Float64()*300
				y0 := -1500 + float64(j)*1700 + r.Float64()*300
				p = append(p, boxRing(x0, y0, x0+200+r.Float64()*1100, y0+200+r.Float64()*1100))
			}
		}
		orig := orb.Polygon{}
		for _, ring := range p {
			orig = append(orig, append(orb.Ring(nil), ring...))
		}
		got := clipPolygons(box, orb.MultiPolygon{p})
		if len(got) != 1 {
			t.Fatalf("case %d: %d polygons", n, len(got))
		}
		q := got[0]
		eb := q[0].Bound()
		for _, h := range q[1:] {
			if !strictlyInside(h.Bound(), eb) {
				t.Fatalf("case %d: hole %v reaches the exterior's edge %v", n, h.Bound(), eb)
			}
		}
		for i := 0; i < 60; i++ {
			for j := 0; j < 60; j++ {
				x := box.Min[0] + (float64(i)+0.37)*(box.Max[0]-box.Min[0])/60
				y := box.Min[1] + (float64(j)+0.61)*(box.Max[1]-box.Min[1])/60
				if evenOdd(orig, x, y) != evenOdd(q, x, y) {
					t.Fatalf("case %d: point (%v, %v) covered %v before clipping, %v after", n, x, y, evenOdd(orig, x, y), evenOdd(q, x, y))
				}
			}
		}
	}
}
