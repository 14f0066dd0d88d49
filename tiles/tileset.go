// Package tiles builds citygrid's Mapbox Vector Tiles (MVT 2.1) on the fly
// from the in-memory spatial index: one tileset, "city", holding every
// layer of the city (one request per tile for a map client). Geometry is
// projected to Web Mercator, clipped with orb/clip to a 64-unit buffer,
// simplified in tile-pixel space per zoom and written with exterior rings
// clockwise on screen; attributes are chosen per zoom and feature ids are
// stable hashes of layer and code.
//
// Grids are a polygon coverage, so polygons are simplified by snapping
// vertices to a zoom-dependent grid (1 unit from z14, at most 1 pixel
// below) and dropping collinear points: the result depends on each vertex
// alone, so neighbours keep sharing their edges exactly — no gaps or
// slivers, which Douglas-Peucker run per polygon would open. Lines (roads)
// use orb/simplify's Douglas-Peucker. Grid outlines are drawn by styles as
// line layers over the polygons; the clip buffer is wider than any outline,
// so clip edges never show as seams.
//
// Management grids of every kind share the layer management_grids with a
// kind attribute; label points of polygons are in the layer labels with
// the labelled layer's name. Components are drawn one by one from a
// per-category minimum zoom and counted per big class below it
// (component_clusters); see components.go.
//
// Tiles come out gzip-compressed and byte-for-byte deterministic, so a tile
// baked into MBTiles (package tiles/mbtiles and Bake) and one made on
// request are the same bytes with the same ETag. The package knows nothing
// of HTTP.
package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"citygrid/data"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// ErrOutOfRange is returned for a tile address outside the tileset: a zoom
// outside its range or x, y outside 0..2^z-1.
var ErrOutOfRange = errors.New("tile out of range")

// Options configure a tileset.
type Options struct {
	// Name of the tileset; "city" when empty.
	Name string
	// MinZoom and MaxZoom bound the zooms served; 0 and 17 when both are 0.
	MinZoom, MaxZoom int
	// Version overrides the data version; when empty it is a hash of the
	// dataset and of this package's encoding revision.
	Version string
	// Attribution is copied into TileJSON and MBTiles metadata.
	Attribution string
}

// Tileset makes the tiles of one city.
type Tileset struct {
	src         Source
	name        string
	minZ, maxZ  int
	attribution string

	// mu separates tile encoding (read side) from live edits (Apply, the
	// write side): a tile is drawn from one state of the data.
	mu      sync.RWMutex
	version atomic.Pointer[string]
	sum     versionSum // nil sum when the version was given in Options
	fixedV  bool
	bounds  orb.Bound
	empty   bool

	cats         map[string]*catInfo
	componentMin int // lowest minimum zoom of any category
	componentAll int // zoom from which every category is drawn one by one
	// drawnCats lists the categories drawn one by one at each zoom below
	// componentAll (edits change them only when a category gets its first
	// components, see placeFresh).
	drawnCats [maxZoomLimit + 1][]string
	// probe counts each category's components per tile of probeZoom
	// (categories without components are absent); edits keep it current.
	probe map[*catInfo]map[tileKey]int

	clusterOnce [maxZoomLimit + 1]sync.Once
	clusterAccs [maxZoomLimit + 1]map[tileKey]map[clusterKey]*clusterAcc
	clusters    [maxZoomLimit + 1]map[tileKey][]cluster

	labels    sync.Map // layer+"\x00"+code → orb.Point (or nil when none)
	gzPool    sync.Pool
	statePool sync.Pool
}

// maxZoomLimit is the deepest zoom a tileset may be asked to serve.
const maxZoomLimit = 22

type catInfo struct {
	code, big, bigName string
	geom               data.GeometryType
	minZoom            int
}

type tileKey struct{ x, y uint32 }

type cluster struct {
	cell  uint16 // row-major cell index in the 16×16 grid
	big   string
	name  string
	count int64
	x, y  float64 // mean position in tile units
	id    uint64
}

// New builds a tileset over src. It reads the dataset once to choose each
// component category's minimum zoom, the bounds and the data version.
func New(src Source, opt Options) (*Tileset, error) {
	if opt.Name == "" {
		opt.Name = "city"
	}
	if opt.MinZoom == 0 && opt.MaxZoom == 0 {
		opt.MaxZoom = 17
	}
	if opt.MinZoom < 0 || opt.MaxZoom > maxZoomLimit || opt.MinZoom > opt.MaxZoom {
		return nil, fmt.Errorf("tileset %s: zoom range %d..%d outside 0..%d", opt.Name, opt.MinZoom, opt.MaxZoom, maxZoomLimit)
	}
	t := &Tileset{
		src: src, name: opt.Name, minZ: opt.MinZoom, maxZ: opt.MaxZoom,
		attribution: opt.Attribution,
	}
	if v, ok := src.(viewer); ok {
		v.View(func() { t.init(src.Dataset(), opt) })
	} else {
		t.init(src.Dataset(), opt)
	}
	return t, nil
}

// init reads the dataset: categories, bounds, components' minimum zooms
// and the data version.
func (t *Tileset) init(ds *data.Dataset, opt Options) {
	if ds == nil {
		ds = &data.Dataset{}
	}
	t.cats = make(map[string]*catInfo, len(ds.Categories))
	for _, c := range ds.Categories {
		if c.Kind != data.KindComponent && c.Kind != "" {
			continue
		}
		t.cats[c.Code] = &catInfo{code: c.Code, big: c.Big, bigName: c.BigName, geom: c.Geometry}
	}
	t.bounds, t.empty = datasetBounds(ds)
	t.indexComponents(ds)
	t.listDrawnCats()
	v := opt.Version
	if v == "" {
		t.sum = newVersionSum(ds)
		v = t.sum.String()
	} else {
		t.fixedV = true
	}
	t.version.Store(&v)
}

// Name is the tileset's name.
func (t *Tileset) Name() string { return t.name }

// Version is the data version: it changes whenever any tile may change.
func (t *Tileset) Version() string { return *t.version.Load() }

// Bounds is the lon/lat extent of the city.
func (t *Tileset) Bounds() orb.Bound {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.bounds
}

// MinZoom is the lowest zoom served.
func (t *Tileset) MinZoom() int { return t.minZ }

// MaxZoom is the deepest zoom served.
func (t *Tileset) MaxZoom() int { return t.maxZ }

// Attribution is the attribution text, if any.
func (t *Tileset) Attribution() string { return t.attribution }

// Center is a point to open a map at: the middle of the bounds, at a zoom
// where unit grids show.
func (t *Tileset) Center() (orb.Point, int) {
	b := t.Bounds()
	z := zoomUnitGrids
	if z > t.maxZ {
		z = t.maxZ
	}
	if z < t.minZ {
		z = t.minZ
	}
	return b.Center(), z
}

// VectorLayers describes the layers of the tileset.
func (t *Tileset) VectorLayers() []VectorLayer {
	return vectorLayers(t.minZ, t.maxZ, t.componentMin)
}

// CategoryMinZoom is the zoom from which components of a category are
// drawn one by one (below it they are counted in component_clusters).
func (t *Tileset) CategoryMinZoom(code string) int {
	if c := t.cats[code]; c != nil {
		return c.minZoom
	}
	return t.maxZ
}

// Check validates a tile address.
func (t *Tileset) Check(z, x, y int) error {
	if z < t.minZ || z > t.maxZ {
		return fmt.Errorf("%w: zoom %d outside %d..%d", ErrOutOfRange, z, t.minZ, t.maxZ)
	}
	n := 1 << z
	if x < 0 || x >= n || y < 0 || y >= n {
		return fmt.Errorf("%w: x=%d y=%d outside 0..%d at zoom %d", ErrOutOfRange, x, y, n-1, z)
	}
	return nil
}

// Covers reports whether the tile, buffer included, touches the city.
func (t *Tileset) Covers(z, x, y int) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.covers(z, x, y)
}

func (t *Tileset) covers(z, x, y int) bool {
	if t.empty {
		return false
	}
	b := maptile.New(uint32(x), uint32(y), maptile.Zoom(z)).Bound(float64(Buffer) / Extent)
	return b.Intersects(t.bounds)
}

// Tile encodes one tile as gzip-compressed MVT. It returns nil bytes for a
// tile without features (HTTP 204).
func (t *Tileset) Tile(ctx context.Context, z, x, y int) ([]byte, error) {
	if err := t.Check(z, x, y); err != nil {
		return nil, err
	}
	t.mu.RLock()
	covered := t.covers(z, x, y)
	t.mu.RUnlock()
	if !covered {
		return nil, nil
	}
	st, _ := t.statePool.Get().(*tileState)
	if st == nil {
		st = &tileState{enc: newTileEncoder()}
	}
	defer t.statePool.Put(st)
	raw, err := t.encode(ctx, st, z, uint32(x), uint32(y))
	if err != nil || raw == nil {
		return nil, err
	}
	return t.gzip(raw)
}

// edited runs fn, the part of a tile drawn from the layers edits change
// (unit grids, components, component clusters), with edits held off: the
// tileset's read lock and the index's View, so those layers come from one
// state of the data. The other layers are never edited and are drawn
// without holding edits up.
func (t *Tileset) edited(fn func()) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if v, ok := t.src.(viewer); ok {
		v.View(fn)
		return
	}
	fn()
}

// viewer is a Source that can hold its state still while a tile is drawn
// (*spatial.Index, whose View holds its read lock).
type viewer interface {
	View(fn func())
}

// tileState is the reusable working memory of one tile's encoding.
type tileState struct {
	layers [numLayers]layerBuilder
	enc    *tileEncoder
}

// Layer slots in the order they are written.
const (
	slotDistricts = iota
	slotStreets
	slotCommunities
	slotUnitGrids
	slotManagementGrids
	slotRoads
	slotComponents
	slotClusters
	slotAddresses
	slotPOIs
	slotLabels
	numLayers
)

var slotNames = [numLayers]string{data.LayerDistricts, data.LayerStreets, data.LayerCommunities, data.LayerUnitGrids, data.LayerManagementGrids,
	data.LayerRoads, data.LayerComponents, LayerComponentClusters, data.LayerAddresses, data.LayerPOIs, LayerLabels}

// encode writes the uncompressed tile into st's buffers and returns them
// (valid until st is reused); nil when the tile is empty.
func (t *Tileset) encode(ctx context.Context, st *tileState, z int, x, y uint32) ([]byte, error) {
	for i := range st.layers {
		st.layers[i].reset(slotNames[i])
	}
	f := newTileFrame(z, x, y)
	qb := maptile.New(x, y, maptile.Zoom(z)).Bound(float64(Buffer) / Extent)
	tb := maptile.New(x, y, maptile.Zoom(z)).Bound()
	L := &st.layers
	labels := &L[slotLabels]
	label := func(layer, code, name, kind string, mp orb.MultiPolygon) {
		p, ok := t.labelPoint(layer+"/"+kind, code, mp)
		if !ok || !tb.Contains(p) {
			return
		}
		q, in := f.pointIn(p)
		if !in {
			return
		}
		id := featureID(LayerLabels, layer, kind, code)
		if kind != "" {
			labels.add(id, q, sv("layer", layer), sv("code", code), sv("name", name), sv("kind", kind))
		} else {
			labels.add(id, q, sv("layer", layer), sv("code", code), sv("name", name))
		}
	}
	admin := func(level data.AdminLevel, lb *layerBuilder, labelMin int, parentKey string) {
		t.src.AdminUnits(level, qb, func(u *data.AdminUnit) bool {
			if g := f.polygonInTile(u.Geometry); g != nil {
				if parentKey != "" {
					lb.add(featureID(lb.name, u.Code), g, sv("code", u.Code), sv("name", u.Name), sv(parentKey, u.Parent))
				} else {
					lb.add(featureID(lb.name, u.Code), g, sv("code", u.Code), sv("name", u.Name))
				}
			}
			if z >= labelMin {
				label(lb.name, u.Code, u.Name, "", u.Geometry)
			}
			return true
		})
	}
	admin(data.LevelDistrict, &L[slotDistricts], 0, "")
	if z >= zoomStreets {
		admin(data.LevelStreet, &L[slotStreets], zoomLabelStreets, "district")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if z >= zoomCommunities {
		admin(data.LevelCommunity, &L[slotCommunities], zoomLabelComm, "street")
	}
	if z >= zoomManagementGrids {
		mg := &L[slotManagementGrids]
		t.src.ManagementGrids("", qb, func(g *data.ManagementGrid) bool {
			if mp := f.polygonInTile(g.Geometry); mp != nil {
				mg.add(featureID(data.LayerManagementGrids, g.Kind, g.Code), mp,
					sv("kind", g.Kind), sv("code", g.Code), sv("name", g.Name), sv("unit", g.Unit))
			}
			if z >= zoomLabelMgmt {
				label(data.LayerManagementGrids, g.Code, g.Name, g.Kind, g.Geometry)
			}
			return true
		})
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if z >= zoomRoads {
		rl := &L[slotRoads]
		t.src.Roads(qb, func(r *data.Road) bool {
			if g := f.lineInTile(r.Geometry); g != nil {
				rl.add(featureID(data.LayerRoads, r.Code), g, sv("code", r.Code), sv("name", r.Name))
			}
			return true
		})
	}
	t.edited(func() {
		if z >= zoomUnitGrids {
			ug := &L[slotUnitGrids]
			t.src.UnitGrids(qb, func(g *data.UnitGrid) bool {
				if mp := f.polygonInTile(g.Geometry); mp != nil {
					if z >= zoomAreaAttr {
						ug.add(featureID(data.LayerUnitGrids, g.Code), mp, sv("code", g.Code), sv("community", g.Community), dv("area_m2", math.Round(g.AreaM2*10)/10))
					} else {
						ug.add(featureID(data.LayerUnitGrids, g.Code), mp, sv("code", g.Code), sv("community", g.Community))
					}
				}
				if z >= zoomLabelUnitGrids {
					label(data.LayerUnitGrids, g.Code, g.Code, "", g.Geometry)
				}
				return true
			})
		}
		t.addComponents(ctx, &f, z, qb, &L[slotComponents])
		t.addClusters(&f, z, &L[slotClusters])
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if z >= zoomAddresses {
		al := &L[slotAddresses]
		t.src.Addresses(tb, func(a *data.Address) bool {
			if q, in := f.pointIn(a.Point); in {
				if z >= zoomAddressFull {
					al.add(featureID(data.LayerAddresses, a.Code), q, sv("code", a.Code), sv("number", a.Number), sv("road", a.Road), sv("address", a.FullAddress))
				} else {
					al.add(featureID(data.LayerAddresses, a.Code), q, sv("code", a.Code), sv("number", a.Number), sv("road", a.Road))
				}
			}
			return true
		})
	}
	if z >= zoomLandmarks {
		pl := &L[slotPOIs]
		t.src.POIs(tb, func(p *data.POI) bool {
			if !p.Landmark && z < zoomPOIs {
				return true
			}
			if q, in := f.pointIn(p.Point); in {
				pl.add(featureID(data.LayerPOIs, p.Code), q, sv("code", p.Code), sv("name", p.Name), sv("kind", p.Kind), bv("landmark", p.Landmark))
			}
			return true
		})
	}
	// Layers edits touch come out in feature-id order: their features are
	// found by R-tree searches whose order depends on the history of
	// inserts and deletes, and a tile's bytes (its ETag, the baked copy)
	// must depend on the data alone.
	for _, i := range [...]int{slotUnitGrids, slotComponents, slotLabels} {
		L[i].sortByID()
	}
	e := st.enc
	e.out = e.out[:0]
	for i := range L {
		if len(L[i].feats) > 0 {
			e.encodeLayer(&L[i])
		}
	}
	if len(e.out) == 0 {
		return nil, nil
	}
	return e.out, nil
}

// featureID is the stable id of a feature: FNV-1a of its layer and key
// parts (0-separated), cut to 53 bits so JavaScript clients read it
// exactly.
func featureID(parts ...string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i, p := range parts {
		if i > 0 {
			h ^= 0
			h *= prime
		}
		for j := 0; j < len(p); j++ {
			h ^= uint64(p[j])
			h *= prime
		}
	}
	return h & (1<<53 - 1)
}

// labelPoint caches LabelPoint per feature.
func (t *Tileset) labelPoint(layer, code string, mp orb.MultiPolygon) (orb.Point, bool) {
	key := layer + "\x00" + code
	if v, ok := t.labels.Load(key); ok {
		p, ok := v.(orb.Point)
		return p, ok
	}
	p, ok := LabelPoint(mp)
	if ok {
		t.labels.Store(key, p)
	} else {
		t.labels.Store(key, false)
	}
	return p, ok
}

func (t *Tileset) gzip(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(raw)/3 + 64)
	zw, _ := t.gzPool.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	} else {
		zw.Reset(&buf)
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("gzip tile: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip tile: %w", err)
	}
	t.gzPool.Put(zw)
	return buf.Bytes(), nil
}

// datasetBounds is the lon/lat extent of everything drawn.
func datasetBounds(ds *data.Dataset) (orb.Bound, bool) {
	var b orb.Bound
	first := true
	ext := func(g orb.Bound) {
		if first {
			b, first = g, false
			return
		}
		b = b.Union(g)
	}
	for i := range ds.AdminUnits {
		if len(ds.AdminUnits[i].Geometry) > 0 {
			ext(ds.AdminUnits[i].Geometry.Bound())
		}
	}
	for i := range ds.UnitGrids {
		if len(ds.UnitGrids[i].Geometry) > 0 {
			ext(ds.UnitGrids[i].Geometry.Bound())
		}
	}
	for i := range ds.ManagementGrids {
		if len(ds.ManagementGrids[i].Geometry) > 0 {
			ext(ds.ManagementGrids[i].Geometry.Bound())
		}
	}
	for i := range ds.Roads {
		if len(ds.Roads[i].Geometry) > 0 {
			ext(ds.Roads[i].Geometry.Bound())
		}
	}
	for i := range ds.Components {
		if g := ds.Components[i].Geometry; g != nil {
			ext(g.Bound())
		}
	}
	for i := range ds.Addresses {
		ext(ds.Addresses[i].Point.Bound())
	}
	for i := range ds.POIs {
		ext(ds.POIs[i].Point.Bound())
	}
	return b, first
}
