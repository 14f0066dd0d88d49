package city

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
)

// TestALoadedArrangementRefreshesDeadlinesAndOutlivesARestart: a case
// dispatched on Thu 2027-02-04 has a provisional deadline (2027 has no
// arrangement); loading the 2027 notice recomputes it, stores the
// calendar, and a workflow opened afresh on the same store has 2027.
func TestALoadedArrangementRefreshesDeadlinesAndOutlivesARestart(t *testing.T) {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := openTestCity(t, Config{Logger: logger})
	svc := c.Workflow.Service
	cst := time.FixedZone("CST", 8*3600)
	svc.Now = func() time.Time { return time.Date(2027, 2, 4, 16, 0, 0, 0, cst) }
	lon, lat := 118.775, 31.995
	cs, err := svc.Report(ctx, data.Principal{User: "i", Role: data.RoleInspector}, cases.NewCase{Kind: data.KindEvent, Category: "0101", Lon: &lon, Lat: &lat})
	if err != nil {
		t.Fatal(err)
	}
	cs, _, err = svc.Act(ctx, data.Principal{User: "boss", Role: data.RoleSupervisor}, cs.ID, cases.ActionRequest{Action: cases.ActRegister})
	if err != nil || cs.State != cases.StateDispatched || !cs.DueProvisional {
		t.Fatalf("dispatched: %v, state %s, provisional %v", err, cs.State, cs.DueProvisional)
	}
	doc, err := os.Open("../workflow/testdata/arrangement-2027.json")
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	a, err := cases.ReadArrangement(doc)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Workflow.LoadArrangement(ctx, *a, "root")
	if err != nil || res.Year != 2027 || res.Version != 1 || res.Refreshed != 1 {
		t.Fatalf("loaded %+v: %v", res, err)
	}
	got, _ := svc.Store.Get(ctx, cs.ID)
	if got.DueProvisional {
		t.Fatalf("still provisional: due %s", got.DueAt)
	}
	again := newWorkflow(ctx, c.Workflow.Store, c.Index, nil, nil, nil, logger)
	if src, ok := again.Service.Calendar().Arranged(2027); !ok || src != cases.ArrangementLoaded {
		t.Fatalf("after a restart 2027 is %q %v", src, ok)
	}
}
