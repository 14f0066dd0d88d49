package gpkg_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/demo"
	"citygrid/data/gpkg"
)

var demoScale = flag.Float64("demo-scale", 0.02, "scale of the demo city in the demo store tests and benchmarks")

// TestDemoCityStoresAndValidates writes a generated demo city, loads it
// back unchanged, and checks the generator's output passes Validate.
func TestDemoCityStoresAndValidates(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a city")
	}
	ctx := context.Background()
	ds, err := demo.Generate(ctx, demo.Options{Seed: 1, Scale: *demoScale})
	if err != nil {
		t.Fatal(err)
	}
	if errs := data.Validate(ds, nil); len(errs) > 0 {
		n := len(errs)
		if n > 20 {
			errs = errs[:20]
		}
		for _, e := range errs {
			t.Errorf("demo city: %v", e)
		}
		t.Fatalf("%d validation errors", n)
	}
	path := filepath.Join(t.TempDir(), "citygrid.gpkg")
	st, err := gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	if err := st.Insert(ctx, ds); err != nil {
		t.Fatal(err)
	}
	inserted := time.Since(start)
	start = time.Now()
	got, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	loaded := time.Since(start)
	compareDatasets(t, got, ds)
	fi, _ := os.Stat(path)
	t.Logf("scale %v: %d components, %d unit grids: insert %v, load %v, %.1f MB (+ WAL)", *demoScale, len(ds.Components), len(ds.UnitGrids), inserted, loaded, float64(fi.Size())/1e6)
}
