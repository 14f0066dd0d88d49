package gpkg

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/gpkg/gpkgtest"
)

func openCity(t testing.TB) *Store {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	return st
}

func lamp(code string, p orb.Point) data.Component {
	return data.Component{Code: code, Category: "0101", Name: "上水井盖", Geometry: p,
		Department: "D0003", Owner: "D0003", Status: data.StatusIntact}
}

var who = data.EditMeta{User: "surveyor1", Reason: "2026 普查"}

// The editor tests (versions, history, preconditions, validation, imports
// seen by another handle, racing handles, scans; grid split and merge,
// changesets) and the single edit benchmark are the shared editor suite:
// storetest.RunEditor and RunEditorBatch, run against this store and the
// PostgreSQL one.

func BenchmarkChangeset50k(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := openCity(b)
		comps := gpkgtest.Components(50000)
		if err := st.Insert(ctx, &data.Dataset{Components: comps[:25000]}); err != nil {
			b.Fatal(err)
		}
		cs := &data.Changeset{}
		for k := range comps {
			c := comps[k]
			c.Status = data.StatusDamaged
			cs.Items = append(cs.Items, data.ChangesetItem{Component: c})
		}
		b.StartTimer()
		rep, ch, err := st.ApplyChangeset(ctx, cs, who)
		if err != nil || rep.Adds != 25000 || rep.Modifies != 25000 || len(ch) != 50000 {
			b.Fatalf("%+v %v", rep, err)
		}
	}
}
