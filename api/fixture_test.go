package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"citygrid/api/city"
	"citygrid/data"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
	"citygrid/spatial"

	"github.com/paulmach/orb"
)

// box is an axis-aligned rectangle as a one-polygon MultiPolygon (counter-
// clockwise outer ring, closed).
func box(minLon, minLat, maxLon, maxLat float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{
		{minLon, minLat}, {maxLon, minLat}, {maxLon, maxLat}, {minLon, maxLat}, {minLon, minLat},
	}}}
}

// Codes of the hand-built test city.
const (
	tDistrict   = "320114"
	tStreet     = "320114001"
	tCommunityA = "320114001001"
	tCommunityB = "320114001002"
	tGridA1     = "320114001001001" // west half of community A
	tGridA2     = "320114001001002" // east half of community A
	tGridB1     = "320114001002001" // all of community B
	tCover      = "0101"            // a component category (water cover)
	tLamp       = "0201"            // a component category (street lamp)
	tEvent      = "0101X"           // not a category: used for unknown-category tests
)

// testCity is a tiny hand-built city whose answers are known by hand:
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
func testCity() *data.Dataset {
	day := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	comp := func(code, cat string, lon, lat float64, grid, owner string) data.Component {
		return data.Component{Code: code, Category: cat, Name: "c" + code[len(code)-3:],
			Geometry: orb.Point{lon, lat}, Department: "D-WATER", Owner: owner, Maintainer: owner,
			Status: data.StatusIntact, UnitGrid: grid, SurveyDate: day, ChangedAt: day, Version: 1}
	}
	return &data.Dataset{
		AdminUnits: []data.AdminUnit{
			{Level: data.LevelDistrict, Code: tDistrict, Name: "雨花台区", Parent: "320100", Geometry: box(118.70, 31.90, 118.74, 31.92)},
			{Level: data.LevelStreet, Code: tStreet, Name: "雨花街道", Parent: tDistrict, Geometry: box(118.70, 31.90, 118.74, 31.92)},
			{Level: data.LevelCommunity, Code: tCommunityA, Name: "甲社区", Parent: tStreet, Geometry: box(118.70, 31.90, 118.72, 31.92)},
			{Level: data.LevelCommunity, Code: tCommunityB, Name: "乙社区", Parent: tStreet, Geometry: box(118.72, 31.90, 118.74, 31.92)},
		},
		UnitGrids: []data.UnitGrid{
			{Code: tGridA1, Community: tCommunityA, Geometry: box(118.70, 31.90, 118.71, 31.92), AreaM2: data.AreaM2(box(118.70, 31.90, 118.71, 31.92))},
			{Code: tGridA2, Community: tCommunityA, Geometry: box(118.71, 31.90, 118.72, 31.92), AreaM2: data.AreaM2(box(118.71, 31.90, 118.72, 31.92))},
			{Code: tGridB1, Community: tCommunityB, Geometry: box(118.72, 31.90, 118.74, 31.92), AreaM2: data.AreaM2(box(118.72, 31.90, 118.74, 31.92))},
		},
		ManagementGrids: []data.ManagementGrid{
			{Kind: data.KindResponsibility, Code: "R01", Name: "甲责任网格", Unit: "D-STREET", Geometry: box(118.70, 31.90, 118.72, 31.92)},
			{Kind: data.KindInspector, Code: "I01", Name: "一号监督员网格", Unit: "D-CENTRE", Geometry: box(118.70, 31.90, 118.74, 31.92)},
		},
		Categories: []data.Category{
			{Scheme: data.SchemeGBT30428, Kind: data.KindComponent, Code: tCover, Name: "上水井盖", Big: "01", BigName: "公用设施",
				Geometry: data.GeomPoint, Department: "D-WATER", DeadlineClass: "A"},
			{Scheme: data.SchemeGBT30428, Kind: data.KindComponent, Code: tLamp, Name: "路灯", Big: "02", BigName: "道路交通",
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
			comp("3201140101000001", tCover, 118.7050, 31.9100, tGridA1, "D-OWNER"),
			comp("3201140101000002", tCover, 118.7060, 31.9100, tGridA1, "D-WATER"),
			comp("3201140101000003", tCover, 118.7300, 31.9100, tGridB1, "D-WATER"),
			comp("3201140201000001", tLamp, 118.7051, 31.9101, tGridA1, "D-LIGHT"),
			comp("3201140201000002", tLamp, 118.7150, 31.9150, tGridA2, "D-LIGHT"),
		},
		Roads: []data.Road{
			{Code: "320114L0001", Name: "软件大道", District: tDistrict, Geometry: orb.MultiLineString{{{118.70, 31.91}, {118.74, 31.91}}}},
		},
		Addresses: []data.Address{
			{Code: "320114A0000001", Road: "320114L0001", Number: "1", FullAddress: "雨花台区雨花街道软件大道1号", Community: tCommunityA, Point: orb.Point{118.7050, 31.9102}},
			{Code: "320114A0000003", Road: "320114L0001", Number: "3", FullAddress: "雨花台区雨花街道软件大道3号", Community: tCommunityA, Point: orb.Point{118.7150, 31.9102}},
		},
		POIs: []data.POI{
			{Code: "320114P0001", Name: "雨花中学", Kind: "school", Landmark: true, Point: orb.Point{118.7300, 31.9150}},
		},
		Rules: []data.Rule{
			{ID: 1, Category: tLamp, Scope: data.ScopeStreet, ScopeRef: tStreet, Unit: "D-STREET", Priority: 10, Note: "street lamps are the street office's"},
		},
	}
}

// newTestServer serves testCity through the real router.
func newTestServer(t testing.TB) http.Handler {
	t.Helper()
	ix, err := newTestIndex()
	if err != nil {
		t.Fatal(err)
	}
	h, err := newServer(t, city.Config{Index: ix}, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBatchPoints: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// newTestIndex indexes testCity.
func newTestIndex() (*spatial.Index, error) { return spatial.Build(testCity()) }

// storedTestCity stores gpkgtest.City in a new GeoPackage under dir (closed
// at the end of the test) and indexes what the store loads back, as serve
// does at start-up.
func storedTestCity(t testing.TB, dir string) (*gpkg.Store, *spatial.Index) {
	t.Helper()
	ctx := context.Background()
	st, err := gpkg.Open(ctx, filepath.Join(dir, "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	return st, ix
}

// newServer opens the city of cc (its logger that of cfg when unset) and
// serves it with cfg; the city is closed at the end of the test (tb nil:
// never, for a server shared by benchmarks).
func newServer(tb testing.TB, cc city.Config, cfg Config) (http.Handler, error) {
	if cc.Logger == nil {
		cc.Logger = cfg.Logger
	}
	c, err := city.Open(context.Background(), cc)
	if err != nil {
		return nil, err
	}
	if tb != nil {
		tb.Cleanup(func() {
			if err := c.Close(context.Background()); err != nil {
				tb.Errorf("close city: %v", err)
			}
		})
	}
	return New(c, cfg)
}
