package casestest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
)

// testReplays: a key is taken once per user; the answer stored is what a
// second replica reads back; an abandoned key can be taken again; pruning
// drops only old answers.
func testReplays(t *testing.T, open Opener) {
	ctx := context.Background()
	a, b := open(t)
	ra, rb := a.(data.ReplayStore), b.(data.ReplayStore)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := data.Replay{User: "jdy01", Key: "k-1", Request: "h1", At: at}
	if _, fresh, err := ra.BeginReplay(ctx, r); err != nil || !fresh {
		t.Fatalf("first begin: fresh %v, %v", fresh, err)
	}
	got, fresh, err := rb.BeginReplay(ctx, data.Replay{User: "jdy01", Key: "k-1", Request: "h1", At: at.Add(time.Second)})
	if err != nil || fresh || got.Status != 0 || got.Request != "h1" || !got.At.Equal(at) {
		t.Fatalf("begin while in progress: %+v fresh %v, %v", got, fresh, err)
	}
	// Another user's key of the same text is another write.
	if _, fresh, _ := rb.BeginReplay(ctx, data.Replay{User: "jdy02", Key: "k-1", Request: "h9", At: at}); !fresh {
		t.Fatal("keys are not per user")
	}
	body := []byte(`{"id":7}`)
	if err := ra.FinishReplay(ctx, data.Replay{User: "jdy01", Key: "k-1", Status: 201, ContentType: "application/json", Location: "/api/v1/cases/7", ETag: `"1"`, Body: body}); err != nil {
		t.Fatal(err)
	}
	if err := ra.FinishReplay(ctx, data.Replay{User: "jdy01", Key: "k-1", Status: 500}); err == nil {
		t.Fatal("an answer was stored twice")
	}
	got, fresh, err = rb.BeginReplay(ctx, data.Replay{User: "jdy01", Key: "k-1", Request: "h1", At: at.Add(time.Hour)})
	if err != nil || fresh || got.Status != 201 || !bytes.Equal(got.Body, body) || got.Location != "/api/v1/cases/7" || got.ContentType != "application/json" || got.ETag != `"1"` {
		t.Fatalf("replayed %+v fresh %v, %v", got, fresh, err)
	}
	if err := ra.AbandonReplay(ctx, "jdy02", "k-1"); err != nil {
		t.Fatal(err)
	}
	if _, fresh, _ := ra.BeginReplay(ctx, data.Replay{User: "jdy02", Key: "k-1", Request: "h2", At: at.Add(72 * time.Hour)}); !fresh {
		t.Fatal("an abandoned key stayed taken")
	}
	n, err := rb.PruneReplays(ctx, at.Add(48*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if _, fresh, _ := ra.BeginReplay(ctx, data.Replay{User: "jdy01", Key: "k-1", Request: "h3", At: at.Add(72 * time.Hour)}); !fresh {
		t.Fatal("a pruned key stayed taken")
	}
}

// testPositions: duty and positions as another replica reads them, the
// newest position per inspector, a day's track, a batch sent twice, and
// pruning.
func testPositions(t *testing.T, open Opener) {
	ctx := context.Background()
	a, b := open(t)
	fa, fb := a.(cases.FieldStore), b.(cases.FieldStore)
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	if err := fa.SetDuty(ctx, "jdy01", true, day.Add(8*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := fa.SetDuty(ctx, "jdy02", true, day.Add(8*time.Hour)); err != nil {
		t.Fatal(err)
	}
	batch := []cases.Position{
		{User: "jdy01", At: day.Add(8*time.Hour + 30*time.Second), Lon: 118.78, Lat: 32.04, Accuracy: 12},
		{User: "jdy01", At: day.Add(8*time.Hour + 60*time.Second), Lon: 118.781, Lat: 32.041, Accuracy: 8},
		{User: "jdy01", At: day.Add(-time.Hour), Lon: 118.70, Lat: 32.00},
	}
	if n, err := fa.AddPositions(ctx, batch); err != nil || n != 3 {
		t.Fatalf("added %d, %v", n, err)
	}
	if n, err := fb.AddPositions(ctx, batch); err != nil || n != 0 {
		t.Fatalf("a batch sent twice added %d, %v", n, err)
	}
	if err := fb.SetDuty(ctx, "jdy02", false, day.Add(17*time.Hour)); err != nil {
		t.Fatal(err)
	}
	last, err := fb.LastPositions(ctx, day)
	if err != nil || len(last) != 2 {
		t.Fatalf("last %+v, %v", last, err)
	}
	if l := last[0]; l.User != "jdy01" || !l.On || l.Position == nil || l.Position.Lon != 118.781 || l.Position.Accuracy != 8 || !l.Position.At.Equal(day.Add(8*time.Hour+time.Minute)) {
		t.Fatalf("jdy01 last %+v %+v", l, l.Position)
	}
	if l := last[1]; l.User != "jdy02" || l.On || l.Position != nil || !l.Since.Equal(day.Add(17*time.Hour)) {
		t.Fatalf("jdy02 last %+v", l)
	}
	tr, err := fb.Track(ctx, "jdy01", day, day.Add(24*time.Hour))
	if err != nil || len(tr) != 2 || tr[0].Lon != 118.78 || tr[1].Lat != 32.041 {
		t.Fatalf("track %+v, %v", tr, err)
	}
	if n, err := fa.PrunePositions(ctx, day); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if tr, _ := fb.Track(ctx, "jdy01", day.Add(-24*time.Hour), day.Add(24*time.Hour)); len(tr) != 2 {
		t.Fatalf("after pruning %d positions", len(tr))
	}
}
