// Package topology checks and repairs the geometry of stored features the
// way GIS tools read it: validity of polygons and lines with the reason
// and the place of each defect, a repair of invalid polygons to the reading
// PostGIS and QGIS apply to them (each part's shell less its holes), and the
// overlaps and gaps within a layer that must partition its parent (unit
// grids in a community, communities in a street).
//
// It sits under data so that the importer (data/geoio) can report and
// repair by feature; the spatial index reads polygons with the same rule.
// Coordinates are lon/lat; predicates are exact (Orient).
package topology

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// Reason names a kind of geometry defect.
type Reason string

// The defects Check reports.
const (
	// TooFewPoints: a ring with fewer than three distinct vertices or a
	// line with fewer than two positions.
	TooFewPoints Reason = "too few points"
	// ZeroArea: a ring (or a whole polygon) enclosing no area.
	ZeroArea Reason = "zero area"
	// ZeroLength: a line whose vertices are all the same point.
	ZeroLength Reason = "zero length"
	// SelfTouch: a ring meets itself, or another ring of its polygon, at a
	// point without crossing it.
	SelfTouch Reason = "self-touch"
	// SelfIntersection: two edges of a polygon cross or run along each
	// other.
	SelfIntersection Reason = "self-intersection"
	// RingOutsideShell: a hole with no point inside its shell (an island
	// stored as a hole).
	RingOutsideShell Reason = "ring outside shell"
	// NestedHoles: a hole inside another hole of the same polygon.
	NestedHoles Reason = "nested holes"
	// OverlappingParts: two parts of a multipolygon share interior.
	OverlappingParts Reason = "overlapping parts"
	// NotFinite: a coordinate that is NaN or infinite.
	NotFinite Reason = "coordinate not finite"
)

// Problem is one defect of a geometry, with where it is.
type Problem struct {
	Reason Reason
	// Part and Ring locate the defect in a multipolygon (ring 0 is the
	// shell); both are 0 for lines. Ring2 is the other ring involved in a
	// defect between two rings, or -1.
	Part, Ring, Ring2 int
	// At is a position of the defect: the touching or crossing point, or a
	// vertex of the ring concerned.
	At orb.Point
}

// String describes the problem for a person: "self-intersection at
// (118.780000, 31.990000), part 1 ring 0".
func (p Problem) String() string {
	where := fmt.Sprintf("part %d ring %d", p.Part+1, p.Ring)
	if p.Ring2 >= 0 && p.Ring2 != p.Ring {
		where += fmt.Sprintf(" and ring %d", p.Ring2)
	}
	return fmt.Sprintf("%s at (%.6f, %.6f), %s", p.Reason, p.At[0], p.At[1], where)
}

// CheckLine reports the defects of a line component: too few positions,
// coordinates that are not finite, zero length. A zero-length line is one
// PostGIS still treats as the point it stands on (ST_Intersects with a
// polygon holding the point is true), but ST_IsValid rejects it.
func CheckLine(ls orb.LineString) []Problem {
	for _, p := range ls {
		if !finite(p) {
			return []Problem{{Reason: NotFinite, Ring2: -1, At: p}}
		}
	}
	if len(ls) < 2 {
		var at orb.Point
		if len(ls) == 1 {
			at = ls[0]
		}
		return []Problem{{Reason: TooFewPoints, Ring2: -1, At: at}}
	}
	for _, p := range ls[1:] {
		if p != ls[0] {
			return nil
		}
	}
	return []Problem{{Reason: ZeroLength, Ring2: -1, At: ls[0]}}
}

// MakeValidLine repairs a zero-length line to the point it stands on, as
// PostGIS's ST_MakeValid does (and as ST_Intersects and ST_Distance already
// read it); any other line is returned as it is.
func MakeValidLine(ls orb.LineString) orb.Geometry {
	if ps := CheckLine(ls); len(ps) == 1 && ps[0].Reason == ZeroLength {
		return ls[0]
	}
	return ls
}

func finite(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsInf(p[0], 0) && !math.IsNaN(p[1]) && !math.IsInf(p[1], 0)
}

// Valid reports whether Check finds nothing.
func Valid(mp orb.MultiPolygon) bool { return len(Check(mp)) == 0 }

// Check reports the defects of a multipolygon in the terms of the OGC
// simple-features rules GEOS applies (ST_IsValidReason): rings with too few
// points or no area, rings touching or crossing themselves or each other,
// holes outside their shell or inside another hole, parts sharing
// interior. Rings need not repeat their first vertex at the end. The
// problems come part by part, ring by ring; an empty multipolygon has none.
func Check(mp orb.MultiPolygon) []Problem {
	var out []Problem
	for pi, poly := range mp {
		out = append(out, checkPolygon(pi, poly)...)
	}
	for i := range mp {
		for j := i + 1; j < len(mp); j++ {
			if at, ok := partsOverlap(mp[i], mp[j]); ok {
				out = append(out, Problem{Reason: OverlappingParts, Part: i, Ring: 0, Ring2: -1, At: at})
			}
		}
	}
	return out
}

func checkPolygon(pi int, poly orb.Polygon) []Problem {
	var out []Problem
	rings := make([]orb.Ring, 0, len(poly))
	for ri, r := range poly {
		for _, p := range r {
			if !finite(p) {
				return append(out, Problem{Reason: NotFinite, Part: pi, Ring: ri, Ring2: -1, At: p})
			}
		}
		r = openRing(r)
		rings = append(rings, r)
		if distinct(r) < 3 {
			at := orb.Point{}
			if len(r) > 0 {
				at = r[0]
			}
			out = append(out, Problem{Reason: TooFewPoints, Part: pi, Ring: ri, Ring2: -1, At: at})
			continue
		}
		if collinear(r) {
			out = append(out, Problem{Reason: ZeroArea, Part: pi, Ring: ri, Ring2: -1, At: r[0]})
		}
	}
	if len(out) > 0 {
		return out
	}
	// Edges meeting where they should not: crossings, overlaps and
	// touches, within a ring and between rings.
	for _, m := range meetings(rings) {
		out = append(out, Problem{Reason: m.reason, Part: pi, Ring: m.ring1, Ring2: m.ring2, At: m.at})
	}
	// Holes against the shell and against each other.
	for hi := 1; hi < len(rings); hi++ {
		if !ringReaches(rings[hi], rings[0]) {
			out = append(out, Problem{Reason: RingOutsideShell, Part: pi, Ring: hi, Ring2: 0, At: rings[hi][0]})
			continue
		}
		for hj := 1; hj < len(rings); hj++ {
			if hj != hi && ringReaches(rings[hi], rings[hj]) {
				out = append(out, Problem{Reason: NestedHoles, Part: pi, Ring: hi, Ring2: hj, At: rings[hi][0]})
				break
			}
		}
	}
	return out
}

// openRing drops the closing vertex of a closed ring.
func openRing(r orb.Ring) orb.Ring {
	if n := len(r); n > 1 && r[0] == r[n-1] {
		return r[:n-1]
	}
	return r
}

func distinct(r orb.Ring) int {
	s := slices.Clone([]orb.Point(r))
	slices.SortFunc(s, func(a, b orb.Point) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	return len(slices.Compact(s))
}

// collinear reports whether every vertex of r lies on one line: a ring
// without area (a bow tie's halves may cancel to zero signed area and still
// enclose some).
func collinear(r orb.Ring) bool {
	for _, b := range r {
		if b == r[0] {
			continue
		}
		for _, c := range r {
			if Orient(r[0][0], r[0][1], b[0], b[1], c[0], c[1]) != 0 {
				return false
			}
		}
		return true
	}
	return true
}

// ringArea2 is twice the signed planar area of an open ring: positive
// counter-clockwise.
func ringArea2(r orb.Ring) float64 {
	var s float64
	for i := range r {
		a, b := r[i], r[(i+1)%len(r)]
		s += (a[0] - r[0][0]) * (b[1] - r[0][1])
		s -= (b[0] - r[0][0]) * (a[1] - r[0][1])
	}
	return s
}

// ringReaches reports whether some vertex of r lies strictly inside other
// (by winding number).
func ringReaches(r, other orb.Ring) bool {
	return slices.ContainsFunc(r, func(p orb.Point) bool { return ringClass(other, p) == inside })
}

// partsOverlap reports whether two parts share interior, by a vertex of
// one strictly inside the other's area, or a proper edge crossing between
// their shells.
func partsOverlap(a, b orb.Polygon) (orb.Point, bool) {
	if len(a) == 0 || len(b) == 0 {
		return orb.Point{}, false
	}
	ab, bb := a.Bound(), b.Bound()
	if !ab.Intersects(bb) {
		return orb.Point{}, false // islands of one county, most often
	}
	touching := false
	for _, p := range openRing(a[0]) {
		if bb.Contains(p) {
			switch polygonClass(b, p) {
			case inside:
				return p, true
			case onBoundary:
				touching = true
			}
		}
	}
	for _, p := range openRing(b[0]) {
		if ab.Contains(p) {
			switch polygonClass(a, p) {
			case inside:
				return p, true
			case onBoundary:
				touching = true
			}
		}
	}
	for _, m := range meetings([]orb.Ring{openRing(a[0]), openRing(b[0])}) {
		if m.reason == SelfIntersection && m.ring1 != m.ring2 {
			return m.at, true
		}
	}
	// Parts sharing their whole outline (a part stored twice, one drawn
	// along the inside of another's edges) show none of the above, but
	// then a vertex of one lies on the other's edge: without one, the
	// parts are apart (an island in a bay).
	if !touching {
		return orb.Point{}, false
	}
	if shared := Intersection(orb.MultiPolygon{a}, orb.MultiPolygon{b}); len(shared) > 0 {
		return shared[0][0][0], true
	}
	return orb.Point{}, false
}
