package city

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"citygrid/api/city/caseboard"
	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/pgcases"
	"citygrid/data/cases/sqlitecases"
	"citygrid/spatial"

	"github.com/paulmach/orb"
)

// Workflow is the city's case workflow: the one case store, the service
// over it (state machine, deadlines, configuration), the notifier, and
// the background work it needs (webhook sweeps, following other
// replicas' case writes), which the City stops on Close.
type Workflow struct {
	// Service runs the workflow.
	Service *cases.Service
	// Store is the case store, opened once for the whole city.
	Store cases.ServerStore

	ix *spatial.Index // nil: no rule table or catalogue documents
	// board is the scoring document's board, once recordScoring ran.
	board atomic.Pointer[caseboard.Board]
	// catalogue is the category lookup in use (see lookupCategory).
	catalogue atomic.Pointer[func(data.CategoryKind, string) (data.Category, bool)]
	log       *slog.Logger
	notifier  *cases.Notifier
	bg        *group
	sweepMu   sync.Mutex
	sweeping  bool
}

// ErrNoWorkflow: the city's store cannot hold cases, so it has no case
// workflow (a store without SQL database and no case store given).
var ErrNoWorkflow = fmt.Errorf("this server has no case store: %w", data.ErrUnavailable)

// openCaseStore is the one place the city opens its case store: the store
// given (cfg.Cases), else PostgreSQL at cfg.CasesURL (owned: closed by
// Close), else the SQLite case tables in the GeoPackage of cfg.Store. A
// nil store without error means this city has no case workflow (a store
// without SQL database).
func openCaseStore(ctx context.Context, cfg Config) (st cases.ServerStore, owned func() error, err error) {
	switch {
	case cfg.Cases != nil:
		return cfg.Cases, nil, nil
	case cfg.CasesURL != "":
		pg, err := pgcases.Open(ctx, cfg.CasesURL, "")
		if err != nil {
			return nil, nil, fmt.Errorf("open case store: %w", err)
		}
		return pg, pg.Close, nil
	}
	dbs, ok := cfg.Store.(interface{ DB() *sql.DB })
	if !ok || dbs.DB() == nil {
		return nil, nil, nil
	}
	sq, err := sqlitecases.New(ctx, dbs.DB())
	if err != nil {
		return nil, nil, fmt.Errorf("open case store: %w", err)
	}
	return sq, nil, nil
}

// newWorkflow builds the service over st, loads the stored configuration
// documents and follows other replicas' configuration changes.
func newWorkflow(ctx context.Context, st cases.ServerStore, ix *spatial.Index, geo *Geocoder, deliver cases.Deliver, bg *group, logger *slog.Logger) *Workflow {
	var res cases.Resolver
	if ix != nil {
		res = indexResolver{ix}
	}
	w := &Workflow{Store: st, Service: cases.NewService(st, res), ix: ix, log: logger, bg: bg}
	w.notifier = &cases.Notifier{Service: w.Service, Store: st, Deliver: deliver}
	if ix != nil {
		// Deadline classes (urgent categories count continuous hours) come
		// from the city's catalogue as stored with the city.
		w.setCatalogue(ix.Dataset().Categories)
		w.Service.Category = w.lookupCategory
		w.Service.UnitExists = func(code string) bool {
			for _, d := range ix.Dataset().Departments {
				if d.Code == code {
					return true
				}
			}
			return false
		}
	}
	if geo != nil {
		w.Service.Geocode = func(addr string) (orb.Point, bool) {
			rs, err := geo.Current().Forward(addr, 1)
			if err != nil || len(rs) == 0 || rs[0].Score < 0.5 {
				return orb.Point{}, false
			}
			return orb.Point(rs[0].Geometry), true
		}
	}
	for _, name := range ConfigNames {
		if d, err := st.Config(ctx, name, 0); err == nil {
			if err := w.ApplyConfig(name, d.Body); err != nil {
				logger.Error("stored case configuration refused; defaults kept", "name", name, "version", d.Version, "err", err)
			}
		}
	}
	if cf, ok := st.(cases.ConfigFollower); ok {
		// Another replica stored a new configuration version: apply it.
		cf.OnRemoteConfig(func(name string) {
			d, err := st.Config(context.Background(), name, 0)
			if err == nil {
				err = w.ApplyConfig(name, d.Body)
			}
			if err != nil {
				logger.Error("case configuration stored by another replica not applied", "name", name, "err", err)
			}
		})
	}
	return w
}

// ConfigNames are the workflow's configuration documents, versioned in
// the case store.
var ConfigNames = []string{"calendar", "deadlines", "settings", ConfigAutoDispatch, ConfigRules, ConfigCatalogue, ConfigScoring}

// CheckConfig decodes and checks a configuration document on a scratch
// service, changing nothing: a JSON error comes back as it is, for the
// caller to name the field.
func CheckConfig(name string, body []byte) error {
	scratch := &Workflow{Service: cases.NewService(nil, nil)}
	return scratch.ApplyConfig(name, body)
}

// CheckConfig is the package's CheckConfig against this city's data: a
// rule table's categories, units and areas, a catalogue's departments.
func (w *Workflow) CheckConfig(name string, body []byte) error {
	if w.ix == nil {
		return CheckConfig(name, body)
	}
	switch name {
	case ConfigRules:
		_, err := w.decodeRules(body)
		return err
	case ConfigCatalogue:
		_, err := w.decodeCatalogue(body)
		return err
	}
	return CheckConfig(name, body)
}

// ApplyConfig decodes a configuration document and uses it at once; new
// settings with a webhook start the notification sweeps.
func (w *Workflow) ApplyConfig(name string, body []byte) error {
	switch name {
	case "calendar":
		var c cases.Calendar
		if err := json.Unmarshal(body, &c); err != nil {
			return err
		}
		return w.Service.SetCalendar(&c)
	case "deadlines":
		var t cases.DeadlineTable
		if err := json.Unmarshal(body, &t); err != nil {
			return err
		}
		return w.Service.SetDeadlines(&t)
	case "settings":
		var st cases.Settings
		if err := json.Unmarshal(body, &st); err != nil {
			return err
		}
		if err := w.Service.SetSettings(&st); err != nil {
			return err
		}
		w.startSweeps()
		return nil
	}
	if ok, err := w.applyAdminConfig(name, body); ok {
		return err
	}
	return fmt.Errorf("configuration %q: %w", name, data.ErrNotFound)
}

// CurrentConfig is the configuration document in use.
func (w *Workflow) CurrentConfig(name string) (any, error) {
	switch name {
	case "calendar":
		return w.Service.Calendar(), nil
	case "deadlines":
		return w.Service.Deadlines(), nil
	case "settings":
		return w.Service.Settings(), nil
	}
	if v, ok := w.currentAdminConfig(name); ok {
		return v, nil
	}
	return nil, fmt.Errorf("configuration %q (calendar, deadlines, settings, auto_dispatch, rules, catalogue or scoring): %w", name, data.ErrNotFound)
}

// startSweeps starts the notification loop once a webhook is configured;
// it runs until the City closes.
func (w *Workflow) startSweeps() {
	if w.bg == nil || w.Service.Settings().WebhookURL == "" {
		return
	}
	w.sweepMu.Lock()
	defer w.sweepMu.Unlock()
	if w.sweeping {
		return
	}
	if w.notifier.Deliver == nil {
		w.log.Warn("a case webhook is configured, but this city delivers no notifications")
		return
	}
	w.sweeping = w.bg.spawn(func(ctx context.Context) {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			url := w.Service.Settings().WebhookURL
			if n, err := w.notifier.Sweep(ctx, url, time.Now()); err != nil {
				w.log.Warn("case notifications", "sent", n, "err", err)
			}
		}
	})
}

// feedBoard connects the case board to the store. A full store is loaded
// in the background (a million cases take seconds): changes committed
// meanwhile are held and replayed after the load, so none is lost and the
// city is ready at once.
func (w *Workflow) feedBoard(ctx context.Context, board *caseboard.Board) {
	st := w.Store
	n := 0
	if p, err := st.List(ctx, cases.Filter{Limit: 1}); err == nil {
		n = p.Total
	}
	var mu sync.Mutex
	loaded := false
	var held []func()
	// load (re)reads the board from the store. Changes committed while it
	// reads are held and replayed after it, so a reload never drops a
	// write that lands during it; reloads run one at a time.
	var loadMu sync.Mutex
	load := func(ctx context.Context) {
		loadMu.Lock()
		defer loadMu.Unlock()
		mu.Lock()
		loaded = false
		mu.Unlock()
		t0 := time.Now()
		if err := board.Attach(ctx, st); err != nil {
			w.log.Error("case board not fed from the case store", "err", err)
		} else {
			w.log.Info("case board loaded from the case store", "took", time.Since(t0).Round(time.Millisecond))
		}
		// Replay what was held, in commit order; changes keep being held
		// until the backlog is drained.
		for {
			mu.Lock()
			h := held
			held = nil
			if len(h) == 0 {
				loaded = true
				mu.Unlock()
				return
			}
			mu.Unlock()
			for _, f := range h {
				f()
			}
		}
	}
	apply := func(c *cases.Case, t *cases.Transition) {
		mu.Lock()
		if !loaded {
			held = append(held, func() { board.Apply(c, t) })
			mu.Unlock()
			return
		}
		mu.Unlock()
		board.Apply(c, t)
	}
	st.OnChange(apply)
	if rf, ok := st.(cases.RemoteFollower); ok {
		// Another replica's write committed after the board's load and
		// before the LISTEN would never reach the board: the load waits
		// (a while) until the follow is in place, and a re-established
		// follow reloads the board.
		ready := make(chan struct{})
		if rr, ok := st.(interface{ OnRemoteReady(func()) }); ok {
			var first sync.Once
			rr.OnRemoteReady(func() {
				again := true
				first.Do(func() { close(ready); again = false })
				if again {
					load(ctx)
				}
			})
		} else {
			close(ready)
		}
		w.followRemote(rf, load, apply)
		select {
		case <-ready:
		case <-time.After(remoteReadyWait):
			w.log.Warn("not yet following other replicas' case writes; loading the case board anyway", "waited", remoteReadyWait)
		}
	}
	if n == 0 {
		load(ctx)
		return
	}
	w.bg.spawn(load)
}

// remoteReadyWait is how long the case board's load waits for the follow
// of other replicas' writes to be in place.
const remoteReadyWait = 5 * time.Second

// followRemote feeds the board with the case writes other replicas commit
// to a shared case store, until the City closes. When the follow
// connection is lost the board is reloaded from the store (writes may
// have been missed) and the follow starts again.
func (w *Workflow) followRemote(rf cases.RemoteFollower, reload func(context.Context), apply func(*cases.Case, *cases.Transition)) {
	w.bg.spawn(func(ctx context.Context) {
		for {
			err := rf.ListenRemote(ctx, apply)
			if ctx.Err() != nil {
				return
			}
			w.log.Warn("following other replicas' case writes failed; retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			reload(ctx)
		}
	})
}

// indexResolver adapts *spatial.Index to cases.Resolver.
type indexResolver struct{ ix *spatial.Index }

// Locate places a case; a point no unit grid covers is refused with an
// *OutsideError naming the nearest unit grid, so that a report from
// anywhere on Earth never enters the workflow.
func (r indexResolver) Locate(p orb.Point) (cases.Place, error) {
	loc, err := r.ix.Locate(p)
	if spatial.IsOutside(err) && loc.Nearest.Code != "" {
		return cases.Place{}, &OutsideError{Nearest: loc.Nearest}
	}
	if err != nil {
		return cases.Place{}, err
	}
	pl := cases.Place{Covered: loc.Covered, UnitGrid: loc.UnitGrid.Code, Community: loc.Community.Code, Street: loc.Street.Code, District: loc.District.Code}
	for _, mg := range loc.ManagementGrids {
		pl.ManagementGrids = append(pl.ManagementGrids, mg.Code)
	}
	return pl, nil
}

func (r indexResolver) Responsible(p orb.Point, kind data.CategoryKind, category, component string) (cases.Decision, error) {
	res, err := r.ix.Responsible(p, kind, category, component)
	if err != nil {
		return cases.Decision{}, err
	}
	f := cases.DispatchFacts{Unit: res.Unit.Code, UnitName: res.Unit.Name, Rule: res.Rule}
	if res.Component != nil {
		f.Component, f.ComponentOwner = res.Component.Code, res.Component.Owner
	}
	for _, mg := range res.Location.ManagementGrids {
		f.Grids = append(f.Grids, cases.GridUnit{Kind: mg.Kind, Code: mg.Code, Unit: mg.Unit})
	}
	return f.Decision(res.Reasons), nil
}

// OutsideError refuses a case reported at a point outside every unit
// grid. It is a validation error of the location (400 naming lon) whose
// details name the nearest unit grid and its distance, so a client can
// tell a slip of the map from a report that belongs to another city.
type OutsideError struct {
	Nearest spatial.NearestGrid
}

// Error says where the point is.
func (e *OutsideError) Error() string {
	return fmt.Sprintf("the point is outside the city: the nearest unit grid %s is %.0f m away", e.Nearest.Code, e.Nearest.DistanceM)
}

// Unwrap makes the refusal a validation error of the field lon.
func (e *OutsideError) Unwrap() error {
	return &data.ValidationError{Field: "lon", Reason: e.Error()}
}

// ErrorDetails puts the nearest unit grid into the error body.
func (e *OutsideError) ErrorDetails() any {
	return map[string]any{"nearest_unit_grid": e.Nearest.Code, "distance_m": math.Round(e.Nearest.DistanceM*10) / 10}
}
