package spatial

import (
	"fmt"
	"math/rand/v2"
	"time"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// synthCity is a small city built for tests, independent of the demo
// generator: a jittered lattice of quadrilateral unit grids (so edges are
// diagonal and shared exactly between neighbours), communities and streets
// as blocks of cells, two kinds of management grids on other block sizes
// (so they cross community borders), one grid with a hole filled by an
// island grid, and one two-part multipolygon grid.
type synthCity struct {
	ds     *data.Dataset
	nx, ny int
	verts  [][]orb.Point // (nx+1) × (ny+1) lattice vertices
	bound  orb.Bound
}

const (
	synthLon0 = 118.70
	synthLat0 = 31.95
	synthCell = 0.001 // degrees, about 95 m × 111 m
)

func newSynthCity(seed uint64, nx, ny, componentsPerCell int) *synthCity {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	sc := &synthCity{ds: &data.Dataset{}, nx: nx, ny: ny}
	sc.verts = make([][]orb.Point, nx+1)
	for i := 0; i <= nx; i++ {
		sc.verts[i] = make([]orb.Point, ny+1)
		for j := 0; j <= ny; j++ {
			x := synthLon0 + float64(i)*synthCell
			y := synthLat0 + float64(j)*synthCell
			// Jitter interior vertices; every third column stays straight
			// so some edges are exactly meridians.
			if i > 0 && i < nx && j > 0 && j < ny && i%3 != 0 {
				x += (r.Float64() - 0.5) * 0.6 * synthCell
				y += (r.Float64() - 0.5) * 0.6 * synthCell
			}
			sc.verts[i][j] = orb.Point{x, y}
		}
	}
	sc.bound = orb.Bound{Min: sc.verts[0][0], Max: sc.verts[nx][ny]}
	ds := sc.ds
	ds.AdminUnits = append(ds.AdminUnits, data.AdminUnit{Level: data.LevelDistrict, Code: "320114", Name: "测试区", Parent: "3201",
		Geometry: orb.MultiPolygon{{sc.blockRing(0, 0, nx, ny)}}})
	const commW, commH, commPerStreet = 5, 4, 3
	type comm struct {
		code string
		seq  int
	}
	comms := map[[2]int]*comm{}
	streetSeq, commSeq := 0, 0
	for cj := 0; cj*commH < ny; cj++ {
		for ci := 0; ci*commW < nx; ci += commPerStreet {
			streetSeq++
			street := fmt.Sprintf("320114%03d", streetSeq)
			i0, j0 := ci*commW, cj*commH
			i1, j1 := min(nx, (ci+commPerStreet)*commW), min(ny, j0+commH)
			ds.AdminUnits = append(ds.AdminUnits, data.AdminUnit{Level: data.LevelStreet, Code: street, Name: "街道" + street, Parent: "320114",
				Geometry: orb.MultiPolygon{{sc.blockRing(i0, j0, i1, j1)}}})
			for k := 0; k < commPerStreet && (ci+k)*commW < nx; k++ {
				commSeq++
				code := fmt.Sprintf("%s%03d", street, commSeq)
				ci0 := (ci + k) * commW
				ci1 := min(nx, ci0+commW)
				ds.AdminUnits = append(ds.AdminUnits, data.AdminUnit{Level: data.LevelCommunity, Code: code, Name: "社区" + code, Parent: street,
					Geometry: orb.MultiPolygon{{sc.blockRing(ci0, j0, ci1, j1)}}})
				comms[[2]int{ci + k, cj}] = &comm{code: code}
			}
		}
	}
	// Unit grids, numbered north→south, west→east inside each community.
	for j := ny - 1; j >= 0; j-- {
		for i := 0; i < nx; i++ {
			c := comms[[2]int{i / commW, j / commH}]
			c.seq++
			code := fmt.Sprintf("%s%03d", c.code, c.seq)
			g := data.UnitGrid{Code: code, Community: c.code, Geometry: orb.MultiPolygon{{sc.blockRing(i, j, i+1, j+1)}}}
			ds.UnitGrids = append(ds.UnitGrids, g)
		}
	}
	// A hole: cell (1,1)'s grid gets an inner quad cut out, which becomes
	// an island grid of the same community.
	if nx > 3 && ny > 3 {
		gi := sc.gridIndex(1, 1)
		outer := ds.UnitGrids[gi].Geometry[0][0]
		c := centroid(outer)
		var hole orb.Ring
		for _, k := range []int{0, 3, 2, 1, 0} { // clockwise
			v := outer[k]
			hole = append(hole, orb.Point{c[0] + (v[0]-c[0])*0.4, c[1] + (v[1]-c[1])*0.4})
		}
		ds.UnitGrids[gi].Geometry = orb.MultiPolygon{{outer, hole}}
		island := hole.Clone()
		island.Reverse()
		comm := ds.UnitGrids[gi].Community
		cc := comms[[2]int{1 / commW, 1 / commH}]
		cc.seq++
		ds.UnitGrids = append(ds.UnitGrids, data.UnitGrid{Code: fmt.Sprintf("%s%03d", comm, cc.seq), Community: comm, Geometry: orb.MultiPolygon{{island}}})
	}
	// A multipolygon: cell (3,2)'s grid also owns cell (3,0)'s area; cell
	// (3,0)'s own grid is dropped. Both cells are in community (0,0).
	if nx > 4 && ny > 3 {
		a, b := sc.gridIndex(3, 2), sc.gridIndex(3, 0)
		ds.UnitGrids[a].Geometry = append(ds.UnitGrids[a].Geometry, ds.UnitGrids[b].Geometry...)
		ds.UnitGrids = append(ds.UnitGrids[:b], ds.UnitGrids[b+1:]...)
	}
	for i := range ds.UnitGrids {
		ds.UnitGrids[i].AreaM2 = data.AreaM2(ds.UnitGrids[i].Geometry)
	}
	// Management grids on their own block sizes.
	for _, mk := range []struct {
		kind   string
		w, h   int
		prefix string
	}{{data.KindResponsibility, 3, 3, "R"}, {data.KindInspector, 4, 5, "I"}} {
		n := 0
		for j := 0; j < ny; j += mk.h {
			for i := 0; i < nx; i += mk.w {
				n++
				ds.ManagementGrids = append(ds.ManagementGrids, data.ManagementGrid{
					Kind: mk.kind, Code: fmt.Sprintf("%s%04d", mk.prefix, n), Name: fmt.Sprintf("%s grid %d", mk.kind, n),
					Unit: "D01", Geometry: orb.MultiPolygon{{sc.blockRing(i, j, min(nx, i+mk.w), min(ny, j+mk.h))}},
				})
			}
		}
	}
	ds.Departments = []data.Department{
		{Code: "C00", Name: "城市管理指挥中心", Kind: data.DeptCentre},
		{Code: "D01", Name: "城管局", Kind: data.DeptBureau},
		{Code: "D02", Name: "市政局", Kind: data.DeptBureau},
		{Code: "U01", Name: "供电公司", Kind: data.DeptUtility},
		{Code: "U02", Name: "自来水公司", Kind: data.DeptUtility},
		{Code: "S01", Name: "街道办", Kind: data.DeptStreet},
	}
	ds.Categories = []data.Category{
		{Scheme: data.SchemeGBT30428, Kind: data.KindComponent, Code: "0101", Name: "上水井盖", Big: "01", Geometry: data.GeomPoint, Department: "U02"},
		{Scheme: data.SchemeGBT30428, Kind: data.KindComponent, Code: "0109", Name: "电力井盖", Big: "01", Geometry: data.GeomPoint, Department: "U01"},
		{Scheme: data.SchemeGBT30428, Kind: data.KindComponent, Code: "0201", Name: "路灯", Big: "02", Geometry: data.GeomPoint, Department: "D02"},
		{Scheme: data.SchemeGBT30428, Kind: data.KindComponent, Code: "0301", Name: "护栏", Big: "03", Geometry: data.GeomLine, Department: ""},
		{Scheme: data.SchemeGBT30428, Kind: data.KindEvent, Code: "0101", Name: "暴露垃圾", Big: "01"},
	}
	// Events have their own code space; give the event a distinct code so
	// the one catalogue map can hold both.
	ds.Categories[4].Code = "E0101"
	cats := []string{"0101", "0109", "0201"}
	seq := map[string]int{}
	day := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, g := range ds.UnitGrids {
		b := g.Geometry.Bound()
		pp := prepare(g.Geometry)
		for k := 0; k < componentsPerCell; k++ {
			cat := cats[r.IntN(len(cats))]
			var p orb.Point
			for tries := 0; tries < 20; tries++ {
				p = orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
				if pp.covers(p[0], p[1]) {
					break
				}
			}
			seq[cat]++
			owner := ds.Categories[catIndex(ds, cat)].Department
			ds.Components = append(ds.Components, data.Component{
				Code: data.ComponentCode("320114", cat, seq[cat]), Category: cat, Name: cat, Geometry: p,
				Department: owner, Owner: owner, Maintainer: owner, Status: data.StatusIntact, UnitGrid: g.Code,
				SurveyDate: day, ChangedAt: day, Version: 1,
			})
		}
	}
	// A few guard rails as lines, along the southern lattice row.
	for i := 0; i+1 < nx && i < 6; i++ {
		seq["0301"]++
		ls := orb.LineString{sc.verts[i][1], sc.verts[i+1][1]}
		ds.Components = append(ds.Components, data.Component{
			Code: data.ComponentCode("320114", "0301", seq["0301"]), Category: "0301", Name: "护栏", Geometry: ls,
			Owner: "D02", Status: data.StatusIntact, Version: 1,
		})
	}
	ds.Rules = []data.Rule{
		{ID: 1, Category: "E0101", Scope: data.ScopeCity, Unit: "D01", Priority: 0},
		{ID: 2, Category: "E0101", Scope: data.ScopeStreet, ScopeRef: "320114001", Unit: "S01", Priority: 0},
		{ID: 3, Category: "", Scope: data.ScopeManagementGrid, ScopeRef: "R0001", Unit: "D02", Priority: -1},
	}
	return sc
}

func catIndex(ds *data.Dataset, code string) int {
	for i, c := range ds.Categories {
		if c.Code == code {
			return i
		}
	}
	return -1
}

// gridIndex is the dataset index of the grid of cell (i, j) before the
// multipolygon merge removes one entry (rows are north→south).
func (sc *synthCity) gridIndex(i, j int) int { return (sc.ny-1-j)*sc.nx + i }

// blockRing is the counter-clockwise closed ring around lattice cells
// [i0,i1) × [j0,j1), through every lattice vertex on the block's edge, so
// neighbouring blocks share their edges vertex for vertex.
func (sc *synthCity) blockRing(i0, j0, i1, j1 int) orb.Ring {
	var r orb.Ring
	for i := i0; i < i1; i++ {
		r = append(r, sc.verts[i][j0])
	}
	for j := j0; j < j1; j++ {
		r = append(r, sc.verts[i1][j])
	}
	for i := i1; i > i0; i-- {
		r = append(r, sc.verts[i][j1])
	}
	for j := j1; j > j0; j-- {
		r = append(r, sc.verts[i0][j])
	}
	return append(r, r[0])
}

func centroid(r orb.Ring) orb.Point {
	var c orb.Point
	n := len(r) - 1
	for _, p := range r[:n] {
		c[0] += p[0] / float64(n)
		c[1] += p[1] / float64(n)
	}
	return c
}
