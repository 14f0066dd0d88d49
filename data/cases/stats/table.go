// Package stats computes the evaluation indicators of a city-management
// centre (综合评价, standards.md §5) over the case history: counts, rates,
// rankings, month-over-month change, high-incidence grids and categories
// (高发问题) and composite scores (综合指标值) with grade bands.
//
// A Table keeps one compact row per case in columns (times as uint32
// seconds, group keys as dictionary indexes), so a period's statistics are
// one pass over a few flat arrays: a month over 1.5 million cases takes a
// few milliseconds, without SQL. The table is filled once from the case
// store and kept current by calling Put from the store's change listener.
//
// # Indicators
//
// For a period [From, To), evaluated as of End = min(To, Now):
//
//	reported         cases with ReportedAt in the period (上报数)
//	registered       cases with RegisteredAt in the period (立案数)
//	not_registered   cases reported in the period that were refused (不予立案)
//	dispatched       cases with their first DispatchedAt in the period (派遣数)
//	closed           cases with ClosedAt in the period (结案数)
//	closed_on_time   closed cases whose handling feedback came by the deadline (按期结案数):
//	                 HandledOnTime when the workflow recorded it, else HandledAt ≤ DueAt;
//	                 a case closed without a deadline (closed on the spot) counts as on time
//	overdue          cases open at End whose deadline lies before End (超期未结案数):
//	                 DueAt < End, not closed before End, not cancelled, not refused,
//	                 not suspended (挂账 pauses the deadline) — the backlog carries over
//	                 from period to period until the case closes
//	due_for_closure  closed + overdue (应结案数 = 已结案 + 到期未结案; open cases still
//	                 within their deadline are not due)
//	handled          cases whose (last) handling feedback HandledAt is in the period (处置数)
//	handled_on_time  handled cases with HandledAt ≤ DueAt (按期处置数)
//	due_for_handling handled + cases dispatched, not handled by End, DueAt < End (应处置数)
//	reworked         Σ ReworkCount of the cases closed in the period (返工数: failed checks,
//	                 counted in times as CJ/T 292 does, once, when the case closes)
//	returned         Σ ReturnCount of the cases first dispatched in the period (回退数)
//	returned_cases   cases first dispatched in the period that were returned at least once
//	                 (错派: for the dispatcher's 准确派遣率 = (dispatched − returned_cases) / dispatched)
//	avg_handling_hours mean of HandledAt − DispatchedAt over the closed cases that have both,
//	                 in continuous hours
//	urged            Σ urges (督办/催办) of the cases first dispatched in the period
//	followed_up      cases closed in the period with a follow-up grade (回访数)
//	satisfied        of those, graded 满意 or 基本满意
//	appeals_accepted accepted appeals (申诉) of the cases closed in the period or overdue at End
//
// An accepted appeal takes exactly its fault out: an appealed overdue case
// counts as handled on time (and, while open, not as overdue); an appealed
// rework or return is not counted.
//
// Rates are fractions in [0, 1] (null when the denominator is 0):
//
//	closure_rate          = closed / due_for_closure            (结案率)
//	on_time_closure_rate  = closed_on_time / due_for_closure    (按期结案率; NOT closed_on_time /
//	                        closed, which hides open overdue cases — Austin #21672)
//	handling_rate         = handled / due_for_handling          (处置率)
//	on_time_handling_rate = handled_on_time / due_for_handling  (按期处置率)
//	rework_rate           = reworked / closed                   (返工率)
//	satisfaction_rate     = satisfied / followed_up             (回访满意率)
//
// The rework rate divides by closed, not by due_for_closure as one
// implementation does: its numerator counts the reworks of closed cases
// only, so the denominator must be the same population; dividing by
// 应结案数 would let a unit's overdue backlog lower its rework rate. As a
// count of times it can exceed 1 when cases average more than one rework;
// it is not capped.
package stats

import (
	"sync"
	"time"

	"citygrid/data/cases"
)

// Dim is a dimension statistics are grouped by.
type Dim uint8

// Dimensions.
const (
	DimUnit       Dim = iota // handling unit (Case.Unit)
	DimDepartment            // the unit's department (Options.Department)
	DimStreet                // 街道
	DimCommunity             // 社区
	DimGrid                  // 单元网格
	DimCategory              // kind/code, e.g. "event/0406"
	DimSource                // report source
	DimReporter              // reporter (监督员 for inspector cases)
	DimDispatcher            // the dispatcher (派遣员) who last dispatched the case
	numDims
)

var dimNames = [numDims]string{"unit", "department", "street", "community", "grid", "category", "source", "reporter", "dispatcher"}

// String is the dimension's name as the API spells it.
func (d Dim) String() string {
	if d < numDims {
		return dimNames[d]
	}
	return "unknown"
}

// ParseDim reads a dimension name; ok is false for an unknown one.
func ParseDim(s string) (d Dim, ok bool) {
	for i, n := range dimNames {
		if n == s {
			return Dim(i), true
		}
	}
	return 0, false
}

// DimNames lists the dimension names in order.
func DimNames() []string { return append([]string(nil), dimNames[:]...) }

// CategoryKey is the category dimension's key of a case.
func CategoryKey(c *cases.Case) string { return string(c.Kind) + "/" + c.Category }

// Options configure a Table.
type Options struct {
	// Department maps a handling unit to the department it is evaluated
	// under (for example a maintenance company to its bureau); nil, or ""
	// from it, keeps the unit itself.
	Department func(unit string) string
}

// state classes stored per case.
const (
	clsOpen uint8 = iota
	clsClosed
	clsCancelled // cancelled or not registered: never due
	clsSuspended
)

// flags per case.
const (
	flagOnTimeKnown uint8 = 1 << iota // HandledOnTime recorded
	flagOnTime                        // HandledOnTime true
	flagVerified                      // VerifiedAt set
	flagNotRegistered
	flagOverdueExcused // an accepted appeal took the overdue fault out
)

// satisfaction grades stored per case.
const (
	satNone uint8 = iota
	satContent
	satNot
)

// Table is the columnar in-memory summary of every case. It is safe for
// concurrent use: Put takes a write lock, queries a read lock.
type Table struct {
	opt Options

	mu  sync.RWMutex
	pos map[int64]int32 // case id → row
	ids []int64
	// times, uint32 seconds since the Unix epoch, 0 = not yet
	reported, registered, dispatched, handled, closed, due []uint32
	cls, flags, rework, returns, urges, sat, appeals       []uint8
	keys                                                   [numDims][]uint32
	dicts                                                  [numDims]dict
	deptOf                                                 map[string]string
}

// dict maps strings to dense ids; id 0 is "".
type dict struct {
	ids   map[string]uint32
	names []string
}

func (d *dict) id(s string) uint32 {
	if d.ids == nil {
		d.ids = map[string]uint32{"": 0}
		d.names = []string{""}
	}
	if id, ok := d.ids[s]; ok {
		return id
	}
	id := uint32(len(d.names))
	d.ids[s] = id
	d.names = append(d.names, s)
	return id
}

// NewTable makes an empty table.
func NewTable(opt Options) *Table {
	t := &Table{opt: opt, pos: map[int64]int32{}, deptOf: map[string]string{}}
	for i := range t.dicts {
		t.dicts[i].id("")
	}
	return t
}

// Len is the number of cases in the table.
func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.ids)
}

func secs(tp *time.Time) uint32 {
	if tp == nil || tp.IsZero() {
		return 0
	}
	s := tp.Unix()
	if s <= 0 {
		return 1
	}
	if s > 1<<32-1 {
		return 1<<32 - 1
	}
	return uint32(s)
}

func clamp8(n int) uint8 {
	if n < 0 {
		return 0
	}
	if n > 255 {
		return 255
	}
	return uint8(n)
}

func (t *Table) department(unit string) string {
	if unit == "" || t.opt.Department == nil {
		return unit
	}
	if d, ok := t.deptOf[unit]; ok {
		return d
	}
	d := t.opt.Department(unit)
	if d == "" {
		d = unit
	}
	t.deptOf[unit] = d
	return d
}

// Put inserts a case, or replaces the row of a case already in the table
// (matched by ID). The store's change listener calls it after every
// committed transition.
func (t *Table) Put(c *cases.Case) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.put(c)
}

// PutAll inserts many cases under one lock.
func (t *Table) PutAll(cs []cases.Case) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range cs {
		t.put(&cs[i])
	}
}

func (t *Table) put(c *cases.Case) {
	i, ok := t.pos[c.ID]
	if !ok {
		i = int32(len(t.ids))
		t.pos[c.ID] = i
		t.ids = append(t.ids, c.ID)
		t.reported = append(t.reported, 0)
		t.registered = append(t.registered, 0)
		t.dispatched = append(t.dispatched, 0)
		t.handled = append(t.handled, 0)
		t.closed = append(t.closed, 0)
		t.due = append(t.due, 0)
		t.cls = append(t.cls, 0)
		t.flags = append(t.flags, 0)
		t.rework = append(t.rework, 0)
		t.returns = append(t.returns, 0)
		t.urges = append(t.urges, 0)
		t.sat = append(t.sat, 0)
		t.appeals = append(t.appeals, 0)
		for d := range t.keys {
			t.keys[d] = append(t.keys[d], 0)
		}
	}
	rep := c.ReportedAt
	t.reported[i] = secs(&rep)
	t.registered[i] = secs(c.RegisteredAt)
	t.dispatched[i] = secs(c.DispatchedAt)
	t.handled[i] = secs(c.HandledAt)
	t.closed[i] = secs(c.ClosedAt)
	t.due[i] = secs(c.DueAt)
	switch c.State {
	case cases.StateClosed:
		t.cls[i] = clsClosed
	case cases.StateCancelled, cases.StateNotRegistered:
		t.cls[i] = clsCancelled
	case cases.StateSuspended:
		t.cls[i] = clsSuspended
	default:
		t.cls[i] = clsOpen
	}
	if c.State != cases.StateClosed {
		// A reopened case is not closed, whatever ClosedAt says.
		t.closed[i] = 0
	}
	var f uint8
	if c.HandledOnTime != nil {
		f |= flagOnTimeKnown
		if *c.HandledOnTime {
			f |= flagOnTime
		}
	}
	if c.VerifiedAt != nil {
		f |= flagVerified
	}
	if c.State == cases.StateNotRegistered {
		f |= flagNotRegistered
	}
	// An accepted appeal (申诉) takes exactly its fault out: an overdue
	// case counts as handled on time, a rework or a return is not counted.
	if c.AcceptedAppeals(cases.FaultOverdue) > 0 {
		f |= flagOnTimeKnown | flagOnTime | flagOverdueExcused
	}
	t.flags[i] = f
	t.rework[i] = clamp8(c.ReworkCount - c.AcceptedAppeals(cases.FaultRework))
	t.returns[i] = clamp8(c.ReturnCount - c.AcceptedAppeals(cases.FaultReturn))
	t.urges[i] = clamp8(c.Urges)
	t.appeals[i] = clamp8(c.AcceptedAppeals(cases.FaultOverdue) + c.AcceptedAppeals(cases.FaultRework) + c.AcceptedAppeals(cases.FaultReturn))
	switch {
	case c.Satisfaction == "":
		t.sat[i] = satNone
	case c.Satisfaction.Content():
		t.sat[i] = satContent
	default:
		t.sat[i] = satNot
	}
	t.keys[DimUnit][i] = t.dicts[DimUnit].id(c.Unit)
	t.keys[DimDepartment][i] = t.dicts[DimDepartment].id(t.department(c.Unit))
	t.keys[DimStreet][i] = t.dicts[DimStreet].id(c.Street)
	t.keys[DimCommunity][i] = t.dicts[DimCommunity].id(c.Community)
	t.keys[DimGrid][i] = t.dicts[DimGrid].id(c.UnitGrid)
	t.keys[DimCategory][i] = t.dicts[DimCategory].id(CategoryKey(c))
	t.keys[DimSource][i] = t.dicts[DimSource].id(string(c.Source))
	t.keys[DimReporter][i] = t.dicts[DimReporter].id(c.Reporter)
	t.keys[DimDispatcher][i] = t.dicts[DimDispatcher].id(c.Dispatcher)
}
