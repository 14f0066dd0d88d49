package spatial

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"citygrid/data"
	"citygrid/spatial/crs"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Limits of the component queries, enforced with *data.ValidationError.
const (
	// MaxNearestK is the largest k Nearest accepts.
	MaxNearestK = 1000
	// MaxRadiusM is the largest search radius, in metres, Nearest accepts.
	MaxRadiusM = 50000
)

// Geometry wraps an orb geometry so that it encodes as GeoJSON.
type Geometry struct{ orb.Geometry }

// MarshalJSON encodes the geometry as a GeoJSON geometry object (null when
// empty).
func (g Geometry) MarshalJSON() ([]byte, error) {
	if g.Geometry == nil {
		return []byte("null"), nil
	}
	return json.Marshal(geojson.NewGeometry(g.Geometry))
}

// ComponentHit is a component in a query answer.
type ComponentHit struct {
	Code       string               `json:"code"`
	Category   string               `json:"category"`
	Name       string               `json:"name,omitempty"`
	Status     data.ComponentStatus `json:"status,omitempty"`
	UnitGrid   string               `json:"unit_grid,omitempty"`
	Owner      string               `json:"owner,omitempty"`
	Maintainer string               `json:"maintainer,omitempty"`
	Geometry   Geometry             `json:"geometry"`
}

func hitOf(c *data.Component) ComponentHit {
	return ComponentHit{Code: c.Code, Category: c.Category, Name: c.Name, Status: c.Status, UnitGrid: c.UnitGrid,
		Owner: c.Owner, Maintainer: c.Maintainer, Geometry: Geometry{c.Geometry}}
}

// Neighbor is a component with its distance from the query point.
type Neighbor struct {
	ComponentHit
	// DistanceM is the great-circle distance in metres from the query
	// point to the nearest point of the component's geometry.
	DistanceM float64 `json:"distance_m"`
}

// NearestResult answers a nearest query: the components nearest first
// (ties by code).
type NearestResult struct {
	CRS        crs.CRS    `json:"crs"`
	Count      int        `json:"count"`
	Components []Neighbor `json:"components"`
}

// ToCRS converts the answer's geometries from storage to c and records c.
func (r *NearestResult) ToCRS(c crs.CRS) {
	for i := range r.Components {
		g := &r.Components[i].Geometry
		g.Geometry = crs.GeometryFromStorage(c, g.Geometry)
	}
	r.CRS = c
}

// categoryTrees resolves a category filter to the trees to search; an empty
// filter means every category. The codes are component category codes
// (components are of component categories; an event category of the same
// code is not meant). Codes that are not component categories are a
// validation error.
func (ix *Index) categoryTrees(categories []string) ([]string, error) {
	if len(categories) == 0 {
		return ix.compCats, nil
	}
	out := make([]string, 0, len(categories))
	for _, c := range categories {
		if _, ok := ix.catByKey[catKey{data.KindComponent, c}]; !ok {
			if _, ok := ix.comps[c]; !ok {
				reason := fmt.Sprintf("unknown component category %q", c)
				if _, ok := ix.catByKey[catKey{data.KindEvent, c}]; ok {
					reason += " (it is an event category; events are not surveyed components)"
				}
				return nil, &data.ValidationError{Field: "category", Reason: reason}
			}
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out, nil
}

// componentDistance is the great-circle distance in metres from p to the
// nearest point of g: exact haversine for points; for lines and polygons
// the nearest point is found in a local plane around p (0 inside a
// polygon).
func componentDistance(p orb.Point, g orb.Geometry) float64 {
	switch g := g.(type) {
	case orb.Point:
		return data.HaversineM(p, g)
	case nil:
		return math.Inf(1)
	case orb.Polygon:
		return componentDistance(p, orb.MultiPolygon{g})
	case orb.MultiPolygon:
		if multiPolygonCovers(g, p[0], p[1]) {
			return 0
		}
	}
	lp := newLocalPlane(p)
	best := math.Inf(1)
	var bq orb.Point
	visit := func(ls []orb.Point) {
		for i := range ls {
			j := i + 1
			if j == len(ls) {
				if len(ls) > 1 {
					break
				}
				j = i
			}
			ax, ay := lp.project(ls[i][0], ls[i][1])
			bx, by := lp.project(ls[j][0], ls[j][1])
			x, y := nearestOnSegment(ax, ay, bx, by)
			if d := x*x + y*y; d < best {
				best, bq = d, lp.unproject(x, y)
			}
		}
	}
	switch g := g.(type) {
	case orb.LineString:
		visit(g)
	case orb.MultiLineString:
		for _, l := range g {
			visit(l)
		}
	case orb.MultiPoint:
		for _, q := range g {
			visit([]orb.Point{q})
		}
	case orb.MultiPolygon:
		// A point outside a shell is measured to the shell, past any
		// island stored as a hole (PostGIS's ST_Distance).
		far := farHoles(g)
		k := 0
		for _, poly := range g {
			for _, r := range poly {
				if !far[k] {
					visit(r)
				}
				k++
			}
		}
	default:
		c := g.Bound().Center()
		return data.HaversineM(p, c)
	}
	if math.IsInf(best, 1) {
		return best
	}
	return data.HaversineM(p, bq)
}

// sortCandidates orders candidates nearest first, ties by code.
func (ix *Index) sortCandidates(cands []candidate) {
	cs := ix.ds.Components
	slices.SortFunc(cands, func(a, b candidate) int {
		if c := cmp.Compare(a.d, b.d); c != 0 {
			return c
		}
		return cmp.Compare(cs[a.i].Code, cs[b.i].Code)
	})
}

// planarLowerBoundFactor turns a local-plane distance into a lower bound of
// the great-circle distance. The equirectangular plane fixes the scale of
// longitude at the query's latitude; within MaxRadiusM (under half a degree)
// the true scale differs by under 1.5 % even at 60° N, so 0.97 is safe
// everywhere citygrid may be deployed.
const planarLowerBoundFactor = 0.97

// manyCategories is the size of a category filter above which Nearest
// walks the tree of all components instead of one tree per category.
const manyCategories = 4

type candidate struct {
	i uint32
	d float64
}

// nearestIn walks one category's tree best-first and appends up to k
// components within radius metres, nearest first. skip filters out
// components (nil keeps all).
func (ix *Index) nearestIn(cat string, p orb.Point, k int, radius float64, skip func(*data.Component) bool, out []candidate) []candidate {
	tr := ix.comps[cat]
	if tr == nil {
		return out
	}
	return ix.nearestTree(tr, p, k, radius, skip, out)
}

// nearestInRadius is the component of the category nearest to p within a
// small radius, by searching the radius' bounding box rather than walking
// the tree best-first (which computes distances to whole leaves). ok is
// false when none is in range. Ties go to the lowest code.
func (ix *Index) nearestInRadius(cat string, p orb.Point, radius float64, skip func(*data.Component) bool) (best candidate, ok bool) {
	tr := ix.comps[cat]
	if tr == nil {
		return best, false
	}
	b := boundAround(p, radius)
	hv := newHaversineFrom(p)
	cs := ix.ds.Components
	lo := [2]float32{down32(b.Min[0]), down32(b.Min[1])}
	hi := [2]float32{up32(b.Max[0]), up32(b.Max[1])}
	tr.Search(lo, hi, func(_, _ [2]float32, i uint32) bool {
		var d float64
		if q := ix.compPt[i]; q[0] == q[0] {
			d = hv.to(q)
		} else {
			d = ix.distanceTo(p, i)
		}
		if d > radius || skip != nil && skip(&cs[i]) {
			return true
		}
		if !ok || d < best.d || d == best.d && cs[i].Code < cs[best.i].Code {
			best, ok = candidate{i, d}, true
		}
		return true
	})
	return best, ok
}

// nearestTree is nearestIn over any component tree. The walk pops
// components in order of a lower bound of their distance: the exact
// distance for points (cheap), the distance to the bounding box for lines
// and polygons, whose exact distance is computed only when popped. The walk
// ends when the next lower bound exceeds the k-th exact distance found, so
// a line is measured only when its box comes near enough to matter, not
// whenever the walk opens the leaf holding it.
func (ix *Index) nearestTree(tr *compTree, p orb.Point, k int, radius float64, skip func(*data.Component) bool, out []candidate) []candidate {
	var buf [16]float64
	top := kSmallest{k: k, h: buf[:0]}
	lp := newLocalPlane(p)
	hv := newHaversineFrom(p)
	tr.Nearby(
		func(min, max [2]float32, i uint32, item bool) float64 {
			// The planar distance to the box in the local projection,
			// shrunk by a margin that covers its disagreement with the
			// great circle up to MaxRadiusM.
			lb := lp.boxDist(float64(min[0]), float64(min[1]), float64(max[0]), float64(max[1])) * planarLowerBoundFactor
			if item && lb <= radius {
				if q := ix.compPt[i]; q[0] == q[0] { // not NaN: a point
					return hv.to(q)
				}
			}
			return lb
		},
		func(_, _ [2]float32, i uint32, d float64) bool {
			if d > radius || d > top.kth() {
				return false
			}
			if skip != nil && skip(&ix.ds.Components[i]) {
				return true
			}
			if q := ix.compPt[i]; q[0] != q[0] { // a line or polygon: d was its box
				if d = ix.distanceWithin(p, i, math.Min(radius, top.kth())); d > radius {
					return true
				}
			}
			// Past the k-th, keep collecting components as far as the
			// k-th, so the caller's code order settles ties; the caller
			// sorts and cuts.
			if d <= top.kth() {
				out = append(out, candidate{i, d})
				top.add(d)
			}
			return true
		},
	)
	return out
}

// kSmallest keeps the k smallest distances seen, as a max-heap, to know
// the k-th.
type kSmallest struct {
	k int
	h []float64
}

// kth is the k-th smallest distance seen, +Inf before k were seen.
func (t *kSmallest) kth() float64 {
	if len(t.h) < t.k {
		return math.Inf(1)
	}
	return t.h[0]
}

func (t *kSmallest) add(d float64) {
	if len(t.h) < t.k {
		t.h = append(t.h, d)
		for c := len(t.h) - 1; c > 0; {
			p := (c - 1) / 2
			if t.h[p] >= t.h[c] {
				break
			}
			t.h[p], t.h[c] = t.h[c], t.h[p]
			c = p
		}
		return
	}
	if d >= t.h[0] {
		return
	}
	t.h[0] = d
	for c := 0; ; {
		l, big := 2*c+1, c
		if l < len(t.h) && t.h[l] > t.h[big] {
			big = l
		}
		if r := l + 1; r < len(t.h) && t.h[r] > t.h[big] {
			big = r
		}
		if big == c {
			return
		}
		t.h[c], t.h[big] = t.h[big], t.h[c]
		c = big
	}
}

// Nearest finds the k components nearest to p (CGCS2000/WGS84) within
// radiusM metres, of the given categories (none = all), nearest first and
// ties by code. Distances are great-circle metres to the nearest point of
// each component. Invalid arguments (coordinates, k outside 1..MaxNearestK,
// radius outside (0, MaxRadiusM], unknown category) give a
// *data.ValidationError.
func (ix *Index) Nearest(p orb.Point, k int, radiusM float64, categories []string) (NearestResult, error) {
	ix.live.rlock()
	defer ix.live.runlock()
	if err := CheckPoint(p); err != nil {
		return NearestResult{}, err
	}
	if k < 1 || k > MaxNearestK {
		return NearestResult{}, &data.ValidationError{Field: "k", Reason: fmt.Sprintf("k must be between 1 and %d", MaxNearestK)}
	}
	if !(radiusM > 0 && radiusM <= MaxRadiusM) {
		return NearestResult{}, &data.ValidationError{Field: "radius", Reason: fmt.Sprintf("radius must be more than 0 and at most %d metres", MaxRadiusM)}
	}
	cats, err := ix.categoryTrees(categories)
	if err != nil {
		return NearestResult{}, err
	}
	var cands []candidate
	if len(categories) == 0 || len(cats) > manyCategories {
		// One walk of the tree of all components, skipping other
		// categories, beats merging many per-category walks.
		var skip func(*data.Component) bool
		if len(categories) > 0 {
			skip = func(c *data.Component) bool { _, found := slices.BinarySearch(cats, c.Category); return !found }
		}
		cands = ix.nearestTree(&ix.allComps, p, k, radiusM, skip, cands)
	} else {
		for _, cat := range cats {
			cands = ix.nearestIn(cat, p, k, radiusM, nil, cands)
		}
	}
	ix.sortCandidates(cands)
	cs := ix.ds.Components
	if len(cands) > k {
		cands = cands[:k]
	}
	res := NearestResult{CRS: crs.Default, Count: len(cands), Components: make([]Neighbor, len(cands))}
	for j, c := range cands {
		res.Components[j] = Neighbor{ComponentHit: hitOf(&cs[c.i]), DistanceM: c.d}
	}
	return res, nil
}

// WithinResult answers a within query: how many components of each
// category lie in the area, and the first of them (by category, then code)
// up to a limit.
type WithinResult struct {
	CRS crs.CRS `json:"crs"`
	// Count is the number of components in the area.
	Count int `json:"count"`
	// Counts is Count per category code.
	Counts     map[string]int `json:"counts"`
	Components []ComponentHit `json:"components"`
	// Truncated reports that Components holds fewer components than the
	// area has.
	Truncated bool `json:"truncated"`
	// CountCapped reports that the search stopped after WithinCountCap
	// components: Count and Counts are then lower bounds, and the listed
	// components are the first the index met, in category and code order
	// among those.
	CountCapped bool `json:"count_capped,omitempty"`
}

// WithinCountCap is where a within search stops counting: past it the
// answer says so (CountCapped) instead of visiting every component of a
// city-wide area, which cost about half a second of CPU per request on
// the demo city. Ask for smaller areas to count more precisely.
const WithinCountCap = 10_000

// ToCRS converts the answer's geometries from storage to c and records c.
func (r *WithinResult) ToCRS(c crs.CRS) {
	for i := range r.Components {
		g := &r.Components[i].Geometry
		g.Geometry = crs.GeometryFromStorage(c, g.Geometry)
	}
	r.CRS = c
}

// WithinBound finds the components intersecting the box b (edges
// included), of the given categories (none = all), listing at most limit of
// them (limit ≤ 0 lists none). Counts are complete up to WithinCountCap
// components (or limit, when larger); past it the search stops.
func (ix *Index) WithinBound(b orb.Bound, categories []string, limit int) (WithinResult, error) {
	ix.live.rlock()
	defer ix.live.runlock()
	if err := CheckPoint(b.Min); err != nil {
		return WithinResult{}, &data.ValidationError{Field: "bbox", Reason: err.Error()}
	}
	if err := CheckPoint(b.Max); err != nil {
		return WithinResult{}, &data.ValidationError{Field: "bbox", Reason: err.Error()}
	}
	if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
		return WithinResult{}, &data.ValidationError{Field: "bbox", Reason: "minimum exceeds maximum"}
	}
	return ix.within(orb.MultiPolygon{b.ToPolygon()}, b, categories, limit)
}

// WithinPolygon finds the components intersecting the (multi)polygon mp,
// boundary included (a point component on the boundary counts; a line or
// polygon component counts when any part of it touches the area). Other
// arguments are as for WithinBound.
func (ix *Index) WithinPolygon(mp orb.MultiPolygon, categories []string, limit int) (WithinResult, error) {
	ix.live.rlock()
	defer ix.live.runlock()
	if len(mp) == 0 {
		return WithinResult{}, &data.ValidationError{Field: "polygon", Reason: "empty polygon"}
	}
	for _, poly := range mp {
		if len(poly) == 0 {
			return WithinResult{}, &data.ValidationError{Field: "polygon", Reason: "polygon without rings"}
		}
		for _, r := range poly {
			if len(r) < 4 || r[0] != r[len(r)-1] {
				return WithinResult{}, &data.ValidationError{Field: "polygon", Reason: "every ring needs at least four positions, the last equal to the first"}
			}
			for _, p := range r {
				if err := CheckPoint(p); err != nil {
					return WithinResult{}, &data.ValidationError{Field: "polygon", Reason: err.Error()}
				}
			}
		}
	}
	return ix.within(mp, mp.Bound(), categories, limit)
}

func (ix *Index) within(mp orb.MultiPolygon, b orb.Bound, categories []string, limit int) (WithinResult, error) {
	cats, err := ix.categoryTrees(categories)
	if err != nil {
		return WithinResult{}, err
	}
	pp := prepare(mp)
	res := WithinResult{CRS: crs.Default, Counts: map[string]int{}, Components: []ComponentHit{}}
	var hits []*data.Component
	capped := false
	budget := max(limit, WithinCountCap)
	visit := func(c *data.Component) bool {
		if intersectsArea(&pp, mp, c.Geometry) {
			if len(hits) == budget {
				capped = true
				return false
			}
			hits = append(hits, c)
		}
		return true
	}
	if len(categories) == 0 || len(cats) > manyCategories {
		ix.componentsIn(&ix.allComps, b, func(c *data.Component) bool {
			if len(categories) > 0 {
				if _, ok := slices.BinarySearch(cats, c.Category); !ok {
					return true
				}
			}
			return visit(c)
		})
	} else {
		for _, cat := range cats {
			if !ix.componentsOf(cat, b, visit) {
				break
			}
		}
	}
	for _, c := range hits {
		res.Counts[c.Category]++
	}
	res.Count = len(hits)
	if limit > len(hits) {
		limit = len(hits)
	}
	if limit > 0 {
		first := smallestSorted(hits, limit, func(a, b *data.Component) int {
			return cmp.Or(cmp.Compare(a.Category, b.Category), cmp.Compare(a.Code, b.Code))
		})
		res.Components = make([]ComponentHit, limit)
		for i, c := range first {
			res.Components[i] = hitOf(c)
		}
	}
	res.CountCapped = capped
	res.Truncated = len(res.Components) < res.Count || capped
	return res, nil
}

// intersectsArea reports whether geometry g has a point in common with the
// area (pp is mp prepared): a vertex of g covered by the area, an edge of g
// crossing or touching an edge of the area, or the area lying inside a
// polygon g.
// pathsOf lists the vertex paths of a line or polygon geometry (lines, or
// rings); mp is the geometry as a multipolygon when it is a polygon. Other
// geometries give no paths.
func pathsOf(g orb.Geometry) (paths [][]orb.Point, mp orb.MultiPolygon) {
	switch g := g.(type) {
	case orb.LineString:
		return [][]orb.Point{g}, nil
	case orb.MultiLineString:
		for _, l := range g {
			paths = append(paths, l)
		}
		return paths, nil
	case orb.Polygon:
		mp = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		mp = g
	default:
		return nil, nil
	}
	for _, poly := range mp {
		for _, r := range poly {
			paths = append(paths, r)
		}
	}
	return paths, mp
}

func intersectsArea(pp *prepared, mp orb.MultiPolygon, g orb.Geometry) bool {
	if p, ok := g.(orb.Point); ok {
		return pp.covers(p[0], p[1])
	}
	if mpt, ok := g.(orb.MultiPoint); ok {
		for _, p := range mpt {
			if pp.covers(p[0], p[1]) {
				return true
			}
		}
		return false
	}
	lines, gp := pathsOf(g)
	if lines == nil {
		return false
	}
	for _, l := range lines {
		for _, p := range l {
			if pp.covers(p[0], p[1]) {
				return true
			}
		}
	}
	// Edges meeting the area's boundary, looked up in its slabs: the cost
	// follows the number of the component's edges, not their product with
	// the area's.
	for _, l := range lines {
		for i := 0; i+1 < len(l); i++ {
			if pp.segmentMeets(l[i], l[i+1], false) {
				return true
			}
		}
	}
	// No vertex inside and no crossing: the area is either disjoint from a
	// polygon g or wholly inside it.
	if gp != nil && len(mp) > 0 && len(mp[0]) > 0 && len(mp[0][0]) > 0 {
		q := mp[0][0][0]
		return multiPolygonCovers(gp, q[0], q[1])
	}
	return false
}

// segmentsIntersect reports whether closed segments p1p2 and q1q2 share a
// point, exactly.
func segmentsIntersect(p1, p2, q1, q2 orb.Point) bool {
	o1 := orient(p1[0], p1[1], p2[0], p2[1], q1[0], q1[1])
	o2 := orient(p1[0], p1[1], p2[0], p2[1], q2[0], q2[1])
	o3 := orient(q1[0], q1[1], q2[0], q2[1], p1[0], p1[1])
	o4 := orient(q1[0], q1[1], q2[0], q2[1], p2[0], p2[1])
	if o1*o2 < 0 && o3*o4 < 0 {
		return true // proper crossing
	}
	onSeg := func(a, b, c orb.Point) bool { // c collinear with ab: within its box?
		return math.Min(a[0], b[0]) <= c[0] && c[0] <= math.Max(a[0], b[0]) &&
			math.Min(a[1], b[1]) <= c[1] && c[1] <= math.Max(a[1], b[1])
	}
	return o1 == 0 && onSeg(p1, p2, q1) || o2 == 0 && onSeg(p1, p2, q2) ||
		o3 == 0 && onSeg(q1, q2, p1) || o4 == 0 && onSeg(q1, q2, p2)
}

// smallestSorted returns the n smallest elements of s in order, reordering
// s. A query area often holds tens of thousands of components of which the
// answer lists a hundred: a bounded heap of n compares each element about
// log n times instead of sorting all of them.
func smallestSorted[T any](s []T, n int, cmp func(a, b T) int) []T {
	if n <= 0 {
		return s[:0]
	}
	if n >= len(s)/4 {
		slices.SortFunc(s, cmp)
		return s[:min(n, len(s))]
	}
	h := s[:n] // a max-heap of the n smallest so far
	down := func(i int) {
		for {
			l, big := 2*i+1, i
			if l < n && cmp(h[l], h[big]) > 0 {
				big = l
			}
			if r := l + 1; r < n && cmp(h[r], h[big]) > 0 {
				big = r
			}
			if big == i {
				return
			}
			h[i], h[big] = h[big], h[i]
			i = big
		}
	}
	for i := n/2 - 1; i >= 0; i-- {
		down(i)
	}
	for k := n; k < len(s); k++ {
		if cmp(s[k], h[0]) < 0 {
			h[0], s[k] = s[k], h[0]
			down(0)
		}
	}
	slices.SortFunc(h, cmp)
	return h
}
