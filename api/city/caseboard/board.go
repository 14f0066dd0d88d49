// Package caseboard is the running city's live view of its cases: the
// statistics table, the post (岗位) scores and the case map, loaded once
// from the case store and kept current by its change listener, with an
// event for every change to whoever subscribes.
package caseboard

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/stats"
	"citygrid/spatial"
	"citygrid/tiles"

	"github.com/paulmach/orb"
)

// The supervision and command side of the case workflow reads one Board:
// the in-memory statistics table, post scores and case map, filled once
// from the case store (Attach) and kept current by the store's change
// listener (Apply), which also publishes an event to every subscriber (the
// command page's event stream).

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

// Board is the city's live view of the cases.
type Board struct {
	log      *slog.Logger
	tableMu  sync.RWMutex // guards the table pointer (load swaps it)
	table    *stats.Table
	posts    *stats.PostTable     // post scores, swapped with table
	accuracy *stats.AccuracyTable // first dispatches, swapped with table
	tableOpt stats.Options
	attachMu sync.Mutex
	// transitionPage is how many transitions Attach reads at once.
	transitionPage int
	layer          *tiles.CaseLayer
	hub            *eventHub
	names          map[stats.Dim]map[string]string // display names per dimension
	gridsOf        map[stats.Dim]map[string]int    // unit grids per street and community
	store          data.Store                      // for the scoring configuration (metadata); may be nil
	now            func() time.Time

	mu            sync.RWMutex
	scoring       stats.Scoring
	recordScoring func(ctx context.Context, body []byte, user string) error // see SetScoringRecorder

	openMu sync.RWMutex
	open   map[int64]*cases.Case // cases not closed, cancelled or refused

	gridCommunity map[string]string // unit grid → community
}

// metaScoring is the store metadata key of the scoring configuration.
const metaScoring = "stats.scoring"

// NewBoard builds an empty board over the city of ix, with the scoring
// configuration stored in st's metadata (st may be nil: the default).
func NewBoard(ix *spatial.Index, st data.Store, logger *slog.Logger) *Board {
	b := &Board{log: logger, hub: newEventHub(), store: st, now: time.Now, open: map[int64]*cases.Case{}, transitionPage: DefaultTransitionPage,
		names: map[stats.Dim]map[string]string{}, gridsOf: map[stats.Dim]map[string]int{}}
	if b.log == nil {
		b.log = slog.Default()
	}
	var ds *data.Dataset
	if ix != nil {
		ds = ix.Dataset()
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
	b.accuracy = stats.NewAccuracyTable()
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
	return b
}

// Attach loads every case of feed, replacing what the board showed; the
// case store then calls Apply after each committed transition.
func (b *Board) Attach(ctx context.Context, feed CaseFeed) error {
	b.attachMu.Lock()
	defer b.attachMu.Unlock()
	var all []cases.Case
	err := feed.All(ctx, func(c *cases.Case) bool {
		all = append(all, *c)
		return true
	})
	if err != nil {
		return fmt.Errorf("load cases for statistics: %w", err)
	}
	pt := stats.NewPostTable()
	if tf, ok := feed.(TransitionFeed); ok {
		if err := loadTransitions(ctx, tf, pt, all, b.transitionPage); err != nil {
			return fmt.Errorf("load transitions for post scores: %w", err)
		}
	} else {
		b.log.Warn("the case store lists no transitions: post scores count only new ones")
	}
	b.load(all, pt)
	return nil
}

// DefaultTransitionPage is how many transitions Attach reads at once.
const DefaultTransitionPage = 20000

// SetTransitionPage sets how many transitions Attach reads at once (n ≤ 0:
// DefaultTransitionPage). Smaller pages bound the memory of a load further;
// tests use tiny ones to put ties across page ends.
func (b *Board) SetTransitionPage(n int) {
	if n <= 0 {
		n = DefaultTransitionPage
	}
	b.attachMu.Lock()
	b.transitionPage = n
	b.attachMu.Unlock()
}

// loadTransitions feeds every stored transition into pt, a page at a
// time (memory stays bounded for millions of transitions). Pages follow
// the store's order (at, case, seq); a page goes in sorted by case and
// Seq, and the table ignores a Seq it has passed, so a case's steps
// count in order as long as its At values grow with Seq (one writer's
// clock; replicas' clocks must agree to well under a step's duration).
func loadTransitions(ctx context.Context, tf TransitionFeed, pt *stats.PostTable, all []cases.Case, transitionPage int) error {
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

// load replaces the board's cases and post table and tells open pages
// to redraw.
func (b *Board) load(all []cases.Case, pt *stats.PostTable) {
	defer b.hub.publish(Event{Type: "reload", Generation: b.layer.Generation() + 1})
	t := stats.NewTable(b.tableOpt)
	t.PutAll(all)
	acc := stats.NewAccuracyTable()
	acc.PutAll(all)
	b.tableMu.Lock()
	b.table, b.posts, b.accuracy = t, pt, acc
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
func (b *Board) Apply(c *cases.Case, t *cases.Transition) {
	b.Stats().Put(c)
	b.Accuracy().Put(c)
	if t != nil {
		b.Posts().Add(c, t)
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
	ev := Event{Type: "case", ID: c.ID, Number: c.Number, State: c.State, Kind: c.Kind, Category: c.Category,
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

// Stats is the current statistics table.
func (b *Board) Stats() *stats.Table {
	b.tableMu.RLock()
	defer b.tableMu.RUnlock()
	return b.table
}

// Accuracy is the current first-dispatch accuracy table (首派准确率).
func (b *Board) Accuracy() *stats.AccuracyTable {
	b.tableMu.RLock()
	defer b.tableMu.RUnlock()
	return b.accuracy
}

// Posts is the current post (岗位) table.
func (b *Board) Posts() *stats.PostTable {
	b.tableMu.RLock()
	defer b.tableMu.RUnlock()
	return b.posts
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

// Event is one change of the board, as the command page's event stream
// sends it: Type "case" for a case change, "reload" when the board
// reloaded every case from the store.
type Event struct {
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

func (h *eventHub) publish(ev Event) {
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

// Subscribe returns a channel of the board's events, each as its type, a
// newline and its JSON. A slow subscriber loses events rather than holding
// up the store; Unsubscribe ends it.
func (b *Board) Subscribe() chan []byte { return b.hub.subscribe() }

// Unsubscribe ends a subscription of Subscribe.
func (b *Board) Unsubscribe(ch chan []byte) { b.hub.unsubscribe(ch) }

// Layer is the case map (tileset "cases").
func (b *Board) Layer() *tiles.CaseLayer { return b.layer }

// Now is the board's clock.
func (b *Board) Now() time.Time { return b.now() }

// SetClock replaces the board's clock (a display frozen at a moment: the
// command page's tests, a replay of a past day).
func (b *Board) SetClock(now func() time.Time) { b.now = now }

// Name is the display name of key in dimension d ("" when unknown). A unit
// grid has no name: its community's name and its own sequence number (the
// code's last three digits) say where it is.
func (b *Board) Name(d stats.Dim, key string) string {
	if d == stats.DimGrid {
		if c, ok := b.gridCommunity[key]; ok {
			if n := b.names[stats.DimCommunity][c]; n != "" && len(key) > 3 {
				return n + " " + key[len(key)-3:] + "号网格"
			}
		}
		return ""
	}
	return b.names[d][key]
}

// GridsOf is the number of unit grids in each street (d = DimStreet) or
// community (DimCommunity).
func (b *Board) GridsOf(d stats.Dim) map[string]int { return b.gridsOf[d] }

// GridCommunity is the community of a unit grid.
func (b *Board) GridCommunity(grid string) (string, bool) {
	c, ok := b.gridCommunity[grid]
	return c, ok
}

// OpenCases calls fn with every case not closed, cancelled or refused, in
// no order; fn must not keep c.
func (b *Board) OpenCases(fn func(c *cases.Case)) {
	b.openMu.RLock()
	defer b.openMu.RUnlock()
	for _, c := range b.open {
		fn(c)
	}
}

// Scoring is the current scoring configuration.
func (b *Board) Scoring() stats.Scoring {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.scoring
}

// SetScoringRecorder makes SaveScoring record every change through fn (a
// new version of a configuration document, attributed to user) instead of
// calling SetScoring directly; fn is expected to call SetScoring.
func (b *Board) SetScoringRecorder(fn func(ctx context.Context, body []byte, user string) error) {
	b.mu.Lock()
	b.recordScoring = fn
	b.mu.Unlock()
}

// SaveScoring is an administrator's change of the scoring configuration:
// recorded (versioned, attributed) when a recorder is set, else stored
// with SetScoring.
func (b *Board) SaveScoring(ctx context.Context, sc stats.Scoring, user string) error {
	if err := sc.Validate(); err != nil {
		return &data.ValidationError{Field: "body", Reason: err.Error()}
	}
	b.mu.RLock()
	rec := b.recordScoring
	b.mu.RUnlock()
	if rec == nil {
		return b.SetScoring(ctx, sc)
	}
	body, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	return rec(ctx, body, user)
}

// SetScoring checks sc, stores it in the store's metadata and uses it at
// once.
func (b *Board) SetScoring(ctx context.Context, sc stats.Scoring) error {
	if err := sc.Validate(); err != nil {
		return &data.ValidationError{Field: "body", Reason: err.Error()}
	}
	if b.store != nil {
		body, _ := json.Marshal(sc)
		if err := b.store.SetMeta(ctx, metaScoring, string(body)); err != nil {
			return fmt.Errorf("store scoring: %w", err)
		}
	}
	b.mu.Lock()
	b.scoring = sc
	b.mu.Unlock()
	return nil
}
