package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/gpkg/gpkgtest"
)

// Editable is a store with its editing side.
type Editable interface {
	data.Store
	data.Editor
}

// OpenEditor makes a new, empty store for one test, and a function that
// opens a second handle on that same store (another process or replica);
// the suite closes both.
type OpenEditor func(t testing.TB) (st Editable, reopen func(t testing.TB) Editable)

// RunEditor runs the single-edit part of the data.Editor suite (component
// writes, optimistic concurrency, history, scans, as-of reads) against the
// stores open makes, on gpkgtest.City. A store that is a data.ChangeLog
// must also number the changes its edits return as its log does.
func RunEditor(t *testing.T, open OpenEditor) {
	t.Run("VersionsHistoryAndPreconditions", func(t *testing.T) { editVersions(t, open) })
	t.Run("ValidationNamesTheField", func(t *testing.T) { editValidation(t, open) })
	t.Run("EditsSeeCategoriesImportedByAnotherHandle", func(t *testing.T) { editSeesImports(t, open) })
	t.Run("RacingHandlesOneWins", func(t *testing.T) { editRace(t, open) })
	t.Run("ScanComponents", func(t *testing.T) { editScan(t, open) })
}

// OpenCity opens a store with gpkgtest.City inserted.
func OpenCity(t testing.TB, open OpenEditor) (Editable, func(t testing.TB) Editable) {
	t.Helper()
	st, reopen := open(t)
	t.Cleanup(func() { st.Close() })
	if err := st.Insert(context.Background(), gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	return st, func(t testing.TB) Editable {
		o := reopen(t)
		t.Cleanup(func() { o.Close() })
		return o
	}
}

// Lamp is a manhole cover (category 0101) of gpkgtest.City at p.
func Lamp(code string, p orb.Point) data.Component {
	return data.Component{Code: code, Category: "0101", Name: "上水井盖", Geometry: p,
		Department: "D0003", Owner: "D0003", Status: data.StatusIntact}
}

// Who is the suite's edit metadata.
var Who = data.EditMeta{User: "surveyor1", Reason: "2026 普查"}

// Snapshot is what a store holds, as text: every layer of Load, the
// histories of the given codes and, for a data.ChangeLog, its last Seq.
// Refused writes must leave it unchanged.
func Snapshot(t testing.TB, st Editable, codes ...string) string {
	t.Helper()
	ctx := context.Background()
	ds, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%#v\n", ds.Components)
	fmt.Fprintf(&b, "%#v\n", ds.UnitGrids)
	for _, c := range codes {
		h, err := st.History(ctx, "components", c)
		if err != nil && !errors.Is(err, data.ErrNotFound) {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s: %d changes\n", c, len(h))
	}
	if l, ok := st.(data.ChangeLog); ok {
		seq, err := l.LastChangeSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "log at %d\n", seq)
	}
	return b.String()
}

// checkLog compares the changes edits returned with the store's log.
func checkLog(t *testing.T, st Editable, returned []data.Change) {
	t.Helper()
	l, ok := st.(data.ChangeLog)
	if !ok {
		return
	}
	logged, err := l.ChangesSince(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) != len(returned) {
		t.Fatalf("the log holds %d changes, the edits returned %d", len(logged), len(returned))
	}
	for i := range logged {
		g, w := logged[i], returned[i]
		if g.Seq != int64(i+1) || g.Seq != w.Seq || g.Op != w.Op || g.Code != w.Code || g.Version != w.Version ||
			!g.At.Equal(w.At) || g.User != w.User || g.Reason != w.Reason {
			t.Errorf("log entry %d: %s %s v%d seq %d at %v by %s, the edit returned %s %s v%d seq %d at %v by %s",
				i, g.Op, g.Code, g.Version, g.Seq, g.At, g.User, w.Op, w.Code, w.Version, w.Seq, w.At, w.User)
		}
		if (g.AfterComponent == nil) != (w.AfterComponent == nil) || (g.BeforeComponent == nil) != (w.BeforeComponent == nil) {
			t.Errorf("log entry %d: before/after sides differ from the edit's", i)
		} else if g.AfterComponent != nil && (!reflect.DeepEqual(g.AfterComponent.Geometry, w.AfterComponent.Geometry) ||
			g.AfterComponent.Version != w.AfterComponent.Version || g.AfterComponent.UnitGrid != w.AfterComponent.UnitGrid) {
			t.Errorf("log entry %d: after %+v, the edit returned %+v", i, g.AfterComponent, w.AfterComponent)
		}
	}
	if last, err := l.LastChangeSeq(context.Background()); err != nil || last != int64(len(returned)) {
		t.Errorf("LastChangeSeq = %d, %v; want %d", last, err, len(returned))
	}
	n := int64(len(returned))
	if part, err := l.ChangesSince(context.Background(), 1, 2); err != nil || len(part) != 2 || part[0].Seq != 2 || part[1].Seq != 3 {
		t.Errorf("ChangesSince(1, limit 2) = %d changes, %v; want seqs 2, 3", len(part), err)
	}
	if part, err := l.ChangesSince(context.Background(), n, 10); err != nil || len(part) != 0 {
		t.Errorf("ChangesSince(last) = %d changes, %v; want none", len(part), err)
	}
	if _, err := l.ChangesSince(context.Background(), n+1, 10); !errors.Is(err, data.ErrGone) {
		t.Errorf("ChangesSince beyond the last seq: %v, want ErrGone (the store was replaced: reload)", err)
	}
}

func editVersions(t *testing.T, open OpenEditor) {
	ctx := context.Background()
	st, _ := OpenCity(t, open)
	var all []data.Change
	t0 := time.Now().UTC()
	time.Sleep(3 * time.Millisecond)

	ch, err := st.CreateComponent(ctx, Lamp("3201140101000100", orb.Point{118.775, 31.995}), Who)
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, ch...)
	if len(ch) != 1 || ch[0].Op != data.OpInsert || ch[0].Version != 1 || ch[0].AfterComponent.UnitGrid != "320114001001002" || ch[0].User != "surveyor1" {
		t.Fatalf("create changes %+v", ch)
	}
	time.Sleep(3 * time.Millisecond)
	t1 := time.Now().UTC()
	time.Sleep(3 * time.Millisecond)

	// A stale version is refused with the current one in the details.
	_, err = st.PatchComponent(ctx, "3201140101000100", 7, func(c *data.Component) error { c.Name = "x"; return nil }, Who)
	var pe *data.PreconditionError
	if !errors.As(err, &pe) || !errors.Is(err, data.ErrPrecondition) || pe.Current != 1 {
		t.Fatalf("stale patch: %v", err)
	}
	if d := pe.ErrorDetails().(map[string]any); d["current_version"] != int64(1) || d["etag"] != `"3201140101000100-v1"` {
		t.Fatalf("details %v", d)
	}

	// Moving it into the other grid re-derives the unit grid.
	ch, err = st.PatchComponent(ctx, "3201140101000100", 1, func(c *data.Component) error {
		c.Geometry = orb.Point{118.765, 31.996}
		c.Status = data.StatusDamaged
		return nil
	}, data.EditMeta{User: "surveyor2", Reason: "moved"})
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, ch...)
	if ch[0].Op != data.OpUpdate || ch[0].Version != 2 || ch[0].BeforeComponent.UnitGrid != "320114001001002" || ch[0].AfterComponent.UnitGrid != "320114001001001" {
		t.Fatalf("update changes %+v", ch[0])
	}
	if c, err := st.Component(ctx, "3201140101000100"); err != nil || c.Version != 2 || c.UnitGrid != "320114001001001" || !c.ChangedAt.Equal(ch[0].At) {
		t.Fatalf("stored after the update: %+v %v (change at %v)", c, err, ch[0].At)
	}
	time.Sleep(3 * time.Millisecond)
	t2 := time.Now().UTC()
	time.Sleep(3 * time.Millisecond)

	if _, err := st.DeleteComponent(ctx, "3201140101000100", 1, Who); !errors.Is(err, data.ErrPrecondition) {
		t.Fatalf("stale delete: %v", err)
	}
	ch, err = st.DeleteComponent(ctx, "3201140101000100", 2, Who)
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, ch...)
	if _, err := st.Component(ctx, "3201140101000100"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("deleted component still read: %v", err)
	}
	// A conditional write on a deleted component is a precondition failure;
	// an unconditional one is not found.
	if _, err := st.PatchComponent(ctx, "3201140101000100", 2, func(*data.Component) error { return nil }, Who); !errors.As(err, &pe) || pe.Exists {
		t.Fatalf("patch of deleted: %v", err)
	}
	if _, err := st.DeleteComponent(ctx, "3201140101000100", data.AnyVersion, Who); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("unconditional delete of deleted: %v", err)
	}

	h, err := st.History(ctx, "components", "3201140101000100")
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, e := range h {
		ops = append(ops, string(e.Op)+"/"+e.User)
	}
	if want := []string{"insert/surveyor1", "update/surveyor2", "delete/surveyor1"}; !reflect.DeepEqual(ops, want) {
		t.Fatalf("history %v, want %v", ops, want)
	}
	if h[1].Reason != "moved" || h[1].BeforeComponent.Status != data.StatusIntact || h[1].AfterComponent.Status != data.StatusDamaged || h[2].AfterComponent != nil {
		t.Fatalf("history rows %+v", h)
	}
	if _, err := st.History(ctx, "components", "3201140101009999"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("history of a code never stored: %v", err)
	}
	if h, err := st.History(ctx, "components", "3201140101000001"); err != nil || len(h) != 0 {
		t.Fatalf("history of an imported, never edited component: %v %v", h, err)
	}

	// As-of reads.
	if _, err := st.ComponentAsOf(ctx, "3201140101000100", t0); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("as of before creation: %v", err)
	}
	c1, err := st.ComponentAsOf(ctx, "3201140101000100", t1)
	if err != nil || c1.Version != 1 || c1.Status != data.StatusIntact || c1.Geometry != (orb.Point{118.775, 31.995}) {
		t.Fatalf("as of t1: %+v %v", c1, err)
	}
	c2, err := st.ComponentAsOf(ctx, "3201140101000100", t2)
	if err != nil || c2.Version != 2 || c2.Status != data.StatusDamaged {
		t.Fatalf("as of t2: %+v %v", c2, err)
	}
	layer, err := st.ComponentsAsOf(ctx, t1)
	if err != nil || len(layer) != 4 {
		t.Fatalf("layer as of t1: %d components, %v", len(layer), err)
	}
	for i := 1; i < len(layer); i++ {
		if layer[i-1].Code >= layer[i].Code {
			t.Fatalf("layer as of t1 not in code order: %s before %s", layer[i-1].Code, layer[i].Code)
		}
	}
	if layer, _ := st.ComponentsAsOf(ctx, time.Now().Add(time.Second)); len(layer) != 3 {
		t.Fatalf("layer now: %d components, want 3", len(layer))
	}
	if layer, _ := st.ComponentsAsOf(ctx, t0); len(layer) != 3 {
		t.Fatalf("layer before any edit: %d components, want the 3 imported", len(layer))
	}

	// A deleted code that comes back continues its versions.
	ch, err = st.CreateComponent(ctx, Lamp("3201140101000100", orb.Point{118.775, 31.995}), Who)
	if err != nil || ch[0].Version != 3 {
		t.Fatalf("re-create: %+v %v", ch, err)
	}
	all = append(all, ch...)
	// Without a code, the next free sequence of county+category (never a
	// deleted one): 000100 is the highest, so 000101.
	ch, err = st.CreateComponent(ctx, Lamp("", orb.Point{118.775, 31.995}), Who)
	if err != nil || ch[0].Code != "3201140101000101" {
		t.Fatalf("assigned code: %+v %v", ch, err)
	}
	all = append(all, ch...)
	if _, err := st.CreateComponent(ctx, Lamp("3201140101000100", orb.Point{118.775, 31.995}), Who); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("duplicate create: %v", err)
	}
	// UpdateComponent replaces every field but the code; the store owns
	// the unit grid and the version.
	repl := Lamp("3201140101000101", orb.Point{118.765, 31.995})
	repl.Name, repl.UnitGrid, repl.Version = "雨水井盖", "320114001001002", 99
	ch, err = st.UpdateComponent(ctx, repl, 1, Who)
	if err != nil || ch[0].AfterComponent.Name != "雨水井盖" || ch[0].AfterComponent.UnitGrid != "320114001001001" || ch[0].Version != 2 {
		t.Fatalf("update: %+v %v", ch, err)
	}
	all = append(all, ch...)
	if _, err := st.PatchComponent(ctx, "3201140101000101", 2, func(c *data.Component) error { c.Code = "3201140101000102"; return nil }, Who); !isValidation(err, "code") {
		t.Fatalf("patch changing the code: %v", err)
	}
	checkLog(t, st, all)
}

func isValidation(err error, field string) bool {
	var ves data.ValidationErrors
	return errors.As(err, &ves) && len(ves) > 0 && ves[0].Field == field
}

func editValidation(t *testing.T, open OpenEditor) {
	ctx := context.Background()
	st, _ := OpenCity(t, open)
	cases := []struct {
		name  string
		edit  func(*data.Component)
		field string
	}{
		{"unknown category", func(c *data.Component) { c.Category = "0999"; c.Code = "3201140999000001" }, "category"},
		{"line for a point category", func(c *data.Component) { c.Geometry = orb.LineString{{118.771, 31.991}, {118.772, 31.992}} }, "geometry"},
		{"outside the city", func(c *data.Component) { c.Geometry = orb.Point{119.5, 31.995} }, "geometry"},
		{"NaN", func(c *data.Component) { c.Geometry = orb.Point{math.NaN(), 31.995} }, "geometry"},
		{"Inf", func(c *data.Component) { c.Geometry = orb.Point{118.77, math.Inf(1)} }, "geometry"},
		{"code of another category", func(c *data.Component) { c.Code = "3201140213000100" }, "code"},
		{"code of another county", func(c *data.Component) { c.Code = "3201150101000100" }, "code"},
		{"long name", func(c *data.Component) { c.Name = strings.Repeat("井", 101) }, "name"},
		{"long note", func(c *data.Component) { c.Note = strings.Repeat("x", 1001) }, "note"},
		{"unknown department", func(c *data.Component) { c.Department = "D9999" }, "department"},
		{"bad status", func(c *data.Component) { c.Status = "gone" }, "status"},
		{"in no grid", func(c *data.Component) { c.Geometry = orb.Point{118.85, 31.92} }, "geometry"},
	}
	before := Snapshot(t, st, "3201140101000100", "3201140101000001")
	for _, tc := range cases {
		c := Lamp("3201140101000100", orb.Point{118.775, 31.995})
		tc.edit(&c)
		if _, err := st.CreateComponent(ctx, c, Who); !isValidation(err, tc.field) {
			t.Errorf("create, %s: %v, want a validation error on %s", tc.name, err, tc.field)
		}
		if tc.field == "code" {
			continue // a patch keeps the stored code
		}
		if _, err := st.PatchComponent(ctx, "3201140101000001", data.AnyVersion, func(s *data.Component) error {
			code := s.Code
			*s = c
			s.Code = code
			return nil
		}, Who); !isValidation(err, tc.field) {
			t.Errorf("patch, %s: %v, want a validation error on %s", tc.name, err, tc.field)
		}
	}
	// An error of the patch function itself is returned as it is.
	boom := errors.New("boom")
	if _, err := st.PatchComponent(ctx, "3201140101000001", data.AnyVersion, func(*data.Component) error { return boom }, Who); !errors.Is(err, boom) {
		t.Errorf("patch function's error: %v", err)
	}
	if after := Snapshot(t, st, "3201140101000100", "3201140101000001"); after != before {
		t.Fatalf("refused edits changed the store:\n%s\nwant\n%s", after, before)
	}
}

// editSeesImports: a category imported through a second handle on the
// store (another process or replica) is known to the next edit.
func editSeesImports(t *testing.T, open OpenEditor) {
	ctx := context.Background()
	st, reopen := OpenCity(t, open)
	if _, err := st.CreateComponent(ctx, Lamp("", orb.Point{118.775, 31.995}), Who); err != nil {
		t.Fatal(err)
	}
	hydrant := Lamp("", orb.Point{118.776, 31.995})
	hydrant.Category = "0110"
	if _, err := st.CreateComponent(ctx, hydrant, Who); err == nil {
		t.Fatal("an unknown category was accepted")
	}
	other := reopen(t)
	if err := other.Insert(ctx, &data.Dataset{Categories: []data.Category{{Scheme: data.SchemeGBT30428, Kind: data.KindComponent,
		Code: "0110", Name: "消防设施", Big: "01", BigName: "公用设施", Geometry: data.GeomPoint, Department: "D0003", DeadlineClass: "A"}}}); err != nil {
		t.Fatal(err)
	}
	ch, err := st.CreateComponent(ctx, hydrant, Who)
	if err != nil || ch[0].Code != "3201140110000001" {
		t.Fatalf("after the import: %+v %v", ch, err)
	}
}

// editRace: handles on one store (replicas) patch one component from the
// same version at once: exactly one wins, every other gets a
// PreconditionError naming the winner's version, and the history holds the
// one winning change.
func editRace(t *testing.T, open OpenEditor) {
	ctx := context.Background()
	st, reopen := OpenCity(t, open)
	handles := []Editable{st, reopen(t), reopen(t)}
	const code = "3201140101000001"
	for round := range 3 {
		cur, err := st.Component(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		const racers = 6
		var wg sync.WaitGroup
		errs := make([]error, racers)
		start := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = handles[i%len(handles)].PatchComponent(ctx, code, cur.Version, func(c *data.Component) error {
					c.Name = fmt.Sprintf("round %d racer %d", round, i)
					return nil
				}, Who)
			}()
		}
		close(start)
		wg.Wait()
		wins, winner := 0, -1
		for i, err := range errs {
			var pe *data.PreconditionError
			switch {
			case err == nil:
				wins++
				winner = i
			case errors.As(err, &pe) && pe.Exists && pe.Expected == cur.Version:
				// lost the race
			default:
				t.Fatalf("round %d racer %d: %v", round, i, err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d racers won, want exactly 1", round, wins)
		}
		got, err := handles[1].Component(ctx, code)
		if err != nil || got.Version != cur.Version+1 || got.Name != fmt.Sprintf("round %d racer %d", round, winner) {
			t.Fatalf("round %d: stored %+v %v, want version %d by racer %d", round, got, err, cur.Version+1, winner)
		}
	}
	h, err := st.History(ctx, "components", code)
	if err != nil || len(h) != 3 {
		t.Fatalf("history after 3 rounds: %d entries, %v; want 3", len(h), err)
	}
	if l, ok := st.(data.ChangeLog); ok {
		cs, err := l.ChangesSince(ctx, 0, 100)
		if err != nil || len(cs) != 3 {
			t.Fatalf("log after 3 rounds: %d changes, %v; want 3", len(cs), err)
		}
		for i, c := range cs {
			if c.Seq != int64(i+1) || c.Code != code || c.Version != h[i].Version {
				t.Errorf("log entry %d: seq %d %s v%d, want seq %d v%d", i, c.Seq, c.Code, c.Version, i+1, h[i].Version)
			}
		}
	}
}

func editScan(t *testing.T, open OpenEditor) {
	ctx := context.Background()
	st, _ := OpenCity(t, open)
	for _, p := range []orb.Point{{118.775, 31.995}, {118.765, 31.995}, {118.776, 31.996}} {
		if _, err := st.CreateComponent(ctx, Lamp("", p), Who); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	scan := func(after, grid, cat string, max int) []string {
		var out []string
		if err := st.ScanComponents(ctx, after, grid, cat, func(c *data.Component) bool {
			out = append(out, c.Code)
			return len(out) < max
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	naive := func(after, grid, cat string, max int) []string {
		var out []string
		for _, c := range ds.Components {
			if c.Code > after && (grid == "" || c.UnitGrid == grid) && (cat == "" || c.Category == cat) {
				out = append(out, c.Code)
			}
		}
		// code order
		for i := range out {
			for j := i + 1; j < len(out); j++ {
				if out[j] < out[i] {
					out[i], out[j] = out[j], out[i]
				}
			}
		}
		if len(out) > max {
			out = out[:max]
		}
		return out
	}
	for _, q := range []struct {
		after, grid, cat string
		max              int
	}{
		{"", "", "", 100}, {"", "", "", 2}, {"3201140101000001", "", "", 100}, {"", "320114001001002", "", 100},
		{"", "", "0101", 100}, {"", "320114001001001", "0101", 100}, {"3201140101000002", "", "0101", 1}, {"", "", "0999", 100},
	} {
		got, want := scan(q.after, q.grid, q.cat, q.max), naive(q.after, q.grid, q.cat, q.max)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("scan after %q grid %q category %q max %d: %v, want %v", q.after, q.grid, q.cat, q.max, got, want)
		}
	}
	if got := scan("", "", "", 100); len(got) != 6 {
		t.Errorf("scan of everything: %d components, want 6", len(got))
	}
}

// BenchSingleEdit measures single conditional edits (a patch moving one
// component) on a store holding gpkgtest.City.
func BenchSingleEdit(b *testing.B, open OpenEditor) {
	ctx := context.Background()
	st, _ := OpenCity(b, open)
	if _, err := st.CreateComponent(ctx, Lamp("3201140101000100", orb.Point{118.775, 31.995}), Who); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x := 118.7701 + float64(i%97)*0.0001
		if _, err := st.PatchComponent(ctx, "3201140101000100", int64(i+1), func(c *data.Component) error {
			c.Geometry = orb.Point{x, 31.995}
			return nil
		}, Who); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "edits/s")
}

// BenchParallelEdits measures single edits from 16 concurrent clients
// (8 per GOMAXPROCS on 2 cores), each patching a component of its own
// unconditionally: what a store sustains when many surveyors (or replicas)
// write at once.
func BenchParallelEdits(b *testing.B, open OpenEditor) {
	ctx := context.Background()
	st, _ := OpenCity(b, open)
	const comps = 64
	codes := make([]string, comps)
	for i := range codes {
		ch, err := st.CreateComponent(ctx, Lamp("", orb.Point{118.7701 + float64(i)*0.0001, 31.995}), Who)
		if err != nil {
			b.Fatal(err)
		}
		codes[i] = ch[0].Code
	}
	var next sync.Mutex
	n := 0
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		next.Lock()
		code := codes[n%comps]
		n++
		next.Unlock()
		i := 0
		for pb.Next() {
			i++
			y := 31.991 + float64(i%89)*0.0001
			if _, err := st.PatchComponent(ctx, code, data.AnyVersion, func(c *data.Component) error {
				c.Geometry = orb.Point{c.Geometry.(orb.Point)[0], y}
				return nil
			}, Who); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "edits/s")
}
