package api

import (
	"log/slog"
	"sync"

	"citygrid/data"
	"citygrid/spatial"
)

// liveUpdater makes the running server follow the store: after every
// committed write the handler that made it calls Apply with the store's
// change records, and before Apply returns the spatial index answers with
// the change and the tiles it touches are invalidated (the next fetch is
// new content with a new ETag, TileJSON's data version moves on, baked
// tiles of the change are served on the fly until rewritten).
//
// Edit handlers get the updater from New (see server.go) and must call
// Apply before writing their HTTP answer, so a client that saw its write
// succeed reads it back at once (read-your-writes).
type liveUpdater struct {
	cfg    Config
	ix     *spatial.Index
	ms     *mapService
	logger *slog.Logger

	mu sync.Mutex // one Apply at a time, in commit order
}

func newLiveUpdater(cfg Config, ix *spatial.Index, ms *mapService) *liveUpdater {
	l := &liveUpdater{cfg: cfg, ix: ix, ms: ms, logger: cfg.Logger}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	return l
}

// Apply replays committed changes on the index and the tiles. The changes
// are already durable, so Apply cannot refuse them: a change the index
// cannot replay (which means the index had drifted from the store) is
// logged at Error level and the tiles are still invalidated.
func (l *liveUpdater) Apply(changes []data.Change) {
	if l == nil || len(changes) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ms != nil {
		if err := l.ms.applyChanges(changes, l.ix.Apply); err != nil {
			l.logger.Error("live update: the index could not replay a committed change; restart to reload from the store",
				"changes", len(changes), "first", changes[0].Code, "err", err)
		}
		return
	}
	if err := l.ix.Apply(changes); err != nil {
		l.logger.Error("live update: the index could not replay a committed change; restart to reload from the store",
			"changes", len(changes), "first", changes[0].Code, "err", err)
	}
}
