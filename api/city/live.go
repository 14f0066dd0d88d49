package city

import (
	"log/slog"
	"slices"
	"sync"

	"citygrid/data"
	"citygrid/spatial"
)

// Live makes the running city follow the store: after every
// committed write the handler that made it calls Apply with the store's
// change records, and before Apply returns the spatial index answers with
// the change and the tiles it touches are invalidated (the next fetch is
// new content with a new ETag, TileJSON's data version moves on, baked
// tiles of the change are served on the fly until rewritten).
//
// Edit handlers get it from the City (City.Live) and must call Apply
// before writing their answer, so a client that saw its write succeed
// reads it back at once (read-your-writes). It starts no goroutine: the
// caller of Apply does the work.
type Live struct {
	ix     *spatial.Index
	tiles  *Tiles
	logger *slog.Logger

	// Group commit: concurrent Apply calls queue their changes; one of them
	// (the leader) applies everything queued in one pass, so that under
	// load many edits share one wait for tile drawing to pause.
	qmu     sync.Mutex
	queue   []*liveReq
	leading bool

	// geo is rebuilt after unit-grid changes (nil: no geocoder).
	geo *Geocoder

	// seqs, set on replicas following a change log (replica.go),
	// drops changes of a feature already applied at the same or a newer
	// Seq, under qmu: a replica's own edits come back from the log.
	seqs *appliedSeqs
}

type liveReq struct {
	changes []data.Change
	done    chan struct{}
}

func newLive(ix *spatial.Index, t *Tiles, geo *Geocoder, logger *slog.Logger) *Live {
	return &Live{ix: ix, tiles: t, geo: geo, logger: logger}
}

// Apply replays committed changes on the index and the tiles and returns
// once lookups and tiles show them. Changes from concurrent calls are
// applied in the order the calls queued (each call's changes stay together
// and in order). The changes are already durable, so Apply cannot refuse
// them: a change the index cannot replay (which means the index had
// drifted from the store) is logged at Error level and leaves the index
// and tiles as they were.
func (l *Live) Apply(changes []data.Change) {
	if l == nil || len(changes) == 0 {
		return
	}
	grids := false
	defer func() {
		if grids {
			l.refreshGeocoder()
		}
	}()
	l.qmu.Lock()
	if changes = l.seqs.filter(changes); len(changes) == 0 {
		l.qmu.Unlock()
		return
	}
	grids = l.geo != nil && slices.ContainsFunc(changes, func(ch data.Change) bool { return ch.Layer == data.LayerUnitGrids })
	req := &liveReq{changes: changes, done: make(chan struct{})}
	l.queue = append(l.queue, req)
	if l.leading {
		l.qmu.Unlock()
		<-req.done
		return
	}
	l.leading = true
	l.qmu.Unlock()
	for {
		l.qmu.Lock()
		batch := l.queue
		l.queue = nil
		if len(batch) == 0 {
			l.leading = false
			l.qmu.Unlock()
			return
		}
		l.qmu.Unlock()
		l.applyBatch(batch)
	}
}

// refreshGeocoder rebuilds the geocoder after unit-grid changes the index
// now holds, so that the caller's answer is followed by geocoding with the
// edited grids.
func (l *Live) refreshGeocoder() {
	l.geo.gridsChanged()
	if err := l.geo.refresh(); err != nil {
		l.logger.Error("live update: the geocoder keeps the unit grids it had", "err", err)
	}
}

// applyBatch applies queued requests in one pass; when the whole refuses
// (one request's changes do not fit the index), each request is applied
// on its own so that the others still go through.
func (l *Live) applyBatch(batch []*liveReq) {
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	if len(batch) == 1 {
		l.applyOne(batch[0].changes)
		return
	}
	var all []data.Change
	for _, r := range batch {
		all = append(all, r.changes...)
	}
	if l.apply(all) == nil {
		return
	}
	for _, r := range batch {
		l.applyOne(r.changes)
	}
}

func (l *Live) applyOne(changes []data.Change) {
	err := l.apply(changes)
	if err == nil {
		return
	}
	// The store has committed these changes, so they are the truth: when
	// the index disagrees about what exists (it missed an earlier write, or
	// saw this one already), replay them as what they make the feature.
	fixed := l.reconcile(changes)
	if err2 := l.apply(fixed); err2 != nil {
		l.logger.Error("live update: the index could not replay a committed change; restart to reload from the store",
			"changes", len(changes), "first", changes[0].Code, "err", err2)
		return
	}
	l.logger.Warn("live update: the index had drifted from the store; replayed the changes as upserts and deletes",
		"changes", len(changes), "first", changes[0].Code, "err", err)
}

// reconcile turns changes into ones that fit the index: an insert of a
// code the index holds becomes an update, an update of a code it lacks an
// insert, a delete of a code it lacks is dropped (following earlier changes
// of the same list).
func (l *Live) reconcile(changes []data.Change) []data.Change {
	type key struct{ layer, code string }
	have := map[key]bool{}
	exists := func(k key) bool {
		if v, ok := have[k]; ok {
			return v
		}
		switch k.layer {
		case data.LayerComponents:
			_, ok := l.ix.Component(k.code)
			return ok
		case data.LayerUnitGrids:
			_, ok := l.ix.UnitGrid(k.code)
			return ok
		}
		return false
	}
	out := make([]data.Change, 0, len(changes))
	for _, ch := range changes {
		k := key{ch.Layer, ch.Code}
		had := exists(k)
		switch {
		case ch.Op == data.OpDelete && !had:
			continue
		case ch.Op == data.OpInsert && had:
			ch.Op = data.OpUpdate
		case ch.Op == data.OpUpdate && !had:
			ch.Op = data.OpInsert
		}
		have[k] = ch.Op != data.OpDelete
		out = append(out, ch)
	}
	return out
}

func (l *Live) apply(changes []data.Change) error {
	if l.tiles != nil {
		return l.tiles.Apply(changes, l.ix.Apply)
	}
	return l.ix.Apply(changes)
}
