package tiles

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ErrFeedReset answers Changes for a sequence number the feed no longer
// covers: older than its memory, or from another run of the server (or
// another load of the data). The client must treat every tile as changed
// and continue from the sequence number returned with the error.
var ErrFeedReset = errors.New("tile change feed: sequence number not covered, refetch every tile")

// feedCapacity is how many (batch, tile) records the feed keeps: about
// 24 bytes each, 6 MiB. An edit touches a few dozen tiles across zooms,
// so this covers thousands of edits.
const feedCapacity = 1 << 18

// ledgerCapacity bounds the tile hashes the feed remembers (about 100
// bytes each, 25 MiB); past it, hashes of tiles not awaiting confirmation
// are forgotten, and those tiles are listed when next touched whether or
// not their bytes changed. A district of 130 km² has about 2,300 tiles
// from z0 to z17, so a city rarely comes near.
const ledgerCapacity = 1 << 18

// changeFeed lists the tiles whose bytes edits changed. Each batch of
// edits (Provider.Apply) gets a sequence number and records the tiles it
// touched; touched is a cover (a tile touched may keep its bytes), so when
// a client asks, the feed draws each touched tile and compares its hash
// with the tile's hash before the edits — the last hash the provider
// answered or the feed confirmed — and keeps only the tiles whose bytes
// differ. A tile served with new bytes while awaiting confirmation counts
// as changed even if later edits bring the old bytes back, since clients
// may hold the bytes served in between.
//
// Confirmation happens when some client asks, so a client asking since
// its previous answer gets exactly the tiles whose bytes differ from then.
// One asking from further back, across answers given to other clients,
// gets every tile confirmed changed at any of them: also a tile that has
// since gone back to the bytes it had, which it may hold stale.
type changeFeed struct {
	mu       sync.Mutex
	capacity int // records kept: feedCapacity
	ring     []feedEntry
	head     int   // index of the oldest record
	seq      int64 // last batch's sequence number
	floor    int64 // lowest since the feed can answer
	checked  int64 // batches up to here are confirmed
	wake     chan struct{}
	ledger   map[TileAddress]*tileLedger
	// pending holds, for each tile awaiting confirmation, the last batch
	// that touched it.
	pending map[TileAddress]int64

	confirm sync.Mutex // one confirmation at a time
}

type feedEntry struct {
	seq       int64
	a         TileAddress
	unchanged bool // confirmed: the batch left the tile's bytes alone
}

// tileLedger is what the feed knows of a tile's bytes.
type tileLedger struct {
	hash     string
	diverged bool // served with other bytes while awaiting confirmation
}

// newChangeFeed starts sequence numbers at the current time in
// microseconds, so a restarted server's numbers lie above every number an
// earlier run gave out, and its clients are told to reset.
func newChangeFeed() *changeFeed {
	start := time.Now().UnixMicro()
	return &changeFeed{
		capacity: feedCapacity, ring: make([]feedEntry, 0, 1024), seq: start, floor: start, checked: start,
		wake: make(chan struct{}), ledger: map[TileAddress]*tileLedger{}, pending: map[TileAddress]int64{},
	}
}

// record adds a batch of touched tiles under a new sequence number.
func (f *changeFeed) record(touched []TileAddress) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	for _, a := range touched {
		f.pending[a] = f.seq
		if len(f.ring) < f.capacity {
			f.ring = append(f.ring, feedEntry{seq: f.seq, a: a})
			continue
		}
		// Full: the oldest record goes, and its batch can no longer be
		// listed whole.
		f.floor = max(f.floor, f.ring[f.head].seq)
		f.ring[f.head] = feedEntry{seq: f.seq, a: a}
		f.head = (f.head + 1) % len(f.ring)
	}
	close(f.wake)
	f.wake = make(chan struct{})
}

// served notes the hash of a tile the provider loaded under edit
// generation drawn; it is ignored when an edit came in since (gen moved).
func (f *changeFeed) served(a TileAddress, hash string, gen *atomic.Uint64, drawn uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if gen.Load() != drawn {
		return
	}
	l := f.ledger[a]
	if _, waiting := f.pending[a]; waiting {
		if l != nil && l.hash != hash {
			l.diverged = true
		}
		return
	}
	if l == nil {
		if len(f.ledger) >= ledgerCapacity {
			f.forget()
		}
		l = &tileLedger{}
		f.ledger[a] = l
	}
	l.hash = hash
}

// forget drops a quarter of the ledger's tiles that await nothing.
func (f *changeFeed) forget() {
	n := len(f.ledger) / 4
	for a := range f.ledger {
		if _, waiting := f.pending[a]; !waiting {
			delete(f.ledger, a)
			if n--; n == 0 {
				return
			}
		}
	}
}

// each calls fn for every record, oldest first.
func (f *changeFeed) each(fn func(e *feedEntry)) {
	for i := range f.ring {
		fn(&f.ring[(f.head+i)%len(f.ring)])
	}
}

// Changes lists the tiles whose bytes changed after the batch numbered
// since, sorted by zoom, x and y, and the sequence number to ask from next
// time. A since the feed does not cover answers ErrFeedReset with the
// current sequence number. Tiles touched since the last call are drawn
// (and cached) to confirm their change.
func (p *Provider) Changes(ctx context.Context, since int64) ([]TileAddress, int64, error) {
	return p.feed.changes(since, func(a TileAddress) (string, error) {
		t, err := p.Tile(ctx, a.Z, a.X, a.Y)
		return t.Hash, err
	})
}

// changes is Changes with draw answering a tile's current hash.
func (f *changeFeed) changes(since int64, draw func(TileAddress) (string, error)) ([]TileAddress, int64, error) {
	f.mu.Lock()
	covered := since >= f.floor && since <= f.seq
	seq := f.seq
	f.mu.Unlock()
	if !covered {
		return nil, seq, ErrFeedReset
	}
	next, err := f.confirmWith(draw)
	if err != nil {
		return nil, 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if since < f.floor {
		return nil, f.seq, ErrFeedReset
	}
	seen := map[TileAddress]bool{}
	var out []TileAddress
	f.each(func(e *feedEntry) {
		if e.seq > since && e.seq <= next && !e.unchanged && !seen[e.a] {
			seen[e.a] = true
			out = append(out, e.a)
		}
	})
	slices.SortFunc(out, func(a, b TileAddress) int {
		return cmp.Or(cmp.Compare(a.Z, b.Z), cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y))
	})
	return out, next, nil
}

// confirmWith draws every tile awaiting confirmation and marks the
// records of the batches that left its bytes alone; it returns the
// sequence number confirmed up to.
func (f *changeFeed) confirmWith(draw func(TileAddress) (string, error)) (int64, error) {
	f.confirm.Lock()
	defer f.confirm.Unlock()
	f.mu.Lock()
	upTo := f.seq
	var todo []TileAddress
	for a, s := range f.pending {
		if s <= upTo {
			todo = append(todo, a)
		}
	}
	f.mu.Unlock()
	hashes := make([]string, len(todo))
	for i, a := range todo {
		h, err := draw(a)
		if err != nil {
			return 0, err
		}
		hashes[i] = h
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	changed := make(map[TileAddress]bool, len(todo))
	for i, a := range todo {
		l := f.ledger[a]
		if l == nil {
			// Never seen: no client can hold it, but neither can the
			// feed tell, so it is listed.
			l = &tileLedger{hash: "\x00unknown"}
			f.ledger[a] = l
		}
		changed[a] = l.diverged || l.hash != hashes[i]
		l.hash, l.diverged = hashes[i], false
		if f.pending[a] <= upTo {
			delete(f.pending, a)
		}
	}
	f.each(func(e *feedEntry) {
		if e.seq > f.checked && e.seq <= upTo && !changed[e.a] {
			e.unchanged = true
		}
	})
	f.checked = upTo
	return upTo, nil
}

// ChangesSeq is the feed's current sequence number: a client starting
// from the tiles as they are now asks for changes since it.
func (p *Provider) ChangesSeq() int64 {
	p.feed.mu.Lock()
	defer p.feed.mu.Unlock()
	return p.feed.seq
}

// WaitChanges blocks until a batch of edits comes after since, or ctx
// ends (then it returns ctx's error), for long-polling clients. A batch
// may turn out to change no tile's bytes.
func (p *Provider) WaitChanges(ctx context.Context, since int64) error {
	f := p.feed
	f.mu.Lock()
	if f.seq > since || since < f.floor {
		f.mu.Unlock()
		return nil
	}
	wake := f.wake
	f.mu.Unlock()
	select {
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
