package demo_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"citygrid/data/cases"
	"citygrid/data/cases/sqlitecases"
	"citygrid/data/demo"
	"citygrid/data/gpkg"
)

// TestHistoryReadsBackThroughTheCaseStore writes a generated history with
// the case store's bulk import and reads it back through the store: every
// case (as JSON) and every transition, ids following a case already there.
func TestHistoryReadsBackThroughTheCaseStore(t *testing.T) {
	ctx := context.Background()
	ds, err := demo.Generate(ctx, demo.Options{Seed: 3, Scale: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	cs, trs, err := demo.Cases(ds, demo.CaseOptions{Seed: 3, Days: 20, RegisteredPerYear: 9000})
	if err != nil {
		t.Fatal(err)
	}
	st, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "c.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	store, err := sqlitecases.New(ctx, st.DB())
	if err != nil {
		t.Fatal(err)
	}
	// A live case first: the history must not collide with it.
	live := cases.Case{Source: cases.SourceCitizen, Kind: "event", Category: "0406", State: cases.StateReported,
		ReportedAt: time.Date(2026, 6, 30, 9, 0, 0, 0, time.UTC)}
	live.Point[0], live.Point[1] = 118.78, 31.99
	if err := store.Create(ctx, &live, &cases.Transition{Action: "report", To: cases.StateReported, User: "x", Role: "citizen"}); err != nil {
		t.Fatal(err)
	}
	if err := store.ImportHistory(ctx, &cases.History{Cases: cs, Transitions: trs}, cases.AppendHistory); err != nil {
		t.Fatal(err)
	}
	if cs[0].ID != live.ID+1 || trs[0].CaseID != cs[0].ID {
		t.Fatalf("ids not renumbered after the live case: first %d, transition %d, live %d", cs[0].ID, trs[0].CaseID, live.ID)
	}
	n := 0
	byID := map[int64]*cases.Case{}
	for i := range cs {
		byID[cs[i].ID] = &cs[i]
	}
	err = store.All(ctx, func(c *cases.Case) bool {
		n++
		if c.ID == live.ID {
			return true
		}
		want := byID[c.ID]
		gj, _ := json.Marshal(c)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) || c.Point != want.Point {
			t.Errorf("case %d read back as\n%s\nwant\n%s", c.ID, gj, wj)
			return false
		}
		return true
	})
	if err != nil || n != len(cs)+1 {
		t.Fatalf("All: %v, %d cases, want %d", err, n, len(cs)+1)
	}
	perCase := map[int64][]cases.Transition{}
	for _, tr := range trs {
		perCase[tr.CaseID] = append(perCase[tr.CaseID], tr)
	}
	for _, id := range []int64{cs[0].ID, cs[len(cs)/2].ID, cs[len(cs)-1].ID} {
		got, err := store.Transitions(ctx, id)
		if err != nil || len(got) != len(perCase[id]) {
			t.Fatalf("case %d: %v, %d transitions, want %d", id, err, len(got), len(perCase[id]))
		}
		for i := range got {
			w := perCase[id][i]
			if got[i].Seq != w.Seq || got[i].Action != w.Action || got[i].To != w.To || !got[i].At.Equal(w.At.Truncate(time.Millisecond)) ||
				(got[i].StepDueAt == nil) != (w.StepDueAt == nil) || (w.StepDueAt != nil && !got[i].StepDueAt.Equal(w.StepDueAt.Truncate(time.Millisecond))) {
				t.Errorf("case %d transition %d: %+v, want %+v", id, i, got[i], w)
			}
		}
	}
	// Open cases are listed by the workflow's queries too.
	page, err := store.List(ctx, cases.Filter{Open: true, Limit: 5})
	if err != nil || page.Total == 0 {
		t.Errorf("open cases: %v %+v", err, page.Total)
	}
}
