package spatial

import (
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// Live edits. The store reports every committed write as data.Changes;
// Apply replays them on the index in place — the component trees (all and
// per category), the code map, the unit grids' R-tree, prepared polygons,
// point-query cells, interior-mark raster and hints — and on the dataset
// slices, so that the index stays what Build would make of the edited
// dataset (deletes move the last element of a slice into the hole, so the
// slices stay dense and a fresh Build over Dataset() is the independent
// expectation the tests compare against).
//
// Readers and Apply are separated by liveLock: a read lock held for the
// duration of one lookup (tens of nanoseconds of atomic traffic), the write
// lock for one Apply. Pointers into the dataset handed to callbacks are
// valid during the callback; a caller that keeps one past the call must
// copy the value if edits may run meanwhile.

// liveLock is a reader-preferring read/write lock whose read side may be
// taken recursively (a lookup calling another exported lookup, a batch
// fanning out to goroutines that lock again): a writer enters only when no
// reader holds the lock, and readers never wait for a writer that has not
// yet entered. state counts readers; a writer holding the lock subtracts
// writerHeld.
type liveLock struct {
	state atomic.Int64
}

const writerHeld = 1 << 40

// rlock takes the read side.
func (l *liveLock) rlock() {
	for {
		if l.state.Add(1) > 0 {
			return
		}
		// A writer is inside: back out and wait for it (yielding first,
		// then sleeping, as a large changeset holds the lock for longer).
		l.state.Add(-1)
		for spins := 0; l.state.Load() < 0; spins++ {
			if spins < 64 {
				runtime.Gosched()
			} else {
				time.Sleep(20 * time.Microsecond)
			}
		}
	}
}

// runlock releases the read side.
func (l *liveLock) runlock() { l.state.Add(-1) }

// lock takes the write side, waiting until no reader holds the lock.
func (l *liveLock) lock() {
	for spins := 0; !l.state.CompareAndSwap(0, -writerHeld); spins++ {
		if spins < 64 {
			runtime.Gosched()
		} else {
			time.Sleep(20 * time.Microsecond)
		}
	}
}

// unlock releases the write side.
func (l *liveLock) unlock() { l.state.Add(writerHeld) }

// View calls fn while holding the index's read lock: edits wait until fn
// returns, so everything fn reads through the index (and the dataset
// slices) is one consistent state. The tile encoder draws a whole tile
// inside one View. fn may call any lookup of the index, but must not call
// Apply.
func (ix *Index) View(fn func()) {
	ix.live.rlock()
	defer ix.live.runlock()
	fn()
}

// Apply replays committed changes on the index in order: components
// inserted, updated or deleted, unit grids inserted, replaced or deleted
// (a split or merge is deletes plus inserts). Lookups that start after
// Apply returns see every change; lookups running meanwhile see the state
// before or after, never a mixture.
//
// The changes are checked first against the index as it is (an insert of
// an existing code, an update or delete of a missing one, an unknown layer
// or a missing After feature is an error wrapping data.ErrConflict or a
// *data.ValidationError) and nothing is applied when one fails.
func (ix *Index) Apply(changes []data.Change) error {
	if len(changes) == 0 {
		return nil
	}
	ix.live.lock()
	defer ix.live.unlock()
	if err := ix.checkChanges(changes); err != nil {
		return err
	}
	// The unit-grid slice may be shared (the geocoder indexes the same
	// polygons): edit a copy. Grid edits are rare and the slice small.
	for i := range changes {
		if changes[i].Layer == data.LayerUnitGrids {
			ix.ds.UnitGrids = slices.Clone(ix.ds.UnitGrids)
			break
		}
	}
	var remark []orb.Bound
	for i := range changes {
		ch := &changes[i]
		switch ch.Layer {
		case data.LayerComponents:
			ix.applyComponent(ch)
		case data.LayerUnitGrids:
			if g, ok := ix.gridByCode(ch.Code); ok && len(g.Geometry) > 0 {
				remark = append(remark, g.Geometry.Bound())
			}
			ix.applyUnitGrid(ch)
			if g := ch.AfterUnitGrid; g != nil && len(g.Geometry) > 0 {
				remark = append(remark, g.Geometry.Bound())
			}
		}
	}
	for _, b := range remark {
		ix.remarkGrids(b)
	}
	return nil
}

// gridByCode is UnitGrid for callers already holding the lock (UnitGrid
// itself would wait for Apply).
func (ix *Index) gridByCode(code string) (*data.UnitGrid, bool) {
	i, ok := ix.grids.byCode[code]
	if !ok || ix.grids.ds[i] < 0 {
		return nil, false
	}
	return &ix.ds.UnitGrids[ix.grids.ds[i]], true
}

// checkChanges validates a sequence of changes against the current index,
// following the codes each change adds or removes.
func (ix *Index) checkChanges(changes []data.Change) error {
	type key struct {
		layer, code string
	}
	overlay := map[key]bool{} // code → exists after the changes so far
	exists := func(k key) bool {
		if v, ok := overlay[k]; ok {
			return v
		}
		switch k.layer {
		case data.LayerComponents:
			_, ok := ix.compByCode[k.code]
			return ok
		default:
			_, ok := ix.grids.byCode[k.code]
			return ok
		}
	}
	for i := range changes {
		ch := &changes[i]
		field := fmt.Sprintf("changes[%d]", i)
		var after bool
		switch ch.Layer {
		case data.LayerComponents:
			after = ch.AfterComponent != nil
			if after && ch.AfterComponent.Code != ch.Code {
				return &data.ValidationError{Field: field + ".after.code", Reason: fmt.Sprintf("component code %q is not the change's code %q", ch.AfterComponent.Code, ch.Code)}
			}
			if after && ch.AfterComponent.Geometry == nil {
				return &data.ValidationError{Field: field + ".after.geometry", Reason: "component " + ch.Code + " has no geometry"}
			}
		case data.LayerUnitGrids:
			after = ch.AfterUnitGrid != nil
			if after && ch.AfterUnitGrid.Code != ch.Code {
				return &data.ValidationError{Field: field + ".after.code", Reason: fmt.Sprintf("unit grid code %q is not the change's code %q", ch.AfterUnitGrid.Code, ch.Code)}
			}
		default:
			return &data.ValidationError{Field: field + ".layer", Reason: fmt.Sprintf("layer %q is not live-indexed (components, unit_grids)", ch.Layer)}
		}
		k := key{ch.Layer, ch.Code}
		had := exists(k)
		switch ch.Op {
		case data.OpInsert:
			if had {
				return fmt.Errorf("%s: insert of %s %s, which exists: %w", field, ch.Layer, ch.Code, data.ErrConflict)
			}
		case data.OpUpdate, data.OpDelete:
			if !had {
				return fmt.Errorf("%s: %s of %s %s, which does not exist: %w", field, ch.Op, ch.Layer, ch.Code, data.ErrConflict)
			}
		default:
			return &data.ValidationError{Field: field + ".op", Reason: fmt.Sprintf("unknown operation %q", ch.Op)}
		}
		if ch.Op != data.OpDelete && !after {
			return &data.ValidationError{Field: field + ".after", Reason: fmt.Sprintf("%s of %s %s without the feature after it", ch.Op, ch.Layer, ch.Code)}
		}
		overlay[k] = ch.Op != data.OpDelete
	}
	return nil
}

// applyComponent replays one checked component change.
func (ix *Index) applyComponent(ch *data.Change) {
	cs := &ix.ds.Components
	switch ch.Op {
	case data.OpInsert:
		*cs = append(*cs, *ch.AfterComponent)
		_ = ix.insertComponent(len(*cs) - 1) // checked: the code is new
	case data.OpUpdate:
		i := ix.compByCode[ch.Code]
		ix.removeComponent(ch.Code)
		(*cs)[i] = *ch.AfterComponent
		_ = ix.insertComponent(int(i))
	case data.OpDelete:
		i := ix.compByCode[ch.Code]
		ix.removeComponent(ch.Code)
		last := uint32(len(*cs) - 1)
		if i != last {
			// Move the last component into the hole.
			moved := (*cs)[last].Code
			ix.removeComponent(moved)
			(*cs)[i] = (*cs)[last]
			_ = ix.insertComponent(int(i))
		}
		(*cs)[last] = data.Component{}
		*cs = (*cs)[:last]
		ix.compPt = ix.compPt[:last]
		ix.compShape = ix.compShape[:last]
	}
}

// applyUnitGrid replays one checked unit-grid change.
func (ix *Index) applyUnitGrid(ch *data.Change) {
	gs := &ix.ds.UnitGrids
	l := &ix.grids
	switch ch.Op {
	case data.OpInsert:
		*gs = append(*gs, *ch.AfterUnitGrid)
		ix.addGrid(len(*gs) - 1)
	case data.OpUpdate:
		di := l.ds[l.byCode[ch.Code]]
		l.remove(ch.Code)
		(*gs)[di] = *ch.AfterUnitGrid
		ix.addGrid(int(di))
	case data.OpDelete:
		di := int(l.ds[l.byCode[ch.Code]])
		l.remove(ch.Code)
		last := len(*gs) - 1
		if di != last {
			(*gs)[di] = (*gs)[last]
			l.ds[l.byCode[(*gs)[di].Code]] = int32(di)
		}
		(*gs)[last] = data.UnitGrid{}
		*gs = (*gs)[:last]
	}
}

// addGrid indexes ds.UnitGrids[di] as a new layer item and gives it the
// hints Build would: its community by code and the management grid of each
// kind covering its interior.
func (ix *Index) addGrid(di int) {
	g := &ix.ds.UnitGrids[di]
	l := &ix.grids
	_ = l.add(g.Code, di, g.Geometry) // checked: the code is free
	item := len(l.prep) - 1
	comm := int32(-1)
	if j, ok := ix.admin[2].byCode[g.Community]; ok {
		comm = int32(j)
	}
	for len(ix.gridComm) < item {
		ix.gridComm = append(ix.gridComm, -1)
	}
	ix.gridComm = append(ix.gridComm[:item], comm)
	p, ok := l.prep[item].interiorPoint()
	for k := range ix.gridMgmtHint {
		h := int32(-1)
		if ok {
			h = int32(ix.mgmtK[k].covering(p[0], p[1]))
		}
		hs := ix.gridMgmtHint[k]
		for len(hs) < item {
			hs = append(hs, -1)
		}
		ix.gridMgmtHint[k] = append(hs[:item], h)
	}
}

// ComponentsIn calls fn for each component of the given categories whose
// geometry's bound intersects b, until fn returns false: Components over
// the per-category trees, for callers (the tile encoder at zooms where only
// some categories are drawn) that want a few categories of a large area.
func (ix *Index) ComponentsIn(categories []string, b orb.Bound, fn func(*data.Component) bool) {
	ix.live.rlock()
	defer ix.live.runlock()
	for _, cat := range categories {
		if !ix.componentsOf(cat, b, fn) {
			return
		}
	}
}

// remarkGrids restores the unit grids' interior marks over b (and the halo
// add and remove cleared around it) after edits: each cell of the window
// that no edge of a nearby grid passes through and exactly one grid covers
// is marked again, by the same rule newMarkRaster follows, so that
// locate's fast path survives edits instead of wearing away.
func (ix *Index) remarkGrids(b orb.Bound) {
	l := &ix.grids
	m := l.marks
	if m == nil || l.cells == nil {
		return
	}
	g := &m.geom
	x0, y0 := g.cellXY(b.Min[0], b.Min[1])
	x1, y1 := g.cellXY(b.Max[0], b.Max[1])
	x0, y0 = max(0, x0-1), max(0, y0-1)
	x1, y1 = min(g.nx-1, x1+1), min(g.ny-1, y1+1)
	w := x1 - x0 + 1
	touched := make([]bool, w*(y1-y0+1))
	// The grids whose bound reaches the window: those filed in the
	// candidate cells the window overlaps.
	win := orb.Bound{
		Min: orb.Point{g.min[0] + float64(x0)/g.invW, g.min[1] + float64(y0)/g.invH},
		Max: orb.Point{g.min[0] + float64(x1+1)/g.invW, g.min[1] + float64(y1+1)/g.invH},
	}
	seen := map[uint32]bool{}
	bx0, by0 := l.cells.cellXY(win.Min[0], win.Min[1])
	bx1, by1 := l.cells.cellXY(win.Max[0], win.Max[1])
	for by := by0; by <= by1; by++ {
		for bx := bx0; bx <= bx1; bx++ {
			for _, cd := range l.cells.cells[by*l.cells.nx+bx] {
				if seen[cd.item] {
					continue
				}
				seen[cd.item] = true
				for _, e := range l.prep[cd.item].edges {
					ex0, ey0 := g.cellXY(min(e.ax, e.bx), min(e.ay, e.by))
					ex1, ey1 := g.cellXY(max(e.ax, e.bx), max(e.ay, e.by))
					for cy := max(ey0, y0); cy <= min(ey1, y1); cy++ {
						for cx := max(ex0, x0); cx <= min(ex1, x1); cx++ {
							touched[(cy-y0)*w+cx-x0] = true
						}
					}
				}
			}
		}
	}
	for cy := y0; cy <= y1; cy++ {
		for cx := x0; cx <= x1; cx++ {
			c := cy*g.nx + cx
			m.inside[c] = -1
			if touched[(cy-y0)*w+cx-x0] {
				continue
			}
			x := g.min[0] + (float64(cx)+0.5)/g.invW
			y := g.min[1] + (float64(cy)+0.5)/g.invH
			if gx, gy := g.cellXY(x, y); gx != cx || gy != cy {
				continue
			}
			found := int32(-1)
			for _, cd := range l.cells.at(x, y) {
				if cd.mayContain(x, y) && l.prep[cd.item].locate(x, y) != outside {
					if found >= 0 {
						found = -1
						break
					}
					found = int32(cd.item)
				}
			}
			m.inside[c] = found
		}
	}
}
