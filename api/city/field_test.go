package city

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
)

// The city prunes positions older than its retention and idempotent
// answers older than two days, at start and then on its own goroutine,
// and keeps the rest.
func TestOldPositionsAndAnswersArePruned(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := gpkg.Open(ctx, filepath.Join(dir, "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	c, err := Open(ctx, Config{Store: st, Dir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		PositionRetention: 2 * time.Hour, fieldPruneEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if c.PositionRetention() != 2*time.Hour {
		t.Fatalf("retention %v", c.PositionRetention())
	}
	f, rs := c.Field(), c.Replays()
	now := time.Now().UTC()
	if _, err := f.AddPositions(ctx, []cases.Position{
		{User: "jdy01", At: now.Add(-3 * time.Hour), Lon: 118.76, Lat: 31.99},
		{User: "jdy01", At: now.Add(-time.Hour), Lon: 118.77, Lat: 31.99},
	}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []data.Replay{{User: "jdy01", Key: "old", Request: "h", At: now.Add(-49 * time.Hour)}, {User: "jdy01", Key: "new", Request: "h", At: now.Add(-47 * time.Hour)}} {
		if _, _, err := rs.BeginReplay(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		tr, err := f.Track(ctx, "jdy01", now.Add(-24*time.Hour), now)
		if err != nil {
			t.Fatal(err)
		}
		_, oldGone, _ := rs.BeginReplay(ctx, data.Replay{User: "jdy01", Key: "old", Request: "h2", At: now})
		if len(tr) == 1 && oldGone {
			if tr[0].Lon != 118.77 {
				t.Fatalf("kept %+v, want the sample of an hour ago", tr[0])
			}
			break
		}
		if oldGone {
			rs.AbandonReplay(ctx, "jdy01", "old")
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: %d positions, old answer pruned %v", len(tr), oldGone)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, fresh, _ := rs.BeginReplay(ctx, data.Replay{User: "jdy01", Key: "new", Request: "h", At: now}); fresh {
		t.Fatal("an answer younger than two days was pruned")
	}
}
