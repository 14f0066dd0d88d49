package spatial

import (
	"citygrid/data"
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// The outline makes locate fast for points outside the city. The unit grid
// nearest to such a point has the point of the covered area closest to it
// on its boundary, and that point lies on an edge of the area's outline:
// an edge of one grid that no other grid shares from the other side (an
// edge between two grids, covered on both sides, is interior; a point
// outside the area is always nearer to some outline edge than to it or at
// the same distance). The outline of a district of some 13,000 grids has a
// few thousand edges, held in a static packed R-tree (Hilbert-ordered, fan
// outlineFan) that a depth-first branch-and-bound walk searches without
// allocating.
//
// Classifying an edge as interior needs both grids to use the same two
// vertices; where they don't (a T-junction), the edges stay in the outline,
// which costs a little speed and nothing else. A final step re-checks the
// grids touching the nearest point with the whole-polygon distance, so the
// lowest-code tie-break among grids meeting at that point is the same as a
// scan of every grid.

// outlineFan is the number of children of an outline R-tree node.
const outlineFan = 8

// outlineEdge is one outline edge in lon/lat, as its grid's ring runs, and
// the grid layer item it belongs to.
type outlineEdge struct {
	ax, ay, bx, by float64
	item           uint32
}

// outline is the packed R-tree over the outline edges of a grid layer.
type outline struct {
	edges []outlineEdge
	// levels[0][i] bounds edges[i*outlineFan:(i+1)*outlineFan];
	// levels[k][i] bounds levels[k-1][i*outlineFan:(i+1)*outlineFan]; the
	// last level has one node.
	levels [][]orb.Bound
	// items and live are the grid layer's len(prep) and tree.Len() when the
	// outline was built: any add or remove changes one of them, and a stale
	// outline is not used.
	items, live int
}

// buildOutline builds the outline of the grid layer l, whose item i is the
// unit grid ds[l.ds[i]] with the geometry geom(i).
func buildOutline(l *polyLayer, geom func(item int) orb.MultiPolygon) *outline {
	o := &outline{items: len(l.prep), live: l.tree.Len()}
	type key struct{ px, py, qx, qy float64 }
	type sides struct{ left, right int32 }
	count := map[key]sides{}
	var all []outlineEdge
	for i := range l.prep {
		if l.ds[i] < 0 {
			continue
		}
		far := l.prep[i].far
		ringNo := -1
		for _, poly := range geom(i) {
			for r, ring := range poly {
				if ringNo++; ringNo < len(far) && far[ringNo] {
					continue // an island stored as a hole: no distance is measured to it
				}
				n := len(ring)
				if n > 1 && ring[0] == ring[n-1] {
					n--
				}
				if n < 2 {
					continue
				}
				// The polygon's interior is left of the ring's edges for a
				// counter-clockwise shell or a clockwise hole.
				left := (ringArea(ring[:n]) > 0) == (r == 0)
				for k := 0; k < n; k++ {
					a, b := ring[k], ring[(k+1)%n]
					if a == b {
						continue
					}
					kk, l := key{a[0], a[1], b[0], b[1]}, left
					if b[0] < a[0] || b[0] == a[0] && b[1] < a[1] {
						kk, l = key{b[0], b[1], a[0], a[1]}, !left
					}
					s := count[kk]
					if l {
						s.left++
					} else {
						s.right++
					}
					count[kk] = s
					all = append(all, outlineEdge{a[0], a[1], b[0], b[1], uint32(i)})
				}
			}
		}
	}
	var kept []outlineEdge
	for _, e := range all {
		kk := key{e.ax, e.ay, e.bx, e.by}
		if e.bx < e.ax || e.bx == e.ax && e.by < e.ay {
			kk = key{e.bx, e.by, e.ax, e.ay}
		}
		if s := count[kk]; s.left == 1 && s.right == 1 {
			continue // shared by two grids from opposite sides: interior
		}
		kept = append(kept, e)
	}
	o.pack(kept)
	return o
}

// pack files edges into the packed R-tree, in Hilbert order of their
// midpoints.
func (o *outline) pack(edges []outlineEdge) {
	o.edges = edges
	if len(o.edges) == 0 {
		return
	}
	ext := edgeBound(o.edges[0])
	for _, e := range o.edges[1:] {
		ext = ext.Union(edgeBound(e))
	}
	keys := make([]uint32, len(o.edges))
	order := make([]int, len(o.edges))
	for k, e := range o.edges {
		keys[k] = hilbertKey(ext, orb.Point{(e.ax + e.bx) / 2, (e.ay + e.by) / 2})
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(keys[a], keys[b]) })
	sorted := make([]outlineEdge, len(o.edges))
	for k, j := range order {
		sorted[k] = o.edges[j]
	}
	o.edges = sorted
	// Pack the levels bottom up.
	var level []orb.Bound
	for lo := 0; lo < len(o.edges); lo += outlineFan {
		b := edgeBound(o.edges[lo])
		for _, e := range o.edges[lo+1 : min(lo+outlineFan, len(o.edges))] {
			b = b.Union(edgeBound(e))
		}
		level = append(level, b)
	}
	o.levels = append(o.levels, level)
	for len(level) > 1 {
		var up []orb.Bound
		for lo := 0; lo < len(level); lo += outlineFan {
			b := level[lo]
			for _, c := range level[lo+1 : min(lo+outlineFan, len(level))] {
				b = b.Union(c)
			}
			up = append(up, b)
		}
		o.levels = append(o.levels, up)
		level = up
	}
}

func edgeBound(e outlineEdge) orb.Bound {
	return orb.Bound{Min: orb.Point{math.Min(e.ax, e.bx), math.Min(e.ay, e.by)}, Max: orb.Point{math.Max(e.ax, e.bx), math.Max(e.ay, e.by)}}
}

// ringArea is twice the signed (shoelace) area of an open ring in lon/lat:
// positive for counter-clockwise.
func ringArea(ring orb.Ring) float64 {
	var s float64
	n := len(ring)
	for i := 0; i < n; i++ {
		a, b := ring[i], ring[(i+1)%n]
		s += a[0]*b[1] - b[0]*a[1]
	}
	return s
}

// outlineSearch is the state of one nearest-edge walk.
type outlineSearch struct {
	o      *outline
	code   []string // grid layer codes, for the tie-break
	lp     localPlane
	best   float64 // squared planar distance of the best edge so far
	item   int     // its grid layer item, -1 for none
	bx, by float64 // its nearest point, plane metres
}

// nearest returns the grid layer item with the outline edge nearest to the
// plane's origin (ties to the lowest code), the nearest point in plane
// metres and its planar distance; item -1 when the outline is empty.
func (o *outline) nearest(lp localPlane, code []string) (item int, x, y, d float64) {
	return o.nearestWithin(lp, code, math.Inf(1))
}

// nearestWithin is nearest looking only closer than maxD planar metres:
// item is -1 when no edge is that close.
func (o *outline) nearestWithin(lp localPlane, code []string, maxD float64) (item int, x, y, d float64) {
	s := outlineSearch{o: o, code: code, lp: lp, best: maxD * maxD, item: -1}
	if len(o.levels) > 0 {
		s.visit(len(o.levels)-1, 0)
	}
	return s.item, s.bx, s.by, math.Sqrt(s.best)
}

// visit searches node i of level k: its children in order of their box
// distance, skipping those farther than the best edge found so far.
func (s *outlineSearch) visit(k, i int) {
	if k == 0 {
		lo := i * outlineFan
		for _, e := range s.o.edges[lo:min(lo+outlineFan, len(s.o.edges))] {
			ax, ay := s.lp.project(e.ax, e.ay)
			bx, by := s.lp.project(e.bx, e.by)
			x, y := nearestOnSegment(ax, ay, bx, by)
			d := x*x + y*y
			if d < s.best || d == s.best && s.item >= 0 && s.code[e.item] < s.code[s.item] {
				s.best, s.item, s.bx, s.by = d, int(e.item), x, y
			}
		}
		return
	}
	children := s.o.levels[k-1]
	lo := i * outlineFan
	hi := min(lo+outlineFan, len(children))
	var lb [outlineFan]float64
	var idx [outlineFan]int
	n := 0
	for c := lo; c < hi; c++ {
		b := &children[c]
		d := s.lp.boxDist2(b.Min[0], b.Min[1], b.Max[0], b.Max[1])
		// insertion sort by lower bound
		j := n
		for j > 0 && lb[j-1] > d {
			lb[j], idx[j] = lb[j-1], idx[j-1]
			j--
		}
		lb[j], idx[j] = d, c
		n++
	}
	for j := 0; j < n; j++ {
		if lb[j] > s.best {
			return
		}
		s.visit(k-1, idx[j])
	}
}

// currentOutline returns the outline of the unit grids, rebuilding it when
// grids were added or removed since it was built (rare edits; the rebuild
// takes milliseconds).
func (ix *Index) currentOutline() *outline {
	o := ix.outline.Load()
	if o != nil && o.items == len(ix.grids.prep) && o.live == ix.grids.tree.Len() {
		return o
	}
	o = buildOutline(&ix.grids, func(i int) orb.MultiPolygon { return ix.ds.UnitGrids[ix.grids.ds[i]].Geometry })
	ix.outline.Store(o)
	return o
}

// nearestGrid finds the unit grid whose boundary is closest to p, a point
// no unit grid covers: the nearest outline edge (see outline), then every
// grid touching that edge's nearest point is compared by its whole
// boundary, ties going to the lowest code.
func (ix *Index) nearestGrid(p orb.Point) NearestGrid {
	lp := newLocalPlane(p)
	o := ix.currentOutline()
	item, x, y, d := o.nearest(lp, ix.grids.code)
	if item < 0 {
		return NearestGrid{}
	}
	q := lp.unproject(x, y)
	nb := nearBest{ix: ix, lp: lp, item: item, d: d, q: q}
	const eps = 1e-9 // degrees, about 0.1 mm
	ix.grids.tree.Search([2]float64{q[0] - eps, q[1] - eps}, [2]float64{q[0] + eps, q[1] + eps}, nb.consider)
	return NearestGrid{Code: ix.grids.code[nb.item], DistanceM: data.HaversineM(p, nb.q)}
}

// nearBest is the tie-break step of nearestGrid: grids whose box touches
// the nearest point, compared by whole-boundary distance, then code.
type nearBest struct {
	ix   *Index
	lp   localPlane
	item int
	d    float64
	q    orb.Point
}

func (nb *nearBest) consider(_, _ [2]float64, i uint32) bool {
	if int(i) == nb.item {
		return true
	}
	q, d := nb.ix.grids.prep[i].nearestOnEdges(nb.lp)
	if code := nb.ix.grids.code; d < nb.d || d == nb.d && code[i] < code[nb.item] {
		nb.item, nb.d, nb.q = int(i), d, q
	}
	return true
}

// boxDist2 is the square of boxDist, without the square root.
func (lp localPlane) boxDist2(minX, minY, maxX, maxY float64) float64 {
	x0, y0 := lp.project(minX, minY)
	x1, y1 := lp.project(maxX, maxY)
	var dx, dy float64
	if x0 > 0 {
		dx = x0
	} else if x1 < 0 {
		dx = -x1
	}
	if y0 > 0 {
		dy = y0
	} else if y1 < 0 {
		dy = -y1
	}
	return dx*dx + dy*dy
}
