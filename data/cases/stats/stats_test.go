package stats

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/stats/statstest"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func at(h float64) *time.Time {
	v := t0.Add(time.Duration(h * float64(time.Hour)))
	return &v
}

func bp(b bool) *bool { return &b }

// TestHandComputed checks every indicator on a handful of cases worked
// out by hand for March 2026, evaluated on 1 April.
func TestHandComputed(t *testing.T) {
	day := 24.0
	cs := []cases.Case{
		// 1: reported, registered, dispatched, handled on time, closed in March.
		{ID: 1, Unit: "A", Street: "S1", UnitGrid: "G1", Kind: data.KindEvent, Category: "0406", Source: cases.SourceInspector,
			State: cases.StateClosed, ReportedAt: *at(1), RegisteredAt: at(2), DispatchedAt: at(3), HandledAt: at(13),
			DueAt: at(20), ClosedAt: at(15), HandledOnTime: bp(true)},
		// 2: closed in March but handled late, one rework, one return.
		{ID: 2, Unit: "A", Street: "S1", UnitGrid: "G1", Kind: data.KindEvent, Category: "0406", Source: cases.SourceHotline,
			State: cases.StateClosed, ReportedAt: *at(5 * day), VerifiedAt: at(5*day + 1), RegisteredAt: at(5*day + 2),
			DispatchedAt: at(5*day + 3), HandledAt: at(7 * day), DueAt: at(6 * day), ClosedAt: at(8 * day),
			HandledOnTime: bp(false), ReworkCount: 1, ReturnCount: 1},
		// 3: dispatched in March, overdue and open at the end of March.
		{ID: 3, Unit: "A", Street: "S2", UnitGrid: "G2", Kind: data.KindComponent, Category: "0101", Source: cases.SourceCitizen,
			State: cases.StateDispatched, ReportedAt: *at(10 * day), RegisteredAt: at(10 * day), DispatchedAt: at(10*day + 1),
			DueAt: at(11 * day)},
		// 4: dispatched in March, still within its deadline (due 5 April): not due.
		{ID: 4, Unit: "B", Street: "S2", UnitGrid: "G2", Kind: data.KindEvent, Category: "0110", Source: cases.SourceInspector,
			State: cases.StateDispatched, ReportedAt: *at(30 * day), RegisteredAt: at(30 * day), DispatchedAt: at(30*day + 1),
			DueAt: at(35 * day)},
		// 5: overdue in February, closed on 2 April: open and overdue at the end of March.
		{ID: 5, Unit: "B", Street: "S2", UnitGrid: "G3", Kind: data.KindEvent, Category: "0110", Source: cases.SourceInspector,
			State: cases.StateClosed, ReportedAt: *at(-20 * day), RegisteredAt: at(-20 * day), DispatchedAt: at(-20 * day),
			DueAt: at(-18 * day), HandledAt: at(31 * day), ClosedAt: at(32 * day), HandledOnTime: bp(false)},
		// 6: reported in March, not registered.
		{ID: 6, Street: "S1", UnitGrid: "G1", Kind: data.KindEvent, Category: "0406", Source: cases.SourceCitizen,
			State: cases.StateNotRegistered, ReportedAt: *at(12 * day)},
		// 7: suspended, overdue date passed: not overdue (the deadline is paused).
		{ID: 7, Unit: "B", Street: "S2", UnitGrid: "G3", Kind: data.KindEvent, Category: "0110", Source: cases.SourceInspector,
			State: cases.StateSuspended, ReportedAt: *at(2 * day), RegisteredAt: at(2 * day), DispatchedAt: at(2 * day),
			DueAt: at(3 * day)},
		// 8: handled in March by the deadline, waiting for the check: handled on time, not closed, not overdue yet... but
		// its deadline passed on day 20 and it is not closed: overdue for closure.
		{ID: 8, Unit: "A", Street: "S1", UnitGrid: "G1", Kind: data.KindEvent, Category: "0406", Source: cases.SourceInspector,
			State: cases.StateHandled, ReportedAt: *at(15 * day), RegisteredAt: at(15 * day), DispatchedAt: at(15 * day),
			HandledAt: at(16 * day), DueAt: at(20 * day)},
	}
	tb := NewTable(Options{Department: func(u string) string { return map[string]string{"A": "D1", "B": "D1"}[u] }})
	tb.PutAll(cs)
	end := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	res, err := tb.Compute(Query{Group: DimUnit, From: t0, To: end, Now: time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]Row{}
	for _, r := range res.Rows {
		rows[r.Key] = r
	}
	// Unit A: cases 1, 2, 3, 8.
	wantA := Counts{Reported: 4, Registered: 4, Dispatched: 4, Closed: 2, ClosedOnTime: 1, Overdue: 2, DueForClosure: 4,
		Handled: 3, HandledOnTime: 2, DueForHandling: 4, Reworked: 1, Returned: 1, ReturnedCases: 1}
	// Unit B: cases 4, 5, 7. Case 5 is overdue (open at the end); 7 is suspended; 4 is not due.
	wantB := Counts{Reported: 2, Registered: 2, Dispatched: 2, Overdue: 1, DueForClosure: 1, DueForHandling: 1}
	// No unit: case 6.
	wantNone := Counts{Reported: 1, NotRegistered: 1}
	wantA.PublicVerified = 1 // case 2: hotline, verified
	for key, want := range map[string]Counts{"A": wantA, "B": wantB, "": wantNone} {
		got := rows[key].Counts
		got.handlingSecs, got.handlingN = 0, 0
		if got != want {
			t.Errorf("unit %q:\n got %+v\nwant %+v", key, got, want)
		}
	}
	a := rows["A"]
	checkRate(t, "A closure_rate", a.ClosureRate, 0.5)
	checkRate(t, "A on_time_closure_rate", a.OnTimeClosureRate, 0.25)
	checkRate(t, "A handling_rate", a.HandlingRate, 0.75)
	checkRate(t, "A on_time_handling_rate", a.OnTimeHandlingRate, 0.5)
	checkRate(t, "A rework_rate", a.ReworkRate, 0.5)
	// (13−3 h + (7 days − (5 days + 3 h))) / 2 = (10 + 45) / 2 = 27.5 h
	checkRate(t, "A avg_handling_hours", a.AvgHandlingHours, 27.5)
	b := rows["B"]
	checkRate(t, "B closure_rate", b.ClosureRate, 0)
	if b.ReworkRate != nil || b.AvgHandlingHours != nil {
		t.Errorf("B: rework rate and handling hours must be null without closed cases: %v %v", b.ReworkRate, b.AvgHandlingHours)
	}
	if none := rows[""]; none.ClosureRate != nil || none.OnTimeClosureRate != nil {
		t.Errorf("rates must be null when nothing is due")
	}
	if res.Total.Reported != 7 || res.Total.DueForClosure != 5 || res.Total.Closed != 2 {
		t.Errorf("total %+v", res.Total.Counts)
	}
	// Evaluated on 10 March (Now before the end): case 8 (due 20 March) and 3 (due
	// 11 March) are not overdue yet; case 5 is.
	early, _ := tb.Compute(Query{Group: DimDepartment, From: t0, To: end, Now: *at(10 * day)})
	if len(early.Rows) != 2 || early.Rows[1].Key != "D1" || early.Rows[1].Overdue != 1 {
		t.Errorf("department rows as of 10 March: %+v", early.Rows)
	}
	// Filters: street S1 only.
	s1, _ := tb.Compute(Query{Group: DimCategory, From: t0, To: end, Filter: map[Dim]string{DimStreet: "S1"}})
	if len(s1.Rows) != 1 || s1.Rows[0].Key != "event/0406" || s1.Rows[0].Reported != 4 {
		t.Errorf("S1 by category: %+v", s1.Rows)
	}
	if r, _ := tb.Compute(Query{Group: DimUnit, From: t0, To: end, Filter: map[Dim]string{DimStreet: "nowhere"}}); len(r.Rows) != 0 {
		t.Errorf("an unknown filter value must match nothing: %+v", r.Rows)
	}
	if _, err := tb.Compute(Query{From: end, To: t0}); err == nil {
		t.Error("a reversed period must fail")
	}
}

func checkRate(t *testing.T, name string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-9 {
		if got == nil {
			t.Errorf("%s = null, want %v", name, want)
		} else {
			t.Errorf("%s = %v, want %v", name, *got, want)
		}
	}
}

// randomCases draws a case history with every state and odd timing.
func randomCases(n int, seed uint64) []cases.Case {
	r := rand.New(rand.NewPCG(seed, 7))
	units := []string{"U1", "U2", "U3", "U4", ""}
	streets := []string{"S1", "S2", "S3"}
	states := []cases.State{cases.StateReported, cases.StateRegistered, cases.StateDispatched, cases.StateHandled,
		cases.StateClosed, cases.StateClosed, cases.StateClosed, cases.StateSuspended, cases.StateCancelled,
		cases.StateNotRegistered, cases.StateReturned}
	sources := []cases.Source{cases.SourceInspector, cases.SourceHotline, cases.SourceCitizen, cases.SourceVideo}
	out := make([]cases.Case, n)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range out {
		c := &out[i]
		c.ID = int64(i + 1)
		c.Unit = units[r.IntN(len(units))]
		c.Street = streets[r.IntN(len(streets))]
		c.Community = fmt.Sprintf("%s-C%d", c.Street, r.IntN(3))
		c.UnitGrid = fmt.Sprintf("%s-G%d", c.Community, r.IntN(4))
		c.Kind = data.KindEvent
		c.Category = fmt.Sprintf("%04d", 101+r.IntN(5))
		c.Source = sources[r.IntN(len(sources))]
		c.Reporter = fmt.Sprintf("r%d", r.IntN(6))
		c.Dispatcher = fmt.Sprintf("d%d", r.IntN(3))
		c.State = states[r.IntN(len(states))]
		c.ReportedAt = base.Add(time.Duration(r.Int64N(int64(120 * 24 * time.Hour))))
		h := func(max float64) *time.Time {
			v := c.ReportedAt.Add(time.Duration(r.Float64() * max * float64(time.Hour)))
			return &v
		}
		if r.IntN(3) == 0 {
			c.VerifiedAt = h(5)
		}
		if c.State != cases.StateReported && c.State != cases.StateNotRegistered && !(c.State == cases.StateCancelled && r.IntN(2) == 0) {
			c.RegisteredAt = h(10)
			if c.State != cases.StateRegistered && r.IntN(10) > 0 {
				d := c.RegisteredAt.Add(time.Duration(r.Float64() * 20 * float64(time.Hour)))
				c.DispatchedAt = &d
				due := d.Add(time.Duration(r.Float64() * 100 * float64(time.Hour)))
				c.DueAt = &due
				if c.State == cases.StateHandled || c.State == cases.StateClosed || r.IntN(5) == 0 {
					hd := d.Add(time.Duration(r.Float64() * 150 * float64(time.Hour)))
					c.HandledAt = &hd
				}
			}
		}
		if c.State == cases.StateClosed {
			if c.HandledAt == nil {
				c.HandledAt = h(30)
			}
			cl := c.HandledAt.Add(time.Duration(r.Float64() * 30 * float64(time.Hour)))
			c.ClosedAt = &cl
			if r.IntN(3) > 0 && c.DueAt != nil {
				b := !c.HandledAt.After(*c.DueAt)
				if r.IntN(10) == 0 {
					b = !b // the workflow's judgement wins (an approved appeal, say)
				}
				c.HandledOnTime = &b
			}
		} else if r.IntN(8) == 0 {
			cl := c.ReportedAt // a stale ClosedAt of a reopened case must be ignored
			c.ClosedAt = &cl
		}
		c.ReworkCount = max(0, r.IntN(6)-3)
		c.ReturnCount = max(0, r.IntN(5)-2)
	}
	return out
}

// naive is statstest.Naive with its rows as Counts.
func naive(cs []cases.Case, key func(*cases.Case) string, from, to, now time.Time) map[string]*Counts {
	out := map[string]*Counts{}
	for k, r := range statstest.Naive(cs, key, from, to, now) {
		out[k] = &Counts{Reported: r.Reported, Registered: r.Registered, NotRegistered: r.NotRegistered, Dispatched: r.Dispatched,
			DueForClosure: r.DueForClosure, Closed: r.Closed, ClosedOnTime: r.ClosedOnTime, Handled: r.Handled,
			HandledOnTime: r.HandledOnTime, DueForHandling: r.DueForHandling, Reworked: r.Reworked, Returned: r.Returned,
			ReturnedCases: r.ReturnedCases, Overdue: r.Overdue, PublicVerified: r.PublicVerified,
			handlingSecs: r.HandlingSecs, handlingN: r.HandlingN}
	}
	return out
}

// TestAgainstNaive compares every count and rate, for every dimension
// and several periods, with the naive computation.
func TestAgainstNaive(t *testing.T) {
	cs := randomCases(20000, 1)
	dept := func(u string) string {
		if u == "U1" || u == "U2" {
			return "D12"
		}
		return u
	}
	tb := NewTable(Options{Department: dept})
	// Insert in two halves and then re-put a quarter: replacement must
	// not double count.
	tb.PutAll(cs[:10000])
	tb.PutAll(cs[10000:])
	for i := 0; i < len(cs); i += 4 {
		tb.Put(&cs[i])
	}
	if tb.Len() != len(cs) {
		t.Fatalf("Len %d, want %d", tb.Len(), len(cs))
	}
	keys := map[Dim]func(*cases.Case) string{
		DimUnit:       func(c *cases.Case) string { return c.Unit },
		DimDepartment: func(c *cases.Case) string { return dept(c.Unit) },
		DimStreet:     func(c *cases.Case) string { return c.Street },
		DimCommunity:  func(c *cases.Case) string { return c.Community },
		DimGrid:       func(c *cases.Case) string { return c.UnitGrid },
		DimCategory:   func(c *cases.Case) string { return string(c.Kind) + "/" + c.Category },
		DimSource:     func(c *cases.Case) string { return string(c.Source) },
		DimReporter:   func(c *cases.Case) string { return c.Reporter },
		DimDispatcher: func(c *cases.Case) string { return c.Dispatcher },
	}
	periods := [][3]time.Time{
		{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), {}},
		{time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 12, 13, 0, 0, 0, time.UTC)},
		{time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC), time.Date(2026, 1, 15, 18, 0, 0, 0, time.UTC), {}},
		{time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
	}
	for d, key := range keys {
		for _, p := range periods {
			res, err := tb.Compute(Query{Group: d, From: p[0], To: p[1], Now: p[2]})
			if err != nil {
				t.Fatal(err)
			}
			want := naive(cs, key, p[0], p[1], p[2])
			got := map[string]Row{}
			for _, r := range res.Rows {
				got[r.Key] = r
			}
			for k, w := range want {
				if *w == (Counts{}) {
					if _, ok := got[k]; ok {
						t.Errorf("%s %v %q: empty group listed", d, p[0], k)
					}
					continue
				}
				g, ok := got[k]
				if !ok {
					t.Errorf("%s %v %q missing", d, p[0], k)
					continue
				}
				if g.Counts != *w {
					t.Errorf("%s %v %q:\n got %+v\nwant %+v", d, p[0], k, g.Counts, *w)
				}
				wr := w.Rates()
				gj, _ := json.Marshal(g.Rates)
				wj, _ := json.Marshal(wr)
				if string(gj) != string(wj) {
					t.Errorf("%s %v %q rates:\n got %s\nwant %s", d, p[0], k, gj, wj)
				}
				// The rates by their definitions, not through Rates.
				if w.DueForClosure > 0 && math.Abs(*g.ClosureRate-float64(w.Closed)/float64(w.DueForClosure)) > 1e-12 {
					t.Errorf("closure rate")
				}
			}
			if len(got) > len(want) {
				t.Errorf("%s: %d rows, want at most %d", d, len(got), len(want))
			}
		}
	}
}

func TestEvaluateScoresRanksAndChange(t *testing.T) {
	cs := randomCases(20000, 2)
	tb := NewTable(Options{})
	tb.PutAll(cs)
	s := DefaultScoring()
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	res, err := tb.Evaluate(Query{Group: DimUnit, From: from, To: to}, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	prev, _ := tb.Compute(Query{Group: DimUnit, From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), To: from})
	pm := map[string]Row{}
	for _, r := range prev.Rows {
		pm[r.Key] = r
	}
	lastScore, lastRank := math.Inf(1), 0
	ranked := 0
	for _, r := range res.Rows {
		if r.Score == nil {
			t.Fatalf("unit %q has no score", r.Key)
		}
		// Department score by hand from the row's own numbers.
		want := DepartmentRegisteredScore(float64(r.Registered)/(31.0/30)) + 0.3*pct(r.ClosureRate) +
			0.3*pct(r.OnTimeHandlingRate) + 0.3*max(0, 100-pct0(r.ReworkRate))
		if math.Abs(*r.Score-want) > 0.006 {
			t.Errorf("unit %q score %v, want %v", r.Key, *r.Score, want)
		}
		if g := s.Grade(*r.Score); r.Grade != g {
			t.Errorf("grade %q for %v, want %q", r.Grade, *r.Score, g)
		}
		if r.Previous.Registered != pm[r.Key].Registered || r.Change.Registered != r.Registered-pm[r.Key].Registered {
			t.Errorf("unit %q: previous month %d, change %d", r.Key, r.Previous.Registered, r.Change.Registered)
		}
		if r.Key == "" {
			if r.Rank != 0 {
				t.Errorf("the row without a unit must not be ranked")
			}
			continue
		}
		if r.Rank > 0 {
			ranked++
		}
	}
	// Ranks follow scores.
	byRank := map[int]Row{}
	for _, r := range res.Rows {
		if r.Rank > 0 {
			byRank[r.Rank] = r
		}
	}
	for i := 1; i <= ranked; i++ {
		r, ok := byRank[i]
		if !ok || *r.Score > lastScore {
			t.Fatalf("rank %d out of order", i)
		}
		lastScore, lastRank = *r.Score, i
	}
	if lastRank != 4 {
		t.Errorf("%d units ranked, want 4", lastRank)
	}
	for _, g := range []struct {
		score float64
		grade string
	}{{100, "A"}, {90, "A"}, {89.99, "B"}, {75, "B"}, {60, "C"}, {59.9, "D"}, {40, "D"}, {39.99, "E"}, {0, "E"}} {
		if s.Grade(g.score) != g.grade {
			t.Errorf("grade of %v = %q, want %q", g.score, s.Grade(g.score), g.grade)
		}
	}
	// Region score of a grid from hand numbers.
	gres, _ := tb.Evaluate(Query{Group: DimGrid, From: from, To: to}, s, nil)
	for _, r := range gres.Rows {
		want := 0.1*max(0, 100-pct0(ratio(r.PublicVerified, r.Registered))) +
			0.2*RegionRegisteredScore(float64(r.Registered)/(31.0/30)) + 0.3*pct(r.ClosureRate) + 0.4*pct(r.OnTimeClosureRate)
		if math.Abs(*r.Score-want) > 0.006 {
			t.Errorf("grid %q score %v, want %v", r.Key, *r.Score, want)
		}
	}
	// Dispatcher rows of the case table count cases, unscored: people
	// are scored by post (posts_test.go).
	dres, _ := tb.Evaluate(Query{Group: DimDispatcher, From: from, To: to}, s, nil)
	if len(dres.Rows) != 3 {
		t.Fatalf("%d dispatchers", len(dres.Rows))
	}
	for _, r := range dres.Rows {
		if r.Score != nil || r.Dispatched == 0 {
			t.Errorf("dispatcher %q: score %v, dispatched %d", r.Key, r.Score, r.Dispatched)
		}
	}
	for n, want := range map[float64]float64{2001: 100, 2000: 90, 1201: 90, 501: 75, 500: 60, 301: 60, 300: 40, 101: 40, 100: 0} {
		if CountScore(n) != want {
			t.Errorf("CountScore(%v) = %v, want %v", n, CountScore(n), want)
		}
	}
	bad := DefaultScoring()
	bad.Region.Terms = append(bad.Region.Terms, Term{"nonsense", 1})
	if _, err := tb.Evaluate(Query{Group: DimGrid, From: from, To: to}, bad, nil); err == nil {
		t.Error("an unknown indicator must be refused")
	}
}

func TestTopAndPreviousPeriod(t *testing.T) {
	cs := randomCases(5000, 3)
	tb := NewTable(Options{})
	tb.PutAll(cs)
	from, to := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	top, err := tb.Top(Query{Group: DimCategory, From: from, To: to}, 3)
	if err != nil || len(top) != 3 {
		t.Fatalf("top: %v %d", err, len(top))
	}
	want := naive(cs, func(c *cases.Case) string { return string(c.Kind) + "/" + c.Category }, from, to, time.Time{})
	for _, r := range top {
		for k, w := range want {
			if w.Registered > r.Registered && !inTop(top, k) {
				t.Errorf("%s (%d registered) is missing from the top 3 with %s (%d)", k, w.Registered, r.Key, r.Registered)
			}
		}
	}
	pf, pt := PreviousPeriod(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	if !pf.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) || !pt.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("previous of March: %v–%v", pf, pt)
	}
	pf, pt = PreviousPeriod(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC))
	if !pf.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) || !pt.Equal(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("previous of a week: %v–%v", pf, pt)
	}
}

func inTop(rows []Row, k string) bool {
	for _, r := range rows {
		if r.Key == k {
			return true
		}
	}
	return false
}

func TestDailyAgainstNaive(t *testing.T) {
	cs := randomCases(5000, 4)
	tb := NewTable(Options{})
	tb.PutAll(cs)
	cst := time.FixedZone("CST", 8*3600)
	from := time.Date(2026, 2, 10, 15, 0, 0, 0, cst) // mid-day: the series starts at that day's midnight
	days := tb.Daily(from, 20, cst)
	if len(days) != 20 || days[0].Date != "2026-02-10" || days[19].Date != "2026-03-01" {
		t.Fatalf("dates: %v … %v", days[0], days[len(days)-1])
	}
	want := map[string]*Day{}
	for i := range days {
		want[days[i].Date] = &Day{}
	}
	key := func(tp *time.Time) *Day {
		if tp == nil {
			return nil
		}
		return want[tp.In(cst).Format("2006-01-02")]
	}
	for i := range cs {
		c := &cs[i]
		rep := c.ReportedAt
		if d := key(&rep); d != nil {
			d.Reported++
		}
		if d := key(c.RegisteredAt); d != nil {
			d.Registered++
		}
		if c.State == cases.StateClosed {
			if d := key(c.ClosedAt); d != nil {
				d.Closed++
			}
		}
	}
	total := 0
	for _, d := range days {
		w := want[d.Date]
		if d.Reported != w.Reported || d.Registered != w.Registered || d.Closed != w.Closed {
			t.Errorf("%s: got %+v, want %+v", d.Date, d, *w)
		}
		total += d.Reported
	}
	if total == 0 {
		t.Error("no case in the series: the test checks nothing")
	}
}
