package storetest_test

import (
	"context"
	"path/filepath"
	"testing"

	"citygrid/data"
	"citygrid/data/gpkg"
	"citygrid/data/storetest"
)

func TestGeoPackageStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) data.Store {
		st, err := gpkg.Open(context.Background(), filepath.Join(t.TempDir(), "citygrid.gpkg"))
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
	if gpkg.MetaGeneration != storetest.MetaGeneration {
		t.Errorf("gpkg counts inserts under %q, the suite under %q", gpkg.MetaGeneration, storetest.MetaGeneration)
	}
}
