package api

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/sqlitecases"
	"citygrid/data/cases/stats"
	"citygrid/data/demo"
	"citygrid/spatial"
	"citygrid/tiles"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
)

// The supervision and command side of the case workflow: the case map
// (tileset "cases"), the statistics and evaluation API, the live event
// stream and the command-display page (/command). All of it reads one
// caseBoard: the in-memory statistics table and case map, filled once
// from the case store (attach) and kept current by the store's change
// listener (Apply), which also pushes server-sent events to open pages.

// CaseFeed is what the board reads from the case store at start-up.
type CaseFeed interface {
	// All calls fn for every stored case; fn returning false stops.
	All(ctx context.Context, fn func(*cases.Case) bool) error
}

// TransitionFeed is the optional part of a CaseFeed that gives the
// recorded transitions, oldest first, for the post (岗位) scores: the
// SQLite case store serves it (Open311's updates feed reads the same
// method), and a PostgreSQL case store must too, or the post scores stay
// empty until transitions happen.
type TransitionFeed interface {
	TransitionsBetween(ctx context.Context, from, to time.Time, limit int) ([]cases.Transition, error)
}

// caseBoard is the server's live view of the cases.
type caseBoard struct {
	log        *slog.Logger
	tableMu    sync.RWMutex // guards the table pointer (load swaps it)
	table      *stats.Table
	posts      *stats.PostTable // post scores, swapped with table
	tableOpt   stats.Options
	attachMu   sync.Mutex
	attached   bool     // a case store feeds the board
	feed       CaseFeed // the attached case store
	demoLoaded bool     // the board shows an in-memory demo history
	storeEmpty bool     // the attached case store had no case
	layer      *tiles.CaseLayer
	hub        *eventHub
	names      map[stats.Dim]map[string]string // display names per dimension
	gridsOf    map[stats.Dim]map[string]int    // unit grids per street and community
	store      data.Store                      // for the scoring configuration (metadata); may be nil
	now        func() time.Time

	mu      sync.RWMutex
	scoring stats.Scoring

	openMu sync.RWMutex
	open   map[int64]*cases.Case // cases not closed, cancelled or refused

	gridCommunity map[string]string // unit grid → community

	echartsOnce sync.Once
	echartsPath string
	webOnce     sync.Once
	webPath     string

	index      *spatial.Index
	demoDays   int           // length of a generated demo history; 0 = a year
	tablesWait time.Duration // how long the demo history waits for the case tables
}

// metaScoring is the store metadata key of the scoring configuration.
const metaScoring = "stats.scoring"

// commandZone is the zone days and months are counted in (China Standard
// Time; a fixed zone, so no tz database is needed).
var commandZone = time.FixedZone("CST", 8*3600)

// newCaseBoard builds an empty board over the city of cfg.
func newCaseBoard(cfg Config) *caseBoard {
	b := &caseBoard{log: cfg.Logger, hub: newEventHub(), store: cfg.Store, now: time.Now, open: map[int64]*cases.Case{},
		names: map[stats.Dim]map[string]string{}, gridsOf: map[stats.Dim]map[string]int{}}
	if b.log == nil {
		b.log = slog.Default()
	}
	var ds *data.Dataset
	if cfg.Index != nil {
		ds = cfg.Index.Dataset()
	}
	if ds == nil {
		ds = &data.Dataset{}
	}
	parent := map[string]string{}
	for _, d := range ds.Departments {
		parent[d.Code] = d.Parent
	}
	// A unit is evaluated under its top bureau below the district
	// government (a maintenance company stays itself: it has no parent).
	dept := func(unit string) string {
		u := unit
		for i := 0; i < 8; i++ {
			p := parent[u]
			if p == "" || parent[p] == "" {
				return u
			}
			u = p
		}
		return u
	}
	b.tableOpt = stats.Options{Department: dept}
	b.table = stats.NewTable(b.tableOpt)
	b.posts = stats.NewPostTable()
	for _, d := range []stats.Dim{stats.DimUnit, stats.DimDepartment, stats.DimStreet, stats.DimCommunity, stats.DimCategory} {
		b.names[d] = map[string]string{}
	}
	for _, d := range ds.Departments {
		b.names[stats.DimUnit][d.Code] = d.Name
		b.names[stats.DimDepartment][d.Code] = d.Name
	}
	for _, u := range ds.AdminUnits {
		switch u.Level {
		case data.LevelStreet:
			b.names[stats.DimStreet][u.Code] = u.Name
		case data.LevelCommunity:
			b.names[stats.DimCommunity][u.Code] = u.Name
		}
	}
	for _, c := range ds.Categories {
		b.names[stats.DimCategory][string(c.Kind)+"/"+c.Code] = c.Name
	}
	commStreet := map[string]string{}
	for _, u := range ds.AdminUnits {
		if u.Level == data.LevelCommunity {
			commStreet[u.Code] = u.Parent
		}
	}
	b.gridsOf[stats.DimCommunity], b.gridsOf[stats.DimStreet] = map[string]int{}, map[string]int{}
	centres := make(map[string]orb.Point, len(ds.UnitGrids))
	b.gridCommunity = make(map[string]string, len(ds.UnitGrids))
	for i := range ds.UnitGrids {
		g := &ds.UnitGrids[i]
		b.gridCommunity[g.Code] = g.Community
		b.gridsOf[stats.DimCommunity][g.Community]++
		b.gridsOf[stats.DimStreet][commStreet[g.Community]]++
		if p, ok := tiles.LabelPoint(g.Geometry); ok {
			centres[g.Code] = p
		}
	}
	b.layer = tiles.NewCaseLayer(tiles.CaseLayerOptions{GridCentre: func(code string) (orb.Point, bool) {
		p, ok := centres[code]
		return p, ok
	}})
	b.scoring = stats.DefaultScoring()
	if b.store != nil {
		if s, err := b.store.Meta(context.Background(), metaScoring); err == nil && s != "" {
			var sc stats.Scoring
			err := json.Unmarshal([]byte(s), &sc)
			if err == nil && sc.Validate() != nil && sc.UpgradePosts() {
				b.log.Info("stored scoring configuration predates post scores: default post schemes added")
			}
			if err == nil && sc.Validate() == nil {
				b.scoring = sc
			} else {
				b.log.Warn("stored scoring configuration unusable, using the default", "err", err)
			}
		}
	}
	b.index = cfg.Index
	b.tablesWait = 5 * time.Second
	return b
}

// attach loads every case of feed; the case store then calls Apply after
// each committed transition. It replaces an in-memory demo history.
func (b *caseBoard) attach(ctx context.Context, feed CaseFeed) error {
	b.attachMu.Lock()
	defer b.attachMu.Unlock()
	b.attached = true
	b.feed = feed
	var all []cases.Case
	err := feed.All(ctx, func(c *cases.Case) bool {
		all = append(all, *c)
		return true
	})
	if err != nil {
		return fmt.Errorf("load cases for statistics: %w", err)
	}
	b.storeEmpty = len(all) == 0
	if len(all) == 0 && b.demoLoaded {
		// An empty case store in a demo city: keep the generated history
		// (its ids start at demoIDBase, clear of the store's) and add the
		// store's cases as they come.
		b.log.Info("case store empty: the generated demo history stays on the board")
		return nil
	}
	pt := stats.NewPostTable()
	if tf, ok := feed.(TransitionFeed); ok {
		if err := loadTransitions(ctx, tf, pt, all); err != nil {
			return fmt.Errorf("load transitions for post scores: %w", err)
		}
	} else {
		b.log.Warn("the case store lists no transitions: post scores count only new ones")
	}
	b.load(all, pt)
	return nil
}

// transitionPage is how many transitions loadTransitions reads at once.
var transitionPage = 20000

// loadTransitions feeds every stored transition into pt, a page at a
// time (memory stays bounded for millions of transitions). Pages follow
// the store's order (at, case, seq); a page goes in sorted by case and
// Seq, and the table ignores a Seq it has passed, so a case's steps
// count in order as long as its At values grow with Seq (one writer's
// clock; replicas' clocks must agree to well under a step's duration).
func loadTransitions(ctx context.Context, tf TransitionFeed, pt *stats.PostTable, all []cases.Case) error {
	caseOf := caseIndex(all)
	from, to := time.UnixMilli(0), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	// skip is how many rows at the instant from were read already: the
	// next page starts at that instant and leaves them out (the store's
	// order within an instant is by case and seq, so they come first).
	skip := 0
	for {
		page, err := tf.TransitionsBetween(ctx, from, to, transitionPage+skip)
		if err != nil {
			return err
		}
		pt.AddAll(page[min(skip, len(page)):], caseOf)
		if len(page) < transitionPage+skip {
			return nil
		}
		last := page[len(page)-1].At
		n := 0
		for i := len(page) - 1; i >= 0 && page[i].At.Equal(last); i-- {
			n++
		}
		if last.Equal(from) {
			skip = len(page)
		} else {
			from, skip = last, n
		}
	}
}

// demoIDBase is where the ids of an in-memory demo history start, far
// above any id a case store hands out, so that live cases never replace
// generated ones.
const demoIDBase = 1 << 40

// load replaces the board's cases and post table and tells open pages
// to redraw.
func (b *caseBoard) load(all []cases.Case, pt *stats.PostTable) {
	defer b.hub.publish(caseEvent{Type: "reload", Generation: b.layer.Generation() + 1})
	t := stats.NewTable(b.tableOpt)
	t.PutAll(all)
	b.tableMu.Lock()
	b.table, b.posts = t, pt
	b.tableMu.Unlock()
	b.layer.Load(all)
	b.openMu.Lock()
	b.open = map[int64]*cases.Case{}
	for i := range all {
		if !all[i].State.Terminal() {
			c := all[i]
			b.open[c.ID] = &c
		}
	}
	b.openMu.Unlock()
	b.log.Info("case board loaded", "cases", len(all))
}

// Apply is the case store's change listener: it updates the statistics
// and the case map and tells open pages, before the transition's HTTP
// answer is sent.
func (b *caseBoard) Apply(c *cases.Case, t *cases.Transition) {
	b.stats().Put(c)
	if t != nil {
		b.postTable().Add(c, t)
	}
	b.layer.Put(c)
	b.openMu.Lock()
	if c.State.Terminal() {
		delete(b.open, c.ID)
	} else {
		cc := *c
		b.open[c.ID] = &cc
	}
	b.openMu.Unlock()
	ev := caseEvent{Type: "case", ID: c.ID, Number: c.Number, State: c.State, Kind: c.Kind, Category: c.Category,
		Unit: c.Unit, Lon: c.Point[0], Lat: c.Point[1], Generation: b.layer.Generation()}
	if c.DueAt != nil {
		ev.Overdue = c.DueAt.Before(b.now()) && !c.State.Terminal() && c.State != cases.StateSuspended
	}
	if t != nil {
		ev.Action, ev.At = t.Action, t.At
	} else {
		ev.At = c.UpdatedAt
	}
	b.hub.publish(ev)
}

// stats is the current statistics table.
func (b *caseBoard) stats() *stats.Table {
	b.tableMu.RLock()
	defer b.tableMu.RUnlock()
	return b.table
}

// postTable is the current post table.
func (b *caseBoard) postTable() *stats.PostTable {
	b.tableMu.RLock()
	defer b.tableMu.RUnlock()
	return b.posts
}

// metaDemoSeed is the store metadata key 'citygrid demo' records its seed
// under (cmd/citygrid/demo.go).
const metaDemoSeed = "demo.seed"

// metaDemoCases records that the demo's generated case history is in the
// case store (its number of cases).
const metaDemoCases = "demo.cases"

// demoHistory gives a demo city its case history on first serve, so that
// the command page and the statistics show a year of work at once: when
// the store holds a demo city ('citygrid demo' recorded its seed) and the
// history is not stored yet, it generates it (data/demo.Cases, ending
// now, handling units from the responsible lookup) and writes it into the
// workflow's case tables with the bulk path (ImportHistory), then loads
// the board from the case store unless the workflow attached it already.
// A store without SQL (or a failed write) gets the history in memory only.
// It runs in the background at start-up.
func (b *caseBoard) demoHistory(ctx context.Context, ix *spatial.Index) {
	if b.store == nil || ix == nil {
		return
	}
	seed, err := b.store.Meta(ctx, metaDemoSeed)
	if err != nil || seed == "" {
		return
	}
	n, err := strconv.ParseInt(seed, 10, 64)
	if err != nil {
		return
	}
	generate := func() ([]cases.Case, []cases.Transition, error) {
		resolve := func(p orb.Point, kind data.CategoryKind, category, component string) string {
			r, err := ix.Responsible(p, kind, category, component)
			if err != nil {
				return ""
			}
			return r.Unit.Code
		}
		return demo.Cases(ix.Dataset(), demo.CaseOptions{Seed: n, End: b.now().Truncate(time.Minute), Days: b.demoDays, Responsible: resolve})
	}
	t0 := time.Now()
	if done, err := b.importedDemoHistory(ctx, generate); done {
		b.log.Info("demo case history ready", "took", time.Since(t0).Round(time.Millisecond))
		return
	} else if err != nil {
		b.log.Warn("demo case history not imported; keeping it in memory", "err", err)
	} else if sq, ok := b.store.(interface{ DB() *sql.DB }); ok {
		if err := b.storedDemoHistory(ctx, sq.DB(), generate); err == nil {
			b.log.Info("demo case history ready", "took", time.Since(t0).Round(time.Millisecond))
			return
		} else {
			b.log.Warn("demo case history not stored; keeping it in memory", "err", err)
		}
	}
	all, trs, err := generate()
	if err != nil {
		b.log.Warn("demo case history not generated", "err", err)
		return
	}
	for i := range all {
		all[i].ID += demoIDBase
	}
	for i := range trs {
		trs[i].CaseID += demoIDBase
	}
	b.attachMu.Lock()
	defer b.attachMu.Unlock()
	switch {
	case b.attached && !b.storeEmpty:
		return
	case b.attached:
		b.add(all, trs)
	default:
		pt := stats.NewPostTable()
		pt.AddAll(trs, caseIndex(all))
		b.load(all, pt)
	}
	b.demoLoaded = true
	b.log.Info("demo case history generated in memory", "cases", len(all), "took", time.Since(t0).Round(time.Millisecond))
}

// importedDemoHistory stores the generated history through the attached
// case store's bulk import (cases.HistoryImporter: a case store that is not
// the GeoPackage's SQLite tables, e.g. PostgreSQL), when the store has
// one: it waits up to tablesWait for the workflow to attach its store.
// done is false (and err nil) when no such store is attached.
func (b *caseBoard) importedDemoHistory(ctx context.Context, generate func() ([]cases.Case, []cases.Transition, error)) (done bool, err error) {
	var imp cases.HistoryImporter
	for deadline := time.Now().Add(b.tablesWait); ; {
		b.attachMu.Lock()
		attached := b.attached
		imp, _ = b.feed.(cases.HistoryImporter)
		b.attachMu.Unlock()
		if attached || !time.Now().Before(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if imp == nil {
		return false, nil
	}
	stored, err := b.store.Meta(ctx, metaDemoCases)
	if err != nil || stored != "" {
		return err == nil, err
	}
	all, trs, err := generate()
	if err != nil {
		return false, err
	}
	if err := imp.ImportHistory(ctx, &cases.History{Cases: all, Transitions: trs}, cases.AppendHistory); err != nil {
		return false, err
	}
	if err := b.store.SetMeta(ctx, metaDemoCases, strconv.Itoa(len(all))); err != nil {
		return false, err
	}
	b.log.Info("demo case history imported into the case store", "cases", len(all), "transitions", len(trs))
	b.attachMu.Lock()
	defer b.attachMu.Unlock()
	if b.storeEmpty {
		b.add(all, trs)
		b.storeEmpty = false
	} else {
		// Live cases came first: reload everything from the store.
		b.attachMu.Unlock()
		err := b.attach(ctx, b.feed)
		b.attachMu.Lock()
		return err == nil, err
	}
	return true, nil
}

// storedDemoHistory stores the generated history unless it is stored
// already, then makes sure the board shows the store's cases.
func (b *caseBoard) storedDemoHistory(ctx context.Context, db *sql.DB, generate func() ([]cases.Case, []cases.Transition, error)) error {
	// The workflow's case service creates the case tables while the
	// server starts; migrating them from here at the same moment would
	// make one of the two fail. Wait for them (up to 5 s, then create
	// them here: a server without the workflow service).
	for deadline := time.Now().Add(b.tablesWait); ; {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'case_cases'`).Scan(&n); (err == nil && n > 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	store, err := sqlitecases.New(ctx, db)
	if err != nil {
		return err
	}
	done, err := b.store.Meta(ctx, metaDemoCases)
	if err != nil {
		return err
	}
	var added []cases.Case
	var addedTrs []cases.Transition
	if done == "" {
		all, trs, err := generate()
		if err != nil {
			return err
		}
		if err := store.ImportHistory(ctx, &cases.History{Cases: all, Transitions: trs}, cases.AppendHistory); err != nil {
			return err
		}
		if err := b.store.SetMeta(ctx, metaDemoCases, strconv.Itoa(len(all))); err != nil {
			return err
		}
		b.log.Info("demo case history stored in the case store", "cases", len(all), "transitions", len(trs))
		added, addedTrs = all, trs
	}
	b.attachMu.Lock()
	attached, empty := b.attached, b.storeEmpty
	b.attachMu.Unlock()
	switch {
	case !attached:
		return b.attach(ctx, store)
	case empty && added != nil:
		// The workflow attached the store before the history was in it.
		b.attachMu.Lock()
		b.add(added, addedTrs)
		b.attachMu.Unlock()
	}
	return nil
}

// caseIndex finds a case of all by id.
func caseIndex(all []cases.Case) func(int64) *cases.Case {
	pos := make(map[int64]int, len(all))
	for i := range all {
		pos[all[i].ID] = i
	}
	return func(id int64) *cases.Case {
		if i, ok := pos[id]; ok {
			return &all[i]
		}
		return nil
	}
}

// add puts cases and their transitions beside the board's current ones.
func (b *caseBoard) add(all []cases.Case, trs []cases.Transition) {
	b.stats().PutAll(all)
	b.postTable().AddAll(trs, caseIndex(all))
	b.openMu.Lock()
	defer b.openMu.Unlock()
	for i := range all {
		b.layer.Put(&all[i])
		if !all[i].State.Terminal() {
			c := all[i]
			b.open[c.ID] = &c
		}
	}
}

// caseEvent is one server-sent event.
type caseEvent struct {
	Type       string            `json:"type"`
	ID         int64             `json:"id"`
	Number     string            `json:"number,omitempty"`
	Action     string            `json:"action,omitempty"`
	State      cases.State       `json:"state"`
	Kind       data.CategoryKind `json:"kind"`
	Category   string            `json:"category"`
	Unit       string            `json:"unit,omitempty"`
	Lon        float64           `json:"lon"`
	Lat        float64           `json:"lat"`
	Overdue    bool              `json:"overdue"`
	At         time.Time         `json:"at"`
	Generation uint64            `json:"generation"`
}

// eventHub fans events out to subscribers; a slow subscriber loses
// events (its buffer is full) rather than holding up the store.
type eventHub struct {
	mu   sync.Mutex
	subs map[chan []byte]struct{}
}

func newEventHub() *eventHub { return &eventHub{subs: map[chan []byte]struct{}{}} }

func (h *eventHub) subscribe() chan []byte {
	ch := make(chan []byte, 64)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch
}

func (h *eventHub) unsubscribe(ch chan []byte) {
	h.mu.Lock()
	delete(h.subs, ch)
	h.mu.Unlock()
}

func (h *eventHub) publish(ev caseEvent) {
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	name := "case"
	if ev.Type != "" {
		name = ev.Type
	}
	b = append([]byte(name+"\n"), b...)
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- b:
		default:
		}
	}
}

// events answers GET /api/v1/case-events: a text/event-stream of case
// changes ("event: case"; "event: reload" when the board reloaded every
// case from the store), with a comment line every 15 s to keep
// proxies from closing it. Browsers read it with fetch (EventSource
// cannot send the bearer token).
func (b *caseBoard) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, fmt.Errorf("event stream: %w", data.ErrUnavailable))
		return
	}
	// The stream outlives the handler timeout by design.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	ch := b.hub.subscribe()
	defer b.hub.unsubscribe(ch)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 2000\nevent: hello\ndata: {\"generation\":%d}\n\n", b.layer.Generation())
	fl.Flush()
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			fl.Flush()
		case msg := <-ch:
			name, body, _ := bytes.Cut(msg, []byte("\n"))
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, body); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

// readRoles are the roles that may read the case map, the statistics and
// the command page's data: every internal role that works on cases.
// Citizens (who see their own reports through Open311) and surveyors
// (component editing) may not.
var readRoles = []data.Role{data.RoleViewer, data.RoleInspector, data.RoleOperator, data.RoleSupervisor,
	data.RoleDispatcher, data.RoleUnit}

// mount adds the board's routes. The page shells (/command, its report
// page and assets) hold no data and ask for a token; the case tiles are
// public; the statistics and the event stream need one of readRoles;
// changing the scoring configuration needs admin.
func (b *caseBoard) mount(r chi.Router) {
	go b.demoHistory(context.Background(), b.index)
	read := r.With(requireRole(readRoles...))
	read.Get("/api/v1/stats", b.statsHandler)
	read.Get("/api/v1/stats/top", b.topHandler)
	read.Get("/api/v1/stats/today", b.todayHandler)
	read.Get("/api/v1/stats/scoring", b.getScoring)
	r.With(requireRole(data.RoleAdmin)).Put("/api/v1/stats/scoring", b.putScoring)
	read.Get("/api/v1/case-events", b.events)
	// Case tiles are public like the rest of /tiles/ and like Open311's
	// request list, which publishes the same facts (place, category,
	// state, agency responsible).
	r.Get("/tiles/cases.json", b.caseTileJSON)
	r.Head("/tiles/cases.json", b.caseTileJSON)
	r.Get("/tiles/cases/{z}/{x}/{y}", b.caseTile)
	r.Head("/tiles/cases/{z}/{x}/{y}", b.caseTile)
	r.Get("/command", b.page)
	r.Get("/command/report", b.reportPage)
	r.Get("/command/assets/{file}", b.asset)
	r.Get("/command/echarts/{file}", b.echarts)
}
