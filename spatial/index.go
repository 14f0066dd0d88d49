// Package spatial holds citygrid's in-memory indexes over a city and the
// lookups the dispatch engine relies on: locate (which unit grid,
// community, street, district and management grids cover a point),
// responsible (which unit must handle a case there), nearest (k nearest
// components within a radius) and within (components in a box or polygon),
// one at a time or in batches.
//
// The index is a plain in-memory structure rebuilt from the store at
// start-up: R-trees (github.com/tidwall/rtree) find candidates, and every
// polygon is prepared once into horizontal edge slabs so that an exact
// point-in-polygon test touches only a few edges. Polygons are read as
// PostGIS reads them, invalid ones included (see prepared); components of
// many vertices carry an index of their edges (see shape.go). Coordinates
// are CGCS2000/WGS84 lon/lat; package spatial/crs converts from and to the
// commercial basemaps' GCJ-02 and BD-09.
//
// An Index is safe for concurrent use by many readers. It does not copy the
// dataset: search callbacks receive pointers into the dataset's slices, and
// the caller must not modify the dataset while the index is in use.
package spatial

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"citygrid/data"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Options tune an index. The zero value is usable.
type Options struct {
	// FallbackUnit is the department code of the unit of last resort (兜底)
	// that Responsible names when no component, rule or competent
	// department decides. Empty: the lowest-coded department of kind
	// "centre" (the city-management centre), if any.
	FallbackUnit string
	// ComponentToleranceM is how far from the point, in metres, Responsible
	// looks for a surveyed component of the case's category when no
	// component code is given. Zero means DefaultComponentToleranceM.
	ComponentToleranceM float64
}

// DefaultComponentToleranceM is the default search radius for the component
// a case is about: a little more than the ±10 m a field report's position is
// typically off by.
const DefaultComponentToleranceM = 15

// Index is the in-memory spatial index over a whole city.
type Index struct {
	ds  *data.Dataset
	opt Options
	// live separates lookups from in-place edits (see live.go).
	live liveLock

	admin [3]polyLayer // by adminLevelIndex
	grids polyLayer
	mgmt  map[string]*polyLayer
	kinds []string     // management-grid kinds, sorted
	mgmtK []*polyLayer // mgmt[kinds[i]]
	// raster holds the interior marks of the administrative and management
	// layers, interleaved per cell (see fineRaster).
	raster *fineRaster

	// Hints for the hot path: the layer item a unit grid (or a community,
	// or a street) most likely lies in. Locate confirms a hint with one
	// exact test and searches only when the point is not strictly inside.
	gridComm     []int32   // grid item → community item
	commStreet   []int32   // community item → street item
	streetDist   []int32   // street item → district item
	gridMgmtHint [][]int32 // kind index → grid item → management grid item

	comps    map[string]*compTree // by category code
	allComps compTree             // every component, for unfiltered queries
	// compPt holds each point component's position (NaN for other
	// geometries), a compact copy the nearest-neighbour walk reads instead
	// of the large Component records.
	compPt []orb.Point
	// compShape holds the edge index of each component with many vertices
	// (nil for the others), see shape.go.
	compShape  []*shapeIndex
	compCats   []string // keys of comps, sorted
	compByCode map[string]uint32

	roads rtree.RTreeGN[float64, uint32]
	addrs rtree.RTreeGN[float64, uint32]
	pois  rtree.RTreeGN[float64, uint32]

	// catByKey finds a category by kind and code: component and event
	// codes overlap (component 0101 上水井盖, event 0101 暴露垃圾).
	catByKey   map[catKey]uint32
	deptByCode map[string]uint32
	rulesByCat map[string][]uint32 // category code ("" = every category) → rule indexes
	fallback   string
	tolerance  float64
	// toleranceText is tolerance formatted for reasons.
	toleranceText string
	mgmtPerKind   int // len(kinds), for sizing answers
	// overlaps lists the pairs of polygons found overlapping in the
	// administrative and management layers at build time.
	overlaps []Overlap
	// outline is the unit grids' outline for the nearest-grid search of
	// points outside the city, built on first use and again after grid
	// edits (see outline.go).
	outline atomic.Pointer[outline]
}

// compTree is the R-tree of one category's components. Bounds are stored as
// float32 rounded outwards (16 bytes a rectangle instead of 32); candidates
// are re-checked against the exact float64 geometry.
type compTree = rtree.RTreeGN[float32, uint32]

// polyLayer is one polygon layer (a level of administrative units, the unit
// grids or one kind of management grid): an R-tree of bounds over prepared
// polygons. Items are numbered in insertion order; ds maps them back to the
// dataset slice (-1 once deleted).
type polyLayer struct {
	tree   rtree.RTreeGN[float64, uint32]
	prep   []prepared
	code   []string
	ds     []int32
	byCode map[string]uint32
	// cells accelerates point queries once the layer is complete; nil
	// while building, when covering falls back to the R-tree.
	cells *buckets
	// marks, for the unit grids, answers most point queries outright.
	marks *markRaster
	// shared[i] reports that item i may share interior with another item
	// (see overlap.go); nil when the layer was not checked.
	shared []bool
}

// finish builds the layer's point-query cells: about two cells per
// polygon over the layer's own extent for the unit grids, which are small
// and many (r == nil); or the shared fine raster r for the larger
// administrative and management polygons, with interior cells marked into
// r's interleaved array at offset off, so that most points need no edge
// test at all.
func (l *polyLayer) finish(r *fineRaster, off int) {
	if len(l.prep) == 0 {
		return
	}
	var bk buckets
	if r == nil {
		min, max := l.tree.Bounds()
		bk = newBuckets(orb.Bound{Min: min, Max: max}, 2*l.tree.Len())
	} else {
		bk = newBuckets(r.bound, fineCells)
	}
	for i := range l.prep {
		if l.ds[i] >= 0 && len(l.prep[i].edges) > 0 {
			bk.insert(l.prep[i].bound, uint32(i))
		}
	}
	if r != nil {
		bk.markInside(l.prep, r.inside, r.stride, off)
	}
	l.cells = &bk
}

// gridMarkCells sizes the unit grids' mark raster: about 80 cells per grid
// (cells of about 11 m for 10,000 m² grids, half of which lie inside a
// grid), at most 2^21 cells (8 MiB).
func gridMarkCells(grids int) int { return min(80*grids, 1<<21) }

// fineRaster is the raster shared by the administrative and management
// layers: one geometry (bound and cell size) and one array of interior
// marks interleaved by layer.
type fineRaster struct {
	bound  orb.Bound
	stride int
	inside []int32
	geom   buckets // cell geometry only (no candidates)
}

// fineCells is the raster size of the administrative and management layers:
// 256 × 256 cells, about 50 m square over a district of 130 km².
const fineCells = 1 << 16

func (l *polyLayer) add(code string, dsIndex int, mp orb.MultiPolygon) error {
	if l.byCode == nil {
		l.byCode = map[string]uint32{}
	}
	if _, dup := l.byCode[code]; dup {
		return fmt.Errorf("code %q appears twice: %w", code, data.ErrConflict)
	}
	pp := prepare(mp)
	i := uint32(len(l.prep))
	l.prep = append(l.prep, pp)
	l.code = append(l.code, code)
	l.ds = append(l.ds, int32(dsIndex))
	l.byCode[code] = i
	if len(pp.edges) > 0 {
		l.tree.Insert(pp.bound.Min, pp.bound.Max, i)
		if l.cells != nil {
			l.cells.insert(pp.bound, i)
		}
		if l.marks != nil {
			l.marks.unmark(pp.bound)
		}
	}
	return nil
}

// remove takes a polygon out of the layer by code, for in-place edits.
func (l *polyLayer) remove(code string) bool {
	i, ok := l.byCode[code]
	if !ok {
		return false
	}
	pp := &l.prep[i]
	if len(pp.edges) > 0 {
		l.tree.Delete(pp.bound.Min, pp.bound.Max, i)
		if l.cells != nil {
			l.cells.remove(pp.bound, i)
		}
		if l.marks != nil {
			l.marks.unmark(pp.bound)
		}
	}
	delete(l.byCode, code)
	l.ds[i] = -1
	*pp = prepare(nil) // covers nothing
	return true
}

// covering returns the layer item that covers (x, y) with the lowest code,
// or -1. This is the tie-break for points on shared edges and vertices.
func (l *polyLayer) covering(x, y float64) int {
	best := -1
	if l.marks != nil {
		if i := l.marks.at(x, y); i >= 0 {
			return i
		}
	}
	if l.cells != nil {
		if i := l.insideCell(x, y); i >= 0 {
			return i
		}
		cands := l.cells.at(x, y)
		for k := range cands {
			c := &cands[k]
			if !c.mayContain(x, y) {
				continue
			}
			if i := c.item; (best < 0 || l.code[i] < l.code[best]) && l.prep[i].covers(x, y) {
				best = int(i)
			}
		}
		return best
	}
	pt := [2]float64{x, y}
	l.tree.Search(pt, pt, func(_, _ [2]float64, i uint32) bool {
		if (best < 0 || l.code[i] < l.code[best]) && l.prep[i].covers(x, y) {
			best = int(i)
		}
		return true
	})
	return best
}

// insideCell returns the item covering every point of (x, y)'s raster cell,
// or -1 when the cell is not marked.
func (l *polyLayer) insideCell(x, y float64) int {
	if l.cells == nil || l.cells.inside == nil || !l.cells.covers(x, y) {
		return -1
	}
	cx, cy := l.cells.cellXY(x, y)
	return int(l.cells.inside[(cy*l.cells.nx+cx)*l.cells.stride+l.cells.off])
}

// search calls fn with the dataset index of every item whose bound
// intersects b.
func (l *polyLayer) search(b orb.Bound, fn func(int) bool) {
	l.tree.Search(b.Min, b.Max, func(_, _ [2]float64, i uint32) bool {
		return fn(int(l.ds[i]))
	})
}

func adminLevelIndex(level data.AdminLevel) int {
	switch level {
	case data.LevelDistrict:
		return 0
	case data.LevelStreet:
		return 1
	case data.LevelCommunity:
		return 2
	}
	return -1
}

// Build indexes a city with default options.
func Build(ds *data.Dataset) (*Index, error) { return BuildOptions(ds, Options{}) }

// BuildOptions indexes a city. It fails on duplicate codes within a layer
// (wrapping data.ErrConflict) and on a configured fallback unit that is not
// a department of the city.
func BuildOptions(ds *data.Dataset, opt Options) (*Index, error) {
	if ds == nil {
		ds = &data.Dataset{}
	}
	ix := &Index{
		ds:         ds,
		opt:        opt,
		mgmt:       map[string]*polyLayer{},
		comps:      map[string]*compTree{},
		catByKey:   make(map[catKey]uint32, len(ds.Categories)),
		deptByCode: make(map[string]uint32, len(ds.Departments)),
		rulesByCat: map[string][]uint32{},
		tolerance:  opt.ComponentToleranceM,
	}
	if ix.tolerance <= 0 {
		ix.tolerance = DefaultComponentToleranceM
	}
	ix.toleranceText = strconv.FormatFloat(ix.tolerance, 'g', -1, 64)
	for i, c := range ds.Categories {
		ix.catByKey[catKey{c.Kind, c.Code}] = uint32(i)
	}
	for i, d := range ds.Departments {
		ix.deptByCode[d.Code] = uint32(i)
	}
	for i, r := range ds.Rules {
		ix.rulesByCat[r.Category] = append(ix.rulesByCat[r.Category], uint32(i))
	}
	ix.fallback = opt.FallbackUnit
	if ix.fallback == "" {
		for _, d := range ds.Departments {
			if d.Kind == data.DeptCentre && (ix.fallback == "" || d.Code < ix.fallback) {
				ix.fallback = d.Code
			}
		}
	} else if _, ok := ix.deptByCode[ix.fallback]; !ok {
		return nil, &data.ValidationError{Field: "fallback_unit", Reason: fmt.Sprintf("department %q does not exist", ix.fallback)}
	}

	// Components are the bulk of the work; index them alongside the
	// polygon layers.
	var wg sync.WaitGroup
	var compErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		compErr = ix.buildComponents()
	}()
	err := ix.buildPolygons()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if compErr != nil {
		return nil, compErr
	}
	for i, r := range ds.Roads {
		b := r.Geometry.Bound()
		if len(r.Geometry) > 0 {
			ix.roads.Insert(b.Min, b.Max, uint32(i))
		}
	}
	for i, a := range ds.Addresses {
		ix.addrs.Insert(a.Point, a.Point, uint32(i))
	}
	for i, p := range ds.POIs {
		ix.pois.Insert(p.Point, p.Point, uint32(i))
	}
	return ix, nil
}

func (ix *Index) buildPolygons() error {
	ds := ix.ds
	for i := range ds.AdminUnits {
		u := &ds.AdminUnits[i]
		li := adminLevelIndex(u.Level)
		if li < 0 {
			return fmt.Errorf("administrative unit %s: unknown level %q", u.Code, u.Level)
		}
		if err := ix.admin[li].add(u.Code, i, u.Geometry); err != nil {
			return fmt.Errorf("%s %s: %w", u.Level, u.Code, err)
		}
	}
	for i := range ds.UnitGrids {
		g := &ds.UnitGrids[i]
		if err := ix.grids.add(g.Code, i, g.Geometry); err != nil {
			return fmt.Errorf("unit grid %s: %w", g.Code, err)
		}
	}
	for i := range ds.ManagementGrids {
		g := &ds.ManagementGrids[i]
		l := ix.mgmt[g.Kind]
		if l == nil {
			l = &polyLayer{}
			ix.mgmt[g.Kind] = l
			ix.kinds = append(ix.kinds, g.Kind)
		}
		if err := l.add(g.Code, i, g.Geometry); err != nil {
			return fmt.Errorf("%s management grid %s: %w", g.Kind, g.Code, err)
		}
	}
	slices.Sort(ix.kinds)
	ix.mgmtPerKind = len(ix.kinds)
	ix.grids.finish(nil, 0)
	if n := ix.grids.tree.Len(); n > 0 {
		min, max := ix.grids.tree.Bounds()
		ix.grids.marks = newMarkRaster(orb.Bound{Min: min, Max: max}, gridMarkCells(n), ix.grids.prep, ix.grids.cells.at)
	}
	// One raster over every administrative and management polygon; its
	// marks are interleaved district, street, community, then the
	// management kinds in kind order (Locate reads them in that order).
	var ext orb.Bound
	first := true
	for _, l := range ix.fineLayers() {
		if l.tree.Len() == 0 {
			continue
		}
		min, max := l.tree.Bounds()
		if b := (orb.Bound{Min: min, Max: max}); first {
			ext, first = b, false
		} else {
			ext = ext.Union(b)
		}
	}
	layers := ix.fineLayers()
	r := &fineRaster{bound: ext, stride: len(layers)}
	r.geom = newBuckets(ext, fineCells)
	r.inside = make([]int32, len(r.geom.cells)*r.stride)
	for k := range r.inside {
		r.inside[k] = -1
	}
	r.geom.cells = nil
	for off, l := range layers {
		l.finish(r, off)
	}
	ix.raster = r
	ix.findOverlaps()
	ix.buildHints()
	return nil
}

// fineLayers lists the layers on the shared fine raster, in their
// interleaving order.
func (ix *Index) fineLayers() []*polyLayer {
	ls := []*polyLayer{&ix.admin[0], &ix.admin[1], &ix.admin[2]}
	for _, k := range ix.kinds {
		ls = append(ls, ix.mgmt[k])
	}
	return ls
}

// buildHints links each unit grid to its community (by code) and to the
// management grid of each kind covering its interior, each community to its
// street and each street to its district (by parent code). A wrong or
// missing hint costs only speed: Locate verifies every hint.
func (ix *Index) buildHints() {
	link := func(from *polyLayer, parentOf func(ds int) string, to *polyLayer) []int32 {
		out := make([]int32, len(from.prep))
		for i := range out {
			out[i] = -1
			if from.ds[i] < 0 {
				continue
			}
			if j, ok := to.byCode[parentOf(int(from.ds[i]))]; ok {
				out[i] = int32(j)
			}
		}
		return out
	}
	adminParent := func(i int) string { return ix.ds.AdminUnits[i].Parent }
	ix.gridComm = link(&ix.grids, func(i int) string { return ix.ds.UnitGrids[i].Community }, &ix.admin[2])
	ix.commStreet = link(&ix.admin[2], adminParent, &ix.admin[1])
	ix.streetDist = link(&ix.admin[1], adminParent, &ix.admin[0])
	ix.mgmtK = make([]*polyLayer, len(ix.kinds))
	ix.gridMgmtHint = make([][]int32, len(ix.kinds))
	for k, kind := range ix.kinds {
		ix.mgmtK[k] = ix.mgmt[kind]
		hints := make([]int32, len(ix.grids.prep))
		for i := range hints {
			hints[i] = -1
			if p, ok := ix.grids.prep[i].interiorPoint(); ok {
				hints[i] = int32(ix.mgmtK[k].covering(p[0], p[1]))
			}
		}
		ix.gridMgmtHint[k] = hints
	}
}

// buildComponents fills the tree of all components and one tree per
// category, the trees spread over the available cores. Components are
// inserted in Hilbert-curve order of their bound's centre: spatially sorted
// insertion builds tighter leaves (faster queries) in less time.
func (ix *Index) buildComponents() error {
	cs := ix.ds.Components
	// The code map (and the duplicate check) needs nothing else: build it
	// beside everything below.
	var dupErr error
	mapDone := make(chan struct{})
	go func() {
		defer close(mapDone)
		ix.compByCode = make(map[string]uint32, len(cs))
		for i := range cs {
			c := &cs[i]
			if _, dup := ix.compByCode[c.Code]; dup && dupErr == nil {
				dupErr = fmt.Errorf("component %s appears twice: %w", c.Code, data.ErrConflict)
			}
			ix.compByCode[c.Code] = uint32(i)
		}
	}()

	type rect32 struct{ lo, hi [2]float32 }
	rects := make([]rect32, len(cs))
	ix.compPt = make([]orb.Point, len(cs))
	ix.compShape = make([]*shapeIndex, len(cs))
	catOf := make([]uint16, len(cs)) // index into cats
	catIdx := map[string]uint16{}
	var cats []string
	var ext orb.Bound
	for i := range cs {
		b := geometryBound(cs[i].Geometry)
		if i == 0 {
			ext = b
		} else {
			ext = ext.Union(b)
		}
		rects[i].lo, rects[i].hi = boundRect(b)
		ix.compPt[i] = pointOf(cs[i].Geometry)
		ix.compShape[i] = newShapeIndex(cs[i].Geometry)
		cat := cs[i].Category
		k, ok := catIdx[cat]
		if !ok {
			k = uint16(len(cats))
			catIdx[cat] = k
			cats = append(cats, cat)
		}
		catOf[i] = k
	}
	keys := make([]uint64, len(cs)) // Hilbert key << 32 | index
	for i := range cs {
		r := &rects[i]
		c := orb.Point{(float64(r.lo[0]) + float64(r.hi[0])) / 2, (float64(r.lo[1]) + float64(r.hi[1])) / 2}
		keys[i] = uint64(hilbertKey(ext, c))<<32 | uint64(i)
	}
	radixSort64(keys)
	// Group by category, keeping the Hilbert order within each group
	// (a counting sort).
	start := make([]int, len(cats)+1)
	for _, k := range catOf {
		start[k+1]++
	}
	for k := 1; k <= len(cats); k++ {
		start[k] += start[k-1]
	}
	grouped := make([]uint32, len(cs))
	fill := slices.Clone(start[:len(cats)])
	for _, key := range keys {
		i := uint32(key)
		k := catOf[i]
		grouped[fill[k]] = i
		fill[k]++
	}
	ix.compCats = slices.Clone(cats)
	slices.Sort(ix.compCats)
	for _, cat := range cats {
		ix.comps[cat] = &compTree{}
	}
	// The tree of all components is the biggest job: start it first.
	work := make(chan func(), len(cats)+1)
	work <- func() {
		for _, key := range keys {
			i := uint32(key)
			r := &rects[i]
			ix.allComps.Insert(r.lo, r.hi, i)
		}
	}
	for k, cat := range cats {
		tr, items := ix.comps[cat], grouped[start[k]:start[k+1]]
		work <- func() {
			for _, i := range items {
				r := &rects[i]
				tr.Insert(r.lo, r.hi, i)
			}
		}
	}
	close(work)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range work {
				job()
			}
		}()
	}
	wg.Wait()
	<-mapDone
	return dupErr
}

// radixSort64 sorts keys ascending, 16 bits a pass (four passes).
func radixSort64(keys []uint64) {
	buf := make([]uint64, len(keys))
	src, dst := keys, buf
	var count [1 << 16]int
	for shift := uint(0); shift < 64; shift += 16 {
		clear(count[:])
		for _, k := range src {
			count[(k>>shift)&0xffff]++
		}
		sum := 0
		for d := range count {
			c := count[d]
			count[d] = sum
			sum += c
		}
		for _, k := range src {
			d := (k >> shift) & 0xffff
			dst[count[d]] = k
			count[d]++
		}
		src, dst = dst, src
	}
	// four passes: the sorted data is back in keys
}

// pointOf is the position of a point geometry, or NaN for any other.
func pointOf(g orb.Geometry) orb.Point {
	if p, ok := g.(orb.Point); ok {
		return p
	}
	return orb.Point{math.NaN(), math.NaN()}
}

func geometryBound(g orb.Geometry) orb.Bound {
	if p, ok := g.(orb.Point); ok {
		return orb.Bound{Min: p, Max: p}
	}
	if g == nil {
		return orb.Bound{}
	}
	return g.Bound()
}

// hilbertKey is the position of p along a Hilbert curve of order 16 over
// the extent ext.
func hilbertKey(ext orb.Bound, p orb.Point) uint32 {
	const n = 1 << 16
	scale := func(v, lo, hi float64) uint32 {
		if hi <= lo {
			return 0
		}
		f := (v - lo) / (hi - lo) * (n - 1)
		if !(f > 0) {
			return 0
		}
		if f > n-1 {
			return n - 1
		}
		return uint32(f)
	}
	x, y := scale(p[0], ext.Min[0], ext.Max[0]), scale(p[1], ext.Min[1], ext.Max[1])
	var d uint32
	for s := uint32(n / 2); s > 0; s /= 2 {
		var rx, ry uint32
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += s * s * ((3 * rx) ^ ry)
		// rotate the quadrant
		if ry == 0 {
			if rx == 1 {
				x, y = n-1-x, n-1-y
			}
			x, y = y, x
		}
	}
	return d
}

// componentRect is the float32 rectangle of a geometry, rounded outwards so
// that it contains the float64 bound.
func componentRect(g orb.Geometry) (lo, hi [2]float32) {
	return boundRect(geometryBound(g))
}

// boundRect is b as a float32 rectangle rounded outwards.
func boundRect(b orb.Bound) (lo, hi [2]float32) {
	return [2]float32{down32(b.Min[0]), down32(b.Min[1])}, [2]float32{up32(b.Max[0]), up32(b.Max[1])}
}

func down32(v float64) float32 {
	f := float32(v)
	if float64(f) > v {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

func up32(v float64) float32 {
	f := float32(v)
	if float64(f) < v {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

// Dataset returns the dataset the index was built over.
func (ix *Index) Dataset() *data.Dataset { return ix.ds }

// AdminUnits calls fn for each administrative unit of the level whose bound
// intersects b, until fn returns false.
func (ix *Index) AdminUnits(level data.AdminLevel, b orb.Bound, fn func(*data.AdminUnit) bool) {
	li := adminLevelIndex(level)
	if li < 0 {
		return
	}
	ix.admin[li].search(b, func(i int) bool { return fn(&ix.ds.AdminUnits[i]) })
}

// UnitGrids calls fn for each unit grid whose bound intersects b, until fn
// returns false.
func (ix *Index) UnitGrids(b orb.Bound, fn func(*data.UnitGrid) bool) {
	ix.live.rlock()
	defer ix.live.runlock()
	ix.grids.search(b, func(i int) bool { return fn(&ix.ds.UnitGrids[i]) })
}

// ManagementGrids calls fn for each management grid of the kind ("" = all
// kinds) whose bound intersects b, until fn returns false.
func (ix *Index) ManagementGrids(kind string, b orb.Bound, fn func(*data.ManagementGrid) bool) {
	for _, k := range ix.kinds {
		if kind != "" && k != kind {
			continue
		}
		more := true
		ix.mgmt[k].search(b, func(i int) bool {
			more = fn(&ix.ds.ManagementGrids[i])
			return more
		})
		if !more {
			return
		}
	}
}

// ManagementGridKinds lists the management-grid kinds of the city, sorted.
func (ix *Index) ManagementGridKinds() []string { return slices.Clone(ix.kinds) }

// Components calls fn for each component whose geometry's bound intersects
// b, until fn returns false.
func (ix *Index) Components(b orb.Bound, fn func(*data.Component) bool) {
	ix.live.rlock()
	defer ix.live.runlock()
	ix.componentsIn(&ix.allComps, b, fn)
}

// componentsOf is Components for one category; it returns false when fn
// stopped the search.
func (ix *Index) componentsOf(cat string, b orb.Bound, fn func(*data.Component) bool) bool {
	tr := ix.comps[cat]
	if tr == nil {
		return true
	}
	return ix.componentsIn(tr, b, fn)
}

func (ix *Index) componentsIn(tr *compTree, b orb.Bound, fn func(*data.Component) bool) bool {
	more := true
	lo := [2]float32{down32(b.Min[0]), down32(b.Min[1])}
	hi := [2]float32{up32(b.Max[0]), up32(b.Max[1])}
	tr.Search(lo, hi, func(_, _ [2]float32, i uint32) bool {
		c := &ix.ds.Components[i]
		if sh := ix.compShape[i]; sh != nil {
			// The bound of a many-vertex geometry is kept, not recomputed.
			if !sh.bound.Intersects(b) {
				return true
			}
		} else if !geometryBoundIntersects(c.Geometry, b) {
			return true
		}
		more = fn(c)
		return more
	})
	return more
}

func geometryBoundIntersects(g orb.Geometry, b orb.Bound) bool {
	if p, ok := g.(orb.Point); ok {
		return p[0] >= b.Min[0] && p[0] <= b.Max[0] && p[1] >= b.Min[1] && p[1] <= b.Max[1]
	}
	if g == nil {
		return false
	}
	return g.Bound().Intersects(b)
}

// Roads calls fn for each road whose bound intersects b, until fn returns
// false.
func (ix *Index) Roads(b orb.Bound, fn func(*data.Road) bool) {
	ix.roads.Search(b.Min, b.Max, func(_, _ [2]float64, i uint32) bool { return fn(&ix.ds.Roads[i]) })
}

// Addresses calls fn for each door-plate address inside b, until fn returns
// false.
func (ix *Index) Addresses(b orb.Bound, fn func(*data.Address) bool) {
	ix.addrs.Search(b.Min, b.Max, func(_, _ [2]float64, i uint32) bool { return fn(&ix.ds.Addresses[i]) })
}

// POIs calls fn for each point of interest or landmark inside b, until fn
// returns false.
func (ix *Index) POIs(b orb.Bound, fn func(*data.POI) bool) {
	ix.pois.Search(b.Min, b.Max, func(_, _ [2]float64, i uint32) bool { return fn(&ix.ds.POIs[i]) })
}

// UnitGrid returns the unit grid with the code.
func (ix *Index) UnitGrid(code string) (*data.UnitGrid, bool) {
	ix.live.rlock()
	defer ix.live.runlock()
	i, ok := ix.grids.byCode[code]
	if !ok || ix.grids.ds[i] < 0 {
		return nil, false
	}
	return &ix.ds.UnitGrids[ix.grids.ds[i]], true
}

// AdminUnit returns the administrative unit of the level with the code.
func (ix *Index) AdminUnit(level data.AdminLevel, code string) (*data.AdminUnit, bool) {
	li := adminLevelIndex(level)
	if li < 0 {
		return nil, false
	}
	l := &ix.admin[li]
	i, ok := l.byCode[code]
	if !ok || l.ds[i] < 0 {
		return nil, false
	}
	return &ix.ds.AdminUnits[l.ds[i]], true
}

// ManagementGrid returns the management grid of the kind with the code.
func (ix *Index) ManagementGrid(kind, code string) (*data.ManagementGrid, bool) {
	l := ix.mgmt[kind]
	if l == nil {
		return nil, false
	}
	i, ok := l.byCode[code]
	if !ok || l.ds[i] < 0 {
		return nil, false
	}
	return &ix.ds.ManagementGrids[l.ds[i]], true
}

// Component returns the component with the code.
func (ix *Index) Component(code string) (*data.Component, bool) {
	ix.live.rlock()
	defer ix.live.runlock()
	i, ok := ix.compByCode[code]
	if !ok {
		return nil, false
	}
	return &ix.ds.Components[i], true
}

// catKey identifies a category: its kind and its code.
type catKey struct {
	kind data.CategoryKind
	code string
}

// Category returns the category of the kind (data.KindComponent or
// data.KindEvent) with the code. Component and event codes overlap, so a
// code alone does not name a category; ResolveCategory accepts a missing
// kind when the code is unambiguous.
func (ix *Index) Category(kind data.CategoryKind, code string) (*data.Category, bool) {
	i, ok := ix.catByKey[catKey{kind, code}]
	if !ok {
		return nil, false
	}
	return &ix.ds.Categories[i], true
}

// ResolveCategory finds the category a request names by code and an
// optional kind. With kind "" the code must name exactly one category: a
// code that is both a component and an event category is ambiguous, and
// the *data.ValidationError (field "category") names both readings. A kind
// other than "", "component" or "event" is a *data.ValidationError on
// field "kind"; an unknown code one on field "category".
func (ix *Index) ResolveCategory(kind data.CategoryKind, code string) (*data.Category, error) {
	switch kind {
	case data.KindComponent, data.KindEvent:
		if c, ok := ix.Category(kind, code); ok {
			return c, nil
		}
		return nil, &data.ValidationError{Field: "category", Reason: "unknown " + string(kind) + " category " + strconv.Quote(code)}
	case "":
	default:
		return nil, &data.ValidationError{Field: "kind", Reason: "unknown category kind " + strconv.Quote(string(kind)) + " (component or event)"}
	}
	comp, okc := ix.Category(data.KindComponent, code)
	ev, oke := ix.Category(data.KindEvent, code)
	switch {
	case okc && oke:
		return nil, &data.ValidationError{Field: "category", Reason: "category " + code + " is ambiguous: component " + code + " " + comp.Name +
			" or event " + code + " " + ev.Name + "; give kind=component or kind=event"}
	case okc:
		return comp, nil
	case oke:
		return ev, nil
	}
	return nil, &data.ValidationError{Field: "category", Reason: "unknown category " + strconv.Quote(code)}
}

// Department returns the department with the code.
func (ix *Index) Department(code string) (*data.Department, bool) {
	i, ok := ix.deptByCode[code]
	if !ok {
		return nil, false
	}
	return &ix.ds.Departments[i], true
}

// removeComponent takes a component out of the index by code (the dataset
// slice keeps its entry). It is the primitive in-place edits build on.
func (ix *Index) removeComponent(code string) bool {
	i, ok := ix.compByCode[code]
	if !ok {
		return false
	}
	c := &ix.ds.Components[i]
	if tr := ix.comps[c.Category]; tr != nil {
		lo, hi := componentRect(c.Geometry)
		tr.Delete(lo, hi, i)
		ix.allComps.Delete(lo, hi, i)
	}
	delete(ix.compByCode, code)
	return true
}

// insertComponent indexes ds.Components[i], which the caller has just
// appended or replaced. It fails on a duplicate code.
func (ix *Index) insertComponent(i int) error {
	c := &ix.ds.Components[i]
	if _, dup := ix.compByCode[c.Code]; dup {
		return fmt.Errorf("component %s: %w", c.Code, data.ErrConflict)
	}
	tr := ix.comps[c.Category]
	if tr == nil {
		tr = &compTree{}
		ix.comps[c.Category] = tr
		ix.compCats = append(ix.compCats, c.Category)
		slices.Sort(ix.compCats)
	}
	lo, hi := componentRect(c.Geometry)
	for len(ix.compPt) <= i {
		ix.compPt = append(ix.compPt, orb.Point{})
	}
	ix.compPt[i] = pointOf(c.Geometry)
	for len(ix.compShape) <= i {
		ix.compShape = append(ix.compShape, nil)
	}
	ix.compShape[i] = newShapeIndex(c.Geometry)
	tr.Insert(lo, hi, uint32(i))
	ix.allComps.Insert(lo, hi, uint32(i))
	ix.compByCode[c.Code] = uint32(i)
	return nil
}
