package spatial

import (
	"citygrid/data"
	"math"
	"slices"

	"citygrid/data/topology"

	"github.com/paulmach/orb"
)

// edge is one ring segment a→b of a prepared polygon.
type edge struct{ ax, ay, bx, by float64 }

// prepared is a multipolygon made ready for exact point-in-polygon tests.
// Every ring edge of every part (shells and holes alike) is filed into
// horizontal slabs: slab i holds, in one contiguous run of edges, every edge
// whose closed y-range overlaps the slab. A query looks at one slab only, so
// the cost of a test does not grow with the polygon's vertex count.
//
// The reading is PostGIS's (ST_Covers, ST_Intersects with a point), which is
// also the one GIS tools apply to invalid polygons: a part covers a point
// when its shell does (non-zero winding number, boundary included) and no
// hole contains it; a point on a hole's edge inside the shell is on the
// boundary; a hole outside its shell takes nothing away; the multipolygon
// covers what any part covers. On valid polygons this is the plain
// even-odd reading; on self-touching rings, islands stored as holes and
// overlapping parts it differs, and the stored data has all of them.
type prepared struct {
	bound     orb.Bound
	invHeight float64  // slabs per degree of latitude
	slabStart []uint32 // len = slabs+1; slab i is edges[slabStart[i]:slabStart[i+1]]
	edges     []edge
	// ring[k] is the ring of edges[k]: rings are numbered part by part,
	// shell first, and within a slab the edges keep that order. Nil for a
	// one-pass polygon without far holes.
	ring []uint32
	// hole[r] reports whether ring r is a hole; part[r] is its part.
	hole []bool
	part []uint32
	// far[r] reports that ring r is a hole lying outside its shell (an
	// island stored as a hole): it takes nothing away, and PostGIS measures
	// distances to the shell past it (see nearestOnEdges).
	far    []bool
	anyFar bool
	// simple is set when one pass over the slab's edges decides: a single
	// ring (by its winding number), or a valid polygon (topology.Valid),
	// where the parity of all crossings is the shell-minus-holes reading
	// whatever the rings' orientation (parity marks simple as such).
	simple, parity bool
}

// maxCheckedEdges is the size up to which prepare checks a polygon of
// several rings for validity, to test it in one pass: the check costs
// milliseconds on a national outline with hundreds of islands, and a query
// area is prepared on every within.
const maxCheckedEdges = 2048

// maxSlabs caps the slab count of one polygon; a district outline with
// tens of thousands of vertices still gets short slabs.
const maxSlabs = 4096

// prepare builds the slab structure of mp. Degenerate edges (a = b) are
// dropped; rings need not be closed (a missing closing edge is implied).
func prepare(mp orb.MultiPolygon) prepared {
	var all []edge
	var allRing []uint32
	pp := prepared{bound: mp.Bound()}
	for pi, poly := range mp {
		for ri, ring := range poly {
			r := uint32(len(pp.hole))
			pp.hole = append(pp.hole, ri > 0)
			pp.part = append(pp.part, uint32(pi))
			n := len(ring)
			if n > 1 && ring[0] == ring[n-1] {
				n--
			}
			if n < 2 {
				continue
			}
			for i := 0; i < n; i++ {
				a, b := ring[i], ring[(i+1)%n]
				if a == b {
					continue
				}
				all = append(all, edge{a[0], a[1], b[0], b[1]})
				allRing = append(allRing, r)
			}
		}
	}
	pp.far = farHoles(mp)
	for _, f := range pp.far {
		pp.anyFar = pp.anyFar || f
	}
	switch {
	case len(pp.hole) == 1:
		pp.simple = true
	case len(all) <= maxCheckedEdges && topology.Valid(mp):
		pp.simple, pp.parity = true, true
	}
	if len(all) == 0 {
		pp.bound = orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{-1, -1}} // covers nothing
		pp.slabStart = []uint32{0, 0}
		return pp
	}
	slabs := len(all) / 2
	if slabs < 1 {
		slabs = 1
	}
	if slabs > maxSlabs {
		slabs = maxSlabs
	}
	h := pp.bound.Max[1] - pp.bound.Min[1]
	if h > 0 {
		pp.invHeight = float64(slabs) / h
	} else {
		slabs = 1
	}
	// Count, then fill: each edge goes into every slab its y-range touches.
	// slabOf is monotone in y, so an edge spanning [y0,y1] is in every slab a
	// query with y0 ≤ y ≤ y1 can land in. Filling in edge order keeps each
	// slab's edges grouped by ring.
	counts := make([]uint32, slabs+1)
	for _, e := range all {
		lo, hi := pp.slabRange(e, slabs)
		for s := lo; s <= hi; s++ {
			counts[s+1]++
		}
	}
	for i := 1; i <= slabs; i++ {
		counts[i] += counts[i-1]
	}
	pp.slabStart = counts
	pp.edges = make([]edge, counts[slabs])
	// Only the ring-by-ring walk and the far-hole skip read the rings: a
	// one-pass polygon (every unit grid, most outlines) does without.
	withRings := !pp.simple || pp.anyFar
	if withRings {
		pp.ring = make([]uint32, counts[slabs])
	}
	fill := make([]uint32, slabs)
	copy(fill, counts[:slabs])
	for k, e := range all {
		lo, hi := pp.slabRange(e, slabs)
		for s := lo; s <= hi; s++ {
			pp.edges[fill[s]] = e
			if withRings {
				pp.ring[fill[s]] = allRing[k]
			}
			fill[s]++
		}
	}
	return pp
}

// farHoles flags, ring by ring in prepare's numbering, the holes with no
// vertex strictly inside their shell.
func farHoles(mp orb.MultiPolygon) []bool {
	var far []bool
	for _, poly := range mp {
		if len(poly) == 1 {
			far = append(far, false)
			continue
		}
		for ri, ring := range poly {
			shell := orb.MultiPolygon{{poly[0]}}
			far = append(far, ri > 0 && !slices.ContainsFunc(ring, func(v orb.Point) bool {
				return topology.Locate(shell, v) == topology.Interior
			}))
		}
	}
	return far
}

func (pp *prepared) slabRange(e edge, slabs int) (lo, hi int) {
	y0, y1 := e.ay, e.by
	if y0 > y1 {
		y0, y1 = y1, y0
	}
	return pp.slabOf(y0, slabs), pp.slabOf(y1, slabs)
}

// slabOf maps a latitude inside the bound to its slab. The computation is
// the same at build and query time and monotone in y, which is all the
// filing above relies on.
func (pp *prepared) slabOf(y float64, slabs int) int {
	s := int((y - pp.bound.Min[1]) * pp.invHeight)
	if s < 0 {
		return 0
	}
	if s >= slabs {
		return slabs - 1
	}
	return s
}

// Results of prepared.locate.
const (
	outside  = 0
	interior = 1
	boundary = 2
)

// covers reports whether the point (x, y) lies in the polygon's interior or
// on its boundary (PostGIS ST_Covers), exactly.
func (pp *prepared) covers(x, y float64) bool { return pp.locate(x, y) != outside }

// locate classifies the point (x, y) as outside, interior or boundary,
// exactly.
func (pp *prepared) locate(x, y float64) int {
	if x < pp.bound.Min[0] || x > pp.bound.Max[0] || y < pp.bound.Min[1] || y > pp.bound.Max[1] {
		return outside
	}
	slabs := len(pp.slabStart) - 1
	s := pp.slabOf(y, slabs)
	lo, hi := pp.slabStart[s], pp.slabStart[s+1]
	if pp.simple {
		wn := 0
		for _, e := range pp.edges[lo:hi] {
			c := edgeCross(e.ax, e.ay, e.bx, e.by, x, y)
			if c == crossBoundary {
				return boundary
			}
			wn += c
		}
		if pp.parity {
			wn &= 1
		}
		return windingClass(wn)
	}
	rs := ringScan{ring: noRing}
	for k := lo; k < hi; k++ {
		if r := pp.ring[k]; r != rs.ring {
			if res, done := rs.finish(pp); done {
				return res
			}
			rs.start(r)
		}
		if rs.onBoundary {
			continue
		}
		e := &pp.edges[k]
		c := edgeCross(e.ax, e.ay, e.bx, e.by, x, y)
		if c == crossBoundary {
			rs.onBoundary = true
		} else {
			rs.wn += c
		}
	}
	if res, done := rs.finish(pp); done {
		return res
	}
	rs.closePart()
	return rs.result
}

// ringScan walks a slab's edges ring by ring, keeping the classification
// of the current part. Rings without an edge in the slab do not enclose the
// point: a part whose shell is missing is outside, a missing hole takes
// nothing away.
type ringScan struct {
	ring       uint32 // current ring; noRing before the first
	wn         int
	onBoundary bool
	// part is the part whose shell was classified last and partState its
	// state: outside, interior, or boundary.
	part      uint32
	partValid bool
	partState int
	// result is the best classification seen over finished parts.
	result int
}

// noRing is ringScan.ring before the first edge.
const noRing = ^uint32(0)

func (rs *ringScan) start(r uint32) {
	rs.ring, rs.wn, rs.onBoundary = r, 0, false
}

// finish closes the current ring and, with it, possibly the current part.
// done reports that the answer is settled (a boundary point).
func (rs *ringScan) finish(pp *prepared) (int, bool) {
	if rs.ring == noRing {
		return outside, false
	}
	cls := windingClass(rs.wn)
	if rs.onBoundary {
		cls = boundary
	}
	p := pp.part[rs.ring]
	if !pp.hole[rs.ring] {
		rs.closePart()
		rs.part, rs.partValid, rs.partState = p, true, cls
		if cls == boundary {
			return boundary, true
		}
		return rs.result, false
	}
	if !rs.partValid || rs.part != p || rs.partState != interior {
		return rs.result, false // the hole's shell does not contain the point
	}
	switch cls {
	case interior:
		rs.partState = outside
	case boundary:
		return boundary, true
	}
	return rs.result, false
}

// closePart folds the current part's state into the result.
func (rs *ringScan) closePart() {
	if rs.partValid && rs.partState == interior {
		rs.result = interior
	}
	rs.partValid = false
}

// Results of edgeCross besides the winding contributions +1 and -1.
const (
	crossNone     = 0
	crossBoundary = 2
)

// edgeCross tests one edge a→b against the point (x, y): whether the point
// lies on it (crossBoundary), or how the edge winds around the point: +1
// for an upward edge to the right of the point, -1 for a downward one,
// counted half-open in y so that a vertex on the horizontal ray is counted
// once.
func edgeCross(ax, ay, bx, by, x, y float64) int {
	aAbove, bAbove := ay > y, by > y
	if aAbove && bAbove || ay < y && by < y {
		return crossNone // the edge's closed y-range misses the point
	}
	if aAbove == bAbove {
		// Both ends at or below y, one of them at y (or the edge is
		// horizontal at y): no crossing under the half-open rule, but the
		// point may lie on it.
		if (ay == y || by == y) && x >= math.Min(ax, bx) && x <= math.Max(ax, bx) &&
			orient(ax, ay, bx, by, x, y) == 0 {
			return crossBoundary
		}
		return crossNone
	}
	// Quick reject: the edge lies wholly to the point's left.
	if ax < x && bx < x {
		return crossNone
	}
	o := orient(ax, ay, bx, by, x, y)
	if o == 0 {
		return crossBoundary // on a non-horizontal edge within its y-range
	}
	// The edge is to the point's right when the point is left of an upward
	// edge or right of a downward one.
	if bAbove == (o > 0) {
		if bAbove {
			return 1
		}
		return -1
	}
	return crossNone
}

// windingClass is the class of a point off a ring's edges: interior when the
// ring winds around it.
func windingClass(wn int) int {
	if wn != 0 {
		return interior
	}
	return outside
}

// multiPolygonLocate is the unprepared form of prepared.locate, for
// geometries tested once (component polygons, query areas): every edge of
// every ring, the same reading (topology.Locate).
func multiPolygonLocate(mp orb.MultiPolygon, x, y float64) int {
	return int(topology.Locate(mp, orb.Point{x, y}))
}

// multiPolygonCovers reports whether mp covers (x, y) (ST_Covers).
func multiPolygonCovers(mp orb.MultiPolygon, x, y float64) bool {
	return multiPolygonLocate(mp, x, y) != outside
}

// localPlane is an equirectangular projection centred on a point, in metres.
// Within a city it is accurate to well under 0.1 %, which is all distances
// to polygon boundaries need; great-circle distances are computed from the
// nearest point it finds.
type localPlane struct {
	lon0, lat0, kx, ky float64
}

func newLocalPlane(p orb.Point) localPlane {
	ky := data.EarthRadiusM * math.Pi / 180
	return localPlane{lon0: p[0], lat0: p[1], kx: ky * math.Cos(p[1]*math.Pi/180), ky: ky}
}

func (lp localPlane) project(lon, lat float64) (x, y float64) {
	return (lon - lp.lon0) * lp.kx, (lat - lp.lat0) * lp.ky
}

func (lp localPlane) unproject(x, y float64) orb.Point {
	return orb.Point{lp.lon0 + x/lp.kx, lp.lat0 + y/lp.ky}
}

// boxDist is the planar distance in metres from the plane's origin to a
// lon/lat box, a lower bound of the distance to anything inside it.
func (lp localPlane) boxDist(minX, minY, maxX, maxY float64) float64 {
	x0, y0 := lp.project(minX, minY)
	x1, y1 := lp.project(maxX, maxY)
	dx := math.Max(0, math.Max(x0, -x1))
	dy := math.Max(0, math.Max(y0, -y1))
	return math.Hypot(dx, dy)
}

// nearestOnSegment returns the point of segment (ax,ay)-(bx,by) closest to
// the origin, all in plane metres.
func nearestOnSegment(ax, ay, bx, by float64) (x, y float64) {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return ax, ay
	}
	t := -(ax*dx + ay*dy) / l2
	if t < 0 {
		t = 0
	} else if t > 1 {
		t = 1
	}
	return ax + t*dx, ay + t*dy
}

// nearestOnEdges returns the lon/lat point of the prepared polygon's
// boundary closest to the plane's origin (by planar distance), for a point
// the polygon does not cover. Holes outside their shell are passed over:
// PostGIS's ST_Distance measures a point outside a shell to the shell.
func (pp *prepared) nearestOnEdges(lp localPlane) (orb.Point, float64) {
	best := math.Inf(1)
	var bx, by float64
	for k, e := range pp.edges {
		if pp.anyFar && pp.far[pp.ring[k]] {
			continue
		}
		ax, ay := lp.project(e.ax, e.ay)
		cx, cy := lp.project(e.bx, e.by)
		x, y := nearestOnSegment(ax, ay, cx, cy)
		if d := x*x + y*y; d < best {
			best, bx, by = d, x, y
		}
	}
	return lp.unproject(bx, by), math.Sqrt(best)
}

// interiorPoint returns a point strictly inside the polygon, or false when
// none is found (degenerate polygons). It cuts the polygon with the
// horizontal line halfway across the widest gap between vertex latitudes —
// a line through no vertex — and takes the middle of the widest inside
// interval, then confirms it with the exact test.
func (pp *prepared) interiorPoint() (orb.Point, bool) {
	if len(pp.edges) == 0 {
		return orb.Point{}, false
	}
	ys := make([]float64, 0, 2*len(pp.edges))
	for _, e := range pp.edges {
		ys = append(ys, e.ay, e.by)
	}
	slices.Sort(ys)
	ys = slices.Compact(ys)
	if len(ys) < 2 {
		return orb.Point{}, false
	}
	gy, gap := 0.0, -1.0
	for i := 0; i+1 < len(ys); i++ {
		if d := ys[i+1] - ys[i]; d > gap {
			gap, gy = d, (ys[i]+ys[i+1])/2
		}
	}
	var xs []float64
	seen := map[edge]bool{} // edges are duplicated across slabs
	for _, e := range pp.edges {
		if (e.ay > gy) == (e.by > gy) || seen[e] {
			continue
		}
		seen[e] = true
		xs = append(xs, e.ax+(gy-e.ay)*(e.bx-e.ax)/(e.by-e.ay))
	}
	slices.Sort(xs)
	best, bx := -1.0, 0.0
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > best {
			best, bx = w, (xs[i]+xs[i+1])/2
		}
	}
	p := orb.Point{bx, gy}
	if best <= 0 || pp.locate(p[0], p[1]) != interior {
		return orb.Point{}, false
	}
	return p, true
}

// segmentMeets reports whether the closed segment a→b shares a point with
// an edge of the polygon (proper = false), or properly crosses one: the
// two interiors meet in a single point (proper = true). Only the slabs the
// segment's y-range spans are searched, so the cost follows the segment's
// length rather than the polygon's vertex count.
func (pp *prepared) segmentMeets(a, b orb.Point, proper bool) bool {
	minX, maxX := math.Min(a[0], b[0]), math.Max(a[0], b[0])
	minY, maxY := math.Min(a[1], b[1]), math.Max(a[1], b[1])
	if maxX < pp.bound.Min[0] || minX > pp.bound.Max[0] || maxY < pp.bound.Min[1] || minY > pp.bound.Max[1] {
		return false
	}
	slabs := len(pp.slabStart) - 1
	lo, hi := pp.slabOf(math.Max(minY, pp.bound.Min[1]), slabs), pp.slabOf(math.Min(maxY, pp.bound.Max[1]), slabs)
	for _, e := range pp.edges[pp.slabStart[lo]:pp.slabStart[hi+1]] {
		if math.Max(e.ax, e.bx) < minX || math.Min(e.ax, e.bx) > maxX ||
			math.Max(e.ay, e.by) < minY || math.Min(e.ay, e.by) > maxY {
			continue
		}
		p, q := orb.Point{e.ax, e.ay}, orb.Point{e.bx, e.by}
		if proper && segmentsCross(a, b, p, q) || !proper && segmentsIntersect(a, b, p, q) {
			return true
		}
	}
	return false
}

// runsAlong reports whether an edge of the polygon is collinear with the
// segment a→b and overlaps it in more than a point.
func (pp *prepared) runsAlong(a, b orb.Point) bool {
	minY, maxY := math.Min(a[1], b[1]), math.Max(a[1], b[1])
	if maxY < pp.bound.Min[1] || minY > pp.bound.Max[1] {
		return false
	}
	slabs := len(pp.slabStart) - 1
	lo, hi := pp.slabOf(math.Max(minY, pp.bound.Min[1]), slabs), pp.slabOf(math.Min(maxY, pp.bound.Max[1]), slabs)
	// Project on the segment's longer axis to compare extents.
	axis := 0
	if math.Abs(b[1]-a[1]) > math.Abs(b[0]-a[0]) {
		axis = 1
	}
	s0, s1 := math.Min(a[axis], b[axis]), math.Max(a[axis], b[axis])
	for _, e := range pp.edges[pp.slabStart[lo]:pp.slabStart[hi+1]] {
		if orient(a[0], a[1], b[0], b[1], e.ax, e.ay) != 0 || orient(a[0], a[1], b[0], b[1], e.bx, e.by) != 0 {
			continue
		}
		ea, eb := [2]float64{e.ax, e.ay}[axis], [2]float64{e.bx, e.by}[axis]
		if math.Min(s1, math.Max(ea, eb)) > math.Max(s0, math.Min(ea, eb)) {
			return true
		}
	}
	return false
}

// segmentsCross reports whether segments p1p2 and q1q2 cross properly: each
// has the other's ends strictly on opposite sides.
func segmentsCross(p1, p2, q1, q2 orb.Point) bool {
	return orient(p1[0], p1[1], p2[0], p2[1], q1[0], q1[1])*orient(p1[0], p1[1], p2[0], p2[1], q2[0], q2[1]) < 0 &&
		orient(q1[0], q1[1], q2[0], q2[1], p1[0], p1[1])*orient(q1[0], q1[1], q2[0], q2[1], p2[0], p2[1]) < 0
}
