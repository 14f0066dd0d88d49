package city

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"citygrid/data"
	"citygrid/spatial"
)

// storeGenerationKey is the store metadata key every Insert (citygrid
// import, the demo's first store) adds one to: gpkg.MetaGeneration.
const storeGenerationKey = "store.generation"

// DefaultWatchEvery is how often, at most, a city reads the store's
// generation to notice an import made by another process.
const DefaultWatchEvery = time.Second

// storeWatch makes a running city notice `citygrid import` run by
// another process on the same store. Requests poke it (City.Poke); at most once per
// Config.WatchEvery one of them starts a check in the background (the
// request itself is not delayed): the store's generation is read, and when
// it moved, the whole store is loaded and every unit grid and component
// the index lacks is applied through the live updater as an insert, so
// lookups and tiles (new data version, touched tiles invalidated) follow.
// Imports only add features, so inserts are all there is to replay. A
// changed rule table replaces the index's (responsible follows it).
//
// Limits: other layers (administrative units, management grids, roads,
// addresses, POIs, categories, departments) imported by another process
// are not replayed — the server logs a warning naming them, and a
// restart serves them; nor is the geocoder rebuilt. An import whose reload
// overlaps an API edit of the same code (within the second or so a reload
// takes) is settled by the live updater, which replays a refused change as
// what it makes the feature and logs a warning.
type storeWatch struct {
	store  data.Store
	ix     *spatial.Index
	logger *slog.Logger
	live   *Live
	bg     *group // runs the checks; stops them on Close
	every  time.Duration

	next    atomic.Int64 // unix nanoseconds of the next allowed check
	running atomic.Bool  // one check at a time
	// adminRules reports that administrators keep the rule table as a
	// configuration document; an import then does not replace it.
	adminRules func(ctx context.Context) bool
	gen        string // generation the index reflects; owned by the running check
}

// newStoreWatch reads the store's current generation, the one the index
// was loaded at (an import between the server's Load and this read is
// missed until the next import). Without a store it watches nothing.
func newStoreWatch(ctx context.Context, st data.Store, ix *spatial.Index, live *Live, bg *group, every time.Duration, logger *slog.Logger) *storeWatch {
	w := &storeWatch{store: st, ix: ix, live: live, bg: bg, every: every, logger: logger}
	if w.store != nil {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		w.gen, _ = w.store.Meta(ctx, storeGenerationKey)
	}
	return w
}

// poke starts a background check when one is due and none is running.
func (w *storeWatch) poke() {
	if w.store == nil {
		return
	}
	now := time.Now().UnixNano()
	if now < w.next.Load() || !w.running.CompareAndSwap(false, true) {
		return
	}
	w.next.Store(now + int64(w.every))
	if !w.bg.spawn(func(ctx context.Context) {
		defer w.running.Store(false)
		w.check(ctx)
	}) {
		w.running.Store(false)
	}
}

// check reloads what another process imported, if anything.
func (w *storeWatch) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	gen, err := w.store.Meta(ctx, storeGenerationKey)
	if err != nil || gen == w.gen {
		return
	}
	start := time.Now()
	ds, err := w.store.Load(ctx)
	if err != nil {
		w.logger.Warn("store changed by another process, but it could not be read; will retry", "generation", gen, "err", err)
		return
	}
	changes, rules, others := w.imported(ctx, ds)
	if rules && w.adminRules != nil && w.adminRules(ctx) {
		w.logger.Warn("store changed by another process with a new rule table; the administrators' rule table stays in use")
		rules = false
	} else if rules {
		w.ix.SetRules(ds.Rules)
	}
	if len(changes) > 0 {
		if w.live != nil {
			w.live.Apply(changes)
		} else if err := w.ix.Apply(changes); err != nil {
			w.logger.Error("store changed by another process; the index could not follow it: restart to reload", "err", err)
		}
	}
	w.gen = gen
	w.logger.Info("store changed by another process: imported features applied", "generation", gen,
		"changes", len(changes), "rules_replaced", rules, "took", time.Since(start).Round(time.Millisecond))
	if len(others) > 0 {
		w.logger.Warn("store changed by another process in layers a running server does not reload: restart to serve them",
			"layers", strings.Join(others, ", "))
	}
}

// imported lists, as insert changes, the unit grids and components of ds
// the index lacks (unit grids first: components name their grid), says
// whether the rule table differs, and names the other layers whose size
// differs from the index's dataset. A
// component is confirmed in the store before it is listed, so one an API
// edit deleted after ds was loaded is not brought back.
func (w *storeWatch) imported(ctx context.Context, ds *data.Dataset) ([]data.Change, bool, []string) {
	var changes []data.Change
	var others []string
	var rules bool
	w.ix.View(func() {
		for i := range ds.UnitGrids {
			g := &ds.UnitGrids[i]
			if _, ok := w.ix.UnitGrid(g.Code); !ok {
				changes = append(changes, data.Change{Layer: data.LayerUnitGrids, Op: data.OpInsert, Code: g.Code, AfterUnitGrid: g})
			}
		}
		for i := range ds.Components {
			c := &ds.Components[i]
			if _, ok := w.ix.Component(c.Code); !ok {
				changes = append(changes, data.Change{Layer: data.LayerComponents, Op: data.OpInsert, Code: c.Code, Version: c.Version, AfterComponent: c})
			}
		}
		old := w.ix.Dataset()
		rules = !slices.EqualFunc(old.Rules, ds.Rules, data.Rule.Equal)
		for _, l := range []struct {
			name     string
			old, new int
		}{
			{"admin_units", len(old.AdminUnits), len(ds.AdminUnits)},
			{"management_grids", len(old.ManagementGrids), len(ds.ManagementGrids)},
			{"roads", len(old.Roads), len(ds.Roads)},
			{"addresses", len(old.Addresses), len(ds.Addresses)},
			{"pois", len(old.POIs), len(ds.POIs)},
			{"categories", len(old.Categories), len(ds.Categories)},
			{"departments", len(old.Departments), len(ds.Departments)},
		} {
			if l.old != l.new {
				others = append(others, l.name)
			}
		}
	})
	kept := changes[:0]
	for _, ch := range changes {
		if ch.Layer == data.LayerComponents {
			if _, err := w.store.Component(ctx, ch.Code); err != nil {
				continue
			}
		}
		kept = append(kept, ch)
	}
	return kept, rules, others
}
