package tiles

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"citygrid/data/cases"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// The case map: a second tileset, "cases", drawn from an in-memory list of
// case points rather than the spatial index, because it changes every few
// seconds and every request may filter it (status, category, source,
// unit, report time). Points are kept in Morton (Z-order) of their
// zoom-16 tile, so the cases of any tile up to zoom 16 are one contiguous
// run found by binary search; live changes go to a small unsorted delta
// that is merged when it grows. Below CaseClusterZoom cases are counted in
// 32×32 cells per tile (case_clusters); from it they are drawn one by one
// (cases). case_density counts cases per unit grid at the grid's centre,
// for a heatmap, from zoom 12 (below, a whole city's grids would be tens
// of thousands of points per tile; the clusters carry the heat there). Overdue (open past the deadline at the time of the
// request) is an attribute of every layer, so a style makes it stand out.

// Layer names and zooms of the case tileset.
const (
	CaseTileset          = "cases"
	LayerCases           = "cases"
	LayerCaseClusters    = "case_clusters"
	LayerCaseDensity     = "case_density"
	CaseMinZoom          = 8
	CaseMaxZoom          = 18
	CaseClusterZoom      = 15 // first zoom with single cases
	CaseDensityMinZoom   = 12 // below, a heatmap reads case_clusters
	CaseDensityMaxZoom   = 16
	caseCellsPerSide     = 32
	caseMortonZoom       = 16
	caseDeltaMergeLength = 2048
)

// casePoint is one case as the map needs it.
type casePoint struct {
	key      uint32 // Morton code of the zoom-16 tile
	grid     uint32 // dictionary ids
	unit     uint32
	category uint32 // of "kind/code"
	code     uint32 // of the bare code
	state    uint8
	source   uint8
	urgent   bool
	open     bool    // not closed, cancelled or refused, and not suspended
	id       int64   // case id; −1 for a removed delta entry
	mx, my   float64 // Web Mercator in [0,1)²
	reported int64   // unix seconds
	due      int64   // unix seconds, 0 = none
}

func (p *casePoint) overdue(now int64) bool {
	return p.due != 0 && p.due < now && p.open
}

// dims of the case dictionaries.
const (
	cdGrid = iota
	cdUnit
	cdCategory
	cdCode
	cdState
	cdSource
	numCaseDicts
)

// CaseFilter selects cases for a tile. Empty sets match everything.
type CaseFilter struct {
	States     []cases.State
	Categories []string // "kind/code" or a bare code (either kind)
	Sources    []cases.Source
	Units      []string
	// From and To bound the report time [From, To); zero is open.
	From, To time.Time
	// OverdueOnly keeps only overdue cases.
	OverdueOnly bool
	// Public draws what Open311 tells anyone of a case and no more: the
	// report source and the urgency, which Open311 does not publish, are
	// left out of the single cases.
	Public bool
}

// Key is the canonical text of the filter, for cache keys.
func (f *CaseFilter) Key() string {
	var b strings.Builder
	list := func(name string, vs []string) {
		s := slices.Clone(vs)
		slices.Sort(s)
		s = slices.Compact(s)
		b.WriteString(name)
		b.WriteString(strings.Join(s, ","))
		b.WriteByte(';')
	}
	st := make([]string, len(f.States))
	for i, s := range f.States {
		st[i] = string(s)
	}
	so := make([]string, len(f.Sources))
	for i, s := range f.Sources {
		so[i] = string(s)
	}
	list("s=", st)
	list("c=", f.Categories)
	list("o=", so)
	list("u=", f.Units)
	if !f.From.IsZero() {
		b.WriteString("f=" + strconv.FormatInt(f.From.Unix(), 10) + ";")
	}
	if !f.To.IsZero() {
		b.WriteString("t=" + strconv.FormatInt(f.To.Unix(), 10) + ";")
	}
	if f.OverdueOnly {
		b.WriteString("overdue;")
	}
	if f.Public {
		b.WriteString("public;")
	}
	return b.String()
}

// matcher is a compiled filter: one flag per dictionary id.
type matcher struct {
	states, sources, units, cats, codes []bool // nil: any
	from, to                            int64
	overdue                             bool
	public                              bool
	now                                 int64
}

// compile resolves f's names to dictionary ids; l.mu is read-held.
func (l *CaseLayer) compile(f *CaseFilter, now time.Time) *matcher {
	m := &matcher{now: now.Unix(), overdue: f.OverdueOnly, public: f.Public}
	set := func(d int, names []string) []bool {
		if len(names) == 0 {
			return nil
		}
		b := make([]bool, len(l.dicts[d].names))
		for _, n := range names {
			if id, ok := l.dicts[d].ids[n]; ok {
				b[id] = true
			}
		}
		return b
	}
	st := make([]string, len(f.States))
	for i, v := range f.States {
		st[i] = string(v)
	}
	so := make([]string, len(f.Sources))
	for i, v := range f.Sources {
		so[i] = string(v)
	}
	m.states, m.sources, m.units = set(cdState, st), set(cdSource, so), set(cdUnit, f.Units)
	if len(f.Categories) > 0 {
		// "kind/code" names one category, a bare code the code in
		// either kind.
		var full, bare []string
		for _, c := range f.Categories {
			if strings.Contains(c, "/") {
				full = append(full, c)
			} else {
				bare = append(bare, c)
			}
		}
		m.cats, m.codes = set(cdCategory, full), set(cdCode, bare)
		if m.cats == nil {
			m.cats = make([]bool, len(l.dicts[cdCategory].names))
		}
		if m.codes == nil {
			m.codes = make([]bool, len(l.dicts[cdCode].names))
		}
	}
	m.from, m.to = math.MinInt64, math.MaxInt64
	if !f.From.IsZero() {
		m.from = f.From.Unix()
	}
	if !f.To.IsZero() {
		m.to = f.To.Unix()
	}
	return m
}

func (m *matcher) match(p *casePoint) bool {
	if p.reported < m.from || p.reported >= m.to {
		return false
	}
	if m.states != nil && !m.states[p.state] {
		return false
	}
	if m.sources != nil && !m.sources[p.source] {
		return false
	}
	if m.units != nil && !m.units[p.unit] {
		return false
	}
	if m.cats != nil && !m.cats[p.category] && !m.codes[p.code] {
		return false
	}
	if m.overdue && !p.overdue(m.now) {
		return false
	}
	return true
}

// CaseLayerOptions configure a CaseLayer.
type CaseLayerOptions struct {
	// GridCentre is where a unit grid's density point is drawn (its label
	// point); nil or false draws it at the mean of the grid's cases in the
	// tile.
	GridCentre func(code string) (orb.Point, bool)
	// CacheEntries bounds the tile cache (default 4096 tiles).
	CacheEntries int
	// CacheTTL is how long a cached tile is used (default 30 s): overdue
	// flags depend on the clock.
	CacheTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// CaseLayer is the case map's source and tile maker. It is safe for
// concurrent use.
type CaseLayer struct {
	opt CaseLayerOptions

	mu    sync.RWMutex
	base  []casePoint     // sorted by key
	dead  []bool          // base entries superseded by the delta
	where map[int64]int32 // id → base index (≥ 0) or −1−delta index
	delta []casePoint
	gen   uint64 // bumped by every change
	dicts [numCaseDicts]caseDict

	cmu   sync.Mutex
	cache map[string]caseTile

	gzPool    sync.Pool
	statePool sync.Pool
}

// caseDict maps names to dense ids (id 0 is "").
type caseDict struct {
	ids   map[string]uint32
	names []string
}

func (d *caseDict) id(s string) uint32 {
	if d.ids == nil {
		d.ids = map[string]uint32{"": 0}
		d.names = []string{""}
	}
	if id, ok := d.ids[s]; ok {
		return id
	}
	id := uint32(len(d.names))
	d.ids[s] = id
	d.names = append(d.names, s)
	return id
}

type caseTile struct {
	data []byte
	gen  uint64
	at   time.Time
}

// NewCaseLayer makes an empty case layer.
func NewCaseLayer(opt CaseLayerOptions) *CaseLayer {
	if opt.CacheEntries <= 0 {
		opt.CacheEntries = 4096
	}
	if opt.CacheTTL <= 0 {
		opt.CacheTTL = 30 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &CaseLayer{opt: opt, where: map[int64]int32{}, cache: map[string]caseTile{}}
}

// morton interleaves the bits of x and y (16 bits each).
func morton(x, y uint32) uint32 {
	spread := func(v uint32) uint32 {
		v &= 0xffff
		v = (v | v<<8) & 0x00ff00ff
		v = (v | v<<4) & 0x0f0f0f0f
		v = (v | v<<2) & 0x33333333
		v = (v | v<<1) & 0x55555555
		return v
	}
	return spread(x) | spread(y)<<1
}

// toPoint makes the map's record of c; l.mu is held (it adds to the
// dictionaries).
func (l *CaseLayer) toPoint(c *cases.Case) (casePoint, bool) {
	if c.Point[0] == 0 && c.Point[1] == 0 {
		return casePoint{}, false
	}
	mx, my := mercator(c.Point)
	n := float64(uint32(1) << caseMortonZoom)
	tx := uint32(min(max(mx*n, 0), n-1))
	ty := uint32(min(max(my*n, 0), n-1))
	p := casePoint{key: morton(tx, ty), id: c.ID, mx: mx, my: my,
		grid: l.dicts[cdGrid].id(c.UnitGrid), unit: l.dicts[cdUnit].id(c.Unit),
		category: l.dicts[cdCategory].id(string(c.Kind) + "/" + c.Category), code: l.dicts[cdCode].id(c.Category),
		state: uint8(l.dicts[cdState].id(string(c.State))), source: uint8(l.dicts[cdSource].id(string(c.Source))),
		urgent: c.Urgency == cases.UrgencyUrgent, open: !c.State.Terminal() && c.State != cases.StateSuspended,
		reported: c.ReportedAt.Unix()}
	if c.DueAt != nil {
		p.due = c.DueAt.Unix()
	}
	return p, true
}

// Load replaces the layer's cases.
func (l *CaseLayer) Load(cs []cases.Case) {
	l.mu.Lock()
	defer l.mu.Unlock()
	pts := make([]casePoint, 0, len(cs))
	for i := range cs {
		if p, ok := l.toPoint(&cs[i]); ok {
			pts = append(pts, p)
		}
	}
	l.base, l.delta = pts, nil
	l.gen++
	l.rebuild()
	l.dropCache()
}

// rebuild sorts base with the delta merged in; l.mu is held.
func (l *CaseLayer) rebuild() {
	if len(l.delta) > 0 {
		live := l.base[:0]
		for i := range l.base {
			if !l.dead[i] {
				live = append(live, l.base[i])
			}
		}
		l.base = append(live, l.delta...)
		l.delta = nil
	}
	slices.SortFunc(l.base, func(a, b casePoint) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		if a.id < b.id {
			return -1
		}
		if a.id > b.id {
			return 1
		}
		return 0
	})
	// A case put twice before a merge keeps its last version only.
	l.base = slices.CompactFunc(l.base, func(a, b casePoint) bool { return a.id == b.id && a.key == b.key })
	l.dead = make([]bool, len(l.base))
	clear(l.where)
	for i := range l.base {
		l.where[l.base[i].id] = int32(i)
	}
}

// Put adds or replaces one case (the change listener calls it after every
// committed transition); the tiles showing it are redrawn on their next
// request.
func (l *CaseLayer) Put(c *cases.Case) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.toPoint(c)
	if w, found := l.where[c.ID]; found {
		if w >= 0 {
			l.dead[w] = true
		} else if ok {
			l.delta[-1-w] = p
			l.gen++
			l.dropCache()
			return
		} else {
			l.delta[-1-w].id = -1
		}
		delete(l.where, c.ID)
	}
	if ok {
		l.delta = append(l.delta, p)
		l.where[c.ID] = int32(-len(l.delta))
		if len(l.delta) >= caseDeltaMergeLength {
			l.delta = slices.DeleteFunc(l.delta, func(p casePoint) bool { return p.id == -1 })
			l.rebuild()
		}
	}
	l.gen++
	l.dropCache()
}

// Len is the number of cases on the map.
func (l *CaseLayer) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.where)
}

// Generation changes whenever a case changes.
func (l *CaseLayer) Generation() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.gen
}

func (l *CaseLayer) dropCache() {
	l.cmu.Lock()
	clear(l.cache)
	l.cmu.Unlock()
}

// eachBase calls fn for every live sorted case in the zoom-z tile (x, y),
// z ≤ caseMortonZoom, skipping addresses outside the zoom.
func (l *CaseLayer) eachBase(z, x, y int, fn func(p *casePoint)) {
	n := 1 << z
	if x < 0 || y < 0 || x >= n || y >= n {
		return
	}
	shift := uint(2 * (caseMortonZoom - z))
	lo := morton(uint32(x), uint32(y)) << shift
	hi := lo + (1 << shift) // wraps to 0 after the last tile
	i, _ := slices.BinarySearchFunc(l.base, lo, func(p casePoint, k uint32) int {
		if p.key < k {
			return -1
		}
		if p.key > k {
			return 1
		}
		return 0
	})
	base, dead := l.base, l.dead
	for ; i < len(base) && (hi == 0 || base[i].key < hi); i++ {
		if !dead[i] {
			fn(&base[i])
		}
	}
}

// ErrCaseTile is wrapped by errors about a case tile address.
var ErrCaseTile = fmt.Errorf("%w: case tile", ErrOutOfRange)

// Now is the layer's clock (Options.Now): the time overdue and report
// windows are judged at.
func (l *CaseLayer) Now() time.Time { return l.opt.Now() }

// Tile encodes the zoom-z tile (x, y) of the cases f selects, gzipped;
// nil when it has no features. Tiles are cached per address and filter
// until a case changes or CacheTTL passes.
func (l *CaseLayer) Tile(z, x, y int, f *CaseFilter) ([]byte, error) {
	if z < CaseMinZoom || z > CaseMaxZoom {
		return nil, fmt.Errorf("%w: zoom %d outside %d..%d", ErrCaseTile, z, CaseMinZoom, CaseMaxZoom)
	}
	if n := 1 << z; x < 0 || y < 0 || x >= n || y >= n {
		return nil, fmt.Errorf("%w: x=%d y=%d outside 0..%d at zoom %d", ErrCaseTile, x, y, n-1, z)
	}
	now := l.opt.Now()
	key := strconv.Itoa(z) + "/" + strconv.Itoa(x) + "/" + strconv.Itoa(y) + "?" + f.Key()
	l.mu.RLock()
	defer l.mu.RUnlock()
	gen := l.gen
	l.cmu.Lock()
	if t, ok := l.cache[key]; ok && t.gen == gen && now.Sub(t.at) < l.opt.CacheTTL {
		l.cmu.Unlock()
		return t.data, nil
	}
	l.cmu.Unlock()
	out, err := l.encode(z, x, y, l.compile(f, now))
	if err != nil {
		return nil, err
	}
	l.cmu.Lock()
	if len(l.cache) >= l.opt.CacheEntries {
		clear(l.cache)
	}
	l.cache[key] = caseTile{data: out, gen: gen, at: now}
	l.cmu.Unlock()
	return out, nil
}

type caseCell struct {
	n, overdue, urgent uint32
	sx, sy             float64
}

type gridAgg struct {
	n, overdue uint32
	sx, sy     float64
}

// caseState is the reusable working memory of one tile.
type caseState struct {
	pts, clus, dens layerBuilder
	cells           [caseCellsPerSide * caseCellsPerSide]caseCell
	usedCells       []int
	grids           []gridAgg
	touched         []uint32
	enc             *tileEncoder
}

// encode draws the tile and gzips it (nil when empty); l.mu is read-held.
func (l *CaseLayer) encode(z, x, y int, m *matcher) ([]byte, error) {
	st, _ := l.statePool.Get().(*caseState)
	if st == nil {
		st = &caseState{enc: newTileEncoder()}
	}
	defer l.statePool.Put(st)
	st.pts.reset(LayerCases)
	st.clus.reset(LayerCaseClusters)
	st.dens.reset(LayerCaseDensity)
	st.enc.out = st.enc.out[:0]
	if ng := len(l.dicts[cdGrid].names); len(st.grids) < ng {
		st.grids = make([]gridAgg, ng+ng/4)
	}
	f := newTileFrame(z, uint32(x), uint32(y))
	density := z >= CaseDensityMinZoom && z <= CaseDensityMaxZoom
	clustered := z < CaseClusterZoom
	names := &l.dicts
	addGrid := func(p *casePoint, tx, ty float64, od bool) {
		if p.grid == 0 {
			return
		}
		g := &st.grids[p.grid]
		if g.n == 0 {
			st.touched = append(st.touched, p.grid)
		}
		g.n++
		if od {
			g.overdue++
		}
		g.sx += tx
		g.sy += ty
	}
	const cs = Extent / caseCellsPerSide
	inTile := func(p *casePoint) {
		if !m.match(p) {
			return
		}
		tx, ty := p.mx*f.scale-f.minX, p.my*f.scale-f.minY
		if tx < 0 || ty < 0 || tx >= Extent || ty >= Extent {
			return // z > 16: the parent's other children
		}
		od := p.overdue(m.now)
		if density {
			addGrid(p, tx, ty, od)
		}
		if clustered {
			k := int(ty/cs)*caseCellsPerSide + int(tx/cs)
			c := &st.cells[k]
			if c.n == 0 {
				st.usedCells = append(st.usedCells, k)
			}
			c.n++
			c.sx += tx
			c.sy += ty
			if od {
				c.overdue++
			}
			if p.urgent {
				c.urgent++
			}
			return
		}
		if m.public {
			st.pts.add(uint64(p.id), orb.Point{math.Floor(tx), math.Floor(ty)},
				sv("state", names[cdState].names[p.state]), sv("category", names[cdCode].names[p.code]),
				sv("kind", kindOf(names[cdCategory].names[p.category])), sv("unit", names[cdUnit].names[p.unit]),
				bv("overdue", od))
			return
		}
		st.pts.add(uint64(p.id), orb.Point{math.Floor(tx), math.Floor(ty)},
			sv("state", names[cdState].names[p.state]), sv("category", names[cdCode].names[p.code]),
			sv("kind", kindOf(names[cdCategory].names[p.category])),
			sv("source", names[cdSource].names[p.source]), sv("unit", names[cdUnit].names[p.unit]),
			bv("overdue", od), bv("urgent", p.urgent))
	}
	ring := func(p *casePoint) {
		if m.match(p) {
			addGrid(p, p.mx*f.scale-f.minX, p.my*f.scale-f.minY, p.overdue(m.now))
		}
	}
	// The tile itself.
	if z > caseMortonZoom {
		s := z - caseMortonZoom
		l.eachBase(caseMortonZoom, x>>s, y>>s, inTile)
	} else {
		l.eachBase(z, x, y, inTile)
	}
	// Unit grids straddle tile edges: the density of a grid drawn here
	// (its centre is in the tile) also counts its cases in a one-zoom-16-
	// tile ring around the tile (unit grids are far smaller than that).
	var r0x, r0y, r1x, r1y int
	if density {
		s := caseMortonZoom - z
		r0x, r0y = x<<s-1, y<<s-1
		r1x, r1y = (x+1)<<s, (y+1)<<s
		for tx := r0x; tx <= r1x; tx++ {
			l.eachBase(caseMortonZoom, tx, r0y, ring)
			l.eachBase(caseMortonZoom, tx, r1y, ring)
		}
		for ty := r0y + 1; ty < r1y; ty++ {
			l.eachBase(caseMortonZoom, r0x, ty, ring)
			l.eachBase(caseMortonZoom, r1x, ty, ring)
		}
	}
	// The delta is small: place each of its points.
	n16 := float64(int(1) << caseMortonZoom)
	nz := float64(int(1) << z)
	for i := range l.delta {
		p := &l.delta[i]
		if p.id == -1 {
			continue
		}
		if int(p.mx*nz) == x && int(p.my*nz) == y {
			inTile(p)
		} else if density {
			tx, ty := int(p.mx*n16), int(p.my*n16)
			if tx >= r0x && tx <= r1x && ty >= r0y && ty <= r1y {
				ring(p)
			}
		}
	}
	for _, k := range st.usedCells {
		c := &st.cells[k]
		pt := orb.Point{math.Floor(c.sx / float64(c.n)), math.Floor(c.sy / float64(c.n))}
		st.clus.add(uint64(k)+1, pt, uv("count", uint64(c.n)), uv("overdue", uint64(c.overdue)),
			uv("urgent", uint64(c.urgent)), bv("has_overdue", c.overdue > 0))
		*c = caseCell{}
	}
	st.usedCells = st.usedCells[:0]
	for _, id := range st.touched {
		g := &st.grids[id]
		code := names[cdGrid].names[id]
		pt := orb.Point{g.sx / float64(g.n), g.sy / float64(g.n)}
		if l.opt.GridCentre != nil {
			if c, ok := l.opt.GridCentre(code); ok {
				pt = f.project(c)
			}
		}
		if pt[0] >= 0 && pt[1] >= 0 && pt[0] < Extent && pt[1] < Extent {
			st.dens.add(featureID(LayerCaseDensity, code), orb.Point{math.Floor(pt[0]), math.Floor(pt[1])},
				sv("grid", code), uv("count", uint64(g.n)), uv("overdue", uint64(g.overdue)))
		}
		*g = gridAgg{}
	}
	st.touched = st.touched[:0]
	if len(st.pts.feats)+len(st.clus.feats)+len(st.dens.feats) == 0 {
		return nil, nil
	}
	for _, lb := range []*layerBuilder{&st.dens, &st.clus, &st.pts} {
		if len(lb.feats) > 0 {
			st.enc.encodeLayer(lb)
		}
	}
	return l.gzip(st.enc.out)
}

// kindOf is the kind part of "kind/code".
func kindOf(cat string) string {
	k, _, _ := strings.Cut(cat, "/")
	return k
}

func (l *CaseLayer) gzip(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := l.gzPool.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	} else {
		zw.Reset(&buf)
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("gzip case tile: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip case tile: %w", err)
	}
	l.gzPool.Put(zw)
	return buf.Bytes(), nil
}

// Bounds is the extent of the cases (the zero bound when there are none).
func (l *CaseLayer) Bounds() orb.Bound {
	l.mu.RLock()
	defer l.mu.RUnlock()
	first := true
	var b orb.Bound
	add := func(p *casePoint) {
		// Back from Mercator to lon/lat.
		lon := (p.mx - 0.5) * 360
		lat := math.Atan(math.Sinh(math.Pi*(1-2*p.my))) * 180 / math.Pi
		q := orb.Point{lon, lat}
		if first {
			b, first = orb.Bound{Min: q, Max: q}, false
		} else {
			b = b.Extend(q)
		}
	}
	for i := range l.base {
		if !l.dead[i] {
			add(&l.base[i])
		}
	}
	for i := range l.delta {
		if l.delta[i].id != -1 {
			add(&l.delta[i])
		}
	}
	return b
}

// CaseTileJSON describes the case tileset; tileURL is the tile URL
// template (with the filter's query string when the client filters).
func CaseTileJSON(tileURL string, b orb.Bound) TileJSON {
	if b.IsZero() {
		b = orb.Bound{Min: orb.Point{-180, -85}, Max: orb.Point{180, 85}}
	}
	c := b.Center()
	return TileJSON{
		TileJSON: "3.0.0", Name: CaseTileset, Version: "1.0.0", Scheme: "xyz",
		Description: "citygrid cases: clusters below zoom " + strconv.Itoa(CaseClusterZoom) + ", single cases from it, density per unit grid",
		Tiles:       []string{tileURL}, MinZoom: CaseMinZoom, MaxZoom: CaseMaxZoom,
		Bounds: [4]float64{round6(b.Min[0]), round6(b.Min[1]), round6(b.Max[0]), round6(b.Max[1])},
		Center: [3]float64{round6(c[0]), round6(c[1]), 12},
		VectorLayers: []TileJSONLayer{
			{ID: LayerCaseDensity, Description: "cases per unit grid, at the grid's centre (heatmap weight)", MinZoom: CaseDensityMinZoom, MaxZoom: CaseDensityMaxZoom,
				Fields: map[string]string{"grid": "unit grid code", "count": "cases", "overdue": "overdue cases"}},
			{ID: LayerCaseClusters, Description: "cases counted per 1/32 of a tile", MinZoom: CaseMinZoom, MaxZoom: CaseClusterZoom - 1,
				Fields: map[string]string{"count": "cases", "overdue": "overdue cases", "urgent": "urgent cases", "has_overdue": "whether any is overdue"}},
			{ID: LayerCases, Description: "one point per case", MinZoom: CaseClusterZoom, MaxZoom: CaseMaxZoom,
				Fields: map[string]string{"id": "case id", "number": "case number", "state": "workflow state", "kind": "component or event",
					"category": "small-class code", "source": "report source", "unit": "handling unit", "reported": "report time, Unix seconds",
					"overdue": "open past its deadline", "urgent": "urgent case"}},
		},
	}
}

// caseTileBound is the lon/lat bound of a tile (used by tests).
func caseTileBound(z, x, y int) orb.Bound {
	return maptile.New(uint32(x), uint32(y), maptile.Zoom(z)).Bound()
}
