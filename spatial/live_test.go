package spatial

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// liveModel is the test's own record of what the dataset should hold after
// a sequence of edits: features by code, independent of the index's slices.
type liveModel struct {
	base  *data.Dataset
	comps map[string]data.Component
	grids map[string]data.UnitGrid
}

func newLiveModel(ds *data.Dataset) *liveModel {
	m := &liveModel{base: ds, comps: map[string]data.Component{}, grids: map[string]data.UnitGrid{}}
	for _, c := range ds.Components {
		m.comps[c.Code] = c
	}
	for _, g := range ds.UnitGrids {
		m.grids[g.Code] = g
	}
	return m
}

func (m *liveModel) apply(chs []data.Change) {
	for _, ch := range chs {
		switch {
		case ch.Layer == data.LayerComponents && ch.Op == data.OpDelete:
			delete(m.comps, ch.Code)
		case ch.Layer == data.LayerComponents:
			m.comps[ch.Code] = *ch.AfterComponent
		case ch.Op == data.OpDelete:
			delete(m.grids, ch.Code)
		default:
			m.grids[ch.Code] = *ch.AfterUnitGrid
		}
	}
}

// dataset is the model as a fresh dataset, features sorted by code (an
// order unrelated to the edited index's).
func (m *liveModel) dataset() *data.Dataset {
	ds := *m.base
	ds.Components = nil
	for _, c := range m.comps {
		ds.Components = append(ds.Components, c)
	}
	slices.SortFunc(ds.Components, func(a, b data.Component) int { return cmpStr(a.Code, b.Code) })
	ds.UnitGrids = nil
	for _, g := range m.grids {
		ds.UnitGrids = append(ds.UnitGrids, g)
	}
	slices.SortFunc(ds.UnitGrids, func(a, b data.UnitGrid) int { return cmpStr(a.Code, b.Code) })
	return &ds
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// randomEdit makes one store-like change batch: a component added, moved,
// re-categorised or deleted, or a unit grid split in two, two split halves
// merged back, or a grid re-attributed to another community.
func (m *liveModel) randomEdit(r *rand.Rand, b orb.Bound, seq *int) []data.Change {
	*seq++
	codes := func(mp map[string]data.Component) []string {
		out := make([]string, 0, len(mp))
		for c := range mp {
			out = append(out, c)
		}
		slices.Sort(out)
		return out
	}
	pt := func() orb.Point {
		return orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
	}
	cats := []string{"0101", "0109", "0201"}
	switch k := r.IntN(10); {
	case k < 3: // insert
		c := data.Component{Code: fmt.Sprintf("320114NEW%06d", *seq), Category: cats[r.IntN(3)], Name: "新部件", Geometry: pt(), Status: data.StatusIntact, Version: 1}
		if r.IntN(5) == 0 {
			c.Category, c.Geometry = "0301", orb.LineString{pt(), pt()}
		}
		return []data.Change{{Layer: data.LayerComponents, Op: data.OpInsert, Code: c.Code, AfterComponent: &c}}
	case k < 6: // update
		cs := codes(m.comps)
		before := m.comps[cs[r.IntN(len(cs))]]
		after := before
		after.Version++
		if _, ok := before.Geometry.(orb.Point); ok {
			after.Geometry = pt()
		}
		if r.IntN(3) == 0 && before.Category != "0301" {
			after.Category = cats[r.IntN(3)]
		}
		after.Status = data.StatusDamaged
		return []data.Change{{Layer: data.LayerComponents, Op: data.OpUpdate, Code: after.Code, BeforeComponent: &before, AfterComponent: &after}}
	case k < 8: // delete
		cs := codes(m.comps)
		before := m.comps[cs[r.IntN(len(cs))]]
		return []data.Change{{Layer: data.LayerComponents, Op: data.OpDelete, Code: before.Code, BeforeComponent: &before}}
	}
	gs := make([]string, 0, len(m.grids))
	for c := range m.grids {
		gs = append(gs, c)
	}
	slices.Sort(gs)
	g := m.grids[gs[r.IntN(len(gs))]]
	ring := g.Geometry[0][0]
	switch {
	case len(g.Geometry) == 1 && len(g.Geometry[0]) == 1 && len(ring) == 5 && r.IntN(2) == 0: // split
		a := data.UnitGrid{Code: fmt.Sprintf("%sA%d", g.Code, *seq), Community: g.Community,
			Geometry: orb.MultiPolygon{{{ring[0], ring[1], ring[2], ring[0]}}}, AreaM2: g.AreaM2 / 2}
		c := data.UnitGrid{Code: fmt.Sprintf("%sB%d", g.Code, *seq), Community: g.Community,
			Geometry: orb.MultiPolygon{{{ring[0], ring[2], ring[3], ring[0]}}}, AreaM2: g.AreaM2 / 2}
		return []data.Change{
			{Layer: data.LayerUnitGrids, Op: data.OpDelete, Code: g.Code, BeforeUnitGrid: &g},
			{Layer: data.LayerUnitGrids, Op: data.OpInsert, Code: a.Code, AfterUnitGrid: &a},
			{Layer: data.LayerUnitGrids, Op: data.OpInsert, Code: c.Code, AfterUnitGrid: &c},
		}
	case len(ring) == 4: // a split half: merge it with any other grid's outline replaced
		merged := g
		merged.Code = fmt.Sprintf("%sM%d", g.Code[:14], *seq)
		merged.Geometry = orb.MultiPolygon{{{ring[0], ring[1], ring[2], ring[0]}}}
		return []data.Change{
			{Layer: data.LayerUnitGrids, Op: data.OpDelete, Code: g.Code, BeforeUnitGrid: &g},
			{Layer: data.LayerUnitGrids, Op: data.OpInsert, Code: merged.Code, AfterUnitGrid: &merged},
		}
	default: // re-attribute
		after := g
		after.Community = g.Community + "X"
		return []data.Change{{Layer: data.LayerUnitGrids, Op: data.OpUpdate, Code: g.Code, BeforeUnitGrid: &g, AfterUnitGrid: &after}}
	}
}

// TestApplyAgreesWithAFreshBuild replays random edits on a live index and
// checks every lookup against an index built from scratch over the
// test's own record of the edited city.
func TestApplyAgreesWithAFreshBuild(t *testing.T) {
	sc, ix := buildSynth(t, 11, 14, 12, 3)
	m := newLiveModel(sc.ds)
	r := rand.New(rand.NewPCG(5, 6))
	b := sc.bound.Pad(0.0005)
	seq := 0
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	for round := 0; round < rounds; round++ {
		for e := 0; e < 5; e++ {
			chs := m.randomEdit(r, b, &seq)
			if err := ix.Apply(chs); err != nil {
				t.Fatalf("round %d: apply %+v: %v", round, chs[0], err)
			}
			m.apply(chs)
		}
		fresh, err := Build(m.dataset())
		if err != nil {
			t.Fatal(err)
		}
		compareIndexes(t, fmt.Sprintf("round %d", round), ix, fresh, r, b)
	}
}

func compareIndexes(t *testing.T, at string, live, fresh *Index, r *rand.Rand, b orb.Bound) {
	t.Helper()
	if len(live.ds.Components) != len(fresh.ds.Components) || len(live.ds.UnitGrids) != len(fresh.ds.UnitGrids) {
		t.Fatalf("%s: live has %d components, %d grids; fresh %d, %d", at,
			len(live.ds.Components), len(live.ds.UnitGrids), len(fresh.ds.Components), len(fresh.ds.UnitGrids))
	}
	for _, c := range fresh.ds.Components {
		got, ok := live.Component(c.Code)
		if !ok || !reflect.DeepEqual(*got, c) {
			t.Fatalf("%s: Component(%s) = %+v, %v; want %+v", at, c.Code, got, ok, c)
		}
	}
	for _, g := range fresh.ds.UnitGrids {
		if got, ok := live.UnitGrid(g.Code); !ok || got.Community != g.Community {
			t.Fatalf("%s: UnitGrid(%s) = %+v, %v", at, g.Code, got, ok)
		}
	}
	for i := 0; i < 300; i++ {
		p := orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
		l1, e1 := live.Locate(p)
		l2, e2 := fresh.Locate(p)
		if !reflect.DeepEqual(l1, l2) || !errors.Is(e1, ErrOutside) != !errors.Is(e2, ErrOutside) {
			t.Fatalf("%s: Locate(%v):\nlive  %+v %v\nfresh %+v %v", at, p, l1, e1, l2, e2)
		}
		n1, e1 := live.Nearest(p, 5, 200, nil)
		n2, e2 := fresh.Nearest(p, 5, 200, nil)
		if !reflect.DeepEqual(n1, n2) || (e1 == nil) != (e2 == nil) {
			t.Fatalf("%s: Nearest(%v):\nlive  %+v %v\nfresh %+v %v", at, p, n1, e1, n2, e2)
		}
		cat := []string{"0101", "0109", "0201", "E0101"}[i%4]
		kind := data.KindComponent
		if cat == "E0101" {
			kind = data.KindEvent
		}
		r1, e1 := live.Responsible(p, kind, cat, "")
		r2, e2 := fresh.Responsible(p, kind, cat, "")
		if !reflect.DeepEqual(r1, r2) || (e1 == nil) != (e2 == nil) {
			t.Fatalf("%s: Responsible(%v, %s):\nlive  %+v %v\nfresh %+v %v", at, p, cat, r1, e1, r2, e2)
		}
	}
	w1, _ := live.WithinBound(b, nil, 100000)
	w2, _ := fresh.WithinBound(b, nil, 100000)
	if w1.Count != w2.Count {
		t.Fatalf("%s: WithinBound counts live %d, fresh %d", at, w1.Count, w2.Count)
	}
}

func TestApplyRefusesInconsistentChangesAndAppliesNothing(t *testing.T) {
	sc, ix := buildSynth(t, 3, 6, 6, 2)
	c := sc.ds.Components[0]
	n := len(ix.ds.Components)
	moved := c
	moved.Geometry = orb.Point{0, 0}
	for name, chs := range map[string][]data.Change{
		"insert existing": {{Layer: data.LayerComponents, Op: data.OpInsert, Code: c.Code, AfterComponent: &c}},
		"delete missing":  {{Layer: data.LayerComponents, Op: data.OpUpdate, Code: moved.Code, AfterComponent: &moved}, {Layer: data.LayerComponents, Op: data.OpDelete, Code: "nope"}},
		"unknown layer":   {{Layer: "roads", Op: data.OpDelete, Code: "x"}},
		"update no after": {{Layer: data.LayerComponents, Op: data.OpUpdate, Code: c.Code}},
		"code mismatch":   {{Layer: data.LayerComponents, Op: data.OpUpdate, Code: "other", AfterComponent: &c}},
		"twice inserted":  {{Layer: data.LayerUnitGrids, Op: data.OpDelete, Code: sc.ds.UnitGrids[0].Code}, {Layer: data.LayerUnitGrids, Op: data.OpUpdate, Code: sc.ds.UnitGrids[0].Code, AfterUnitGrid: &sc.ds.UnitGrids[0]}},
	} {
		err := ix.Apply(chs)
		var ve *data.ValidationError
		if err == nil || !(errors.Is(err, data.ErrConflict) || errors.As(err, &ve)) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if got, _ := ix.Component(c.Code); len(ix.ds.Components) != n || !reflect.DeepEqual(*got, c) {
		t.Fatalf("a refused batch changed the index: %d components, %+v", len(ix.ds.Components), got)
	}
}

// TestLookupsRunWhileEditsApply runs lookups on several goroutines while
// edits are applied (go test -race checks the locking); every answer must
// be one of the states the edits pass through.
func TestLookupsRunWhileEditsApply(t *testing.T) {
	sc, ix := buildSynth(t, 4, 10, 10, 2)
	c := sc.ds.Components[0]
	p0 := c.Geometry.(orb.Point)
	p1 := orb.Point{p0[0] + 0.0003, p0[1] + 0.0002}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad sync.Once
	var badMsg string
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, _ := ix.Nearest(p0, 1, 0.01, []string{c.Category})
				if res.Count > 1 {
					bad.Do(func() { badMsg = fmt.Sprintf("%+v", res) })
				}
				_, _ = ix.Locate(p1)
				ix.View(func() { _ = len(ix.Dataset().Components) })
			}
		}()
	}
	for i := 0; i < 400; i++ {
		after := c
		after.Version = int64(i + 2)
		if i%2 == 0 {
			after.Geometry = p1
		}
		if err := ix.Apply([]data.Change{{Layer: data.LayerComponents, Op: data.OpUpdate, Code: c.Code, AfterComponent: &after}}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if badMsg != "" {
		t.Fatal(badMsg)
	}
	if got, _ := ix.Component(c.Code); got.Version != 401 || got.Geometry.(orb.Point) != p0 {
		t.Fatalf("after the edits: %+v", got)
	}
}

// TestGridEditsKeepTheLocateFastPath: re-attributing a grid (same outline,
// new community) replaces its layer item; the interior marks that add and
// remove clear around it are restored, cell by cell naming the same grids
// as before the edit, so locate's raster fast path does not wear away.
func TestGridEditsKeepTheLocateFastPath(t *testing.T) {
	sc, ix := buildSynth(t, 21, 12, 12, 1)
	g := sc.ds.UnitGrids[len(sc.ds.UnitGrids)/2]
	m := ix.grids.marks
	codeAt := func() map[int]string {
		out := map[int]string{}
		for c, it := range m.inside {
			if it >= 0 {
				out[c] = ix.grids.code[it]
			}
		}
		return out
	}
	before := codeAt()
	after := g
	after.Community = g.Community + "X"
	if err := ix.Apply([]data.Change{{Layer: data.LayerUnitGrids, Op: data.OpUpdate, Code: g.Code, AfterUnitGrid: &after}}); err != nil {
		t.Fatal(err)
	}
	got := codeAt()
	if !reflect.DeepEqual(got, before) {
		lost := 0
		for c := range before {
			if got[c] != before[c] {
				lost++
			}
		}
		t.Fatalf("%d of %d marked cells differ after the edit", lost, len(before))
	}
	inGrid := 0
	for _, code := range got {
		if code == g.Code {
			inGrid++
		}
	}
	if inGrid == 0 {
		t.Fatal("the edited grid has no marked cell: the test proves nothing")
	}
}

// TestEditsGetInBetweenBatches: batches run back to back on several
// goroutines (their lookups always overlapping) while edits are applied;
// every edit must get in. Batches lock per lookup, not per batch, so the
// lock falls free between lookups (a batch-long read lock held by two
// overlapping batch loops would starve the writer). The watchdog only
// turns a hang into a failure.
func TestEditsGetInBetweenBatches(t *testing.T) {
	sc, ix := buildSynth(t, 8, 10, 10, 2)
	pts := cityPoints(sc.ds, 5000, 3)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := ix.LocateBatch(pts); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := sc.ds.Components[0]
		for i := 0; i < 20; i++ {
			after := c
			after.Version = int64(i + 2)
			if err := ix.Apply([]data.Change{{Layer: data.LayerComponents, Op: data.OpUpdate, Code: c.Code, AfterComponent: &after}}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Error("edits starved by back-to-back batches")
	}
	close(stop)
	wg.Wait()
}
