// Package gpkgtest provides a small hand-made city for the tests of the
// store and of import/export: every layer is present, with a community that
// has a hole, a line component and a polygon component, so a round trip
// exercises every geometry type the store writes.
package gpkgtest

import (
	"time"

	"github.com/paulmach/orb"

	"citygrid/data"
)

// Rect returns the closed counter-clockwise ring of a lon/lat rectangle.
func Rect(minLon, minLat, maxLon, maxLat float64) orb.Ring {
	return orb.Ring{{minLon, minLat}, {maxLon, minLat}, {maxLon, maxLat}, {minLon, maxLat}, {minLon, minLat}}
}

// City returns a fresh copy of the sample city. Its extent is lon
// 118.70–118.90, lat 31.90–32.05; the community 320114001001 has a hole at
// lon 118.785–118.790, lat 31.985–31.990.
func City() *data.Dataset {
	survey := time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)
	changed := time.Date(2025, 6, 1, 8, 30, 15, 250e6, time.UTC)
	hole := Rect(118.785, 31.985, 118.79, 31.99)
	// A hole runs clockwise.
	for i, j := 0, len(hole)-1; i < j; i, j = i+1, j-1 {
		hole[i], hole[j] = hole[j], hole[i]
	}
	return &data.Dataset{
		AdminUnits: []data.AdminUnit{
			{Level: data.LevelDistrict, Code: "320114", Name: "雨花台区", Parent: "3201",
				Geometry: orb.MultiPolygon{{Rect(118.70, 31.90, 118.90, 32.05)}}},
			{Level: data.LevelStreet, Code: "320114001", Name: "雨花街道", Parent: "320114",
				Geometry: orb.MultiPolygon{{Rect(118.70, 31.95, 118.80, 32.05)}}},
			{Level: data.LevelCommunity, Code: "320114001001", Name: "雨花新村社区", Parent: "320114001",
				Geometry: orb.MultiPolygon{{Rect(118.76, 31.98, 118.80, 32.00), hole}}},
			{Level: data.LevelCommunity, Code: "320114001002", Name: "共青团路社区", Parent: "320114001",
				Geometry: orb.MultiPolygon{{Rect(118.70, 31.95, 118.72, 31.96)}, {Rect(118.73, 31.95, 118.74, 31.96)}}},
		},
		UnitGrids: []data.UnitGrid{
			{Code: "320114001001001", Community: "320114001001", Geometry: orb.MultiPolygon{{Rect(118.76, 31.99, 118.77, 32.00)}}, AreaM2: 1049862.5},
			{Code: "320114001001002", Community: "320114001001", Geometry: orb.MultiPolygon{{Rect(118.77, 31.99, 118.78, 32.00)}}, AreaM2: 1049862.5},
		},
		ManagementGrids: []data.ManagementGrid{
			{Kind: data.KindResponsibility, Code: "ZR001", Name: "雨花新村责任网格", Unit: "D0002",
				Geometry: orb.MultiPolygon{{Rect(118.76, 31.99, 118.78, 32.00)}}},
			{Kind: data.KindInspector, Code: "JD001", Name: "监督员一组", Unit: "D0001",
				Geometry: orb.MultiPolygon{{Rect(118.76, 31.98, 118.80, 32.00)}}},
		},
		Categories: []data.Category{
			{Scheme: data.SchemeGBT30428, Kind: data.KindComponent, Code: "0101", Name: "上水井盖", Big: "01", BigName: "公用设施",
				Geometry: data.GeomPoint, Department: "D0003", DeadlineClass: "A"},
			{Scheme: data.SchemeGBT30428, Kind: data.KindComponent, Code: "0213", Name: "护栏", Big: "02", BigName: "道路交通",
				Geometry: data.GeomLine, Department: "D0002", DeadlineClass: "B"},
			{Scheme: data.SchemeGBT30428, Kind: data.KindComponent, Code: "0501", Name: "绿地", Big: "05", BigName: "园林绿化",
				Geometry: data.GeomPolygon, Department: "D0002", DeadlineClass: "C"},
			{Scheme: data.SchemeGBT30428, Kind: data.KindEvent, Code: "0101", Name: "暴露垃圾", Big: "01", BigName: "市容环境",
				Department: "D0002", DeadlineClass: "A"},
		},
		Departments: []data.Department{
			{Code: "D0001", Name: "雨花台区城市管理指挥中心", Kind: data.DeptCentre},
			{Code: "D0002", Name: "雨花街道办事处", Parent: "D0001", Kind: data.DeptStreet},
			{Code: "D0003", Name: "南京水务集团", CreditCode: "91320100134887461L", Kind: data.DeptUtility},
		},
		Components: []data.Component{
			{Code: "3201140101000001", Category: "0101", Name: "上水井盖", Geometry: orb.Point{118.765, 31.995},
				Department: "D0003", Owner: "D0003", Maintainer: "D0003", Status: data.StatusIntact,
				UnitGrid: "320114001001001", SurveyDate: survey, ChangedAt: changed, Version: 3, Note: "铸铁, 700 mm"},
			{Code: "3201140213000001", Category: "0213", Name: "护栏", Geometry: orb.LineString{{118.771, 31.991}, {118.775, 31.992}, {118.779, 31.991}},
				Department: "D0002", Owner: "D0002", Maintainer: "D0002", Status: data.StatusDamaged,
				UnitGrid: "320114001001002", SurveyDate: survey, Version: 1},
			{Code: "3201140501000001", Category: "0501", Name: "绿地", Geometry: orb.Polygon{Rect(118.761, 31.991, 118.762, 31.992)},
				Department: "D0002", Owner: "D0002", Status: data.StatusIntact,
				UnitGrid: "320114001001001", Version: 1},
		},
		Roads: []data.Road{
			{Code: "R001", Name: "雨花路", District: "320114", Geometry: orb.MultiLineString{{{118.76, 31.995}, {118.78, 31.995}}}},
			{Code: "R002", Name: "共青团路", District: "320114", Geometry: orb.MultiLineString{{{118.70, 31.955}, {118.72, 31.955}}, {{118.73, 31.955}, {118.74, 31.955}}}},
		},
		Addresses: []data.Address{
			{Code: "A001", Road: "R001", Number: "101", FullAddress: "雨花台区雨花街道雨花路101号", Community: "320114001001", Point: orb.Point{118.768, 31.9955}},
			{Code: "A002", Road: "R001", Number: "12甲", FullAddress: "雨花台区雨花街道雨花路12甲号", Community: "320114001001", Point: orb.Point{118.772, 31.9945}},
		},
		POIs: []data.POI{
			{Code: "P001", Name: "雨花台", Kind: "park", Landmark: true, Point: orb.Point{118.779, 31.998}},
			{Code: "P002", Name: "雨花小学", Kind: "school", Point: orb.Point{118.762, 31.996}},
		},
		Rules: []data.Rule{
			{ID: 1, Category: "0101", Scope: data.ScopeCity, Unit: "D0003", Priority: 10},
			{ID: 2, Category: "", Scope: data.ScopeStreet, ScopeRef: "320114001", Unit: "D0002", Priority: 0, Note: "街道兜底"},
		},
	}
}

// Components returns n valid point components (category 0101) spread over
// unit grid 320114001001001 of City, numbered from sequence 1001, for
// benchmarks of import, validation and the store.
func Components(n int) []data.Component {
	survey := time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)
	out := make([]data.Component, n)
	side := 1
	for side*side < n {
		side++
	}
	for i := range out {
		out[i] = data.Component{
			Code: data.ComponentCode("320114", "0101", 1000+i+1), Category: "0101", Name: "上水井盖",
			Geometry:   orb.Point{118.7601 + 0.0098*float64(i%side)/float64(side), 31.9901 + 0.0098*float64(i/side)/float64(side)},
			Department: "D0003", Owner: "D0003", Maintainer: "D0002", Status: data.StatusIntact,
			UnitGrid: "320114001001001", SurveyDate: survey, ChangedAt: survey.Add(time.Duration(i) * time.Minute), Version: 1,
		}
	}
	return out
}
