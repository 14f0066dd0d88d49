package geoio_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"citygrid/data/geoio"
	"citygrid/data/gpkg/gpkgtest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestGeoJSONExportMatchesGolden pins the whole-city GeoJSON export byte
// for byte. After an intended change, regenerate with
// go test ./data/geoio -run Golden -update and review the diff.
func TestGeoJSONExportMatchesGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := geoio.WriteGeoJSON(&buf, gpkgtest.City(), geoio.All); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "city.geojson")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("the export differs from %s; if intended, rerun with -update and review:\n%s", golden, buf.Bytes())
	}
}
