package gpkg_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
)

func openTemp(t testing.TB) (*gpkg.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "citygrid.gpkg")
	st, err := gpkg.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// compareDatasets compares layer by layer so a failure names the layer.
func compareDatasets(t *testing.T, got, want *data.Dataset) {
	t.Helper()
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := 0; i < gv.NumField(); i++ {
		g, w := gv.Field(i), wv.Field(i)
		if g.Kind() != reflect.Slice {
			continue // ChangeSeq: where the store's log stood, not city data
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

// The layer round trip, insert conflicts, component lookup and meta of
// the Store interface are the shared suite in data/storetest, run against
// this store by data/storetest/gpkg_test.go.

func TestInsertRefusesTheUnitSeparator(t *testing.T) {
	st, _ := openTemp(t)
	c := gpkgtest.City().Components[0]
	c.Owner = "D\x1f1"
	if err := st.Insert(context.Background(), &data.Dataset{Components: []data.Component{c}}); err == nil {
		t.Fatal("Insert stored a department code holding U+001F, which Load cannot read back")
	}
}

func TestReopenKeepsDataAndMeta(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "citygrid.gpkg")
	st, err := gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	if err := st.SetMeta(ctx, "seed", "42"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetMeta(ctx, "seed", "43"); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	compareDatasets(t, got, gpkgtest.City())
	if v, err := st.Meta(ctx, "seed"); err != nil || v != "43" {
		t.Errorf("Meta(seed) = %q, %v; want 43", v, err)
	}
	if v, err := st.Meta(ctx, "absent"); err != nil || v != "" {
		t.Errorf("Meta(absent) = %q, %v; want empty", v, err)
	}
}

func TestMigrationsAreIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "citygrid.gpkg")
	for i := 0; i < 3; i++ {
		st, err := gpkg.Open(ctx, path)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		var n, max int
		if err := st.DB().QueryRow(`SELECT count(*), max(version) FROM citygrid_migrations`).Scan(&n, &max); err != nil {
			t.Fatal(err)
		}
		if n != gpkg.SchemaVersion() || max != gpkg.SchemaVersion() {
			t.Fatalf("open #%d: %d migrations up to %d, want %d", i+1, n, max, gpkg.SchemaVersion())
		}
		var contents int
		if err := st.DB().QueryRow(`SELECT count(*) FROM gpkg_contents`).Scan(&contents); err != nil {
			t.Fatal(err)
		}
		if contents != 12 {
			t.Fatalf("open #%d: %d gpkg_contents rows, want 12", i+1, contents)
		}
		st.Close()
	}
}

func TestOpenRefusesNewerAndForeignFiles(t *testing.T) {
	ctx := context.Background()
	st, path := openTemp(t)
	if _, err := st.DB().Exec(`INSERT INTO citygrid_migrations (version, name, applied_at) VALUES (?, 'from the future', '2030-01-01')`, gpkg.SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := gpkg.Open(ctx, path); !errors.Is(err, gpkg.ErrNewerSchema) {
		t.Errorf("Open(newer store) = %v, want ErrNewerSchema", err)
	}

	foreign := filepath.Join(t.TempDir(), "other.gpkg")
	other, err := gpkg.Open(ctx, foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.DB().Exec(`DROP TABLE citygrid_migrations`); err != nil {
		t.Fatal(err)
	}
	other.Close()
	if _, err := gpkg.Open(ctx, foreign); !errors.Is(err, gpkg.ErrNotStore) {
		t.Errorf("Open(foreign GeoPackage) = %v, want ErrNotStore", err)
	}

	garbage := filepath.Join(t.TempDir(), "garbage.gpkg")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := gpkg.Open(ctx, garbage); err == nil {
		t.Errorf("Open(garbage) succeeded")
	}
}

func TestFileIsAGeoPackage(t *testing.T) {
	ctx := context.Background()
	st, _ := openTemp(t)
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	db := st.DB()
	var appID, userVersion int64
	var integrity, journal string
	db.QueryRow(`PRAGMA application_id`).Scan(&appID)
	db.QueryRow(`PRAGMA user_version`).Scan(&userVersion)
	db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity)
	db.QueryRow(`PRAGMA journal_mode`).Scan(&journal)
	if appID != 0x47504B47 || userVersion != 10400 {
		t.Errorf("application_id = %#x, user_version = %d; want 0x47504B47, 10400", appID, userVersion)
	}
	if integrity != "ok" {
		t.Errorf("integrity_check = %q", integrity)
	}
	if journal != "wal" {
		t.Errorf("journal_mode = %q, want wal", journal)
	}
	var pageSize int
	db.QueryRow(`PRAGMA page_size`).Scan(&pageSize)
	if pageSize != 16384 {
		t.Errorf("page_size = %d, want 16384", pageSize)
	}
	rows, err := db.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Errorf("foreign_key_check reports violations")
	}
	rows.Close()

	srs := map[int]string{}
	rows, err = db.Query(`SELECT srs_id, organization || ':' || organization_coordsys_id FROM gpkg_spatial_ref_sys`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int
		var org string
		rows.Scan(&id, &org)
		srs[id] = org
	}
	rows.Close()
	wantSRS := map[int]string{-1: "NONE:-1", 0: "NONE:0", 4326: "EPSG:4326", 4490: "EPSG:4490"}
	if !reflect.DeepEqual(srs, wantSRS) {
		t.Errorf("gpkg_spatial_ref_sys = %v, want %v", srs, wantSRS)
	}

	types := map[string]string{}
	rows, err = db.Query(`SELECT c.table_name, c.data_type || ':' || coalesce(g.geometry_type_name, '') || ':' || coalesce(g.srs_id, '')
		FROM gpkg_contents c LEFT JOIN gpkg_geometry_columns g USING (table_name)`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n, ty string
		rows.Scan(&n, &ty)
		types[n] = ty
	}
	rows.Close()
	want := map[string]string{
		"districts": "features:MULTIPOLYGON:4490", "streets": "features:MULTIPOLYGON:4490", "communities": "features:MULTIPOLYGON:4490",
		"unit_grids": "features:MULTIPOLYGON:4490", "management_grids": "features:MULTIPOLYGON:4490",
		"components": "features:GEOMETRY:4490", "roads": "features:MULTILINESTRING:4490",
		"addresses": "features:POINT:4490", "pois": "features:POINT:4490",
		"categories": "attributes::", "departments": "attributes::", "rules": "attributes::",
	}
	if !reflect.DeepEqual(types, want) {
		t.Errorf("layers = %v\nwant %v", types, want)
	}
	// The extent of the communities covers both of the sample's communities.
	var minX, minY, maxX, maxY float64
	if err := db.QueryRow(`SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'communities'`).Scan(&minX, &minY, &maxX, &maxY); err != nil {
		t.Fatal(err)
	}
	if (orb.Bound{Min: orb.Point{minX, minY}, Max: orb.Point{maxX, maxY}}) != (orb.Bound{Min: orb.Point{118.70, 31.95}, Max: orb.Point{118.80, 32.00}}) {
		t.Errorf("communities extent = %v %v %v %v", minX, minY, maxX, maxY)
	}
}

// TestOgrinfoListsEveryLayer opens the store with GDAL, the reader QGIS
// uses, and checks each layer's geometry type, CRS and feature count.
func TestOgrinfoListsEveryLayer(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ogrinfo is required in CI (Debian package gdal-bin): %v", err)
		}
		t.Skip("ogrinfo not installed (apt-get install gdal-bin)")
	}
	ctx := context.Background()
	st, path := openTemp(t)
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, err := exec.Command(ogrinfo, "-ro", "-so", "-al", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		// GDAL before 3.8 knows GeoPackage up to 1.3 and says so for 1.4
		// files; anything else it complains about is a defect of ours.
		if (strings.Contains(line, "ERROR") || strings.Contains(line, "Warning")) && !strings.Contains(line, "user_version=0x000028A0 (10400, v1.4.0)") {
			t.Errorf("ogrinfo complains: %s", line)
		}
	}
	layers := map[string]string{}
	for _, block := range strings.Split(string(out), "Layer name: ")[1:] {
		name, rest, _ := strings.Cut(block, "\n")
		geom := field(rest, "Geometry: ")
		crs := "none"
		if strings.Contains(rest, `ID["EPSG",4490]`) && strings.Contains(rest, "China Geodetic Coordinate System 2000") {
			crs = "EPSG:4490"
		}
		layers[name] = geom + " / " + crs + " / " + field(rest, "Feature Count: ")
	}
	want := map[string]string{
		"districts":        "Multi Polygon / EPSG:4490 / 1",
		"streets":          "Multi Polygon / EPSG:4490 / 1",
		"communities":      "Multi Polygon / EPSG:4490 / 2",
		"unit_grids":       "Multi Polygon / EPSG:4490 / 2",
		"management_grids": "Multi Polygon / EPSG:4490 / 2",
		"components":       "Unknown (any) / EPSG:4490 / 3",
		"roads":            "Multi Line String / EPSG:4490 / 2",
		"addresses":        "Point / EPSG:4490 / 2",
		"pois":             "Point / EPSG:4490 / 2",
		"categories":       "None / none / 4",
		"departments":      "None / none / 3",
		"rules":            "None / none / 2",
	}
	if !reflect.DeepEqual(layers, want) {
		t.Errorf("ogrinfo layers:\n got %v\nwant %v\n%s", layers, want, out)
	}
	// GDAL reads the attributes too: the line component's status.
	out, err = exec.Command(ogrinfo, "-ro", "-q", path, "components", "-where", "code = '3201140213000001'").CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	for _, s := range []string{"status (String) = damaged", "LINESTRING (118.771 31.991,118.775 31.992,118.779 31.991)", "survey_date (Date) = 2024/03/15"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("ogrinfo feature output lacks %q:\n%s", s, out)
		}
	}
}

func field(block, prefix string) string {
	i := strings.Index(block, prefix)
	if i < 0 {
		return ""
	}
	v, _, _ := strings.Cut(block[i+len(prefix):], "\n")
	return strings.TrimSpace(v)
}
