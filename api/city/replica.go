package city

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	m   map[appliedKey]int64
	max int64 // newest Seq kept
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
			a.max = max(a.max, ch.Seq)
		}
		if drop > 0 {
			out = append(out, ch)
		}
	}
	return out
}

// Follower reads the change log after the index's Seq and applies it.
type Follower struct {
	log    data.ChangeLog
	notify func(ctx context.Context, fn func(seq int64)) error
	live   *Live
	logger *slog.Logger
	every  time.Duration

	wake    chan struct{}
	last    atomic.Int64 // Seq of the newest change applied from the log
	newest  atomic.Int64 // newest Seq notified or read (for the lag metric)
	applied atomic.Int64 // changes applied from the log
	gone    atomic.Bool  // the log was pruned past last: the replica must restart

	cancel context.CancelFunc
	wg     sync.WaitGroup

	// journal, when set (a replica with a data directory), records after
	// every applied batch the Seq and the tiles' data version it gave, so
	// a restarted replica can find the Seq its baked tiles reflect
	// (ReplicaJournal).
	journal *ReplicaJournal
}

// newFollower starts following cfg.ChangeLog from cfg.ChangeSeq; close
// stops it.
func newFollower(cfg Config, live *Live) *Follower {
	f := &Follower{
		log: cfg.ChangeLog, notify: cfg.ChangeNotify, live: live, logger: cfg.Logger,
		every: cfg.FollowEvery, wake: make(chan struct{}, 1),
	}
	if f.every <= 0 {
		f.every = DefaultFollowEvery
	}
	f.last.Store(cfg.ChangeSeq)
	f.newest.Store(cfg.ChangeSeq)
	if cfg.Dir != "" && live != nil && live.tiles != nil {
		f.journal = &ReplicaJournal{Path: filepath.Join(cfg.Dir, ReplicaJournalFile)}
		f.record(cfg.ChangeSeq)
	}
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

// close stops the follower and waits for it (within ctx).
func (f *Follower) close(ctx context.Context) error {
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

func (f *Follower) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// listen keeps a notification listener running until ctx ends, waking the
// follower on every notification and after every reconnection (changes
// committed while it was not listening are read then).
func (f *Follower) listen(ctx context.Context) {
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
func (f *Follower) run(ctx context.Context) {
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
func (f *Follower) catchUp(ctx context.Context) {
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
		f.record(seq)
		f.logger.Debug("replica: applied changes from the store", "changes", len(changes), "seq", seq,
			"took", time.Since(start).Round(time.Microsecond))
		if len(changes) < followBatch {
			return
		}
	}
}

// record journals the tiles' data version at seq, when the index holds no
// own edit newer than seq (its version would not be seq's).
func (f *Follower) record(seq int64) {
	if f.journal == nil {
		return
	}
	l := f.live
	l.qmu.Lock()
	newer := l.seqs != nil && l.seqs.max > seq
	l.qmu.Unlock()
	if newer {
		return
	}
	p := l.tiles.Provider()
	if p == nil {
		return
	}
	if err := f.journal.Append(seq, p.Tileset().Version()); err != nil {
		f.logger.Warn("replica: could not write the replica journal (a restart will not reuse the baked tiles)", "err", err)
	}
}

// ReplicaJournalFile is the replica journal's name in the data directory.
const ReplicaJournalFile = "citygrid.replica"

// replicaJournalKeep is how many entries the journal keeps.
const replicaJournalKeep = 2000

// ReplicaJournal is a replica's record of which tiles data version each
// change-log Seq it applied gave: one "seq version" line per applied
// batch, the newest last, trimmed to the last replicaJournalKeep. A
// restarted replica looks up its baked file's data_version in it to learn
// the Seq the file reflects, rewinds the freshly loaded city to that Seq
// and follows the log from there, so the baked tiles stay in use and only
// the tiles the missed changes touch are redrawn.
type ReplicaJournal struct {
	Path string

	mu sync.Mutex
	n  int // lines appended since the last trim
}

// Append records that the data at seq has the tiles data version v.
func (j *ReplicaJournal) Append(seq int64, v string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	f, err := os.OpenFile(j.Path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%d %s\n", seq, v)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if j.n++; err == nil && j.n >= replicaJournalKeep {
		j.n = 0
		err = j.trim()
	}
	return err
}

// trim keeps the last replicaJournalKeep lines (write and rename).
func (j *ReplicaJournal) trim() error {
	b, err := os.ReadFile(j.Path)
	if err != nil {
		return err
	}
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) <= replicaJournalKeep+1 {
		return nil
	}
	tmp := j.Path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(lines[len(lines)-replicaJournalKeep-1:], "")), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, j.Path)
}

// SeqOf returns the newest Seq journalled with data version v.
func (j *ReplicaJournal) SeqOf(v string) (int64, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	b, err := os.ReadFile(j.Path)
	if err != nil || v == "" {
		return 0, false
	}
	seq, found := int64(0), false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 || f[1] != v {
			continue
		}
		if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			seq, found = n, true
		}
	}
	return seq, found
}

// StaleStage is why the replica is out of service ("" when it is not): the
// store's change log was pruned past it, so its index can no longer follow
// the store and it answers /readyz 503 until restarted.
func (f *Follower) StaleStage() string {
	if f.gone.Load() {
		return "the store's change log was pruned past this replica: restart it"
	}
	return ""
}

// Seq is the Seq of the newest change applied from the log.
func (f *Follower) Seq() int64 { return f.last.Load() }

// Newest is the newest Seq notified or read.
func (f *Follower) Newest() int64 { return f.newest.Load() }

// Applied counts the changes applied from the log (committed through other
// replicas, or own ones already applied and skipped).
func (f *Follower) Applied() int64 { return f.applied.Load() }

// Stale reports whether the log was pruned past this replica, which must
// be restarted.
func (f *Follower) Stale() bool { return f.gone.Load() }
