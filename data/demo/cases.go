package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"citygrid/data"
	"citygrid/data/cases"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// CaseOptions controls Cases.
type CaseOptions struct {
	// Seed selects the history; the same seed, city and End give the same
	// cases, value for value.
	Seed int64
	// End is when the history stops (the demo uses the day it is built,
	// so that the command page has cases of today); cases still open at
	// End stay open. Zero means 2026-07-01 00:00 UTC.
	End time.Time
	// Days is how far back the history reaches; 0 means 365.
	Days int
	// RegisteredPerYear is the number of registered cases a year; 0 means
	// 17,000 (雨花台区's order of magnitude). More are reported.
	RegisteredPerYear int
	// Responsible names the handling unit of a case at p: the spatial
	// index's responsible lookup (by component code when the case is
	// about a component, else by category and place). The demo package
	// does not import spatial, so the caller passes it; nil uses the
	// component's maintainer or the category's competent department.
	Responsible func(p orb.Point, kind data.CategoryKind, category, component string) string
}

// shanghai is China Standard Time; a fixed zone, so no tz database is needed.
var shanghai = time.FixedZone("CST", 8*3600)

// eventWeights is the share of each event small class among event
// reports, by name (the names are the same in both category schemes):
// street order and environment dominate, as in every city's monthly
// report.
var eventWeights = map[string]float64{
	"占道经营": 14, "暴露垃圾": 12, "非机动车乱停放": 10, "店外经营": 9, "机动车乱停放": 7,
	"非法小广告": 7, "积存垃圾渣土": 6, "道路不洁": 6, "乱堆物堆料": 5, "无照经营游商": 4,
	"垃圾满溢": 4, "沿街晾挂": 2, "绿地脏乱": 2.5, "私搭乱建": 1.5, "违规户外广告": 1.5,
	"非法占绿毁绿": 0.8, "渣土车未密闭运输": 0.7,
}

// componentShare is the share of component cases (damaged, lost or
// occupied components) among all reports.
const componentShare = 0.18

// deadline limits per deadline class of the catalogue: continuous hours
// for urgent items, working hours otherwise (1 working day = 8 h).
var deadlineHours = map[string]struct {
	hours      float64
	continuous bool
}{
	"urgent": {2, true}, "fast": {8, false}, "normal": {24, false}, "slow": {40, false},
}

// addWorkingHours moves t forward by h working hours (08–12 and 14–18,
// Monday to Friday, China Standard Time; statutory holidays are the
// workflow calendar's business and are ignored by the demo).
func addWorkingHours(t time.Time, h float64) time.Time {
	t = t.In(shanghai)
	left := time.Duration(h * float64(time.Hour))
	for left > 0 {
		y, m, d := t.Date()
		wd := t.Weekday()
		if wd == time.Saturday || wd == time.Sunday {
			t = time.Date(y, m, d+1, 8, 0, 0, 0, shanghai)
			continue
		}
		am0, am1 := time.Date(y, m, d, 8, 0, 0, 0, shanghai), time.Date(y, m, d, 12, 0, 0, 0, shanghai)
		pm0, pm1 := time.Date(y, m, d, 14, 0, 0, 0, shanghai), time.Date(y, m, d, 18, 0, 0, 0, shanghai)
		var end time.Time
		switch {
		case t.Before(am0):
			t = am0
			continue
		case t.Before(am1):
			end = am1
		case t.Before(pm0):
			t = pm0
			continue
		case t.Before(pm1):
			end = pm1
		default:
			t = time.Date(y, m, d+1, 8, 0, 0, 0, shanghai)
			continue
		}
		if step := end.Sub(t); step < left {
			left -= step
			t = end
		} else {
			return t.Add(left).UTC()
		}
	}
	return t.UTC()
}

// The centre's shifts: its own steps (verify, register, dispatch, check)
// are taken every day of the week, 08:00–20:00 China Standard Time, in
// two turns; reports come in at any hour (7×24 intake).
const (
	shiftStart = 8
	shiftEnd   = 20
)

// addShiftHours moves t forward by h hours of the centre's shifts: every
// day, weekends included, from shiftStart to shiftEnd. When the centre
// acts comes from here; the step deadlines stay on the workflow's working
// calendar (addWorkingHours), as the workflow computes them.
func addShiftHours(t time.Time, h float64) time.Time {
	t = t.In(shanghai)
	left := time.Duration(h * float64(time.Hour))
	for left > 0 {
		y, m, d := t.Date()
		open, closed := time.Date(y, m, d, shiftStart, 0, 0, 0, shanghai), time.Date(y, m, d, shiftEnd, 0, 0, 0, shanghai)
		switch {
		case t.Before(open):
			t = open
		case !t.Before(closed):
			t = time.Date(y, m, d+1, shiftStart, 0, 0, 0, shanghai)
		default:
			if step := closed.Sub(t); step < left {
				left -= step
				t = closed
			} else {
				return t.Add(left).UTC()
			}
		}
	}
	return t.UTC()
}

// caseGen is Cases' working state.
type caseGen struct {
	ds    *data.Dataset
	opt   CaseOptions
	r     *rand.Rand
	grids []gridInfo
	cum   []float64 // cumulative grid weights
	evs   []*data.Category
	evCum []float64
	cats  map[string]*data.Category // kind/code → category
	comms map[string]string         // community → street
	streetOf,
	districtOf map[string]string
	inspectors map[string][]string        // street → inspector user names
	chosen     map[string]*data.Component // components cases were drawn for
}

type gridInfo struct {
	g     *data.UnitGrid
	b     orb.Bound
	comps []int32 // components in the grid
}

// Cases generates a case history for the demo city ds: about a year of a
// district's work, sorted by report time, with ids from 1, and every
// transition of every case. It is deterministic for the same ds and opt.
func Cases(ds *data.Dataset, opt CaseOptions) ([]cases.Case, []cases.Transition, error) {
	if opt.End.IsZero() {
		opt.End = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	}
	if opt.Days <= 0 {
		opt.Days = 365
	}
	if opt.RegisteredPerYear <= 0 {
		opt.RegisteredPerYear = 17000
	}
	if len(ds.UnitGrids) == 0 {
		return nil, nil, fmt.Errorf("demo cases: the city has no unit grids")
	}
	g := &caseGen{ds: ds, opt: opt, r: rand.New(rand.NewPCG(uint64(opt.Seed), 0xca5e5)), chosen: map[string]*data.Component{}}
	if err := g.prepare(); err != nil {
		return nil, nil, err
	}
	return g.run()
}

func (g *caseGen) prepare() error {
	ds := g.ds
	g.cats = map[string]*data.Category{}
	for i := range ds.Categories {
		c := &ds.Categories[i]
		g.cats[string(c.Kind)+"/"+c.Code] = c
		if w, ok := eventWeights[c.Name]; ok && c.Kind == data.KindEvent {
			g.evs = append(g.evs, c)
			g.evCum = append(g.evCum, w+lastOf(g.evCum))
		}
	}
	if len(g.evs) == 0 {
		return fmt.Errorf("demo cases: no event categories in the catalogue")
	}
	g.comms, g.streetOf, g.districtOf = map[string]string{}, map[string]string{}, map[string]string{}
	for _, u := range ds.AdminUnits {
		switch u.Level {
		case data.LevelCommunity:
			g.comms[u.Code] = u.Parent
		case data.LevelStreet:
			g.districtOf[u.Code] = u.Parent
		}
	}
	idx := make(map[string]int, len(ds.UnitGrids))
	g.grids = make([]gridInfo, len(ds.UnitGrids))
	for i := range ds.UnitGrids {
		gr := &ds.UnitGrids[i]
		g.grids[i] = gridInfo{g: gr, b: gr.Geometry.Bound()}
		idx[gr.Code] = i
	}
	for i := range ds.Components {
		c := &ds.Components[i]
		if j, ok := idx[c.UnitGrid]; ok {
			if _, isPt := c.Geometry.(orb.Point); isPt {
				g.grids[j].comps = append(g.grids[j].comps, int32(i))
			}
		}
	}
	// Hotspots: a heavy-tailed weight per grid, raised near markets,
	// malls, schools and stations, where street-order problems gather.
	w := make([]float64, len(g.grids))
	for i := range w {
		w[i] = math.Exp(g.r.NormFloat64() * 0.9)
	}
	for _, p := range ds.POIs {
		switch p.Kind {
		case "mall", "market", "school", "hospital", "station", "bus_station", "metro", "park":
		default:
			continue
		}
		for i := range g.grids {
			c := g.grids[i].b.Center()
			dx := (c[0] - p.Point[0]) * 94600
			dy := (c[1] - p.Point[1]) * 111000
			if d2 := dx*dx + dy*dy; d2 < 350*350 {
				w[i] *= 1 + 3*(1-math.Sqrt(d2)/350)
			}
		}
	}
	g.cum = make([]float64, len(w))
	s := 0.0
	for i, v := range w {
		s += v
		g.cum[i] = s
	}
	g.inspectors = map[string][]string{}
	for _, u := range ds.AdminUnits {
		if u.Level == data.LevelStreet {
			for k := 1; k <= 6; k++ {
				g.inspectors[u.Code] = append(g.inspectors[u.Code], fmt.Sprintf("jdy%s%02d", u.Code[len(u.Code)-3:], k))
			}
		}
	}
	return nil
}

func lastOf(s []float64) float64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

func pick(r *rand.Rand, cum []float64) int {
	x := r.Float64() * cum[len(cum)-1]
	i, _ := slices.BinarySearch(cum, x)
	return min(i, len(cum)-1)
}

// pointIn draws a point inside a grid by rejection from its bounds.
func (g *caseGen) pointIn(gi *gridInfo) orb.Point {
	for range 50 {
		p := orb.Point{
			gi.b.Min[0] + g.r.Float64()*(gi.b.Max[0]-gi.b.Min[0]),
			gi.b.Min[1] + g.r.Float64()*(gi.b.Max[1]-gi.b.Min[1]),
		}
		if planar.MultiPolygonContains(gi.g.Geometry, p) {
			return p
		}
	}
	return gi.b.Center()
}

// sources and their shares: inspectors find most problems; the hotline
// and citizens report the rest, video and street self-inspection a few.
var sourceCum = []struct {
	s   cases.Source
	cum float64
}{{cases.SourceInspector, 0.58}, {cases.SourceHotline, 0.80}, {cases.SourceCitizen, 0.88}, {cases.SourceVideo, 0.95}, {cases.SourceSelf, 1}}

func (g *caseGen) run() ([]cases.Case, []cases.Transition, error) {
	opt := g.opt
	start := opt.End.AddDate(0, 0, -opt.Days)
	// About 83 % of reports are registered (inspectors' 93 %, public
	// reports' 62 %), and weekends see 55 % of a weekday's reports: the
	// mean weekly factor is (5 + 2 × 0.55) / 7.
	perDay := float64(opt.RegisteredPerYear) / 365 / 0.83 / ((5 + 2*0.55) / 7)
	var out []cases.Case
	var trs []cases.Transition
	// Calendar days in China Standard Time, from the start's to the end's
	// (inclusive: the end's day has its cases up to End).
	sy, sm, sd := start.In(shanghai).Date()
	for day := time.Date(sy, sm, sd, 0, 0, 0, 0, shanghai); day.Before(opt.End); day = day.AddDate(0, 0, 1) {
		local := day
		f := 1.0
		switch local.Weekday() {
		case time.Saturday, time.Sunday:
			f = 0.55
		}
		// More street problems in the warm months.
		f *= 1 + 0.18*math.Sin(2*math.Pi*(float64(local.YearDay())-100)/365)
		n := poisson(g.r, perDay*f)
		for range n {
			c := g.newCase(day)
			if !c.ReportedAt.Before(opt.End) {
				continue
			}
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b cases.Case) int { return a.ReportedAt.Compare(b.ReportedAt) })
	for i := range out {
		c := &out[i]
		c.ID = int64(i + 1)
		// The live stores' form: the id, unique however the history is
		// imported (an append renumbers it with the id).
		c.Number = cases.CaseNumber(cases.NumberPrefix, c.ReportedAt, c.ID)
		trs = g.walk(c, trs)
	}
	return out, trs, nil
}

func poisson(r *rand.Rand, mean float64) int {
	// Normal approximation; the daily means are in the tens.
	n := int(math.Round(mean + math.Sqrt(mean)*r.NormFloat64()))
	return max(n, 0)
}

// newCase draws what, where, who and when of a report on a day.
func (g *caseGen) newCase(day time.Time) cases.Case {
	r := g.r
	var c cases.Case
	x := r.Float64()
	for _, s := range sourceCum {
		if x < s.cum {
			c.Source = s.s
			break
		}
	}
	gi := &g.grids[pick(r, g.cum)]
	c.Urgency = cases.UrgencyNormal
	if r.Float64() < componentShare && len(gi.comps) > 0 {
		comp := &g.ds.Components[gi.comps[r.IntN(len(gi.comps))]]
		g.chosen[comp.Code] = comp
		c.Kind, c.Category, c.Component = data.KindComponent, comp.Category, comp.Code
		c.Point = comp.Geometry.(orb.Point)
		c.Description = "部件损坏"
	} else {
		cat := g.evs[pick(r, g.evCum)]
		c.Kind, c.Category = data.KindEvent, cat.Code
		c.Point = g.pointIn(gi)
		c.Description = cat.Name
	}
	if cat := g.cats[string(c.Kind)+"/"+c.Category]; cat != nil {
		if cat.DeadlineClass == "urgent" {
			c.Urgency = cases.UrgencyUrgent
		}
		if c.Kind == data.KindComponent {
			c.Description = cat.Name + "损坏"
		}
	}
	c.UnitGrid = gi.g.Code
	c.Community = gi.g.Community
	c.Street = g.comms[c.Community]
	c.District = g.districtOf[c.Street]
	// Inspectors work 08:00–18:00; the hotline and the app all day, most
	// in the day and evening.
	var hour float64
	switch c.Source {
	case cases.SourceInspector, cases.SourceSelf:
		hour = 8 + r.Float64()*10
	default:
		hour = math.Mod(7+math.Abs(r.NormFloat64())*5+r.Float64()*8, 24)
	}
	local := day.In(shanghai)
	c.ReportedAt = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, shanghai).
		Add(time.Duration(hour * float64(time.Hour))).UTC().Truncate(time.Second)
	switch c.Source {
	case cases.SourceInspector:
		ins := g.inspectors[c.Street]
		if len(ins) > 0 {
			c.Reporter = ins[r.IntN(len(ins))]
		}
	case cases.SourceHotline, cases.SourceCitizen:
		c.Reporter = fmt.Sprintf("1%02d****%04d", 30+r.IntN(60), r.IntN(10000))
	case cases.SourceVideo:
		c.Reporter = "video-ai"
	case cases.SourceSelf:
		c.Reporter = "street-" + c.Street
	}
	c.AreaClass = "B"
	return c
}

// responsible names the handling unit of c.
func (g *caseGen) responsible(c *cases.Case) string {
	if g.opt.Responsible != nil {
		if u := g.opt.Responsible(c.Point, c.Kind, c.Category, c.Component); u != "" {
			return u
		}
	}
	if comp := g.chosen[c.Component]; comp != nil {
		if comp.Maintainer != "" {
			return comp.Maintainer
		}
		return comp.Department
	}
	if cat := g.cats[string(c.Kind)+"/"+c.Category]; cat != nil {
		return cat.Department
	}
	return deptCityMgmt
}

// Step limits of the centre, in working hours, as the workflow's
// default deadline table has them (cases.DefaultDeadlines: verify,
// register and dispatch 1, check 4).
const (
	stepVerifyH   = 1.0
	stepRegisterH = 1.0
	stepDispatchH = 1.0
	stepCheckH    = 4.0
)

// Posts of the centre: who is on duty. Operators (受理员) and dispatchers
// (派遣员) work in turns, the shift supervisor (值班长) changes by day.
// Each person takes a typical time for a step (mean of an exponential,
// in working hours), so some are late more often than others and the
// post scores spread as they do in a real centre.
var (
	demoOperators   = []string{"slj01", "slj02", "slj03", "slj04"}
	demoSupervisors = []string{"zbz01", "zbz02", "zbz03"}
	demoDispatchers = []string{"pqy01", "pqy02", "pqy03", "pqy04"}
	demoPace        = []float64{0.28, 0.38, 0.5, 0.62}
)

// onDuty picks the person of a post on duty at t: turns of half a day.
func onDuty(people []string, t time.Time) (string, float64) {
	l := t.In(shanghai)
	turn := l.YearDay()*2 + l.Hour()/12
	i := turn % len(people)
	return people[i], demoPace[i%len(demoPace)]
}

// inspectorPace is an inspector's typical time for a step.
func inspectorPace(user string) float64 {
	h := 0
	for _, r := range user {
		h = h*31 + int(r)
	}
	return demoPace[(h&0xffff)%len(demoPace)]
}

// walk plays the case through the workflow up to End, filling the case's
// times, counts and state, and appends its transitions. The actions,
// roles and step deadlines are the workflow's (data/cases: report,
// verify, register or not_register, dispatch, return and redispatch,
// handle, check_fail or check_pass, close, cancel, suspend); each
// transition of a centre step records the step's deadline (StepDueAt).
func (g *caseGen) walk(c *cases.Case, trs []cases.Transition) []cases.Transition {
	r, end := g.r, g.opt.End
	state := cases.StateReported
	seq := 0
	var stepDue *time.Time // the deadline of the centre's current step
	step := func(at time.Time, action string, to cases.State, user string, role data.Role, unit, note string) bool {
		if !at.Before(end) {
			c.StepDueAt = stepDue
			return false
		}
		seq++
		trs = append(trs, cases.Transition{CaseID: c.ID, Seq: seq, At: at, Action: action, From: state, To: to,
			User: user, Role: role, Unit: unit, Note: note, StepDueAt: stepDue})
		stepDue = nil
		state = to
		c.State = to
		c.UpdatedAt = at
		c.Version = int64(seq)
		return true
	}
	due := func(from time.Time, h float64) *time.Time { return ptr(addWorkingHours(from, h)) }
	// stepTime draws the working hours a person with pace p takes for a step.
	stepTime := func(p float64) float64 { return 0.05 + r.ExpFloat64()*p }
	c.State, c.UpdatedAt = cases.StateReported, c.ReportedAt
	c.Lon, c.Lat = c.Point[0], c.Point[1]
	seq++
	first := cases.Transition{CaseID: c.ID, Seq: seq, At: c.ReportedAt, Action: cases.ActReport, To: cases.StateReported,
		User: c.Reporter, Role: reporterRole(c.Source)}
	if first.Role == data.RoleOperator {
		// The hotline's and the video platform's reports are taken in by
		// the operator on duty; the caller stays the case's reporter.
		first.User, _ = onDuty(demoOperators, c.ReportedAt)
	}
	c.Version = 1
	hours := func(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }
	t := c.ReportedAt
	public := c.Source == cases.SourceHotline || c.Source == cases.SourceCitizen
	if c.Source == cases.SourceInspector {
		// An inspector on site reports a verified case (the workflow's
		// Report does the same).
		first.To = cases.StateVerified
		state, c.State = cases.StateVerified, cases.StateVerified
		c.VerifiedAt = ptr(t)
		trs = append(trs, first)
	} else {
		trs = append(trs, first)
		stepDue = due(t, stepVerifyH)
		ins := g.inspector(c)
		t = addShiftHours(t, stepTime(inspectorPace(ins)))
		if !step(t, cases.ActVerify, cases.StateVerified, ins, data.RoleInspector, "", "") {
			return trs
		}
		c.VerifiedAt = ptr(t)
	}
	accept := 0.93
	if public {
		accept = 0.62
	} else if c.Source == cases.SourceVideo {
		accept = 0.75
	}
	stepDue = due(t, stepRegisterH)
	sup, pace := onDuty(demoSupervisors, t)
	t = addShiftHours(t, stepTime(pace))
	if r.Float64() > accept {
		if step(t, cases.ActNotRegister, cases.StateNotRegistered, sup, data.RoleSupervisor, "", "不符合立案条件") {
			c.Reason = "不符合立案条件"
		}
		return trs
	}
	if !step(t, cases.ActRegister, cases.StateRegistered, sup, data.RoleSupervisor, "", "") {
		return trs
	}
	c.RegisteredAt = ptr(t)
	if r.Float64() < 0.006 {
		step(t.Add(hours(1+r.Float64()*24)), cases.ActCancel, cases.StateCancelled, sup, data.RoleSupervisor, "", "重复案件")
		return trs
	}
	unit := g.responsible(c)
	stepDue = due(t, stepDispatchH)
	dis, pace := onDuty(demoDispatchers, t)
	t = addShiftHours(t, stepTime(pace))
	if !step(t, cases.ActDispatch, cases.StateDispatched, dis, data.RoleDispatcher, unit, "") {
		return trs
	}
	c.Unit = unit
	c.DispatchedAt = ptr(t)
	c.Dispatcher = dis
	cat := g.cats[string(c.Kind)+"/"+c.Category]
	limit := deadlineHours["normal"]
	if cat != nil {
		if l, ok := deadlineHours[cat.DeadlineClass]; ok {
			limit = l
		}
	}
	dueAt := func(from time.Time) time.Time {
		if limit.continuous {
			return from.Add(hours(limit.hours))
		}
		return addWorkingHours(from, limit.hours)
	}
	c.DueAt = ptr(dueAt(t))
	c.ClockStart = ptr(t)
	c.Limit = &cases.Limit{Amount: limit.hours, Unit: cases.ContinuousHours}
	if !limit.continuous {
		c.Limit = &cases.Limit{Amount: limit.hours / 8, Unit: cases.WorkingDays}
	}
	// Returns: a unit that is not responsible sends the case back; the
	// dispatcher redispatches to another unit and the clock restarts.
	// Hasty dispatchers send more cases to the wrong unit.
	if r.Float64() < 0.035*pace/0.45 {
		t = t.Add(hours(0.5 + r.ExpFloat64()*3))
		if !step(t, cases.ActReturn, cases.StateReturned, unit+"01", data.RoleUnit, unit, "非本单位职责") {
			return trs
		}
		c.ReturnCount++
		c.ReturnedBy = append(c.ReturnedBy, unit)
		c.Reason = "非本单位职责"
		unit = g.otherUnit(unit)
		stepDue = due(t, stepDispatchH)
		dis, pace = onDuty(demoDispatchers, t)
		t = addShiftHours(t, stepTime(pace))
		if !step(t, cases.ActRedispatch, cases.StateDispatched, dis, data.RoleDispatcher, unit, "改派") {
			return trs
		}
		c.Unit = unit
		c.Dispatcher = dis
		c.DueAt = ptr(dueAt(t))
		c.ClockStart = ptr(t)
	}
	// Suspension (挂账) of a few hard cases, and a few stuck ones that
	// stay open far past their deadline.
	if r.Float64() < 0.004 {
		at := t.Add(hours(2 + r.Float64()*20))
		if step(at, cases.ActSuspend, cases.StateSuspended, dis, data.RoleDispatcher, unit, "需统筹解决") {
			c.Pauses = []cases.Pause{{From: at}}
			c.Reason = "需统筹解决"
		}
		return trs
	}
	stuck := r.Float64() < 0.005
	for round := 0; ; round++ {
		// Handling takes a share of the limit; about 7 % run late.
		var took time.Duration
		switch {
		case round > 0:
			took = hours(0.5 + r.ExpFloat64()*limit.hours*0.4)
		case stuck:
			took = hours(24 * (5 + r.Float64()*55))
		case r.Float64() < 0.07:
			took = c.DueAt.Sub(t) + hours(0.5+r.ExpFloat64()*limit.hours)
		default:
			took = time.Duration(float64(c.DueAt.Sub(t)) * (0.15 + r.Float64()*0.8))
		}
		t = t.Add(took)
		if !step(t, cases.ActHandle, cases.StateHandled, unit+"01", data.RoleUnit, unit, "已处置") {
			return trs
		}
		c.HandledAt = ptr(t)
		stepDue = due(t, stepCheckH)
		ins := g.inspector(c)
		t = addShiftHours(t, 0.1+r.ExpFloat64()*inspectorPace(ins)*3)
		// The check fails now and then: rework (返工).
		if round < 2 && r.Float64() < 0.05 {
			if !step(t, cases.ActCheckFail, cases.StateDispatched, ins, data.RoleInspector, unit, "核查未通过") {
				return trs
			}
			c.ReworkCount++
			continue
		}
		if !step(t, cases.ActCheckPass, cases.StateChecked, ins, data.RoleInspector, "", "") {
			return trs
		}
		break
	}
	sup, _ = onDuty(demoSupervisors, t)
	t = t.Add(hours(0.1 + r.ExpFloat64()*0.8))
	if !step(t, cases.ActClose, cases.StateClosed, sup, data.RoleSupervisor, "", "") {
		return trs
	}
	c.ClosedAt = ptr(t)
	c.HandledOnTime = ptr(!c.HandledAt.After(*c.DueAt))
	return trs
}

func ptr[T any](v T) *T { return &v }

func reporterRole(s cases.Source) data.Role {
	switch s {
	case cases.SourceInspector:
		return data.RoleInspector
	case cases.SourceHotline, cases.SourceVideo:
		return data.RoleOperator
	case cases.SourceSelf:
		return data.RoleUnit
	}
	return data.RoleCitizen
}

func (g *caseGen) inspector(c *cases.Case) string {
	if c.Source == cases.SourceInspector && c.Reporter != "" {
		return c.Reporter
	}
	ins := g.inspectors[c.Street]
	if len(ins) == 0 {
		return "jdy01"
	}
	return ins[int(c.ID)%len(ins)]
}

// otherUnit is the unit a returned case is redispatched to: the street
// office (属地) when the first unit was a bureau, else the city-management
// bureau.
func (g *caseGen) otherUnit(unit string) string {
	if unit != deptCityMgmt {
		return deptCityMgmt
	}
	return deptSanitation
}
