package geoio_test

import (
	"bytes"
	"context"
	"flag"
	"path/filepath"
	"testing"

	"citygrid/data"
	"citygrid/data/geoio"
	"citygrid/data/gpkg/gpkgtest"
)

var benchN = flag.Int("n", 50_000, "components per import benchmark operation")

// BenchmarkReadGeoJSON decodes a FeatureCollection of n components.
func BenchmarkReadGeoJSON(b *testing.B) {
	var buf bytes.Buffer
	if err := geoio.WriteGeoJSON(&buf, &data.Dataset{Components: gpkgtest.Components(*benchN)}, geoio.Components); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := geoio.ReadGeoJSON(bytes.NewReader(buf.Bytes()), geoio.Components, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadGeoPackage reads n components from a GeoPackage table.
func BenchmarkReadGeoPackage(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "in.gpkg")
	if err := geoio.Export(ctx, &data.Dataset{Components: gpkgtest.Components(*benchN)}, geoio.Components, geoio.GeoPackage, path, false); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := geoio.ReadGeoPackage(ctx, path, geoio.Components, nil, geoio.GeoPackageOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate checks n components against the sample city.
func BenchmarkValidate(b *testing.B) {
	city := gpkgtest.City()
	ds := &data.Dataset{Components: gpkgtest.Components(*benchN)}
	if errs := data.Validate(ds, city); len(errs) > 0 {
		b.Fatalf("the benchmark batch does not validate: %v", errs)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data.Validate(ds, city)
	}
}

// BenchmarkWriteGeoJSON encodes n components.
func BenchmarkWriteGeoJSON(b *testing.B) {
	ds := &data.Dataset{Components: gpkgtest.Components(*benchN)}
	var buf bytes.Buffer
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := geoio.WriteGeoJSON(&buf, ds, geoio.Components); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}
