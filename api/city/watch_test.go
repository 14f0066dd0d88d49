package city

import (
	"testing"

	"citygrid/data/gpkg"
)

func TestStoreGenerationKeyIsTheStoresKey(t *testing.T) {
	if storeGenerationKey != gpkg.MetaGeneration {
		t.Fatalf("the city watches %q, the store counts imports under %q", storeGenerationKey, gpkg.MetaGeneration)
	}
}
