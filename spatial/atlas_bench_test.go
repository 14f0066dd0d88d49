package spatial

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// BenchmarkWithinRealOutline asks for the components inside the real
// outline of Afghanistan (Natural Earth 1:10m, 1,521 vertices) over a
// component layer of the region: every arc of the countries' topology
// within a degree of it (real lines of up to hundreds of vertices), the
// outlines of the neighbouring countries as polygons (thousands of
// vertices each), and 50,000 points.
func BenchmarkWithinRealOutline(b *testing.B) {
	var q orb.MultiPolygon
	var ds *data.Dataset
	func() {
		t := &testing.T{}
		done := make(chan struct{})
		go func() { // atlasDir may call t.Skip, which ends its goroutine
			defer close(done)
			q, ds = worldRegion(t, "Afghanistan")
		}()
		<-done
	}()
	if ds == nil {
		b.Skip("atlas test set unavailable")
	}
	ix, err := Build(ds)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, p := range q {
		for _, r := range p {
			n += len(r)
		}
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := ix.WithinPolygon(q, nil, 100); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, b.N)
	b.ReportMetric(float64(n), "query-vertices")
	b.ReportMetric(float64(len(ds.Components)), "components")
}

// worldRegion returns the outline of the named country and a component
// layer around it (see BenchmarkWithinRealOutline).
func worldRegion(t *testing.T, name string) (orb.MultiPolygon, *data.Dataset) {
	objects, arcs := decodeTopology(t, filepath.Join(atlasDir(t), countriesFile))
	var q orb.MultiPolygon
	for _, f := range objects["countries"] {
		if f.Name == name {
			q = f.Geometry
		}
	}
	if q == nil {
		t.Fatalf("no country %q", name)
	}
	area := q.Bound().Pad(1)
	ds := &data.Dataset{Categories: []data.Category{{Kind: data.KindComponent, Code: "0101"}, {Kind: data.KindComponent, Code: "0201"}, {Kind: data.KindComponent, Code: "0301"}}}
	for _, f := range objects["countries"] {
		if f.Name != name && f.Geometry.Bound().Intersects(area) {
			ds.Components = append(ds.Components, data.Component{Code: "P" + f.ID, Category: "0301", Geometry: f.Geometry})
		}
	}
	for i, a := range arcs {
		if len(a) > 1 && a.Bound().Intersects(area) {
			ds.Components = append(ds.Components, data.Component{Code: fmt.Sprintf("L%05d", i), Category: "0201", Geometry: a})
		}
	}
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 50000 {
		p := orb.Point{area.Min[0] + r.Float64()*(area.Max[0]-area.Min[0]), area.Min[1] + r.Float64()*(area.Max[1]-area.Min[1])}
		ds.Components = append(ds.Components, data.Component{Code: fmt.Sprintf("V%05d", i), Category: "0101", Geometry: p})
	}
	return q, ds
}

// BenchmarkNearestManyVertexLines compares nearest over 2,000 lines of
// 1,000 vertices each with nearest over 2,000 point components in the same
// area.
func BenchmarkNearestManyVertexLines(b *testing.B) {
	for _, tc := range []struct {
		name     string
		vertices int
	}{{"points", 1}, {"lines-1000", 1000}} {
		b.Run(tc.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			ds := &data.Dataset{Categories: []data.Category{{Kind: data.KindComponent, Code: "0101"}}}
			for i := range 2000 {
				p := orb.Point{118.7 + r.Float64()*0.2, 32.0 + r.Float64()*0.2}
				var g orb.Geometry = p
				if tc.vertices > 1 {
					ls := orb.LineString{p}
					for range tc.vertices - 1 {
						p = orb.Point{p[0] + (r.Float64()-0.5)*0.0002, p[1] + (r.Float64()-0.5)*0.0002}
						ls = append(ls, p)
					}
					g = ls
				}
				ds.Components = append(ds.Components, data.Component{Code: string(rune('A'+i%26)) + string(rune(i)), Category: "0101", Geometry: g})
			}
			ix, err := Build(ds)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				p := orb.Point{118.7 + r.Float64()*0.2, 32.0 + r.Float64()*0.2}
				if _, err := ix.Nearest(p, 5, 2000, nil); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0, b.N)
		})
	}
}
