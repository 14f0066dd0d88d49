package cases_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/gpkg"

	"github.com/paulmach/orb"
)

func openStore(t testing.TB) *cases.SQLStore {
	t.Helper()
	ctx := context.Background()
	g, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "c.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	s, err := cases.NewSQLStore(ctx, g.DB())
	if err != nil {
		t.Fatal(err)
	}
	// reopening migrates nothing and keeps working
	if _, err := cases.NewSQLStore(ctx, g.DB()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSQLStoreCreateUpdateConflict(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	var seen []string
	s.OnChange(func(c *cases.Case, tr *cases.Transition) { seen = append(seen, tr.Action) })
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := &cases.Case{Source: cases.SourceInspector, Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Point: orb.Point{118.7, 31.9}, ReportedAt: at, Street: "S1"}
	if err := s.Create(ctx, c, &cases.Transition{Action: "report", To: cases.StateReported, User: "u"}); err != nil {
		t.Fatal(err)
	}
	if c.ID != 1 || c.Version != 1 || c.Number != "202603020000001" {
		t.Fatalf("created %+v", c)
	}
	a, _ := s.Get(ctx, 1)
	b, _ := s.Get(ctx, 1)
	a.State = cases.StateVerified
	if err := s.Update(ctx, a, &cases.Transition{Action: "verify", From: cases.StateReported, To: cases.StateVerified, User: "x"}); err != nil {
		t.Fatal(err)
	}
	b.State = cases.StateCancelled
	err := s.Update(ctx, b, &cases.Transition{Action: "cancel", From: cases.StateReported, To: cases.StateCancelled, User: "y"})
	var ce *cases.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, data.ErrConflict) || ce.State != cases.StateVerified || ce.Version != 2 {
		t.Fatalf("second writer: %v", err)
	}
	got, _ := s.Get(ctx, 1)
	if got.State != cases.StateVerified || got.Version != 2 || got.Point != (orb.Point{118.7, 31.9}) {
		t.Fatalf("stored %+v", got)
	}
	ts, _ := s.Transitions(ctx, 1)
	if len(ts) != 2 || ts[1].Seq != 2 || ts[1].Action != "verify" || ts[1].User != "x" {
		t.Fatalf("transitions %+v", ts)
	}
	if len(seen) != 2 {
		t.Fatalf("listener saw %v", seen)
	}
	if _, err := s.Get(ctx, 99); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}

func TestSQLStoreListFilters(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := base.Add(100 * time.Hour)
	// brute-force oracle: keep what we stored
	var all []*cases.Case
	for i := 0; i < 60; i++ {
		c := &cases.Case{Source: []cases.Source{cases.SourceInspector, cases.SourceCitizen}[i%2], Kind: data.KindEvent, Category: []string{"0101", "0202", "0303"}[i%3],
			State: []cases.State{cases.StateReported, cases.StateDispatched, cases.StateClosed, cases.StateHandled}[i%4], Point: orb.Point{118, 32},
			ReportedAt: base.Add(time.Duration(i) * time.Hour), Unit: []string{"U1", "U2"}[i%2], Street: []string{"S1", "S2", "S3"}[i%3]}
		if c.State == cases.StateDispatched || c.State == cases.StateHandled {
			d := base.Add(time.Duration(i*3) * time.Hour)
			c.DueAt = &d
		}
		if err := s.Create(ctx, c, &cases.Transition{Action: "report", To: c.State}); err != nil {
			t.Fatal(err)
		}
		all = append(all, c)
	}
	check := func(name string, f cases.Filter, keep func(c *cases.Case) bool) {
		t.Helper()
		want := map[int64]bool{}
		for _, c := range all {
			if keep(c) {
				want[c.ID] = true
			}
		}
		f.Limit = 7
		got := map[int64]bool{}
		for off := 0; ; off += 7 {
			f.Offset = off
			p, err := s.List(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != len(want) {
				t.Fatalf("%s: total %d, want %d", name, p.Total, len(want))
			}
			if len(p.Cases) == 0 {
				break
			}
			for _, c := range p.Cases {
				if got[c.ID] {
					t.Fatalf("%s: %d twice", name, c.ID)
				}
				got[c.ID] = true
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: got %d cases, want %d", name, len(got), len(want))
		}
		for id := range got {
			if !want[id] {
				t.Fatalf("%s: %d should not match", name, id)
			}
		}
	}
	check("all", cases.Filter{}, func(*cases.Case) bool { return true })
	check("state+unit", cases.Filter{States: []cases.State{cases.StateDispatched}, Unit: "U2"}, func(c *cases.Case) bool { return c.State == cases.StateDispatched && c.Unit == "U2" })
	check("category+street", cases.Filter{Category: "0202", Street: "S2"}, func(c *cases.Case) bool { return c.Category == "0202" && c.Street == "S2" })
	check("source", cases.Filter{Source: cases.SourceCitizen}, func(c *cases.Case) bool { return c.Source == cases.SourceCitizen })
	from, to := base.Add(10*time.Hour), base.Add(20*time.Hour)
	check("window", cases.Filter{ReportedFrom: from, ReportedTo: to}, func(c *cases.Case) bool { return !c.ReportedAt.Before(from) && c.ReportedAt.Before(to) })
	check("overdue", cases.Filter{Overdue: true, Now: now}, func(c *cases.Case) bool {
		return c.State == cases.StateDispatched && c.DueAt != nil && c.DueAt.Before(now)
	})
	due := base.Add(50 * time.Hour)
	check("due before", cases.Filter{DueBefore: due}, func(c *cases.Case) bool { return c.DueAt != nil && c.DueAt.Before(due) })
	check("open", cases.Filter{Open: true}, func(c *cases.Case) bool { return !c.State.Terminal() })
	p, _ := s.List(ctx, cases.Filter{Sort: cases.SortDue, States: []cases.State{cases.StateDispatched, cases.StateHandled}, Limit: 100})
	for i := 1; i < len(p.Cases); i++ {
		if p.Cases[i].DueAt.Before(*p.Cases[i-1].DueAt) {
			t.Fatal("due sort out of order")
		}
	}
	n := 0
	if err := s.Scan(ctx, from, to, func(*cases.Case) bool { n++; return true }); err != nil || n != 10 {
		t.Fatalf("scan %d %v", n, err)
	}
	n = 0
	s.All(ctx, func(*cases.Case) bool { n++; return n < 5 })
	if n != 5 {
		t.Fatalf("All did not stop: %d", n)
	}
}

// Case writes share the GeoPackage file with the city's own writers: both
// going at once, neither fails with SQLITE_BUSY.
func TestSQLStoreSharesTheFileWithOtherWriters(t *testing.T) {
	ctx := context.Background()
	g, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "c.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	s, err := cases.NewSQLStore(ctx, g.DB())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 200; i++ {
			if err := g.SetMeta(ctx, "bench", fmt.Sprint(i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := 0; i < 200; i++ {
		c := &cases.Case{Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Point: orb.Point{118, 32}}
		if err := s.Create(ctx, c, &cases.Transition{Action: "report", To: c.State}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			c.State = cases.StateCancelled
			if err := s.Update(ctx, c, &cases.Transition{Action: "cancel", From: cases.StateReported, To: c.State}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.PutConfig(ctx, "settings", []byte(`{}`), "x", 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p, _ := s.List(ctx, cases.Filter{States: []cases.State{cases.StateCancelled}})
	if p.Total != 100 {
		t.Fatalf("cancelled %d", p.Total)
	}
}
