package demo

import (
	"context"
	"testing"

	"citygrid/data"
)

// The store's validator is an independent reading of the model's rules; a
// generated city must pass it whole, under both schemes.
func TestGeneratedCityPassesDataValidate(t *testing.T) {
	for _, scheme := range []string{data.SchemeGBT30428, data.SchemeGBT47678} {
		t.Run(scheme, func(t *testing.T) {
			ds, err := Generate(context.Background(), Options{Seed: 3, Scale: 0.02, Scheme: scheme})
			if err != nil {
				t.Fatal(err)
			}
			errs := data.Validate(ds, nil)
			for k, e := range errs {
				if k == 20 {
					t.Fatalf("... and %d more", len(errs)-20)
				}
				t.Error(e)
			}
		})
	}
}
