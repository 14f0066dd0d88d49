// Package tiles builds citygrid's Mapbox Vector Tiles (MVT 2.1) on the fly
// from the in-memory spatial index: one tileset holding every layer of the
// city, projected to Web Mercator, clipped with a buffer, simplified in
// tile-pixel space per zoom, with exterior rings clockwise on screen,
// attributes chosen per zoom and stable feature ids. Tiles come out
// gzip-compressed and byte-for-byte deterministic, so a tile baked into
// MBTiles (see package tiles/mbtiles and Bake) and one made on request are
// the same bytes with the same ETag. The package knows nothing of HTTP.
package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"sync"

	"citygrid/data"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
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
	version     string
	attribution string
	bounds      orb.Bound
	empty       bool

	cats         map[string]*catInfo
	componentMin int // lowest minimum zoom of any category
	pos          []compPos

	clusterOnce [maxZoomLimit + 1]sync.Once
	clusters    [maxZoomLimit + 1]map[tileKey][]cluster

	labels sync.Map // layer+"\x00"+code → orb.Point (or nil when none)
	gzPool sync.Pool
}

// maxZoomLimit is the deepest zoom a tileset may be asked to serve.
const maxZoomLimit = 22

type catInfo struct {
	code, big, bigName string
	geom               data.GeometryType
	minZoom            int
}

type compPos struct {
	mx, my float64
	cat    *catInfo
}

type tileKey struct{ x, y uint32 }

type cluster struct {
	cell  uint16 // row-major cell index in the 16×16 grid
	big   string
	name  string
	count int64
	x, y  float64 // mean position in tile units
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
	ds := src.Dataset()
	if ds == nil {
		ds = &data.Dataset{}
	}
	t := &Tileset{
		src: src, name: opt.Name, minZ: opt.MinZoom, maxZ: opt.MaxZoom,
		attribution: opt.Attribution,
		cats:        make(map[string]*catInfo, len(ds.Categories)),
	}
	for _, c := range ds.Categories {
		if c.Kind != data.KindComponent && c.Kind != "" {
			continue
		}
		t.cats[c.Code] = &catInfo{code: c.Code, big: c.Big, bigName: c.BigName, geom: c.Geometry}
	}
	t.bounds, t.empty = datasetBounds(ds)
	t.indexComponents(ds)
	t.version = opt.Version
	if t.version == "" {
		t.version = DataVersion(ds)
	}
	return t, nil
}

// Name is the tileset's name.
func (t *Tileset) Name() string { return t.name }

// Version is the data version: it changes whenever any tile may change.
func (t *Tileset) Version() string { return t.version }

// Bounds is the lon/lat extent of the city.
func (t *Tileset) Bounds() orb.Bound { return t.bounds }

// MinZoom is the lowest zoom served.
func (t *Tileset) MinZoom() int { return t.minZ }

// MaxZoom is the deepest zoom served.
func (t *Tileset) MaxZoom() int { return t.maxZ }

// Attribution is the attribution text, if any.
func (t *Tileset) Attribution() string { return t.attribution }

// Center is a point to open a map at: the middle of the bounds, at a zoom
// where unit grids show.
func (t *Tileset) Center() (orb.Point, int) {
	z := zoomUnitGrids
	if z > t.maxZ {
		z = t.maxZ
	}
	if z < t.minZ {
		z = t.minZ
	}
	return t.bounds.Center(), z
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
	if !t.Covers(z, x, y) {
		return nil, nil
	}
	raw, err := t.encode(ctx, z, uint32(x), uint32(y))
	if err != nil || raw == nil {
		return nil, err
	}
	return t.gzip(raw)
}

// layerBuilder collects one layer's features before sorting and encoding.
type layerBuilder struct {
	name  string
	feats []*geojson.Feature
}

func (l *layerBuilder) add(id uint64, g orb.Geometry, props geojson.Properties) {
	f := &geojson.Feature{ID: id, Geometry: g, Properties: props}
	l.feats = append(l.feats, f)
}

func (t *Tileset) encode(ctx context.Context, z int, x, y uint32) ([]byte, error) {
	f := newTileFrame(z, x, y)
	qb := maptile.New(x, y, maptile.Zoom(z)).Bound(float64(Buffer) / Extent)
	tb := maptile.New(x, y, maptile.Zoom(z)).Bound()
	var (
		districts   = &layerBuilder{name: LayerDistricts}
		streets     = &layerBuilder{name: LayerStreets}
		communities = &layerBuilder{name: LayerCommunities}
		unitGrids   = &layerBuilder{name: LayerUnitGrids}
		mgmt        = &layerBuilder{name: LayerManagementGrids}
		roads       = &layerBuilder{name: LayerRoads}
		comps       = &layerBuilder{name: LayerComponents}
		clusters    = &layerBuilder{name: LayerComponentClusters}
		addrs       = &layerBuilder{name: LayerAddresses}
		pois        = &layerBuilder{name: LayerPOIs}
		labels      = &layerBuilder{name: LayerLabels}
	)
	label := func(layer, code, name, kind string, mp orb.MultiPolygon) {
		p, ok := t.labelPoint(layer+"/"+kind, code, mp)
		if !ok || !tb.Contains(p) {
			return
		}
		q, in := f.pointIn(p)
		if !in {
			return
		}
		props := geojson.Properties{"layer": layer, "code": code, "name": name}
		if kind != "" {
			props["kind"] = kind
		}
		labels.add(featureID(LayerLabels, layer+"/"+kind+"/"+code), q, props)
	}
	admin := func(level data.AdminLevel, lb *layerBuilder, labelMin int, parentKey string) {
		t.src.AdminUnits(level, qb, func(u *data.AdminUnit) bool {
			if g := f.polygonInTile(u.Geometry); g != nil {
				props := geojson.Properties{"code": u.Code, "name": u.Name}
				if parentKey != "" {
					props[parentKey] = u.Parent
				}
				lb.add(featureID(lb.name, u.Code), g, props)
			}
			if z >= labelMin {
				label(lb.name, u.Code, u.Name, "", u.Geometry)
			}
			return true
		})
	}
	admin(data.LevelDistrict, districts, 0, "")
	if z >= zoomStreets {
		admin(data.LevelStreet, streets, zoomLabelStreets, "district")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if z >= zoomCommunities {
		admin(data.LevelCommunity, communities, zoomLabelComm, "street")
	}
	if z >= zoomUnitGrids {
		t.src.UnitGrids(qb, func(g *data.UnitGrid) bool {
			if mp := f.polygonInTile(g.Geometry); mp != nil {
				props := geojson.Properties{"code": g.Code, "community": g.Community}
				if z >= zoomAreaAttr {
					props["area_m2"] = math.Round(g.AreaM2*10) / 10
				}
				unitGrids.add(featureID(LayerUnitGrids, g.Code), mp, props)
			}
			if z >= zoomLabelUnitGrids {
				label(LayerUnitGrids, g.Code, g.Code, "", g.Geometry)
			}
			return true
		})
	}
	if z >= zoomManagementGrids {
		t.src.ManagementGrids("", qb, func(g *data.ManagementGrid) bool {
			if mp := f.polygonInTile(g.Geometry); mp != nil {
				mgmt.add(featureID(LayerManagementGrids, g.Kind+"/"+g.Code), mp, geojson.Properties{
					"kind": g.Kind, "code": g.Code, "name": g.Name, "unit": g.Unit})
			}
			if z >= zoomLabelMgmt {
				label(LayerManagementGrids, g.Code, g.Name, g.Kind, g.Geometry)
			}
			return true
		})
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if z >= zoomRoads {
		t.src.Roads(qb, func(r *data.Road) bool {
			if g := f.lineInTile(r.Geometry); g != nil {
				roads.add(featureID(LayerRoads, r.Code), g, geojson.Properties{"code": r.Code, "name": r.Name})
			}
			return true
		})
	}
	t.addComponents(ctx, &f, z, qb, comps)
	t.addClusters(&f, z, clusters)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if z >= zoomAddresses {
		t.src.Addresses(tb, func(a *data.Address) bool {
			if q, in := f.pointIn(a.Point); in {
				props := geojson.Properties{"code": a.Code, "number": a.Number, "road": a.Road}
				if z >= zoomAddressFull {
					props["address"] = a.FullAddress
				}
				addrs.add(featureID(LayerAddresses, a.Code), q, props)
			}
			return true
		})
	}
	if z >= zoomLandmarks {
		t.src.POIs(tb, func(p *data.POI) bool {
			if !p.Landmark && z < zoomPOIs {
				return true
			}
			if q, in := f.pointIn(p.Point); in {
				pois.add(featureID(LayerPOIs, p.Code), q, geojson.Properties{
					"code": p.Code, "name": p.Name, "kind": p.Kind, "landmark": p.Landmark})
			}
			return true
		})
	}
	var layers mvt.Layers
	for _, lb := range []*layerBuilder{districts, streets, communities, unitGrids, mgmt, roads, comps, clusters, addrs, pois, labels} {
		if len(lb.feats) == 0 {
			continue
		}
		// The index may hand features out in any order; sorting by id
		// makes the bytes a function of the data alone.
		sort.Slice(lb.feats, func(i, j int) bool {
			a, b := lb.feats[i].ID.(uint64), lb.feats[j].ID.(uint64)
			return a < b
		})
		layers = append(layers, &mvt.Layer{Name: lb.name, Version: 2, Extent: Extent, Features: lb.feats})
	}
	if len(layers) == 0 {
		return nil, nil
	}
	raw, err := mvt.Marshal(layers)
	if err != nil {
		return nil, fmt.Errorf("encode tile %d/%d/%d: %w", z, x, y, err)
	}
	return raw, nil
}

// featureID is the stable id of a feature: FNV-1a of its layer and code,
// cut to 53 bits so JavaScript clients read it exactly.
func featureID(layer, code string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(layer))
	h.Write([]byte{0})
	h.Write([]byte(code))
	return h.Sum64() & (1<<53 - 1)
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
		zw, _ = gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
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
