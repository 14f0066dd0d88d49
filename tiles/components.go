package tiles

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

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

// catOf is the category record of a component's category code, made up
// (drawn as points, big class from the code's first two digits) for a code
// the catalogue does not know.
func (t *Tileset) catOf(code string) *catInfo {
	cat := t.cats[code]
	if cat == nil {
		big := code
		if len(big) > 2 {
			big = big[:2]
		}
		cat = &catInfo{code: code, big: big, geom: data.GeomPoint, minZoom: t.maxZ}
		t.cats[code] = cat
	}
	return cat
}

// probeZoom is the zoom whose per-tile counts the placement of categories
// adds up to coarser zooms.
const probeZoom = 16

// indexComponents chooses the minimum zoom of every category from the
// densest tile. The zooms of categories with components stay as chosen
// while edits come in (moving one would change every tile of the zooms in
// between); a category first seen in an edit gets the zoom a full bake
// would give it (see placeFresh).
func (t *Tileset) indexComponents(ds *data.Dataset) {
	t.probe = map[*catInfo]map[tileKey]int{}
	for i := range ds.Components {
		t.probeCount(&ds.Components[i], 1)
	}
	for _, cat := range t.cats {
		cat.minZoom = t.maxZ
	}
	for cat, z := range t.placement() {
		cat.minZoom = z
	}
	t.componentMin, t.componentAll = t.maxZ, t.minZ
	for cat := range t.probe {
		if cat.minZoom < t.minZ {
			cat.minZoom = t.minZ
		}
		t.componentMin = min(t.componentMin, cat.minZoom)
		t.componentAll = max(t.componentAll, cat.minZoom)
	}
}

// probeCount adds (sign 1) or takes away (sign -1) a component from its
// category's per-tile counts at probeZoom; a category left with none is
// dropped from t.probe. It reports whether the category had none before.
func (t *Tileset) probeCount(c *data.Component, sign int) bool {
	if c == nil || c.Geometry == nil {
		return false
	}
	cat := t.catOf(c.Category)
	mx, my := mercator(c.Geometry.Bound().Center())
	n := math.Ldexp(1, probeZoom)
	k := tileKey{uint32(mx * n), uint32(my * n)}
	m := t.probe[cat]
	fresh := m == nil
	if m == nil {
		if sign < 0 {
			return false
		}
		m = map[tileKey]int{}
		t.probe[cat] = m
	}
	if m[k] += sign; m[k] <= 0 {
		delete(m, k)
		if len(m) == 0 {
			delete(t.probe, cat)
		}
	}
	return fresh && sign > 0
}

// placement is the minimum zoom of every category with components, from
// the counts in t.probe (categories not placed below the deepest zoom are
// left out). Rare categories come first: at each zoom, categories join in
// order of their busiest tile while the sum of those counts (an upper bound
// of the busiest tile's total) stays within the zoom's budget.
func (t *Tileset) placement() map[*catInfo]int {
	cats := make([]*catInfo, 0, len(t.probe))
	for cat := range t.probe {
		cats = append(cats, cat)
	}
	placed := map[*catInfo]int{}
	for z := zoomComponentPoints; z < t.maxZ && z <= probeZoom; z++ {
		type cand struct {
			cat *catInfo
			n   int
		}
		var cs []cand
		total := 0
		for _, cat := range cats {
			n := maxPerTile(t.probe[cat], probeZoom-z)
			if _, ok := placed[cat]; ok {
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
			placed[c.cat] = z
		}
	}
	return placed
}

// placeFresh gives categories that have just got their first components
// (none of which is counted in clusters yet) the minimum zoom a full bake
// of the edited data would choose, and updates the zoom lists. Categories
// that already had components keep theirs, even when a full bake would now
// move one: that would change every tile of the zooms in between, so it
// waits for the next bake or start.
func (t *Tileset) placeFresh(fresh []*catInfo) {
	zs := t.placement()
	for _, cat := range fresh {
		z, ok := zs[cat]
		if !ok {
			z = t.maxZ
		}
		cat.minZoom = max(z, t.minZ)
		t.componentMin = min(t.componentMin, cat.minZoom)
		t.componentAll = max(t.componentAll, cat.minZoom)
	}
	t.listDrawnCats()
}

// categorySource is a Source that searches the components of some
// categories only (*spatial.Index).
type categorySource interface {
	ComponentsIn(categories []string, b orb.Bound, fn func(*data.Component) bool)
}

// listDrawnCats lists, for each zoom below componentAll, the categories
// drawn one by one there, sorted.
func (t *Tileset) listDrawnCats() {
	for z := range t.drawnCats {
		t.drawnCats[z] = nil
		if z >= t.componentAll {
			continue
		}
		for code, cat := range t.cats {
			if cat.minZoom <= z {
				t.drawnCats[z] = append(t.drawnCats[z], code)
			}
		}
		sort.Strings(t.drawnCats[z])
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

// addComponents adds the components drawn one by one at zoom z: those of
// the tile (buffer included) whose category's minimum zoom is reached.
func (t *Tileset) addComponents(ctx context.Context, f *tileFrame, z int, qb orb.Bound, lb *layerBuilder) {
	if z < t.componentMin || ctx.Err() != nil {
		return
	}
	each := func(fn func(*data.Component) bool) { t.src.Components(qb, fn) }
	if cs, ok := t.src.(categorySource); ok && z < t.componentAll {
		// Only some categories are drawn: search their own trees.
		cats := t.drawnCats[z]
		each = func(fn func(*data.Component) bool) { cs.ComponentsIn(cats, qb, fn) }
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
		id := featureID(data.LayerComponents, c.Code)
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

// addClusters adds the counted components of the tile at zoom z.
func (t *Tileset) addClusters(f *tileFrame, z int, lb *layerBuilder) {
	if z >= t.maxZ || z > maxZoomLimit {
		return
	}
	t.clusterOnce[z].Do(func() { t.buildClusters(z) })
	for _, c := range t.clusters[z][tileKey{f.x, f.y}] {
		lb.add(c.id, orb.Point{c.x, c.y}, sv("big", c.big), sv("big_name", c.name), uv("count", uint64(c.count)))
	}
}

// clusterKey is one cell of a tile and one big class.
type clusterKey struct {
	cell uint16
	big  string
}

// clusterAcc sums the components of one cell and big class in integer
// tile units, so the result does not depend on the order of the dataset
// and an edit can take a component out again exactly.
type clusterAcc struct {
	n, sx, sy int64
	name      string
}

// clusterPlace is where a component is counted at zoom z: its tile, cell
// and position in tile units; ok is false for components drawn one by one
// at z (or without geometry).
func (t *Tileset) clusterPlace(c *data.Component, z int) (tileKey, clusterKey, int64, int64, *catInfo, bool) {
	if c.Geometry == nil {
		return tileKey{}, clusterKey{}, 0, 0, nil, false
	}
	cat := t.catOf(c.Category)
	if cat.minZoom <= z {
		return tileKey{}, clusterKey{}, 0, 0, nil, false
	}
	mx, my := mercator(c.Geometry.Bound().Center())
	scale := math.Ldexp(Extent, z)
	cellSize := int64(Extent / clusterCells)
	wx, wy := int64(mx*scale), int64(my*scale)
	tk := tileKey{uint32(wx / Extent), uint32(wy / Extent)}
	u, v := wx%Extent, wy%Extent
	return tk, clusterKey{uint16((v/cellSize)*clusterCells + u/cellSize), cat.big}, u, v, cat, true
}

// countCluster adds (sign 1) or takes away (sign -1) a component from the
// counts of zoom z and returns the tile it is counted in.
func (t *Tileset) countCluster(c *data.Component, z int, sign int64) (tileKey, bool) {
	tk, _, ok := t.countClusterKey(c, z, sign)
	return tk, ok
}

// countClusterKey is countCluster also naming the cell and big class.
func (t *Tileset) countClusterKey(c *data.Component, z int, sign int64) (tileKey, clusterKey, bool) {
	tk, k, u, v, cat, ok := t.clusterPlace(c, z)
	if !ok {
		return tk, k, false
	}
	accs := t.clusterAccs[z]
	cells := accs[tk]
	if cells == nil {
		cells = map[clusterKey]*clusterAcc{}
		accs[tk] = cells
	}
	a := cells[k]
	if a == nil {
		a = &clusterAcc{name: cat.bigName}
		cells[k] = a
	}
	a.n += sign
	a.sx += sign * u
	a.sy += sign * v
	if a.n == 0 {
		delete(cells, k)
		if len(cells) == 0 {
			delete(accs, tk)
		}
	}
	return tk, k, true
}

// buildClusters counts, for every tile of zoom z, the components of the
// categories not yet drawn one by one, per cell and big class.
func (t *Tileset) buildClusters(z int) {
	t.clusterAccs[z] = map[tileKey]map[clusterKey]*clusterAcc{}
	t.clusters[z] = map[tileKey][]cluster{}
	ds := t.src.Dataset()
	if ds == nil {
		return
	}
	for i := range ds.Components {
		t.countCluster(&ds.Components[i], z, 1)
	}
	for tk := range t.clusterAccs[z] {
		t.refreshClusters(z, tk)
	}
}

// refreshCluster remakes the one cluster feature of a tile's cell and big
// class from its counts, keeping the tile's list in (cell, big) order.
func (t *Tileset) refreshCluster(z int, tk tileKey, k clusterKey) {
	cs := t.clusters[z][tk]
	i, found := sort.Find(len(cs), func(i int) int {
		if k.cell != cs[i].cell {
			return int(k.cell) - int(cs[i].cell)
		}
		return strings.Compare(k.big, cs[i].big)
	})
	a := t.clusterAccs[z][tk][k]
	switch {
	case a == nil && found:
		cs = slices.Delete(cs, i, i+1)
	case a == nil:
		return
	default:
		// In place: Apply holds the tileset's write lock, no tile is
		// being drawn.
		c := t.clusterOf(z, tk, k, a)
		if found {
			cs[i] = c
		} else {
			cs = slices.Insert(cs, i, c)
		}
	}
	if len(cs) == 0 {
		delete(t.clusters[z], tk)
		return
	}
	t.clusters[z][tk] = cs
}

func (t *Tileset) clusterOf(z int, tk tileKey, k clusterKey, a *clusterAcc) cluster {
	return cluster{
		cell: k.cell, big: k.big, name: a.name, count: a.n,
		x: float64((a.sx + a.n/2) / a.n), y: float64((a.sy + a.n/2) / a.n),
		id: featureID(LayerComponentClusters, fmt.Sprintf("%d/%d/%d/%d", z, tk.x, tk.y, k.cell), k.big),
	}
}

// refreshClusters remakes the cluster features of one tile from its counts.
func (t *Tileset) refreshClusters(z int, tk tileKey) {
	cells := t.clusterAccs[z][tk]
	if len(cells) == 0 {
		delete(t.clusters[z], tk)
		return
	}
	cs := make([]cluster, 0, len(cells))
	for k, a := range cells {
		cs = append(cs, t.clusterOf(z, tk, k, a))
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].cell != cs[j].cell {
			return cs[i].cell < cs[j].cell
		}
		return cs[i].big < cs[j].big
	})
	t.clusters[z][tk] = cs
}
