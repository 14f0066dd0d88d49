package data_test

import (
	"bytes"
	"reflect"
	"testing"

	"citygrid/data"
)

// TestCatalogueJSONReadsBack: both default catalogues written as a file
// read back category for category.
func TestCatalogueJSONReadsBack(t *testing.T) {
	for _, scheme := range []string{data.SchemeGBT30428, data.SchemeGBT47678} {
		cats, err := data.DefaultCatalogue(scheme)
		if err != nil {
			t.Fatal(err)
		}
		b, err := data.CatalogueJSON(cats)
		if err != nil {
			t.Fatal(err)
		}
		back, err := data.ReadCatalogue(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", scheme, err)
		}
		if !reflect.DeepEqual(back, cats) {
			t.Errorf("%s: %d categories read back, %d written, or they differ", scheme, len(back), len(cats))
		}
	}
	if _, err := data.CatalogueJSON([]data.Category{{Scheme: data.SchemeGBT30428}, {Scheme: data.SchemeGBT47678}}); err == nil {
		t.Error("two schemes in one file accepted")
	}
}
