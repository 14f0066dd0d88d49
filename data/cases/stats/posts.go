package stats

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
)

// Post scores (岗位评价, standards.md §5.2–5.3) rate the people of the
// centre by what their transitions show: who did which step, when, and
// against which step deadline (Transition.StepDueAt). Four posts:
//
//	监督员 inspector   reports, verifies and checks on site
//	受理员 operator    takes hotline (and video) reports in and sends them
//	                   out for verification and, after handling, for check
//	值班长 supervisor  registers (立案) and closes (结案) cases
//	派遣员 dispatcher  dispatches cases to the handling units
//
// A post's events, each dated by its transition's At and counted in the
// period that holds it:
//
//	reports          inspector reports (the report transition, role inspector)      上报数
//	valid_reports    of these, cases that were registered                            有效上报数
//	missed           public (hotline, citizen) reports the inspector verified that
//	                 were registered: problems of the inspector's beat someone
//	                 else found first                                                漏报数
//	verified         verify transitions of the inspector                             应核实数
//	verified_on_time of these, At ≤ StepDueAt (no step deadline: on time)            按时核实数
//	checked          check_pass and check_fail transitions of the inspector          应核查数
//	checked_on_time  of these, At ≤ StepDueAt                                        按时核查数
//	accepted         operator reports (report transition, role operator)             受理数
//	verify_sent      verify transitions of the cases the operator accepted           核实派发数
//	verify_sent_on_time  of these, At ≤ StepDueAt: the workflow has no separate
//	                 step for sending a task, so the task arriving in time is what
//	                 the operator's 核实按时派发 measures
//	check_sent, check_sent_on_time  the same for the checks                         核查派发数
//	registered       register transitions of the supervisor                          立案数
//	registered_on_time   of these, At ≤ StepDueAt                                    按时立案数
//	registered_cancelled of these, cases cancelled later (作废)                      作废数
//	closed           close transitions of the supervisor                             结案数
//	closed_on_time   of these, cases closed on time (the case's HandledOnTime; the
//	                 workflow sets no step deadline on 结案, so the shift
//	                 supervisor answers for the case's closure being 按期)          按时结案数
//	dispatched       dispatch and redispatch transitions of the dispatcher          派遣数
//	dispatched_on_time   of these, At ≤ StepDueAt                                    按时派遣数
//	dispatched_returned  of these, dispatches the unit returned (回退: 错派)         错派数
//
// Rates (fractions, nil without a denominator):
//
//	valid_report_rate      = valid_reports / reports                         有效上报率
//	missed_report_rate     = missed / (valid_reports + missed)               漏报率
//	on_time_verify_rate    = verified_on_time / verified                     按时核实率
//	on_time_check_rate     = checked_on_time / checked                       按时核查率
//	verify_sent_on_time_rate = verify_sent_on_time / verify_sent             核实按时派发率
//	check_sent_on_time_rate  = check_sent_on_time / check_sent               核查按时派发率
//	on_time_register_rate  = registered_on_time / registered                 按时立案率
//	accurate_register_rate = (registered − registered_cancelled) / registered 准确立案率
//	on_time_close_rate     = closed_on_time / closed                         按时结案率
//	on_time_dispatch_rate  = dispatched_on_time / dispatched                 按时派遣率
//	accurate_dispatch_rate = (dispatched − dispatched_returned) / dispatched 准确派遣率
//
// Outcomes (registered, cancelled, returned) are as the table knows them
// now, not as of the period's end. Transitions of admins, of "system"
// (auto-dispatch) and without a user are no post's events; their effects
// on other events (an admin registering an inspector's report) count.

// Post is a 岗位 of the centre.
type Post string

// Posts.
const (
	PostInspector  Post = "inspector"  // 监督员
	PostOperator   Post = "operator"   // 受理员
	PostSupervisor Post = "supervisor" // 值班长
	PostDispatcher Post = "dispatcher" // 派遣员
)

// Posts lists the posts in report order.
var Posts = []Post{PostInspector, PostOperator, PostSupervisor, PostDispatcher}

// ParsePost reads a post name.
func ParsePost(s string) (Post, bool) {
	for _, p := range Posts {
		if string(p) == s {
			return p, true
		}
	}
	return "", false
}

func postIndex(p Post) int { return slices.Index(Posts, p) }

// PostCounts are a person's counted events on one post (see the doc above).
type PostCounts struct {
	Reports             int `json:"reports"`
	ValidReports        int `json:"valid_reports"`
	Missed              int `json:"missed"`
	Verified            int `json:"verified"`
	VerifiedOnTime      int `json:"verified_on_time"`
	Checked             int `json:"checked"`
	CheckedOnTime       int `json:"checked_on_time"`
	Accepted            int `json:"accepted"`
	VerifySent          int `json:"verify_sent"`
	VerifySentOnTime    int `json:"verify_sent_on_time"`
	CheckSent           int `json:"check_sent"`
	CheckSentOnTime     int `json:"check_sent_on_time"`
	Registered          int `json:"registered"`
	RegisteredOnTime    int `json:"registered_on_time"`
	RegisteredCancelled int `json:"registered_cancelled"`
	Closed              int `json:"closed"`
	ClosedOnTime        int `json:"closed_on_time"`
	Dispatched          int `json:"dispatched"`
	DispatchedOnTime    int `json:"dispatched_on_time"`
	DispatchedReturned  int `json:"dispatched_returned"`
}

// PostRates are the rates of PostCounts, fractions in [0, 1], nil where
// the denominator is 0.
type PostRates struct {
	ValidReportRate      *float64 `json:"valid_report_rate"`
	MissedReportRate     *float64 `json:"missed_report_rate"`
	OnTimeVerifyRate     *float64 `json:"on_time_verify_rate"`
	OnTimeCheckRate      *float64 `json:"on_time_check_rate"`
	VerifySentOnTimeRate *float64 `json:"verify_sent_on_time_rate"`
	CheckSentOnTimeRate  *float64 `json:"check_sent_on_time_rate"`
	OnTimeRegisterRate   *float64 `json:"on_time_register_rate"`
	AccurateRegisterRate *float64 `json:"accurate_register_rate"`
	OnTimeCloseRate      *float64 `json:"on_time_close_rate"`
	OnTimeDispatchRate   *float64 `json:"on_time_dispatch_rate"`
	AccurateDispatchRate *float64 `json:"accurate_dispatch_rate"`
}

// Rates computes the rates from the counts.
func (c *PostCounts) Rates() PostRates {
	return PostRates{
		ValidReportRate:      ratio(c.ValidReports, c.Reports),
		MissedReportRate:     ratio(c.Missed, c.ValidReports+c.Missed),
		OnTimeVerifyRate:     ratio(c.VerifiedOnTime, c.Verified),
		OnTimeCheckRate:      ratio(c.CheckedOnTime, c.Checked),
		VerifySentOnTimeRate: ratio(c.VerifySentOnTime, c.VerifySent),
		CheckSentOnTimeRate:  ratio(c.CheckSentOnTime, c.CheckSent),
		OnTimeRegisterRate:   ratio(c.RegisteredOnTime, c.Registered),
		AccurateRegisterRate: ratio(c.Registered-c.RegisteredCancelled, c.Registered),
		OnTimeCloseRate:      ratio(c.ClosedOnTime, c.Closed),
		OnTimeDispatchRate:   ratio(c.DispatchedOnTime, c.Dispatched),
		AccurateDispatchRate: ratio(c.Dispatched-c.DispatchedReturned, c.Dispatched),
	}
}

// Sample is the number of the post's own events: what MinSample is
// compared with before a person is ranked.
func (c *PostCounts) Sample(p Post) int {
	switch p {
	case PostInspector:
		return c.Reports + c.Verified + c.Checked
	case PostOperator:
		return c.Accepted
	case PostSupervisor:
		return c.Registered + c.Closed
	case PostDispatcher:
		return c.Dispatched
	}
	return 0
}

func (c *PostCounts) add(o *PostCounts) {
	c.Reports += o.Reports
	c.ValidReports += o.ValidReports
	c.Missed += o.Missed
	c.Verified += o.Verified
	c.VerifiedOnTime += o.VerifiedOnTime
	c.Checked += o.Checked
	c.CheckedOnTime += o.CheckedOnTime
	c.Accepted += o.Accepted
	c.VerifySent += o.VerifySent
	c.VerifySentOnTime += o.VerifySentOnTime
	c.CheckSent += o.CheckSent
	c.CheckSentOnTime += o.CheckSentOnTime
	c.Registered += o.Registered
	c.RegisteredOnTime += o.RegisteredOnTime
	c.RegisteredCancelled += o.RegisteredCancelled
	c.Closed += o.Closed
	c.ClosedOnTime += o.ClosedOnTime
	c.Dispatched += o.Dispatched
	c.DispatchedOnTime += o.DispatchedOnTime
	c.DispatchedReturned += o.DispatchedReturned
}

// PostRow is one person's statistics on one post.
type PostRow struct {
	Post Post   `json:"post"`
	User string `json:"user"`
	PostCounts
	PostRates
	// Score is the post's composite score (0–100), Grade its band, Rank
	// the place among the post's people (1 = best; 0: below the minimum
	// sample, or a total row).
	Score *float64 `json:"score"`
	Grade string   `json:"grade"`
	Rank  int      `json:"rank,omitempty"`
	// PreviousScore is the score of the previous period (see
	// PreviousPeriod) and ScoreChange the difference now − previous.
	PreviousScore *float64 `json:"previous_score"`
	ScoreChange   *float64 `json:"score_change"`
}

// PostResult is the post statistics of one period.
type PostResult struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Rows come by post (Posts order), then by rank (unranked last, by user).
	Rows []PostRow `json:"rows"`
	// Totals has one row per post (User ""), the sum of its people.
	Totals []PostRow `json:"totals"`
}

// PostQuery selects a period and, optionally, one post.
type PostQuery struct {
	Post     Post // "": every post
	From, To time.Time
}

// event kinds.
const (
	evReport uint8 = iota
	evMissed
	evVerify
	evCheck
	evAccept
	evVerifySent
	evCheckSent
	evRegister
	evClose
	evDispatch
)

// event flags.
const (
	efOnTime  uint8 = 1 << iota
	efOutcome       // report/missed: registered; register: cancelled; dispatch: returned
)

type postEvent struct {
	user  uint32
	at    uint32
	kind  uint8
	flags uint8
}

// postCase is what the table remembers of a case to mark outcomes of
// earlier events.
type postCase struct {
	lastSeq                            int
	acceptor                           uint32 // user id of the operator who accepted it, 0: none
	report, missed, register, dispatch int32  // event index + 1, 0: none
}

// PostTable keeps one small record per post event of every case, kept
// current by Add from the case store's change listener. It is safe for
// concurrent use.
type PostTable struct {
	mu     sync.RWMutex
	events []postEvent
	users  dict
	cases  map[int64]*postCase
}

// NewPostTable makes an empty post table.
func NewPostTable() *PostTable {
	t := &PostTable{cases: map[int64]*postCase{}}
	t.users.id("")
	return t
}

// Len is the number of post events.
func (t *PostTable) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.events)
}

// Add records transition tr of case c (c as stored after it). A
// transition whose Seq is not after the last one seen for the case is
// ignored, so a listener called twice for one commit counts it once;
// transitions of one case must come in Seq order.
func (t *PostTable) Add(c *cases.Case, tr *cases.Transition) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.add(c, tr)
}

// AddAll records the transitions of many cases (a store's whole history
// at start-up): caseOf gives the case of an id (nil: the transition is
// skipped). The transitions are taken in (case, Seq) order whatever their
// order in trs.
func (t *PostTable) AddAll(trs []cases.Transition, caseOf func(id int64) *cases.Case) {
	idx := make([]int, len(trs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(trs[a].CaseID, trs[b].CaseID); c != 0 {
			return c
		}
		return cmp.Compare(trs[a].Seq, trs[b].Seq)
	})
	t.mu.Lock()
	defer t.mu.Unlock()
	var c *cases.Case
	last := int64(-1)
	for _, i := range idx {
		tr := &trs[i]
		if tr.CaseID != last {
			last = tr.CaseID
			c = caseOf(tr.CaseID)
		}
		if c != nil {
			t.add(c, tr)
		}
	}
}

func onTimeStep(tr *cases.Transition) bool {
	return tr.StepDueAt == nil || !tr.At.After(*tr.StepDueAt)
}

func isPublic(s cases.Source) bool { return s == cases.SourceHotline || s == cases.SourceCitizen }

func (t *PostTable) add(c *cases.Case, tr *cases.Transition) {
	st := t.cases[tr.CaseID]
	if st == nil {
		st = &postCase{}
		t.cases[tr.CaseID] = st
	}
	if tr.Seq != 0 {
		if tr.Seq <= st.lastSeq {
			return
		}
		st.lastSeq = tr.Seq
	}
	person := tr.User != "" && tr.User != "system" && tr.Role != data.RoleAdmin
	var uid uint32
	if person {
		uid = t.users.id(tr.User)
	}
	at := secs(&tr.At)
	emit := func(user uint32, kind uint8, onTime bool) int32 {
		var f uint8
		if onTime {
			f = efOnTime
		}
		t.events = append(t.events, postEvent{user: user, at: at, kind: kind, flags: f})
		return int32(len(t.events))
	}
	mark := func(ev int32) {
		if ev > 0 {
			t.events[ev-1].flags |= efOutcome
		}
	}
	onTime := onTimeStep(tr)
	switch tr.Action {
	case cases.ActReport:
		if person && tr.Role == data.RoleInspector {
			st.report = emit(uid, evReport, true)
		}
		if person && tr.Role == data.RoleOperator {
			emit(uid, evAccept, true)
			st.acceptor = uid
		}
	case cases.ActVerify:
		if person && tr.Role == data.RoleInspector {
			emit(uid, evVerify, onTime)
			if isPublic(c.Source) {
				st.missed = emit(uid, evMissed, true)
			}
		}
		if st.acceptor != 0 {
			emit(st.acceptor, evVerifySent, onTime)
		}
	case cases.ActCheckPass, cases.ActCheckFail:
		if person && tr.Role == data.RoleInspector {
			emit(uid, evCheck, onTime)
		}
		if st.acceptor != 0 {
			emit(st.acceptor, evCheckSent, onTime)
		}
	case cases.ActRegister:
		mark(st.report)
		mark(st.missed)
		if person && tr.Role == data.RoleSupervisor {
			st.register = emit(uid, evRegister, onTime)
		}
	case cases.ActClose:
		if person && tr.Role == data.RoleSupervisor {
			emit(uid, evClose, c.HandledOnTime == nil || *c.HandledOnTime)
		}
	case cases.ActDispatch, cases.ActRedispatch:
		st.dispatch = 0
		if person && tr.Role == data.RoleDispatcher {
			st.dispatch = emit(uid, evDispatch, onTime)
		}
	case cases.ActArbitrate:
		st.dispatch = 0
	case cases.ActReturn:
		mark(st.dispatch)
		st.dispatch = 0
	case cases.ActCancel:
		mark(st.register)
	}
}

// Compute counts every person's events of the period per post.
func (t *PostTable) Compute(q PostQuery) (*PostResult, error) {
	if !q.To.After(q.From) {
		return nil, ErrBadPeriod
	}
	pi := -1
	if q.Post != "" {
		if pi = postIndex(q.Post); pi < 0 {
			return nil, fmt.Errorf("stats: unknown post %q", q.Post)
		}
	}
	from, to, _ := periodSecs(Query{From: q.From, To: q.To})
	t.mu.RLock()
	var acc [4][]PostCounts
	for i := range acc {
		acc[i] = make([]PostCounts, len(t.users.names))
	}
	for i := range t.events {
		e := &t.events[i]
		if e.at < from || e.at >= to {
			continue
		}
		ok, out := e.flags&efOnTime != 0, e.flags&efOutcome != 0
		b := func(v bool) int {
			if v {
				return 1
			}
			return 0
		}
		switch e.kind {
		case evReport:
			c := &acc[0][e.user]
			c.Reports++
			c.ValidReports += b(out)
		case evMissed:
			acc[0][e.user].Missed += b(out)
		case evVerify:
			c := &acc[0][e.user]
			c.Verified++
			c.VerifiedOnTime += b(ok)
		case evCheck:
			c := &acc[0][e.user]
			c.Checked++
			c.CheckedOnTime += b(ok)
		case evAccept:
			acc[1][e.user].Accepted++
		case evVerifySent:
			c := &acc[1][e.user]
			c.VerifySent++
			c.VerifySentOnTime += b(ok)
		case evCheckSent:
			c := &acc[1][e.user]
			c.CheckSent++
			c.CheckSentOnTime += b(ok)
		case evRegister:
			c := &acc[2][e.user]
			c.Registered++
			c.RegisteredOnTime += b(ok)
			c.RegisteredCancelled += b(out)
		case evClose:
			c := &acc[2][e.user]
			c.Closed++
			c.ClosedOnTime += b(ok)
		case evDispatch:
			c := &acc[3][e.user]
			c.Dispatched++
			c.DispatchedOnTime += b(ok)
			c.DispatchedReturned += b(out)
		}
	}
	names := t.users.names
	t.mu.RUnlock()
	res := &PostResult{From: q.From, To: q.To, Rows: []PostRow{}, Totals: []PostRow{}}
	for p, post := range Posts {
		if pi >= 0 && p != pi {
			continue
		}
		total := PostRow{Post: post}
		var rows []PostRow
		for u := range acc[p] {
			c := &acc[p][u]
			if *c == (PostCounts{}) {
				continue
			}
			total.PostCounts.add(c)
			rows = append(rows, PostRow{Post: post, User: names[u], PostCounts: *c, PostRates: c.Rates()})
		}
		slices.SortFunc(rows, func(a, b PostRow) int { return cmp.Compare(a.User, b.User) })
		total.PostRates = total.PostCounts.Rates()
		res.Rows = append(res.Rows, rows...)
		res.Totals = append(res.Totals, total)
	}
	return res, nil
}

// Evaluate is Compute plus each person's composite score, grade, rank
// among the post's people and the change of score since the previous
// period.
func (t *PostTable) Evaluate(q PostQuery, s Scoring) (*PostResult, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	res, err := t.Compute(q)
	if err != nil {
		return nil, err
	}
	pq := q
	pq.From, pq.To = PreviousPeriod(q.From, q.To)
	prev, err := t.Compute(pq)
	if err != nil {
		return nil, err
	}
	months := q.To.Sub(q.From).Hours() / 24 / 30
	pmonths := pq.To.Sub(pq.From).Hours() / 24 / 30
	type pk struct {
		p Post
		u string
	}
	before := map[pk]*PostRow{}
	for i := range prev.Rows {
		before[pk{prev.Rows[i].Post, prev.Rows[i].User}] = &prev.Rows[i]
	}
	score := func(r *PostRow, m float64) *float64 {
		v := s.postScore(s.postScheme(r.Post), &r.PostCounts, m)
		return &v
	}
	for i := range res.Rows {
		r := &res.Rows[i]
		r.Score = score(r, months)
		r.Grade = s.Grade(*r.Score)
		if p, ok := before[pk{r.Post, r.User}]; ok {
			r.PreviousScore = score(p, pmonths)
			r.ScoreChange = diff(r.Score, r.PreviousScore)
		}
	}
	for i := range res.Totals {
		r := &res.Totals[i]
		r.Score = score(r, months)
		r.Grade = s.Grade(*r.Score)
	}
	rankPosts(res.Rows, s.MinSample)
	return res, nil
}

// rankPosts ranks each post's people by score (best first; ties: more
// events first, then by user) and orders the rows by post, rank
// (unranked last) and user.
func rankPosts(rows []PostRow, minSample int) {
	slices.SortStableFunc(rows, func(a, b PostRow) int {
		if c := cmp.Compare(postIndex(a.Post), postIndex(b.Post)); c != 0 {
			return c
		}
		ra, rb := a.Sample(a.Post) >= minSample, b.Sample(b.Post) >= minSample
		if ra != rb {
			if ra {
				return -1
			}
			return 1
		}
		if ra {
			if c := cmp.Compare(*b.Score, *a.Score); c != 0 {
				return c
			}
			if c := cmp.Compare(b.Sample(b.Post), a.Sample(a.Post)); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.User, b.User)
	})
	n := 0
	var cur Post
	for i := range rows {
		r := &rows[i]
		if r.Post != cur {
			cur, n = r.Post, 0
		}
		if r.Sample(r.Post) >= minSample {
			n++
			r.Rank = n
		}
	}
}

// PostIndicator names a term of a post scheme; each gives 0–100.
const (
	IndValidReportRate      Indicator = "valid_report_rate"        // 有效上报率
	IndNoMissedReport       Indicator = "no_missed_report"         // 漏报率分值 = 100 − 漏报率
	IndOnTimeVerifyRate     Indicator = "on_time_verify_rate"      // 按时核实率
	IndOnTimeCheckRate      Indicator = "on_time_check_rate"       // 按时核查率
	IndAcceptCount          Indicator = "accept_count"             // 受理数分值 (CountScore per month)
	IndVerifySentOnTimeRate Indicator = "verify_sent_on_time_rate" // 核实按时派发率
	IndCheckSentOnTimeRate  Indicator = "check_sent_on_time_rate"  // 核查按时派发率
	IndOnTimeRegisterRate   Indicator = "on_time_register_rate"    // 按时立案率
	IndAccurateRegisterRate Indicator = "accurate_register_rate"   // 准确立案率
	IndOnTimeCloseRate      Indicator = "on_time_close_rate"       // 按时结案率
	IndDispatchCount        Indicator = "dispatch_count"           // 派遣数分值 (CountScore per month)
	IndOnTimeDispatchRate   Indicator = "on_time_dispatch_rate"    // 按时派遣率
	IndAccurateDispatchRate Indicator = "accurate_dispatch_rate"   // 准确派遣率
)

var postIndicatorFuncs = map[Indicator]func(c *PostCounts, months float64) float64{
	IndValidReportRate: func(c *PostCounts, _ float64) float64 { return pct(ratio(c.ValidReports, c.Reports)) },
	IndNoMissedReport: func(c *PostCounts, _ float64) float64 {
		return max(0, 100-pct0(ratio(c.Missed, c.ValidReports+c.Missed)))
	},
	IndOnTimeVerifyRate: func(c *PostCounts, _ float64) float64 { return pct(ratio(c.VerifiedOnTime, c.Verified)) },
	IndOnTimeCheckRate:  func(c *PostCounts, _ float64) float64 { return pct(ratio(c.CheckedOnTime, c.Checked)) },
	IndAcceptCount:      func(c *PostCounts, m float64) float64 { return CountScore(float64(c.Accepted) / m) },
	IndVerifySentOnTimeRate: func(c *PostCounts, _ float64) float64 {
		return pct(ratio(c.VerifySentOnTime, c.VerifySent))
	},
	IndCheckSentOnTimeRate: func(c *PostCounts, _ float64) float64 { return pct(ratio(c.CheckSentOnTime, c.CheckSent)) },
	IndOnTimeRegisterRate:  func(c *PostCounts, _ float64) float64 { return pct(ratio(c.RegisteredOnTime, c.Registered)) },
	IndAccurateRegisterRate: func(c *PostCounts, _ float64) float64 {
		return pct(ratio(c.Registered-c.RegisteredCancelled, c.Registered))
	},
	IndOnTimeCloseRate:    func(c *PostCounts, _ float64) float64 { return pct(ratio(c.ClosedOnTime, c.Closed)) },
	IndDispatchCount:      func(c *PostCounts, m float64) float64 { return CountScore(float64(c.Dispatched) / m) },
	IndOnTimeDispatchRate: func(c *PostCounts, _ float64) float64 { return pct(ratio(c.DispatchedOnTime, c.Dispatched)) },
	IndAccurateDispatchRate: func(c *PostCounts, _ float64) float64 {
		return pct(ratio(c.Dispatched-c.DispatchedReturned, c.Dispatched))
	},
}

// postScheme is the scheme of a post.
func (s *Scoring) postScheme(p Post) *Scheme {
	switch p {
	case PostInspector:
		return &s.Inspector
	case PostOperator:
		return &s.Operator
	case PostSupervisor:
		return &s.Supervisor
	}
	return &s.Dispatcher
}

func (s *Scoring) postScore(sc *Scheme, c *PostCounts, months float64) float64 {
	total := 0.0
	for _, t := range sc.Terms {
		total += t.Weight * postIndicatorFuncs[t.Indicator](c, months)
	}
	return math.Round(total*100) / 100
}
