// Package validity finds what makes a polygon or a line invalid in the
// OGC simple-features sense, repairs polygons to the reading PostGIS and
// QGIS give them, and measures where polygons overlap or leave gaps.
//
// Survey data is digitised by hand: rings touch themselves, islands are
// stored as holes outside their shell, lines collapse to a point. Import
// reports each such feature with the reason, and repairs it on request to
// the shell-minus-holes reading (a part covers what its shell winds around,
// less what its holes cover; a multipolygon covers what any part covers),
// which is what point-in-polygon in GEOS answers for the unrepaired ring
// set. The repaired polygon is valid, so every tool then agrees on it.
package validity

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// Reason says why a geometry is invalid.
type Reason string

// The reasons, named as GEOS's IsValidReason names them where it has a name.
const (
	// TooFewPoints: a ring with fewer than three distinct points.
	TooFewPoints Reason = "too few points"
	// ZeroArea: a ring or polygon that encloses no area (all its points on
	// one line).
	ZeroArea Reason = "zero area"
	// ZeroLength: a line whose points all coincide.
	ZeroLength Reason = "zero length"
	// SelfIntersection: two edges of a polygon cross or run along each other.
	SelfIntersection Reason = "self-intersection"
	// SelfTouch: a ring passes twice through one point (a figure eight, or
	// an inlet pinched shut).
	SelfTouch Reason = "self-touch"
	// RingOutsideShell: a hole lies, wholly or partly, outside its shell
	// (often an island stored as a hole).
	RingOutsideShell Reason = "ring outside shell"
	// PartsOverlap: two parts of a multipolygon overlap.
	PartsOverlap Reason = "parts overlap"
)

// Problem is one reason a geometry is invalid, and where.
type Problem struct {
	// Part and Ring index the polygon part and its ring (0 the shell,
	// 1... the holes), or the line of a multiline (Ring -1).
	Part, Ring int
	Reason     Reason
	// At is a point where the problem shows.
	At orb.Point
}

func (p Problem) String() string {
	where := fmt.Sprintf("part %d", p.Part+1)
	switch {
	case p.Ring == 0:
		where += " shell"
	case p.Ring > 0:
		where += fmt.Sprintf(" hole %d", p.Ring)
	}
	return fmt.Sprintf("%s at (%v, %v) (%s)", p.Reason, p.At[0], p.At[1], where)
}

// dedup drops consecutive repeated points and the closing point of a ring.
func dedup(r orb.Ring) []orb.Point {
	out := make([]orb.Point, 0, len(r))
	for _, p := range r {
		if len(out) == 0 || out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	if len(out) > 1 && out[0] == out[len(out)-1] {
		out = out[:len(out)-1]
	}
	return out
}

// signedArea is twice the planar signed area of a ring in degrees²,
// positive counter-clockwise; only its sign and whether it is zero matter.
func signedArea(ps []orb.Point) float64 {
	if len(ps) < 3 {
		return 0
	}
	var s float64
	o := ps[0]
	for i := 1; i+1 < len(ps); i++ {
		a, b := ps[i], ps[i+1]
		s += (a[0]-o[0])*(b[1]-o[1]) - (b[0]-o[0])*(a[1]-o[1])
	}
	return s
}

// ringEdge is one edge of a ring in the edge sweep.
type ringEdge struct {
	a, b       orb.Point
	part, ring int
	i, n       int // edge index in its ring, edges of the ring
}

func (e *ringEdge) minX() float64 { return math.Min(e.a[0], e.b[0]) }
func (e *ringEdge) maxX() float64 { return math.Max(e.a[0], e.b[0]) }

// sweepPairs calls fn for each pair of edges whose bounds meet, sorting by
// the least x so a pair is only looked at when the x ranges overlap.
func sweepPairs(es []ringEdge, fn func(e, f *ringEdge)) {
	sort.Slice(es, func(i, j int) bool { return es[i].minX() < es[j].minX() })
	for i := range es {
		e := &es[i]
		ex := e.maxX()
		eLo, eHi := math.Min(e.a[1], e.b[1]), math.Max(e.a[1], e.b[1])
		for j := i + 1; j < len(es) && es[j].minX() <= ex; j++ {
			f := &es[j]
			if math.Max(f.a[1], f.b[1]) < eLo || math.Min(f.a[1], f.b[1]) > eHi {
				continue
			}
			fn(e, f)
		}
	}
}

// orient is the sign of the turn a→b→c: positive left, negative right.
func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// onSegment reports whether c, known to be collinear with a-b, lies on it.
func onSegment(a, b, c orb.Point) bool {
	return math.Min(a[0], b[0]) <= c[0] && c[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= c[1] && c[1] <= math.Max(a[1], b[1])
}

// crossPoint is where segments a-b and c-d, known to cross, meet.
func crossPoint(a, b, c, d orb.Point) orb.Point {
	d1 := orient(c, d, a)
	d2 := orient(c, d, b)
	t := d1 / (d1 - d2)
	return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
}

// Polygon lists the problems of a multipolygon; none for a valid one.
// Ring closure and coordinate ranges are checked elsewhere (data.Validate);
// here a ring is taken as closed.
func Polygon(mp orb.MultiPolygon) []Problem {
	var probs []Problem
	var edges []ringEdge
	rings := make([][][]orb.Point, len(mp))
	for pi, poly := range mp {
		rings[pi] = make([][]orb.Point, len(poly))
		for ri, r := range poly {
			ps := dedup(r)
			rings[pi][ri] = ps
			at := orb.Point{}
			if len(r) > 0 {
				at = r[0]
			}
			if len(ps) < 3 {
				probs = append(probs, Problem{pi, ri, TooFewPoints, at})
				continue
			}
			if collinear(ps) {
				probs = append(probs, Problem{pi, ri, ZeroArea, at})
				continue
			}
			for i := range ps {
				edges = append(edges, ringEdge{a: ps[i], b: ps[(i+1)%len(ps)], part: pi, ring: ri, i: i, n: len(ps)})
			}
		}
	}
	type key struct {
		part, ring int
		reason     Reason
	}
	seen := map[key]bool{}
	report := func(part, ring int, reason Reason, at orb.Point) {
		k := key{part, ring, reason}
		if seen[k] {
			return
		}
		seen[k] = true
		probs = append(probs, Problem{part, ring, reason, at})
	}
	sweepPairs(edges, func(e, f *ringEdge) {
		sameRing := e.part == f.part && e.ring == f.ring
		if sameRing && (f.i == (e.i+1)%e.n || e.i == (f.i+1)%f.n) {
			// Neighbours share a vertex; they are wrong only when they
			// fold back on each other (a spike).
			first, second := e, f
			if e.i == (f.i+1)%f.n {
				first, second = f, e
			}
			a, b, c := first.a, first.b, second.b
			if orient(a, b, c) == 0 && (onSegment(a, b, c) || onSegment(b, c, a)) && e.n > 2 {
				report(e.part, e.ring, SelfIntersection, b)
			}
			return
		}
		o1, o2 := orient(e.a, e.b, f.a), orient(e.a, e.b, f.b)
		o3, o4 := orient(f.a, f.b, e.a), orient(f.a, f.b, e.b)
		proper := ((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0))
		if proper {
			at := crossPoint(e.a, e.b, f.a, f.b)
			if e.part != f.part {
				report(e.part, -2, PartsOverlap, at)
			} else {
				report(e.part, e.ring, SelfIntersection, at)
			}
			return
		}
		// Collinear runs along each other are crossings of a sort too.
		if o1 == 0 && o2 == 0 {
			overlap := (onSegment(e.a, e.b, f.a) && f.a != e.a && f.a != e.b) || (onSegment(e.a, e.b, f.b) && f.b != e.a && f.b != e.b) ||
				(onSegment(f.a, f.b, e.a) && e.a != f.a && e.a != f.b) || (onSegment(f.a, f.b, e.b) && e.b != f.a && e.b != f.b) ||
				(e.a == f.a && e.b == f.b) || (e.a == f.b && e.b == f.a)
			if overlap {
				if e.part != f.part {
					report(e.part, -2, PartsOverlap, midpoint(e.a, e.b))
				} else {
					report(e.part, e.ring, SelfIntersection, midpoint(e.a, e.b))
				}
				return
			}
		}
		// A vertex of one edge on the other: a touch.
		if !sameRing {
			return
		}
		for _, c := range []struct {
			o    float64
			p    orb.Point
			a, b orb.Point
		}{{o1, f.a, e.a, e.b}, {o2, f.b, e.a, e.b}, {o3, e.a, f.a, f.b}, {o4, e.b, f.a, f.b}} {
			if c.o == 0 && onSegment(c.a, c.b, c.p) {
				report(e.part, e.ring, SelfTouch, c.p)
				return
			}
		}
	})
	// Holes outside their shell, and parts inside other parts.
	for pi, poly := range rings {
		if len(poly) == 0 || len(poly[0]) < 3 {
			continue
		}
		shell := poly[0]
		for hi := 1; hi < len(poly); hi++ {
			if p, ok := strictPoint(poly[hi], shell); ok && winding(shell, p) == 0 {
				report(pi, hi, RingOutsideShell, p)
			}
		}
		for pj, other := range rings {
			if pj == pi || len(other) == 0 || len(other[0]) < 3 {
				continue
			}
			if p, ok := strictPoint(other[0], shell); ok && coversPart(poly, p) {
				report(pj, -2, PartsOverlap, p)
			}
		}
	}
	sort.SliceStable(probs, func(i, j int) bool {
		if probs[i].Part != probs[j].Part {
			return probs[i].Part < probs[j].Part
		}
		return probs[i].Ring < probs[j].Ring
	})
	for i := range probs {
		if probs[i].Ring == -2 {
			probs[i].Ring = -1
		}
	}
	return probs
}

// collinear reports whether all points of a ring lie on one line, so that it
// encloses no area whatever its order (a bow tie's signed area is zero too,
// but its lobes are not).
func collinear(ps []orb.Point) bool {
	for i := 2; i < len(ps); i++ {
		if orient(ps[0], ps[1], ps[i]) != 0 {
			return false
		}
	}
	return true
}

func midpoint(a, b orb.Point) orb.Point { return orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2} }

// strictPoint returns a vertex of ring r, or failing that an edge midpoint,
// that is not on the boundary of ring s.
func strictPoint(r, s []orb.Point) (orb.Point, bool) {
	for _, p := range r {
		if !onRing(s, p) {
			return p, true
		}
	}
	for i := range r {
		m := midpoint(r[i], r[(i+1)%len(r)])
		if !onRing(s, m) {
			return m, true
		}
	}
	return orb.Point{}, false
}

func onRing(s []orb.Point, p orb.Point) bool {
	for i := range s {
		a, b := s[i], s[(i+1)%len(s)]
		if orient(a, b, p) == 0 && onSegment(a, b, p) {
			return true
		}
	}
	return false
}

// winding is the winding number of ring r (open, no closing point) around
// p; a point on the ring may count either way.
func winding(r []orb.Point, p orb.Point) int {
	wn := 0
	for i := range r {
		a, b := r[i], r[(i+1)%len(r)]
		if a[1] <= p[1] {
			if b[1] > p[1] && orient(a, b, p) > 0 {
				wn++
			}
		} else if b[1] <= p[1] && orient(a, b, p) < 0 {
			wn--
		}
	}
	return wn
}

// coversPart is the shell-minus-holes reading of one polygon part.
func coversPart(rings [][]orb.Point, p orb.Point) bool {
	if len(rings) == 0 || len(rings[0]) < 3 || winding(rings[0], p) == 0 {
		return false
	}
	for _, h := range rings[1:] {
		if len(h) >= 3 && winding(h, p) != 0 {
			return false
		}
	}
	return true
}

// Lines lists the problems of a multiline: lines of fewer than two points
// or whose points all coincide.
func Lines(ml orb.MultiLineString) []Problem {
	var probs []Problem
	for i, l := range ml {
		zero := true
		for _, p := range l {
			zero = zero && p == l[0]
		}
		if zero {
			at := orb.Point{}
			if len(l) > 0 {
				at = l[0]
			}
			probs = append(probs, Problem{Part: i, Ring: -1, Reason: ZeroLength, At: at})
		}
	}
	return probs
}

// RepairLines drops the zero-length lines of a multiline and repeated
// points of the others.
func RepairLines(ml orb.MultiLineString) orb.MultiLineString {
	var out orb.MultiLineString
	for _, l := range ml {
		var k orb.LineString
		for _, p := range l {
			if len(k) == 0 || k[len(k)-1] != p {
				k = append(k, p)
			}
		}
		if len(k) >= 2 {
			out = append(out, k)
		}
	}
	return out
}
