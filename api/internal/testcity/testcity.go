// Package testcity is the hand-built city the api packages' tests share:
// three unit grids in two communities whose locate, responsible and
// geocode answers are known by hand.
package testcity

import (
	"fmt"
	"time"

	"citygrid/data"
	"citygrid/spatial"

	"github.com/paulmach/orb"
)

// Box is an axis-aligned rectangle as a one-polygon MultiPolygon (counter-
// clockwise outer ring, closed).
func Box(minLon, minLat, maxLon, maxLat float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{
		{minLon, minLat}, {maxLon, minLat}, {maxLon, maxLat}, {minLon, maxLat}, {minLon, minLat},
	}}}
}

// Codes of the hand-built test city.
const (
	District   = "320114"
	Street     = "320114001"
	CommunityA = "320114001001"
	CommunityB = "320114001002"
	GridA1     = "320114001001001" // west half of community A
	GridA2     = "320114001001002" // east half of community A
	GridB1     = "320114001002001" // all of community B
	Cover      = "0101"            // a component category (water cover)
	Lamp       = "0201"            // a component category (street lamp)
	Event      = "0101X"           // not a category: used for unknown-category tests
)

// New is a tiny hand-built city whose answers are known by hand:
//
//	lat 31.92 +---------+---------+-------------------+
//	          | A1      | A2      | B1                |
//	          |         |         |                   |
//	lat 31.90 +---------+---------+-------------------+
//	       118.70    118.71    118.72              118.74
//
// Community A is [118.70,118.72]×[31.90,31.92] split into two unit grids at
// lon 118.71; community B is [118.72,118.74]×[31.90,31.92] with one grid.
// Responsibility grid R01 covers community A, inspector grid I01 covers both.
func New() *data.Dataset {
	day := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	comp := func(code, cat string, lon, lat float64, grid, owner string) data.Component {
		return data.Component{Code: code, Category: cat, Name: "c" + code[len(code)-3:],
			Geometry: orb.Point{lon, lat}, Department: "D-WATER", Owner: owner, Maintainer: owner,
			Status: data.StatusIntact, UnitGrid: grid, SurveyDate: day, ChangedAt: day, Version: 1}
	}
	return &data.Dataset{
		AdminUnits: []data.AdminUnit{
			{Level: data.LevelDistrict, Code: District, Name: "雨花台区", Parent: "320100", Geometry: Box(118.70, 31.90, 118.74, 31.92)},
			{Level: data.LevelStreet, Code: Street, Name: "雨花街道", Parent: District, Geometry: Box(118.70, 31.90, 118.74, 31.92)},
			{Level: data.LevelCommunity, Code: CommunityA, Name: "甲社区", Parent: Street, Geometry: Box(118.70, 31.90, 118.72, 31.92)},
			{Level: data.LevelCommunity, Code: CommunityB, Name: "乙社区", Parent: Street, Geometry: Box(118.72, 31.90, 118.74, 31.92)},
		},
		UnitGrids: []data.UnitGrid{
			{Code: GridA1, Community: CommunityA, Geometry: Box(118.70, 31.90, 118.71, 31.92), AreaM2: data.AreaM2(Box(118.70, 31.90, 118.71, 31.92))},
			{Code: GridA2, Community: CommunityA, Geometry: Box(118.71, 31.90, 118.72, 31.92), AreaM2: data.AreaM2(Box(118.71, 31.90, 118.72, 31.92))},
			{Code: GridB1, Community: CommunityB, Geometry: Box(118.72, 31.90, 118.74, 31.92), AreaM2: data.AreaM2(Box(118.72, 31.90, 118.74, 31.92))},
		},
		ManagementGrids: []data.ManagementGrid{
			{Kind: data.KindResponsibility, Code: "R01", Name: "甲责任网格", Unit: "D-STREET", Geometry: Box(118.70, 31.90, 118.72, 31.92)},
			{Kind: data.KindInspector, Code: "I01", Name: "一号监督员网格", Unit: "D-CENTRE", Geometry: Box(118.70, 31.90, 118.74, 31.92)},
		},
		Categories: []data.Category{
			{Scheme: data.SchemeGBT30428, Kind: data.KindComponent, Code: Cover, Name: "上水井盖", Big: "01", BigName: "公用设施",
				Geometry: data.GeomPoint, Department: "D-WATER", DeadlineClass: "A"},
			{Scheme: data.SchemeGBT30428, Kind: data.KindComponent, Code: Lamp, Name: "路灯", Big: "02", BigName: "道路交通",
				Geometry: data.GeomPoint, Department: "D-LIGHT", DeadlineClass: "A"},
		},
		Departments: []data.Department{
			{Code: "D-CENTRE", Name: "城管指挥中心", Kind: data.DeptCentre},
			{Code: "D-WATER", Name: "自来水公司", Kind: data.DeptUtility},
			{Code: "D-LIGHT", Name: "路灯管理所", Kind: data.DeptBureau},
			{Code: "D-STREET", Name: "雨花街道办", Kind: data.DeptStreet},
			{Code: "D-OWNER", Name: "某物业公司", Kind: data.DeptCompany},
		},
		Components: []data.Component{
			comp("3201140101000001", Cover, 118.7050, 31.9100, GridA1, "D-OWNER"),
			comp("3201140101000002", Cover, 118.7060, 31.9100, GridA1, "D-WATER"),
			comp("3201140101000003", Cover, 118.7300, 31.9100, GridB1, "D-WATER"),
			comp("3201140201000001", Lamp, 118.7051, 31.9101, GridA1, "D-LIGHT"),
			comp("3201140201000002", Lamp, 118.7150, 31.9150, GridA2, "D-LIGHT"),
		},
		Roads: []data.Road{
			{Code: "320114L0001", Name: "软件大道", District: District, Geometry: orb.MultiLineString{{{118.70, 31.91}, {118.74, 31.91}}}},
		},
		Addresses: []data.Address{
			{Code: "320114A0000001", Road: "320114L0001", Number: "1", FullAddress: "雨花台区雨花街道软件大道1号", Community: CommunityA, Point: orb.Point{118.7050, 31.9102}},
			{Code: "320114A0000003", Road: "320114L0001", Number: "3", FullAddress: "雨花台区雨花街道软件大道3号", Community: CommunityA, Point: orb.Point{118.7150, 31.9102}},
		},
		POIs: []data.POI{
			{Code: "320114P0001", Name: "雨花中学", Kind: "school", Landmark: true, Point: orb.Point{118.7300, 31.9150}},
		},
		Rules: []data.Rule{
			{ID: 1, Category: Lamp, Scope: data.ScopeStreet, ScopeRef: Street, Unit: "D-STREET", Priority: 10, Note: "street lamps are the street office's"},
		},
	}
}

// Index indexes New.
func Index() (*spatial.Index, error) { return spatial.Build(New()) }

// WithOverlappingGrids is New with n responsibility grids drawn over each
// other, as digitising errors leave them: R01 as in New and R02… the
// square [118.705,118.715]×[31.905,31.915] inside it, so that each of the
// n·(n-1)/2 pairs overlaps.
func WithOverlappingGrids(n int) *data.Dataset {
	ds := New()
	for i := 2; i <= n; i++ {
		ds.ManagementGrids = append(ds.ManagementGrids, data.ManagementGrid{Kind: data.KindResponsibility,
			Code: fmt.Sprintf("R%02d", i), Name: fmt.Sprintf("重叠责任网格%d", i), Unit: "D-STREET", Geometry: Box(118.705, 31.905, 118.715, 31.915)})
	}
	return ds
}
