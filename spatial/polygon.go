package spatial

import (
	"citygrid/data"
	"math"
	"slices"

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
// Because the parts of a valid multipolygon are disjoint and its holes lie
// in their shells, one even-odd crossing count over all edges of all rings
// decides interior points, while any edge passing exactly through the point
// makes it a boundary point, which counts as covered (ST_Covers).
type prepared struct {
	bound     orb.Bound
	invHeight float64  // slabs per degree of latitude
	slabStart []uint32 // len = slabs+1; slab i is edges[slabStart[i]:slabStart[i+1]]
	edges     []edge
}

// maxSlabs caps the slab count of one polygon; a district outline with
// tens of thousands of vertices still gets short slabs.
const maxSlabs = 4096

// prepare builds the slab structure of mp. Degenerate edges (a = b) are
// dropped; rings need not be closed (a missing closing edge is implied).
func prepare(mp orb.MultiPolygon) prepared {
	var all []edge
	for _, poly := range mp {
		for _, ring := range poly {
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
			}
		}
	}
	pp := prepared{bound: mp.Bound()}
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
	// query with y0 ≤ y ≤ y1 can land in.
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
	fill := make([]uint32, slabs)
	copy(fill, counts[:slabs])
	for _, e := range all {
		lo, hi := pp.slabRange(e, slabs)
		for s := lo; s <= hi; s++ {
			pp.edges[fill[s]] = e
			fill[s]++
		}
	}
	return pp
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
	inside := false
	for _, e := range pp.edges[pp.slabStart[s]:pp.slabStart[s+1]] {
		switch edgeCross(e.ax, e.ay, e.bx, e.by, x, y) {
		case crossBoundary:
			return boundary
		case crossToggle:
			inside = !inside
		}
	}
	if inside {
		return interior
	}
	return outside
}

// Results of edgeCross.
const (
	crossNone = iota
	crossToggle
	crossBoundary
)

// edgeCross tests one edge a→b against the point (x, y): whether the point
// lies on it, or whether it crosses the horizontal ray from the point to +x
// (half-open in y, so a vertex on the ray is counted once).
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
		return crossToggle
	}
	return crossNone
}

// multiPolygonCovers is the unprepared form of prepared.covers, for
// geometries tested once (component polygons, query areas): every edge of
// every ring, no allocation.
func multiPolygonCovers(mp orb.MultiPolygon, x, y float64) bool {
	inside := false
	for _, poly := range mp {
		for _, ring := range poly {
			n := len(ring)
			if n > 1 && ring[0] == ring[n-1] {
				n--
			}
			for i := 0; i < n; i++ {
				a, b := ring[i], ring[(i+1)%n]
				if a == b {
					continue
				}
				switch edgeCross(a[0], a[1], b[0], b[1], x, y) {
				case crossBoundary:
					return true
				case crossToggle:
					inside = !inside
				}
			}
		}
	}
	return inside
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
// boundary closest to the plane's origin (by planar distance).
func (pp *prepared) nearestOnEdges(lp localPlane) (orb.Point, float64) {
	best := math.Inf(1)
	var bx, by float64
	for _, e := range pp.edges {
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
