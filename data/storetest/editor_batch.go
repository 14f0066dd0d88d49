package storetest

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/gpkg/gpkgtest"
)

// The batch part of the editor suite: unit-grid split and merge, survey
// changesets (moved from the GeoPackage store's tests).

// batchCodes are the components whose history Snapshot compares.
var batchCodes = []string{"3201140101000001", "3201140213000001", "3201140501000001", "3201140101000200", "3201140101000201"}

// RunEditorBatch runs the unit-grid and changeset part of the data.Editor
// suite against the stores open makes, on gpkgtest.City.
func RunEditorBatch(t *testing.T, open OpenEditor) {
	t.Run("SplitUnitGridReattributes", func(t *testing.T) { editSplit(t, open) })
	t.Run("SplitNumbersRowsNorthToSouth", func(t *testing.T) { editSplitNumbering(t, open) })
	t.Run("MergeUnitGridsDissolvesAndReattributes", func(t *testing.T) { editMerge(t, open) })
	t.Run("ChangesetDryRunAndAtomicApply", func(t *testing.T) { editChangeset(t, open) })
}

func editSplit(t *testing.T, open OpenEditor) {
	ctx := context.Background()
	st, _ := OpenCity(t, open)
	// Grid 001 is lon 118.76–118.77, lat 31.99–32.00. Cut at lon 118.7625:
	// the manhole (118.765, 31.995) lies in the east part, the green
	// (centroid 118.7615, 31.9915) in the west part. Same row: west is
	// numbered first, after the community's highest sequence (002).
	east := orb.MultiPolygon{{gpkgtest.Rect(118.7625, 31.99, 118.77, 32.00)}}
	west := orb.MultiPolygon{{gpkgtest.Rect(118.76, 31.99, 118.7625, 32.00)}}
	ch, err := st.SplitUnitGrid(ctx, "320114001001001", []orb.MultiPolygon{east, west}, Who)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var grids []string
	for _, c := range ch {
		if c.Layer == data.LayerComponents {
			got[c.Code] = c.AfterComponent.UnitGrid
			if c.Version != c.BeforeComponent.Version+1 {
				t.Errorf("%s: version %d after %d", c.Code, c.Version, c.BeforeComponent.Version)
			}
		} else {
			grids = append(grids, string(c.Op)+" "+c.Code)
		}
	}
	if want := []string{"delete 320114001001001", "insert 320114001001003", "insert 320114001001004"}; !reflect.DeepEqual(grids, want) {
		t.Fatalf("grid changes %v, want %v", grids, want)
	}
	if want := map[string]string{"3201140101000001": "320114001001004", "3201140501000001": "320114001001003"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("re-attribution %v, want %v", got, want)
	}
	ds, _ := st.Load(ctx)
	for _, g := range ds.UnitGrids {
		if g.Code == "320114001001003" && math.Abs(g.AreaM2-data.AreaM2(west)) > 1e-6 {
			t.Errorf("west area %v", g.AreaM2)
		}
	}
	c, _ := st.Component(ctx, "3201140101000001")
	if c.UnitGrid != "320114001001004" {
		t.Fatalf("stored unit grid %s", c.UnitGrid)
	}
	// The edit layer follows: a new lamp in the west part is placed there.
	ch, err = st.CreateComponent(ctx, Lamp("", orb.Point{118.761, 31.999}), Who)
	if err != nil || ch[0].AfterComponent.UnitGrid != "320114001001003" {
		t.Fatalf("after split: %+v %v", ch, err)
	}

	// Parts that do not cover the grid are refused, naming the field.
	before := Snapshot(t, st, batchCodes...)
	_, err = st.SplitUnitGrid(ctx, "320114001001002", []orb.MultiPolygon{
		{{gpkgtest.Rect(118.77, 31.99, 118.775, 32.00)}}, {{gpkgtest.Rect(118.775, 31.99, 118.778, 32.00)}}}, Who)
	var ves data.ValidationErrors
	if !errors.As(err, &ves) || ves[0].Field != "parts" {
		t.Fatalf("uncovered split: %v", err)
	}
	if Snapshot(t, st, batchCodes...) != before {
		t.Fatal("a refused split changed the store")
	}
}

func editSplitNumbering(t *testing.T, open OpenEditor) {
	// Three parts of grid 002 (lon 118.77–118.78, lat 31.99–32.00): two in
	// the northern half (west, east), one across the southern half. Given
	// in scrambled order, they are numbered NW 003, NE 004, S 005.
	ctx := context.Background()
	st, _ := OpenCity(t, open)
	s := orb.MultiPolygon{{gpkgtest.Rect(118.77, 31.99, 118.78, 31.995)}}
	ne := orb.MultiPolygon{{gpkgtest.Rect(118.775, 31.995, 118.78, 32.00)}}
	nw := orb.MultiPolygon{{gpkgtest.Rect(118.77, 31.995, 118.775, 32.00)}}
	ch, err := st.SplitUnitGrid(ctx, "320114001001002", []orb.MultiPolygon{s, ne, nw}, Who)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]orb.Bound{}
	for _, c := range ch {
		if c.Layer == data.LayerUnitGrids && c.Op == data.OpInsert {
			got[c.Code] = c.AfterUnitGrid.Geometry.Bound()
		}
	}
	want := map[string]orb.Bound{"320114001001003": nw.Bound(), "320114001001004": ne.Bound(), "320114001001005": s.Bound()}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("numbering %v, want %v", got, want)
	}
	// The guard rail (middle vertex 118.775, 31.992) moved to the south part.
	c, _ := st.Component(ctx, "3201140213000001")
	if c.UnitGrid != "320114001001005" {
		t.Fatalf("guard rail in %s", c.UnitGrid)
	}
}

func editMerge(t *testing.T, open OpenEditor) {
	ctx := context.Background()
	st, _ := OpenCity(t, open)
	ch, err := st.MergeUnitGrids(ctx, []string{"320114001001002", "320114001001001"}, Who)
	if err != nil {
		t.Fatal(err)
	}
	var merged *data.UnitGrid
	moved := map[string]string{}
	for _, c := range ch {
		if c.Layer == data.LayerUnitGrids && c.Op == data.OpInsert {
			merged = c.AfterUnitGrid
		}
		if c.Layer == data.LayerComponents {
			moved[c.Code] = c.AfterComponent.UnitGrid
		}
	}
	if merged == nil || merged.Code != "320114001001003" {
		t.Fatalf("merged grid %+v", merged)
	}
	// One polygon, one ring: the shared edge at lon 118.77 is gone.
	if len(merged.Geometry) != 1 || len(merged.Geometry[0]) != 1 {
		t.Fatalf("merged geometry has %d polygons", len(merged.Geometry))
	}
	if b := merged.Geometry.Bound(); b != (orb.Bound{Min: orb.Point{118.76, 31.99}, Max: orb.Point{118.78, 32.00}}) {
		t.Fatalf("merged bound %v", b)
	}
	whole := data.AreaM2(orb.MultiPolygon{{gpkgtest.Rect(118.76, 31.99, 118.78, 32.00)}})
	if math.Abs(merged.AreaM2-whole) > 1e-6*whole {
		t.Fatalf("merged area %v, want %v", merged.AreaM2, whole)
	}
	want := map[string]string{"3201140101000001": "320114001001003", "3201140213000001": "320114001001003", "3201140501000001": "320114001001003"}
	if !reflect.DeepEqual(moved, want) {
		t.Fatalf("moved %v", moved)
	}
	if _, err := st.MergeUnitGrids(ctx, []string{"320114001001003", "320114001001001"}, Who); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("merge of a retired grid: %v", err)
	}
	h, err := st.History(ctx, "unit_grids", "320114001001001")
	if err != nil || len(h) != 1 || h[0].Op != data.OpDelete || h[0].BeforeUnitGrid == nil {
		t.Fatalf("grid history %+v %v", h, err)
	}
}

func editChangeset(t *testing.T, open OpenEditor) {
	ctx := context.Background()
	st, _ := OpenCity(t, open)
	mod := data.Component{Code: "3201140101000001", Status: data.StatusDamaged}
	cs := &data.Changeset{Items: []data.ChangesetItem{
		{Component: Lamp("3201140101000200", orb.Point{118.775, 31.995})},                       // add (not stored)
		{Component: mod, Fields: map[string]bool{"code": true, "status": true}, BaseVersion: 3}, // modify
		{Op: data.CSDelete, Component: data.Component{Code: "3201140213000001"}},                // delete
		{Op: data.CSModify, Component: data.Component{Code: "3201140501000001", Status: data.StatusIntact}, // unchanged
			Fields: map[string]bool{"code": true, "status": true}},
	}}
	rep, err := st.PlanChangeset(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Adds != 1 || rep.Modifies != 1 || rep.Deletes != 1 || rep.Unchanged != 1 || !rep.Applicable {
		t.Fatalf("dry run %+v", rep)
	}

	// A bad feature in the middle, and a conflict: nothing is applied.
	bad := *cs
	bad.Items = append([]data.ChangesetItem{}, cs.Items...)
	bad.Items = append(bad.Items[:2], append([]data.ChangesetItem{{Where: "feature 99", Component: Lamp("3201140101000201", orb.Point{200, 31.995})}}, bad.Items[2:]...)...)
	bad.Items[1].BaseVersion = 2
	before := Snapshot(t, st, batchCodes...)
	rep, ch, err := st.ApplyChangeset(ctx, &bad, Who)
	if err == nil || ch != nil || rep.Applied {
		t.Fatalf("bad changeset applied: %v", err)
	}
	if len(rep.Invalid) != 1 || rep.Invalid[0].Where != "feature 99" || rep.Invalid[0].Field != "geometry" {
		t.Fatalf("invalid %+v", rep.Invalid)
	}
	if len(rep.Conflicts) != 1 || rep.Conflicts[0].Code != "3201140101000001" || rep.Conflicts[0].CurrentVersion != 3 {
		t.Fatalf("conflicts %+v", rep.Conflicts)
	}
	if Snapshot(t, st, batchCodes...) != before {
		t.Fatal("a refused changeset changed the store")
	}

	if err := st.SaveChangeset(ctx, cs, Who); err != nil {
		t.Fatal(err)
	}
	loaded, status, err := st.LoadChangeset(ctx, cs.ID)
	if err != nil || status != "pending" || len(loaded.Items) != 4 {
		t.Fatalf("load changeset: %v %s", err, status)
	}
	rep, ch, err = st.ApplyChangeset(ctx, loaded, Who)
	if err != nil || !rep.Applied || len(ch) != 3 {
		t.Fatalf("apply: %+v %d changes, %v", rep, len(ch), err)
	}
	c, _ := st.Component(ctx, "3201140101000001")
	if c.Status != data.StatusDamaged || c.Version != 4 || c.Name != "上水井盖" || c.Note != "铸铁, 700 mm" {
		t.Fatalf("modified %+v", c)
	}
	if _, err := st.Component(ctx, "3201140213000001"); !errors.Is(err, data.ErrNotFound) {
		t.Fatal("delete not applied")
	}
	if _, _, err := st.ApplyChangeset(ctx, loaded, Who); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("second apply: %v", err)
	}
	h, _ := st.History(ctx, "components", "3201140101000001")
	if len(h) != 1 || h[0].Changeset != cs.ID {
		t.Fatalf("history %+v", h)
	}

	// A base time after which the store changed makes a conflict.
	late := &data.Changeset{BaseTime: time.Now().Add(-time.Hour), Items: []data.ChangesetItem{
		{Component: data.Component{Code: "3201140101000001", Name: "井盖"}, Fields: map[string]bool{"code": true, "name": true}}}}
	rep, err = st.PlanChangeset(ctx, late)
	if err != nil || len(rep.Conflicts) != 1 || rep.Applicable {
		t.Fatalf("base time conflict: %+v %v", rep, err)
	}
}

// RunUnitGridHistory runs the unit-grid as-of part of the suite against
// stores that are a data.UnitGridHistory: a split, then a merge, read back
// as of before, between and after them.
func RunUnitGridHistory(t *testing.T, open OpenEditor) {
	t.Run("UnitGridsAsOfSplitAndMerge", func(t *testing.T) { gridsAsOf(t, open) })
}

func gridsAsOf(t *testing.T, open OpenEditor) {
	ctx := context.Background()
	st, _ := OpenCity(t, open)
	h, ok := st.(data.UnitGridHistory)
	if !ok {
		t.Fatalf("%T is not a data.UnitGridHistory", st)
	}
	city := gpkgtest.City().UnitGrids // 001 and 002
	pause := func() time.Time {
		time.Sleep(3 * time.Millisecond)
		now := time.Now().UTC()
		time.Sleep(3 * time.Millisecond)
		return now
	}
	t0 := pause()
	east := orb.MultiPolygon{{gpkgtest.Rect(118.7625, 31.99, 118.77, 32.00)}}
	west := orb.MultiPolygon{{gpkgtest.Rect(118.76, 31.99, 118.7625, 32.00)}}
	if _, err := st.SplitUnitGrid(ctx, "320114001001001", []orb.MultiPolygon{east, west}, Who); err != nil {
		t.Fatal(err)
	}
	t1 := pause()
	if _, err := st.MergeUnitGrids(ctx, []string{"320114001001002", "320114001001004"}, Who); err != nil {
		t.Fatal(err)
	}
	t2 := pause()
	codes := func(gs []data.UnitGrid) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Code)
		}
		return out
	}
	for _, c := range []struct {
		at   time.Time
		want []string
	}{
		{t0, []string{"320114001001001", "320114001001002"}},
		{t1, []string{"320114001001002", "320114001001003", "320114001001004"}},
		{t2, []string{"320114001001003", "320114001001005"}},
	} {
		gs, err := h.UnitGridsAsOf(ctx, c.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := codes(gs); !reflect.DeepEqual(got, c.want) {
			t.Errorf("unit grids as of %v: %v, want %v", c.at, got, c.want)
		}
	}
	// Before the edits the layer is the imported one, geometry and area.
	gs, _ := h.UnitGridsAsOf(ctx, t0)
	for i := range gs {
		if i < len(city) && (!reflect.DeepEqual(gs[i].Geometry, city[i].Geometry) || gs[i].AreaM2 != city[i].AreaM2 || gs[i].Community != city[i].Community) {
			t.Errorf("grid %s as of before the edits: %+v, want %+v", gs[i].Code, gs[i], city[i])
		}
	}
	g, err := h.UnitGridAsOf(ctx, "320114001001004", t1)
	if err != nil || g.Geometry.Bound() != east.Bound() {
		t.Errorf("grid 004 (east part) as of t1: %+v %v", g, err)
	}
	if _, err := h.UnitGridAsOf(ctx, "320114001001004", t0); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("grid 004 before it was made: %v, want ErrNotFound", err)
	}
	if _, err := h.UnitGridAsOf(ctx, "320114001001001", t1); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("grid 001 after it was split: %v, want ErrNotFound", err)
	}
	g, err = h.UnitGridAsOf(ctx, "320114001001005", t2)
	want := orb.Bound{Min: orb.Point{118.7625, 31.99}, Max: orb.Point{118.78, 32.00}}
	if err != nil || g.Geometry.Bound() != want {
		t.Errorf("merged grid 005 as of t2: bound %v %v, want %v", g.Geometry.Bound(), err, want)
	}
	if g, err := h.UnitGridAsOf(ctx, "320114001001002", t0); err != nil || !reflect.DeepEqual(g.Geometry, city[1].Geometry) {
		t.Errorf("grid 002 as of t0: %+v %v", g, err)
	}
}
