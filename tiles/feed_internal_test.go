package tiles

import (
	"errors"
	"slices"
	"sync/atomic"
	"testing"
)

// hashes is a fake tileset: the current hash of each tile.
type hashes map[TileAddress]string

func (h hashes) draw(a TileAddress) (string, error) { return h[a], nil }

func TestTheFeedForgetsOldBatchesAndAsksForAReset(t *testing.T) {
	f := newChangeFeed()
	f.capacity = 4
	s0 := f.seq
	a, b, c, d, e := TileAddress{1, 0, 0}, TileAddress{1, 1, 0}, TileAddress{1, 0, 1}, TileAddress{2, 0, 0}, TileAddress{2, 1, 0}
	now := hashes{a: "a1", b: "b1", c: "c1", d: "d1", e: "e1"}
	f.record([]TileAddress{a, b, c})
	f.record([]TileAddress{d, e})
	if _, next, err := f.changes(s0, now.draw); !errors.Is(err, ErrFeedReset) || next != s0+2 {
		t.Fatalf("since the first batch's predecessor after it was cut: next %d, %v; want a reset at %d", next, err, s0+2)
	}
	got, next, err := f.changes(s0+1, now.draw)
	if err != nil || next != s0+2 || !slices.Equal(got, []TileAddress{d, e}) {
		t.Fatalf("since the first batch: %v, %d, %v; want [d e] at %d", got, next, err, s0+2)
	}
	if _, _, err := f.changes(s0+3, now.draw); !errors.Is(err, ErrFeedReset) {
		t.Fatalf("a sequence number from the future: %v, want a reset", err)
	}
}

func TestTheFeedListsOnlyTilesWhoseBytesChanged(t *testing.T) {
	f := newChangeFeed()
	var gen atomic.Uint64
	a, b, c := TileAddress{3, 0, 0}, TileAddress{3, 1, 0}, TileAddress{3, 2, 0}
	now := hashes{a: "a1", b: "b1", c: "c1"}
	for tile, h := range now {
		f.served(tile, h, &gen, 0)
	}
	s0 := f.seq
	// The batch touches all three; only b's bytes change.
	gen.Add(1)
	f.record([]TileAddress{a, b, c})
	now[b] = "b2"
	// A load drawn before the edit and noted after it is ignored.
	f.served(c, "c0", &gen, 0)
	got, s1, err := f.changes(s0, now.draw)
	if err != nil || !slices.Equal(got, []TileAddress{b}) {
		t.Fatalf("changes: %v, %v; want [b]", got, err)
	}
	// Next: a changes and is served, then changes back before anyone
	// asks. Clients may hold the bytes served in between: listed.
	gen.Add(1)
	f.record([]TileAddress{a})
	f.served(a, "a2", &gen, gen.Load())
	gen.Add(1)
	f.record([]TileAddress{a, c})
	got, s2, err := f.changes(s1, now.draw)
	if err != nil || !slices.Equal(got, []TileAddress{a}) || s2 != s1+2 {
		t.Fatalf("changes: %v, %d, %v; want [a] at %d", got, s2, err, s1+2)
	}
	// Asked from the start, both b and a.
	if got, _, _ := f.changes(s0, now.draw); !slices.Equal(got, []TileAddress{a, b}) {
		t.Fatalf("changes since the start: %v, want [a b]", got)
	}
	// Nothing since the last answer.
	if got, _, _ := f.changes(s2, now.draw); len(got) != 0 {
		t.Fatalf("changes since the last answer: %v, want none", got)
	}
}
