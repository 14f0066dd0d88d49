package gpkg

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/gpkg/gpkgtest"
)

// gridCodes lists the codes of gs, in order.
func gridCodes(gs []data.UnitGrid) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Code
	}
	return out
}

func TestUnitGridsAsOfFollowSplitAndMerge(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	meta := data.EditMeta{User: "surveyor1", Reason: "2026 普查"}
	pause := func() time.Time {
		time.Sleep(3 * time.Millisecond)
		t := time.Now().UTC()
		time.Sleep(3 * time.Millisecond)
		return t
	}
	t0 := pause()
	// Split 001 (lon 118.76–118.77) at 118.7625: the west part becomes
	// 003, the east part 004 (west first in a row).
	west := orb.MultiPolygon{{gpkgtest.Rect(118.76, 31.99, 118.7625, 32.00)}}
	east := orb.MultiPolygon{{gpkgtest.Rect(118.7625, 31.99, 118.77, 32.00)}}
	if _, err := st.SplitUnitGrid(ctx, "320114001001001", []orb.MultiPolygon{east, west}, meta); err != nil {
		t.Fatal(err)
	}
	t1 := pause()
	// Merge 002 and 004: the union gets the community's next code, 005.
	if _, err := st.MergeUnitGrids(ctx, []string{"320114001001002", "320114001001004"}, meta); err != nil {
		t.Fatal(err)
	}
	t2 := pause()

	for _, c := range []struct {
		at   time.Time
		want []string
	}{
		{t0, []string{"320114001001001", "320114001001002"}},
		{t1, []string{"320114001001002", "320114001001003", "320114001001004"}},
		{t2, []string{"320114001001003", "320114001001005"}},
	} {
		gs, err := st.UnitGridsAsOf(ctx, c.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := gridCodes(gs); !slices.Equal(got, c.want) {
			t.Fatalf("as of %v: %v, want %v", c.at, got, c.want)
		}
	}
	// The retired grid comes back whole, with its geometry and area.
	g, err := st.UnitGridAsOf(ctx, "320114001001001", t0)
	if err != nil {
		t.Fatal(err)
	}
	if b := g.Geometry.Bound(); b != (orb.Bound{Min: orb.Point{118.76, 31.99}, Max: orb.Point{118.77, 32.00}}) || g.AreaM2 != 1049862.5 || g.Community != "320114001001" {
		t.Fatalf("grid 001 as of t0: bound %v area %v community %s", b, g.AreaM2, g.Community)
	}
	// The east part existed between the split and the merge only.
	if g, err := st.UnitGridAsOf(ctx, "320114001001004", t1); err != nil || g.Geometry.Bound() != east.Bound() {
		t.Fatalf("grid 004 as of t1: %+v %v", g.Geometry.Bound(), err)
	}
	for _, at := range []time.Time{t0, t2} {
		if _, err := st.UnitGridAsOf(ctx, "320114001001004", at); !errors.Is(err, data.ErrNotFound) {
			t.Fatalf("grid 004 as of %v: %v", at, err)
		}
	}
	// A grid never edited reads the same at any time.
	if g, err := st.UnitGridAsOf(ctx, "320114001001002", t1); err != nil || g.Geometry.Bound().Min[0] != 118.77 {
		t.Fatalf("grid 002 as of t1: %v", err)
	}
}
