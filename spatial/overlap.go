package spatial

import (
	"cmp"
	"slices"

	"github.com/paulmach/orb"
)

// Locate's shortcut (a point strictly inside the hinted polygon is
// answered by it) is exact only where no other polygon of the layer shares
// interior with the hint: with an overlap, the point may also lie in a
// polygon of lower code. Stored layers do overlap (two responsibility grids
// digitised over each other, a street drawn into its neighbour), so Build
// checks every pair of polygons whose bounds meet and records the items
// that may overlap another; the shortcut is skipped for them and the
// lowest-code search decides.

// Overlap names two polygons of one layer whose interiors may overlap.
type Overlap struct {
	// Layer is "district", "street", "community" or "management:<kind>".
	Layer string `json:"layer"`
	// A and B are the two codes, A < B.
	A string `json:"a"`
	B string `json:"b"`
}

// findOverlaps flags the items of l whose interior may meet another item's
// (l.shared) and returns the pairs. geom returns an item's geometry. The
// test is conservative: a pair is flagged when a vertex or an edge midpoint
// of one lies strictly inside the other, when two edges cross properly, or
// when a point inside one part of one lies strictly inside the other. Pairs
// that only share edges and vertices pass.
func (l *polyLayer) findOverlaps(layer string, geom func(item int) orb.MultiPolygon) []Overlap {
	l.shared = make([]bool, len(l.prep))
	var out []Overlap
	inner := make([][]orb.Point, len(l.prep)) // interior points by part, on demand
	interiorPoints := func(i int) []orb.Point {
		if inner[i] == nil {
			inner[i] = []orb.Point{}
			for _, part := range geom(i) {
				pp := prepare(orb.MultiPolygon{part})
				if p, ok := pp.interiorPoint(); ok {
					inner[i] = append(inner[i], p)
				}
			}
		}
		return inner[i]
	}
	for i := range l.prep {
		if l.ds[i] < 0 || len(l.prep[i].edges) == 0 {
			continue
		}
		b := l.prep[i].bound
		l.tree.Search(b.Min, b.Max, func(_, _ [2]float64, j uint32) bool {
			if int(j) <= i || l.ds[j] < 0 {
				return true
			}
			gi, gj := geom(i), geom(int(j))
			if reachesInto(gi, &l.prep[j], interiorPoints(i)) || reachesInto(gj, &l.prep[i], interiorPoints(int(j))) {
				l.shared[i], l.shared[j] = true, true
				a, c := l.code[i], l.code[j]
				if c < a {
					a, c = c, a
				}
				out = append(out, Overlap{Layer: layer, A: a, B: c})
			}
			return true
		})
	}
	slices.SortFunc(out, func(x, y Overlap) int {
		return cmp.Or(cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B))
	})
	return out
}

// reachesInto reports whether g (with the given interior points) has a
// vertex, an edge midpoint or an interior point strictly inside other, or
// an edge properly crossing one of other's.
func reachesInto(g orb.MultiPolygon, other *prepared, inner []orb.Point) bool {
	for _, p := range inner {
		if other.locate(p[0], p[1]) == interior {
			return true
		}
	}
	for _, poly := range g {
		for _, ring := range poly {
			for k := range ring {
				a, b := ring[k], ring[(k+1)%len(ring)]
				if other.locate(a[0], a[1]) == interior {
					return true
				}
				if a == b {
					continue
				}
				// The midpoint of an edge the other polygon shares is on its
				// boundary, but rounding may put it a hair inside: test it
				// only for edges the other polygon does not run along.
				if m := (orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}); other.locate(m[0], m[1]) == interior && !other.runsAlong(a, b) {
					return true
				}
				if other.segmentMeets(a, b, true) {
					return true
				}
			}
		}
	}
	return false
}

// findOverlaps checks the administrative and management layers (the ones
// Locate's shortcut reads) and records the pairs found.
func (ix *Index) findOverlaps() {
	ix.overlaps = nil
	for li, name := range [3]string{"district", "street", "community"} {
		l := &ix.admin[li]
		ix.overlaps = append(ix.overlaps, l.findOverlaps(name, func(i int) orb.MultiPolygon { return ix.ds.AdminUnits[l.ds[i]].Geometry })...)
	}
	for _, k := range ix.kinds {
		l := ix.mgmt[k]
		ix.overlaps = append(ix.overlaps, l.findOverlaps("management:"+k, func(i int) orb.MultiPolygon { return ix.ds.ManagementGrids[l.ds[i]].Geometry })...)
	}
}

// Overlaps lists the pairs of districts, streets, communities and
// management grids of one kind whose interiors may overlap, as found when
// the index was built. Answers stay exact either way (the lowest code
// wins); the list is for the people who keep the data.
func (ix *Index) Overlaps() []Overlap { return slices.Clone(ix.overlaps) }
