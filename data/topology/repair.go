package topology

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// An overlay rebuilds the polygons of a region given by a membership test
// from the edges that can bound it: every edge is split where another edge
// meets it; each piece is kept, turned so that the region lies on its left,
// when the region holds the points just to one side of it and not the
// other; the kept pieces are joined into rings. MakeValid, Intersection and
// Gaps are overlays with different regions.

// sideOffset is how far from a piece's midpoint, in degrees, the two side
// points are tested: about 0.1 mm, far below survey precision and far above
// the rounding of lon/lat coordinates (about 1e-14 degrees).
const sideOffset = 1e-9

// overlay returns the region of the points member holds, bounded by edges
// of rings.
func overlay(rings []orb.Ring, member func(orb.Point) bool) orb.MultiPolygon {
	pieces := node(segmentsOf(rings))
	type key struct{ a, b orb.Point }
	kept := map[key]bool{}
	var edges []key
	for _, s := range pieces {
		dx, dy := s.b[0]-s.a[0], s.b[1]-s.a[1]
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		eps := math.Min(sideOffset, l/4)
		m := orb.Point{(s.a[0] + s.b[0]) / 2, (s.a[1] + s.b[1]) / 2}
		left := member(orb.Point{m[0] - dy/l*eps, m[1] + dx/l*eps})
		right := member(orb.Point{m[0] + dy/l*eps, m[1] - dx/l*eps})
		var k key
		switch {
		case left && !right:
			k = key{s.a, s.b}
		case right && !left:
			k = key{s.b, s.a}
		default:
			continue
		}
		if !kept[k] {
			kept[k] = true
			edges = append(edges, k)
		}
	}
	// Join the pieces into rings: leaving a vertex, take the first piece
	// clockwise from the way back, which keeps rings that touch at a vertex
	// apart.
	out := map[orb.Point][]int{}
	for i, e := range edges {
		out[e.a] = append(out[e.a], i)
	}
	used := make([]bool, len(edges))
	var shells, holes []orb.Ring
	for start := range edges {
		if used[start] {
			continue
		}
		ring := orb.Ring{edges[start].a}
		cur := start
		used[cur] = true
		closed := false
		for range len(edges) {
			v, back := edges[cur].b, edges[cur].a
			if v == edges[start].a {
				closed = true
				break
			}
			ring = append(ring, v)
			next, best := -1, math.Inf(1)
			backAngle := math.Atan2(back[1]-v[1], back[0]-v[0])
			for _, c := range out[v] {
				if used[c] {
					continue
				}
				w := edges[c].b
				turn := backAngle - math.Atan2(w[1]-v[1], w[0]-v[0]) // clockwise from the way back
				for turn <= 0 {
					turn += 2 * math.Pi
				}
				if turn < best {
					next, best = c, turn
				}
			}
			if next < 0 {
				break
			}
			used[next] = true
			cur = next
		}
		if !closed {
			continue
		}
		// The walk around a face passes twice through a vertex where a
		// hole touches its shell: split it there into simple rings.
		for _, loop := range simpleLoops(ring) {
			if len(loop) < 3 {
				continue
			}
			switch a := ringArea2(loop); {
			case a > 0:
				shells = append(shells, append(loop, loop[0]))
			case a < 0:
				holes = append(holes, append(loop, loop[0]))
			}
		}
	}
	return assemble(shells, holes)
}

// simpleLoops cuts a closed walk (open: the last vertex leads back to the
// first) into loops that visit no vertex twice.
func simpleLoops(walk orb.Ring) []orb.Ring {
	var loops []orb.Ring
	var stack orb.Ring
	at := map[orb.Point]int{}
	for _, p := range walk {
		if i, ok := at[p]; ok {
			loops = append(loops, slices.Clone(stack[i:]))
			for _, q := range stack[i+1:] {
				delete(at, q)
			}
			stack = stack[:i+1]
			continue
		}
		at[p] = len(stack)
		stack = append(stack, p)
	}
	return append(loops, stack)
}

// assemble puts each hole into the smallest shell holding it.
func assemble(shells, holes []orb.Ring) orb.MultiPolygon {
	slices.SortFunc(shells, func(a, b orb.Ring) int { return cmp.Compare(ringArea2(openRing(a)), ringArea2(openRing(b))) })
	mp := make(orb.MultiPolygon, len(shells))
	for i, s := range shells {
		mp[i] = orb.Polygon{s}
	}
	for _, h := range holes {
		for i, s := range shells {
			if holds(s, h) {
				mp[i] = append(mp[i], h)
				break
			}
		}
	}
	return mp
}

// holds reports whether the hole h lies in the shell s: a vertex of h, or
// failing that the midpoint of an edge, strictly inside s.
func holds(s, h orb.Ring) bool {
	if ringReaches(h, s) {
		return true
	}
	for i := 0; i+1 < len(h); i++ {
		if ringClass(s, orb.Point{(h[i][0] + h[i+1][0]) / 2, (h[i][1] + h[i+1][1]) / 2}) == inside {
			return true
		}
	}
	return false
}

// node splits segments wherever another segment crosses them or ends on
// them, so that two pieces either share a whole piece, an end, or nothing.
func node(segs []segment) []segment {
	cuts := make([][]orb.Point, len(segs))
	pairs(segs, func(i, j int) {
		s, t := segs[i], segs[j]
		if at, ok := properCrossing(s, t); ok {
			cuts[i] = append(cuts[i], at)
			cuts[j] = append(cuts[j], at)
			return
		}
		for _, p := range [2]orb.Point{t.a, t.b} {
			if p != s.a && p != s.b && onSegment(p, s) {
				cuts[i] = append(cuts[i], p)
			}
		}
		for _, p := range [2]orb.Point{s.a, s.b} {
			if p != t.a && p != t.b && onSegment(p, t) {
				cuts[j] = append(cuts[j], p)
			}
		}
	})
	snapCrossings(cuts)
	var out []segment
	for i, s := range segs {
		if len(cuts[i]) == 0 {
			out = append(out, s)
			continue
		}
		c := cuts[i]
		d := orb.Point{s.b[0] - s.a[0], s.b[1] - s.a[1]}
		along := func(p orb.Point) float64 { return (p[0]-s.a[0])*d[0] + (p[1]-s.a[1])*d[1] }
		slices.SortFunc(c, func(p, q orb.Point) int { return cmp.Compare(along(p), along(q)) })
		prev := s.a
		for _, p := range append(c, s.b) {
			if p != prev {
				out = append(out, segment{a: prev, b: p, ring: s.ring, index: s.index})
				prev = p
			}
		}
	}
	return out
}

// snapTolerance is the distance in degrees (about 1 µm) within which
// computed crossing points are taken for one: three edges through one
// point give three slightly different rounded crossings.
const snapTolerance = 1e-11

// snapCrossings replaces cut points lying within snapTolerance of each
// other by one of them, so that the pieces around a multiple crossing
// share their end.
func snapCrossings(cuts [][]orb.Point) {
	var all []orb.Point
	for _, c := range cuts {
		all = append(all, c...)
	}
	slices.SortFunc(all, func(a, b orb.Point) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	all = slices.Compact(all)
	rep := make(map[orb.Point]orb.Point, len(all))
	for i, p := range all {
		if _, done := rep[p]; done {
			continue
		}
		rep[p] = p
		for _, q := range all[i+1:] {
			if q[0]-p[0] > snapTolerance {
				break
			}
			if _, done := rep[q]; !done && math.Abs(q[1]-p[1]) <= snapTolerance {
				rep[q] = p
			}
		}
	}
	for _, c := range cuts {
		for k, p := range c {
			c[k] = rep[p]
		}
	}
}

// ringsOf lists every ring of the multipolygons.
func ringsOf(mps ...orb.MultiPolygon) []orb.Ring {
	var rings []orb.Ring
	for _, mp := range mps {
		for _, poly := range mp {
			rings = append(rings, poly...)
		}
	}
	return rings
}

// MakeValid repairs a multipolygon to a valid one covering the same points
// under the reading GIS tools give invalid polygons (see Covers): each
// part's shell less its holes, parts united. Self-touching and
// self-crossing rings are split into simple ones, islands stored as holes
// outside their shell are dropped (they cover nothing), overlapping parts
// are merged, rings without area vanish. Shells come out counter-clockwise
// and holes clockwise (RFC 7946); new vertices appear only where edges
// crossed. A valid input is returned as it is. The side tests work at about
// 0.1 mm (sideOffset): features thinner than that may be lost.
func MakeValid(mp orb.MultiPolygon) orb.MultiPolygon {
	if Valid(mp) {
		return mp
	}
	return overlay(ringsOf(mp), func(p orb.Point) bool { return Covers(mp, p) })
}

// Intersection returns the area a and b share (empty when they only touch),
// read as Covers reads them.
func Intersection(a, b orb.MultiPolygon) orb.MultiPolygon {
	if !a.Bound().Intersects(b.Bound()) {
		return nil
	}
	return overlay(ringsOf(a, b), func(p orb.Point) bool { return Covers(a, p) && Covers(b, p) })
}
