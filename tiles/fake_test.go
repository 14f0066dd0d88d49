package tiles

import (
	"fmt"
	"math/rand"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// fakeSource is a brute-force Source over a dataset: a second, obviously
// correct implementation of the index's search methods.
type fakeSource struct{ ds *data.Dataset }

func geomBound(g orb.Geometry) orb.Bound { return g.Bound() }

func (s fakeSource) AdminUnits(level data.AdminLevel, b orb.Bound, fn func(*data.AdminUnit) bool) {
	for i := range s.ds.AdminUnits {
		u := &s.ds.AdminUnits[i]
		if u.Level == level && geomBound(u.Geometry).Intersects(b) && !fn(u) {
			return
		}
	}
}

func (s fakeSource) UnitGrids(b orb.Bound, fn func(*data.UnitGrid) bool) {
	for i := range s.ds.UnitGrids {
		if g := &s.ds.UnitGrids[i]; geomBound(g.Geometry).Intersects(b) && !fn(g) {
			return
		}
	}
}

func (s fakeSource) ManagementGrids(kind string, b orb.Bound, fn func(*data.ManagementGrid) bool) {
	for i := range s.ds.ManagementGrids {
		g := &s.ds.ManagementGrids[i]
		if (kind == "" || g.Kind == kind) && geomBound(g.Geometry).Intersects(b) && !fn(g) {
			return
		}
	}
}

func (s fakeSource) ManagementGridKinds() []string {
	seen := map[string]bool{}
	var out []string
	for _, g := range s.ds.ManagementGrids {
		if !seen[g.Kind] {
			seen[g.Kind] = true
			out = append(out, g.Kind)
		}
	}
	return out
}

func (s fakeSource) Components(b orb.Bound, fn func(*data.Component) bool) {
	for i := range s.ds.Components {
		if c := &s.ds.Components[i]; geomBound(c.Geometry).Intersects(b) && !fn(c) {
			return
		}
	}
}

func (s fakeSource) Roads(b orb.Bound, fn func(*data.Road) bool) {
	for i := range s.ds.Roads {
		if r := &s.ds.Roads[i]; geomBound(r.Geometry).Intersects(b) && !fn(r) {
			return
		}
	}
}

func (s fakeSource) Addresses(b orb.Bound, fn func(*data.Address) bool) {
	for i := range s.ds.Addresses {
		if a := &s.ds.Addresses[i]; b.Contains(a.Point) && !fn(a) {
			return
		}
	}
}

func (s fakeSource) POIs(b orb.Bound, fn func(*data.POI) bool) {
	for i := range s.ds.POIs {
		if p := &s.ds.POIs[i]; b.Contains(p.Point) && !fn(p) {
			return
		}
	}
}

func (s fakeSource) Dataset() *data.Dataset { return s.ds }

func rect(x0, y0, x1, y1 float64) orb.MultiPolygon {
	// counter-clockwise in lon/lat, as RFC 7946 and the store keep it
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// Test city geometry: a district of 2×2 communities around 118.78, 31.99,
// each cut into 8×8 unit grids; one street per column of communities.
const (
	cityW, cityS = 118.770, 31.980
	commSize     = 0.01
	gridsPerSide = 8
)

// testCity builds a small city with n components of four categories.
func testCity(n int, seed int64) *data.Dataset {
	ds := &data.Dataset{}
	ds.AdminUnits = append(ds.AdminUnits, data.AdminUnit{Level: data.LevelDistrict, Code: "320114", Name: "雨花台区", Parent: "320100",
		Geometry: rect(cityW, cityS, cityW+2*commSize, cityS+2*commSize)})
	for sx := 0; sx < 2; sx++ {
		scode := fmt.Sprintf("32011400%d", sx+1)
		ds.AdminUnits = append(ds.AdminUnits, data.AdminUnit{Level: data.LevelStreet, Code: scode, Name: fmt.Sprintf("街道%d", sx+1), Parent: "320114",
			Geometry: rect(cityW+float64(sx)*commSize, cityS, cityW+float64(sx+1)*commSize, cityS+2*commSize)})
		for sy := 0; sy < 2; sy++ {
			ccode := fmt.Sprintf("%s%03d", scode, sy+1)
			x0, y0 := cityW+float64(sx)*commSize, cityS+float64(sy)*commSize
			ds.AdminUnits = append(ds.AdminUnits, data.AdminUnit{Level: data.LevelCommunity, Code: ccode, Name: fmt.Sprintf("社区%d%d", sx, sy), Parent: scode,
				Geometry: rect(x0, y0, x0+commSize, y0+commSize)})
			step := commSize / gridsPerSide
			seq := 0
			for gy := gridsPerSide - 1; gy >= 0; gy-- {
				for gx := 0; gx < gridsPerSide; gx++ {
					seq++
					g := rect(x0+float64(gx)*step, y0+float64(gy)*step, x0+float64(gx+1)*step, y0+float64(gy+1)*step)
					ds.UnitGrids = append(ds.UnitGrids, data.UnitGrid{Code: fmt.Sprintf("%s%03d", ccode, seq), Community: ccode, Geometry: g, AreaM2: data.AreaM2(g)})
				}
			}
			ds.ManagementGrids = append(ds.ManagementGrids, data.ManagementGrid{Kind: data.KindResponsibility, Code: "R" + ccode, Name: "责任网格" + ccode[9:], Unit: "D01",
				Geometry: rect(x0, y0, x0+commSize, y0+commSize)})
		}
	}
	ds.ManagementGrids = append(ds.ManagementGrids, data.ManagementGrid{Kind: data.KindInspector, Code: "I001", Name: "监督员网格1", Unit: "D02",
		Geometry: rect(cityW, cityS, cityW+2*commSize, cityS+commSize)})
	ds.Roads = append(ds.Roads,
		data.Road{Code: "R001", Name: "软件大道", District: "320114", Geometry: orb.MultiLineString{{{cityW, cityS + commSize}, {cityW + 2*commSize, cityS + commSize}}}},
		data.Road{Code: "R002", Name: "雨花大道", District: "320114", Geometry: orb.MultiLineString{{{cityW + commSize, cityS}, {cityW + commSize + 0.0001, cityS + commSize}, {cityW + commSize, cityS + 2*commSize}}}},
	)
	ds.Categories = []data.Category{
		{Kind: data.KindComponent, Code: "0101", Name: "上水井盖", Big: "01", BigName: "公用设施", Geometry: data.GeomPoint},
		{Kind: data.KindComponent, Code: "0201", Name: "路灯", Big: "02", BigName: "道路交通", Geometry: data.GeomPoint},
		{Kind: data.KindComponent, Code: "0501", Name: "古树名木", Big: "05", BigName: "园林绿化", Geometry: data.GeomPoint},
		{Kind: data.KindComponent, Code: "0301", Name: "绿地", Big: "03", BigName: "市容环境", Geometry: data.GeomPolygon},
		{Kind: data.KindEvent, Code: "0101", Name: "暴露垃圾", Big: "01", BigName: "市容环境"},
	}
	rng := rand.New(rand.NewSource(seed))
	cats := []string{"0101", "0101", "0101", "0201", "0201", "0501"}
	for i := 0; i < n; i++ {
		cat := cats[rng.Intn(len(cats))]
		p := orb.Point{cityW + rng.Float64()*2*commSize, cityS + rng.Float64()*2*commSize}
		ds.Components = append(ds.Components, data.Component{
			Code: fmt.Sprintf("320114%s%06d", cat, i+1), Category: cat, Name: "部件", Geometry: p,
			Department: "D01", Status: data.StatusIntact, UnitGrid: "",
		})
	}
	ds.Components = append(ds.Components, data.Component{Code: "3201140301000001", Category: "0301", Name: "绿地",
		Geometry: orb.Polygon(rect(cityW+0.001, cityS+0.001, cityW+0.002, cityS+0.0015)[0]), Status: data.StatusIntact})
	for i := 0; i < 20; i++ {
		ds.Addresses = append(ds.Addresses, data.Address{Code: fmt.Sprintf("A%03d", i), Road: "R001", Number: fmt.Sprint(i + 1),
			FullAddress: fmt.Sprintf("雨花台区软件大道%d号", i+1), Point: orb.Point{cityW + 0.0009*float64(i+1), cityS + commSize + 0.0001}})
	}
	ds.POIs = append(ds.POIs,
		data.POI{Code: "P001", Name: "雨花台", Kind: "park", Landmark: true, Point: orb.Point{cityW + 0.005, cityS + 0.005}},
		data.POI{Code: "P002", Name: "小学", Kind: "school", Point: orb.Point{cityW + 0.015, cityS + 0.015}},
	)
	return ds
}
