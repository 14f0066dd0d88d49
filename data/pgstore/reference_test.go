package pgstore_test

import (
	"context"
	"testing"

	"github.com/paulmach/orb"

	"citygrid/data/gpkg/gpkgtest"
	"citygrid/data/pgstore"
	"citygrid/data/storetest"
)

// TestGridEditOnAnotherReplicaReachesTheNextEdit splits a unit grid
// through one Store while a second Store on the same schema (another
// replica) holds the reference layers it read for an earlier edit: the
// second Store's next edit must place a new component in the part that
// now contains it, not in the retired grid its cache knew.
func TestGridEditOnAnotherReplicaReachesTheNextEdit(t *testing.T) {
	ctx := context.Background()
	url := testURL(t)
	a := openTemp(t, url)
	defer a.Close()
	if err := a.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	b, err := pgstore.Open(ctx, url, pgstore.Options{Schema: a.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// b reads (and caches) the reference layers with grid 001 whole.
	ch, err := b.CreateComponent(ctx, storetest.Lamp("", orb.Point{118.761, 31.998}), storetest.Who)
	if err != nil {
		t.Fatal(err)
	}
	if g := ch[0].AfterComponent.UnitGrid; g != "320114001001001" {
		t.Fatalf("before the split: unit grid %s, want 320114001001001", g)
	}
	east := orb.MultiPolygon{{gpkgtest.Rect(118.7625, 31.99, 118.77, 32.00)}}
	west := orb.MultiPolygon{{gpkgtest.Rect(118.76, 31.99, 118.7625, 32.00)}}
	if _, err := a.SplitUnitGrid(ctx, "320114001001001", []orb.MultiPolygon{east, west}, storetest.Who); err != nil {
		t.Fatal(err)
	}
	ch, err = b.CreateComponent(ctx, storetest.Lamp("", orb.Point{118.761, 31.999}), storetest.Who)
	if err != nil {
		t.Fatal(err)
	}
	if g := ch[0].AfterComponent.UnitGrid; g != "320114001001003" {
		t.Fatalf("after another replica's split: unit grid %s, want the west part 320114001001003", g)
	}
}
