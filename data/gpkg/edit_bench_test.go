package gpkg

import (
	"context"
	"flag"
	"math"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/demo"
)

var editScale = flag.Float64("edit-scale", 0.02, "scale of the demo city in the edit benchmarks")

// demoStore stores the demo city at -edit-scale (1 = the full 雨花台区,
// ~478k components) for the edit benchmarks.
func demoStore(b *testing.B) (*Store, *data.Dataset) {
	b.Helper()
	ctx := context.Background()
	ds, err := demo.Generate(ctx, demo.Options{Seed: 1, Scale: *editScale})
	if err != nil {
		b.Fatal(err)
	}
	st, err := Open(ctx, filepath.Join(b.TempDir(), "citygrid.gpkg"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.Insert(ctx, ds); err != nil {
		b.Fatal(err)
	}
	return st, ds
}

// BenchmarkDemoSingleEdits patches point components of the demo city one
// at a time (each a transaction with its history row), moving each a
// little, round-robin: the store side of "1,000 edits per second".
//
//	go test ./data/gpkg -run XXX -bench DemoSingleEdits -benchtime 5000x -edit-scale 1
func BenchmarkDemoSingleEdits(b *testing.B) {
	ctx := context.Background()
	st, ds := demoStore(b)
	var pts []data.Component
	for _, c := range ds.Components {
		if _, ok := c.Geometry.(orb.Point); ok {
			pts = append(pts, c)
		}
		if len(pts) == 2000 {
			break
		}
	}
	if _, err := st.reference(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := &pts[i%len(pts)]
		p := c.Geometry.(orb.Point)
		ch, err := st.PatchComponent(ctx, c.Code, c.Version, func(cc *data.Component) error {
			cc.Geometry = orb.Point{p[0] + 1e-7, p[1]}
			cc.Status = data.StatusDamaged
			return nil
		}, who)
		if err != nil {
			b.Fatal(err)
		}
		*c = *ch[0].AfterComponent
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "edits/s")
}

// BenchmarkDemoChangeset50k applies a 50,000-feature survey batch (half
// modifications of stored components, half additions beside them) to the
// demo city in one transaction.
//
//	go test ./data/gpkg -run XXX -bench DemoChangeset50k -benchtime 1x -edit-scale 1
func BenchmarkDemoChangeset50k(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, ds := demoStore(b)
		cs := &data.Changeset{}
		seq := 0
		for _, c := range ds.Components {
			if _, ok := c.Geometry.(orb.Point); !ok {
				continue
			}
			m := data.Component{Code: c.Code, Status: data.StatusDamaged, Note: "2026 普查"}
			cs.Items = append(cs.Items, data.ChangesetItem{Op: data.CSModify, Component: m, BaseVersion: c.Version,
				Fields: map[string]bool{"code": true, "status": true, "note": true}})
			a := c
			seq++
			a.Code = data.ComponentCode(c.Code[:6], c.Category, 900000+seq)
			a.UnitGrid, a.Version = "", 0
			cs.Items = append(cs.Items, data.ChangesetItem{Op: data.CSAdd, Component: a})
			if len(cs.Items) >= 50000 {
				break
			}
		}
		b.StartTimer()
		rep, ch, err := st.ApplyChangeset(ctx, cs, who)
		if err != nil {
			b.Fatalf("%v (%d invalid, %d conflicts)", err, len(rep.Invalid), len(rep.Conflicts))
		}
		b.ReportMetric(float64(len(ch)), "changes")
	}
}

// TestMergeDemoNeighboursDissolves merges pairs of neighbouring unit grids
// of the demo city (sharing an edge) and checks the union is one polygon of
// the summed area, every component of both grids now in it, and then
// splits it back along the old outlines: the components return to grids
// with the same geometry as their old ones.
func TestMergeDemoNeighboursDissolves(t *testing.T) {
	ctx := context.Background()
	ds, err := demo.Generate(ctx, demo.Options{Seed: 1, Scale: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	st, err := Open(ctx, filepath.Join(t.TempDir(), "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Insert(ctx, ds); err != nil {
		t.Fatal(err)
	}
	// Two grids of one community sharing an edge (the same two vertices).
	type edge struct{ p, q orb.Point }
	owner := map[edge]int{}
	var a, b *data.UnitGrid
	for i := range ds.UnitGrids {
		g := &ds.UnitGrids[i]
		for _, poly := range g.Geometry {
			r := poly[0]
			for k := 0; k+1 < len(r) && a == nil; k++ {
				if j, ok := owner[edge{r[k+1], r[k]}]; ok && ds.UnitGrids[j].Community == g.Community && j != i {
					a, b = &ds.UnitGrids[j], g
				}
				owner[edge{r[k], r[k+1]}] = i
			}
		}
		if a != nil {
			break
		}
	}
	if a == nil {
		t.Skip("no side-by-side neighbours in the demo city")
	}
	members := map[string]string{}
	for _, c := range ds.Components {
		if c.UnitGrid == a.Code || c.UnitGrid == b.Code {
			members[c.Code] = c.UnitGrid
		}
	}
	ch, err := st.MergeUnitGrids(ctx, []string{a.Code, b.Code}, who)
	if err != nil {
		t.Fatal(err)
	}
	var merged *data.UnitGrid
	moved := 0
	for _, c := range ch {
		if c.AfterUnitGrid != nil {
			merged = c.AfterUnitGrid
		}
		if c.AfterComponent != nil {
			moved++
		}
	}
	if len(merged.Geometry) != 1 {
		t.Errorf("merged %s+%s is %d polygons, want one", a.Code, b.Code, len(merged.Geometry))
	}
	if want := a.AreaM2 + b.AreaM2; math.Abs(merged.AreaM2-want) > 1e-6*want {
		t.Errorf("merged area %v, want %v", merged.AreaM2, want)
	}
	if moved != len(members) {
		t.Fatalf("%d components moved, want %d", moved, len(members))
	}
	ch, err = st.SplitUnitGrid(ctx, merged.Code, []orb.MultiPolygon{b.Geometry, a.Geometry}, who)
	if err != nil {
		t.Fatal(err)
	}
	newOf := map[string]string{} // old grid → new grid with its geometry
	for _, c := range ch {
		if g := c.AfterUnitGrid; g != nil {
			for _, old := range []*data.UnitGrid{a, b} {
				if g.Geometry.Bound() == old.Geometry.Bound() {
					newOf[old.Code] = g.Code
				}
			}
		}
	}
	for code, old := range members {
		c, err := st.Component(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		if c.UnitGrid != newOf[old] {
			t.Errorf("component %s was in %s, is in %s, want %s", code, old, c.UnitGrid, newOf[old])
		}
	}
}
