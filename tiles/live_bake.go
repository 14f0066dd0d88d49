package tiles

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"citygrid/data"
	"citygrid/tiles/mbtiles"
)

// Apply replays committed changes: applyData (the spatial index's Apply)
// and the tileset's own state change while no tile is drawn; then, before
// any tile is drawn again, the touched tiles leave the cache and the baked
// ones among them are marked dirty — drawn on the fly until the background
// rewriter has stored them in the MBTiles file anew; the change feed
// records them under a new sequence number (see Changes). A request that
// starts after Apply returns gets the new content (read-your-writes);
// tiles the change does not touch keep their cache entries and bytes.
func (p *Provider) Apply(changes []data.Change, applyData func([]data.Change) error) ([]TileAddress, error) {
	t := p.ts
	t.mu.Lock()
	touched, err := t.applyLocked(changes, applyData)
	if err != nil {
		t.mu.Unlock()
		return nil, err
	}
	p.gen.Add(1)
	if p.cache != nil {
		p.cache.drop(touched)
	}
	p.feed.record(touched)
	baked := 0
	if p.baked != nil {
		p.dirtyMu.Lock()
		p.seq++
		now := time.Now()
		for _, a := range touched {
			if a.Z >= p.bakedMin && a.Z <= p.bakedM {
				d, ok := p.dirty[a]
				if !ok {
					d.first = now
				}
				d.seq, d.last = p.seq, now
				p.dirty[a] = d
				baked++
			}
		}
		p.dirtyMu.Unlock()
		p.lastEdit.Store(time.Now().UnixNano())
	}
	t.mu.Unlock()
	if baked > 0 {
		p.wakeRewriter()
	}
	return touched, nil
}

func (p *Provider) isDirty(a TileAddress) bool {
	p.dirtyMu.RLock()
	_, d := p.dirty[a]
	p.dirtyMu.RUnlock()
	return d
}

// Dirty is the number of baked tiles waiting to be rewritten.
func (p *Provider) Dirty() int {
	p.dirtyMu.RLock()
	defer p.dirtyMu.RUnlock()
	return len(p.dirty)
}

// RewriteStats report the background rewriting of baked tiles.
type RewriteStats struct {
	Rounds  int64  // batches written
	Written int64  // tiles stored or deleted
	Err     string // the last error, if any
}

// RewriteStats reports the rewriter's work so far.
func (p *Provider) RewriteStats() RewriteStats {
	rw := p.rw.Load()
	if rw == nil {
		var st RewriteStats
		if e := p.rwErr.Load(); e != nil {
			st.Err = "cannot open the baked file for rewriting (touched tiles stay generated on the fly): " + *e
		}
		return st
	}
	st := RewriteStats{Rounds: rw.rounds.Load(), Written: rw.written.Load()}
	if e := rw.lastErr.Load(); e != nil {
		st.Err = *e
	}
	return st
}

// WaitRewritten blocks until no baked tile is dirty (or ctx ends).
func (p *Provider) WaitRewritten(ctx context.Context) error {
	for p.Dirty() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("baked tiles: %d still to rewrite: %w", p.Dirty(), ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}

// Close stops the rewriter (tiles still dirty stay so: the file's data
// version says it is being rewritten, so no server trusts it until the next
// bake or a rewriter finishes).
func (p *Provider) Close() {
	p.rwOnce.Do(func() {})
	if rw := p.rw.Load(); rw != nil {
		close(rw.stop)
		<-rw.done
		rw.up.Close()
	}
}

// rewriter stores dirty tiles into the baked file in the background, in
// batches: first the tiles (one transaction, the file's data_version set to
// "rewriting" in the same transaction), then, once nothing is dirty, the
// data version the file now holds. A server restarted meanwhile trusts the
// file only when its data_version equals the data's, so it never serves a
// tile the rewriter had not caught up with.
type rewriter struct {
	p       *Provider
	up      *mbtiles.Updater
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	rounds  atomic.Int64
	written atomic.Int64
	lastErr atomic.Pointer[string]
}

// rewriteBatch is how many tiles one transaction stores.
const rewriteBatch = 256

// A dirty tile is rewritten once no edit has touched it for rewriteQuiet,
// or at the latest rewriteMaxAge after the first edit that dirtied it.
// Under a stream of edits the low-zoom tiles, which every edit touches,
// would otherwise be drawn again and again for nothing; clients get them
// drawn on the fly meanwhile, so this only bounds how far the file lags.
const (
	rewriteQuiet  = 300 * time.Millisecond
	rewriteMaxAge = 10 * time.Second
)

// While edits keep coming (the last within rewriteQuiet), the rewriter
// spends at most rewriteShare of its time drawing and writing: under a
// sustained stream of edits it would otherwise redraw every touched tile
// each rewriteMaxAge and take about a core from the edits and the readers
// (measured: 23 % of all CPU at 500 edits/s, the largest item after the
// readers' own tiles). Tiles waiting longer stay dirty, so they are drawn
// on the fly, never served stale; once edits pause it catches up at full
// speed.
const rewriteShare = 0.25

// dirtyTile records the edits that touched a baked tile since it was last
// written: the latest one's sequence number and time, and the first one's
// time.
type dirtyTile struct {
	seq         uint64
	first, last time.Time
}

// RewritingVersion is the data_version of a baked file while tiles are
// being rewritten in place.
const RewritingVersion = "rewriting"

func (p *Provider) wakeRewriter() {
	p.rwOnce.Do(func() {
		up, err := mbtiles.OpenUpdater(context.Background(), p.baked.Path())
		if err != nil {
			msg := err.Error()
			p.rwErr.Store(&msg)
			return
		}
		rw := &rewriter{p: p, up: up, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
		p.rw.Store(rw)
		go rw.run()
	})
	if rw := p.rw.Load(); rw != nil {
		select {
		case rw.wake <- struct{}{}:
		default:
		}
	}
}

func (rw *rewriter) run() {
	defer close(rw.done)
	for {
		select {
		case <-rw.stop:
			return
		case <-rw.wake:
		}
		for {
			select {
			case <-rw.stop:
				return
			default:
			}
			more, wait, err := rw.round()
			if err != nil {
				msg := err.Error()
				rw.lastErr.Store(&msg)
				time.Sleep(100 * time.Millisecond) // and try again
				continue
			}
			if !more {
				break
			}
			if wait > 0 {
				select {
				case <-rw.stop:
					return
				case <-time.After(wait):
				}
			}
		}
	}
}

// round rewrites one batch of dirty tiles that are due; more reports
// whether dirty tiles remain, wait how long to wait before the next round
// when none was due.
func (rw *rewriter) round() (more bool, wait time.Duration, err error) {
	p := rw.p
	type job struct {
		a   TileAddress
		seq uint64
	}
	var jobs []job
	now := time.Now()
	wait = rewriteQuiet
	p.dirtyMu.RLock()
	n := len(p.dirty)
	for a, d := range p.dirty {
		due := d.last.Add(rewriteQuiet)
		if cap := d.first.Add(rewriteMaxAge); cap.Before(due) {
			due = cap
		}
		if due.After(now) {
			wait = min(wait, due.Sub(now))
			continue
		}
		jobs = append(jobs, job{a, d.seq})
		if len(jobs) == rewriteBatch {
			break
		}
	}
	p.dirtyMu.RUnlock()
	if n == 0 {
		return false, 0, nil
	}
	if len(jobs) == 0 {
		return true, wait, nil
	}
	ctx := context.Background()
	began := time.Now()
	out := make([]mbtiles.TileData, len(jobs))
	for i, j := range jobs {
		// A cached tile was drawn after the last edit that touched it
		// (edits drop the tiles they touch; tiles drawn across an edit
		// are not cached): take it. Else draw it, after the edit of
		// sequence j.seq, so at least that new; a later edit re-dirties
		// the tile with a higher seq.
		var b []byte
		if t, ok := p.cachedTile(j.a); ok {
			b = t.Data
		} else if b, err = p.ts.Tile(ctx, j.a.Z, j.a.X, j.a.Y); err != nil {
			return true, 0, err
		}
		out[i] = mbtiles.TileData{Z: j.a.Z, X: j.a.X, Y: j.a.Y, Data: b}
	}
	if err := rw.up.Write(ctx, out, map[string]string{"data_version": RewritingVersion}); err != nil {
		return true, 0, err
	}
	rw.rounds.Add(1)
	rw.written.Add(int64(len(out)))
	// Stored: the tiles not dirtied again meanwhile may be read from the
	// file. With the tileset held still, an empty dirty set means the file
	// holds exactly the current version.
	p.ts.mu.RLock()
	p.dirtyMu.Lock()
	for _, j := range jobs {
		if p.dirty[j.a].seq == j.seq {
			delete(p.dirty, j.a)
		}
	}
	left := len(p.dirty)
	p.dirtyMu.Unlock()
	version := p.ts.Version()
	p.ts.mu.RUnlock()
	if left > 0 {
		return true, rw.pause(time.Since(began), now), nil
	}
	if err := rw.up.Write(ctx, nil, map[string]string{"data_version": version}); err != nil {
		return false, 0, err
	}
	// Caught up: fold the log into the file (best effort).
	_ = rw.up.Checkpoint(ctx)
	return false, 0, nil
}

// pause is how long to rest after a round that took spent, begun at now:
// while edits keep coming, long enough that rounds take rewriteShare of
// the time; else nothing.
func (rw *rewriter) pause(spent time.Duration, now time.Time) time.Duration {
	last := rw.p.lastEdit.Load()
	if last == 0 || now.Sub(time.Unix(0, last)) > rewriteQuiet {
		return 0
	}
	return time.Duration(float64(spent) * (1 - rewriteShare) / rewriteShare)
}

// cachedTile is the tile in the memory cache, if any.
func (p *Provider) cachedTile(a TileAddress) (Tile, bool) {
	if p.cache == nil {
		return Tile{}, false
	}
	return p.cache.get(a)
}

// rewriterState is the Provider's part of the rewriter.
type rewriterState struct {
	rwOnce sync.Once
	rwErr  atomic.Pointer[string]
	seq    uint64
	// lastEdit is when Apply last dirtied baked tiles (Unix nanoseconds).
	lastEdit atomic.Int64
}
