package sqlitecases_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/casestest"

	"github.com/paulmach/orb"
)

// The shared suite on SQLite: two stores on one GeoPackage file, as
// the server and a command-line tool would open it.
func TestStoreSuite(t *testing.T) {
	casestest.Run(t, func(t *testing.T) (a, b cases.ServerStore) {
		path := filepath.Join(t.TempDir(), "c.gpkg")
		_, a = casestest.OpenSQLiteAt(t, path)
		_, b = casestest.OpenSQLiteAt(t, path)
		return a, b
	})
}

// Case writes share the GeoPackage file with the city's own writers: both
// going at once, neither fails with SQLITE_BUSY.
func TestStoreSharesTheFileWithOtherWriters(t *testing.T) {
	ctx := context.Background()
	g, s := casestest.OpenSQLiteAt(t, filepath.Join(t.TempDir(), "c.gpkg"))
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 200; i++ {
			if err := g.SetMeta(ctx, "bench", fmt.Sprint(i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := 0; i < 200; i++ {
		c := &cases.Case{Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Point: orb.Point{118, 32}}
		if err := s.Create(ctx, c, &cases.Transition{Action: "report", To: c.State}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			c.State = cases.StateCancelled
			if err := s.Update(ctx, c, &cases.Transition{Action: "cancel", From: cases.StateReported, To: c.State}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.PutConfig(ctx, "settings", []byte(`{}`), "x", 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p, _ := s.List(ctx, cases.Filter{States: []cases.State{cases.StateCancelled}})
	if p.Total != 100 {
		t.Fatalf("cancelled %d", p.Total)
	}
}
