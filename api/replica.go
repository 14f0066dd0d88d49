package api

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"citygrid/data"
)

// Replicas: several citygrid processes serve one city from one shared
// store (PostgreSQL). Each keeps its own in-memory index and tile cache;
// the follower below keeps them in step with the writes committed through
// the other replicas by reading the store's change log (data.ChangeLog)
// after the Seq the index reflects and replaying what it reads through the
// live updater — the same path a replica's own edits take, so lookups,
// tiles (touched ones only), the data version and the baked MBTiles
// follow a remote edit exactly as they follow a local one.
//
// The follower wakes on the store's notification (Config.ChangeNotify:
// LISTEN in PostgreSQL) and on a timer (Config.FollowEvery) as a safety
// net for a lost notification or a dropped listening connection.
//
// A replica's own edits are applied once: the live updater remembers, per
// feature, the Seq of the newest change it applied (appliedSeqs) and drops
// any change of that feature with a Seq not above it. That also keeps an
// older remote change read after a newer local one of the same feature
// from bringing the feature back to its older state.

// DefaultFollowEvery is how often a replica reads the change log when no
// notification woke it.
const DefaultFollowEvery = 2 * time.Second

// followBatch is how many changes one ChangesSince read asks for.
const followBatch = 1000

// appliedSeqs is the newest applied Seq of every feature a Seq'd change
// touched. It is used under the live updater's queue lock, so changes are
// filtered in the order they are applied.
type appliedSeqs struct {
	m map[appliedKey]int64
}

type appliedKey struct{ layer, code string }

func newAppliedSeqs() *appliedSeqs { return &appliedSeqs{m: map[appliedKey]int64{}} }

// filter returns the changes not applied yet (those without a Seq are
// always kept) and records the kept ones. It may return changes itself.
func (a *appliedSeqs) filter(changes []data.Change) []data.Change {
	if a == nil {
		return changes
	}
	drop := 0
	for i := range changes {
		ch := &changes[i]
		if ch.Seq == 0 {
			continue
		}
		k := appliedKey{ch.Layer, ch.Code}
		if a.m[k] >= ch.Seq {
			drop++
		}
	}
	out := changes
	if drop > 0 {
		out = make([]data.Change, 0, len(changes)-drop)
	}
	for i := range changes {
		ch := changes[i]
		if ch.Seq != 0 {
			k := appliedKey{ch.Layer, ch.Code}
			if a.m[k] >= ch.Seq {
				continue
			}
			a.m[k] = ch.Seq
		}
		if drop > 0 {
			out = append(out, ch)
		}
	}
	return out
}

// follower reads the change log after the index's Seq and applies it.
type follower struct {
	log    data.ChangeLog
	notify func(ctx context.Context, fn func(seq int64)) error
	live   *liveUpdater
	logger *slog.Logger
	every  time.Duration

	wake    chan struct{}
	last    atomic.Int64 // Seq of the newest change applied from the log
	newest  atomic.Int64 // newest Seq notified or read (for the lag metric)
	applied atomic.Int64 // changes applied from the log
	gone    atomic.Bool  // the log was pruned past last: the replica must restart

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// newFollower starts following cfg.ChangeLog from cfg.ChangeSeq; Close
// stops it.
func newFollower(cfg Config, live *liveUpdater) *follower {
	f := &follower{
		log: cfg.ChangeLog, notify: cfg.ChangeNotify, live: live, logger: cfg.Logger,
		every: cfg.FollowEvery, wake: make(chan struct{}, 1),
	}
	if f.every <= 0 {
		f.every = DefaultFollowEvery
	}
	f.last.Store(cfg.ChangeSeq)
	f.newest.Store(cfg.ChangeSeq)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.run(ctx)
	}()
	if f.notify != nil {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.listen(ctx)
		}()
	}
	return f
}

// Close stops the follower and waits for it (within ctx).
func (f *follower) Close(ctx context.Context) error {
	f.cancel()
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *follower) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// listen keeps a notification listener running until ctx ends, waking the
// follower on every notification and after every reconnection (changes
// committed while it was not listening are read then).
func (f *follower) listen(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		start := time.Now()
		err := f.notify(ctx, func(seq int64) {
			for {
				n := f.newest.Load()
				if seq <= n || f.newest.CompareAndSwap(n, seq) {
					break
				}
			}
			f.poke()
		})
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > 10*time.Second {
			backoff = 100 * time.Millisecond
		}
		f.logger.Warn("replica: listening for store changes failed; retrying (the change log is still read every few seconds)",
			"err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
		f.poke()
	}
}

// run reads and applies the log at start, on every wake and on the timer.
func (f *follower) run(ctx context.Context) {
	t := time.NewTicker(f.every)
	defer t.Stop()
	for {
		f.catchUp(ctx)
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		case <-t.C:
		}
	}
}

// catchUp applies every committed change after last, in batches.
func (f *follower) catchUp(ctx context.Context) {
	for ctx.Err() == nil {
		last := f.last.Load()
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		changes, err := f.log.ChangesSince(rctx, last, followBatch)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, data.ErrGone) {
				if !f.gone.Swap(true) {
					f.logger.Error("replica: the store's change log no longer holds the changes after this replica's; it cannot follow: restart it to reload the city",
						"seq", last, "err", err)
				}
				return
			}
			f.logger.Warn("replica: reading the store's change log failed; will retry", "after", last, "err", err)
			return
		}
		if len(changes) == 0 {
			return
		}
		start := time.Now()
		f.live.Apply(changes)
		seq := changes[len(changes)-1].Seq
		f.last.Store(seq)
		if f.newest.Load() < seq {
			f.newest.Store(seq)
		}
		f.applied.Add(int64(len(changes)))
		f.logger.Debug("replica: applied changes from the store", "changes", len(changes), "seq", seq,
			"took", time.Since(start).Round(time.Microsecond))
		if len(changes) < followBatch {
			return
		}
	}
}

// registerFollowerMetrics exposes where the follower is in the log.
func registerFollowerMetrics(m *metrics, f *follower) {
	m.addGauge("citygrid_replica_seq", "Seq of the newest store change this replica applied from the change log.", func(emit func(string, float64)) {
		emit("", float64(f.last.Load()))
	})
	m.addGauge("citygrid_replica_lag_changes", "Committed store changes notified but not applied yet by this replica.", func(emit func(string, float64)) {
		emit("", float64(max(0, f.newest.Load()-f.last.Load())))
	})
	m.addGauge("citygrid_replica_stale", "1 when the change log was pruned past this replica, which must be restarted.", func(emit func(string, float64)) {
		v := 0.0
		if f.gone.Load() {
			v = 1
		}
		emit("", v)
	})
	m.addCounter("citygrid_replica_changes_applied_total", "Store changes applied from the change log (committed through other replicas, or own ones already applied and skipped).", func(emit func(string, float64)) {
		emit("", float64(f.applied.Load()))
	})
}
