package spatial

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// buckets is a uniform grid of cells over a polygon layer's extent, each
// listing the items whose bound overlaps it: the point query of the hot
// path reads one cell instead of descending an R-tree. Cells are sized so
// that a cell holds about as many items as overlap a typical point (one to
// four for unit grids). Points and bounds beyond the extent are clamped to
// the border cells, so an item inserted later outside the original extent is
// still found.
type buckets struct {
	min, max   orb.Point
	nx, ny     int
	invW, invH float64 // cells per degree
	cells      [][]cand
	// inside, when set, names for each cell c the one item covering every
	// point that falls in the cell, or -1 (see markInside), at
	// inside[c*stride+off]. Layers that share one raster interleave their
	// marks in one array, so a point query reads them all from one cache
	// line.
	inside      []int32
	stride, off int
}

// newBuckets lays out about the given number of cells over b.
func newBuckets(b orb.Bound, cellCount int) buckets {
	bk := buckets{min: b.Min, max: b.Max, nx: 1, ny: 1}
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	if cellCount > 1 && w > 0 && h > 0 {
		cells := float64(cellCount)
		// square-ish cells in degrees is good enough at city latitudes
		bk.nx = max(1, int(math.Sqrt(cells*w/h)))
		bk.ny = max(1, int(cells/float64(bk.nx)))
		bk.nx, bk.ny = min(bk.nx, 4096), min(bk.ny, 4096)
	}
	if w > 0 {
		bk.invW = float64(bk.nx) / w
	}
	if h > 0 {
		bk.invH = float64(bk.ny) / h
	}
	bk.cells = make([][]cand, bk.nx*bk.ny)
	return bk
}

func clampCell(v float64, n int) int {
	if !(v > 0) { // also NaN
		return 0
	}
	if v >= float64(n) {
		return n - 1
	}
	return int(v)
}

// covers reports whether (x, y) lies within the extent the cells were laid
// out over (marks are only consulted there).
func (bk *buckets) covers(x, y float64) bool {
	return x >= bk.min[0] && y >= bk.min[1] && x <= bk.max[0] && y <= bk.max[1]
}

// cellXY is the (clamped) cell of a point; monotone in each coordinate, so
// an item filed under the cells of its bound's corners is in the cell of
// every point of the bound.
func (bk *buckets) cellXY(x, y float64) (int, int) {
	return clampCell((x-bk.min[0])*bk.invW, bk.nx), clampCell((y-bk.min[1])*bk.invH, bk.ny)
}

func (bk *buckets) insert(b orb.Bound, item uint32) {
	x0, y0 := bk.cellXY(b.Min[0], b.Min[1])
	x1, y1 := bk.cellXY(b.Max[0], b.Max[1])
	bk.unmark(x0, y0, x1, y1)
	cd := cand{down32(b.Min[0]), down32(b.Min[1]), up32(b.Max[0]), up32(b.Max[1]), item}
	for cy := y0; cy <= y1; cy++ {
		for cx := x0; cx <= x1; cx++ {
			c := &bk.cells[cy*bk.nx+cx]
			*c = append(*c, cd)
		}
	}
}

func (bk *buckets) remove(b orb.Bound, item uint32) {
	x0, y0 := bk.cellXY(b.Min[0], b.Min[1])
	x1, y1 := bk.cellXY(b.Max[0], b.Max[1])
	bk.unmark(x0, y0, x1, y1)
	for cy := y0; cy <= y1; cy++ {
		for cx := x0; cx <= x1; cx++ {
			c := &bk.cells[cy*bk.nx+cx]
			if i := slices.IndexFunc(*c, func(cd cand) bool { return cd.item == item }); i >= 0 {
				*c = slices.Delete(*c, i, i+1)
			}
		}
	}
}

// unmark clears the interior marks of the cells (and their halo) an
// inserted or removed item touches, so edits never leave a stale mark.
func (bk *buckets) unmark(x0, y0, x1, y1 int) {
	if bk.inside == nil {
		return
	}
	for cy := max(0, y0-1); cy <= min(bk.ny-1, y1+1); cy++ {
		for cx := max(0, x0-1); cx <= min(bk.nx-1, x1+1); cx++ {
			bk.inside[(cy*bk.nx+cx)*bk.stride+bk.off] = -1
		}
	}
}

// cand is an item in a cell with its bound (rounded outwards to float32),
// so that most candidates are rejected without touching their polygon.
type cand struct {
	minX, minY, maxX, maxY float32
	item                   uint32
}

// mayContain reports whether the candidate's bound may contain (x, y).
func (c *cand) mayContain(x, y float64) bool {
	return float64(c.minX) <= x && x <= float64(c.maxX) && float64(c.minY) <= y && y <= float64(c.maxY)
}

// at returns the items whose bound may contain (x, y).
func (bk *buckets) at(x, y float64) []cand {
	cx, cy := bk.cellXY(x, y)
	return bk.cells[cy*bk.nx+cx]
}

// markInside finds the cells that no polygon boundary passes through and
// that exactly one item covers, so that a point query there needs no edge
// test at all. Every edge marks the cells the corners of its bound map to
// and all cells between. The cell mapping is monotone, so if a cell is
// unmarked, every real point of every edge lies outside the box spanned by
// the floats that map to the cell; that box is convex and holds both the
// query point and the cell's centre, so no boundary separates them and
// testing the centre decides for every point of the cell.
// The answer is exact whether or not the layer's polygons overlap (an
// overlap just leaves the cell unmarked).
func (bk *buckets) markInside(prep []prepared, inside []int32, stride, off int) {
	touched := make([]bool, len(bk.cells))
	for i := range prep {
		for _, e := range prep[i].edges {
			x0, y0 := bk.cellXY(math.Min(e.ax, e.bx), math.Min(e.ay, e.by))
			x1, y1 := bk.cellXY(math.Max(e.ax, e.bx), math.Max(e.ay, e.by))
			for cy := y0; cy <= y1; cy++ {
				for cx := x0; cx <= x1; cx++ {
					touched[cy*bk.nx+cx] = true
				}
			}
		}
	}
	bk.inside, bk.stride, bk.off = inside, stride, off
	for c := range bk.cells {
		bk.inside[c*stride+off] = -1
		if touched[c] || len(bk.cells[c]) == 0 {
			continue
		}
		cx, cy := c%bk.nx, c/bk.nx
		x := bk.min[0] + (float64(cx)+0.5)/bk.invW
		y := bk.min[1] + (float64(cy)+0.5)/bk.invH
		if gx, gy := bk.cellXY(x, y); gx != cx || gy != cy {
			continue // rounding put the centre elsewhere; leave it unmarked
		}
		found := int32(-1)
		for _, cd := range bk.cells[c] {
			if prep[cd.item].locate(x, y) != outside {
				if found >= 0 {
					found = -1 // overlapping items: leave it to the search
					break
				}
				found = int32(cd.item)
			}
		}
		bk.inside[c*stride+off] = found
	}
}

// markRaster is a raster of interior marks alone, finer than the candidate
// cells it is built from: for the unit grids, whose polygons are too small
// for the candidate cells to lie inside them.
type markRaster struct {
	geom   buckets // cell geometry only
	inside []int32
}

// newMarkRaster marks, over b in about cellCount cells, each cell that no
// edge of prep passes through and exactly one item covers (the same
// argument as buckets.markInside); candidates lists the items whose bound
// may contain a point.
func newMarkRaster(b orb.Bound, cellCount int, prep []prepared, candidates func(x, y float64) []cand) *markRaster {
	m := &markRaster{geom: newBuckets(b, cellCount)}
	m.geom.cells = nil
	g := &m.geom
	n := g.nx * g.ny
	touched := make([]bool, n)
	for i := range prep {
		for _, e := range prep[i].edges {
			x0, y0 := g.cellXY(math.Min(e.ax, e.bx), math.Min(e.ay, e.by))
			x1, y1 := g.cellXY(math.Max(e.ax, e.bx), math.Max(e.ay, e.by))
			for cy := y0; cy <= y1; cy++ {
				for cx := x0; cx <= x1; cx++ {
					touched[cy*g.nx+cx] = true
				}
			}
		}
	}
	m.inside = make([]int32, n)
	for c := range m.inside {
		m.inside[c] = -1
		if touched[c] {
			continue
		}
		cx, cy := c%g.nx, c/g.nx
		x := g.min[0] + (float64(cx)+0.5)/g.invW
		y := g.min[1] + (float64(cy)+0.5)/g.invH
		if gx, gy := g.cellXY(x, y); gx != cx || gy != cy {
			continue
		}
		found := int32(-1)
		for _, cd := range candidates(x, y) {
			if cd.mayContain(x, y) && prep[cd.item].locate(x, y) != outside {
				if found >= 0 {
					found = -1
					break
				}
				found = int32(cd.item)
			}
		}
		m.inside[c] = found
	}
	return m
}

// at returns the item marked for (x, y)'s cell, or -1. Points beyond the
// raster's extent get -1 rather than a clamped border cell.
func (m *markRaster) at(x, y float64) int {
	if !m.geom.covers(x, y) {
		return -1
	}
	cx, cy := m.geom.cellXY(x, y)
	return int(m.inside[cy*m.geom.nx+cx])
}

// unmark clears the marks of the cells b touches (and a halo), for edits.
func (m *markRaster) unmark(b orb.Bound) {
	g := &m.geom
	x0, y0 := g.cellXY(b.Min[0], b.Min[1])
	x1, y1 := g.cellXY(b.Max[0], b.Max[1])
	for cy := max(0, y0-1); cy <= min(g.ny-1, y1+1); cy++ {
		for cx := max(0, x0-1); cx <= min(g.nx-1, x1+1); cx++ {
			m.inside[cy*g.nx+cx] = -1
		}
	}
}
