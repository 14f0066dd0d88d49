package stats

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/stats/statstest"
)

// hist builds one case's transitions: each step is action, user, role,
// hour of March 2026 (from t0) and step deadline hour (< 0: none).
type step struct {
	action string
	user   string
	role   data.Role
	h, due float64
}

func history(id int64, steps ...step) []cases.Transition {
	out := make([]cases.Transition, len(steps))
	for i, s := range steps {
		out[i] = cases.Transition{CaseID: id, Seq: i + 1, Action: s.action, User: s.user, Role: s.role, At: *at(s.h)}
		if s.due >= 0 {
			out[i].StepDueAt = at(s.due)
		}
	}
	return out
}

const (
	rIns = data.RoleInspector
	rOp  = data.RoleOperator
	rSup = data.RoleSupervisor
	rDis = data.RoleDispatcher
	rUn  = data.RoleUnit
)

// handPosts is a small history whose post counts and scores are worked
// out by hand in TestPostsHandComputed.
func handPosts() ([]cases.Case, []cases.Transition) {
	cs := []cases.Case{
		{ID: 1, Source: cases.SourceInspector, State: cases.StateClosed, HandledOnTime: bp(false)},
		{ID: 2, Source: cases.SourceHotline, State: cases.StateCancelled},
		{ID: 3, Source: cases.SourceCitizen, State: cases.StateNotRegistered},
		{ID: 4, Source: cases.SourceHotline, State: cases.StateClosed, HandledOnTime: bp(true)},
		{ID: 5, Source: cases.SourceVideo, State: cases.StateDispatched},
	}
	var trs []cases.Transition
	// 1: an inspector's report, registered on time, dispatched late and
	// returned, redispatched on time by another dispatcher, checked on
	// time, closed (handled late).
	trs = append(trs, history(1,
		step{cases.ActReport, "ins1", rIns, 1, -1},
		step{cases.ActRegister, "sup1", rSup, 2, 3},
		step{cases.ActDispatch, "dis1", rDis, 5, 4},
		step{cases.ActReturn, "u1", rUn, 6, -1},
		step{cases.ActRedispatch, "dis2", rDis, 7, 8},
		step{cases.ActHandle, "u2", rUn, 9, -1},
		step{cases.ActCheckPass, "ins2", rIns, 10, 12},
		step{cases.ActClose, "sup1", rSup, 11, -1})...)
	// 2: a hotline report op1 took; ins1 verifies late (a problem of his
	// beat he missed: it is registered); sup2 registers late; sup1
	// cancels it (作废: sup2's register was not accurate).
	trs = append(trs, history(2,
		step{cases.ActReport, "op1", rOp, 20, -1},
		step{cases.ActVerify, "ins1", rIns, 23, 21},
		step{cases.ActRegister, "sup2", rSup, 25, 24},
		step{cases.ActCancel, "sup1", rSup, 30, -1})...)
	// 3: a citizen's report verified on time by ins1, not registered:
	// not a missed one.
	trs = append(trs, history(3,
		step{cases.ActReport, "13800000000", data.RoleCitizen, 40, -1},
		step{cases.ActVerify, "ins1", rIns, 41, 42},
		step{cases.ActNotRegister, "sup1", rSup, 43, 44})...)
	// 4: op1's hotline report verified and registered by an admin (no
	// post events of the admin; op1's task arrived on time), dispatched
	// on time, check failed late, checked again on time, closed on time.
	trs = append(trs, history(4,
		step{cases.ActReport, "op1", rOp, 50, -1},
		step{cases.ActVerify, "root", data.RoleAdmin, 51, 52},
		step{cases.ActRegister, "root", data.RoleAdmin, 53, 54},
		step{cases.ActDispatch, "dis1", rDis, 55, 56},
		step{cases.ActHandle, "u1", rUn, 57, -1},
		step{cases.ActCheckFail, "ins2", rIns, 62, 61},
		step{cases.ActHandle, "u1", rUn, 63, -1},
		step{cases.ActCheckPass, "ins2", rIns, 64, 67},
		step{cases.ActClose, "sup1", rSup, 65, -1})...)
	// 5: a video report (the operator's: op2) auto-dispatched by
	// "system": no dispatcher event; and one in April, outside March.
	trs = append(trs, history(5,
		step{cases.ActReport, "op2", rOp, 70, -1},
		step{cases.ActVerify, "ins3", rIns, 71, -1},
		step{cases.ActRegister, "sup1", rSup, 72, 73},
		step{cases.ActDispatch, "system", rDis, 74, 75},
		step{cases.ActReturn, "u1", rUn, 31 * 24, -1},
		step{cases.ActRedispatch, "dis2", rDis, 31*24 + 1, 31*24 + 2})...)
	return cs, trs
}

func caseIndex(cs []cases.Case) func(int64) *cases.Case {
	m := map[int64]*cases.Case{}
	for i := range cs {
		m[cs[i].ID] = &cs[i]
	}
	return func(id int64) *cases.Case { return m[id] }
}

func TestPostsHandComputed(t *testing.T) {
	cs, trs := handPosts()
	pt := NewPostTable()
	pt.AddAll(trs, caseIndex(cs))
	from, to := t0, t0.AddDate(0, 0, 30) // one 30-day month: counts per month are the counts
	s := DefaultScoring()
	s.MinSample = 1
	res, err := pt.Evaluate(PostQuery{From: from, To: to}, s)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]PostRow{}
	for _, r := range res.Rows {
		got[string(r.Post)+"/"+r.User] = r
	}
	want := map[string]struct {
		c     PostCounts
		score float64
		grade string
		rank  int
	}{
		// valid 1/1 → 40; 漏报率 1/(1+1) → 50 × 0.2 = 10; verify 1/2 → 10; no check → 20.
		"inspector/ins1": {PostCounts{Reports: 1, ValidReports: 1, Missed: 1, Verified: 2, VerifiedOnTime: 1}, 80, "B", 3},
		// no reports → 40; no missed → 20; no verify → 20; checks 2/3 → 13.33.
		"inspector/ins2": {PostCounts{Checked: 3, CheckedOnTime: 2}, 93.33, "A", 2},
		// a verify without a step deadline is on time; video is not public: no missed.
		"inspector/ins3": {PostCounts{Verified: 1, VerifiedOnTime: 1}, 100, "A", 1},
		// 2 accepted a month → 受理数分值 0; verify sent 1/2 → 20; checks sent 1/2 → 17.5.
		"operator/op1": {PostCounts{Accepted: 2, VerifySent: 2, VerifySentOnTime: 1, CheckSent: 2, CheckSentOnTime: 1}, 37.5, "E", 2},
		"operator/op2": {PostCounts{Accepted: 1, VerifySent: 1, VerifySentOnTime: 1}, 75, "B", 1},
		// registers 2/2 on time, none cancelled → 25 + 40; closes 1/2 on time → 17.5.
		"supervisor/sup1": {PostCounts{Registered: 2, RegisteredOnTime: 2, Closed: 2, ClosedOnTime: 1}, 82.5, "B", 1},
		// one late register, cancelled → 0 + 0; no closes → 35.
		"supervisor/sup2": {PostCounts{Registered: 1, RegisteredCancelled: 1}, 35, "E", 2},
		// dispatches: case 1 late and returned, case 4 on time → 20 + 20.
		"dispatcher/dis1": {PostCounts{Dispatched: 2, DispatchedOnTime: 1, DispatchedReturned: 1}, 40, "D", 2},
		// the redispatch of case 1 (case 5's is in April).
		"dispatcher/dis2": {PostCounts{Dispatched: 1, DispatchedOnTime: 1}, 80, "B", 1},
	}
	if len(got) != len(want) {
		keys := []string{}
		for k := range got {
			keys = append(keys, k)
		}
		t.Fatalf("rows %v, want %d", keys, len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Fatalf("no row %s", k)
		}
		if g.PostCounts != w.c {
			t.Errorf("%s counts %+v, want %+v", k, g.PostCounts, w.c)
		}
		if g.Score == nil || math.Abs(*g.Score-w.score) > 0.005 || g.Grade != w.grade {
			t.Errorf("%s score %v %q, want %v %q", k, g.Score, g.Grade, w.score, w.grade)
		}
		if g.Rank != w.rank {
			t.Errorf("%s rank %d, want %d", k, g.Rank, w.rank)
		}
	}
	// Rates as fractions, nil without a denominator.
	op := got["operator/op1"]
	if op.VerifySentOnTimeRate == nil || *op.VerifySentOnTimeRate != 0.5 || op.ValidReportRate != nil {
		t.Errorf("op1 rates %+v", op.PostRates)
	}
	sup2 := got["supervisor/sup2"]
	if sup2.AccurateRegisterRate == nil || *sup2.AccurateRegisterRate != 0 || sup2.OnTimeCloseRate != nil {
		t.Errorf("sup2 rates %+v", sup2.PostRates)
	}
	// Totals per post: the sum of the people.
	if len(res.Totals) != 4 || res.Totals[3].Post != PostDispatcher || res.Totals[3].Dispatched != 3 || res.Totals[3].DispatchedReturned != 1 {
		t.Errorf("totals %+v", res.Totals)
	}
	// Rows come by post, then rank.
	var order []string
	for _, r := range res.Rows {
		order = append(order, r.User)
	}
	if want := []string{"ins3", "ins2", "ins1", "op2", "op1", "sup1", "sup2", "dis2", "dis1"}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	// A minimum sample of 2 leaves ins3 (1 event) and op2 (1) unranked.
	s.MinSample = 2
	res, _ = pt.Evaluate(PostQuery{Post: PostOperator, From: from, To: to}, s)
	if len(res.Rows) != 2 || res.Rows[0].User != "op1" || res.Rows[0].Rank != 1 || res.Rows[1].Rank != 0 {
		t.Errorf("operator rows with min sample 2: %+v", res.Rows)
	}
	// April holds case 5's return (marking nobody: "system" dispatched)
	// and dis2's on-time redispatch; the change of score is against March.
	apr, _ := pt.Evaluate(PostQuery{Post: PostDispatcher, From: t0.AddDate(0, 1, 0), To: t0.AddDate(0, 2, 0)}, s)
	if len(apr.Rows) != 1 || apr.Rows[0].User != "dis2" || apr.Rows[0].Dispatched != 1 || apr.Rows[0].DispatchedOnTime != 1 {
		t.Fatalf("april %+v", apr.Rows)
	}
	// March (a calendar month, 31 days: counts per month scale by 30/31,
	// still below 101) is April's previous period: dis2 scored 80 there.
	if p := apr.Rows[0].PreviousScore; p == nil || *p != 80 || apr.Rows[0].ScoreChange == nil || *apr.Rows[0].ScoreChange != 0 {
		t.Errorf("april previous %v change %v", apr.Rows[0].PreviousScore, apr.Rows[0].ScoreChange)
	}
	// Configured weights and bands: only the on-time dispatch counts, and
	// grades "好" ≥ 60, "差" below.
	s2 := s
	s2.Dispatcher = Scheme{Name: "dispatcher", Terms: []Term{{IndOnTimeDispatchRate, 1}}}
	s2.Bands = []Band{{"好", 60}, {"差", 0}}
	res, _ = pt.Evaluate(PostQuery{Post: PostDispatcher, From: from, To: to}, s2)
	for _, r := range res.Rows {
		want := map[string]float64{"dis1": 50, "dis2": 100}[r.User]
		grade := map[string]string{"dis1": "差", "dis2": "好"}[r.User]
		if *r.Score != want || r.Grade != grade {
			t.Errorf("configured %s: %v %s", r.User, *r.Score, r.Grade)
		}
	}
	// A post indicator in a region scheme (and the reverse) is refused.
	bad := DefaultScoring()
	bad.Region.Terms = append(bad.Region.Terms, Term{IndDispatchCount, 1})
	if bad.Validate() == nil {
		t.Error("a post indicator in the region scheme passed")
	}
	bad = DefaultScoring()
	bad.Inspector.Terms = append(bad.Inspector.Terms, Term{IndClosureRate, 1})
	if bad.Validate() == nil {
		t.Error("a case indicator in the inspector scheme passed")
	}
	if _, err := pt.Compute(PostQuery{Post: "boss", From: from, To: to}); err == nil {
		t.Error("unknown post accepted")
	}
}

// TestPostsIncrementalAndReplays: Add per transition, in commit order
// across cases, with every transition delivered twice (a listener
// replaying), counts the same as AddAll over the shuffled history.
func TestPostsIncrementalAndReplays(t *testing.T) {
	cs, trs := randomHistory(400, 3)
	all := NewPostTable()
	shuffled := slices.Clone(trs)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	all.AddAll(shuffled, caseIndex(cs))
	inc := NewPostTable()
	byAt := slices.Clone(trs)
	slices.SortStableFunc(byAt, func(a, b cases.Transition) int { return a.At.Compare(b.At) })
	of := caseIndex(cs)
	for i := range byAt {
		inc.Add(of(byAt[i].CaseID), &byAt[i])
		inc.Add(of(byAt[i].CaseID), &byAt[i])
	}
	q := PostQuery{From: time.Time{}.Add(time.Hour), To: t0.AddDate(1, 0, 0)}
	a, _ := all.Compute(q)
	b, _ := inc.Compute(q)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("incremental differs:\n%s\n%s", ja, jb)
	}
	if len(a.Rows) < 10 {
		t.Fatalf("only %d rows: the history is too thin to test anything", len(a.Rows))
	}
}

// randomHistory walks n cases through the workflow's state machine
// (cases.Machine): each step a random allowed action by a random user of
// one of the rule's roles (now and then an admin, or "system" for a
// dispatch), with random step deadlines before or after the step.
func randomHistory(n int, seed uint64) ([]cases.Case, []cases.Transition) {
	r := rand.New(rand.NewPCG(seed, 11))
	sources := []cases.Source{cases.SourceInspector, cases.SourceHotline, cases.SourceCitizen, cases.SourceVideo}
	cs := make([]cases.Case, n)
	var trs []cases.Transition
	for i := range cs {
		c := &cs[i]
		c.ID = int64(i + 1)
		c.Source = sources[r.IntN(len(sources))]
		at := t0.AddDate(0, -1, 0).Add(time.Duration(r.Int64N(int64(90 * 24 * time.Hour))))
		seq := 1
		first := cases.Transition{CaseID: c.ID, Seq: 1, At: at, Action: cases.ActReport}
		switch c.Source {
		case cases.SourceInspector:
			first.User, first.Role, c.State = fmt.Sprintf("ins%d", r.IntN(5)), data.RoleInspector, cases.StateVerified
		case cases.SourceHotline, cases.SourceVideo:
			first.User, first.Role, c.State = fmt.Sprintf("op%d", r.IntN(3)), data.RoleOperator, cases.StateReported
		default:
			first.User, first.Role, c.State = "1390000", data.RoleCitizen, cases.StateReported
		}
		first.To = c.State
		trs = append(trs, first)
		for steps := 0; steps < 14 && !c.State.Terminal(); steps++ {
			var allowed []cases.Rule
			for _, rule := range cases.Machine {
				if slices.Contains(rule.From, c.State) {
					allowed = append(allowed, rule)
				}
			}
			rule := allowed[r.IntN(len(allowed))]
			at = at.Add(time.Duration(r.Float64() * 6 * float64(time.Hour)))
			seq++
			tr := cases.Transition{CaseID: c.ID, Seq: seq, At: at, Action: rule.Action, From: c.State}
			role := rule.Roles[r.IntN(len(rule.Roles))]
			tr.Role, tr.User = role, fmt.Sprintf("%s%d", role[:3], r.IntN(4))
			switch {
			case r.IntN(15) == 0:
				tr.Role, tr.User = data.RoleAdmin, "root"
			case role == data.RoleDispatcher && r.IntN(8) == 0:
				tr.User = "system"
			}
			if r.IntN(4) > 0 {
				d := at.Add(time.Duration((r.Float64() - 0.3) * 4 * float64(time.Hour)))
				tr.StepDueAt = &d
			}
			if rule.Stay {
				tr.To = c.State
			} else {
				tr.To = rule.To
			}
			c.State = tr.To
			if rule.Action == cases.ActClose {
				c.HandledOnTime = bp(r.IntN(5) > 0)
				if r.IntN(6) == 0 {
					c.HandledOnTime = nil
				}
			}
			trs = append(trs, tr)
		}
	}
	return cs, trs
}

// TestPostsAgainstNaive compares every post count, for several periods,
// with statstest.NaivePosts on a random history through the state
// machine.
func TestPostsAgainstNaive(t *testing.T) {
	cs, trs := randomHistory(3000, 5)
	pt := NewPostTable()
	pt.AddAll(trs, caseIndex(cs))
	periods := [][2]time.Time{
		{t0, t0.AddDate(0, 1, 0)},
		{t0.AddDate(0, -1, 0), t0},
		{t0.Add(36 * time.Hour), t0.Add(60 * time.Hour)},
		{t0.AddDate(-1, 0, 0), t0.AddDate(1, 0, 0)},
	}
	fields := 0
	for _, p := range periods {
		res, err := pt.Compute(PostQuery{From: p[0], To: p[1]})
		if err != nil {
			t.Fatal(err)
		}
		want := statstest.NaivePosts(cs, trs, p[0], p[1])
		got := map[statstest.PostKey]statstest.PostRow{}
		for _, r := range res.Rows {
			var m map[string]int
			b, _ := json.Marshal(r.PostCounts)
			_ = json.Unmarshal(b, &m)
			for k, v := range m {
				if v == 0 {
					delete(m, k)
				}
			}
			got[statstest.PostKey{Post: string(r.Post), User: r.User}] = m
		}
		for k, w := range want {
			for f, v := range w {
				if v == 0 {
					delete(w, f)
				}
			}
			if len(w) == 0 {
				delete(want, k)
				continue
			}
			fields += len(w)
			if fmt.Sprint(got[k]) != fmt.Sprint(w) {
				t.Errorf("%v %v: got %v, want %v", p, k, got[k], w)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%v: extra row %v %v", p, k, got[k])
			}
		}
	}
	if fields < 200 {
		t.Fatalf("only %d non-zero counts compared", fields)
	}
}

// TestPostSheet: the export has one column per header cell, in the
// header's order (spot checks against the row's JSON), people then totals.
func TestPostSheet(t *testing.T) {
	cs, trs := handPosts()
	pt := NewPostTable()
	pt.AddAll(trs, caseIndex(cs))
	s := DefaultScoring()
	s.MinSample = 1
	res, _ := pt.Evaluate(PostQuery{From: t0, To: t0.AddDate(0, 0, 30)}, s)
	sh := PostSheetOf(res)
	if len(sh.Rows) != len(res.Rows)+4 {
		t.Fatalf("%d rows", len(sh.Rows))
	}
	for i, row := range sh.Rows[:len(res.Rows)] {
		if len(row) != len(sh.Header) {
			t.Fatalf("row %d has %d cells for %d columns", i, len(row), len(sh.Header))
		}
		var m map[string]any
		b, _ := json.Marshal(res.Rows[i])
		_ = json.Unmarshal(b, &m)
		for j, h := range sh.Header {
			want, ok := m[h]
			if !ok {
				continue // rank 0 is left out of the JSON
			}
			if got := CellText(row[j]); got != CellText(jsonCell(want)) {
				t.Errorf("row %d %s: %q, want %v", i, h, got, want)
			}
		}
	}
	if last := sh.Rows[len(sh.Rows)-1]; last[0] != "dispatcher" || last[1] != "total" || last[19] != 3 {
		t.Errorf("last row %v", last)
	}
}

func jsonCell(v any) any {
	if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1e9 {
		return int(f)
	}
	return v
}

// TestUpgradePosts: a configuration stored before post scores (a
// "dispatcher" scheme of case indicators, no other post schemes) keeps
// its region scheme and bands and gets the default post schemes.
func TestUpgradePosts(t *testing.T) {
	var s Scoring
	old := `{"region":{"terms":[{"indicator":"closure_rate","weight":1}]},"department":{"terms":[]},` +
		`"post":{"terms":[{"indicator":"valid_report_rate","weight":1}]},` +
		`"dispatcher":{"terms":[{"indicator":"accurate_dispatch","weight":0.8}]},"bands":[{"grade":"好","min":80},{"grade":"差","min":0}]}`
	if err := json.Unmarshal([]byte(old), &s); err != nil {
		t.Fatal(err)
	}
	if s.Validate() == nil {
		t.Fatal("the old dispatcher scheme passed validation")
	}
	if !s.UpgradePosts() || s.Validate() != nil {
		t.Fatalf("upgrade: %v", s.Validate())
	}
	def := DefaultScoring()
	if len(s.Region.Terms) != 1 || s.Bands[0].Grade != "好" || len(s.Dispatcher.Terms) != len(def.Dispatcher.Terms) || len(s.Inspector.Terms) != 4 {
		t.Errorf("upgraded %+v", s)
	}
	if s.UpgradePosts() {
		t.Error("a second upgrade changed something")
	}
}
