package tiles

import (
	"context"
	"fmt"
	"math"
	"sort"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// Components are dense (hundreds of thousands in a district), so each
// category is drawn one by one only from a zoom where the busiest tile
// stays readable (see zoomBudget); below that zoom the category is counted
// per big class in 32-pixel cells (component_clusters). Lines and polygons
// start no earlier than zoomComponentShapes, points no earlier than
// zoomComponentPoints.
const (
	zoomComponentPoints = 14
	zoomComponentShapes = 15
	clusterCells        = 16 // cells per tile side
)

// indexComponents chooses the minimum zoom of every category from the
// densest tile and keeps each component's Mercator position for the
// cluster layer.
func (t *Tileset) indexComponents(ds *data.Dataset) {
	const probe = 16 // count per tile at this zoom, then add up to coarser ones
	counts := map[*catInfo]map[tileKey]int{}
	t.pos = make([]compPos, 0, len(ds.Components))
	for i := range ds.Components {
		c := &ds.Components[i]
		if c.Geometry == nil {
			continue
		}
		cat := t.cats[c.Category]
		if cat == nil {
			big := c.Category
			if len(big) > 2 {
				big = big[:2]
			}
			cat = &catInfo{code: c.Category, big: big, geom: data.GeomPoint}
			t.cats[c.Category] = cat
		}
		mx, my := mercator(c.Geometry.Bound().Center())
		t.pos = append(t.pos, compPos{mx: mx, my: my, cat: cat})
		m := counts[cat]
		if m == nil {
			m = map[tileKey]int{}
			counts[cat] = m
		}
		n := math.Ldexp(1, probe)
		m[tileKey{uint32(mx * n), uint32(my * n)}]++
	}
	// Rare categories come first: at each zoom, categories join in order
	// of their busiest tile while the sum of those counts (an upper bound
	// of the busiest tile's total) stays within the zoom's budget.
	cats := make([]*catInfo, 0, len(t.cats))
	for _, cat := range t.cats {
		cat.minZoom = t.maxZ
		if counts[cat] != nil {
			cats = append(cats, cat)
		}
	}
	placed := map[*catInfo]bool{}
	for z := zoomComponentPoints; z < t.maxZ && z <= probe; z++ {
		type cand struct {
			cat *catInfo
			n   int
		}
		var cs []cand
		total := 0
		for _, cat := range cats {
			n := maxPerTile(counts[cat], probe-z)
			if placed[cat] {
				total += n
				continue
			}
			first := zoomComponentPoints
			if cat.geom == data.GeomLine || cat.geom == data.GeomPolygon {
				first = zoomComponentShapes
			}
			if z >= first {
				cs = append(cs, cand{cat, n})
			}
		}
		sort.Slice(cs, func(i, j int) bool {
			if cs[i].n != cs[j].n {
				return cs[i].n < cs[j].n
			}
			return cs[i].cat.code < cs[j].cat.code
		})
		for _, c := range cs {
			if total+c.n > zoomBudget(z) {
				break
			}
			total += c.n
			placed[c.cat] = true
			c.cat.minZoom = z
		}
	}
	t.componentMin, t.componentAll = t.maxZ, t.minZ
	for _, cat := range cats {
		if cat.minZoom < t.minZ {
			cat.minZoom = t.minZ
		}
		t.componentMin = min(t.componentMin, cat.minZoom)
		t.componentAll = max(t.componentAll, cat.minZoom)
	}
}

// zoomBudget is how many components the busiest tile of zoom z may draw
// one by one.
func zoomBudget(z int) int {
	switch {
	case z <= 14:
		return 800
	case z == 15:
		return 2000
	default:
		return 5000
	}
}

// maxPerTile is the largest count of any tile shift levels coarser.
func maxPerTile(m map[tileKey]int, shift int) int {
	agg := make(map[tileKey]int, len(m))
	best := 0
	for k, n := range m {
		p := tileKey{k.x >> shift, k.y >> shift}
		agg[p] += n
		if agg[p] > best {
			best = agg[p]
		}
	}
	return best
}

// addComponents adds the components drawn one by one at zoom z. Where
// only some categories are drawn (zooms below the last category's minimum)
// it reads them from per-zoom buckets instead of searching every component
// of the tile and dropping most.
func (t *Tileset) addComponents(ctx context.Context, f *tileFrame, z int, qb orb.Bound, lb *layerBuilder) {
	if z < t.componentMin || ctx.Err() != nil {
		return
	}
	each := func(fn func(*data.Component) bool) { t.src.Components(qb, fn) }
	if z < t.componentAll {
		t.bucketOnce[z].Do(func() { t.buckets[z] = t.buildBuckets(z) })
		cs := t.buckets[z][tileKey{f.x, f.y}]
		each = func(fn func(*data.Component) bool) {
			for _, c := range cs {
				if !fn(c) {
					return
				}
			}
		}
	}
	each(func(c *data.Component) bool {
		cat := t.cats[c.Category]
		if cat == nil || z < cat.minZoom {
			return true
		}
		var g orb.Geometry
		switch geom := c.Geometry.(type) {
		case orb.Point:
			if q, in := f.pointIn(geom); in {
				g = q
			}
		case orb.MultiPoint:
			if len(geom) > 0 {
				if q, in := f.pointIn(geom[0]); in {
					g = q
				}
			}
		case orb.LineString:
			if mls := f.lineInTile(orb.MultiLineString{geom}); mls != nil {
				g = mls
			}
		case orb.MultiLineString:
			if mls := f.lineInTile(geom); mls != nil {
				g = mls
			}
		case orb.Polygon:
			if mp := f.polygonInTile(orb.MultiPolygon{geom}); mp != nil {
				g = mp
			}
		case orb.MultiPolygon:
			if mp := f.polygonInTile(geom); mp != nil {
				g = mp
			}
		}
		if g == nil {
			return true
		}
		id := featureID(LayerComponents, c.Code)
		switch {
		case z >= zoomComponentDetail:
			lb.add(id, g, sv("code", c.Code), sv("category", c.Category), sv("big", cat.big), sv("status", string(c.Status)),
				sv("name", c.Name), sv("department", c.Department), sv("unit_grid", c.UnitGrid))
		case z >= zoomComponentStatus:
			lb.add(id, g, sv("code", c.Code), sv("category", c.Category), sv("big", cat.big), sv("status", string(c.Status)))
		default:
			lb.add(id, g, sv("code", c.Code), sv("category", c.Category), sv("big", cat.big))
		}
		return true
	})
}

// buildBuckets lists, for every tile of zoom z, the components drawn one
// by one at z: points in the tile holding them, lines and polygons in
// every tile their buffered bound touches.
func (t *Tileset) buildBuckets(z int) map[tileKey][]*data.Component {
	out := map[tileKey][]*data.Component{}
	ds := t.src.Dataset()
	if ds == nil {
		return out
	}
	n := math.Ldexp(1, z)
	buf := float64(Buffer) / Extent
	for i := range ds.Components {
		c := &ds.Components[i]
		cat := t.cats[c.Category]
		if c.Geometry == nil || cat == nil || cat.minZoom > z {
			continue
		}
		b := c.Geometry.Bound()
		x0, y1 := mercator(b.Min)
		x1, y0 := mercator(b.Max)
		tx0, tx1 := int(math.Floor(x0*n-buf)), int(math.Floor(x1*n+buf))
		ty0, ty1 := int(math.Floor(y0*n-buf)), int(math.Floor(y1*n+buf))
		for tx := max(tx0, 0); tx <= tx1 && tx < int(n); tx++ {
			for ty := max(ty0, 0); ty <= ty1 && ty < int(n); ty++ {
				k := tileKey{uint32(tx), uint32(ty)}
				out[k] = append(out[k], c)
			}
		}
	}
	return out
}

// addClusters adds the counted components of the tile at zoom z.
func (t *Tileset) addClusters(f *tileFrame, z int, lb *layerBuilder) {
	if z >= t.maxZ || z > maxZoomLimit {
		return
	}
	t.clusterOnce[z].Do(func() { t.clusters[z] = t.buildClusters(z) })
	for _, c := range t.clusters[z][tileKey{f.x, f.y}] {
		lb.add(c.id, orb.Point{c.x, c.y}, sv("big", c.big), sv("big_name", c.name), uv("count", uint64(c.count)))
	}
}

// buildClusters counts, for every tile of zoom z, the components of the
// categories not yet drawn one by one, per cell and big class. Sums are
// taken over integer tile units so the result does not depend on the order
// of the dataset.
func (t *Tileset) buildClusters(z int) map[tileKey][]cluster {
	type key struct {
		tile tileKey
		cell uint16
		big  string
	}
	type acc struct {
		n      int64
		sx, sy int64
		name   string
	}
	scale := math.Ldexp(Extent, z)
	cellSize := int64(Extent / clusterCells)
	accs := map[key]*acc{}
	for _, p := range t.pos {
		if p.cat.minZoom <= z {
			continue
		}
		wx, wy := int64(p.mx*scale), int64(p.my*scale)
		tk := tileKey{uint32(wx / Extent), uint32(wy / Extent)}
		u, v := wx%Extent, wy%Extent
		k := key{tk, uint16((v/cellSize)*clusterCells + u/cellSize), p.cat.big}
		a := accs[k]
		if a == nil {
			a = &acc{name: p.cat.bigName}
			accs[k] = a
		}
		a.n++
		a.sx += u
		a.sy += v
	}
	out := map[tileKey][]cluster{}
	for k, a := range accs {
		out[k.tile] = append(out[k.tile], cluster{
			cell: k.cell, big: k.big, name: a.name, count: a.n,
			x: float64((a.sx + a.n/2) / a.n), y: float64((a.sy + a.n/2) / a.n),
			id: featureID(LayerComponentClusters, fmt.Sprintf("%d/%d/%d/%d", z, k.tile.x, k.tile.y, k.cell), k.big),
		})
	}
	for _, cs := range out {
		sort.Slice(cs, func(i, j int) bool {
			if cs[i].cell != cs[j].cell {
				return cs[i].cell < cs[j].cell
			}
			return cs[i].big < cs[j].big
		})
	}
	return out
}
