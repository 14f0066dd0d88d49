package tiles_test

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/tiles"
)

// etags fetches every tile of the city at every zoom, as a CDN in front
// of the server would hold them, and returns their ETags (content hashes).
func etags(t *testing.T, c liveCity, p *tiles.Provider) map[tiles.TileAddress]string {
	t.Helper()
	out := map[tiles.TileAddress]string{}
	for z := c.ts.MinZoom(); z <= c.ts.MaxZoom(); z++ {
		for _, a := range c.ts.CoveringTiles(z) {
			tl, err := p.Tile(context.Background(), a.Z, a.X, a.Y)
			if err != nil {
				t.Fatal(err)
			}
			out[a] = tl.Hash
		}
	}
	return out
}

// differing lists the tiles whose ETag differs between two fetches.
func differing(before, after map[tiles.TileAddress]string) []tiles.TileAddress {
	var out []tiles.TileAddress
	for a, h := range after {
		if before[a] != h {
			out = append(out, a)
		}
	}
	for a := range before {
		if _, ok := after[a]; !ok {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, byZXY)
	return out
}

func byZXY(a, b tiles.TileAddress) int {
	return cmp.Or(cmp.Compare(a.Z, b.Z), cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y))
}

// component is a copy of the k-th component as the index holds it now.
func component(t *testing.T, c liveCity, k int) data.Component {
	t.Helper()
	cur, ok := c.ix.Component(c.ds.Components[k].Code)
	if !ok {
		t.Fatalf("component %d gone", k)
	}
	return *cur
}

func update(before, after data.Component) data.Change {
	return data.Change{Layer: "components", Op: data.OpUpdate, Code: before.Code, Version: after.Version,
		BeforeComponent: &before, AfterComponent: &after}
}

// TestTheChangeFeedListsExactlyTheTilesWhoseETagChanged fetches every
// tile, applies a batch of edits (a move, a status change, an insert, a
// delete, and an owner change that no tile draws), fetches every tile
// again, and compares the tiles whose ETag changed with what the feed
// lists; then a second batch, waited for by a long poll.
func TestTheChangeFeedListsExactlyTheTilesWhoseETagChanged(t *testing.T) {
	c := newLiveCity(t)
	p, _ := tiles.NewProvider(c.ts, nil, 0)
	ctx := context.Background()
	start := p.ChangesSeq()
	before := etags(t, c, p)

	n := len(c.ds.Components)
	moved := component(t, c, n/5)
	to := moved
	to.Geometry = c.inside(t, len(c.ds.UnitGrids)/3)
	to.Version++
	status := component(t, c, 2*n/5)
	st := status
	st.Status = data.StatusDamaged
	if status.Status == data.StatusDamaged {
		st.Status = data.StatusLost
	}
	st.Version++
	owner := component(t, c, 3*n/5)
	ow := owner
	ow.Owner = "另一权属单位"
	ow.Version++
	gone := component(t, c, 4*n/5)
	cat := c.pointCategory(t)
	fresh := data.Component{Code: "320114FEED000001", Category: cat.Code, Name: "新增" + cat.Name,
		Geometry: c.inside(t, 2*len(c.ds.UnitGrids)/3), Status: data.StatusIntact, Department: cat.Department, Version: 1}
	batch := []data.Change{
		update(moved, to), update(status, st), update(owner, ow),
		{Layer: "components", Op: data.OpDelete, Code: gone.Code, Version: gone.Version, BeforeComponent: &gone},
		{Layer: "components", Op: data.OpInsert, Code: fresh.Code, Version: 1, AfterComponent: &fresh},
	}
	touched, err := p.Apply(batch, c.ix.Apply)
	if err != nil {
		t.Fatal(err)
	}
	listed, next, err := p.Changes(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	after := etags(t, c, p)
	want := differing(before, after)
	if len(want) == 0 || !slices.Equal(listed, want) {
		t.Fatalf("feed lists %d tiles, %d changed their ETag\nlisted %v\nchanged %v", len(listed), len(want), listed, want)
	}
	if len(touched) <= len(listed) {
		t.Fatalf("%d tiles touched, %d listed: the owner change should have touched tiles it does not change", len(touched), len(listed))
	}
	t.Logf("first batch: %d tiles touched, %d changed ETag, %d listed, of %d tiles", len(touched), len(want), len(listed), len(after))
	if again, n2, err := p.Changes(ctx, next); err != nil || len(again) != 0 || n2 != next {
		t.Fatalf("asked again from %d: %v, %d, %v; want nothing", next, again, n2, err)
	}

	// A long poll waits for the second batch.
	woke := make(chan error, 1)
	go func() {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		woke <- p.WaitChanges(wctx, next)
	}()
	select {
	case err := <-woke:
		t.Fatalf("the long poll returned before any edit: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	back := to
	back.Geometry = c.inside(t, len(c.ds.UnitGrids)/7)
	back.Version++
	if _, err := p.Apply([]data.Change{update(to, back)}, c.ix.Apply); err != nil {
		t.Fatal(err)
	}
	if err := <-woke; err != nil {
		t.Fatalf("long poll: %v", err)
	}
	listed2, next2, err := p.Changes(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	after2 := etags(t, c, p)
	if want2 := differing(after, after2); len(want2) == 0 || !slices.Equal(listed2, want2) {
		t.Fatalf("second batch: feed lists %v, ETags changed %v", listed2, want2)
	}
	// From the start: the tiles of both batches. A tile the second batch
	// brought back to its first bytes is listed too: between the batches
	// it was answered with other bytes, which a cache may hold.
	union := slices.Concat(want, differing(after, after2))
	slices.SortFunc(union, byZXY)
	union = slices.Compact(union)
	all, _, err := p.Changes(ctx, start)
	if err != nil || !slices.Equal(all, union) {
		t.Fatalf("since the start: %v, %v; want %v", all, err, union)
	}
	t.Logf("since the start: %d tiles listed, %d differ from the first fetch", len(all), len(differing(before, after2)))
	for _, since := range []int64{start - 1, next2 + 1} {
		if _, seq, err := p.Changes(ctx, since); !errors.Is(err, tiles.ErrFeedReset) || seq != next2 {
			t.Errorf("since %d: %v at %d, want a reset at %d", since, err, seq, next2)
		}
	}
	// Another provider (a restart, a reload) numbers above this one, so
	// this one's clients are told to reset.
	p2, _ := tiles.NewProvider(c.ts, nil, 0)
	if _, _, err := p2.Changes(ctx, next2); !errors.Is(err, tiles.ErrFeedReset) || p2.ChangesSeq() <= next2 {
		t.Errorf("a new provider answered since=%d with %v (its seq %d)", next2, err, p2.ChangesSeq())
	}
}
