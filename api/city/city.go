// Package city is the running city: the store, the spatial index, the
// tiles, the geocoder, the case workflow and its board, and every
// background goroutine that keeps them in step with the store. It knows
// nothing of HTTP: the api packages receive an opened City and serve it.
//
// Open builds everything and starts the goroutines; Close stops every one
// of them. A City is the engine the transport is handed, as a map server
// is handed its atlas.
package city

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"citygrid/api/city/caseboard"
	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/spatial"
	"citygrid/spatial/geocode"
)

// Config is what a City is opened from.
type Config struct {
	// Store is the city's store (GeoPackage or PostgreSQL); nil serves
	// Index alone, with no edits, no import watch and no case workflow.
	// The City does not close it: its opener does, after Close.
	Store data.Store
	// Index is the spatial index when the caller built it; nil: the City
	// loads Dataset (or Store when Dataset is nil too) and builds it with
	// IndexOptions.
	Index        *spatial.Index
	Dataset      *data.Dataset
	IndexOptions spatial.Options
	// GeocodeVocabulary is the city's geocoder vocabulary (POI category
	// words, abbreviations: geocode.LoadVocabulary); nil: the default
	// that ships with package geocode.
	GeocodeVocabulary *geocode.Vocabulary
	// Dir is the data directory: the baked tiles, uploads, the replica
	// journal. "" keeps none.
	Dir    string
	Logger *slog.Logger

	// Cases is the case store when the caller opened it; nil: PostgreSQL
	// at CasesURL when that is set (opened and closed by the City), else
	// the SQLite case tables in the GeoPackage of Store, else no workflow.
	Cases    cases.ServerStore
	CasesURL string
	// Deliver sends the workflow's webhook notifications
	// (webhook.Deliver over HTTP); nil: a configured webhook is not
	// notified.
	Deliver cases.Deliver
	// SMS, when set, texts urges (督办) to the phones SMSPhones gives for
	// a unit, beside the webhook.
	SMS       cases.SMSGateway
	SMSPhones func(unit string) []string
	// Users lists the accounts (accounts.Store): 核实 and 核查 tasks go
	// to the inspector whose work grid holds the case. nil: the
	// settings' inspector pool, else the centre.
	Users UserLister

	// ChangeLog, when set, is the log of the store shared with other
	// replicas: the City follows it from ChangeSeq (the Seq the Index
	// reflects, Dataset.ChangeSeq) and applies every change committed
	// through another replica to its index and tiles (replica.go).
	ChangeLog data.ChangeLog
	ChangeSeq int64
	// ChangeNotify, when set with ChangeLog, calls fn on every committed
	// change's notification until ctx ends (pgstore.Store.Listen); the
	// follower reads the log then instead of waiting for FollowEvery.
	ChangeNotify func(ctx context.Context, fn func(seq int64)) error
	// FollowEvery is how often the change log is read without a
	// notification (default DefaultFollowEvery).
	FollowEvery time.Duration
	// WatchEvery is how often, at most, the store is checked for an
	// import by another process (default DefaultWatchEvery).
	WatchEvery time.Duration
	// PositionRetention is how long inspectors' position samples are kept
	// (default DefaultPositionRetention); older ones are pruned hourly.
	PositionRetention time.Duration
	// fieldPruneEvery overrides the pruning interval (tests).
	fieldPruneEvery time.Duration

	// Sessions, when set, are the sign-in sessions the City prunes of
	// long-ended ones every PruneEvery (default DefaultPruneEvery), so the
	// table does not grow with every sign-in forever.
	Sessions   SessionPruner
	PruneEvery time.Duration
	// Closers are closed by Close after every goroutine stopped, last
	// first: what the opener opened for them (an account store).
	Closers []func() error
}

// SessionPruner deletes sessions that ended long ago
// (accounts.Service.PruneSessions).
type SessionPruner interface {
	PruneSessions(ctx context.Context) (int, error)
}

// DefaultPruneEvery is how often ended sessions are deleted.
const DefaultPruneEvery = time.Hour

// City is a running city. Its fields are set by Open and not changed
// after; what changes (tiles, geocoder, board) guards itself.
type City struct {
	// Store is the city's store (nil: an index alone).
	Store data.Store
	// Index answers the spatial lookups.
	Index *spatial.Index
	// Dir is the data directory ("" when none).
	Dir string
	// Tiles is the map state: generated and baked vector tiles.
	Tiles *Tiles
	// Geocoder is the address search, rebuilt after unit-grid edits.
	Geocoder *Geocoder
	// Live applies committed changes to the index, tiles and geocoder.
	Live *Live
	// Follower follows the shared store's change log (nil: not a replica).
	Follower *Follower
	// Board is the live view of the cases: statistics, case map, events.
	Board *caseboard.Board
	// Workflow is the case workflow (nil: the store holds no cases).
	Workflow *Workflow

	log               *slog.Logger
	positionRetention time.Duration
	bg                *group
	watch             *storeWatch
	closers           []func() error // what Open opened, closed last first by Close
}

// Open builds the city of cfg and starts its background work: the replica
// follower, the import watch (on Poke), the case board's feed and the
// workflow's sweeps. Close stops them.
func Open(ctx context.Context, cfg Config) (*City, error) {
	c, err := open(ctx, cfg)
	if err != nil {
		// Stop and close whatever was started before the failure.
		return nil, errors.Join(err, c.Close(context.WithoutCancel(ctx)))
	}
	return c, nil
}

// open does Open's work; on error the City it returns holds what was
// started so far, for Open to close.
func open(ctx context.Context, cfg Config) (_ *City, err error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	c := &City{Store: cfg.Store, Index: cfg.Index, Dir: cfg.Dir, log: log, bg: newGroup(), closers: slices.Clone(cfg.Closers),
		positionRetention: cmpOr(cfg.PositionRetention, DefaultPositionRetention)}
	if c.Index == nil {
		if err := c.buildIndex(ctx, cfg); err != nil {
			return c, err
		}
	}
	warnOverlaps(c.Index, log)
	if c.Tiles, err = NewTiles(c.Index, cfg.Dir, log); err != nil {
		return c, err
	}
	c.closers = append(c.closers, c.Tiles.close)
	var geoOpts []geocode.Option
	if cfg.GeocodeVocabulary != nil {
		geoOpts = append(geoOpts, geocode.WithVocabulary(cfg.GeocodeVocabulary))
	}
	if c.Geocoder, err = NewGeocoder(c.Index, geoOpts...); err != nil {
		return c, err
	}
	c.Live = newLive(c.Index, c.Tiles, c.Geocoder, log)
	c.watch = newStoreWatch(ctx, cfg.Store, c.Index, c.Live, c.bg, cmpOr(cfg.WatchEvery, DefaultWatchEvery), log)

	c.Board = caseboard.NewBoard(c.Index, cfg.Store, log)
	st, closeCases, err := openCaseStore(ctx, cfg)
	if err != nil && cfg.CasesURL != "" {
		return c, err // a replica without its shared case store must not serve
	} else if err != nil {
		log.Error("case store unavailable", "err", err)
	}
	if closeCases != nil {
		c.closers = append(c.closers, closeCases)
	}
	if st != nil {
		c.Workflow = newWorkflow(ctx, st, c.Index, c.Geocoder, cfg.Deliver, c.bg, log)
		c.Workflow.wireTasks(cfg)
		c.Workflow.feedBoard(ctx, c.Board)
		c.Workflow.recordScoring(c.Board)
		wf := c.Workflow
		c.watch.adminRules = func(ctx context.Context) bool {
			_, err := wf.Store.Config(ctx, ConfigRules, 0)
			return err == nil
		}
		c.Workflow.startSweeps()
		c.startFieldPruning(cmpOr(cfg.fieldPruneEvery, fieldPruneEvery))
	}

	if cfg.Sessions != nil {
		c.bg.spawn(func(ctx context.Context) {
			pruneSessions(ctx, cfg.Sessions, cmpOr(cfg.PruneEvery, DefaultPruneEvery), log)
		})
	}

	if cfg.ChangeLog != nil { // a replica: follow the shared store's change log
		c.Live.seqs = newAppliedSeqs()
		cfg.Logger = log
		c.Follower = newFollower(cfg, c.Live)
	}
	return c, nil
}

// pruneSessions deletes ended sessions at start and then every period
// until ctx ends. A failure is logged and tried again next time.
func pruneSessions(ctx context.Context, p SessionPruner, every time.Duration, log *slog.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if n, err := p.PruneSessions(ctx); err != nil && ctx.Err() == nil {
			log.Warn("pruning ended sessions failed", "err", err)
		} else if n > 0 {
			log.Info("ended sessions pruned", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// buildIndex loads the store (unless a dataset was given) and indexes it.
func (c *City) buildIndex(ctx context.Context, cfg Config) error {
	ds := cfg.Dataset
	if ds == nil {
		if cfg.Store == nil {
			return errors.New("city: no store, dataset or index")
		}
		var err error
		if ds, err = cfg.Store.Load(ctx); err != nil {
			return fmt.Errorf("load store: %w", err)
		}
	}
	t := time.Now()
	ix, err := spatial.BuildOptions(ds, cfg.IndexOptions)
	if err != nil {
		return fmt.Errorf("build spatial index: %w", err)
	}
	c.log.Info("spatial index built", "took", time.Since(t).Round(time.Millisecond))
	c.Index = ix
	return nil
}

// overlapsLogged is how many overlapping pairs the start-up warning names.
const overlapsLogged = 5

// warnOverlaps logs the pairs of polygons of one layer that overlap
// (spatial.Index.Overlaps): answers stay exact where they do, since the
// lowest code wins, but the people who keep the data should fix it.
func warnOverlaps(ix *spatial.Index, log *slog.Logger) {
	ov := ix.Overlaps()
	if len(ov) == 0 {
		return
	}
	pairs := make([]string, 0, overlapsLogged)
	for _, o := range ov[:min(len(ov), overlapsLogged)] {
		pairs = append(pairs, o.Layer+" "+o.A+" & "+o.B)
	}
	log.Warn("polygons of one layer overlap: where they do, lookups answer the lowest code; fix the data",
		"count", len(ov), "first", strings.Join(pairs, "; "))
}

// Poke tells the city that it is in use: at most once per WatchEvery it
// checks in the background whether another process imported into the
// store, and applies what it did (watch.go). The HTTP layer pokes it on
// every request.
func (c *City) Poke() { c.watch.poke() }

// Close stops every goroutine the City started and waits for them (within
// ctx): the replica follower first (it feeds the live applier), then the
// import watch, the board's feed and the sweeps. Then it closes what Open
// opened (the baked tiles file, a case store it opened itself), last
// opened first. It does not close cfg.Store. It returns the first error.
func (c *City) Close(ctx context.Context) error {
	var errs []error
	if c.Follower != nil {
		errs = append(errs, c.Follower.close(ctx))
	}
	errs = append(errs, c.bg.stop(ctx))
	fns := c.closers
	c.closers = nil
	for i := len(fns) - 1; i >= 0; i-- {
		errs = append(errs, fns[i]())
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// cmpOr is d, or def when d is not positive.
func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// group runs the City's background goroutines under one context and
// waits for them on stop; after stop it starts none.
type group struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	wg     sync.WaitGroup
	done   bool
}

func newGroup() *group {
	ctx, cancel := context.WithCancel(context.Background())
	return &group{ctx: ctx, cancel: cancel}
}

// spawn runs fn in a goroutine until the group stops, reporting false
// (and running nothing) when it has stopped already.
func (g *group) spawn(fn func(ctx context.Context)) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.done {
		return false
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		fn(g.ctx)
	}()
	return true
}

// stop cancels the goroutines' context and waits for them within ctx.
func (g *group) stop(ctx context.Context) error {
	g.mu.Lock()
	g.done = true
	g.mu.Unlock()
	g.cancel()
	finished := make(chan struct{})
	go func() { g.wg.Wait(); close(finished) }()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("city: background work still running: %w", ctx.Err())
	}
}
