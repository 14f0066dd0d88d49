package demo

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/stats"
	"citygrid/data/cases/stats/statstest"

	"github.com/paulmach/orb/planar"
)

func TestAddWorkingHours(t *testing.T) {
	cst := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, shanghai) }
	for _, tc := range []struct {
		name  string
		from  time.Time
		hours float64
		want  time.Time
	}{
		{"inside the morning", cst(2, 9, 0), 2, cst(2, 11, 0)},
		{"across lunch", cst(2, 11, 0), 2, cst(2, 15, 0)},
		{"from the evening to the next morning", cst(2, 19, 0), 1, cst(3, 9, 0)},
		{"one working day from 10:00", cst(2, 10, 0), 8, cst(3, 10, 0)},
		{"Friday afternoon over the weekend", cst(6, 17, 0), 2, cst(9, 9, 0)}, // 6 March 2026 is a Friday
		{"from Saturday", cst(7, 10, 0), 1, cst(9, 9, 0)},
		{"three working days from Wednesday lunch", cst(4, 12, 30), 24, cst(9, 12, 0)},
	} {
		if got := addWorkingHours(tc.from, tc.hours); !got.Equal(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got.In(shanghai), tc.want)
		}
	}
}

func TestAddShiftHours(t *testing.T) {
	cst := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, shanghai) }
	for _, tc := range []struct {
		name  string
		from  time.Time
		hours float64
		want  time.Time
	}{
		{"inside the shift", cst(2, 9, 0), 2, cst(2, 11, 0)},
		{"over lunch, which the turns cover", cst(2, 11, 0), 2, cst(2, 13, 0)},
		{"from the night to the morning", cst(2, 23, 0), 1, cst(3, 9, 0)},
		{"before the shift", cst(2, 6, 30), 0.5, cst(2, 8, 30)},
		{"across the evening", cst(2, 19, 0), 2, cst(3, 9, 0)},
		{"on Saturday, as on any day", cst(7, 10, 0), 1, cst(7, 11, 0)}, // 7 March 2026 is a Saturday
		{"Saturday evening to Sunday", cst(7, 19, 30), 1, cst(8, 8, 30)},
		{"a whole shift", cst(6, 8, 0), 12, cst(6, 20, 0)},
	} {
		if got := addShiftHours(tc.from, tc.hours); !got.Equal(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got.In(shanghai), tc.want)
		}
	}
}

// The centre works every day: every calendar day of the history, weekends
// included, has cases registered (a city of this size registers dozens a
// day), and no registration happens outside the shifts.
func TestTheCentreRegistersEveryDay(t *testing.T) {
	ds := smallCity(t)
	end := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	cs, _, err := Cases(ds, CaseOptions{Seed: 3, End: end, Days: 60})
	if err != nil {
		t.Fatal(err)
	}
	perDay := map[string]int{}
	weekend := 0
	for i := range cs {
		at := cs[i].RegisteredAt
		if at == nil {
			continue
		}
		l := at.In(shanghai)
		if l.Hour() < shiftStart || l.Hour() >= shiftEnd {
			t.Fatalf("case %d registered at %v, outside the shifts", cs[i].ID, l)
		}
		perDay[l.Format("2006-01-02")]++
		if wd := l.Weekday(); wd == time.Saturday || wd == time.Sunday {
			weekend++
		}
	}
	for d := end.AddDate(0, 0, -59).In(shanghai); d.Before(end.AddDate(0, 0, -1)); d = d.AddDate(0, 0, 1) {
		if perDay[d.Format("2006-01-02")] == 0 {
			t.Errorf("no case registered on %s (%s)", d.Format("2006-01-02"), d.Weekday())
		}
	}
	if weekend == 0 {
		t.Error("no registration on any weekend")
	}
}

func TestCaseHistory(t *testing.T) {
	ds := smallCity(t)
	end := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	cs, trs, err := Cases(ds, CaseOptions{Seed: 3, End: end})
	if err != nil {
		t.Fatal(err)
	}
	cs2, trs2, _ := Cases(ds, CaseOptions{Seed: 3, End: end})
	if !reflect.DeepEqual(cs, cs2) || !reflect.DeepEqual(trs, trs2) {
		t.Fatal("the same seed must give the same history")
	}
	grids := map[string]*data.UnitGrid{}
	for i := range ds.UnitGrids {
		grids[ds.UnitGrids[i].Code] = &ds.UnitGrids[i]
	}
	var events, registered int
	units := map[string]bool{}
	for i := range cs {
		c := &cs[i]
		if c.ID != int64(i+1) || (i > 0 && c.ReportedAt.Before(cs[i-1].ReportedAt)) {
			t.Fatalf("case %d: ids must count from 1 in report order", i)
		}
		g := grids[c.UnitGrid]
		if g == nil || !planar.MultiPolygonContains(g.Geometry, c.Point) && c.Kind == data.KindEvent {
			t.Fatalf("case %d: point %v not in its grid %s", c.ID, c.Point, c.UnitGrid)
		}
		if c.Community != g.Community || c.Street == "" || c.District == "" {
			t.Fatalf("case %d: community %s street %s district %s", c.ID, c.Community, c.Street, c.District)
		}
		if c.Kind == data.KindEvent {
			events++
		}
		if c.RegisteredAt != nil {
			registered++
		}
		if c.Unit != "" {
			units[c.Unit] = true
		}
		if c.ClosedAt != nil && (c.HandledAt == nil || c.ClosedAt.Before(*c.HandledAt) || c.HandledAt.Before(*c.DispatchedAt)) {
			t.Fatalf("case %d: times out of order", c.ID)
		}
		if !c.ReportedAt.Before(end) || (c.ClosedAt != nil && !c.ClosedAt.Before(end)) {
			t.Fatalf("case %d: after the end of the history", c.ID)
		}
	}
	// Transitions chain: each starts where the previous ended, in time
	// order, and the last one is the case's state.
	last := map[int64]cases.Transition{}
	for _, tr := range trs {
		p, ok := last[tr.CaseID]
		if ok && (tr.From != p.To || tr.At.Before(p.At) || tr.Seq != p.Seq+1) {
			t.Fatalf("case %d: transition %d %s→%s after %s→%s", tr.CaseID, tr.Seq, tr.From, tr.To, p.From, p.To)
		}
		last[tr.CaseID] = tr
	}
	for i := range cs {
		if last[cs[i].ID].To != cs[i].State {
			t.Fatalf("case %d: state %s, last transition to %s", cs[i].ID, cs[i].State, last[cs[i].ID].To)
		}
	}
	if registered < 15500 || registered > 18500 {
		t.Errorf("%d registered cases in a year, want about 17,000", registered)
	}
	if len(cs) <= registered*11/10 {
		t.Errorf("%d reported for %d registered: more must be reported", len(cs), registered)
	}
	if share := float64(events) / float64(len(cs)); share < 0.7 || share > 0.9 {
		t.Errorf("events are %.0f %% of cases, want street order and environment to dominate", share*100)
	}
	if len(units) < 5 {
		t.Errorf("only %d handling units", len(units))
	}
	tb := stats.NewTable(stats.Options{})
	tb.PutAll(cs)
	res, err := tb.Compute(stats.Query{Group: stats.DimStreet, From: end.AddDate(-1, 0, 0), To: end})
	if err != nil {
		t.Fatal(err)
	}
	tot := res.Total
	if r := *tot.OnTimeClosureRate; r < 0.85 || r > 0.95 {
		t.Errorf("on-time closure rate %.3f, want 0.85–0.95", r)
	}
	if tot.Reworked == 0 || tot.Returned == 0 || tot.Overdue == 0 || tot.NotRegistered == 0 {
		t.Errorf("want some rework, returns, overdue and refused cases: %+v", tot.Counts)
	}
	top, _ := tb.Top(stats.Query{Group: stats.DimGrid, From: end.AddDate(-1, 0, 0), To: end}, 10)
	mean := float64(registered) / float64(len(ds.UnitGrids))
	if float64(top[0].Registered) < 4*mean {
		t.Errorf("the busiest grid has %d registered cases, mean %.1f: want hotspots", top[0].Registered, mean)
	}
	t.Logf("%d reported, %d registered, on time %.3f, closure %.3f, rework %d, returned %d, overdue %d, top grid %d (mean %.1f)",
		len(cs), registered, *tot.OnTimeClosureRate, *tot.ClosureRate, tot.Reworked, tot.Returned, tot.Overdue, top[0].Registered, mean)
}

func TestCaseHistoryReachesItsEnd(t *testing.T) {
	ds := smallCity(t)
	end := time.Date(2026, 7, 1, 16, 0, 0, 0, shanghai)
	cs, _, err := Cases(ds, CaseOptions{Seed: 1, End: end, Days: 10})
	if err != nil {
		t.Fatal(err)
	}
	today := 0
	for i := range cs {
		if !cs[i].ReportedAt.Before(time.Date(2026, 7, 1, 0, 0, 0, 0, shanghai)) {
			today++
		}
		if !cs[i].ReportedAt.Before(end) {
			t.Fatalf("case %d reported after the end", cs[i].ID)
		}
	}
	if today < 20 {
		t.Errorf("%d cases on the end's day by 16:00, want the day's work so far", today)
	}
}

// TestEveryIndicatorOfTheGeneratedHistory computes every indicator of
// the generated history per unit, department, street, community, grid,
// category, source and reporter for a day, a week, a month and the year,
// and compares each count and rate with the straightforward second
// computation of package statstest.
func TestEveryIndicatorOfTheGeneratedHistory(t *testing.T) {
	ds := smallCity(t)
	end := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	cs, _, err := Cases(ds, CaseOptions{Seed: 5, End: end})
	if err != nil {
		t.Fatal(err)
	}
	parent := map[string]string{}
	for _, d := range ds.Departments {
		parent[d.Code] = d.Parent
	}
	dept := func(u string) string {
		if p := parent[u]; p != "" {
			return p
		}
		return u
	}
	tb := stats.NewTable(stats.Options{Department: dept})
	tb.PutAll(cs)
	keys := map[stats.Dim]func(*cases.Case) string{
		stats.DimUnit:       func(c *cases.Case) string { return c.Unit },
		stats.DimDepartment: func(c *cases.Case) string { return dept(c.Unit) },
		stats.DimStreet:     func(c *cases.Case) string { return c.Street },
		stats.DimCommunity:  func(c *cases.Case) string { return c.Community },
		stats.DimGrid:       func(c *cases.Case) string { return c.UnitGrid },
		stats.DimCategory:   func(c *cases.Case) string { return string(c.Kind) + "/" + c.Category },
		stats.DimSource:     func(c *cases.Case) string { return string(c.Source) },
		stats.DimReporter:   func(c *cases.Case) string { return c.Reporter },
		stats.DimDispatcher: func(c *cases.Case) string { return c.Dispatcher },
	}
	cst := shanghai
	periods := [][2]time.Time{
		{time.Date(2026, 6, 10, 0, 0, 0, 0, cst), time.Date(2026, 6, 11, 0, 0, 0, 0, cst)},
		{time.Date(2026, 6, 1, 0, 0, 0, 0, cst), time.Date(2026, 6, 8, 0, 0, 0, 0, cst)},
		{time.Date(2026, 5, 1, 0, 0, 0, 0, cst), time.Date(2026, 6, 1, 0, 0, 0, 0, cst)},
		{end.AddDate(-1, 0, 0), end},
	}
	compared := 0
	for d, key := range keys {
		for _, p := range periods {
			res, err := tb.Compute(stats.Query{Group: d, From: p[0], To: p[1], Now: end})
			if err != nil {
				t.Fatal(err)
			}
			want := statstest.Naive(cs, key, p[0], p[1], end)
			got := map[string]stats.Row{}
			for _, r := range res.Rows {
				got[r.Key] = r
			}
			for k, w := range want {
				g, ok := got[k]
				if *w == (statstest.Row{}) {
					if ok {
						t.Errorf("%s %v: empty group %q listed", d, p[0], k)
					}
					continue
				}
				gj, _ := json.Marshal(g)
				var gm map[string]any
				_ = json.Unmarshal(gj, &gm)
				wj, _ := json.Marshal(w)
				var wm map[string]any
				_ = json.Unmarshal(wj, &wm)
				for f, wv := range wm {
					if gm[f] != wv {
						t.Errorf("%s %v %q: %s = %v, want %v", d, p[0], k, f, gm[f], wv)
					}
				}
				for f, wr := range w.Rates() {
					gr, _ := gm[f].(float64)
					if (wr == nil) != (gm[f] == nil) || (wr != nil && math.Abs(gr-*wr) > 1e-12) {
						t.Errorf("%s %v %q: %s = %v, want %v", d, p[0], k, f, gm[f], wr)
					}
				}
				compared++
			}
		}
	}
	if compared < 1000 {
		t.Errorf("only %d groups compared", compared)
	}
}

// TestGeneratedPostHistory: the generated history follows the workflow
// (every action allowed from its state for its role, centre steps with
// their step deadlines), and the post scores it gives agree with the
// second computation and look like a centre's: several people per post,
// most steps on time but not all, scores spread over grades.
func TestGeneratedPostHistory(t *testing.T) {
	ds := smallCity(t)
	end := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	cs, trs, err := Cases(ds, CaseOptions{Seed: 5, End: end})
	if err != nil {
		t.Fatal(err)
	}
	withDue := 0
	for _, tr := range trs {
		if tr.Action == cases.ActReport {
			continue
		}
		rule, ok := cases.RuleOf(tr.Action)
		if !ok || !slices.Contains(rule.From, tr.From) || !slices.Contains(rule.Roles, tr.Role) {
			t.Fatalf("case %d: %s by %s from %s is not a workflow step", tr.CaseID, tr.Action, tr.Role, tr.From)
		}
		switch tr.Action {
		case cases.ActVerify, cases.ActRegister, cases.ActNotRegister, cases.ActDispatch, cases.ActRedispatch,
			cases.ActCheckPass, cases.ActCheckFail:
			if tr.StepDueAt == nil || !tr.StepDueAt.After(tr.At.Add(-400*24*time.Hour)) {
				t.Fatalf("case %d: %s without a step deadline", tr.CaseID, tr.Action)
			}
			withDue++
		default:
			if tr.StepDueAt != nil {
				t.Fatalf("case %d: %s has a step deadline", tr.CaseID, tr.Action)
			}
		}
	}
	byID := map[int64]*cases.Case{}
	for i := range cs {
		byID[cs[i].ID] = &cs[i]
	}
	pt := stats.NewPostTable()
	pt.AddAll(trs, func(id int64) *cases.Case { return byID[id] })
	from, to := time.Date(2026, 6, 1, 0, 0, 0, 0, shanghai), time.Date(2026, 7, 1, 0, 0, 0, 0, shanghai)
	res, err := pt.Evaluate(stats.PostQuery{From: from, To: to}, stats.DefaultScoring())
	if err != nil {
		t.Fatal(err)
	}
	want := statstest.NaivePosts(cs, trs, from, to)
	people := map[stats.Post]int{}
	grades := map[string]bool{}
	for _, r := range res.Rows {
		people[r.Post]++
		grades[r.Grade] = true
		var m map[string]int
		b, _ := json.Marshal(r.PostCounts)
		_ = json.Unmarshal(b, &m)
		w := want[statstest.PostKey{Post: string(r.Post), User: r.User}]
		for k, v := range w {
			if m[k] != v {
				t.Errorf("%s %s: %s = %d, want %d", r.Post, r.User, k, m[k], v)
			}
		}
		// The score by the standard's formulas from the naive counts (a
		// rate without a denominator scores 100; June has 30 days).
		rate := func(n, d string) float64 {
			if w[d] == 0 {
				return 100
			}
			return 100 * float64(w[n]) / float64(w[d])
		}
		count := func(n int) float64 {
			for _, b := range []struct{ min, score float64 }{{2001, 100}, {1201, 90}, {501, 75}, {301, 60}, {101, 40}} {
				if float64(n) >= b.min {
					return b.score
				}
			}
			return 0
		}
		var score float64
		switch r.Post {
		case stats.PostInspector:
			missed := 0.0
			if d := w["valid_reports"] + w["missed"]; d > 0 {
				missed = 100 * float64(w["missed"]) / float64(d)
			}
			score = 0.4*rate("valid_reports", "reports") + 0.2*(100-missed) + 0.2*rate("verified_on_time", "verified") + 0.2*rate("checked_on_time", "checked")
		case stats.PostOperator:
			score = 0.25*count(w["accepted"]) + 0.4*rate("verify_sent_on_time", "verify_sent") + 0.35*rate("check_sent_on_time", "check_sent")
		case stats.PostSupervisor:
			accurate := 100.0
			if w["registered"] > 0 {
				accurate = 100 * float64(w["registered"]-w["registered_cancelled"]) / float64(w["registered"])
			}
			score = 0.25*rate("registered_on_time", "registered") + 0.4*accurate + 0.35*rate("closed_on_time", "closed")
		case stats.PostDispatcher:
			accurate := 100.0
			if w["dispatched"] > 0 {
				accurate = 100 * float64(w["dispatched"]-w["dispatched_returned"]) / float64(w["dispatched"])
			}
			score = 0.2*count(w["dispatched"]) + 0.4*rate("dispatched_on_time", "dispatched") + 0.4*accurate
		}
		if r.Score == nil || math.Abs(*r.Score-score) > 0.006 {
			t.Errorf("%s %s: score %v, want %.3f", r.Post, r.User, r.Score, score)
		}
	}
	for _, p := range stats.Posts {
		if people[p] < 3 {
			t.Errorf("%d people on post %s", people[p], p)
		}
	}
	if len(grades) < 2 {
		t.Errorf("every score in one grade: %v", grades)
	}
	for _, tot := range res.Totals {
		for name, r := range map[string]*float64{"verify": tot.OnTimeVerifyRate, "check": tot.OnTimeCheckRate,
			"register": tot.OnTimeRegisterRate, "dispatch": tot.OnTimeDispatchRate, "verify sent": tot.VerifySentOnTimeRate} {
			if r != nil && (*r < 0.7 || *r > 0.99) {
				t.Errorf("%s: on-time %s %.3f, want most but not all on time", tot.Post, name, *r)
			}
		}
	}
	ins := res.Totals[0]
	if ins.Reports == 0 || ins.Missed == 0 || *ins.ValidReportRate < 0.85 || ins.Checked == 0 {
		t.Errorf("inspectors %+v", ins.PostCounts)
	}
	if d := res.Totals[3]; d.DispatchedReturned == 0 || d.Dispatched < 500 {
		t.Errorf("dispatchers %+v", d.PostCounts)
	}
	t.Logf("%d transitions with a step deadline; June: %d inspectors, %d operators, %d supervisors, %d dispatchers", withDue,
		people[stats.PostInspector], people[stats.PostOperator], people[stats.PostSupervisor], people[stats.PostDispatcher])
}
