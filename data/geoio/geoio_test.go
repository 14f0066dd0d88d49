package geoio_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/geoio"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
)

// compare compares datasets layer by layer so a failure names the layer.
func compare(t *testing.T, got, want *data.Dataset) {
	t.Helper()
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := 0; i < gv.NumField(); i++ {
		g, w := gv.Field(i), wv.Field(i)
		if g.Kind() != reflect.Slice { // ChangeSeq: the store's log position, not a layer
			continue
		}
		if g.Len() != w.Len() {
			t.Errorf("%s: %d features, want %d", gv.Type().Field(i).Name, g.Len(), w.Len())
			continue
		}
		for j := 0; j < g.Len(); j++ {
			if !reflect.DeepEqual(g.Index(j).Interface(), w.Index(j).Interface()) {
				t.Errorf("%s[%d]:\n got %#v\nwant %#v", gv.Type().Field(i).Name, j, g.Index(j).Interface(), w.Index(j).Interface())
			}
		}
	}
}

func TestExportThenReadGivesTheLayerBack(t *testing.T) {
	ctx := context.Background()
	city := gpkgtest.City()
	for _, format := range []geoio.Format{geoio.GeoJSON, geoio.GeoPackage} {
		for _, layer := range append(geoio.Layers, geoio.All) {
			t.Run(string(format)+" "+string(layer), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "out."+string(format))
				if err := geoio.Export(ctx, city, layer, format, path, false); err != nil {
					t.Fatalf("Export: %v", err)
				}
				if format == geoio.GeoPackage {
					// A file to hand on is not in WAL mode (header bytes 18
					// and 19 are 1 for a rollback journal) and has no -wal.
					head, _ := os.ReadFile(path)
					if len(head) < 20 || head[18] != 1 || head[19] != 1 {
						t.Errorf("exported GeoPackage is in WAL mode")
					}
					if _, err := os.Stat(path + "-wal"); err == nil {
						t.Errorf("exported GeoPackage left a -wal file")
					}
				}
				b, err := geoio.Read(ctx, path, geoio.Options{Layer: layer})
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				if errs := b.Validate(nil); len(errs) > 0 && layer == geoio.All {
					t.Errorf("the whole city does not validate after the round trip: %v", errs)
				}
				compare(t, b.Dataset, geoio.Subset(gpkgtest.City(), layer))
			})
		}
	}
}

func TestExportRefusesToOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.geojson")
	os.WriteFile(path, []byte("keep me"), 0o644)
	err := geoio.Export(context.Background(), gpkgtest.City(), geoio.POIs, geoio.GeoJSON, path, false)
	if !errors.Is(err, geoio.ErrExists) {
		t.Fatalf("Export over a file = %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Fatalf("the existing file was changed")
	}
	if err := geoio.Export(context.Background(), gpkgtest.City(), geoio.POIs, geoio.GeoJSON, path, true); err != nil {
		t.Fatalf("Export with overwrite: %v", err)
	}
}

func TestGeoJSONExportFollowsRFC7946(t *testing.T) {
	city := gpkgtest.City()
	// Store the district's outer ring clockwise: the export must turn it.
	r := city.AdminUnits[0].Geometry[0][0]
	r.Reverse()
	var buf bytes.Buffer
	if err := geoio.WriteGeoJSON(&buf, geoio.Subset(city, geoio.Districts), geoio.Districts); err != nil {
		t.Fatal(err)
	}
	want := `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[118.7,31.9],[118.9,31.9],[118.9,32.05],[118.7,32.05],[118.7,31.9]]]]},"properties":{"code":"320114","name":"雨花台区","parent":"3201"}}
]}
`
	if buf.String() != want {
		t.Errorf("GeoJSON\n got %s\nwant %s", buf.String(), want)
	}
	if !reflect.DeepEqual(city.AdminUnits[0].Geometry[0][0][1], orb.Point{118.7, 32.05}) {
		t.Errorf("the export changed the dataset: %v", city.AdminUnits[0].Geometry[0][0])
	}
}

// storeWithCity makes DIR/citygrid.gpkg holding the sample city without
// the given layer's features, closed.
func storeWithCity(t *testing.T, ds *data.Dataset) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "citygrid.gpkg")
	st, err := gpkg.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// fingerprint hashes the store file and its -wal and -shm companions.
func fingerprint(t *testing.T, path string) string {
	t.Helper()
	var parts []string
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			parts = append(parts, filepath.Base(p)+":absent")
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		parts = append(parts, filepath.Base(p)+":"+hex.EncodeToString(sum[:]))
	}
	return strings.Join(parts, " ")
}

const goodComponent = `{"type":"Feature","geometry":{"type":"Point","coordinates":[118.766,31.996]},
 "properties":{"code":"3201140101000002","category":"0101","name":"上水井盖","department":"D0003","status":"intact","unit_grid":"320114001001001"}}`

func TestImportRejectsBadFilesWhole(t *testing.T) {
	tests := []struct {
		name, file, content string
		layer               geoio.Layer
		wantSyntax          bool
		wantWhere           string
		wantField           string
		wantIn              string
	}{
		{name: "bad JSON is refused with its line", file: "bad.geojson", layer: geoio.Components,
			content:    "{\"type\":\"FeatureCollection\",\"features\":[\n" + goodComponent + ",\n{\"type\":\"Feature\",]}",
			wantSyntax: true, wantIn: "line 4"},
		{name: "a truncated file is refused", file: "cut.geojson", layer: geoio.Components,
			content: "{\"type\":\"FeatureCollection\",\"features\":[\n" + goodComponent, wantSyntax: true, wantIn: "ends too early"},
		{name: "a Feature instead of a collection is refused", file: "one.geojson", layer: geoio.Components,
			content: goodComponent, wantSyntax: true, wantIn: "FeatureCollection"},
		{name: "a line where unit grids need polygons is refused", file: "grids.geojson", layer: geoio.UnitGrids,
			content: `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[118.78,31.99],[118.79,31.99],[118.79,32.0],[118.78,31.99]]]},"properties":{"code":"320114001001003"}},
{"type":"Feature","geometry":{"type":"LineString","coordinates":[[118.78,31.99],[118.79,31.99]]},"properties":{"code":"320114001001004"}}]}`,
			wantWhere: "feature 2", wantField: "geometry", wantIn: "LineString"},
		{name: "a longitude of 200 is refused", file: "far.geojson", layer: geoio.Components,
			content:   `{"type":"FeatureCollection","features":[` + strings.Replace(goodComponent, "118.766", "200", 1) + `]}`,
			wantWhere: "feature 1", wantField: "geometry", wantIn: "outside lon"},
		{name: "a point outside the city is refused", file: "outside.geojson", layer: geoio.Components,
			content:   `{"type":"FeatureCollection","features":[` + strings.Replace(strings.Replace(goodComponent, "118.766", "119.5", 1), `"unit_grid":"320114001001001"`, `"unit_grid":""`, 1) + `]}`,
			wantWhere: "feature 1", wantField: "geometry", wantIn: "outside the city's extent"},
		{name: "a huge number is refused as bad JSON", file: "huge.geojson", layer: geoio.Components,
			content:   `{"type":"FeatureCollection","features":[` + strings.Replace(goodComponent, "118.766", "1e999", 1) + `]}`,
			wantWhere: "feature 1", wantField: "geometry", wantIn: "not a GeoJSON geometry"},
		{name: "a code given twice in the file is refused", file: "twice.geojson", layer: geoio.Components,
			content:   `{"type":"FeatureCollection","features":[` + goodComponent + "," + goodComponent + `]}`,
			wantWhere: "feature 2", wantField: "code", wantIn: "given twice (also at feature 1 (code 3201140101000002))"},
		{name: "a code already stored is refused", file: "stored.geojson", layer: geoio.Components,
			content:   `{"type":"FeatureCollection","features":[` + goodComponent + "," + strings.Replace(goodComponent, "000002", "000001", 1) + `]}`,
			wantWhere: "feature 2", wantField: "code", wantIn: "already stored"},
		{name: "an unknown category is refused", file: "cat.geojson", layer: geoio.Components,
			content:   `{"type":"FeatureCollection","features":[` + goodComponent + "," + strings.NewReplacer("000002", "000003", `"0101"`, `"0199"`, "3201140101", "3201140199").Replace(goodComponent) + `]}`,
			wantWhere: "feature 2", wantField: "category", wantIn: `unknown component category "0199"`},
		{name: "a NaN longitude in a CSV is refused with its line", file: "nan.csv", layer: geoio.POIs,
			content:   "code,name,kind,lon,lat\nP010,新街口,mall,118.77,31.995\nP011,大行宫,mall,NaN,31.99\n",
			wantWhere: "line 3", wantField: "geometry", wantIn: "not a finite number"},
		{name: "a CSV latitude that is not a number is refused", file: "lat.csv", layer: geoio.POIs,
			content:   "code,name,kind,lon,lat\nP010,新街口,mall,118.77,北纬32度\n",
			wantWhere: "line 2", wantField: "lat", wantIn: "not a latitude"},
		{name: "a ragged CSV is refused", file: "ragged.csv", layer: geoio.POIs,
			content: "code,name,kind,lon,lat\nP010,新街口,mall,118.77,31.995,extra\n", wantSyntax: true, wantIn: "line 2"},
		{name: "a CSV without coordinates is refused", file: "nocoords.csv", layer: geoio.POIs,
			content: "code,name,kind\nP010,新街口,mall\n", wantSyntax: true, wantIn: "no lon/lat"},
		{name: "a version that is not a number is refused", file: "version.geojson", layer: geoio.Components,
			content:   `{"type":"FeatureCollection","features":[` + strings.Replace(goodComponent, `"status"`, `"version":"v2","status"`, 1) + `]}`,
			wantWhere: "feature 1", wantField: "version", wantIn: "not a whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			storePath := storeWithCity(t, gpkgtest.City())
			before := fingerprint(t, storePath)
			in := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(in, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			st, err := gpkg.Open(ctx, storePath)
			if err != nil {
				t.Fatal(err)
			}
			_, err = geoio.Import(ctx, st, in, geoio.Options{Layer: tt.layer})
			if cerr := st.Close(); cerr != nil {
				t.Fatal(cerr)
			}
			if after := fingerprint(t, storePath); after != before {
				t.Errorf("the store changed:\nbefore %s\nafter  %s", before, after)
			}
			if err == nil {
				t.Fatal("Import succeeded")
			}
			if tt.wantSyntax {
				if !errors.Is(err, geoio.ErrSyntax) || !strings.Contains(err.Error(), tt.wantIn) {
					t.Fatalf("Import = %v, want ErrSyntax mentioning %q", err, tt.wantIn)
				}
				return
			}
			var errs data.ValidationErrors
			if !errors.As(err, &errs) {
				t.Fatalf("Import = %v, want ValidationErrors", err)
			}
			for _, e := range errs {
				// Where is the feature's place, then its code: "feature 2 (code 32011401...)".
				if (e.Where == tt.wantWhere || strings.HasPrefix(e.Where, tt.wantWhere+" (")) && e.Field == tt.wantField && strings.Contains(e.Reason, tt.wantIn) {
					return
				}
			}
			t.Fatalf("Import errors lack %s: %s: …%s…; have:\n%v", tt.wantWhere, tt.wantField, tt.wantIn, errList(errs))
		})
	}
}

func errList(errs data.ValidationErrors) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error() + "\n")
	}
	return b.String()
}

func TestImportCJT214FieldNamesFromCSV(t *testing.T) {
	ctx := context.Background()
	st, err := gpkg.Open(ctx, storeWithCity(t, gpkgtest.City()))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Field data as deployed systems export it: CJ/T 214 names, a 14-digit
	// CJ/T 213 grid code, Chinese statuses and YYYYMMDD dates, no category
	// column (the code carries it) and no department (the category's).
	csv := "ObjID,ObjName,DeptCode2,DeptCode3,BGID,ObjState,ORDate,CHDate,Note,lon,lat\n" +
		"3201140101000101,上水井盖,D0003,D0003,32011400100101,破损,20240315,2025-06-02T10:00:00Z,\"井盖, 松动\",118.7651,31.9951\n" +
		"3201140101000102,上水井盖,,,,完好,2024-03-16,,,118.7751,31.9951\n"
	in := filepath.Join(t.TempDir(), "covers.csv")
	os.WriteFile(in, []byte(csv), 0o644)
	b, err := geoio.Import(ctx, st, in, geoio.Options{Layer: geoio.Components})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if n := b.Counts()[geoio.Components]; n != 2 {
		t.Fatalf("imported %d components, want 2", n)
	}
	got, err := st.Component(ctx, "3201140101000101")
	if err != nil {
		t.Fatal(err)
	}
	want := data.Component{
		Code: "3201140101000101", Category: "0101", Name: "上水井盖", Geometry: orb.Point{118.7651, 31.9951},
		Department: "D0003", Owner: "D0003", Maintainer: "D0003", Status: data.StatusDamaged,
		UnitGrid: "320114001001001", SurveyDate: mustTime("2024-03-15T00:00:00Z"), ChangedAt: mustTime("2025-06-02T10:00:00Z"),
		Version: 1, Note: "井盖, 松动",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stored component\n got %#v\nwant %#v", got, want)
	}
	// The second row has no BGID: it gets the grid its point lies in.
	if got, err := st.Component(ctx, "3201140101000102"); err != nil || got.UnitGrid != "320114001001002" {
		t.Errorf("located component = %+v, %v; want unit grid 320114001001002", got, err)
	}
}

func TestImportWithAMapping(t *testing.T) {
	ctx := context.Background()
	st, err := gpkg.Open(ctx, storeWithCity(t, gpkgtest.City()))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	in := filepath.Join(t.TempDir(), "poi.geojson")
	os.WriteFile(in, []byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[118.77,31.99]},"properties":{"编号":"P100","名称":"雨花客厅","类型":"mall","地标":"是"}}]}`), 0o644)
	m, err := geoio.ParseMapping("code=编号, name=名称,kind=类型,landmark=地标")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := geoio.Import(ctx, st, in, geoio.Options{Layer: geoio.POIs, Mapping: m}); err != nil {
		t.Fatalf("Import: %v", err)
	}
	ds, _ := st.Load(ctx)
	last := ds.POIs[len(ds.POIs)-1]
	if last != (data.POI{Code: "P100", Name: "雨花客厅", Kind: "mall", Landmark: true, Point: orb.Point{118.77, 31.99}}) {
		t.Errorf("stored POI = %#v", last)
	}
	// A mapped source the file lacks leaves the field missing, and the
	// error names the file's field.
	m2, _ := geoio.ParseMapping("code=ID")
	_, err = geoio.Import(ctx, st, in, geoio.Options{Layer: geoio.POIs, Mapping: m2})
	var errs data.ValidationErrors
	if !errors.As(err, &errs) || errs[0].Where != "feature 1" || errs[0].Field != "code" {
		t.Errorf("Import with an absent source = %v", err)
	}
	if _, err := geoio.ParseMapping("code"); err == nil {
		t.Errorf("ParseMapping accepted a pair without =")
	}
	bad, _ := geoio.ParseMapping("colour=c")
	if _, err := geoio.Read(ctx, in, geoio.Options{Layer: geoio.POIs, Mapping: bad}); err == nil || !strings.Contains(err.Error(), "no field colour") {
		t.Errorf("Read with a mapping to an unknown field = %v", err)
	}
}

func TestImportOfAWholeCityIntoAnEmptyStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	city := filepath.Join(dir, "city.geojson")
	if err := geoio.Export(ctx, gpkgtest.City(), geoio.All, geoio.GeoJSON, city, false); err != nil {
		t.Fatal(err)
	}
	st, err := gpkg.Open(ctx, filepath.Join(dir, "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := geoio.Import(ctx, st, city, geoio.Options{Layer: geoio.All}); err != nil {
		t.Fatalf("Import: %v", err)
	}
	got, _ := st.Load(ctx)
	compare(t, got, gpkgtest.City())
}

func TestReadGeoJSONAcceptsGeographicCRSMembers(t *testing.T) {
	for _, crs := range []string{`null`, `{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}}`,
		`{"type":"name","properties":{"name":"EPSG:4490"}}`, `{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4326"}}`} {
		doc := `{"type":"FeatureCollection","crs":` + crs + `,"features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[118.77,31.99]},"properties":{"code":"P1","name":"x"}}]}`
		b, err := geoio.ReadGeoJSON(strings.NewReader(doc), geoio.POIs, nil)
		if err != nil || len(b.Dataset.POIs) != 1 {
			t.Errorf("crs %s: %v", crs, err)
		}
	}
}

func TestReadUnitGridsFromCSVWithWKT(t *testing.T) {
	csv := "code,wkt\n" +
		"32011400100103,\"POLYGON ((118.78 31.99, 118.79 31.99, 118.79 32, 118.78 32, 118.78 31.99))\"\n"
	b, err := geoio.ReadCSV(strings.NewReader(csv), geoio.UnitGrids, nil, geoio.CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if errs := b.Validate(gpkgtest.City()); len(errs) > 0 {
		t.Fatalf("Validate: %v", errs)
	}
	g := b.Dataset.UnitGrids[0]
	if g.Code != "320114001001003" || g.Community != "320114001001" {
		t.Errorf("grid = %s in %s, want the widened code 320114001001003 in 320114001001", g.Code, g.Community)
	}
	// The area, left out of the file, is computed on the ellipsoid: about
	// 944 m × 1109 m at this latitude.
	if want := data.AreaM2(g.Geometry); g.AreaM2 != want || g.AreaM2 < 1.04e6 || g.AreaM2 > 1.06e6 {
		t.Errorf("area = %v m², want data.AreaM2 = %v ≈ 1.05e6", g.AreaM2, want)
	}
}

// TestGDALReadsOurGeoJSONAndWeReadGDAL converts our GeoJSON export with
// ogr2ogr into a GeoPackage GDAL writes, and reads that back.
func TestGDALReadsOurGeoJSONAndWeReadGDAL(t *testing.T) {
	ogr2ogr, err := exec.LookPath("ogr2ogr")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ogr2ogr is required in CI (Debian package gdal-bin): %v", err)
		}
		t.Skip("ogr2ogr not installed (apt-get install gdal-bin)")
	}
	ctx := context.Background()
	for _, layer := range []geoio.Layer{geoio.Components, geoio.UnitGrids, geoio.Communities, geoio.Roads, geoio.POIs, geoio.Departments} {
		t.Run(string(layer), func(t *testing.T) {
			dir := t.TempDir()
			js := filepath.Join(dir, "in.geojson")
			if err := geoio.Export(ctx, gpkgtest.City(), layer, geoio.GeoJSON, js, false); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "gdal.gpkg")
			if b, err := exec.Command(ogr2ogr, "-f", "GPKG", out, js, "-nln", "from_gdal").CombinedOutput(); err != nil {
				t.Fatalf("ogr2ogr: %v\n%s", err, b)
			}
			b, err := geoio.ReadGeoPackage(ctx, out, layer, nil, geoio.GeoPackageOptions{})
			if err != nil {
				t.Fatalf("ReadGeoPackage(GDAL's file): %v", err)
			}
			if errs := b.Validate(nil); len(errs) > 0 && layer != geoio.Components && layer != geoio.UnitGrids {
				t.Errorf("Validate: %v", errList(errs))
			}
			compare(t, b.Dataset, geoio.Subset(gpkgtest.City(), layer))
		})
	}
}

func mustTime(s string) (t time.Time) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestImportRejectsBadGeoPackages(t *testing.T) {
	ctx := context.Background()
	nanPOI := func(t *testing.T, path string) {
		st, err := gpkg.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		// The store writes what it is given; the import must catch it.
		bad := data.POI{Code: "P900", Name: "无处", Kind: "park", Point: orb.Point{math.NaN(), 31.99}}
		good := data.POI{Code: "P901", Name: "雨花阁", Kind: "park", Point: orb.Point{118.77, 31.99}}
		if err := st.Insert(ctx, &data.Dataset{POIs: []data.POI{good, bad}}); err != nil {
			t.Fatal(err)
		}
	}
	projected := func(t *testing.T, path string) {
		if err := geoio.Export(ctx, gpkgtest.City(), geoio.POIs, geoio.GeoPackage, path, false); err != nil {
			t.Fatal(err)
		}
		st, err := gpkg.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for _, q := range []string{
			`INSERT INTO gpkg_spatial_ref_sys VALUES ('CGCS2000 / 3-degree Gauss-Kruger CM 120E', 4549, 'EPSG', 4549, 'PROJCS[...]', '')`,
			`UPDATE gpkg_geometry_columns SET srs_id = 4549 WHERE table_name = 'pois'`,
			`UPDATE gpkg_contents SET srs_id = 4549 WHERE table_name = 'pois'`,
		} {
			if _, err := st.DB().Exec(q); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name   string
		make   func(t *testing.T, path string)
		syntax bool
		wantIn string
	}{
		{"a NaN coordinate in a GeoPackage is refused with the row's fid", nanPOI, false, "fid 2 (code P900): geometry: coordinate (NaN, 31.99) is not a finite number"},
		// The table claims EPSG:4549 metres but holds degrees: reprojected
		// by PROJ, its points land hundreds of kilometres from the city.
		{"a projected GeoPackage table is reprojected, and a misplaced one refused by the extent check", projected, false, "outside the city's extent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storePath := storeWithCity(t, gpkgtest.City())
			before := fingerprint(t, storePath)
			in := filepath.Join(t.TempDir(), "in.gpkg")
			tt.make(t, in)
			st, err := gpkg.Open(ctx, storePath)
			if err != nil {
				t.Fatal(err)
			}
			_, err = geoio.Import(ctx, st, in, geoio.Options{Layer: geoio.POIs})
			st.Close()
			if after := fingerprint(t, storePath); after != before {
				t.Errorf("the store changed")
			}
			var msg string
			var errs data.ValidationErrors
			if errors.As(err, &errs) {
				msg = errList(errs)
			} else if err != nil {
				msg = err.Error()
			}
			if err == nil || errors.Is(err, geoio.ErrSyntax) != tt.syntax || !strings.Contains(msg, tt.wantIn) {
				t.Fatalf("Import = %v, want an error (syntax %v) containing %q", msg, tt.syntax, tt.wantIn)
			}
		})
	}
}
