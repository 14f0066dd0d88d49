package tiles

import (
	"math"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// Apply brings the tileset along with committed changes to the components
// and unit grids. applyData replays them on the source (the spatial index's
// Apply) while no tile is being drawn; then the per-zoom cluster counts,
// label points, bounds and data version follow, and Apply returns every
// tile, at every zoom of the tileset, whose content may have changed: the
// tiles whose buffered extent meets the bound of a feature before or after
// the change (which holds its label point and its cluster cell too).
// Tiles of other places are untouched and keep their bytes.
//
// When applyData fails nothing else changes and its error is returned.
func (t *Tileset) Apply(changes []data.Change, applyData func([]data.Change) error) ([]TileAddress, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.applyLocked(changes, applyData)
}

// applyLocked is Apply with t.mu held for writing.
func (t *Tileset) applyLocked(changes []data.Change, applyData func([]data.Change) error) ([]TileAddress, error) {
	befores := t.befores(changes)
	if applyData != nil {
		if err := applyData(changes); err != nil {
			return nil, err
		}
	}
	// Per-category counts first, so that a category getting its first
	// components is placed before any of them is counted in clusters.
	var fresh []*catInfo
	for i := range changes {
		if changes[i].Layer != data.LayerComponents {
			continue
		}
		t.probeCount(befores[i].comp, -1)
		if c := changes[i].AfterComponent; c != nil && t.probeCount(c, 1) {
			fresh = append(fresh, t.catOf(c.Category))
		}
	}
	if len(fresh) > 0 {
		t.placeFresh(fresh)
	}
	touched := map[TileAddress]struct{}{}
	var w versionWriter
	mark := func(g orb.Geometry) {
		if g == nil {
			return
		}
		t.touch(g.Bound(), touched)
	}
	for i := range changes {
		ch := &changes[i]
		switch ch.Layer {
		case "components":
			if c := befores[i].comp; c != nil {
				t.sum.addComponent(&w, c, -1)
				t.uncount(c, touched)
				mark(c.Geometry)
			}
			if c := ch.AfterComponent; c != nil {
				t.catOf(c.Category)
				t.sum.addComponent(&w, c, 1)
				t.count(c, touched)
				mark(c.Geometry)
				t.grow(c.Geometry)
			}
		case "unit_grids":
			if g := befores[i].grid; g != nil {
				t.sum.addGrid(&w, g, -1)
				mark(g.Geometry)
			}
			if g := ch.AfterUnitGrid; g != nil {
				t.sum.addGrid(&w, g, 1)
				mark(g.Geometry)
				if len(g.Geometry) > 0 {
					t.grow(g.Geometry)
				}
			}
			t.labels.Delete(data.LayerUnitGrids + "/" + "\x00" + ch.Code)
		}
	}
	if !t.fixedV {
		v := t.sum.String()
		t.version.Store(&v)
	}
	out := make([]TileAddress, 0, len(touched))
	for a := range touched {
		out = append(out, a)
	}
	return out, nil
}

// count and uncount move a component in or out of the cluster counts of
// every zoom built so far; the tiles whose clusters changed are touched.
func (t *Tileset) count(c *data.Component, touched map[TileAddress]struct{}) {
	t.countAll(c, 1, touched)
}

func (t *Tileset) uncount(c *data.Component, touched map[TileAddress]struct{}) {
	t.countAll(c, -1, touched)
}

func (t *Tileset) countAll(c *data.Component, sign int64, touched map[TileAddress]struct{}) {
	for z := range t.clusterAccs {
		if t.clusterAccs[z] == nil {
			continue // not built yet: it will be counted from the data
		}
		if tk, k, ok := t.countClusterKey(c, z, sign); ok {
			t.refreshCluster(z, tk, k)
			touched[TileAddress{z, int(tk.x), int(tk.y)}] = struct{}{}
		}
	}
}

// grow extends the tileset's bounds to a new feature.
func (t *Tileset) grow(g orb.Geometry) {
	b := g.Bound()
	if t.empty {
		t.bounds, t.empty = b, false
		return
	}
	t.bounds = t.bounds.Union(b)
}

// touch adds every tile of every zoom whose buffered extent meets b.
func (t *Tileset) touch(b orb.Bound, touched map[TileAddress]struct{}) {
	x0, y1 := mercator(b.Min)
	x1, y0 := mercator(b.Max)
	buf := float64(Buffer) / Extent
	for z := t.minZ; z <= t.maxZ; z++ {
		n := math.Ldexp(1, z)
		// A hair of margin against rounding: a tile touched for nothing
		// is drawn again with the same bytes and keeps its ETag.
		const eps = 1e-9
		tx0, tx1 := int(math.Floor(x0*n-buf-eps)), int(math.Floor(x1*n+buf+eps))
		ty0, ty1 := int(math.Floor(y0*n-buf-eps)), int(math.Floor(y1*n+buf+eps))
		for tx := max(tx0, 0); tx <= tx1 && tx < int(n); tx++ {
			for ty := max(ty0, 0); ty <= ty1 && ty < int(n); ty++ {
				touched[TileAddress{z, tx, ty}] = struct{}{}
			}
		}
	}
}

// before is the feature a change replaces, as the tileset's source holds it.
type before struct {
	comp *data.Component
	grid *data.UnitGrid
}

// finder is a Source that looks features up by code (*spatial.Index).
type finder interface {
	Component(code string) (*data.Component, bool)
	UnitGrid(code string) (*data.UnitGrid, bool)
}

// befores reads the feature each change replaces from the source (copies,
// following earlier changes of the same batch), falling back to the
// change's own Before record when the source cannot look features up. The
// data version subtracts exactly what was added for it.
func (t *Tileset) befores(changes []data.Change) []before {
	out := make([]before, len(changes))
	f, ok := t.src.(finder)
	if !ok {
		for i := range changes {
			out[i] = before{changes[i].BeforeComponent, changes[i].BeforeUnitGrid}
		}
		return out
	}
	comps := map[string]*data.Component{}
	grids := map[string]*data.UnitGrid{}
	for i := range changes {
		ch := &changes[i]
		switch ch.Layer {
		case "components":
			c, seen := comps[ch.Code]
			if !seen {
				if cur, ok := f.Component(ch.Code); ok {
					cp := *cur
					c = &cp
				}
			}
			out[i].comp = c
			comps[ch.Code] = ch.AfterComponent
		case "unit_grids":
			g, seen := grids[ch.Code]
			if !seen {
				if cur, ok := f.UnitGrid(ch.Code); ok {
					cp := *cur
					g = &cp
				}
			}
			out[i].grid = g
			grids[ch.Code] = ch.AfterUnitGrid
		}
	}
	return out
}
