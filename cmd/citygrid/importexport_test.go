package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"citygrid/data"
	"citygrid/data/geoio"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
)

func TestImportExportHelpSucceeds(t *testing.T) {
	for _, run := range []func(context.Context, []string) error{runImport, runExport} {
		if err := run(context.Background(), []string{"--help"}); err != nil {
			t.Errorf("--help = %v, want nil", err)
		}
	}
}

func TestImportExportCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "city.geojson")
	if err := geoio.Export(ctx, gpkgtest.City(), geoio.All, geoio.GeoJSON, src, false); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "data")
	// Flags after the file are accepted, as users type them.
	if err := runImport(ctx, []string{"--dir", store, src, "--layer", "all", "--quiet"}); err != nil {
		t.Fatalf("import: %v", err)
	}
	sum := func() [32]byte {
		b, err := os.ReadFile(filepath.Join(store, "citygrid.gpkg"))
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	before := sum()

	// The same file again: every code is already stored.
	err := runImport(ctx, []string{"--dir", store, "--layer", "all", "--quiet", src})
	if err == nil || !strings.Contains(err.Error(), "problem(s) found") {
		t.Fatalf("second import = %v, want a rejection", err)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("code,name,kind,lon,lat\nP9,x,mall,118.77,95\n"), 0o644)
	if err := runImport(ctx, []string{"--dir", store, "--layer", "pois", "--quiet", bad}); err == nil {
		t.Fatalf("import of a latitude of 95 succeeded")
	}
	if err := runImport(ctx, []string{"--dir", store, "--layer", "pois", "--dry-run", "--quiet", bad}); err == nil {
		t.Fatalf("dry run of a bad file succeeded")
	}
	if sum() != before {
		t.Fatalf("a rejected import changed the store")
	}
	if err := runImport(ctx, []string{"--dir", store, "--layer", "nonsense", src}); err == nil || !strings.Contains(err.Error(), "unknown layer") {
		t.Fatalf("import into an unknown layer = %v", err)
	}

	out := filepath.Join(dir, "pois.gpkg")
	if err := runExport(ctx, []string{"--dir", store, "--layer", "pois", "--out", out}); err != nil {
		t.Fatalf("export: %v", err)
	}
	if err := runExport(ctx, []string{"--dir", store, "--layer", "pois", "--out", out}); !errors.Is(err, geoio.ErrExists) {
		t.Fatalf("export over an existing file = %v, want ErrExists", err)
	}
	st, err := gpkg.Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ds, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := gpkgtest.City().POIs; len(ds.POIs) != len(want) || ds.POIs[0] != want[0] || len(ds.Components) != 0 {
		t.Fatalf("exported GeoPackage holds %d POIs (%v) and %d components; want the %d sample POIs only", len(ds.POIs), ds.POIs, len(ds.Components), len(want))
	}
	var _ data.Store = st
}

func TestImportReadsAShapefileWithTheCRSAndRepairFlags(t *testing.T) {
	if !geoio.GDALAvailable() {
		t.Skip("ogr2ogr not installed (Debian package gdal-bin)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	// A bow tie in EPSG:4549, its .prj lost on the way.
	src := filepath.Join(dir, "src.geojson")
	os.WriteFile(src, []byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},"features":[
{"type":"Feature","properties":{"XZQDM":"330102","XZQMC":"上城区"},"geometry":{"type":"Polygon","coordinates":[[[120.16,30.24],[120.18,30.26],[120.18,30.24],[120.16,30.26],[120.16,30.24]]]}}]}`), 0o644)
	shp := filepath.Join(dir, "xzq.shp")
	if out, err := exec.Command("ogr2ogr", "-f", "ESRI Shapefile", "-t_srs", "EPSG:4549", "-lco", "ENCODING=GBK", shp, src).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}
	os.Remove(filepath.Join(dir, "xzq.prj"))
	store := filepath.Join(dir, "data")
	args := []string{"--dir", store, "--layer", "districts", "--map", "code=XZQDM,name=XZQMC", "--quiet", shp}
	err := runImport(ctx, args)
	if err == nil || !strings.Contains(err.Error(), "--s-srs") || !strings.Contains(err.Error(), "xzq.shp") {
		t.Fatalf("import without a CRS = %v, want a request for --s-srs naming the file", err)
	}
	err = runImport(ctx, append([]string{"--s-srs", "EPSG:4549"}, args...))
	if err == nil || !strings.Contains(err.Error(), "1 problem(s)") {
		t.Fatalf("import of a bow tie = %v, want it refused", err)
	}
	if err := runImport(ctx, append([]string{"--s-srs", "EPSG:4549", "--make-valid"}, args...)); err != nil {
		t.Fatalf("import with --make-valid: %v", err)
	}
	st, err := gpkg.Open(ctx, filepath.Join(store, "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	city, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(city.AdminUnits) != 1 || city.AdminUnits[0].Name != "上城区" || len(city.AdminUnits[0].Geometry) != 2 {
		t.Fatalf("stored %+v, want 上城区 as the two triangles of the bow tie", city.AdminUnits)
	}
}
