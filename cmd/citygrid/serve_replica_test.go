package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"citygrid/api/city"
	"citygrid/data"
	"citygrid/data/gpkg/gpkgtest"
	"citygrid/tiles"

	"github.com/paulmach/orb"
)

// TestRewindUndoesChangesToTheBakedData: a city edited by an insert, a
// move, a delete and a unit-grid replacement, rewound over those changes,
// is the original city again — the same data version, the same features —
// and the edited dataset is left as it was.
func TestRewindUndoesChangesToTheBakedData(t *testing.T) {
	orig := gpkgtest.City()
	v0 := tiles.DataVersion(orig)
	edited := gpkgtest.City()
	var changes []data.Change
	seq := int64(10)
	add := func(ch data.Change) { seq++; ch.Seq = seq; changes = append(changes, ch) }

	// Insert a new cover.
	cover := data.Component{Code: "3201140101000777", Category: "0101", Geometry: orb.Point{118.7655, 31.9955}, UnitGrid: "320114001001001", Status: data.StatusIntact, Version: 1}
	edited.Components = append(edited.Components, cover)
	add(data.Change{Layer: "components", Op: data.OpInsert, Code: cover.Code, Version: 1, AfterComponent: &cover})
	// Move the first component.
	before := edited.Components[0]
	after := before
	after.Geometry, after.Version = orb.Point{118.7651, 31.9951}, before.Version+1
	edited.Components[0] = after
	add(data.Change{Layer: "components", Op: data.OpUpdate, Code: after.Code, Version: after.Version, BeforeComponent: &before, AfterComponent: &after})
	// Move the new cover, then delete the second component.
	moved := cover
	moved.Geometry, moved.Version = orb.Point{118.7656, 31.9956}, 2
	edited.Components[len(edited.Components)-1] = moved
	add(data.Change{Layer: "components", Op: data.OpUpdate, Code: cover.Code, Version: 2, BeforeComponent: &cover, AfterComponent: &moved})
	gone := edited.Components[1]
	edited.Components = append(edited.Components[:1:1], edited.Components[2:]...)
	add(data.Change{Layer: "components", Op: data.OpDelete, Code: gone.Code, Version: gone.Version, BeforeComponent: &gone})
	// Replace the second unit grid by a new one.
	oldGrid := edited.UnitGrids[1]
	newGrid := oldGrid
	newGrid.Code = "320114001001003"
	edited.UnitGrids[1] = newGrid
	add(data.Change{Layer: "unit_grids", Op: data.OpDelete, Code: oldGrid.Code, BeforeUnitGrid: &oldGrid})
	add(data.Change{Layer: "unit_grids", Op: data.OpInsert, Code: newGrid.Code, AfterUnitGrid: &newGrid})

	ve := tiles.DataVersion(edited)
	if ve == v0 {
		t.Fatal("the edits did not change the data version: the fixture is wrong")
	}
	back, err := rewind(edited, changes)
	if err != nil {
		t.Fatal(err)
	}
	if v := tiles.DataVersion(back); v != v0 {
		t.Errorf("rewound version %s, want the original %s", v, v0)
	}
	if len(back.Components) != len(orig.Components) || len(back.UnitGrids) != len(orig.UnitGrids) {
		t.Errorf("rewound %d components, %d grids; want %d, %d", len(back.Components), len(back.UnitGrids), len(orig.Components), len(orig.UnitGrids))
	}
	codes := map[string]bool{}
	for _, c := range back.Components {
		codes[c.Code] = true
	}
	if codes[cover.Code] || !codes[gone.Code] {
		t.Errorf("rewound components %v: the insert must be gone and the delete back", codes)
	}
	if tiles.DataVersion(edited) != ve || len(edited.Components) != 3 {
		t.Error("rewind modified the dataset it was given")
	}
	// A change of a layer a replica cannot undo, or without a before image,
	// is refused.
	if _, err := rewind(edited, []data.Change{{Layer: "roads", Op: data.OpUpdate, Code: "R001", Seq: 99}}); err == nil {
		t.Error("a roads change was undone")
	}
	if _, err := rewind(edited, []data.Change{{Layer: "components", Op: data.OpUpdate, Code: after.Code, Seq: 99}}); err == nil {
		t.Error("an update without a before image was undone")
	}
}

// TestReplicaJournalFindsTheNewestSeqOfAVersion: the journal answers the
// newest Seq recorded with a version (a version can come back, e.g. an edit
// undone), and nothing for an unknown version or a missing file.
func TestReplicaJournalFindsTheNewestSeqOfAVersion(t *testing.T) {
	j := &city.ReplicaJournal{Path: filepath.Join(t.TempDir(), city.ReplicaJournalFile)}
	if _, ok := j.SeqOf("v1"); ok {
		t.Error("a missing journal answered")
	}
	for _, e := range []struct {
		seq int64
		v   string
	}{{0, "v0"}, {3, "v1"}, {5, "v2"}, {9, "v1"}} {
		if err := j.Append(e.seq, e.v); err != nil {
			t.Fatal(err)
		}
	}
	for v, want := range map[string]int64{"v0": 0, "v1": 9, "v2": 5} {
		if got, ok := j.SeqOf(v); !ok || got != want {
			t.Errorf("SeqOf(%s) = %d, %v; want %d", v, got, ok, want)
		}
	}
	if _, ok := j.SeqOf("v3"); ok {
		t.Error("an unknown version answered")
	}
}

// TestReplicaJournalIsTrimmed: after many batches the journal keeps only
// the newest entries (bounded file), and still finds them.
func TestReplicaJournalIsTrimmed(t *testing.T) {
	j := &city.ReplicaJournal{Path: filepath.Join(t.TempDir(), city.ReplicaJournalFile)}
	for i := int64(1); i <= 4100; i++ {
		if err := j.Append(i, "v"+strconv.FormatInt(i, 10)); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(j.Path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n > 2200 {
		t.Errorf("journal holds %d lines after 4,100 appends, want about 2,000", n)
	}
	if got, ok := j.SeqOf("v4100"); !ok || got != 4100 {
		t.Errorf("newest entry: %d %v", got, ok)
	}
	if _, ok := j.SeqOf("v5"); ok {
		t.Error("an entry from the start survived trimming")
	}
}
