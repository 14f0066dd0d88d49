package demo

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// Lattice cell sizes in metres: column widths and row heights are drawn
// from [cellMin, cellMax] and every vertex is moved by up to ±cellJitter.
// The extremes give cells between about 5,500 and 16,000 m², inside the
// 5,000–20,000 m² a unit grid may have; the mean is 10,000 m².
const (
	cellMin    = 82.0
	cellMax    = 118.0
	cellJitter = 4.0
	cellMean   = (cellMin + cellMax) / 2
)

// buildOutline lays the lattice and marks the district's cells: an
// irregular, star-shaped outline (a wobbling ellipse, longer east–west)
// sized to the scale's number of cells, then its largest connected piece
// with any enclosed gaps filled, so the district is one polygon without
// holes.
func (c *city) buildOutline(ctx context.Context) error {
	rng := c.rng(1)
	target := math.Round(fullCells * c.areaF)
	// An ellipse 2:1, its long axis running north-east to south-west as
	// the real district's does (from 中华门 down to 板桥 on the Yangtze).
	const ex, ey = 1.4, 0.7
	rot := 35 * math.Pi / 180
	cosR, sinR := math.Cos(rot), math.Sin(rot)
	type harmonic struct{ k, a, phase float64 }
	var hs []harmonic
	for k := 2; k <= 11; k++ {
		hs = append(hs, harmonic{float64(k), (0.06 + 0.12*rng.Float64()) * 2 / float64(k), rng.Float64() * 2 * math.Pi})
	}
	g := func(theta float64) float64 {
		r := 1.0
		for _, h := range hs {
			r += h.a * math.Cos(h.k*theta+h.phase)
		}
		return r
	}
	// ∫ g² dθ for the area of the star-shaped outline.
	var int2, gmax float64
	const steps = 720
	for s := 0; s < steps; s++ {
		v := g(2 * math.Pi * float64(s) / steps)
		int2 += v * v * 2 * math.Pi / steps
		gmax = math.Max(gmax, v)
	}
	area := target * cellMean * cellMean
	r0 := math.Sqrt(2 * area / (int2 * ex * ey))
	reachX := r0 * gmax * math.Hypot(ex*cosR, ey*sinR)
	reachY := r0 * gmax * math.Hypot(ex*sinR, ey*cosR)
	nx := int(math.Ceil(2*reachX*1.15/cellMin)) + 6
	ny := int(math.Ceil(2*reachY*1.15/cellMin)) + 6
	c.l = newLattice(rng, newLocalProjection(centreLon, centreLat), nx, ny, cellMin, cellMax, cellJitter)
	l := c.l
	centres := make([][2]float64, nx*ny)
	for k := range centres {
		x, y := l.centre(k)
		// rotate back onto the ellipse's axes, then squash
		centres[k] = [2]float64{(x*cosR + y*sinR) / ex, (-x*sinR + y*cosR) / ey}
	}
	mark := func(r float64) int {
		n := 0
		for k, p := range centres {
			in := math.Hypot(p[0], p[1]) <= r*g(math.Atan2(p[1], p[0]))
			l.inside[k] = in
			if in {
				n++
			}
		}
		return n
	}
	// Bisect the radius until the cell count is within 0.5 % of target.
	lo, hi := r0*0.7, r0*1.3
	for it := 0; it < 30; it++ {
		mid := (lo + hi) / 2
		n := mark(mid)
		if math.Abs(float64(n)-target) <= 0.005*target {
			break
		}
		if float64(n) < target {
			lo = mid
		} else {
			hi = mid
		}
	}
	// Keep the piece connected to the centre cell.
	start := l.cell(nx/2, ny/2)
	if !l.inside[start] {
		return fmt.Errorf("outline misses the centre cell")
	}
	reach := make([]bool, nx*ny)
	queue := []int{start}
	reach[start] = true
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		l.neighbours4(k, func(nb int) {
			if l.inside[nb] && !reach[nb] {
				reach[nb] = true
				queue = append(queue, nb)
			}
		})
	}
	// Fill gaps the outside cannot reach.
	outside := make([]bool, nx*ny)
	queue = queue[:0]
	for k := range outside {
		i, j := l.cellIJ(k)
		if (i == 0 || j == 0 || i == nx-1 || j == ny-1) && !reach[k] {
			outside[k] = true
			queue = append(queue, k)
		}
	}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		l.neighbours4(k, func(nb int) {
			if !reach[nb] && !outside[nb] {
				outside[nb] = true
				queue = append(queue, nb)
			}
		})
	}
	for k := range l.inside {
		l.inside[k] = !outside[k]
	}
	return nil
}

// streetAnchor places each street roughly where it lies in the real
// district, as a fraction of the outline's bounding box (x east, y north).
var streetAnchor = map[string][2]float64{
	"320114001": {0.78, 0.80}, // 雨花街道
	"320114002": {0.72, 0.95}, // 赛虹桥街道
	"320114004": {0.40, 0.62}, // 西善桥街道
	"320114005": {0.10, 0.15}, // 板桥街道
	"320114006": {0.92, 0.62}, // 铁心桥街道
	"320114007": {0.30, 0.22}, // 梅山街道
	"320114008": {0.55, 0.25}, // 古雄街道
	"320114400": {0.50, 0.42}, // 雨花经济开发区
	"320114402": {0.70, 0.58}, // 中国（南京）软件谷
}

// communityWeight is a community's share of area relative to an urban
// residents' committee: villages (村委会) are large, the software park's
// communities medium.
func communityWeight(d division) float64 {
	switch {
	case strings.HasSuffix(d.name, "村委会"):
		return 3
	case strings.Contains(d.name, "软件谷"):
		return 1.6
	}
	return 1
}

// insideCells lists the district's cells in index order.
func (c *city) insideCells() []int {
	var cells []int
	for k, in := range c.l.inside {
		if in {
			cells = append(cells, k)
		}
	}
	return cells
}

// between reports what separates neighbouring cells a and b: whether a
// road or the river runs along their common edge, and whether that is a
// major road or the river.
func (c *city) between(a, b int) (any, major bool) {
	l := c.l
	if a > b {
		a, b = b, a
	}
	i, j := l.cellIJ(a)
	var r int32
	if b == a+1 { // b east of a: vertical edge on line i+1
		r = c.vRoad[c.vEdge(i+1, j)]
	} else { // b north of a: horizontal edge on line j+1
		if j+1 == c.riverJ {
			return true, true
		}
		r = c.hRoad[c.hEdge(i, j+1)]
	}
	if r < 0 {
		return false, false
	}
	return true, c.roads[r].major
}

func (c *city) anyRoadBetween(a, b int) bool   { x, _ := c.between(a, b); return x }
func (c *city) majorRoadBetween(a, b int) bool { _, x := c.between(a, b); return x }

// buildDivisions splits the district into its streets over blocks bounded
// by major roads and the river, each street into its communities over
// blocks bounded by any road, and traces the district, street and
// community polygons. Where blocks are too coarse for the number of
// regions (small scales), regions grow cell by cell instead.
func (c *city) buildDivisions(ctx context.Context) error {
	l := c.l
	cells := c.insideCells()
	n := l.nx * l.ny
	c.cellStreet = make([]int32, n)
	c.cellComm = make([]int32, n)
	for k := range c.cellStreet {
		c.cellStreet[k], c.cellComm[k] = -1, -1
	}
	minI, minJ, maxI, maxJ := l.nx, l.ny, 0, 0
	for _, k := range cells {
		i, j := l.cellIJ(k)
		minI, minJ = min(minI, i), min(minJ, j)
		maxI, maxJ = max(maxI, i), max(maxJ, j)
	}
	streets := c.dv.streets
	var cw [][]float64
	for s := range streets {
		var w []float64
		for _, cm := range c.dv.communities[s] {
			w = append(w, communityWeight(cm))
		}
		cw = append(cw, w)
	}
	// Streets: seeds near their real places, growth weighted by their
	// communities' areas. Growth can box a street in before it reaches
	// its size; then try another stream, and at last single cells.
	blocks := newUnitGraph(l, cells, c.majorRoadBetween)
	for attempt := uint64(0); ; attempt++ {
		if attempt == 6 {
			blocks = newUnitGraph(l, cells, nil)
		}
		if attempt == 16 {
			return fmt.Errorf("could not split the district into streets")
		}
		rng := c.rng(20 + attempt)
		seeds := make([]int, len(streets))
		targets := make([]float64, len(streets))
		used := map[int]bool{}
		for s, st := range streets {
			a := streetAnchor[st.code]
			tx := minI + int(a[0]*float64(maxI-minI))
			ty := minJ + int(a[1]*float64(maxJ-minJ))
			best, bestD := -1, math.MaxInt
			for _, k := range cells {
				i, j := l.cellIJ(k)
				u := int(blocks.of[k])
				if d := (i-tx)*(i-tx) + (j-ty)*(j-ty); d < bestD && !used[u] {
					best, bestD = u, d
				}
			}
			seeds[s] = best
			used[best] = true
			for _, w := range cw[s] {
				targets[s] += w
			}
		}
		label := blocks.grow(rng, seeds, targets)
		counts := make([]int, len(streets))
		for _, k := range cells {
			s := label[blocks.of[k]]
			c.cellStreet[k] = s
			counts[s]++
		}
		ok := true
		for s := range streets {
			if counts[s] < 2*len(cw[s]) {
				ok = false
			}
		}
		if ok {
			break
		}
	}
	// Communities inside each street.
	rng := c.rng(30)
	streetCells := make([][]int, len(streets))
	for _, k := range cells {
		s := c.cellStreet[k]
		streetCells[s] = append(streetCells[s], k)
	}
	for s := range streets {
		sc := streetCells[s]
		g := newUnitGraph(l, sc, c.anyRoadBetween)
		if len(g.cells) < 2*len(cw[s]) {
			g = newUnitGraph(l, sc, nil)
		}
		seeds := g.spreadSeeds(rng, len(cw[s]), 6)
		label := g.grow(rng, seeds, cw[s])
		base := int32(len(c.comms))
		for _, k := range sc {
			c.cellComm[k] = base + label[g.of[k]]
		}
		for _, cm := range c.dv.communities[s] {
			c.comms = append(c.comms, cm)
			c.commStreet = append(c.commStreet, s)
		}
	}
	commCells := make([][]int, len(c.comms))
	for _, k := range cells {
		cm := c.cellComm[k]
		commCells[cm] = append(commCells[cm], k)
	}
	for cm, cc := range commCells {
		if len(cc) == 0 {
			return fmt.Errorf("community %s got no cells", c.comms[cm].code)
		}
		if len(cc) > 999 {
			return fmt.Errorf("community %s has %d cells, more than a 3-digit sequence can number", c.comms[cm].code, len(cc))
		}
	}
	// Polygons: district, then streets, then communities.
	d := c.dv.district
	c.ds.AdminUnits = append(c.ds.AdminUnits, data.AdminUnit{
		Level: data.LevelDistrict, Code: d.code, Name: d.name, Parent: d.parent,
		Geometry: l.trace(cells, func(k int) bool { return l.inside[k] }),
	})
	for s, st := range streets {
		s32 := int32(s)
		c.ds.AdminUnits = append(c.ds.AdminUnits, data.AdminUnit{
			Level: data.LevelStreet, Code: st.code, Name: st.name, Parent: st.parent,
			Geometry: l.trace(streetCells[s], func(k int) bool { return c.cellStreet[k] == s32 }),
		})
	}
	for cm, dvs := range c.comms {
		cm32 := int32(cm)
		c.ds.AdminUnits = append(c.ds.AdminUnits, data.AdminUnit{
			Level: data.LevelCommunity, Code: dvs.code, Name: dvs.name, Parent: dvs.parent,
			Geometry: l.trace(commCells[cm], func(k int) bool { return c.cellComm[k] == cm32 }),
		})
	}
	return nil
}

// buildUnitGrids makes the unit grids: one per lattice cell, except that
// some small cells are merged with their eastern neighbour in the same
// block (no road between them) into one grid of up to 16,000 m². Grids are
// numbered inside each community west→east, north→south (GB/T 30428.1) by
// their north-western cell.
func (c *city) buildUnitGrids(ctx context.Context) error {
	l := c.l
	rng := c.rng(35)
	commCells := make([][]int, len(c.comms))
	for _, k := range c.insideCells() {
		cm := c.cellComm[k]
		commCells[cm] = append(commCells[cm], k)
	}
	c.cellGrid = make([]int32, l.nx*l.ny)
	for k := range c.cellGrid {
		c.cellGrid[k] = -1
	}
	cellArea := func(k int) float64 { return data.AreaM2(orb.MultiPolygon{{l.cellRing(k)}}) }
	grids := make([]data.UnitGrid, 0, len(c.l.inside))
	for cm, cc := range commCells {
		sort.Slice(cc, func(a, b int) bool {
			ia, ja := l.cellIJ(cc[a])
			ib, jb := l.cellIJ(cc[b])
			if ja != jb {
				return ja > jb // north first
			}
			return ia < ib // then west first
		})
		code := c.comms[cm].code
		seq := 0
		for _, k := range cc {
			if c.cellGrid[k] >= 0 {
				continue // merged into its western neighbour's grid
			}
			seq++
			id := int32(len(grids))
			c.cellGrid[k] = id
			geom := orb.MultiPolygon{{l.cellRing(k)}}
			area := data.AreaM2(geom)
			i, _ := l.cellIJ(k)
			if e := k + 1; i+1 < l.nx && c.cellComm[e] == int32(cm) && area < 8500 && !c.anyRoadBetween(k, e) && rng.IntN(3) > 0 {
				if both := area + cellArea(e); both <= 16000 {
					c.cellGrid[e] = id
					pair := []int{k, e}
					geom = l.trace(pair, func(x int) bool { return x == k || x == e })
					area = data.AreaM2(geom)
				}
			}
			grids = append(grids, data.UnitGrid{
				Code:      fmt.Sprintf("%s%03d", code, seq),
				Community: code,
				Geometry:  geom,
				AreaM2:    area,
			})
		}
	}
	c.ds.UnitGrids = grids
	return nil
}

// Management-grid codes follow CJ/T 349-2010's 20-digit professional grid
// code: a 6-digit managed-object code, the 9-digit street code, a 3-digit
// community part (601 upward for grids that merge communities, as CJ/T 349
// codes merged communities) and a 2-digit sequence (00).
const (
	objectResponsibility = "100100" // 责任网格 (demo's object code)
	objectInspector      = "100200" // 监督员工作网格 (demo's object code)
)

// buildManagementGrids splits every street into about 70 responsibility
// grids and, independently, about 100 inspector work grids (at scale 1),
// each a 4-connected union of whole unit grids.
func (c *city) buildManagementGrids(ctx context.Context) error {
	l := c.l
	cells := c.insideCells()
	streets := c.dv.streets
	streetCells := make([][]int, len(streets))
	for _, k := range cells {
		s := c.cellStreet[k]
		streetCells[s] = append(streetCells[s], k)
	}
	kinds := []struct {
		kind, object, label string
		total               float64
		phase               uint64
	}{
		{data.KindResponsibility, objectResponsibility, "责任网格", 70, 40},
		{data.KindInspector, objectInspector, "监督员工作网格", 100, 41},
	}
	label := make([]int32, l.nx*l.ny)
	for _, kd := range kinds {
		rng := c.rng(kd.phase)
		for s, st := range streets {
			sc := streetCells[s]
			n := int(math.Round(kd.total * c.areaF * float64(len(sc)) / float64(len(cells))))
			n = max(1, min(n, len(sc)/2, 99))
			ug := newUnitGraph(l, sc, c.anyRoadBetween)
			if len(ug.cells) < 2*n {
				ug = newUnitGraph(l, sc, nil)
			}
			seeds := ug.spreadSeeds(rng, n, 6)
			targets := make([]float64, n)
			for k := range targets {
				targets[k] = 0.7 + 0.6*rng.Float64()
			}
			ul := ug.grow(rng, seeds, targets)
			s32 := int32(s)
			members := make([][]int, n)
			for _, k := range sc {
				label[k] = ul[ug.of[k]]
				members[label[k]] = append(members[label[k]], k)
			}
			for g := 0; g < n; g++ {
				g32 := int32(g)
				unit := streetOfficeCode(st.code)
				switch {
				case kd.kind == data.KindInspector:
					unit = deptCollect
				case rng.IntN(5) == 0:
					unit = propertyCompanies[rng.IntN(len(propertyCompanies))].code
				}
				if kd.kind == data.KindResponsibility {
					c.respGrids = append(c.respGrids, len(c.ds.ManagementGrids))
				}
				c.ds.ManagementGrids = append(c.ds.ManagementGrids, data.ManagementGrid{
					Kind:     kd.kind,
					Code:     fmt.Sprintf("%s%s%03d00", kd.object, st.code, 601+g),
					Name:     fmt.Sprintf("%s第%d%s", st.name, g+1, kd.label),
					Unit:     unit,
					Geometry: l.trace(members[g], func(k int) bool { return c.cellStreet[k] == s32 && label[k] == g32 }),
				})
			}
		}
	}
	return nil
}
