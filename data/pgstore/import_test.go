package pgstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
	"citygrid/data/storetest"
)

// TestImportChangesCarriesGeoPackageHistory edits a GeoPackage city
// (create, move, delete), copies the city and its change log into
// PostgreSQL as migrate-store does, and checks the PostgreSQL store then
// answers like the GeoPackage: the same history (ops, versions, times,
// users, reasons, states), the same as-of read between two edits, and a
// deleted code that comes back takes the version after its last one.
func TestImportChangesCarriesGeoPackageHistory(t *testing.T) {
	ctx := context.Background()
	src, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	const code = "3201140101000100"
	if _, err := src.CreateComponent(ctx, storetest.Lamp(code, orb.Point{118.775, 31.995}), storetest.Who); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Millisecond)
	between := time.Now().UTC()
	time.Sleep(3 * time.Millisecond)
	if _, err := src.PatchComponent(ctx, code, 1, func(c *data.Component) error {
		c.Geometry = orb.Point{118.765, 31.996}
		return nil
	}, data.EditMeta{User: "surveyor2", Reason: "moved"}); err != nil {
		t.Fatal(err)
	}
	if _, err := src.DeleteComponent(ctx, code, 2, storetest.Who); err != nil {
		t.Fatal(err)
	}

	dst := openTemp(t, testURL(t))
	defer dst.Close()
	ds, err := src.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.Insert(ctx, ds); err != nil {
		t.Fatal(err)
	}
	log, err := src.ChangesSince(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 3 {
		t.Fatalf("source log %d changes, want 3", len(log))
	}
	if err := dst.ImportChanges(ctx, log); err != nil {
		t.Fatal(err)
	}
	if err := dst.ImportChanges(ctx, log); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("second import: %v, want ErrConflict (the log is no longer empty)", err)
	}

	want, err := src.History(ctx, "components", code)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dst.History(ctx, "components", code)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("history %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Op != w.Op || g.Version != w.Version || !g.At.Equal(w.At) || g.User != w.User || g.Reason != w.Reason {
			t.Errorf("entry %d: %s v%d %s %s %q, want %s v%d %s %s %q", i, g.Op, g.Version, g.At, g.User, g.Reason, w.Op, w.Version, w.At, w.User, w.Reason)
		}
		if (g.AfterComponent == nil) != (w.AfterComponent == nil) ||
			(g.AfterComponent != nil && !reflect.DeepEqual(g.AfterComponent.Geometry, w.AfterComponent.Geometry)) {
			t.Errorf("entry %d after %+v, want %+v", i, g.AfterComponent, w.AfterComponent)
		}
	}

	then, err := dst.ComponentAsOf(ctx, code, between)
	if err != nil {
		t.Fatal(err)
	}
	if then.Version != 1 || then.UnitGrid != "320114001001002" {
		t.Errorf("as of between: v%d in %s, want v1 in 320114001001002", then.Version, then.UnitGrid)
	}
	if _, err := dst.ComponentAsOf(ctx, code, time.Now()); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("as of now: %v, want ErrNotFound (deleted)", err)
	}
	ch, err := dst.CreateComponent(ctx, storetest.Lamp(code, orb.Point{118.775, 31.995}), storetest.Who)
	if err != nil {
		t.Fatal(err)
	}
	if ch[0].Version != 3 {
		t.Errorf("recreated %s at version %d, want 3 (after the deleted version 2)", code, ch[0].Version)
	}
	if ch[0].Seq != 4 {
		t.Errorf("first edit after the import has seq %d, want 4", ch[0].Seq)
	}
}
