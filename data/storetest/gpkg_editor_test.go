package storetest_test

import (
	"context"
	"path/filepath"
	"testing"

	"citygrid/data/gpkg"
	"citygrid/data/storetest"
)

// openGeoPackage makes an empty GeoPackage store and a way to open a
// second handle on the same file.
func openGeoPackage(t testing.TB) (storetest.Editable, func(testing.TB) storetest.Editable) {
	path := filepath.Join(t.TempDir(), "citygrid.gpkg")
	st, err := gpkg.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return st, func(t testing.TB) storetest.Editable {
		o, err := gpkg.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
}

func TestGeoPackageEditor(t *testing.T) {
	storetest.RunEditor(t, openGeoPackage)
	storetest.RunEditorBatch(t, openGeoPackage)
	storetest.RunUnitGridHistory(t, openGeoPackage)
}

// go test -run '^$' -bench SingleEdit -benchtime 2s ./data/storetest
func BenchmarkGeoPackageSingleEdit(b *testing.B) { storetest.BenchSingleEdit(b, openGeoPackage) }

// go test -run '^$' -bench ParallelEdits -benchtime 2s ./data/storetest
func BenchmarkGeoPackageParallelEdits(b *testing.B) { storetest.BenchParallelEdits(b, openGeoPackage) }
