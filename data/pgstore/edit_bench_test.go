package pgstore_test

import (
	"context"
	"flag"
	"testing"

	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/demo"
	"citygrid/data/pgstore"
)

var editScale = flag.Float64("edit-scale", 0.02, "scale of the demo city in the PostgreSQL edit benchmarks")

var surveyor = data.EditMeta{User: "surveyor1", Reason: "2026 普查"}

// demoPG stores the demo city at -edit-scale (1 = the full 雨花台区,
// ~478k components) in a schema of its own.
func demoPG(b *testing.B) (*pgstore.Store, *data.Dataset) {
	b.Helper()
	ctx := context.Background()
	ds, err := demo.Generate(ctx, demo.Options{Seed: 1, Scale: *editScale})
	if err != nil {
		b.Fatal(err)
	}
	st := openTemp(b, testURL(b))
	if err := st.Insert(ctx, ds); err != nil {
		b.Fatal(err)
	}
	return st, ds
}

// BenchmarkPGDemoSingleEdits patches point components of the demo city
// one at a time, each its own transaction (counter lock, read, conditional
// UPDATE, log row, NOTIFY), round-robin: the PostgreSQL side of "1,000
// edits per second", on one connection at a time.
//
//	go test ./data/pgstore -run '^$' -bench PGDemoSingleEdits -benchtime 3000x -edit-scale 1
func BenchmarkPGDemoSingleEdits(b *testing.B) {
	ctx := context.Background()
	st, ds := demoPG(b)
	var pts []data.Component
	for _, c := range ds.Components {
		if _, ok := c.Geometry.(orb.Point); ok {
			pts = append(pts, c)
		}
		if len(pts) == 2000 {
			break
		}
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
		}, surveyor)
		if err != nil {
			b.Fatal(err)
		}
		*c = *ch[0].AfterComponent
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "edits/s")
}

// BenchmarkPGDemoChangeset50k applies a 50,000-feature survey batch (half
// modifications of stored components, half additions beside them) to the
// demo city in one transaction, as BenchmarkDemoChangeset50k does on the
// GeoPackage, and checks every change is in the log afterwards. Each
// iteration stores a fresh city: run it -benchtime 1x.
//
//	go test ./data/pgstore -run '^$' -bench PGDemoChangeset50k -benchtime 1x -edit-scale 1
func BenchmarkPGDemoChangeset50k(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, ds := demoPG(b)
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
		before, err := st.LastChangeSeq(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rep, ch, err := st.ApplyChangeset(ctx, cs, surveyor)
		if err != nil {
			b.Fatalf("%v (%d invalid, %d conflicts)", err, len(rep.Invalid), len(rep.Conflicts))
		}
		b.StopTimer()
		after, err := st.LastChangeSeq(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if after-before != int64(len(ch)) || len(ch) != len(cs.Items) {
			b.Fatalf("%d changes returned, %d logged, want %d", len(ch), after-before, len(cs.Items))
		}
		b.ReportMetric(float64(len(ch)), "changes")
		st.Close()
		b.StartTimer()
	}
}
