// Package casestest is the one test suite of cases.ServerStore: the
// SQLite store (sqlitecases, on a GeoPackage) and the PostgreSQL store (pgcases) run
// the same tests, so both behave the same. Expectations are hand-written or
// come from a brute-force oracle over what the test stored.
package casestest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"

	"github.com/paulmach/orb"
)

// Opener opens two stores on one fresh, empty database (two replicas; the
// second may be the first when the implementation cannot share), closed by
// t's cleanup.
type Opener func(t *testing.T) (a, b cases.ServerStore)

// Run runs every test of the suite against the stores open returns.
func Run(t *testing.T, open Opener) {
	t.Run("CreateUpdateConflict", func(t *testing.T) { testCreateUpdateConflict(t, first(open)) })
	t.Run("ListFilters", func(t *testing.T) { testListFilters(t, first(open)) })
	t.Run("AttachmentsConfigNotifications", func(t *testing.T) { testRecords(t, first(open)) })
	t.Run("TransitionsBetween", func(t *testing.T) { testTransitionsBetween(t, first(open)) })
	t.Run("TwoReplicasOneCase", func(t *testing.T) { testTwoReplicas(t, open) })
	t.Run("NumbersUniqueAcrossReplicas", func(t *testing.T) { testNumbers(t, open) })
	t.Run("AppendHistory", func(t *testing.T) { testAppend(t, first(open)) })
	t.Run("RestoreHistory", func(t *testing.T) { testRestore(t, first(open)) })
	t.Run("RemoteFollow", func(t *testing.T) { testRemote(t, open) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open) })
	t.Run("ConfigVersionTakenOnce", func(t *testing.T) { testConfigRace(t, open) })
	t.Run("Replays", func(t *testing.T) { testReplays(t, open) })
	t.Run("Positions", func(t *testing.T) { testPositions(t, open) })
}

func first(open Opener) func(t *testing.T) cases.ServerStore {
	return func(t *testing.T) cases.ServerStore { a, _ := open(t); return a }
}

func testCreateUpdateConflict(t *testing.T, open func(*testing.T) cases.ServerStore) {
	ctx := context.Background()
	s := open(t)
	var seen []string
	s.OnChange(func(c *cases.Case, tr *cases.Transition) { seen = append(seen, tr.Action) })
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := &cases.Case{Source: cases.SourceInspector, Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Point: orb.Point{118.7, 31.9}, ReportedAt: at, Street: "S1"}
	if err := s.Create(ctx, c, &cases.Transition{Action: "report", To: cases.StateReported, User: "u"}); err != nil {
		t.Fatal(err)
	}
	// the date in China (UTC+8) and the id, seven digits
	if c.ID != 1 || c.Version != 1 || c.Number != "YH202603020001" {
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
	if b.Version != 1 {
		t.Fatalf("a refused update moved the caller's version to %d", b.Version)
	}
	got, _ := s.Get(ctx, 1)
	if got.State != cases.StateVerified || got.Version != 2 || got.Point != (orb.Point{118.7, 31.9}) || got.Street != "S1" {
		t.Fatalf("stored %+v", got)
	}
	ts, _ := s.Transitions(ctx, 1)
	if len(ts) != 2 || ts[1].Seq != 2 || ts[1].Action != "verify" || ts[1].User != "x" || ts[0].Action != "report" {
		t.Fatalf("transitions %+v", ts)
	}
	if len(seen) != 2 || seen[1] != "verify" {
		t.Fatalf("listener saw %v", seen)
	}
	if _, err := s.Get(ctx, 99); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := s.Transitions(ctx, 99); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("transitions of a missing case: %v", err)
	}
	ghost := &cases.Case{ID: 99, Version: 1, Point: orb.Point{118, 32}}
	if err := s.Update(ctx, ghost, &cases.Transition{Action: "verify"}); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("update of a missing case: %v", err)
	}
	dup := &cases.Case{Number: c.Number, Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Point: orb.Point{118, 32}}
	if err := s.Create(ctx, dup, &cases.Transition{Action: "report", To: cases.StateReported}); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("a second case numbered %s: %v", c.Number, err)
	}
	if id, err := s.CaseIDByNumber(ctx, c.Number); err != nil || id != 1 {
		t.Fatalf("by number: %d %v", id, err)
	}
	if _, err := s.CaseIDByNumber(ctx, "nope"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("unknown number: %v", err)
	}
}

func testListFilters(t *testing.T, open func(*testing.T) cases.ServerStore) {
	ctx := context.Background()
	s := open(t)
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := base.Add(100 * time.Hour)
	var all []*cases.Case
	for i := 0; i < 60; i++ {
		c := &cases.Case{Source: []cases.Source{cases.SourceInspector, cases.SourceCitizen}[i%2], Kind: data.KindEvent, Category: []string{"0101", "0202", "0303"}[i%3],
			State: []cases.State{cases.StateReported, cases.StateDispatched, cases.StateClosed, cases.StateHandled}[i%4], Point: orb.Point{118, 32},
			ReportedAt: base.Add(time.Duration(i) * time.Hour), Unit: []string{"U1", "U2"}[i%2], Street: []string{"S1", "S2", "S3"}[i%3],
			Community: []string{"C1", "C2"}[i%2], UnitGrid: []string{"G1", "G2", "G3", "G4"}[i%4], Dispatcher: []string{"", "d1"}[i%2], Reporter: []string{"", "r1", "r2"}[i%3]}
		c.UpdatedAt = c.ReportedAt.Add(time.Duration(i%5) * time.Hour)
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
		var want []int64
		for _, c := range all {
			if keep(c) {
				want = append(want, c.ID)
			}
		}
		sort.Slice(want, func(i, j int) bool { return want[i] > want[j] }) // newest first
		f.Limit = 7
		var got []int64
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
				got = append(got, c.ID)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: got %v, want %v", name, got, want)
		}
	}
	check("all", cases.Filter{}, func(*cases.Case) bool { return true })
	check("ids", cases.Filter{IDs: []int64{3, 5, 8, 1000}}, func(c *cases.Case) bool { return c.ID == 3 || c.ID == 5 || c.ID == 8 })
	check("state+unit", cases.Filter{States: []cases.State{cases.StateDispatched}, Unit: "U2"}, func(c *cases.Case) bool { return c.State == cases.StateDispatched && c.Unit == "U2" })
	check("category+street", cases.Filter{Category: "0202", Street: "S2"}, func(c *cases.Case) bool { return c.Category == "0202" && c.Street == "S2" })
	check("source", cases.Filter{Source: cases.SourceCitizen}, func(c *cases.Case) bool { return c.Source == cases.SourceCitizen })
	check("community+grid", cases.Filter{Community: "C1", UnitGrid: "G3"}, func(c *cases.Case) bool { return c.Community == "C1" && c.UnitGrid == "G3" })
	check("dispatcher", cases.Filter{Dispatcher: "d1"}, func(c *cases.Case) bool { return c.Dispatcher == "d1" })
	check("reporter", cases.Filter{Reporter: "r2"}, func(c *cases.Case) bool { return c.Reporter == "r2" })
	from, to := base.Add(10*time.Hour), base.Add(20*time.Hour)
	check("window", cases.Filter{ReportedFrom: from, ReportedTo: to}, func(c *cases.Case) bool { return !c.ReportedAt.Before(from) && c.ReportedAt.Before(to) })
	check("updated", cases.Filter{UpdatedFrom: from, UpdatedTo: to}, func(c *cases.Case) bool { return !c.UpdatedAt.Before(from) && c.UpdatedAt.Before(to) })
	check("overdue", cases.Filter{Overdue: true, Now: now}, func(c *cases.Case) bool {
		return c.State == cases.StateDispatched && c.DueAt != nil && c.DueAt.Before(now)
	})
	check("overdue among closed", cases.Filter{Overdue: true, Now: now, States: []cases.State{cases.StateClosed}}, func(c *cases.Case) bool { return false })
	due := base.Add(50 * time.Hour)
	check("due before", cases.Filter{DueBefore: due}, func(c *cases.Case) bool { return c.DueAt != nil && c.DueAt.Before(due) })
	check("open", cases.Filter{Open: true}, func(c *cases.Case) bool { return !c.State.Terminal() })
	p, err := s.List(ctx, cases.Filter{Sort: cases.SortDue, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(p.Cases); i++ {
		a, b := p.Cases[i-1], p.Cases[i]
		switch {
		case a.DueAt == nil && b.DueAt != nil:
			t.Fatal("due sort: a case without deadline before one with")
		case a.DueAt != nil && b.DueAt != nil && (b.DueAt.Before(*a.DueAt) || b.DueAt.Equal(*a.DueAt) && b.ID < a.ID):
			t.Fatal("due sort out of order")
		case a.DueAt == nil && b.DueAt == nil && b.ID < a.ID:
			t.Fatal("due sort: cases without deadline not by id")
		}
	}
	if p, _ := s.List(ctx, cases.Filter{NoTotal: true, Limit: 5000}); p.Total != -1 || len(p.Cases) != 60 || p.Limit != cases.MaxPageSize {
		t.Fatalf("no total: %d cases, total %d, limit %d", len(p.Cases), p.Total, p.Limit)
	}
	n := 0
	if err := s.Scan(ctx, from, to, func(*cases.Case) bool { n++; return true }); err != nil || n != 10 {
		t.Fatalf("scan %d %v", n, err)
	}
	var ids []int64
	if err := s.All(ctx, func(c *cases.Case) bool { ids = append(ids, c.ID); return len(ids) < 5 }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != "[1 2 3 4 5]" {
		t.Fatalf("All: %v", ids)
	}
	got, _ := s.Get(ctx, all[13].ID)
	if got.Unit != all[13].Unit || got.DueAt == nil || !got.DueAt.Equal(*all[13].DueAt) || !got.ReportedAt.Equal(all[13].ReportedAt) {
		t.Fatalf("round trip: %+v", got)
	}
}

func testRecords(t *testing.T, open func(*testing.T) cases.ServerStore) {
	ctx := context.Background()
	s := open(t)
	c := &cases.Case{Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Point: orb.Point{118, 32}}
	if err := s.Create(ctx, c, &cases.Transition{Action: "report", To: c.State}); err != nil {
		t.Fatal(err)
	}
	up := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	a1 := &cases.Attachment{CaseID: c.ID, Name: "a.jpg", Type: "image/jpeg", Size: 10, SHA256: "ab", Stage: cases.StateReported, User: "u", Uploaded: up}
	a2 := &cases.Attachment{CaseID: c.ID, Name: "b.png", Type: "image/png", Size: 20, SHA256: "cd", Stage: cases.StateHandled, User: "v", Uploaded: up.Add(time.Hour)}
	for _, a := range []*cases.Attachment{a1, a2} {
		if err := s.AddAttachment(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if a1.ID == 0 || a2.ID <= a1.ID {
		t.Fatalf("attachment ids %d %d", a1.ID, a2.ID)
	}
	if err := s.AddAttachment(ctx, &cases.Attachment{CaseID: c.ID, Name: "a.jpg", Uploaded: up}); err == nil {
		t.Fatal("a second file named a.jpg was recorded")
	}
	as, err := s.Attachments(ctx, c.ID)
	if err != nil || len(as) != 2 || as[0] != *a1 || as[1] != *a2 {
		t.Fatalf("attachments %+v %v", as, err)
	}
	if as, err := s.Attachments(ctx, 999); err != nil || len(as) != 0 || as == nil {
		t.Fatalf("attachments of another case %+v %v", as, err)
	}

	if _, err := s.Config(ctx, "deadlines", 0); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("no config yet: %v", err)
	}
	d1, err := s.PutConfig(ctx, "deadlines", []byte(`{"v":1}`), "admin", 0)
	if err != nil || d1.Version != 1 {
		t.Fatalf("put 1: %+v %v", d1, err)
	}
	if _, err := s.PutConfig(ctx, "deadlines", []byte(`{"v":2}`), "admin", 5); !errors.Is(err, data.ErrPrecondition) {
		t.Fatalf("stale version: %v", err)
	} else if ve := (*cases.VersionError)(nil); !errors.As(err, &ve) || ve.Current != 1 {
		t.Fatalf("stale version details: %v", err)
	}
	if d2, err := s.PutConfig(ctx, "deadlines", []byte(`{"v":2}`), "bob", 1); err != nil || d2.Version != 2 {
		t.Fatalf("put 2: %+v %v", d2, err)
	}
	if d, err := s.PutConfig(ctx, "calendar", []byte(`{}`), "x", 0); err != nil || d.Version != 1 {
		t.Fatalf("another name: %+v %v", d, err)
	}
	if d, err := s.Config(ctx, "deadlines", 0); err != nil || string(d.Body) != `{"v":2}` || d.Version != 2 || d.User != "bob" {
		t.Fatalf("latest %+v %v", d, err)
	}
	if d, err := s.Config(ctx, "deadlines", 1); err != nil || string(d.Body) != `{"v":1}` || d.User != "admin" {
		t.Fatalf("version 1 %+v %v", d, err)
	}
	if _, err := s.Config(ctx, "deadlines", 3); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("version 3: %v", err)
	}
	vs, err := s.ConfigVersions(ctx, "deadlines")
	if err != nil || len(vs) != 2 || vs[0].Version != 2 || vs[1].Version != 1 || vs[0].User != "bob" {
		t.Fatalf("versions %+v %v", vs, err)
	}
	// Concurrent writers of one document each get their own version.
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = s.PutConfig(ctx, "settings", []byte(`{}`), fmt.Sprint("w", i), 0)
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if vs, _ := s.ConfigVersions(ctx, "settings"); len(vs) != 6 || vs[0].Version != 6 {
		t.Fatalf("concurrent config writes: %+v", vs)
	}

	due := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	if ok, err := s.Notified(ctx, c.ID, cases.NotifyOverdue, due); err != nil || ok {
		t.Fatalf("notified before: %v %v", ok, err)
	}
	if ok, err := s.MarkNotified(ctx, c.ID, cases.NotifyOverdue, due); err != nil || !ok {
		t.Fatalf("first mark: %v %v", ok, err)
	}
	if ok, err := s.MarkNotified(ctx, c.ID, cases.NotifyOverdue, due); err != nil || ok {
		t.Fatalf("second mark: %v %v", ok, err)
	}
	if ok, _ := s.Notified(ctx, c.ID, cases.NotifyOverdue, due); !ok {
		t.Fatal("not notified after the mark")
	}
	if ok, _ := s.Notified(ctx, c.ID, cases.NotifyDueSoon, due); ok {
		t.Fatal("another kind counts as notified")
	}
	if ok, _ := s.Notified(ctx, c.ID, cases.NotifyOverdue, due.Add(time.Hour)); ok {
		t.Fatal("a moved deadline counts as notified")
	}
}

func testTransitionsBetween(t *testing.T, open func(*testing.T) cases.ServerStore) {
	ctx := context.Background()
	s := open(t)
	base := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	type rec struct {
		id  int64
		seq int
		at  time.Time
	}
	var want []rec
	for i := 0; i < 4; i++ {
		c := &cases.Case{Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Point: orb.Point{118, 32}, ReportedAt: base}
		at := base.Add(time.Duration(3-i) * time.Minute) // later cases report earlier
		if err := s.Create(ctx, c, &cases.Transition{Action: "report", To: c.State, At: at, User: "op", Role: data.RoleOperator}); err != nil {
			t.Fatal(err)
		}
		want = append(want, rec{c.ID, 1, at})
		c.State = cases.StateVerified
		step := at.Add(2 * time.Hour)
		vat := at.Add(90 * time.Minute)
		if err := s.Update(ctx, c, &cases.Transition{Action: "verify", From: cases.StateReported, To: c.State, At: vat, User: "insp", Role: data.RoleInspector, Unit: "U", Note: "n", StepDueAt: &step}); err != nil {
			t.Fatal(err)
		}
		want = append(want, rec{c.ID, 2, vat})
	}
	sort.Slice(want, func(i, j int) bool {
		a, b := want[i], want[j]
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		if a.id != b.id {
			return a.id < b.id
		}
		return a.seq < b.seq
	})
	from, to := base.Add(time.Minute), base.Add(92*time.Minute) // leaves out the first report and the last verify
	var exp []rec
	for _, r := range want {
		if !r.at.Before(from) && r.at.Before(to) {
			exp = append(exp, r)
		}
	}
	ts, err := s.TransitionsBetween(ctx, from, to, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []rec
	for _, tr := range ts {
		got = append(got, rec{tr.CaseID, tr.Seq, tr.At})
		if tr.Seq == 2 && (tr.StepDueAt == nil || !tr.StepDueAt.Equal(tr.At.Add(30*time.Minute)) || tr.Role != data.RoleInspector || tr.Unit != "U" || tr.Note != "n" || tr.From != cases.StateReported) {
			t.Fatalf("verify transition read back as %+v", tr)
		}
		if tr.Seq == 1 && tr.StepDueAt != nil {
			t.Fatalf("report transition has a step deadline: %+v", tr)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(exp) {
		t.Fatalf("between: got %v, want %v", got, exp)
	}
	if ts, _ := s.TransitionsBetween(ctx, from, to, 2); len(ts) != 2 || ts[0].CaseID != exp[0].id {
		t.Fatalf("limit: %+v", ts)
	}
}

// Two replicas (two stores on one database) and two dispatchers on one
// case, through the workflow service: exactly one dispatch is recorded,
// the others are conflicts naming the new state.
func testTwoReplicas(t *testing.T, open Opener) {
	ctx := context.Background()
	a, b := open(t)
	svcs := []*cases.Service{cases.NewService(a, nil), cases.NewService(b, nil)}
	lon, lat := 118.7, 31.9
	admin := data.Principal{User: "root", Role: data.RoleAdmin}
	for round := 0; round < 5; round++ {
		c, err := svcs[0].Report(ctx, admin, cases.NewCase{Kind: data.KindEvent, Category: fmt.Sprint("09", round), Lon: &lon, Lat: &lat, Description: "d"})
		if err != nil {
			t.Fatal(err)
		}
		for _, act := range []string{cases.ActVerify, cases.ActRegister} {
			if c, _, err = svcs[round%2].Act(ctx, admin, c.ID, cases.ActionRequest{Action: act}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, _, errs[i] = svcs[i%2].Act(ctx, data.Principal{User: fmt.Sprint("d", i), Role: data.RoleDispatcher}, c.ID,
					cases.ActionRequest{Action: cases.ActDispatch, Unit: fmt.Sprint("U", i), Version: c.Version})
			}(i)
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			var ce *cases.ConflictError
			switch {
			case err == nil && won >= 0:
				t.Fatalf("round %d: dispatchers %d and %d both won", round, won, i)
			case err == nil:
				won = i
			case !errors.As(err, &ce) || !errors.Is(err, data.ErrConflict):
				t.Fatalf("round %d: dispatcher %d: %v (want a *ConflictError)", round, i, err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: nobody won", round)
		}
		for _, s := range []cases.ServerStore{a, b} {
			ts, err := s.Transitions(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := s.Get(ctx, c.ID)
			if len(ts) != 4 || ts[3].Action != cases.ActDispatch || ts[3].User != fmt.Sprint("d", won) || got.Unit != fmt.Sprint("U", won) || got.Version != c.Version+1 {
				t.Fatalf("round %d: %d transitions, last %+v, case unit %s version %d; winner d%d", round, len(ts), ts[len(ts)-1], got.Unit, got.Version, won)
			}
		}
	}
}

// Cases created through two replicas at once get distinct ids and numbers.
func testNumbers(t *testing.T, open Opener) {
	ctx := context.Background()
	a, b := open(t)
	const per = 40
	var mu sync.Mutex
	numbers := map[string]int64{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			s := []cases.ServerStore{a, b}[w%2]
			for i := 0; i < per; i++ {
				c := &cases.Case{Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Point: orb.Point{118, 32}}
				if err := s.Create(ctx, c, &cases.Transition{Action: "report", To: c.State}); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if id, dup := numbers[c.Number]; dup {
					mu.Unlock()
					errs <- fmt.Errorf("number %s given to cases %d and %d", c.Number, id, c.ID)
					return
				}
				numbers[c.Number] = c.ID
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	p, err := b.List(ctx, cases.Filter{Limit: 1})
	if err != nil || p.Total != 4*per || len(numbers) != 4*per {
		t.Fatalf("%d stored, %d numbers, %v", p.Total, len(numbers), err)
	}
}

// Writes through one replica reach the other's follower, its own do not.
func testRemote(t *testing.T, open Opener) {
	a, b := open(t)
	rf, ok := b.(cases.RemoteFollower)
	if !ok {
		t.Skip("this store is not shared between processes")
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 16)
	done := make(chan error, 1)
	go func() {
		done <- rf.ListenRemote(ctx, func(c *cases.Case, t *cases.Transition) {
			got <- fmt.Sprintf("%d:%d:%s:%s", c.ID, t.Seq, t.Action, c.State)
		})
	}()
	ended := false
	defer func() {
		cancel()
		if err := <-done; !ended && err != nil {
			t.Errorf("ListenRemote after cancel: %v", err)
		}
	}()
	bg := context.Background()
	// The follower may not listen yet: write through a until it sees one.
	var c *cases.Case
	var first string
	for i := 0; first == "" && i < 100; i++ {
		c = &cases.Case{Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Point: orb.Point{118, 32}}
		if err := a.Create(bg, c, &cases.Transition{Action: "report", To: c.State}); err != nil {
			t.Fatal(err)
		}
		select {
		case first = <-got:
		case <-time.After(100 * time.Millisecond):
		}
	}
	if first == "" {
		t.Fatal("the follower saw no remote create")
	}
	for len(got) > 0 { // creates announced while the first was awaited
		first = <-got
	}
	if first != fmt.Sprintf("%d:1:report:reported", c.ID) {
		t.Fatalf("remote create seen as %s (case %d)", first, c.ID)
	}
	// b's own write is not reported, a's next one is
	own := &cases.Case{Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Point: orb.Point{118, 32}}
	if err := b.Create(bg, own, &cases.Transition{Action: "report", To: own.State}); err != nil {
		t.Fatal(err)
	}
	c.State = cases.StateVerified
	if err := a.Update(bg, c, &cases.Transition{Action: "verify", From: cases.StateReported, To: c.State}); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != fmt.Sprintf("%d:2:verify:verified", c.ID) {
			t.Fatalf("after b's own create and a's verify the follower saw %s", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("remote update not seen")
	}
	// configuration documents stored by a reach b's config listeners
	cf, ok := b.(cases.ConfigFollower)
	if !ok {
		return
	}
	names := make(chan string, 4)
	cf.OnRemoteConfig(func(name string) { names <- name })
	if _, err := b.PutConfig(bg, "calendar", []byte(`{}`), "own", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutConfig(bg, "deadlines", []byte(`{}`), "other", 0); err != nil {
		t.Fatal(err)
	}
	select {
	case name := <-names:
		if name != "deadlines" {
			t.Fatalf("after b's own calendar and a's deadlines the config listener saw %s", name)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("remote configuration not seen")
	}
	// a bulk import by a ends b's follow: b must reload
	imp, ok := a.(cases.HistoryImporter)
	if !ok {
		return
	}
	at := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	if err := imp.ImportHistory(bg, &cases.History{
		Cases:       []cases.Case{{ID: 1, Number: "R1", Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Point: orb.Point{118, 32}, ReportedAt: at, UpdatedAt: at, Version: 1}},
		Transitions: []cases.Transition{{CaseID: 1, Seq: 1, At: at, Action: "report", To: cases.StateReported}},
	}, cases.AppendHistory); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		ended = true
		done <- nil
		if err == nil {
			t.Fatal("ListenRemote ended without error after a bulk import")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ListenRemote went on after another replica's bulk import")
	}
}

func testTokens(t *testing.T, open Opener) {
	a, b := open(t)
	ta, ok := a.(data.TokenStore)
	if !ok {
		t.Skip("tokens live in the GeoPackage store (data/gpkg)")
	}
	tb := b.(data.TokenStore)
	ctx := context.Background()
	p := data.Principal{User: "disp", Role: data.RoleDispatcher}
	if _, _, err := ta.CreateToken(ctx, data.Principal{User: "x", Role: "king"}, "", time.Time{}); err == nil {
		t.Fatal("unknown role accepted")
	}
	if _, _, err := ta.CreateToken(ctx, p, "", time.Now().Add(-time.Hour)); err == nil {
		t.Fatal("expiry in the past accepted")
	}
	tok, tk, err := ta.CreateToken(ctx, p, "console", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	h := data.HashToken(tok)
	if tk.ID != h.ID() {
		t.Fatalf("id %s, want %s", tk.ID, h.ID())
	}
	// the other replica finds it by hash
	got, err := tb.TokenByHash(ctx, h)
	if err != nil || got.Principal != p || got.Note != "console" || !got.CreatedAt.Equal(tk.CreatedAt) || !got.ExpiresAt.Equal(tk.ExpiresAt) || !got.Valid(time.Now()) {
		t.Fatalf("by hash %+v %v (created %+v)", got, err, tk)
	}
	if _, err := tb.TokenByHash(ctx, data.HashToken("cgt_nope")); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
	_, tk2, err := tb.CreateToken(ctx, data.Principal{User: "u1", Role: data.RoleUnit, Unit: "U1"}, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := ta.Tokens(ctx)
	if err != nil || len(all) != 2 || all[0].ID != tk2.ID || all[1].ID != tk.ID || !all[0].ExpiresAt.IsZero() {
		t.Fatalf("tokens %+v %v", all, err)
	}
	n0, _ := tb.TokenRevocations(ctx)
	r, err := ta.RevokeToken(ctx, tk.ID)
	if err != nil || r.RevokedAt.IsZero() || r.Valid(time.Now()) {
		t.Fatalf("revoke %+v %v", r, err)
	}
	n1, _ := tb.TokenRevocations(ctx)
	if n1 <= n0 {
		t.Fatalf("revocations %d → %d: the other replica cannot notice", n0, n1)
	}
	again, err := tb.RevokeToken(ctx, tk.ID)
	if err != nil || !again.RevokedAt.Equal(r.RevokedAt) {
		t.Fatalf("second revocation moved the time: %+v %v", again, err)
	}
	if n2, _ := ta.TokenRevocations(ctx); n2 != n1 {
		t.Fatalf("a repeated revocation counted: %d → %d", n1, n2)
	}
	if _, err := ta.RevokeToken(ctx, "000000000000"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
}

// Writers on two replicas all sending If-Match 1 for one document: one
// succeeds, the others get a *VersionError naming version 2.
func testConfigRace(t *testing.T, open Opener) {
	ctx := context.Background()
	a, b := open(t)
	if _, err := a.PutConfig(ctx, "deadlines", []byte(`{"v":1}`), "admin", 0); err != nil {
		t.Fatal(err)
	}
	stores := []cases.ServerStore{a, b}
	errs := make([]error, 6)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = stores[i%2].PutConfig(ctx, "deadlines", fmt.Appendf(nil, `{"w":%d}`, i), fmt.Sprint("w", i), 1)
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for i, err := range errs {
		var ve *cases.VersionError
		switch {
		case err == nil:
			ok++
		case !errors.As(err, &ve) || ve.Current != 2:
			t.Fatalf("writer %d: %v, want a *VersionError naming version 2", i, err)
		}
	}
	vs, err := b.ConfigVersions(ctx, "deadlines")
	if ok != 1 || err != nil || len(vs) != 2 {
		t.Fatalf("%d writers at version 1 succeeded, %d versions stored (%v); want 1 and 2", ok, len(vs), err)
	}
}
