package topology

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// Class is where a point lies against a polygon.
type Class int

// The classes of Locate.
const (
	Outside Class = iota
	Interior
	Boundary
)

// Point classes against a ring or a polygon, by their shorter names.
const (
	outside    = Outside
	inside     = Interior
	onBoundary = Boundary
)

// ringClass classifies p against a ring by its winding number, boundary
// included, exactly.
func ringClass(r orb.Ring, p orb.Point) Class {
	r = openRing(r)
	wn := 0
	for i := range r {
		a, b := r[i], r[(i+1)%len(r)]
		if a == b {
			continue
		}
		if a[1] <= p[1] && b[1] <= p[1] || a[1] > p[1] && b[1] > p[1] {
			// No upward or downward crossing of the ray; p may still lie on
			// a horizontal edge or at a vertex.
			if (a[1] == p[1] || b[1] == p[1]) && Orient(a[0], a[1], b[0], b[1], p[0], p[1]) == 0 && between(p, a, b) {
				return onBoundary
			}
			continue
		}
		o := Orient(a[0], a[1], b[0], b[1], p[0], p[1])
		if o == 0 {
			return onBoundary
		}
		if b[1] > p[1] && o > 0 {
			wn++
		} else if b[1] <= p[1] && o < 0 {
			wn--
		}
	}
	if wn != 0 {
		return inside
	}
	return outside
}

func between(p, a, b orb.Point) bool {
	return math.Min(a[0], b[0]) <= p[0] && p[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= p[1] && p[1] <= math.Max(a[1], b[1])
}

// polygonClass classifies p against one polygon read as its shell less its
// holes (PostGIS's point-in-polygon).
func polygonClass(poly orb.Polygon, p orb.Point) Class {
	if len(poly) == 0 {
		return outside
	}
	c := ringClass(poly[0], p)
	if c != inside {
		return c
	}
	for _, h := range poly[1:] {
		switch ringClass(h, p) {
		case inside:
			return outside
		case onBoundary:
			return onBoundary
		}
	}
	return inside
}

// Locate classifies p against mp, exactly, reading each part as its shell
// less its holes (non-zero winding for each ring) and the multipolygon as
// the union of its parts: the point-in-polygon rule of PostGIS, on valid
// and invalid polygons alike. A point on the boundary of one part is
// Boundary even when another part holds it (it is covered either way).
func Locate(mp orb.MultiPolygon, p orb.Point) Class {
	result := Outside
	for _, poly := range mp {
		switch polygonClass(poly, p) {
		case Boundary:
			return Boundary
		case Interior:
			result = Interior
		}
	}
	return result
}

// Covers reports whether mp covers p, boundary included (ST_Covers for a
// point); see Locate.
func Covers(mp orb.MultiPolygon, p orb.Point) bool { return Locate(mp, p) != Outside }

// segment is one edge a→b with the ring it came from.
type segment struct {
	a, b  orb.Point
	ring  int // index in the rings given to meetings or overlay
	index int // position in its ring
}

func (s segment) bound() orb.Bound {
	return orb.Bound{Min: orb.Point{math.Min(s.a[0], s.b[0]), math.Min(s.a[1], s.b[1])}, Max: orb.Point{math.Max(s.a[0], s.b[0]), math.Max(s.a[1], s.b[1])}}
}

// segmentsOf lists the edges of open rings, skipping repeated consecutive
// vertices, numbered in order within each ring.
func segmentsOf(rings []orb.Ring) []segment {
	var out []segment
	for ri, r := range rings {
		r = dedupe(openRing(r))
		for k := range r {
			a, b := r[k], r[(k+1)%len(r)]
			if a != b {
				out = append(out, segment{a: a, b: b, ring: ri, index: k})
			}
		}
	}
	return out
}

// dedupe drops repeated consecutive vertices of an open ring.
func dedupe(r orb.Ring) orb.Ring {
	out := make(orb.Ring, 0, len(r))
	for _, p := range r {
		if len(out) == 0 || out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	for len(out) > 1 && out[0] == out[len(out)-1] {
		out = out[:len(out)-1]
	}
	return out
}

// pairs calls fn for every pair of segments whose bounds meet, by a sweep
// over x: sort by the left end, compare each with those starting before
// its right end.
func pairs(segs []segment, fn func(i, j int)) {
	order := make([]int, len(segs))
	minX := make([]float64, len(segs))
	for i := range segs {
		order[i] = i
		minX[i] = math.Min(segs[i].a[0], segs[i].b[0])
	}
	slices.SortFunc(order, func(i, j int) int { return cmp.Compare(minX[i], minX[j]) })
	for oi, i := range order {
		bi := segs[i].bound()
		for _, j := range order[oi+1:] {
			if minX[j] > bi.Max[0] {
				break
			}
			if bj := segs[j].bound(); bj.Min[1] <= bi.Max[1] && bj.Max[1] >= bi.Min[1] {
				fn(i, j)
			}
		}
	}
}

// meeting is a place where two edges of a polygon meet wrongly.
type meeting struct {
	reason       Reason
	ring1, ring2 int
	at           orb.Point
}

// meetings finds, among the edges of open rings, proper crossings and
// collinear overlaps (SelfIntersection, any rings) and touches of a ring
// with itself away from consecutive edges (SelfTouch). A single point
// shared by two different rings is allowed (a hole touching its shell).
func meetings(rings []orb.Ring) []meeting {
	segs := segmentsOf(rings)
	size := make([]int, len(rings))
	for _, s := range segs {
		size[s.ring] = max(size[s.ring], s.index+1)
	}
	var out []meeting
	type seenKey struct {
		reason       Reason
		ring1, ring2 int
		at           orb.Point
	}
	seen := map[seenKey]bool{}
	add := func(m meeting) {
		k := seenKey(m)
		if !seen[k] {
			seen[k] = true
			out = append(out, m)
		}
	}
	pairs(segs, func(i, j int) {
		s, t := segs[i], segs[j]
		adjacent := s.ring == t.ring && (t.index == (s.index+1)%size[s.ring] || s.index == (t.index+1)%size[s.ring])
		if at, ok := properCrossing(s, t); ok {
			add(meeting{SelfIntersection, s.ring, t.ring, at})
			return
		}
		if at, ok := collinearOverlap(s, t); ok {
			add(meeting{SelfIntersection, s.ring, t.ring, at})
			return
		}
		if adjacent || s.ring != t.ring {
			return
		}
		for _, p := range [4]orb.Point{t.a, t.b, s.a, s.b} {
			if onSegment(p, s) && onSegment(p, t) {
				add(meeting{SelfTouch, s.ring, t.ring, p})
				return
			}
		}
	})
	slices.SortFunc(out, func(x, y meeting) int {
		return cmp.Or(cmp.Compare(x.ring1, y.ring1), cmp.Compare(x.ring2, y.ring2), cmp.Compare(x.at[0], y.at[0]), cmp.Compare(x.at[1], y.at[1]))
	})
	return out
}

func onSegment(p orb.Point, s segment) bool {
	return Orient(s.a[0], s.a[1], s.b[0], s.b[1], p[0], p[1]) == 0 && between(p, s.a, s.b)
}

// properCrossing reports whether s and t cross at a single point interior
// to both, and where (rounded).
func properCrossing(s, t segment) (orb.Point, bool) {
	o1 := Orient(s.a[0], s.a[1], s.b[0], s.b[1], t.a[0], t.a[1])
	o2 := Orient(s.a[0], s.a[1], s.b[0], s.b[1], t.b[0], t.b[1])
	o3 := Orient(t.a[0], t.a[1], t.b[0], t.b[1], s.a[0], s.a[1])
	o4 := Orient(t.a[0], t.a[1], t.b[0], t.b[1], s.b[0], s.b[1])
	if o1*o2 >= 0 || o3*o4 >= 0 {
		return orb.Point{}, false
	}
	dx, dy := s.b[0]-s.a[0], s.b[1]-s.a[1]
	ex, ey := t.b[0]-t.a[0], t.b[1]-t.a[1]
	u := ((t.a[0]-s.a[0])*ey - (t.a[1]-s.a[1])*ex) / (dx*ey - dy*ex)
	u = math.Max(0, math.Min(1, u))
	return orb.Point{s.a[0] + u*dx, s.a[1] + u*dy}, true
}

// collinearOverlap reports whether s and t lie on one line and share more
// than a point, and where the shared stretch starts.
func collinearOverlap(s, t segment) (orb.Point, bool) {
	if Orient(s.a[0], s.a[1], s.b[0], s.b[1], t.a[0], t.a[1]) != 0 || Orient(s.a[0], s.a[1], s.b[0], s.b[1], t.b[0], t.b[1]) != 0 {
		return orb.Point{}, false
	}
	axis := 0
	if math.Abs(s.b[1]-s.a[1]) > math.Abs(s.b[0]-s.a[0]) {
		axis = 1
	}
	lo := math.Max(math.Min(s.a[axis], s.b[axis]), math.Min(t.a[axis], t.b[axis]))
	hi := math.Min(math.Max(s.a[axis], s.b[axis]), math.Max(t.a[axis], t.b[axis]))
	if hi <= lo {
		return orb.Point{}, false
	}
	for _, p := range [4]orb.Point{s.a, s.b, t.a, t.b} {
		if p[axis] == lo {
			return p, true
		}
	}
	return orb.Point{}, true
}
