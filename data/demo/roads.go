package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// roadInfo is a generated road: a run of lattice edges along one lattice
// line, ordered in door-plate numbering direction (west→east for east–west
// roads, north→south for north–south ones).
type roadInfo struct {
	name     string
	code     string
	major    bool
	vertical bool
	line     int   // lattice line index (i for vertical, j for horizontal)
	edges    []int // positions along the line (j for vertical, i for horizontal), numbering order
}

// side is one side of one road edge: the cell on that side (or -1 when it
// lies outside the district) and how to turn (t along the edge in
// numbering direction, off away from the road) into cell coordinates.
type side struct {
	cell int
	// u, v = base + t*dt + off*doff
	bu, bv, tu, tv, ou, ov float64
	lenM                   float64
}

func (s side) uv(t, off float64) (float64, float64) {
	return s.bu + t*s.tu + off*s.ou, s.bv + t*s.tv + off*s.ov
}

// sides returns the left (odd numbers) and right (even numbers) side of the
// k-th edge of road r, facing the numbering direction.
func (c *city) sides(r *roadInfo, k int) (left, right side) {
	l := c.l
	p := r.edges[k]
	left.cell, right.cell = -1, -1
	var a, b int // edge end vertices
	if r.vertical {
		i, j := r.line, p
		a, b = l.vertex(i, j), l.vertex(i, j+1)
		// Walking north→south: t = 0 at the north end (v = 1).
		if i < l.nx && l.inside[l.cell(i, j)] { // east cell is on the left
			left = side{cell: l.cell(i, j), bu: 0, bv: 1, tu: 0, tv: -1, ou: 1, ov: 0}
		}
		if i > 0 && l.inside[l.cell(i-1, j)] { // west cell on the right
			right = side{cell: l.cell(i-1, j), bu: 1, bv: 1, tu: 0, tv: -1, ou: -1, ov: 0}
		}
	} else {
		i, j := p, r.line
		a, b = l.vertex(i, j), l.vertex(i+1, j)
		if j < l.ny && l.inside[l.cell(i, j)] { // north cell on the left
			left = side{cell: l.cell(i, j), bu: 0, bv: 0, tu: 1, tv: 0, ou: 0, ov: 1}
		}
		if j > 0 && l.inside[l.cell(i, j-1)] { // south cell on the right
			right = side{cell: l.cell(i, j-1), bu: 0, bv: 1, tu: 1, tv: 0, ou: 0, ov: -1}
		}
	}
	length := math.Hypot(l.vx[b]-l.vx[a], l.vy[b]-l.vy[a])
	if left.cell < 0 {
		left = side{cell: -1}
	}
	if right.cell < 0 {
		right = side{cell: -1}
	}
	left.lenM, right.lenM = length, length
	return left, right
}

// Road names. The first names go to the longest major roads.
var majorRoadNames = []string{
	"软件大道", "花神大道", "宁丹路", "雨花南路", "赛虹桥路", "凤台南路", "应天大街", "龙藏大道",
	"宁南大道", "安德门大街", "雨花东路", "雨花西路", "西善桥路", "铁心桥大街", "油坊桥路", "板桥大街",
	"梅山路", "古雄大街", "岱山路", "凤集大道", "绿都大道", "玉兰路", "春江路", "景明大街",
	"天隆寺路", "大周路", "尹西路", "小行路", "宁双路", "华勘路", "安华路", "双龙大道",
	"卡子门大街", "郁金香路", "雨花大道", "新亭路", "凤翔路", "三鸿路", "沙洲路", "铁心桥路",
	"明城大道", "雨润大街", "长虹路", "红花大道", "西营路", "能仁路", "韩府路", "石门坎路",
}

var minorRoadPrefixes = []string{
	"翠竹", "康盛", "丁墙", "能仁", "普德", "梅欣", "锦华", "天后", "西寇", "近华", "金叶", "南奥",
	"新林", "柿子树", "大方", "韩府", "景明", "春江", "凤集", "岱山", "尹西", "大定", "油坊", "紫荆",
	"丁香", "海棠", "桂花", "樱花", "银杏", "红枫", "翠岛", "共青", "兴隆", "安德", "雨林", "华盛",
	"龙福", "永泰", "板桥", "西善", "赛虹", "天隆", "双龙", "沙洲", "龙藏", "花园", "晨光", "丰盛",
	"金阳", "雨润", "宁丹", "花神", "康居", "吉庆", "福园", "乐居", "和平", "文体", "育英", "怡景",
	"清水", "竹山", "梅园", "石榴", "芙蓉", "茉莉", "月季", "凌霄", "栖凤", "卧龙", "青石", "白鹭",
}

var minorRoadSuffixes = []string{"路", "街", "巷", "一路", "二路", "东路", "西路", "南街", "北街", "支路"}

// nameSource hands out distinct road names.
type nameSource struct {
	major []string
	minor []string
	used  map[string]bool
}

func newNameSource(rng *rand.Rand) *nameSource {
	ns := &nameSource{used: map[string]bool{}}
	ns.major = append(ns.major, majorRoadNames...)
	for _, p := range minorRoadPrefixes {
		for _, s := range minorRoadSuffixes {
			ns.minor = append(ns.minor, p+s)
		}
	}
	rng.Shuffle(len(ns.minor), func(a, b int) { ns.minor[a], ns.minor[b] = ns.minor[b], ns.minor[a] })
	return ns
}

func (ns *nameSource) next(major bool) string {
	for {
		var n string
		switch {
		case major && len(ns.major) > 0:
			n, ns.major = ns.major[0], ns.major[1:]
		case len(ns.minor) > 0:
			n, ns.minor = ns.minor[0], ns.minor[1:]
		default:
			n = fmt.Sprintf("雨花%d号路", len(ns.used)+1)
		}
		if !ns.used[n] {
			ns.used[n] = true
			return n
		}
	}
}

// hEdge and vEdge index the lattice's horizontal and vertical edges.
func (c *city) hEdge(i, j int) int { return j*c.l.nx + i }
func (c *city) vEdge(i, j int) int { return j*(c.l.nx+1) + i }

// edgeInCity reports whether a lattice edge borders a district cell.
func (c *city) edgeInCity(vertical bool, line, p int) bool {
	l := c.l
	if vertical {
		i, j := line, p
		return (i < l.nx && l.inside[l.cell(i, j)]) || (i > 0 && l.inside[l.cell(i-1, j)])
	}
	i, j := p, line
	return (j < l.ny && l.inside[l.cell(i, j)]) || (j > 0 && l.inside[l.cell(i, j-1)])
}

// buildRoads lays a network along lattice lines: major roads every 5–8
// lines in both directions, split into named roads of a few kilometres,
// and in most blocks between them one or two minor streets or lanes. One
// east–west line in the north is the river (秦淮新河), which roads cross but
// none follows.
func (c *city) buildRoads(ctx context.Context) error {
	l := c.l
	rng := c.rng(60)
	names := newNameSource(rng)
	c.hRoad = make([]int32, l.nx*(l.ny+1))
	c.vRoad = make([]int32, (l.nx+1)*l.ny)
	for k := range c.hRoad {
		c.hRoad[k] = -1
	}
	for k := range c.vRoad {
		c.vRoad[k] = -1
	}
	// Extent of the district in lattice lines.
	minI, minJ, maxI, maxJ := l.nx, l.ny, 0, 0
	for _, k := range c.insideCells() {
		i, j := l.cellIJ(k)
		minI, minJ = min(minI, i), min(minJ, j)
		maxI, maxJ = max(maxI, i+1), max(maxJ, j+1)
	}
	c.riverJ = -1
	if maxJ-minJ > 12 {
		c.riverJ = minJ + int(0.8*float64(maxJ-minJ))
	}
	lines := func(lo, hi int, avoid int) []int {
		var out []int
		for p := lo + 2 + rng.IntN(3); p < hi-1; p += 5 + rng.IntN(4) {
			if p == avoid {
				p++
			}
			out = append(out, p)
		}
		return out
	}
	vLines := lines(minI, maxI, -1)
	hLines := lines(minJ, maxJ, c.riverJ)

	var runs []roadInfo
	addRuns := func(vertical bool, line, from, to int, major bool) {
		// Maximal runs of in-city edges between positions from..to-1.
		p := from
		for p < to {
			for p < to && !c.edgeInCity(vertical, line, p) {
				p++
			}
			q := p
			for q < to && c.edgeInCity(vertical, line, q) && c.edgeFree(vertical, line, q) {
				q++
			}
			if q-p >= 3 {
				// Split long major runs into roads of 2–5 km.
				for p < q {
					end := q
					if major && q-p > 50 {
						end = p + 25 + rng.IntN(20)
					}
					r := roadInfo{major: major, vertical: vertical, line: line}
					for e := p; e < end; e++ {
						r.edges = append(r.edges, e)
					}
					if vertical { // number north→south
						for a, b := 0, len(r.edges)-1; a < b; a, b = a+1, b-1 {
							r.edges[a], r.edges[b] = r.edges[b], r.edges[a]
						}
					}
					runs = append(runs, r)
					c.claim(&runs[len(runs)-1], int32(len(c.roads)+len(runs)-1))
					p = end
				}
			}
			p = max(q, p+1)
		}
	}
	for _, i := range vLines {
		addRuns(true, i, 0, l.ny, true)
	}
	for _, j := range hLines {
		addRuns(false, j, 0, l.nx, true)
	}
	// Minor streets inside blocks.
	vb := append(append([]int{minI - 1}, vLines...), maxI+1)
	hb := append(append([]int{minJ - 1}, hLines...), maxJ+1)
	for bi := 0; bi+1 < len(vb); bi++ {
		for bj := 0; bj+1 < len(hb); bj++ {
			i0, i1, j0, j1 := vb[bi], vb[bi+1], hb[bj], hb[bj+1]
			if rng.IntN(10) < 8 && i1-i0 >= 4 {
				i := i0 + 2 + rng.IntN(i1-i0-3)
				addRuns(true, i, max(j0, 0), min(j1, l.ny), false)
			}
			if rng.IntN(10) < 7 && j1-j0 >= 4 {
				j := j0 + 2 + rng.IntN(j1-j0-3)
				if j != c.riverJ {
					addRuns(false, j, max(i0, 0), min(i1, l.nx), false)
				}
			}
		}
	}
	// Longest major roads get the best-known names.
	order := make([]int, len(runs))
	for k := range order {
		order[k] = k
	}
	sort.SliceStable(order, func(a, b int) bool {
		ra, rb := &runs[order[a]], &runs[order[b]]
		if ra.major != rb.major {
			return ra.major
		}
		return len(ra.edges) > len(rb.edges)
	})
	for _, k := range order {
		runs[k].name = names.next(runs[k].major)
	}
	for k := range runs {
		runs[k].code = fmt.Sprintf("%sL%04d", DistrictCode, k+1)
	}
	c.roads = runs
	c.ds.Roads = make([]data.Road, len(runs))
	for k := range runs {
		c.ds.Roads[k] = data.Road{Code: runs[k].code, Name: runs[k].name, District: DistrictCode, Geometry: c.roadGeometry(&runs[k])}
	}
	return nil
}

// edgeFree reports whether no road claims the edge yet, and it is not the
// river.
func (c *city) edgeFree(vertical bool, line, p int) bool {
	if vertical {
		return c.vRoad[c.vEdge(line, p)] < 0
	}
	return line != c.riverJ && c.hRoad[c.hEdge(p, line)] < 0
}

func (c *city) claim(r *roadInfo, id int32) {
	for _, p := range r.edges {
		if r.vertical {
			c.vRoad[c.vEdge(r.line, p)] = id
		} else {
			c.hRoad[c.hEdge(p, r.line)] = id
		}
	}
}

// roadGeometry is the centre line of a road through the lattice vertices.
func (c *city) roadGeometry(r *roadInfo) orb.MultiLineString {
	l := c.l
	ls := make(orb.LineString, 0, len(r.edges)+1)
	for k, p := range r.edges {
		var a, b int
		if r.vertical {
			a, b = l.vertex(r.line, p+1), l.vertex(r.line, p) // north→south
		} else {
			a, b = l.vertex(p, r.line), l.vertex(p+1, r.line)
		}
		if k == 0 {
			ls = append(ls, l.ll[a])
		}
		ls = append(ls, l.ll[b])
	}
	return orb.MultiLineString{ls}
}

// buildAddresses puts door plates along every road: odd numbers on the
// left of the numbering direction (north side of east–west roads, east side
// of north–south roads), even on the right, every 25–70 m on each side, a
// few with a sub-number ("101-1").
func (c *city) buildAddresses(ctx context.Context) error {
	rng := c.rng(70)
	streetName := make([]string, len(c.dv.streets))
	for s, st := range c.dv.streets {
		streetName[s] = st.name
	}
	district := c.dv.district.name
	seq := 0
	for ri := range c.roads {
		r := &c.roads[ri]
		next := [2]int{1, 2}
		pos := [2]float64{rng.Float64() * 30, rng.Float64() * 30}
		for k := range r.edges {
			left, right := c.sides(r, k)
			for sd, s := range [2]side{left, right} {
				for pos[sd] < s.lenM {
					t := pos[sd] / s.lenM
					pos[sd] += 25 + rng.Float64()*45
					if s.cell < 0 || t < 0.03 || t > 0.97 {
						continue
					}
					u, v := s.uv(t, 0.12+0.2*rng.Float64())
					cm := c.cellComm[s.cell]
					num := strconv.Itoa(next[sd])
					next[sd] += 2
					nums := []string{num}
					if rng.IntN(30) == 0 {
						nums = append(nums, num+"-1")
					}
					for n, number := range nums {
						seq++
						uu, vv := u, v
						if n > 0 { // the sub-number stands a little further along the road
							uu = math.Min(0.97, math.Max(0.03, u+0.02*s.tu))
							vv = math.Min(0.97, math.Max(0.03, v+0.02*s.tv))
						}
						c.ds.Addresses = append(c.ds.Addresses, data.Address{
							Code:        fmt.Sprintf("%sA%07d", DistrictCode, seq),
							Road:        r.code,
							Number:      number,
							FullAddress: district + streetName[c.commStreet[cm]] + r.name + number + "号",
							Community:   c.comms[cm].code,
							Point:       c.l.at(s.cell, uu, vv),
						})
					}
				}
				pos[sd] -= s.lenM
			}
		}
	}
	return nil
}
