package spatial

import (
	"math"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// A component with many vertices (a road centreline, a green area, a
// district-sized outline) would cost a nearest or within query a test of
// every one of its edges. Above shapeIndexVertices vertices the index keeps,
// built once at load time, a packed R-tree over the component's segments
// (the structure of the grid outline, see outline.go) and, for polygons,
// the slabs of prepared: a distance then walks a few branches, and "does
// the polygon cover the point" reads one slab.

// shapeIndexVertices is the vertex count above which a component gets a
// shape index. Below it a plain scan is as fast.
const shapeIndexVertices = 48

// shapeIndex is the edge index of one many-vertex component.
type shapeIndex struct {
	bound    orb.Bound
	segments outline
	// area is set for polygon components.
	area *prepared
}

// oneItem is the code table of a shape index's single item, for the
// outline walk's tie-break.
var oneItem = []string{""}

// newShapeIndex returns the shape index of g, or nil when g has too few
// vertices to need one.
func newShapeIndex(g orb.Geometry) *shapeIndex {
	paths, mp := pathsOf(g)
	n := 0
	for _, p := range paths {
		n += len(p)
	}
	if n <= shapeIndexVertices {
		return nil
	}
	var far []bool
	if mp != nil {
		far = farHoles(mp) // numbered as pathsOf lists the rings
	}
	var edges []outlineEdge
	for k, p := range paths {
		if far != nil && far[k] {
			continue
		}
		if len(p) == 1 {
			edges = append(edges, outlineEdge{p[0][0], p[0][1], p[0][0], p[0][1], 0})
		}
		for k := 0; k+1 < len(p); k++ {
			edges = append(edges, outlineEdge{p[k][0], p[k][1], p[k+1][0], p[k+1][1], 0})
		}
	}
	s := &shapeIndex{bound: g.Bound()}
	s.segments.pack(edges)
	if mp != nil {
		pp := prepare(mp)
		s.area = &pp
	}
	return s
}

// distance is componentDistance for the indexed component: the
// great-circle distance from p to the point of the component nearest in
// the local plane around p, 0 inside a polygon.
func (s *shapeIndex) distance(p orb.Point) float64 { return s.distanceWithin(p, math.Inf(1)) }

// distanceWithin is distance for a caller that needs only distances up to
// limit metres: it may return +Inf for a component farther than that, and
// prunes the walk with the bound.
func (s *shapeIndex) distanceWithin(p orb.Point, limit float64) float64 {
	if s.area != nil && s.area.covers(p[0], p[1]) {
		return 0
	}
	lp := newLocalPlane(p)
	// A point within limit great-circle metres is within
	// limit/planarLowerBoundFactor plane metres.
	item, x, y, _ := s.segments.nearestWithin(lp, oneItem, limit/planarLowerBoundFactor*(1+1e-9))
	if item < 0 {
		return math.Inf(1)
	}
	return data.HaversineM(p, lp.unproject(x, y))
}

// distanceTo is the distance from p to component i, through its shape
// index when it has one.
func (ix *Index) distanceTo(p orb.Point, i uint32) float64 {
	return ix.distanceWithin(p, i, math.Inf(1))
}

// distanceWithin is distanceTo for a caller that needs only distances up to
// limit metres (see shapeIndex.distanceWithin).
func (ix *Index) distanceWithin(p orb.Point, i uint32, limit float64) float64 {
	if int(i) < len(ix.compShape) {
		if s := ix.compShape[i]; s != nil {
			return s.distanceWithin(p, limit)
		}
	}
	return componentDistance(p, ix.ds.Components[i].Geometry)
}
