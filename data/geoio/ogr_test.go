package geoio_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"

	"citygrid/data"
	"citygrid/data/geoio"
	"citygrid/data/gpkg"
	"citygrid/data/topology"
)

// needGDAL skips a test where gdal-bin is not installed; CI installs it.
func needGDAL(t *testing.T) {
	t.Helper()
	if !geoio.GDALAvailable() {
		t.Skip("ogr2ogr not installed (Debian package gdal-bin)")
	}
}

// ogr2ogr runs the real tool, as a contractor's GIS would write the file.
func ogr2ogr(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ogr2ogr", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ogr2ogr %v: %v\n%s", args, err, out)
	}
}

// The source of the Shapefile: three districts inside the 3-degree
// Gauss-Krüger zone of central meridian 120°E (EPSG:4549), one of them
// with a hole, written in EPSG:4490 with their Chinese names.
var shpSource = []struct {
	code, name string
	rings      [][]orb.Point
}{
	{"330102", "上城区", [][]orb.Point{{{120.16, 30.24}, {120.20, 30.24}, {120.20, 30.28}, {120.16, 30.28}, {120.16, 30.24}}}},
	{"330105", "拱墅区", [][]orb.Point{{{120.12, 30.28}, {120.18, 30.28}, {120.1712345678, 30.3487654321}, {120.12, 30.34}, {120.12, 30.28}},
		{{120.13, 30.29}, {120.14, 30.29}, {120.14, 30.30}, {120.13, 30.29}}}},
	{"330106", "西湖区·龙井", [][]orb.Point{{{120.05, 30.20}, {120.16, 30.20}, {120.16, 30.28}, {120.05, 30.28}, {120.05, 30.20}}}},
}

func sourceGeoJSON() string {
	var feats []string
	for _, d := range shpSource {
		var rings []string
		for _, r := range d.rings {
			var pts []string
			for _, p := range r {
				pts = append(pts, fmt.Sprintf("[%.10f,%.10f]", p[0], p[1]))
			}
			rings = append(rings, "["+strings.Join(pts, ",")+"]")
		}
		feats = append(feats, fmt.Sprintf(`{"type":"Feature","properties":{"code":%q,"name":%q},"geometry":{"type":"Polygon","coordinates":[%s]}}`,
			d.code, d.name, strings.Join(rings, ",")))
	}
	return `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},"features":[` + strings.Join(feats, ",\n") + "]}"
}

// gbkShapefile writes the source as a Shapefile in EPSG:4549 with GBK
// attributes, and returns the .shp path.
func gbkShapefile(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "source.geojson")
	if err := os.WriteFile(src, []byte(sourceGeoJSON()), 0o644); err != nil {
		t.Fatal(err)
	}
	shp := filepath.Join(dir, "区县.shp")
	ogr2ogr(t, "-f", "ESRI Shapefile", "-t_srs", "EPSG:4549", "-lco", "ENCODING=GBK", shp, src)
	dbf, err := os.ReadFile(strings.TrimSuffix(shp, ".shp") + ".dbf")
	if err != nil {
		t.Fatal(err)
	}
	// 上城区 in GBK: the file really is GBK, not UTF-8.
	if !bytes.Contains(dbf, []byte{0xc9, 0xcf, 0xb3, 0xc7, 0xc7, 0xf8}) || bytes.Contains(dbf, []byte("上城区")) {
		t.Fatalf("the .dbf does not hold GBK names")
	}
	return shp
}

// metres is the ground distance between two lon/lat points, on a sphere of
// the ellipsoid's semi-major axis: good to 0.5 % at city scale, ample to
// tell 1 cm from 10 cm.
func metres(a, b orb.Point) float64 {
	lat := (a[1] + b[1]) / 2 * math.Pi / 180
	dx := (a[0] - b[0]) * math.Pi / 180 * data.EllipsoidA * math.Cos(lat)
	dy := (a[1] - b[1]) * math.Pi / 180 * data.EllipsoidA
	return math.Hypot(dx, dy)
}

// checkAgainstSource asserts that the districts read hold the source's
// names and that every source vertex has a read vertex within 1 cm and the
// other way round (a Shapefile stores shells clockwise, so the order of the
// vertices may change, not their places).
func checkAgainstSource(t *testing.T, units []data.AdminUnit) {
	t.Helper()
	if len(units) != len(shpSource) {
		t.Fatalf("read %d districts, want %d", len(units), len(shpSource))
	}
	worst := 0.0
	for i, want := range shpSource {
		got := units[i]
		if got.Code != want.code || got.Name != want.name {
			t.Errorf("district %d: %s %q, want %s %q", i+1, got.Code, got.Name, want.code, want.name)
		}
		if len(got.Geometry) != 1 || len(got.Geometry[0]) != len(want.rings) {
			t.Fatalf("district %s: geometry %v, want %d ring(s)", want.code, got.Geometry, len(want.rings))
		}
		for r, ring := range want.rings {
			near := func(p orb.Point, in []orb.Point) float64 {
				best := math.Inf(1)
				for _, q := range in {
					best = math.Min(best, metres(p, q))
				}
				return best
			}
			gr := []orb.Point(got.Geometry[0][r])
			for _, p := range ring {
				worst = math.Max(worst, near(p, gr))
			}
			for _, p := range gr {
				worst = math.Max(worst, near(p, ring))
			}
		}
	}
	if worst > 0.01 {
		t.Errorf("a vertex moved %.4f m through EPSG:4549 and back, more than 1 cm", worst)
	}
	t.Logf("largest vertex shift through EPSG:4549 and back: %.2g m", worst)
}

func TestAGBKShapefileInGaussKrugerImportsWithItsNamesAndPlaces(t *testing.T) {
	needGDAL(t)
	shp := gbkShapefile(t)
	if f, err := geoio.FormatOf(shp); err != nil || f != geoio.Shapefile {
		t.Fatalf("FormatOf(%s) = %q, %v", shp, f, err)
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "citygrid.gpkg")
	st, err := gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b, err := geoio.Import(ctx, st, shp, geoio.Options{Layer: geoio.Districts})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if len(b.Warnings) > 0 {
		t.Errorf("warnings for a file with a .cpg: %v", b.Warnings)
	}
	city, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstSource(t, city.AdminUnits)
}

func TestAShapefileWithoutCpgIsReadAsGBKWithAWarning(t *testing.T) {
	needGDAL(t)
	shp := gbkShapefile(t)
	if err := os.Remove(strings.TrimSuffix(shp, ".shp") + ".cpg"); err != nil {
		t.Fatal(err)
	}
	b, err := geoio.Read(context.Background(), shp, geoio.Options{Layer: geoio.Districts})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstSource(t, b.Dataset.AdminUnits)
	if len(b.Warnings) != 1 || !strings.Contains(b.Warnings[0], "GB18030") || !strings.Contains(b.Warnings[0], "--encoding") {
		t.Errorf("warnings %q, want one naming the assumed encoding and --encoding", b.Warnings)
	}
	// Told the wrong encoding, the names come out wrong but valid UTF-8,
	// which is why the default looks at the bytes.
	b, err = geoio.Read(context.Background(), shp, geoio.Options{Layer: geoio.Districts, CRS: geoio.CRSOptions{Encoding: "ISO-8859-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := b.Dataset.AdminUnits[0].Name; n == shpSource[0].name || !utf8.ValidString(n) {
		t.Errorf("read as Latin-1 the name is %q", n)
	}
}

func TestAShapefileWithoutACoordinateSystemSaysWhatToSupply(t *testing.T) {
	needGDAL(t)
	shp := gbkShapefile(t)
	if err := os.Remove(strings.TrimSuffix(shp, ".shp") + ".prj"); err != nil {
		t.Fatal(err)
	}
	_, err := geoio.Read(context.Background(), shp, geoio.Options{Layer: geoio.Districts})
	if !errors.Is(err, geoio.ErrUnknownCRS) {
		t.Fatalf("Read = %v, want ErrUnknownCRS", err)
	}
	for _, want := range []string{shp, "no .prj", ".prj file", "--s-srs", "EPSG:4534-4554", "--towgs84", "--ct", "a projected system"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	b, err := geoio.Read(context.Background(), shp, geoio.Options{Layer: geoio.Districts, CRS: geoio.CRSOptions{SourceSRS: "EPSG:4549"}})
	if err != nil {
		t.Fatalf("with --s-srs EPSG:4549: %v", err)
	}
	checkAgainstSource(t, b.Dataset.AdminUnits)
}

func TestALocalSystemNeedsItsTransformation(t *testing.T) {
	needGDAL(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "source.geojson")
	if err := os.WriteFile(src, []byte(sourceGeoJSON()), 0o644); err != nil {
		t.Fatal(err)
	}
	// A city system: Gauss-Krüger on the Krassowsky ellipsoid of Beijing
	// 1954 with a local meridian and offsets, as city survey offices keep.
	// Written here with a datum shift of zero, so that stating the same
	// shift on import gives the source back.
	local := "+proj=tmerc +lat_0=0 +lon_0=120.25 +k=1 +x_0=50000 +y_0=-3300000 +ellps=krass +towgs84=0,0,0,0,0,0,0 +units=m +no_defs"
	shp := filepath.Join(dir, "city.shp")
	ogr2ogr(t, "-f", "ESRI Shapefile", "-t_srs", local, "-lco", "ENCODING=UTF-8", shp, src)
	// The .prj an ArcGIS user hands over carries no datum shift.
	_, err := geoio.Read(context.Background(), shp, geoio.Options{Layer: geoio.Districts})
	if !errors.Is(err, geoio.ErrUnknownCRS) || !strings.Contains(err.Error(), "--towgs84") || !strings.Contains(err.Error(), "no EPSG code") {
		t.Fatalf("Read = %v, want ErrUnknownCRS asking for the seven parameters", err)
	}
	b, err := geoio.Read(context.Background(), shp, geoio.Options{Layer: geoio.Districts, CRS: geoio.CRSOptions{ToWGS84: "0,0,0,0,0,0,0"}})
	if err != nil {
		t.Fatalf("with --towgs84: %v", err)
	}
	checkAgainstSource(t, b.Dataset.AdminUnits)
	if _, err := geoio.Read(context.Background(), shp, geoio.Options{Layer: geoio.Districts, CRS: geoio.CRSOptions{ToWGS84: "1,2,3"}}); err == nil || !strings.Contains(err.Error(), "seven numbers") {
		t.Errorf("three parameters: %v", err)
	}
}

func TestAGeoJSONInGaussKrugerIsReprojected(t *testing.T) {
	needGDAL(t)
	shp := gbkShapefile(t)
	gj := filepath.Join(t.TempDir(), "4549.geojson")
	ogr2ogr(t, "-f", "GeoJSON", "-lco", "RFC7946=NO", gj, shp)
	if raw, _ := os.ReadFile(gj); !bytes.Contains(raw, []byte("EPSG::4549")) {
		t.Fatalf("the GeoJSON does not declare EPSG:4549:\n%.300s", raw)
	}
	b, err := geoio.Read(context.Background(), gj, geoio.Options{Layer: geoio.Districts})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstSource(t, b.Dataset.AdminUnits)
}

// A district whose western edge is at 114.8828125 exactly; a file from
// another source, reprojected, puts the shared vertices at
// 114.88281249999999.
func extentCity() *data.Dataset {
	return &data.Dataset{AdminUnits: []data.AdminUnit{{Level: data.LevelDistrict, Code: "420102", Name: "江岸区", Parent: "4201",
		Geometry: orb.MultiPolygon{{{{114.8828125, 30.5}, {114.9, 30.5}, {114.9, 30.6}, {114.8828125, 30.6}, {114.8828125, 30.5}}}}}}}
}

func importString(t *testing.T, storePath, name, content string, opt geoio.Options) (*geoio.Batch, error) {
	t.Helper()
	in := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(in, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := gpkg.Open(context.Background(), storePath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return geoio.Import(context.Background(), st, in, opt)
}

func TestReprojectionNoiseAtTheEdgeOfTheCityPassesTheExtentCheck(t *testing.T) {
	street := func(west string) string {
		return `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"420102001","name":"大智街道"},
 "geometry":{"type":"Polygon","coordinates":[[[` + west + `,30.5],[114.89,30.5],[114.89,30.55],[` + west + `,30.55],[` + west + `,30.5]]]}}]}`
	}
	store := storeWithCity(t, extentCity())
	if _, err := importString(t, store, "noise.geojson", street("114.88281249999999"), geoio.Options{Layer: geoio.Streets}); err != nil {
		t.Fatalf("a vertex 1e-14° outside was refused: %v", err)
	}
	store = storeWithCity(t, extentCity())
	_, err := importString(t, store, "shifted.geojson", street("114.8818125"), geoio.Options{Layer: geoio.Streets})
	var errs data.ValidationErrors
	if !errors.As(err, &errs) {
		t.Fatalf("a street 0.001° outside: %v, want refused", err)
	}
	// 0.001° of longitude at 30.5°N is 96 m.
	if msg := errList(errs); !strings.Contains(msg, "feature 1 (code 420102001): geometry: coordinate (114.8818125, 30.5) lies 95.9 m outside") ||
		!strings.Contains(msg, "stored districts") {
		t.Errorf("errors %s", msg)
	}
}

func TestInvalidRingsAreReportedByFeatureAndRepairedOnRequest(t *testing.T) {
	file := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"420102","name":"江岸区"},"geometry":{"type":"Polygon","coordinates":[[[114.30,30.60],[114.32,30.62],[114.32,30.60],[114.30,30.62],[114.30,30.60]]]}},
{"type":"Feature","properties":{"code":"420103","name":"江汉区"},"geometry":{"type":"Polygon","coordinates":[[[114.20,30.50],[114.24,30.50],[114.24,30.54],[114.20,30.54],[114.20,30.50]],[[114.26,30.50],[114.27,30.50],[114.27,30.51],[114.26,30.50]]]}},
{"type":"Feature","properties":{"code":"420104","name":"硚口区"},"geometry":{"type":"Polygon","coordinates":[[[114.10,30.50],[114.12,30.52],[114.14,30.50],[114.14,30.54],[114.12,30.52],[114.10,30.54],[114.10,30.50]]]}},
{"type":"Feature","properties":{"code":"420105","name":"汉阳区"},"geometry":{"type":"Polygon","coordinates":[[[114.00,30.50],[114.04,30.50],[114.04,30.54],[114.00,30.54],[114.00,30.50]]]}}
]}`
	store := storeWithCity(t, &data.Dataset{})
	before := fingerprint(t, store)
	_, err := importString(t, store, "invalid.geojson", file, geoio.Options{Layer: geoio.Districts})
	var errs data.ValidationErrors
	if !errors.As(err, &errs) {
		t.Fatalf("Import = %v, want the invalid rings listed", err)
	}
	msg := errList(errs)
	for _, want := range []string{
		"feature 1 (code 420102): geometry: is not a valid polygon: self-intersection at (114.310000, 30.610000), part 1 ring 0",
		"feature 2 (code 420103): geometry: is not a valid polygon: ring outside shell",
		"feature 3 (code 420104): geometry: is not a valid polygon: self-touch at (114.120000, 30.520000), part 1 ring 0",
		"--make-valid",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "feature 4") {
		t.Errorf("the valid district is reported:\n%s", msg)
	}
	if fingerprint(t, store) != before {
		t.Error("the store changed")
	}

	b, err := importString(t, store, "invalid.geojson", file, geoio.Options{Layer: geoio.Districts, Geometry: geoio.GeometryOptions{MakeValid: true}})
	if err != nil {
		t.Fatalf("with --make-valid: %v", err)
	}
	if len(b.Warnings) != 3 {
		t.Errorf("warnings %q, want one repair for each of 3 features", b.Warnings)
	}
	st, _ := gpkg.Open(context.Background(), store)
	defer st.Close()
	city, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Areas of the shell-minus-holes reading, worked out by hand in
	// degrees², compared in units of the ellipsoidal area of a 0.01°
	// square at the same place so the expectation needs no geodesy: the
	// bow tie is two triangles of 0.0001, the square with an island hole
	// keeps its 0.0016, the figure eight is two triangles of 0.0004.
	wantCells := map[string]float64{"420102": 2, "420103": 16, "420104": 8, "420105": 16}
	for _, u := range city.AdminUnits {
		if p := topology.Check(u.Geometry); len(p) > 0 {
			t.Errorf("%s stored invalid: %v", u.Code, p)
		}
		c := u.Geometry.Bound().Center()
		cell := data.AreaM2(orb.MultiPolygon{{{{c[0], c[1] - 0.005}, {c[0] + 0.01, c[1] - 0.005}, {c[0] + 0.01, c[1] + 0.005}, {c[0], c[1] + 0.005}, {c[0], c[1] - 0.005}}}})
		if got := data.AreaM2(u.Geometry) / cell; math.Abs(got-wantCells[u.Code]) > 0.01 {
			t.Errorf("%s: repaired area is %.3f cells of 0.01°, want %v", u.Code, got, wantCells[u.Code])
		}
	}
}

func TestOverlapsWithinALayerAreListedWithTheirArea(t *testing.T) {
	sq := func(x0, y0, x1, y1 float64) string {
		return fmt.Sprintf("[[[%v,%v],[%v,%v],[%v,%v],[%v,%v],[%v,%v]]]", x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)
	}
	stored := &data.Dataset{AdminUnits: []data.AdminUnit{{Level: data.LevelDistrict, Code: "420102", Name: "江岸区", Parent: "4201",
		Geometry: orb.MultiPolygon{{{{114.30, 30.60}, {114.32, 30.60}, {114.32, 30.62}, {114.30, 30.62}, {114.30, 30.60}}}}}}}
	// 420103 overlaps the stored 420102 over [114.31, 114.32] × [30.60,
	// 30.61]; 420104 overlaps 420103 over [114.33, 114.335] × [30.60,
	// 30.61]; 420105 only shares an edge with 420104.
	file := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"420103","name":"江汉区"},"geometry":{"type":"Polygon","coordinates":` + sq(114.31, 30.59, 114.34, 30.61) + `}},
{"type":"Feature","properties":{"code":"420104","name":"硚口区"},"geometry":{"type":"Polygon","coordinates":` + sq(114.33, 30.60, 114.36, 30.63) + `}},
{"type":"Feature","properties":{"code":"420105","name":"汉阳区"},"geometry":{"type":"Polygon","coordinates":` + sq(114.36, 30.60, 114.38, 30.63) + `}}
]}`
	area := func(x0, y0, x1, y1 float64) float64 {
		return data.AreaM2(orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}})
	}
	store := storeWithCity(t, stored)
	_, err := importString(t, store, "overlaps.geojson", file, geoio.Options{Layer: geoio.Districts})
	var errs data.ValidationErrors
	if !errors.As(err, &errs) {
		t.Fatalf("Import = %v, want the overlaps listed", err)
	}
	msg := errList(errs)
	for _, want := range []string{
		fmt.Sprintf("feature 1 (code 420103): geometry: overlaps stored district 420102 by %.2f m²", area(114.31, 30.60, 114.32, 30.61)),
		fmt.Sprintf("feature 1 (code 420103): geometry: overlaps feature 2 (code 420104) by %.2f m²", area(114.33, 30.60, 114.34, 30.61)),
		"--allow-overlaps",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}
	if len(errs) != 2 {
		t.Errorf("%d errors, want 2 (the edge 420104 shares with 420105 is no overlap):\n%s", len(errs), msg)
	}
	b, err := importString(t, store, "overlaps.geojson", file, geoio.Options{Layer: geoio.Districts, Geometry: geoio.GeometryOptions{AllowOverlaps: true}})
	if err != nil {
		t.Fatalf("with --allow-overlaps: %v", err)
	}
	if len(b.Warnings) != 2 || !strings.Contains(b.Warnings[0], "accepted with --allow-overlaps") {
		t.Errorf("warnings %q", b.Warnings)
	}
}

func TestASliverUnitGridNamesTheGeometryNotAFieldTheFileLacks(t *testing.T) {
	city := &data.Dataset{AdminUnits: []data.AdminUnit{
		{Level: data.LevelDistrict, Code: "420102", Name: "江岸区", Parent: "4201", Geometry: orb.MultiPolygon{{{{114.3, 30.6}, {114.4, 30.6}, {114.4, 30.7}, {114.3, 30.6}}}}},
	}}
	city.AdminUnits = append(city.AdminUnits,
		data.AdminUnit{Level: data.LevelStreet, Code: "420102001", Name: "大智街道", Parent: "420102", Geometry: city.AdminUnits[0].Geometry},
		data.AdminUnit{Level: data.LevelCommunity, Code: "420102001001", Name: "一元社区", Parent: "420102001", Geometry: city.AdminUnits[0].Geometry})
	file := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"BGID":"420102001001001"},
 "geometry":{"type":"Polygon","coordinates":[[[114.35,30.65],[114.36,30.66],[114.37,30.67],[114.35,30.65]]]}}]}`
	b, err := geoio.ReadGeoJSON(strings.NewReader(file), geoio.UnitGrids, nil)
	if err != nil {
		t.Fatal(err)
	}
	errs := b.Validate(city)
	if len(errs) != 1 || errs[0].Where != "feature 1 (BGID 420102001001001)" || errs[0].Field != "geometry" || !strings.Contains(errs[0].Reason, "encloses no area") {
		t.Errorf("errors %s, want one about the geometry of feature 1 (BGID ...)", errList(errs))
	}
}

func TestABorderComponentGoesToTheGridOfTheCountyItsCodeNames(t *testing.T) {
	sq := func(x0, x1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, 30.6}, {x1, 30.6}, {x1, 30.7}, {x0, 30.7}, {x0, 30.6}}}}
	}
	city := &data.Dataset{UnitGrids: []data.UnitGrid{
		{Code: "420102001001001", Community: "420102001001", AreaM2: 1, Geometry: sq(114.3, 114.4)},
		{Code: "420103001001001", Community: "420103001001", AreaM2: 1, Geometry: sq(114.4, 114.5)},
	}}
	// On the shared edge: the lowest code is 420102's grid, the code says 420103.
	file := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"4201030101000001","name":"井盖"},"geometry":{"type":"Point","coordinates":[114.4,30.65]}},
{"type":"Feature","properties":{"code":"4201020101000002","name":"井盖"},"geometry":{"type":"Point","coordinates":[114.4,30.66]}}]}`
	b, err := geoio.ReadGeoJSON(strings.NewReader(file), geoio.Components, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Complete(city)
	got := []string{b.Dataset.Components[0].UnitGrid, b.Dataset.Components[1].UnitGrid}
	if got[0] != "420103001001001" || got[1] != "420102001001001" {
		t.Errorf("unit grids %v, want each component in its own county's grid", got)
	}
	if len(b.Warnings) != 1 || !strings.Contains(b.Warnings[0], "feature 1 (code 4201030101000001)") || !strings.Contains(b.Warnings[0], "county 420103") {
		t.Errorf("warnings %q, want one for feature 1", b.Warnings)
	}
}

func TestShapefileCompanionsPointToTheShp(t *testing.T) {
	_, err := geoio.FormatOf("/data/路网.dbf")
	if err == nil || !strings.Contains(err.Error(), "import the .shp file") {
		t.Errorf("FormatOf(.dbf) = %v", err)
	}
	for file, want := range map[string]geoio.Format{"a.SHP": geoio.Shapefile, "survey.gdb": geoio.FileGDB, "survey.gdb/": geoio.FileGDB, "a.kmz": geoio.KML} {
		if f, err := geoio.FormatOf(file); f != want || err != nil {
			t.Errorf("FormatOf(%s) = %q, %v; want %q", file, f, err, want)
		}
	}
}

func TestAFileGeodatabaseLayerIsChosenByName(t *testing.T) {
	needGDAL(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "source.geojson")
	if err := os.WriteFile(src, []byte(sourceGeoJSON()), 0o644); err != nil {
		t.Fatal(err)
	}
	gdb := filepath.Join(dir, "普查.gdb")
	ogr2ogr(t, "-f", "OpenFileGDB", "-t_srs", "EPSG:4549", "-nln", "XZQ", gdb, src)
	ogr2ogr(t, "-f", "OpenFileGDB", "-update", "-t_srs", "EPSG:4549", "-nln", "JD", gdb, src)
	_, err := geoio.Read(context.Background(), gdb, geoio.Options{Layer: geoio.Districts})
	if !errors.Is(err, geoio.ErrSyntax) || !strings.Contains(err.Error(), "--source-layer") || !strings.Contains(err.Error(), "XZQ") {
		t.Fatalf("Read of two layers = %v, want a request to name one", err)
	}
	b, err := geoio.Read(context.Background(), gdb, geoio.Options{Layer: geoio.Districts, CRS: geoio.CRSOptions{SourceLayer: "XZQ"}})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstSource(t, b.Dataset.AdminUnits)
}

func TestKMLIsReadAsLongitudeLatitude(t *testing.T) {
	needGDAL(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "source.geojson")
	if err := os.WriteFile(src, []byte(sourceGeoJSON()), 0o644); err != nil {
		t.Fatal(err)
	}
	kml := filepath.Join(dir, "districts.kml")
	ogr2ogr(t, "-f", "KML", kml, src)
	b, err := geoio.Read(context.Background(), kml, geoio.Options{Layer: geoio.Districts, Mapping: geoio.Mapping{"name": "Name"}})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstSource(t, b.Dataset.AdminUnits)
}

func TestACodeInAShapefileDoubleFieldKeepsItsDigits(t *testing.T) {
	b, err := geoio.ReadGeoJSON(strings.NewReader(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"BGID":420102001001001.0},
 "geometry":{"type":"Polygon","coordinates":[[[114.3,30.6],[114.31,30.6],[114.31,30.61],[114.3,30.6]]]}}]}`), geoio.UnitGrids, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g := b.Dataset.UnitGrids[0]; g.Code != "420102001001001" || g.Community != "420102001001" {
		t.Errorf("code %q community %q", g.Code, g.Community)
	}
}

func TestALayerFromASecondSourceIsJudgedAgainstTheStoredParents(t *testing.T) {
	sq := func(x0, y0, x1, y1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
	}
	city := &data.Dataset{AdminUnits: []data.AdminUnit{
		{Level: data.LevelDistrict, Code: "420102", Name: "江岸区", Parent: "4201", Geometry: sq(114.2, 30.5, 114.4, 30.7)},
		{Level: data.LevelStreet, Code: "420102001", Name: "大智街道", Parent: "420102", Geometry: sq(114.2, 30.5, 114.4, 30.7)},
		{Level: data.LevelCommunity, Code: "420102001001", Name: "一元社区", Parent: "420102001", Geometry: sq(114.30, 30.60, 114.31, 30.61)},
	}}
	// The community's two unit grids from another contractor, 0.001° east.
	grids := func(shift float64) string {
		g := func(x0, x1 float64) string {
			return fmt.Sprintf("[[[%v,30.6],[%v,30.6],[%v,30.61],[%v,30.61],[%v,30.6]]]", x0+shift, x1+shift, x1+shift, x0+shift, x0+shift)
		}
		return `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"420102001001001"},"geometry":{"type":"Polygon","coordinates":` + g(114.30, 114.305) + `}},
{"type":"Feature","properties":{"code":"420102001001002"},"geometry":{"type":"Polygon","coordinates":` + g(114.305, 114.31) + `}}]}`
	}
	if _, err := importString(t, storeWithCity(t, city), "grids.geojson", grids(0), geoio.Options{Layer: geoio.UnitGrids}); err != nil {
		t.Fatalf("grids that register with their community: %v", err)
	}
	_, err := importString(t, storeWithCity(t, city), "shifted.geojson", grids(0.001), geoio.Options{Layer: geoio.UnitGrids})
	var errs data.ValidationErrors
	if !errors.As(err, &errs) {
		t.Fatalf("shifted grids: %v, want refused", err)
	}
	strip := data.AreaM2(sq(114.31, 30.60, 114.311, 30.61))
	want := fmt.Sprintf("feature 2 (code 420102001001002): geometry: reaches %.2f m² outside its community 420102001001", strip)
	if msg := errList(errs); len(errs) != 1 || !strings.Contains(msg, want) {
		t.Errorf("errors:\n%s\nwant one: %s", msg, want)
	}
}

func TestBeijing1954NeedsTheSevenParameters(t *testing.T) {
	needGDAL(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "source.geojson")
	if err := os.WriteFile(src, []byte(sourceGeoJSON()), 0o644); err != nil {
		t.Fatal(err)
	}
	shp := filepath.Join(dir, "bj54.shp")
	ogr2ogr(t, "-f", "ESRI Shapefile", "-t_srs", "EPSG:2437", "-lco", "ENCODING=UTF-8", shp, src)
	_, err := geoio.Read(context.Background(), shp, geoio.Options{Layer: geoio.Districts})
	if !errors.Is(err, geoio.ErrUnknownCRS) || !strings.Contains(err.Error(), "EPSG:2437") || !strings.Contains(err.Error(), "datum other than CGCS2000") ||
		!strings.Contains(err.Error(), "--s-srs EPSG:2437 --towgs84") {
		t.Fatalf("Read = %v, want a request for the seven parameters", err)
	}
	b, err := geoio.Read(context.Background(), shp, geoio.Options{Layer: geoio.Districts, CRS: geoio.CRSOptions{SourceSRS: "EPSG:2437", ToWGS84: "15.8,-154.4,-82.3,0,0,0,0"}})
	if err != nil {
		t.Fatalf("with the parameters: %v", err)
	}
	if len(b.Dataset.AdminUnits) != len(shpSource) || b.Dataset.AdminUnits[0].Name != shpSource[0].name {
		t.Errorf("read %+v", b.Dataset.AdminUnits)
	}
}

// gbk encodes the Chinese text of a test file as a Chinese Excel saves it.
func gbk(t *testing.T, s string) []byte {
	t.Helper()
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestACSVSavedAsGBKIsReadWithItsNames(t *testing.T) {
	in := filepath.Join(t.TempDir(), "poi.csv")
	if err := os.WriteFile(in, gbk(t, "code,name,kind,lon,lat\nP001,雨花阁,park,118.77,31.99\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := geoio.Read(context.Background(), in, geoio.Options{Layer: geoio.POIs})
	if err != nil {
		t.Fatal(err)
	}
	if n := b.Dataset.POIs[0].Name; n != "雨花阁" {
		t.Errorf("name %q", n)
	}
	if len(b.Warnings) != 1 || !strings.Contains(b.Warnings[0], "GB18030") {
		t.Errorf("warnings %q", b.Warnings)
	}
}

func TestACSVOfGaussKrugerCoordinatesIsReprojected(t *testing.T) {
	needGDAL(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "poi.geojson")
	if err := os.WriteFile(src, []byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},"features":[
{"type":"Feature","properties":{"code":"007","name":"河坊街牌坊","kind":"landmark"},"geometry":{"type":"Point","coordinates":[120.1712345678,30.2412345678]}},
{"type":"Feature","properties":{"code":"008","name":"鼓楼","kind":"landmark"},"geometry":{"type":"Point","coordinates":[120.17,30.24]}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// The surveyor's table: easting and northing in metres, names in GBK.
	utf := filepath.Join(dir, "utf8.csv")
	ogr2ogr(t, "-f", "CSV", "-t_srs", "EPSG:4549", "-lco", "GEOMETRY=AS_XY", utf, src)
	raw, err := os.ReadFile(utf)
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "测量点.csv")
	if err := os.WriteFile(in, gbk(t, strings.Replace(string(raw), "X,Y,", "东坐标,北坐标,", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	opt := geoio.Options{Layer: geoio.POIs, CRS: geoio.CRSOptions{SourceSRS: "EPSG:4549"}}
	if _, err := geoio.Read(context.Background(), in, opt); err == nil || !strings.Contains(err.Error(), "--lat-col for the northing") {
		t.Fatalf("without the column names: %v", err)
	}
	opt.CSV = geoio.CSVOptions{LonCol: "东坐标", LatCol: "北坐标"}
	b, err := geoio.Read(context.Background(), in, opt)
	if err != nil {
		t.Fatal(err)
	}
	want := []orb.Point{{120.1712345678, 30.2412345678}, {120.17, 30.24}}
	for i, p := range b.Dataset.POIs {
		if d := metres(p.Point, want[i]); d > 0.01 {
			t.Errorf("point %d moved %.4f m", i, d)
		}
	}
	if p := b.Dataset.POIs[0]; p.Code != "007" || p.Name != "河坊街牌坊" {
		t.Errorf("first point %+v: the code must keep its zeros and the name its characters", p)
	}
	// Errors name the lines of the CSV.
	b.Dataset.POIs[1].Name = ""
	errs := b.Validate(nil)
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Where, "line 3 (code 008)") {
		t.Errorf("errors %s", errList(errs))
	}
}

func TestWithoutGDALAShapefileNamesThePackageToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := geoio.Read(context.Background(), "survey/roads.shp", geoio.Options{Layer: geoio.Roads})
	if !errors.Is(err, geoio.ErrNoGDAL) || !strings.Contains(err.Error(), "gdal-bin") {
		t.Errorf("Read = %v, want ErrNoGDAL naming gdal-bin", err)
	}
}
