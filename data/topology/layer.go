package topology

import (
	"cmp"
	"slices"

	"github.com/paulmach/orb"
)

// Feature is one polygon of a layer, by code.
type Feature struct {
	Code     string
	Geometry orb.MultiPolygon
}

// Overlap is the interior two features of one layer share.
type Overlap struct {
	// A and B are the two codes, A < B.
	A, B string
	// Geometry is the shared area; data.AreaM2 gives it in square metres.
	Geometry orb.MultiPolygon
}

// Overlaps lists the pairs of features of a layer whose interiors overlap,
// with the shared area, ordered by code. Features that only share edges or
// vertices do not overlap. Invalid features are read as Covers reads them.
func Overlaps(layer []Feature) []Overlap {
	type item struct {
		b orb.Bound
		i int
	}
	items := make([]item, 0, len(layer))
	for i, f := range layer {
		if len(f.Geometry) > 0 {
			items = append(items, item{f.Geometry.Bound(), i})
		}
	}
	slices.SortFunc(items, func(x, y item) int { return cmp.Compare(x.b.Min[0], y.b.Min[0]) })
	var out []Overlap
	for k, x := range items {
		for _, y := range items[k+1:] {
			if y.b.Min[0] > x.b.Max[0] {
				break
			}
			if !x.b.Intersects(y.b) {
				continue
			}
			a, b := layer[x.i], layer[y.i]
			shared := Intersection(a.Geometry, b.Geometry)
			if len(shared) == 0 {
				continue
			}
			if b.Code < a.Code {
				a, b = b, a
			}
			out = append(out, Overlap{A: a.Code, B: b.Code, Geometry: shared})
		}
	}
	slices.SortFunc(out, func(x, y Overlap) int { return cmp.Or(cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B)) })
	return out
}

// Gaps returns the part of parent that no child covers: for a layer that
// must partition its parent (the unit grids of a community, the
// communities of a street), the area left unassigned. Children reaching
// outside the parent are not a gap; Overlaps and a check of each child
// against its parent report those. Empty when the children cover the
// parent.
func Gaps(parent orb.MultiPolygon, children []orb.MultiPolygon) orb.MultiPolygon {
	pb := parent.Bound()
	var near []orb.MultiPolygon
	var bounds []orb.Bound
	for _, c := range children {
		if len(c) > 0 && c.Bound().Intersects(pb) {
			near = append(near, c)
			bounds = append(bounds, c.Bound())
		}
	}
	return overlay(ringsOf(append([]orb.MultiPolygon{parent}, near...)...), func(p orb.Point) bool {
		if !Covers(parent, p) {
			return false
		}
		for i, c := range near {
			if bounds[i].Contains(p) && Covers(c, p) {
				return false
			}
		}
		return true
	})
}
