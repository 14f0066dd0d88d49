package features_test

import (
	"sync"
	"testing"

	"citygrid/data"
	"citygrid/spatial"
	"citygrid/spatial/cql2"
	"citygrid/spatial/features"
)

var (
	benchOnce sync.Once
	benchDS   *data.Dataset
	benchIx   *spatial.Index
)

func benchCity(b *testing.B) (*data.Dataset, *spatial.Index) {
	benchOnce.Do(func() { benchDS, benchIx = cityOf(b, 1, 0.2) })
	return benchDS, benchIx
}

// BenchmarkItems measures the items queries a desktop client sends: a map
// view's bbox, an attribute filter and a page of a whole-layer copy.
func BenchmarkItems(b *testing.B) {
	ds, ix := benchCity(b)
	c, _ := features.Lookup("components")
	box := ds.UnitGrids[len(ds.UnitGrids)/2].Geometry.Bound().Pad(0.003)
	bbox, _ := c.Filter(c.BBox(box))
	e, _ := cql2.ParseText("status = 'damaged' AND version >= 1")
	attr, _ := c.Filter(e)
	mid := ds.Components[len(ds.Components)/2].Code
	for _, bc := range []struct {
		name string
		q    features.Query
	}{
		{"bbox", features.Query{Limit: 100, Filter: bbox}},
		{"attribute", features.Query{Limit: 100, Filter: attr}},
		{"page1000", features.Query{Limit: 1000, After: mid}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Items(ix, bc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
