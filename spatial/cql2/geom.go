package cql2

import (
	"github.com/paulmach/orb"
)

// shape is a geometry taken apart for the spatial predicates: its isolated
// points, its segments (of lines and of polygon rings), its polygons, one
// vertex of each part and every vertex. Predicates are planar and exact
// up to floating-point rounding of the orientation test.
type shape struct {
	bound  orb.Bound
	points []orb.Point
	segs   [][2]orb.Point
	polys  []orb.Polygon
	reps   []orb.Point
	verts  []orb.Point
	// dim is the highest dimension of a part: 0 points, 1 lines,
	// 2 polygons; -1 when empty.
	dim int
}

func newShape(g orb.Geometry) *shape {
	s := &shape{dim: -1}
	s.add(g)
	if len(s.verts) > 0 {
		s.bound = orb.MultiPoint(s.verts).Bound()
	}
	return s
}

func (s *shape) line(ls []orb.Point) {
	if len(ls) == 0 {
		return
	}
	s.reps = append(s.reps, ls[0])
	s.verts = append(s.verts, ls...)
	for i := 1; i < len(ls); i++ {
		s.segs = append(s.segs, [2]orb.Point{ls[i-1], ls[i]})
	}
	if len(ls) == 1 {
		s.points = append(s.points, ls[0])
	}
}

func (s *shape) add(g orb.Geometry) {
	switch g := g.(type) {
	case orb.Point:
		s.points = append(s.points, g)
		s.reps = append(s.reps, g)
		s.verts = append(s.verts, g)
		s.dim = max(s.dim, 0)
	case orb.MultiPoint:
		for _, p := range g {
			s.add(p)
		}
	case orb.LineString:
		s.line(g)
		s.dim = max(s.dim, 1)
	case orb.MultiLineString:
		for _, l := range g {
			s.add(l)
		}
	case orb.Ring:
		s.add(orb.Polygon{g})
	case orb.Polygon:
		if len(g) == 0 || len(g[0]) == 0 {
			return
		}
		s.polys = append(s.polys, g)
		for _, r := range g {
			s.line(r)
		}
		s.dim = 2
	case orb.MultiPolygon:
		for _, p := range g {
			s.add(p)
		}
	case orb.Collection:
		for _, m := range g {
			s.add(m)
		}
	case orb.Bound:
		s.add(g.ToPolygon())
	}
}

// Where a point lies relative to an area.
const (
	outside = iota
	onBoundary
	inside
)

func cross(a, b, p orb.Point) float64 {
	return (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0])
}

func sign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// between reports whether p, collinear with a-b, lies on the segment.
func between(a, b, p orb.Point) bool {
	return min(a[0], b[0]) <= p[0] && p[0] <= max(a[0], b[0]) && min(a[1], b[1]) <= p[1] && p[1] <= max(a[1], b[1])
}

func onSegment(a, b, p orb.Point) bool { return cross(a, b, p) == 0 && between(a, b, p) }

// segmentsMeet reports whether two closed segments share a point.
func segmentsMeet(p1, p2, q1, q2 orb.Point) bool {
	d1, d2 := sign(cross(q1, q2, p1)), sign(cross(q1, q2, p2))
	d3, d4 := sign(cross(p1, p2, q1)), sign(cross(p1, p2, q2))
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	return d1 == 0 && between(q1, q2, p1) || d2 == 0 && between(q1, q2, p2) ||
		d3 == 0 && between(p1, p2, q1) || d4 == 0 && between(p1, p2, q2)
}

// segmentsCross reports whether two segments cross at one point inside
// both, which neither touches nor overlaps.
func segmentsCross(p1, p2, q1, q2 orb.Point) bool {
	return sign(cross(q1, q2, p1))*sign(cross(q1, q2, p2)) < 0 && sign(cross(p1, p2, q1))*sign(cross(p1, p2, q2)) < 0
}

func ringLocate(r orb.Ring, p orb.Point) int {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[j], r[i]
		if onSegment(a, b, p) {
			return onBoundary
		}
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	if in {
		return inside
	}
	return outside
}

func polygonLocate(poly orb.Polygon, p orb.Point) int {
	l := ringLocate(poly[0], p)
	if l != inside {
		return l
	}
	for _, h := range poly[1:] {
		switch ringLocate(h, p) {
		case inside:
			return outside
		case onBoundary:
			return onBoundary
		}
	}
	return inside
}

// locate is where p lies relative to the shape's polygons: inside one
// wins over the boundary of another.
func (s *shape) locate(p orb.Point) int {
	best := outside
	for _, poly := range s.polys {
		best = max(best, polygonLocate(poly, p))
		if best == inside {
			break
		}
	}
	return best
}

// covers reports whether p belongs to the shape, boundary included.
func (s *shape) covers(p orb.Point) bool {
	for _, q := range s.points {
		if q == p {
			return true
		}
	}
	for _, sg := range s.segs {
		if onSegment(sg[0], sg[1], p) {
			return true
		}
	}
	return s.locate(p) != outside
}

// intersects is DE-9IM intersects: the two share at least one point.
func intersects(a, b *shape) bool {
	if a.dim < 0 || b.dim < 0 || !a.bound.Intersects(b.bound) {
		return false
	}
	for _, p := range a.points {
		if b.covers(p) {
			return true
		}
	}
	for _, p := range b.points {
		if a.covers(p) {
			return true
		}
	}
	for _, sa := range a.segs {
		for _, sb := range b.segs {
			if segmentsMeet(sa[0], sa[1], sb[0], sb[1]) {
				return true
			}
		}
	}
	// No boundaries meet: one lies inside the other or they are apart.
	for _, r := range a.reps {
		if b.locate(r) != outside {
			return true
		}
	}
	for _, r := range b.reps {
		if a.locate(r) != outside {
			return true
		}
	}
	return false
}

// coveredBy reports whether every point of a belongs to b: every vertex
// and every segment's midpoint of a is covered by b, no segment of a
// crosses b's boundary, and no vertex of b's boundary lies inside a.
func coveredBy(a, b *shape) bool {
	if a.dim < 0 || b.dim < 0 || !b.bound.Contains(a.bound.Min) || !b.bound.Contains(a.bound.Max) {
		return false
	}
	for _, v := range a.verts {
		if !b.covers(v) {
			return false
		}
	}
	for _, sa := range a.segs {
		if !b.covers(orb.Point{(sa[0][0] + sa[1][0]) / 2, (sa[0][1] + sa[1][1]) / 2}) {
			return false
		}
		if len(b.polys) == 0 {
			continue
		}
		for _, sb := range b.segs {
			if segmentsCross(sa[0], sa[1], sb[0], sb[1]) {
				return false
			}
		}
	}
	if len(a.polys) > 0 {
		for _, v := range b.verts {
			if a.locate(v) == inside {
				return false
			}
		}
	}
	return true
}

// within is DE-9IM within: a is covered by b and some point of a lies in
// b's interior, so a point on a polygon's edge is not within it.
func within(a, b *shape) bool {
	if !coveredBy(a, b) {
		return false
	}
	if a.dim == 2 || b.dim < 2 {
		return true
	}
	for _, v := range a.verts {
		if b.locate(v) == inside {
			return true
		}
	}
	for _, sa := range a.segs {
		if b.locate(orb.Point{(sa[0][0] + sa[1][0]) / 2, (sa[0][1] + sa[1][1]) / 2}) == inside {
			return true
		}
	}
	return false
}
