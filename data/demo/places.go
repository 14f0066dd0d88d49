package demo

import (
	"context"
	"fmt"
	"strings"

	"citygrid/data"
)

// buildDepartmentsAndCategories adds the departments and the scheme's
// default catalogue, and checks that every competent department the
// catalogue names exists.
func (c *city) buildDepartmentsAndCategories(ctx context.Context) error {
	c.ds.Departments = buildDepartments(c.rng(50), c.dv)
	cats, err := data.DefaultCatalogue(c.opt.Scheme)
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(c.ds.Departments))
	for _, d := range c.ds.Departments {
		known[d.Code] = true
	}
	for _, cat := range cats {
		if !known[cat.Department] {
			return fmt.Errorf("category %s %s names department %q, which the demo does not have", cat.Code, cat.Name, cat.Department)
		}
	}
	c.ds.Categories = cats
	return nil
}

// poiGroup is a kind of POI with how many a full-size district has and how
// to name them.
type poiGroup struct {
	kind     string
	count    int
	landmark bool
	names    func(prefix string, n int) string
	// where picks the cells a POI of this kind may stand in (nil: any).
	street string
}

var poiGroups = []poiGroup{
	{kind: "school", count: 30, names: func(p string, _ int) string { return "南京市雨花台区" + p + "小学" }},
	{kind: "school", count: 14, names: func(p string, _ int) string { return "南京市" + p + "中学" }},
	{kind: "kindergarten", count: 35, names: func(p string, _ int) string { return p + "幼儿园" }},
	{kind: "hospital", count: 4, landmark: true, names: func(p string, _ int) string { return "南京市雨花" + p + "医院" }},
	{kind: "clinic", count: 12, names: func(p string, _ int) string { return p + "社区卫生服务站" }},
	{kind: "park", count: 14, landmark: true, names: func(p string, _ int) string { return p + "公园" }},
	{kind: "mall", count: 8, landmark: true, names: func(p string, _ int) string { return p + "购物中心" }},
	{kind: "supermarket", count: 30, names: func(p string, _ int) string { return p + "生活超市" }},
	{kind: "residential", count: 160, names: func(p string, n int) string {
		return p + []string{"花园", "苑", "小区", "佳园", "新村", "雅居", "府"}[n%7]
	}},
	{kind: "office", count: 40, street: "320114402", names: func(p string, n int) string {
		return "软件谷" + p + []string{"科技大厦", "创新中心", "研发楼", "软件园"}[n%4]
	}},
	{kind: "bank", count: 30, names: func(p string, n int) string {
		return []string{"中国工商银行", "中国建设银行", "中国银行", "中国农业银行", "交通银行", "南京银行", "江苏银行"}[n%7] + p + "支行"
	}},
	{kind: "hotel", count: 15, names: func(p string, _ int) string { return p + "酒店" }},
	{kind: "gas_station", count: 10, names: func(p string, _ int) string { return "中国石化" + p + "加油站" }},
	{kind: "market", count: 15, names: func(p string, _ int) string { return p + "农贸市场" }},
}

// famousPlaces are single landmarks with their own names.
var famousPlaces = []struct{ name, kind string }{
	{"雨花台风景名胜区", "scenic"},
	{"雨花台烈士陵园", "scenic"},
	{"南京南站", "railway_station"},
	{"菊花台公园", "park"},
	{"中国（南京）软件谷科创城", "office"},
	{"雨花客厅", "mall"},
	{"雨花台区人民政府", "government"},
	{"雨花台区体育中心", "stadium"},
	{"安德门地铁站", "metro_station"},
	{"天隆寺地铁站", "metro_station"},
	{"软件大道地铁站", "metro_station"},
	{"花神庙地铁站", "metro_station"},
	{"铁心桥地铁站", "metro_station"},
	{"西善桥地铁站", "metro_station"},
	{"梅山地铁站", "metro_station"},
	{"板桥地铁站", "metro_station"},
}

// buildPOIs places about 1,000 landmarks and POIs at scale 1: the
// residents' committee of every community and the office of every street,
// bus stops along major roads named after the nearest cross street,
// schools, hospitals, parks, malls, compounds, offices and so on.
func (c *city) buildPOIs(ctx context.Context) error {
	rng := c.rng(90)
	l := c.l
	cells := c.insideCells()
	seq := 0
	used := map[string]bool{}
	add := func(name, kind string, landmark bool, cell int, u, v float64) {
		if used[name] {
			return
		}
		used[name] = true
		seq++
		c.ds.POIs = append(c.ds.POIs, data.POI{
			Code: fmt.Sprintf("%sP%06d", DistrictCode, seq), Name: name, Kind: kind, Landmark: landmark,
			Point: l.at(cell, u, v),
		})
	}
	mid := func() (float64, float64) { return 0.3 + 0.4*rng.Float64(), 0.3 + 0.4*rng.Float64() }
	// Government: a committee office in each community, an office per
	// street, one police station per street.
	commCells := make([][]int, len(c.comms))
	streetCells := make([][]int, len(c.dv.streets))
	for _, k := range cells {
		commCells[c.cellComm[k]] = append(commCells[c.cellComm[k]], k)
		streetCells[c.cellStreet[k]] = append(streetCells[c.cellStreet[k]], k)
	}
	for cm, cc := range commCells {
		u, v := mid()
		add(c.comms[cm].name, "government", false, cc[rng.IntN(len(cc))], u, v)
	}
	for s, sc := range streetCells {
		st := c.dv.streets[s]
		u, v := mid()
		office := st.name + "办事处"
		if st.code[6] == '4' {
			office = st.name + "管理委员会"
		}
		add(office, "government", true, sc[rng.IntN(len(sc))], u, v)
		u, v = mid()
		add("南京市公安局雨花台分局"+policeStationName(st.name)+"派出所", "police", false, sc[rng.IntN(len(sc))], u, v)
	}
	for _, f := range famousPlaces {
		u, v := mid()
		add(f.name, f.kind, true, cells[rng.IntN(len(cells))], u, v)
	}
	// Bus stops every ~550 m along major roads.
	for ri := range c.roads {
		r := &c.roads[ri]
		if !r.major {
			continue
		}
		const step = 6 // edges of ~100 m between stops
		for k := rng.IntN(step); k < len(r.edges); k += step {
			left, right := c.sides(r, k)
			s := left
			if s.cell < 0 {
				s = right
			}
			if s.cell < 0 {
				continue
			}
			name := r.name + c.nearestCrossName(r, k) + "站"
			u, v := s.uv(0.5, 0.1)
			add(name, "bus_stop", false, s.cell, u, v)
		}
	}
	// Other POIs.
	prefixes := append([]string(nil), minorRoadPrefixes...)
	for _, g := range poiGroups {
		n := max(1, int(float64(g.count)*c.areaF+0.5))
		pool := cells
		if g.street != "" {
			for s, st := range c.dv.streets {
				if st.code == g.street {
					pool = streetCells[s]
				}
			}
		}
		rng.Shuffle(len(prefixes), func(a, b int) { prefixes[a], prefixes[b] = prefixes[b], prefixes[a] })
		for i := 0; i < n; i++ {
			u, v := mid()
			add(g.names(prefixes[i%len(prefixes)]+extraSuffix(i/len(prefixes)), i), g.kind, g.landmark, pool[rng.IntN(len(pool))], u, v)
		}
	}
	return nil
}

// policeStationName is the short place name a police station of a street
// goes by.
func policeStationName(street string) string {
	switch street {
	case "中国（南京）软件谷":
		return "软件谷"
	case "雨花经济开发区":
		return "开发区"
	}
	return strings.TrimSuffix(street, "街道")
}

// extraSuffix tells apart names that reuse a prefix.
func extraSuffix(round int) string {
	if round == 0 {
		return ""
	}
	return []string{"", "东", "西", "南", "北", "新", "中"}[round%7]
}

// nearestCrossName is the name of the road crossing road r nearest to its
// k-th edge, or "" when none does.
func (c *city) nearestCrossName(r *roadInfo, k int) string {
	for d := 0; d < len(r.edges); d++ {
		for _, e := range []int{k - d, k + d} {
			if e < 0 || e >= len(r.edges) {
				continue
			}
			p := r.edges[e]
			var i, j int
			if r.vertical {
				i, j = r.line, p
			} else {
				i, j = p, r.line
			}
			for _, id := range c.crossingRoads(i, j, r.vertical) {
				if c.roads[id].name != r.name {
					return c.roads[id].name
				}
			}
		}
	}
	return ""
}

// crossingRoads lists roads running perpendicular to a road of the given
// direction through vertex (i, j).
func (c *city) crossingRoads(i, j int, vertical bool) []int32 {
	l := c.l
	var out []int32
	if vertical {
		if i < l.nx && c.hRoad[c.hEdge(i, j)] >= 0 {
			out = append(out, c.hRoad[c.hEdge(i, j)])
		}
		if i > 0 && c.hRoad[c.hEdge(i-1, j)] >= 0 {
			out = append(out, c.hRoad[c.hEdge(i-1, j)])
		}
	} else {
		if j < l.ny && c.vRoad[c.vEdge(i, j)] >= 0 {
			out = append(out, c.vRoad[c.vEdge(i, j)])
		}
		if j > 0 && c.vRoad[c.vEdge(i, j-1)] >= 0 {
			out = append(out, c.vRoad[c.vEdge(i, j-1)])
		}
	}
	return out
}

// Event categories the rules route (GB/T 30428.2-2013 keys).
var (
	streetOrderEvents = []string{"0107", "0401", "0405", "0406", "0410"} // 街面秩序 and 沿街晾挂: the street office
	cleanlinessEvents = []string{"0110", "0111", "0112", "0136", "0198"} // 市容: the responsibility grid's unit
	villageEvents     = []string{"0110", "0111", "0112"}                 // rural cleaning: the street office
)

// buildRules writes the responsibility rule table: a city-wide fallback to
// the city-management bureau; district-wide routes for 私搭乱建, 渣土车
// and 机动车乱停放; street-order events to the street office of the street;
// cleanliness events in villages to the street office; cleanliness events
// in a responsibility grid to the grid's unit. Rules name event categories
// (kind event) of the city's scheme.
func (c *city) buildRules(ctx context.Context) error {
	eventName := map[string]string{}
	for _, cat := range c.ds.Categories {
		if cat.Kind == data.KindEvent {
			eventName[cat.Code] = cat.Name
		}
	}
	var rules []data.Rule
	add := func(key string, scope data.ScopeKind, ref, unit string, prio int, why string) error {
		code, note := "", why
		if key != "" {
			code = translateCode(c.opt.Scheme, data.KindEvent, key)
			if eventName[code] == "" {
				return fmt.Errorf("rule names event category %s, which the catalogue lacks", code)
			}
			note = "事件" + eventName[code] + "：" + why
		}
		kind := data.CategoryKind("")
		if code != "" {
			// Event and component codes overlap (event 0101 私搭乱建 vs
			// component 0101 上水井盖): the rule names the event.
			kind = data.KindEvent
		}
		rules = append(rules, data.Rule{
			ID: int64(len(rules) + 1), Category: code, Scope: scope, ScopeRef: ref, Unit: unit, Priority: prio,
			Note: note, Kind: kind,
		})
		return nil
	}
	if err := add("", data.ScopeCity, "", deptCityMgmt, 0, "兜底，由区城市管理局受理"); err != nil {
		return err
	}
	for _, r := range []struct{ key, unit, why string }{
		{"0101", deptCityMgmt, "违法建设由城管执法查处"},
		{"0311", deptCityMgmt, "渣土运输由城管执法查处"},
		{"0409", deptTraffic, "机动车违停由公安交警处理"},
		{"0117", deptGardens, "绿地保洁由园林部门负责"},
	} {
		if err := add(r.key, data.ScopeDistrict, DistrictCode, r.unit, 10, r.why); err != nil {
			return err
		}
	}
	for _, st := range c.dv.streets {
		for _, k := range streetOrderEvents {
			if err := add(k, data.ScopeStreet, st.code, streetOfficeCode(st.code), 10, "街面秩序属地管理"); err != nil {
				return err
			}
		}
	}
	for cm, d := range c.comms {
		if !strings.HasSuffix(d.name, "村委会") {
			continue
		}
		for _, k := range villageEvents {
			if err := add(k, data.ScopeCommunity, d.code, streetOfficeCode(c.dv.streets[c.commStreet[cm]].code), 15, "农村地区保洁由街道负责"); err != nil {
				return err
			}
		}
	}
	for _, g := range c.respGrids {
		mg := &c.ds.ManagementGrids[g]
		for _, k := range cleanlinessEvents {
			if err := add(k, data.ScopeManagementGrid, mg.Code, mg.Unit, 20, "责任网格内市容问题由网格责任单位处置"); err != nil {
				return err
			}
		}
	}
	c.ds.Rules = rules
	return nil
}
