package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"citygrid/api"
	"citygrid/data/cases"
	"citygrid/data/cases/sqlitecases"
	"citygrid/data/demo"
	"citygrid/data/gpkg"
	"citygrid/spatial"
)

// The demo's case history is written into the city's case store when the
// city is stored: as many cases as the store's demo.cases record, the same
// cases again for the same seed and end, each dispatched case with the
// unit the server's responsibility lookup names at its point (unless the
// first unit returned it). A stored city that has its history keeps it as
// it is; one stored without it gets it when reused.
func TestDemoHistoryStoredWithTheCity(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ds, err := demo.Generate(ctx, demo.Options{Seed: 5, Scale: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	opt := demoOptions{seed: 5}
	store := func(path string) (*gpkg.Store, *sqlitecases.Store) {
		st, err := gpkg.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Insert(ctx, ds); err != nil {
			t.Fatal(err)
		}
		if err := storeDemoHistory(ctx, st, ds, opt, end, log); err != nil {
			t.Fatal(err)
		}
		cs, err := sqlitecases.New(ctx, st.DB())
		if err != nil {
			t.Fatal(err)
		}
		return st, cs
	}
	dir := t.TempDir()
	st, a := store(filepath.Join(dir, "a.gpkg"))
	_, b := store(filepath.Join(dir, "b.gpkg"))
	page, err := a.List(ctx, cases.Filter{Limit: 1})
	if err != nil || page.Total < 1000 {
		t.Fatalf("%d cases stored, %v", page.Total, err)
	}
	if n, _ := st.Meta(ctx, metaDemoCases); n != strconv.Itoa(page.Total) {
		t.Fatalf("%s records %q, the store holds %d", metaDemoCases, n, page.Total)
	}
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	hb, err := cases.ExportHistory(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	i := 0
	err = a.All(ctx, func(c *cases.Case) bool {
		o := hb.Cases[i]
		i++
		if c.Number != o.Number || c.State != o.State || c.Unit != o.Unit || !c.ReportedAt.Equal(o.ReportedAt) {
			t.Errorf("case %d differs between two stores of seed 5: %s %s %s / %s %s %s", c.ID, c.Number, c.State, c.Unit, o.Number, o.State, o.Unit)
			return false
		}
		if c.State == cases.StateDispatched && c.Unit != "" && c.ReturnCount == 0 {
			r, err := ix.Responsible(c.Point, c.Kind, c.Category, c.Component)
			if err == nil && r.Unit.Code != c.Unit {
				t.Errorf("case %s at %v is with %s; the lookup names %s", c.Number, c.Point, c.Unit, r.Unit.Code)
				return false
			}
			checked++
		}
		return true
	})
	if err != nil || i != len(hb.Cases) || checked == 0 {
		t.Fatalf("%d cases read, %d exported, %d dispatched checked: %v", i, len(hb.Cases), checked, err)
	}
	// A stored city that has its history is reused as it is.
	st.Close()
	if err := ensureDemoHistory(ctx, filepath.Join(dir, "a.gpkg"), "5", opt, log, api.NewGate("test")); err != nil {
		t.Fatal(err)
	}
	again, _ := gpkg.Open(ctx, filepath.Join(dir, "a.gpkg"))
	defer again.Close()
	cs, _ := sqlitecases.New(ctx, again.DB())
	if p, err := cs.List(ctx, cases.Filter{Limit: 1}); err != nil || p.Total != page.Total {
		t.Fatalf("after reuse %d cases, want %d: %v", p.Total, page.Total, err)
	}
	bare, err := gpkg.Open(ctx, filepath.Join(dir, "c.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := bare.Insert(ctx, ds); err != nil {
		t.Fatal(err)
	}
	bare.Close()
	if err := ensureDemoHistory(ctx, filepath.Join(dir, "c.gpkg"), "5", opt, log, api.NewGate("test")); err != nil {
		t.Fatal(err)
	}
	reused, _ := gpkg.Open(ctx, filepath.Join(dir, "c.gpkg"))
	defer reused.Close()
	n, _ := reused.Meta(ctx, metaDemoCases)
	cs, _ = sqlitecases.New(ctx, reused.DB())
	if p, err := cs.List(ctx, cases.Filter{Limit: 1}); err != nil || strconv.Itoa(p.Total) != n || p.Total < 1000 {
		t.Fatalf("a reused city without history: %d cases stored, %s recorded: %v", p.Total, n, err)
	}
}
