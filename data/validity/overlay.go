package validity

import (
	"math"
	"sort"

	"github.com/paulmach/orb"

	"citygrid/data"
)

// The overlay below builds a polygon from a point predicate: the edges of
// the input rings are split where they meet, each piece is kept when the
// predicate holds on one side of it and not on the other (turned so the
// covered side is on its left), and the kept pieces are linked into rings.
// Repair, overlap and gap measurement are this one construction with three
// predicates, so they cannot disagree with one another. It is quadratic in
// the edges of one feature in the worst case; it runs only on features that
// need it (an invalid polygon, a pair whose interiors meet).

// region is a polygon read the shell-minus-holes way, with its bounds for
// a quick refusal.
type region struct {
	parts [][][]orb.Point
	bound orb.Bound
}

func newRegion(mp orb.MultiPolygon) region {
	rg := region{bound: mp.Bound()}
	for _, poly := range mp {
		var rings [][]orb.Point
		for _, r := range poly {
			rings = append(rings, dedup(r))
		}
		rg.parts = append(rg.parts, rings)
	}
	return rg
}

func (rg *region) covers(p orb.Point) bool {
	if !rg.bound.Contains(p) {
		return false
	}
	for _, part := range rg.parts {
		if coversPart(part, p) {
			return true
		}
	}
	return false
}

type segment struct{ a, b orb.Point }

// segmentsOf lists the edges of the rings of mps.
func segmentsOf(mps ...orb.MultiPolygon) []ringEdge {
	var es []ringEdge
	for _, mp := range mps {
		for _, poly := range mp {
			for _, r := range poly {
				ps := dedup(r)
				if len(ps) < 2 {
					continue
				}
				for i := range ps {
					es = append(es, ringEdge{a: ps[i], b: ps[(i+1)%len(ps)]})
				}
			}
		}
	}
	return es
}

// node splits edges where they cross or where a vertex of one lies on
// another, and drops repeats, so pieces meet only at their ends.
func node(es []ringEdge) []segment {
	for i := range es {
		es[i].i = i
	}
	splits := make([][]orb.Point, len(es))
	sweepPairs(es, func(e, f *ringEdge) {
		o1, o2 := orient(e.a, e.b, f.a), orient(e.a, e.b, f.b)
		o3, o4 := orient(f.a, f.b, e.a), orient(f.a, f.b, e.b)
		if ((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)) {
			p := crossPoint(e.a, e.b, f.a, f.b)
			splits[e.i] = append(splits[e.i], p)
			splits[f.i] = append(splits[f.i], p)
			return
		}
		if o1 == 0 && onSegment(e.a, e.b, f.a) {
			splits[e.i] = append(splits[e.i], f.a)
		}
		if o2 == 0 && onSegment(e.a, e.b, f.b) {
			splits[e.i] = append(splits[e.i], f.b)
		}
		if o3 == 0 && onSegment(f.a, f.b, e.a) {
			splits[f.i] = append(splits[f.i], e.a)
		}
		if o4 == 0 && onSegment(f.a, f.b, e.b) {
			splits[f.i] = append(splits[f.i], e.b)
		}
	})
	seen := map[segment]bool{}
	var out []segment
	add := func(a, b orb.Point) {
		if a == b {
			return
		}
		k := segment{a, b}
		if b[0] < a[0] || (b[0] == a[0] && b[1] < a[1]) {
			k = segment{b, a}
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for i := range es {
		e := &es[i]
		ps := append([]orb.Point{e.a, e.b}, splits[e.i]...)
		dx, dy := e.b[0]-e.a[0], e.b[1]-e.a[1]
		sort.Slice(ps, func(i, j int) bool {
			return (ps[i][0]-e.a[0])*dx+(ps[i][1]-e.a[1])*dy < (ps[j][0]-e.a[0])*dx+(ps[j][1]-e.a[1])*dy
		})
		for k := 0; k+1 < len(ps); k++ {
			add(ps[k], ps[k+1])
		}
	}
	return out
}

// build returns the polygon of the points where in holds, bounded by the
// edges es (which must include every edge of every region in reaches).
func build(es []ringEdge, in func(orb.Point) bool) orb.MultiPolygon {
	segs := node(es)
	// Keep each piece with in on its left and not on its right.
	type dirEdge struct {
		a, b orb.Point
		used bool
	}
	var kept []dirEdge
	for _, s := range segs {
		dx, dy := s.b[0]-s.a[0], s.b[1]-s.a[1]
		l := math.Hypot(dx, dy)
		// One millionth of the piece, but never below ~1 µm on the ground
		// (1e-11°), far above the rounding of coordinates near 100°.
		d := math.Max(l*1e-6, 1e-11) / l
		m := midpoint(s.a, s.b)
		left := in(orb.Point{m[0] - dy*d, m[1] + dx*d})
		right := in(orb.Point{m[0] + dy*d, m[1] - dx*d})
		switch {
		case left && !right:
			kept = append(kept, dirEdge{a: s.a, b: s.b})
		case right && !left:
			kept = append(kept, dirEdge{a: s.b, b: s.a})
		}
	}
	from := map[orb.Point][]int{}
	for i, e := range kept {
		from[e.a] = append(from[e.a], i)
	}
	// Link pieces into rings; where several leave one point, take the first
	// turning clockwise from the way back, which closes the smallest ring
	// and so splits rings that touch at a point.
	var shells, holes []orb.Ring
	for i := range kept {
		if kept[i].used {
			continue
		}
		ring := orb.Ring{kept[i].a}
		cur := i
		for {
			kept[cur].used = true
			e := kept[cur]
			ring = append(ring, e.b)
			if e.b == ring[0] {
				break
			}
			back := math.Atan2(e.a[1]-e.b[1], e.a[0]-e.b[0])
			next, best := -1, math.Inf(1)
			for _, j := range from[e.b] {
				if kept[j].used {
					continue
				}
				turn := back - math.Atan2(kept[j].b[1]-kept[j].a[1], kept[j].b[0]-kept[j].a[0])
				for turn <= 0 {
					turn += 2 * math.Pi
				}
				if turn < best {
					next, best = j, turn
				}
			}
			if next < 0 {
				break // an open chain: numerical debris, dropped below
			}
			cur = next
		}
		if len(ring) < 4 || ring[0] != ring[len(ring)-1] {
			continue
		}
		switch a := signedArea(ring[:len(ring)-1]); {
		case a > 0:
			shells = append(shells, ring)
		case a < 0:
			holes = append(holes, ring)
		}
	}
	mp := make(orb.MultiPolygon, len(shells))
	areas := make([]float64, len(shells))
	for i, s := range shells {
		mp[i] = orb.Polygon{s}
		areas[i] = signedArea(s[:len(s)-1])
	}
	for _, h := range holes {
		p := midpoint(h[0], h[1])
		best := -1
		for i, s := range shells {
			if winding(s[:len(s)-1], p) != 0 && (best < 0 || areas[i] < areas[best]) {
				best = i
			}
		}
		if best >= 0 {
			mp[best] = append(mp[best], h)
		}
	}
	return mp
}

// MakeValid returns a valid multipolygon covering exactly what mp covers
// read the shell-minus-holes way: a part covers what its shell winds around
// (a figure-eight shell covers both loops), less what its holes cover; a
// hole outside its shell takes nothing away. Zero-area parts vanish; the
// result is empty when nothing is left. A valid mp is returned unchanged.
func MakeValid(mp orb.MultiPolygon) orb.MultiPolygon {
	if len(Polygon(mp)) == 0 {
		return mp
	}
	rg := newRegion(mp)
	return build(segmentsOf(mp), rg.covers)
}

// Intersection returns the part of the plane both a and b cover (each read
// the shell-minus-holes way).
func Intersection(a, b orb.MultiPolygon) orb.MultiPolygon {
	if !a.Bound().Intersects(b.Bound()) {
		return nil
	}
	ra, rb := newRegion(a), newRegion(b)
	return build(segmentsOf(a, b), func(p orb.Point) bool { return ra.covers(p) && rb.covers(p) })
}

// Difference returns the part of a that none of bs covers.
func Difference(a orb.MultiPolygon, bs []orb.MultiPolygon) orb.MultiPolygon {
	ra := newRegion(a)
	rbs := make([]region, 0, len(bs))
	var near []orb.MultiPolygon
	for _, b := range bs {
		if b.Bound().Intersects(ra.bound) {
			rbs = append(rbs, newRegion(b))
			near = append(near, b)
		}
	}
	return build(segmentsOf(append([]orb.MultiPolygon{a}, near...)...), func(p orb.Point) bool {
		if !ra.covers(p) {
			return false
		}
		for i := range rbs {
			if rbs[i].covers(p) {
				return false
			}
		}
		return true
	})
}

// AreaM2 is the area in square metres on the CGCS2000 ellipsoid of a
// multipolygon whose shells run counter-clockwise and holes clockwise, as
// this package builds them.
func AreaM2(mp orb.MultiPolygon) float64 {
	var s float64
	for _, poly := range mp {
		for _, r := range poly {
			s += data.RingAreaM2(r)
		}
	}
	return s
}

// InteriorsMeet reports whether the interiors of a and b may overlap: an
// edge of one properly crosses an edge of the other, or a vertex or edge
// midpoint of one lies inside the other off its boundary. It is the cheap
// test run before Intersection on every pair of neighbours, whose shared
// edges are not an overlap.
func InteriorsMeet(a, b orb.MultiPolygon) bool {
	if !a.Bound().Intersects(b.Bound()) {
		return false
	}
	ra, rb := newRegion(a), newRegion(b)
	inside := func(r *region, edges map[segment]bool, p orb.Point) bool {
		if !r.covers(p) {
			return false
		}
		for _, part := range r.parts {
			for _, ring := range part {
				if onRing(ring, p) {
					return false
				}
			}
		}
		return true
	}
	ea, eb := segmentsOf(a), segmentsOf(b)
	setOf := func(es []ringEdge) map[segment]bool {
		m := make(map[segment]bool, 2*len(es))
		for _, e := range es {
			m[segment{e.a, e.b}], m[segment{e.b, e.a}] = true, true
		}
		return m
	}
	sa, sb := setOf(ea), setOf(eb)
	probe := func(es []ringEdge, other *region, otherEdges map[segment]bool) bool {
		for _, e := range es {
			if inside(other, otherEdges, e.a) {
				return true
			}
			// The midpoint of an edge the other polygon shares is on its
			// boundary, though rounding may put it a hair inside.
			if !otherEdges[segment{e.a, e.b}] && inside(other, otherEdges, midpoint(e.a, e.b)) {
				return true
			}
		}
		return false
	}
	if probe(ea, &rb, sb) || probe(eb, &ra, sa) {
		return true
	}
	crossed := false
	all := append(append([]ringEdge(nil), ea...), eb...)
	for i := range all {
		all[i].part = 0
		if i >= len(ea) {
			all[i].part = 1
		}
	}
	sweepPairs(all, func(e, f *ringEdge) {
		if crossed || e.part == f.part {
			return
		}
		o1, o2 := orient(e.a, e.b, f.a), orient(e.a, e.b, f.b)
		o3, o4 := orient(f.a, f.b, e.a), orient(f.a, f.b, e.b)
		crossed = ((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0))
	})
	if crossed {
		return true
	}
	// Two copies of one polygon share every edge and no vertex is inside.
	return len(sa) == len(sb) && func() bool {
		for k := range sa {
			if !sb[k] {
				return false
			}
		}
		return true
	}()
}
