package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// placement says where and how densely the components of one category
// stand. Categories are keyed by their GB/T 30428.2-2013 code; the
// generator translates keys when it builds a GB/T 47678.5 city.
type placement struct {
	key string
	// majorM, minorM: spacing in metres along major roads and along minor
	// streets (0: not along that kind of road); sides: 1 left, 2 right,
	// 3 both; off: distance from the road centre line as a fraction of the
	// cell, drawn from [offLo, offHi].
	majorM, minorM float64
	sides          uint8
	offLo, offHi   float64
	// perCell: expected number per district cell, placed anywhere inside.
	perCell float64
	// perCross, perMajorCross: expected number per road intersection and
	// per intersection of two major roads, placed at its corners.
	perCross, perMajorCross float64
}

// placements are the point categories. Densities are per kilometre of road
// side roughly as a surveyed Chinese urban district has them: a street tree
// every 12–16 m, rain grates every 45 m, lamp posts every 35 m, a cover of
// each network every 45–150 m.
var placements = []placement{
	{key: "0101", majorM: 50, minorM: 60, sides: 1, offLo: 0.02, offHi: 0.05},
	{key: "0102", majorM: 45, minorM: 55, sides: 2, offLo: 0.01, offHi: 0.03},
	{key: "0103", majorM: 50, minorM: 60, sides: 1, offLo: 0.03, offHi: 0.05},
	{key: "0104", majorM: 45, minorM: 55, sides: 3, offLo: 0.05, offHi: 0.07},
	{key: "0105", majorM: 50, minorM: 70, sides: 2, offLo: 0.06, offHi: 0.09},
	{key: "0106", majorM: 70, minorM: 0, sides: 3, offLo: 0.08, offHi: 0.1},
	{key: "0107", majorM: 60, minorM: 80, sides: 1, offLo: 0.07, offHi: 0.1},
	{key: "0108", majorM: 120, minorM: 150, sides: 2, offLo: 0.07, offHi: 0.1},
	{key: "0109", majorM: 110, minorM: 150, sides: 1, offLo: 0.08, offHi: 0.11},
	{key: "0110", majorM: 400, minorM: 0, sides: 2, offLo: 0.03, offHi: 0.06},
	{key: "0111", majorM: 70, minorM: 90, sides: 2, offLo: 0.04, offHi: 0.06},
	{key: "0112", majorM: 250, minorM: 0, sides: 1, offLo: 0.04, offHi: 0.06},
	{key: "0113", majorM: 120, minorM: 150, sides: 1, offLo: 0.1, offHi: 0.12},
	{key: "0114", majorM: 600, minorM: 500, sides: 3, offLo: 0.02, offHi: 0.1},
	{key: "0115", majorM: 300, minorM: 400, sides: 3, offLo: 0.12, offHi: 0.15},
	{key: "0116", majorM: 250, minorM: 300, sides: 3, offLo: 0.12, offHi: 0.16},
	{key: "0117", majorM: 80, minorM: 70, sides: 2, offLo: 0.1, offHi: 0.11},
	{key: "0118", majorM: 35, minorM: 45, sides: 3, offLo: 0.09, offHi: 0.1},
	{key: "0119", perCell: 0.08},
	{key: "0120", majorM: 150, sides: 3, offLo: 0.14, offHi: 0.18},
	{key: "0121", majorM: 1200, sides: 3, offLo: 0.12, offHi: 0.15},
	{key: "0122", majorM: 600, sides: 3, offLo: 0.12, offHi: 0.15},
	{key: "0123", majorM: 900, minorM: 1500, sides: 3, offLo: 0.12, offHi: 0.15},
	{key: "0124", majorM: 2500, sides: 3, offLo: 0.12, offHi: 0.15},
	{key: "0125", majorM: 1500, minorM: 2000, sides: 3, offLo: 0.14, offHi: 0.2},
	{key: "0126", perCell: 0.06},
	{key: "0127", majorM: 400, sides: 1, offLo: 0.05, offHi: 0.08},
	{key: "0202", minorM: 80, sides: 1, offLo: 0.08, offHi: 0.1},
	{key: "0203", majorM: 550, sides: 3, offLo: 0.1, offHi: 0.12},
	{key: "0204", majorM: 2000, sides: 3, offLo: 0.1, offHi: 0.12},
	{key: "0209", majorM: 200, minorM: 400, sides: 3, offLo: 0.09, offHi: 0.11, perMajorCross: 2},
	{key: "0210", perMajorCross: 4},
	{key: "0212", majorM: 250, minorM: 200, sides: 3, offLo: 0.12, offHi: 0.16},
	{key: "0213", perCross: 2},
	{key: "0214", perMajorCross: 2},
	{key: "0215", majorM: 8000, sides: 3, offLo: 0.1, offHi: 0.12},
	{key: "0217", perMajorCross: 0.15},
	{key: "0301", perCell: 0.012},
	{key: "0303", majorM: 1500, minorM: 1500, sides: 3, offLo: 0.12, offHi: 0.15},
	{key: "0304", perCell: 0.02},
	{key: "0305", majorM: 70, minorM: 110, sides: 3, offLo: 0.11, offHi: 0.13, perCell: 0.2},
	{key: "0306", minorM: 120, sides: 3, offLo: 0.15, offHi: 0.2},
	{key: "0307", majorM: 90, minorM: 55, sides: 3, offLo: 0.18, offHi: 0.25},
	{key: "0308", perCell: 0.0006},
	{key: "0309", perCell: 0.0003},
	{key: "0311", perMajorCross: 0.08},
	{key: "0401", perCell: 0.01},
	{key: "0402", majorM: 12, minorM: 16, sides: 3, offLo: 0.1, offHi: 0.12},
	{key: "0403", majorM: 36, minorM: 0, sides: 3, offLo: 0.1, offHi: 0.12},
	{key: "0404", majorM: 200, sides: 3, offLo: 0.13, offHi: 0.16},
	{key: "0406", perCell: 0.005},
	{key: "0407", majorM: 100, minorM: 200, sides: 1, offLo: 0.14, offHi: 0.17, perCell: 0.1},
	{key: "0409", perCell: 0.04},
	{key: "0410", perCell: 0.002},
	{key: "0501", perCell: 0.05},
	{key: "0502", perCell: 0.01},
	{key: "0503", perCell: 0.02},
	{key: "0601", perCell: 0.001},
}

// roadDensity scales every along-road spacing of the placements table, so
// that a full-size city has 400,000 components whatever its seed.
const roadDensity = 1.12

// compState carries the per-category sequences and the draws shared by
// every placement.
type compState struct {
	c    *city
	rng  *rand.Rand
	seq  map[string]int
	code map[string]string // key → output category code
	cat  map[string]*data.Category
	out  []data.Component
	days int
}

// buildComponents places the surveyed components: point categories by the
// placements table, lines along roads and the river, polygons inside
// cells. Every component lies strictly inside one lattice cell, so its unit
// grid is that cell's grid.
func (c *city) buildComponents(ctx context.Context) error {
	st := &compState{
		c: c, rng: c.rng(80), seq: map[string]int{}, code: map[string]string{}, cat: map[string]*data.Category{},
		days: int(surveyTo.Sub(surveyFrom).Hours() / 24),
	}
	for k := range c.ds.Categories {
		cat := &c.ds.Categories[k]
		if cat.Kind == data.KindComponent {
			st.cat[cat.Code] = cat
		}
	}
	for _, p := range placements {
		if err := st.resolve(p.key); err != nil {
			return err
		}
	}
	for _, k := range []string{"0201", "0205", "0206", "0207", "0208", "0211", "0216", "0302", "0310", "0405", "0408", "0602", "0603", "0604", "0605", "0606"} {
		if err := st.resolve(k); err != nil {
			return err
		}
	}
	st.out = make([]data.Component, 0, int(440000*c.areaF*c.density))
	d := c.density
	l := c.l
	rng := st.rng

	// Along roads.
	for ri := range c.roads {
		if ri%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		r := &c.roads[ri]
		for _, p := range placements {
			spacing := p.majorM
			if !r.major {
				spacing = p.minorM
			}
			if spacing == 0 || p.sides == 0 {
				continue
			}
			spacing /= d * roadDensity
			for sd := 0; sd < 2; sd++ {
				if p.sides&(1<<sd) == 0 {
					continue
				}
				pos := rng.Float64() * spacing
				for k := range r.edges {
					left, right := c.sides(r, k)
					s := left
					if sd == 1 {
						s = right
					}
					for ; pos < s.lenM; pos += spacing * (0.85 + 0.3*rng.Float64()) {
						t := pos / s.lenM
						if s.cell < 0 || t < 0.01 || t > 0.99 {
							continue
						}
						u, v := s.uv(t, p.offLo+(p.offHi-p.offLo)*rng.Float64())
						st.emit(p.key, l.at(s.cell, u, v), s.cell, r.name+sideName(r.vertical, sd))
					}
					pos -= s.lenM
				}
			}
		}
		// Guard rails and noise barriers: short lines on some edges.
		for k := range r.edges {
			left, right := c.sides(r, k)
			for sd, s := range [2]side{left, right} {
				if s.cell < 0 {
					continue
				}
				if r.major && rng.Float64() < 0.3*math.Min(d, 3) {
					st.emit("0211", st.sideLine(s, 0.08+0.1*rng.Float64(), 0.92-0.1*rng.Float64(), 0.015), s.cell, r.name+sideName(r.vertical, sd))
				}
				if r.major && rng.Float64() < 0.03*math.Min(d, 3) {
					st.emit("0216", st.sideLine(s, 0.05, 0.95, 0.2), s.cell, r.name+sideName(r.vertical, sd))
				}
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// At intersections.
	for j := 0; j <= l.ny; j++ {
		for i := 0; i <= l.nx; i++ {
			major, ok := c.crossing(i, j)
			if !ok {
				continue
			}
			corners := [4]struct {
				cell   int
				cu, cv float64 // corner in cell coordinates
			}{{-1, 0, 0}, {-1, 1, 0}, {-1, 0, 1}, {-1, 1, 1}}
			if i < l.nx && j < l.ny && l.inside[l.cell(i, j)] {
				corners[0].cell = l.cell(i, j) // NE of the crossing
			}
			if i > 0 && j < l.ny && l.inside[l.cell(i-1, j)] {
				corners[1].cell = l.cell(i-1, j) // NW
			}
			if i < l.nx && j > 0 && l.inside[l.cell(i, j-1)] {
				corners[2].cell = l.cell(i, j-1) // SE
			}
			if i > 0 && j > 0 && l.inside[l.cell(i-1, j-1)] {
				corners[3].cell = l.cell(i-1, j-1) // SW
			}
			for _, p := range placements {
				rate := p.perCross
				if major {
					rate += p.perMajorCross
				}
				for n := st.count(rate * d); n > 0; n-- {
					cr := corners[rng.IntN(4)]
					if cr.cell < 0 {
						continue
					}
					off := 0.05 + 0.08*rng.Float64()
					u := math.Abs(cr.cu - off*(0.5+rng.Float64()))
					v := math.Abs(cr.cv - off*(0.5+rng.Float64()))
					st.emit(p.key, l.at(cr.cell, u, v), cr.cell, "")
				}
			}
			if major {
				// Footbridges, underpasses and the odd interchange stand
				// in one corner cell, beside the carriageway.
				for _, pk := range []struct {
					key  string
					rate float64
					w, h float64
				}{{"0205", 0.08, 0.06, 0.3}, {"0206", 0.04, 0.08, 0.25}, {"0207", 0.015, 0.7, 0.7}} {
					if rng.Float64() >= pk.rate*math.Min(d, 3) {
						continue
					}
					cr := corners[rng.IntN(4)]
					if cr.cell < 0 {
						continue
					}
					u0 := 0.02 + 0.5*rng.Float64()*(1-pk.w)
					v0 := 0.02 + 0.5*rng.Float64()*(1-pk.h)
					if cr.cu == 1 {
						u0 = 0.98 - pk.w - (u0 - 0.02)
					}
					if cr.cv == 1 {
						v0 = 0.98 - pk.h - (v0 - 0.02)
					}
					st.emit(pk.key, st.quad(cr.cell, u0, v0, u0+pk.w, v0+pk.h), cr.cell, "")
				}
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// Inside cells: points, then parking lots, green spaces with their
	// fences and sites.
	for _, k := range c.insideCells() {
		for _, p := range placements {
			for n := st.count(p.perCell * d); n > 0; n-- {
				st.emit(p.key, l.at(k, 0.2+0.6*rng.Float64(), 0.2+0.6*rng.Float64()), k, "")
				if p.key == "0301" { // every public toilet has its septic tank
					st.emit("0302", l.at(k, 0.1+0.05*rng.Float64(), 0.1+0.05*rng.Float64()), k, "")
				}
			}
		}
		if rng.Float64() < 0.02*d {
			u0, v0 := 0.25+0.2*rng.Float64(), 0.25+0.2*rng.Float64()
			st.emit("0201", st.quad(k, u0, v0, u0+0.2+0.2*rng.Float64(), v0+0.15+0.2*rng.Float64()), k, "")
		}
		if rng.Float64() < 0.15*d {
			u0, v0 := 0.22+0.3*rng.Float64(), 0.22+0.3*rng.Float64()
			u1, v1 := u0+0.1+0.3*rng.Float64(), v0+0.1+0.3*rng.Float64()
			st.emit("0405", st.quad(k, u0, v0, u1, v1), k, "")
			if rng.IntN(2) == 0 {
				st.emit("0408", orb.LineString{l.at(k, u0-0.02, v0-0.02), l.at(k, u1+0.02, v0-0.02), l.at(k, u1+0.02, v1+0.02)}, k, "")
			}
		}
		if rng.Float64() < 0.01*d {
			u0, v0 := 0.21+0.1*rng.Float64(), 0.21+0.1*rng.Float64()
			st.emit("0602", st.quad(k, u0, v0, 0.79-0.1*rng.Float64(), 0.79-0.1*rng.Float64()), k, "")
		}
	}

	// Along the river: banks with railings and flood walls, monitoring and
	// harbour fixtures, and a bridge wherever a road crosses.
	if c.riverJ >= 0 {
		j := c.riverJ
		for i := 0; i < l.nx; i++ {
			for _, sc := range [2]struct {
				cell int
				v    float64
				ok   bool
			}{{l.cell(i, min(j, l.ny-1)), 0.02, j < l.ny}, {l.cell(i, max(j-1, 0)), 0.98, j > 0}} {
				if !sc.ok || !l.inside[sc.cell] {
					continue
				}
				k := sc.cell
				line := func(v float64) orb.LineString {
					return orb.LineString{l.at(k, 0.03, v), l.at(k, 0.5, v), l.at(k, 0.97, v)}
				}
				vIn := func(off float64) float64 { // off away from the water
					if sc.v < 0.5 {
						return sc.v + off
					}
					return sc.v - off
				}
				if rng.Float64() < 0.6 {
					st.emit("0604", line(vIn(0.01)), k, "秦淮新河")
				}
				if rng.Float64() < 0.25 {
					st.emit("0606", line(vIn(0.04)), k, "秦淮新河")
				}
				for n := st.count(0.5 * d); n > 0; n-- {
					st.emit("0603", l.at(k, 0.05+0.9*rng.Float64(), vIn(0.02+0.03*rng.Float64())), k, "秦淮新河")
				}
				if rng.Float64() < 0.03*d {
					st.emit("0605", l.at(k, 0.05+0.9*rng.Float64(), vIn(0.06)), k, "秦淮新河")
				}
				if rng.Float64() < 0.05*d {
					st.emit("0310", l.at(k, 0.05+0.9*rng.Float64(), vIn(0.08)), k, "秦淮新河")
				}
			}
		}
		for i := 0; i <= l.nx; i++ {
			if j >= l.ny || j == 0 {
				break
			}
			if c.vRoad[c.vEdge(i, j)] < 0 && c.vRoad[c.vEdge(i, j-1)] < 0 {
				continue
			}
			for _, k := range []int{l.cell(min(i, l.nx-1), j), l.cell(min(i, l.nx-1), j-1)} {
				if i < l.nx && l.inside[k] {
					_, cj := l.cellIJ(k)
					v0, v1 := 0.02, 0.2
					if cj < j {
						v0, v1 = 0.8, 0.98
					}
					st.emit("0208", st.quad(k, 0.02, v0, 0.12, v1), k, "秦淮新河")
				}
			}
		}
	}
	c.ds.Components = st.out
	return nil
}

// crossing reports whether roads cross (or meet) at vertex (i, j) — at
// least one road edge in each direction — and whether two major roads do.
func (c *city) crossing(i, j int) (major, ok bool) {
	l := c.l
	var vr, hr []int32
	if j < l.ny {
		vr = append(vr, c.vRoad[c.vEdge(i, j)])
	}
	if j > 0 {
		vr = append(vr, c.vRoad[c.vEdge(i, j-1)])
	}
	if i < l.nx {
		hr = append(hr, c.hRoad[c.hEdge(i, j)])
	}
	if i > 0 {
		hr = append(hr, c.hRoad[c.hEdge(i-1, j)])
	}
	vm, hm, vAny, hAny := false, false, false, false
	for _, r := range vr {
		if r >= 0 {
			vAny = true
			vm = vm || c.roads[r].major
		}
	}
	for _, r := range hr {
		if r >= 0 {
			hAny = true
			hm = hm || c.roads[r].major
		}
	}
	return vm && hm, vAny && hAny
}

func sideName(vertical bool, sd int) string {
	switch {
	case vertical && sd == 0:
		return "东侧"
	case vertical:
		return "西侧"
	case sd == 0:
		return "北侧"
	}
	return "南侧"
}

// resolve maps a category key to the city's scheme and checks the
// catalogue has it as a component.
func (st *compState) resolve(key string) error {
	code := translateCode(st.c.opt.Scheme, data.KindComponent, key)
	if st.cat[code] == nil {
		return fmt.Errorf("component category %s (key %s) is not in the %s catalogue", code, key, st.c.opt.Scheme)
	}
	st.code[key] = code
	return nil
}

// count draws a whole number with the given mean.
func (st *compState) count(mean float64) int {
	if mean <= 0 {
		return 0
	}
	n := int(mean)
	if st.rng.Float64() < mean-float64(n) {
		n++
	}
	return n
}

// quad is the polygon with cell coordinates (u0,v0)–(u1,v1), counter-
// clockwise; inside the cell because the cell is convex.
func (st *compState) quad(cell int, u0, v0, u1, v1 float64) orb.Polygon {
	l := st.c.l
	p := l.at(cell, u0, v0)
	return orb.Polygon{{p, l.at(cell, u1, v0), l.at(cell, u1, v1), l.at(cell, u0, v1), p}}
}

// sideLine is a line along a road side from t0 to t1 at offset off.
func (st *compState) sideLine(s side, t0, t1, off float64) orb.LineString {
	l := st.c.l
	u0, v0 := s.uv(t0, off)
	um, vm := s.uv((t0+t1)/2, off)
	u1, v1 := s.uv(t1, off)
	return orb.LineString{l.at(s.cell, u0, v0), l.at(s.cell, um, vm), l.at(s.cell, u1, v1)}
}

// emit records one component of category key inside lattice cell k.
func (st *compState) emit(key string, g orb.Geometry, k int, where string) {
	code := st.code[key]
	seq := st.seq[key] + 1
	if seq > 999999 { // the 6-digit sequence is full
		return
	}
	st.seq[key] = seq
	cat := st.cat[code]
	rng := st.rng
	owner, maint := st.c.ownerMaintainer(rng, cat)
	survey := surveyFrom.AddDate(0, 0, rng.IntN(st.days))
	changed, version := survey, int64(1)
	if rng.IntN(5) == 0 {
		version = 2 + int64(rng.IntN(3))
		span := int(changedTo.Sub(survey).Hours()/24) - 1
		changed = survey.AddDate(0, 0, 1+rng.IntN(max(span, 1)))
	}
	note := ""
	if where != "" {
		note = "位于" + where
	}
	st.out = append(st.out, data.Component{
		Code:       data.ComponentCode(DistrictCode, code, seq),
		Category:   code,
		Name:       cat.Name,
		Geometry:   g,
		Department: cat.Department,
		Owner:      owner,
		Maintainer: maint,
		Status:     drawStatus(rng),
		UnitGrid:   st.c.ds.UnitGrids[st.c.cellGrid[k]].Code,
		SurveyDate: survey,
		ChangedAt:  changed,
		Version:    version,
		Note:       note,
	})
}

// drawStatus: most components are intact; a few are damaged, lost,
// occupied, disused or removed.
func drawStatus(rng *rand.Rand) data.ComponentStatus {
	switch x := rng.IntN(1000); {
	case x < 930:
		return data.StatusIntact
	case x < 965:
		return data.StatusDamaged
	case x < 978:
		return data.StatusLost
	case x < 990:
		return data.StatusOccupied
	case x < 996:
		return data.StatusDisused
	default:
		return data.StatusRemoved
	}
}

// ownerMaintainer draws the owner (权属单位) and maintainer (养护单位) of a
// component: utilities own and keep their networks; district bureaus own
// their fixtures and contract the upkeep out; some fixtures in residential
// compounds belong to the property company.
func (c *city) ownerMaintainer(rng *rand.Rand, cat *data.Category) (string, string) {
	dept := cat.Department
	switch dept {
	case deptMunicipal:
		return dept, deptMaintSZ
	case deptGardens:
		return dept, deptMaintYL
	case deptSanitation:
		if rng.IntN(5) == 0 {
			w := propertyCompanies[rng.IntN(len(propertyCompanies))].code
			return w, w
		}
		return dept, deptMaintHW
	case "CGJ", "WLT", "XCB":
		if rng.IntN(3) == 0 {
			w := propertyCompanies[rng.IntN(len(propertyCompanies))].code
			return w, w
		}
	}
	return dept, dept
}

// translateCode maps a GB/T 30428.2-2013 category code to the given
// scheme. Component codes widen the small class to three digits (0101 →
// 01001); event big classes move to 06–09 (01 市容环境 → 06, 02 → 07, 03 →
// 08, 04 → 09) with the small class widened the same way; the local
// extension 0198 垃圾满溢 becomes the standard 06042 垃圾站(箱)满溢.
func translateCode(scheme string, kind data.CategoryKind, code string) string {
	if scheme != data.SchemeGBT47678 {
		return code
	}
	if kind == data.KindComponent {
		return code[:2] + "0" + code[2:]
	}
	if code == "0198" {
		return "06042"
	}
	big := map[string]string{"01": "06", "02": "07", "03": "08", "04": "09"}[code[:2]]
	return big + "0" + code[2:]
}
