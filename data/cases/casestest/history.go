package casestest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"

	"github.com/paulmach/orb"
)

// importer is the store's bulk import; every case store offers one.
func importer(t *testing.T, s cases.ServerStore) cases.HistoryImporter {
	t.Helper()
	imp, ok := s.(cases.HistoryImporter)
	if !ok {
		t.Fatalf("%T has no ImportHistory", s)
	}
	return imp
}

// An appended history follows the live cases' ids and goes on through the
// workflow; a broken one writes nothing.
func testAppend(t *testing.T, open func(*testing.T) cases.ServerStore) {
	ctx := context.Background()
	s := open(t)
	imp := importer(t, s)
	live := &cases.Case{Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Point: orb.Point{118, 32}}
	if err := s.Create(ctx, live, &cases.Transition{Action: "report", To: live.State}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	step := at.Add(time.Hour)
	h := &cases.History{
		Cases: []cases.Case{
			{ID: 1, Number: "D1", Kind: data.KindEvent, Category: "0101", State: cases.StateVerified, Point: orb.Point{118.1, 32.1}, ReportedAt: at, UpdatedAt: at, Version: 2},
			{ID: 2, Number: "D2", Kind: data.KindEvent, Category: "0202", State: cases.StateReported, Point: orb.Point{118.2, 32.2}, ReportedAt: at, UpdatedAt: at, Version: 1},
		},
		Transitions: []cases.Transition{
			{CaseID: 1, Seq: 1, At: at, Action: "report", To: cases.StateReported, User: "i"},
			{CaseID: 1, Seq: 2, At: at.Add(time.Minute), Action: "verify", From: cases.StateReported, To: cases.StateVerified, User: "i", StepDueAt: &step},
			{CaseID: 2, Seq: 1, At: at, Action: "report", To: cases.StateReported, User: "j"},
		},
	}
	if err := imp.ImportHistory(ctx, h, cases.AppendHistory); err != nil {
		t.Fatal(err)
	}
	cs, trs := h.Cases, h.Transitions
	if cs[0].ID <= live.ID || cs[1].ID <= cs[0].ID || trs[1].CaseID != cs[0].ID || trs[2].CaseID != cs[1].ID {
		t.Fatalf("renumbered %d %d; transitions of %d %d", cs[0].ID, cs[1].ID, trs[1].CaseID, trs[2].CaseID)
	}
	got, err := s.Get(ctx, cs[0].ID)
	if err != nil || got.Number != "D1" || got.State != cases.StateVerified || got.Version != 2 || got.ID != cs[0].ID {
		t.Fatalf("imported %+v %v", got, err)
	}
	ts, _ := s.Transitions(ctx, cs[0].ID)
	if len(ts) != 2 || ts[1].StepDueAt == nil || !ts[1].StepDueAt.Equal(step) {
		t.Fatalf("imported transitions %+v", ts)
	}
	// the imported case goes on through the workflow
	got.State = cases.StateRegistered
	tr := &cases.Transition{Action: "register", From: cases.StateVerified, To: cases.StateRegistered}
	if err := s.Update(ctx, got, tr); err != nil || tr.Seq != 3 {
		t.Fatalf("update after import: seq %d %v", tr.Seq, err)
	}
	bad := &cases.History{Cases: []cases.Case{{ID: 7, Number: "D7", Point: orb.Point{1, 1}}}, Transitions: []cases.Transition{{CaseID: 8, Seq: 1}}}
	var ve *data.ValidationError
	if err := imp.ImportHistory(ctx, bad, cases.AppendHistory); !errors.As(err, &ve) {
		t.Fatalf("a transition of an unknown case: %v", err)
	}
	dup := &cases.History{Cases: []cases.Case{{ID: 7, Number: "D7", Point: orb.Point{1, 1}}, {ID: 8, Number: "D1", Point: orb.Point{1, 1}}}}
	if err := imp.ImportHistory(ctx, dup, cases.AppendHistory); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("a number taken already: %v", err)
	}
	if _, err := s.CaseIDByNumber(ctx, "D7"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("a failed import left case D7: %v", err)
	}
	photo := &cases.History{Cases: []cases.Case{{ID: 7, Number: "D7", Point: orb.Point{1, 1}}}, Attachments: []cases.Attachment{{CaseID: 7, Name: "p.jpg"}}}
	if err := imp.ImportHistory(ctx, photo, cases.AppendHistory); !errors.As(err, &ve) {
		t.Fatalf("attachments appended: %v", err)
	}
}

// A restored history keeps every id and version, reads back as it was
// written, and the store's own ids and versions go on after it; a second
// restore is refused.
func testRestore(t *testing.T, open func(*testing.T) cases.ServerStore) {
	ctx := context.Background()
	s := open(t)
	imp := importer(t, s)
	at := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	due := at.Add(48 * time.Hour)
	h := &cases.History{
		Cases: []cases.Case{
			{ID: 5, Number: "R5", Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Source: cases.SourceHotline, Point: orb.Point{118.1, 32.1}, Lon: 118.1, Lat: 32.1, ReportedAt: at, UpdatedAt: at, Version: 1},
			{ID: 9, Number: "R9", Kind: data.KindComponent, Category: "0202", State: cases.StateDispatched, Unit: "U1", Point: orb.Point{118.2, 32.2}, Lon: 118.2, Lat: 32.2, ReportedAt: at, UpdatedAt: at.Add(time.Hour), DueAt: &due, Version: 4},
		},
		Transitions: []cases.Transition{
			{CaseID: 5, Seq: 1, At: at, Action: "report", To: cases.StateReported, User: "h", Role: data.RoleOperator},
			{CaseID: 9, Seq: 1, At: at, Action: "report", To: cases.StateReported, User: "i", Role: data.RoleInspector},
			{CaseID: 9, Seq: 2, At: at.Add(time.Hour), Action: "dispatch", From: cases.StateRegistered, To: cases.StateDispatched, User: "d", Role: data.RoleDispatcher, Unit: "U1", StepDueAt: &due},
		},
		Attachments: []cases.Attachment{{ID: 3, CaseID: 9, Name: "r9.jpg", Type: "image/jpeg", Size: 12, SHA256: "ab", Stage: cases.StateReported, User: "i", Uploaded: at}},
		Configs: []cases.ConfigDoc{
			{Name: "deadlines", Version: 1, Body: []byte(`{"v":1}`), User: "admin", At: at},
			{Name: "deadlines", Version: 2, Body: []byte(`{"v":2}`), User: "admin", At: at.Add(time.Minute)},
			{Name: "settings", Version: 1, Body: []byte(`{}`), User: "admin", At: at},
		},
	}
	want, _ := json.Marshal(h)
	if err := imp.ImportHistory(ctx, h, cases.RestoreHistory); err != nil {
		t.Fatal(err)
	}
	got, err := cases.ExportHistory(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if j, _ := json.Marshal(got); string(j) != string(want) {
		t.Fatalf("exported after the restore:\n%s\nwant\n%s", j, want)
	}
	for i, d := range got.Configs {
		if string(d.Body) != string(h.Configs[i].Body) {
			t.Fatalf("configuration %s %d restored as %s", d.Name, d.Version, d.Body)
		}
	}
	c := &cases.Case{Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Point: orb.Point{118, 32}}
	if err := s.Create(ctx, c, &cases.Transition{Action: "report", To: c.State}); err != nil || c.ID != 10 {
		t.Fatalf("next case id %d (want 10), %v", c.ID, err)
	}
	a := &cases.Attachment{CaseID: 9, Name: "r9b.jpg", Type: "image/jpeg", Stage: cases.StateDispatched, Uploaded: at}
	if err := s.AddAttachment(ctx, a); err != nil || a.ID != 4 {
		t.Fatalf("next attachment id %d (want 4), %v", a.ID, err)
	}
	if d, err := s.PutConfig(ctx, "deadlines", []byte(`{"v":3}`), "admin", 2); err != nil || d.Version != 3 {
		t.Fatalf("next deadlines version %d (want 3), %v", d.Version, err)
	}
	if err := imp.ImportHistory(ctx, &cases.History{Cases: h.Cases[:1]}, cases.RestoreHistory); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("restored into a store that holds cases: %v", err)
	}
}
