package geoio_test

import (
	"bytes"
	"testing"

	"citygrid/data/geoio"
	"citygrid/data/gpkg/gpkgtest"
)

// FuzzReadGeoJSON feeds arbitrary bytes to the GeoJSON reader. It must
// never panic; whatever it reads without complaint must survive an export
// and a second read unchanged. Seeds live in testdata/fuzz/FuzzReadGeoJSON.
func FuzzReadGeoJSON(f *testing.F) {
	var city bytes.Buffer
	if err := geoio.WriteGeoJSON(&city, gpkgtest.City(), geoio.All); err != nil {
		f.Fatal(err)
	}
	f.Add(city.Bytes(), "all")
	f.Add([]byte(`{"type":"FeatureCollection","features":[]}`), "components")
	f.Fuzz(func(t *testing.T, in []byte, layerName string) {
		layer, err := geoio.ParseLayer(layerName)
		if err != nil {
			layer = geoio.Components
		}
		b, err := geoio.ReadGeoJSON(bytes.NewReader(in), layer, nil)
		if err != nil {
			return
		}
		errs := b.Validate(nil)
		if len(errs) > 0 {
			return
		}
		var out bytes.Buffer
		if err := geoio.WriteGeoJSON(&out, b.Dataset, layer); err != nil {
			t.Fatalf("WriteGeoJSON of a valid batch: %v", err)
		}
		again, err := geoio.ReadGeoJSON(bytes.NewReader(out.Bytes()), layer, nil)
		if err != nil {
			t.Fatalf("re-reading our own export: %v\n%s", err, out.Bytes())
		}
		if errs := again.Validate(nil); len(errs) > 0 {
			t.Fatalf("our own export of a valid batch does not validate: %v\n%s", errs, out.Bytes())
		}
		var out2 bytes.Buffer
		geoio.WriteGeoJSON(&out2, again.Dataset, layer)
		if !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Fatalf("export → read → export is not stable:\n%s\n%s", out.Bytes(), out2.Bytes())
		}
	})
}
