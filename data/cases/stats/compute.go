package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Query selects a period and a grouping.
type Query struct {
	Group Dim
	// From and To bound the period [From, To).
	From, To time.Time
	// Now is the evaluation time: deadlines after it have not passed yet.
	// Zero means To.
	Now time.Time
	// Filter keeps only cases whose key in each listed dimension equals
	// the value (drill-down, e.g. the communities of one street).
	Filter map[Dim]string
}

// ErrBadPeriod is returned for a period whose end is not after its start.
var ErrBadPeriod = errors.New("stats: the period's end must be after its start")

// Counts are the counted indicators of one group (see the package doc for
// the definitions).
type Counts struct {
	Reported       int `json:"reported"`
	Registered     int `json:"registered"`
	NotRegistered  int `json:"not_registered"`
	Dispatched     int `json:"dispatched"`
	DueForClosure  int `json:"due_for_closure"`
	Closed         int `json:"closed"`
	ClosedOnTime   int `json:"closed_on_time"`
	Handled        int `json:"handled"`
	HandledOnTime  int `json:"handled_on_time"`
	DueForHandling int `json:"due_for_handling"`
	Reworked       int `json:"reworked"`
	Returned       int `json:"returned"`
	ReturnedCases  int `json:"returned_cases"`
	Overdue        int `json:"overdue"`
	// PublicVerified counts hotline and citizen reports in the period
	// that were verified (监督举报核实数, for the region score).
	PublicVerified int `json:"public_verified"`
	// Urged is Σ urges (督办/催办) of the cases first dispatched in the
	// period.
	Urged int `json:"urged"`
	// FollowedUp counts the cases closed in the period whose reporter was
	// called back with a grade (回访), Satisfied those graded 满意 or
	// 基本满意.
	FollowedUp int `json:"followed_up"`
	Satisfied  int `json:"satisfied"`
	// AppealsAccepted counts the accepted appeals (申诉) of the cases
	// closed in the period or overdue at its end: faults that the counts
	// above leave out.
	AppealsAccepted int `json:"appeals_accepted"`

	handlingSecs float64
	handlingN    int
}

func (c *Counts) add(o *Counts) {
	c.Reported += o.Reported
	c.Registered += o.Registered
	c.NotRegistered += o.NotRegistered
	c.Dispatched += o.Dispatched
	c.DueForClosure += o.DueForClosure
	c.Closed += o.Closed
	c.ClosedOnTime += o.ClosedOnTime
	c.Handled += o.Handled
	c.HandledOnTime += o.HandledOnTime
	c.DueForHandling += o.DueForHandling
	c.Reworked += o.Reworked
	c.Returned += o.Returned
	c.ReturnedCases += o.ReturnedCases
	c.Overdue += o.Overdue
	c.PublicVerified += o.PublicVerified
	c.Urged += o.Urged
	c.FollowedUp += o.FollowedUp
	c.Satisfied += o.Satisfied
	c.AppealsAccepted += o.AppealsAccepted
	c.handlingSecs += o.handlingSecs
	c.handlingN += o.handlingN
}

// Rates are the rates of one group, fractions in [0, 1] (the rework rate
// may exceed 1), nil where the denominator is 0.
type Rates struct {
	ClosureRate        *float64 `json:"closure_rate"`
	OnTimeClosureRate  *float64 `json:"on_time_closure_rate"`
	HandlingRate       *float64 `json:"handling_rate"`
	OnTimeHandlingRate *float64 `json:"on_time_handling_rate"`
	ReworkRate         *float64 `json:"rework_rate"`
	AvgHandlingHours   *float64 `json:"avg_handling_hours"`
	// SatisfactionRate = satisfied / followed_up (回访满意率).
	SatisfactionRate *float64 `json:"satisfaction_rate"`
}

func ratio(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

// Rates computes the rates from the counts.
func (c *Counts) Rates() Rates {
	r := Rates{
		ClosureRate:        ratio(c.Closed, c.DueForClosure),
		OnTimeClosureRate:  ratio(c.ClosedOnTime, c.DueForClosure),
		HandlingRate:       ratio(c.Handled, c.DueForHandling),
		OnTimeHandlingRate: ratio(c.HandledOnTime, c.DueForHandling),
		ReworkRate:         ratio(c.Reworked, c.Closed),
		SatisfactionRate:   ratio(c.Satisfied, c.FollowedUp),
	}
	if c.handlingN > 0 {
		h := c.handlingSecs / float64(c.handlingN) / 3600
		h = math.Round(h*100) / 100
		r.AvgHandlingHours = &h
	}
	return r
}

// Row is one group's statistics.
type Row struct {
	Key string `json:"key"`
	Counts
	Rates
	// Score is the composite score (综合指标值, 0–100) and Grade its band,
	// when the group has a scoring scheme; Rank orders the rows (1 = best;
	// 0 = not ranked: fewer than the minimum sample).
	Score *float64 `json:"score,omitempty"`
	Grade string   `json:"grade,omitempty"`
	Rank  int      `json:"rank,omitempty"`
	// Class is the group's class (Scoring.Classes) and ClassRank its rank
	// among the groups of that class, by the same order as Rank.
	Class     string `json:"class,omitempty"`
	ClassRank int    `json:"class_rank,omitempty"`
	// Previous is the same group in the previous period (the previous
	// calendar month for a month, else the period of equal length just
	// before) and Change the difference now − previous.
	Previous *Prev   `json:"previous,omitempty"`
	Change   *Change `json:"change,omitempty"`
}

// Prev is a group's counts and rates in the previous period.
type Prev struct {
	Counts
	Rates
	Score *float64 `json:"score,omitempty"`
}

// Change is the month-over-month change of the main indicators: counts
// as differences, rates as differences of fractions (0.02 = two
// percentage points), nil when either side is nil.
type Change struct {
	Reported          int      `json:"reported"`
	Registered        int      `json:"registered"`
	Closed            int      `json:"closed"`
	Overdue           int      `json:"overdue"`
	ClosureRate       *float64 `json:"closure_rate"`
	OnTimeClosureRate *float64 `json:"on_time_closure_rate"`
	ReworkRate        *float64 `json:"rework_rate"`
	Score             *float64 `json:"score"`
}

// Result is the statistics of one period.
type Result struct {
	Group string    `json:"group"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Rows  []Row     `json:"rows"`
	Total Row       `json:"total"`
}

// Compute counts every indicator of the period per group. Rows come in
// key order; groups without any count are left out. Cases without a key
// in the dimension (no unit yet, say) form the row with key "".
func (t *Table) Compute(q Query) (*Result, error) {
	if !q.To.After(q.From) {
		return nil, ErrBadPeriod
	}
	if q.Group >= numDims {
		return nil, fmt.Errorf("stats: unknown group %d", q.Group)
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	acc, ok := t.scan(q)
	res := &Result{Group: q.Group.String(), From: q.From, To: q.To, Total: Row{Key: "total"}}
	if !ok {
		res.Total.Rates = res.Total.Counts.Rates()
		return res, nil
	}
	names := t.dicts[q.Group].names
	for id := range acc {
		c := &acc[id]
		res.Total.Counts.add(c)
		if *c == (Counts{}) {
			continue
		}
		res.Rows = append(res.Rows, Row{Key: names[id], Counts: *c, Rates: c.Rates()})
	}
	res.Total.Rates = res.Total.Counts.Rates()
	slices.SortFunc(res.Rows, func(a, b Row) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return res, nil
}

// bounds of a period in table seconds: [from, to) and the evaluation end.
func periodSecs(q Query) (from, to, end uint32) {
	clampS := func(tm time.Time) uint32 {
		s := tm.Unix()
		if s < 1 {
			return 1
		}
		if s > 1<<32-1 {
			return 1<<32 - 1
		}
		return uint32(s)
	}
	from, to = clampS(q.From), clampS(q.To)
	end = to
	if !q.Now.IsZero() && q.Now.Before(q.To) {
		end = clampS(q.Now)
		if end < from {
			end = from
		}
	}
	return from, to, end
}

// scan is the one pass over the columns; it returns per-key counts
// indexed by dictionary id, and false when a filter names a key no case
// has.
func (t *Table) scan(q Query) ([]Counts, bool) {
	from, to, end := periodSecs(q)
	type filter struct {
		col []uint32
		id  uint32
	}
	var filters []filter
	for d, v := range q.Filter {
		if d >= numDims {
			continue
		}
		id, ok := t.dicts[d].ids[v]
		if !ok {
			return nil, false
		}
		filters = append(filters, filter{t.keys[d], id})
	}
	acc := make([]Counts, len(t.dicts[q.Group].names))
	keys := t.keys[q.Group]
	public := [2]uint32{t.dictID(DimSource, "hotline"), t.dictID(DimSource, "citizen")}
	src := t.keys[DimSource]
	in := func(s uint32) bool { return s >= from && s < to }
rows:
	for i := range t.ids {
		for _, f := range filters {
			if f.col[i] != f.id {
				continue rows
			}
		}
		c := &acc[keys[i]]
		rep, reg, dis, han, clo, due := t.reported[i], t.registered[i], t.dispatched[i], t.handled[i], t.closed[i], t.due[i]
		cls, fl := t.cls[i], t.flags[i]
		if in(rep) {
			c.Reported++
			if fl&flagNotRegistered != 0 {
				c.NotRegistered++
			}
			if fl&flagVerified != 0 && src[i] != 0 && (src[i] == public[0] || src[i] == public[1]) {
				c.PublicVerified++
			}
		}
		if in(reg) {
			c.Registered++
		}
		if in(dis) {
			c.Dispatched++
			c.Returned += int(t.returns[i])
			if t.returns[i] > 0 {
				c.ReturnedCases++
			}
			c.Urged += int(t.urges[i])
		}
		// The feedback that counts is the last one; the workflow records
		// whether it came by the deadline when the case closes.
		onTime := due == 0 || (han != 0 && han <= due)
		if fl&flagOnTimeKnown != 0 {
			onTime = fl&flagOnTime != 0
		}
		if in(han) {
			c.Handled++
			if onTime {
				c.HandledOnTime++
			}
		}
		if clo != 0 && in(clo) {
			c.Closed++
			if onTime {
				c.ClosedOnTime++
			}
			c.Reworked += int(t.rework[i])
			c.AppealsAccepted += int(t.appeals[i])
			switch t.sat[i] {
			case satContent:
				c.FollowedUp++
				c.Satisfied++
			case satNot:
				c.FollowedUp++
			}
			if han != 0 && dis != 0 && han >= dis {
				c.handlingSecs += float64(han - dis)
				c.handlingN++
			}
		}
		// Closed is 0 unless the case is closed, so a suspended or
		// cancelled case is open now and was open at End.
		if due != 0 && due < end && (clo == 0 || clo >= end) && cls != clsCancelled && cls != clsSuspended {
			c.AppealsAccepted += int(t.appeals[i])
			if fl&flagOverdueExcused != 0 {
				continue // the centre accepted the unit's appeal of this overdue
			}
			c.Overdue++
			if han == 0 || han >= end {
				c.DueForHandling++ // overdue, not handled
			}
		}
	}
	for i := range acc {
		c := &acc[i]
		c.DueForClosure = c.Closed + c.Overdue
		c.DueForHandling += c.Handled
	}
	return acc, true
}

// dictID is the id of s in dimension d, 0 when absent (0 is also "").
func (t *Table) dictID(d Dim, s string) uint32 { return t.dicts[d].ids[s] }

// Day is one day's counts of a daily series.
type Day struct {
	Date       string `json:"date"` // YYYY-MM-DD in the series' zone
	Reported   int    `json:"reported"`
	Registered int    `json:"registered"`
	Closed     int    `json:"closed"`
}

// Daily counts reported, registered and closed cases per day for days
// days from the midnight of from in loc, in one pass.
func (t *Table) Daily(from time.Time, days int, loc *time.Location) []Day {
	y, m, d := from.In(loc).Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, loc)
	out := make([]Day, days)
	for i := range out {
		out[i].Date = start.AddDate(0, 0, i).Format("2006-01-02")
	}
	// Day boundaries (DST-free zones make this exact; others are close).
	bounds := make([]uint32, days+1)
	for i := range bounds {
		bounds[i] = uint32(max(start.AddDate(0, 0, i).Unix(), 1))
	}
	day := func(s uint32) int {
		if s == 0 || s < bounds[0] || s >= bounds[days] {
			return -1
		}
		i, _ := slices.BinarySearch(bounds, s+1)
		return i - 1
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	for i := range t.ids {
		if k := day(t.reported[i]); k >= 0 {
			out[k].Reported++
		}
		if k := day(t.registered[i]); k >= 0 {
			out[k].Registered++
		}
		if k := day(t.closed[i]); k >= 0 {
			out[k].Closed++
		}
	}
	return out
}
