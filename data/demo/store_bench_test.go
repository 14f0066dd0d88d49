package demo_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"citygrid/data/demo"
	"citygrid/data/gpkg"
)

// BenchmarkGenerateAndStore measures what `citygrid demo` spends before it
// can serve: generating the full city and writing it to a new GeoPackage.
// It reports the store's size.
//
//	go test ./data/demo/ -run '^$' -bench GenerateAndStore -benchtime 1x
func BenchmarkGenerateAndStore(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	var size int64
	var comps int
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "citygrid.gpkg")
		ds, err := demo.Generate(ctx, demo.Options{Seed: 1, Scale: 1})
		if err != nil {
			b.Fatal(err)
		}
		comps = len(ds.Components)
		st, err := gpkg.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Insert(ctx, ds); err != nil {
			b.Fatal(err)
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		size = 0
		matches, _ := filepath.Glob(path + "*") // the store and any WAL left behind
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil {
				size += fi.Size()
			}
		}
	}
	b.ReportMetric(float64(size)/(1<<20), "MiB")
	b.ReportMetric(float64(comps), "components")
}
