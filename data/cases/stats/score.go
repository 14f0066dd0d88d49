package stats

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// Composite scores (综合指标值, standards.md §5.3): a weighted sum of
// terms, each worth 0–100, banded into grades. The weights and the bands
// are configuration (Scheme is JSON); the defaults follow the structure
// of CJ/T 292 as one public implementation has it:
//
//	region (street, community, grid):
//	  (100 − 监督举报率) × 0.1 + 立案数分值 × 0.2 + 结案率 × 0.3 + 按期结案率 × 0.4
//	  立案数分值 from registered cases per unit grid per 30 days:
//	  0 → 100, < 3 → 90, < 5 → 75, < 7 → 60, < 9 → 40, else 0 (fewer problems = better);
//	  监督举报率 = public_verified / registered
//	department (unit, department):
//	  立案数分值 (≤ 50 → 10, ≤ 100 → 9, ≤ 200 → 7.5, ≤ 500 → 6, ≤ 1000 → 4, else 0; per 30 days)
//	  + 结案率 × 0.3 + 按期处置率 × 0.3 + (100 − 返工率) × 0.3
//	posts (岗位; PostTable, see posts.go for the counts):
//	  监督员 inspector:  有效上报率 × 0.4 + 漏报率分值 × 0.2 + 按时核实率 × 0.2 + 按时核查率 × 0.2,
//	                    漏报率分值 = 100 − 漏报率
//	  受理员 operator:   受理数分值 × 0.25 + 核实按时派发率 × 0.4 + 核查按时派发率 × 0.35
//	  值班长 supervisor: 按时立案率 × 0.25 + 准确立案率 × 0.4 + 按时结案率 × 0.35
//	  派遣员 dispatcher: 派遣数分值 × 0.2 + 按时派遣率 × 0.4 + 准确派遣率 × 0.4
//	  受理数分值 / 派遣数分值 from the person's cases per 30 days: ≥ 2001 → 100,
//	  ≥ 1201 → 90, ≥ 501 → 75, ≥ 301 → 60, ≥ 101 → 40, else 0 (CountScore)
//
// Rates enter as percentages. A rate without a denominator (nothing was
// due) scores 100: nothing failed. Grades: A ≥ 90, B ≥ 75, C ≥ 60,
// D ≥ 40, E below.

// Indicator names a term of a scheme.
type Indicator string

// Indicators a Term can use; each gives 0–100.
const (
	IndClosureRate        Indicator = "closure_rate"
	IndOnTimeClosureRate  Indicator = "on_time_closure_rate"
	IndHandlingRate       Indicator = "handling_rate"
	IndOnTimeHandlingRate Indicator = "on_time_handling_rate"
	IndNoRework           Indicator = "no_rework"          // 100 − 返工率, at least 0
	IndNoPublicReport     Indicator = "no_public_report"   // 100 − 监督举报率, at least 0
	IndRegionRegistered   Indicator = "region_registered"  // 立案数分值 per grid
	IndDeptRegistered     Indicator = "dept_registered"    // 立案数分值 of a department (0–10)
	IndOnTimeHandledShare Indicator = "on_time_of_handled" // handled_on_time / handled
)

// Term is one weighted term.
type Term struct {
	Indicator Indicator `json:"indicator"`
	Weight    float64   `json:"weight"`
}

// Band is a grade and the lowest score that earns it.
type Band struct {
	Grade string  `json:"grade"`
	Min   float64 `json:"min"`
}

// Scheme is a scoring scheme.
type Scheme struct {
	Name  string `json:"name"`
	Terms []Term `json:"terms"`
}

// Scoring configures Evaluate.
type Scoring struct {
	Region     Scheme `json:"region"`
	Department Scheme `json:"department"`
	// Inspector, Operator, Supervisor and Dispatcher score the posts
	// (监督员, 受理员, 值班长, 派遣员) with the post indicators.
	Inspector  Scheme `json:"inspector"`
	Operator   Scheme `json:"operator"`
	Supervisor Scheme `json:"supervisor"`
	Dispatcher Scheme `json:"dispatcher"`
	// Bands, best first (highest Min first).
	Bands []Band `json:"bands"`
	// MinSample is the smallest due_for_closure (for a post: the number
	// of the post's own events, PostCounts.Sample) a group needs to be ranked: one fast case must not top a ranking
	// (FixMyStreet #1957). Unranked rows still carry their score.
	MinSample int `json:"min_sample"`
	// Classes rank groups within their class as well (分类排名).
	Classes Classes `json:"classes,omitempty"`
}

// DefaultScoring is the scoring of the package documentation.
func DefaultScoring() Scoring {
	return Scoring{
		Region: Scheme{Name: "region", Terms: []Term{
			{IndNoPublicReport, 0.1}, {IndRegionRegistered, 0.2}, {IndClosureRate, 0.3}, {IndOnTimeClosureRate, 0.4}}},
		Department: Scheme{Name: "department", Terms: []Term{
			{IndDeptRegistered, 1}, {IndClosureRate, 0.3}, {IndOnTimeHandlingRate, 0.3}, {IndNoRework, 0.3}}},
		Inspector: Scheme{Name: "inspector", Terms: []Term{
			{IndValidReportRate, 0.4}, {IndNoMissedReport, 0.2}, {IndOnTimeVerifyRate, 0.2}, {IndOnTimeCheckRate, 0.2}}},
		Operator: Scheme{Name: "operator", Terms: []Term{
			{IndAcceptCount, 0.25}, {IndVerifySentOnTimeRate, 0.4}, {IndCheckSentOnTimeRate, 0.35}}},
		Supervisor: Scheme{Name: "supervisor", Terms: []Term{
			{IndOnTimeRegisterRate, 0.25}, {IndAccurateRegisterRate, 0.4}, {IndOnTimeCloseRate, 0.35}}},
		Dispatcher: Scheme{Name: "dispatcher", Terms: []Term{
			{IndDispatchCount, 0.2}, {IndOnTimeDispatchRate, 0.4}, {IndAccurateDispatchRate, 0.4}}},
		Bands:     []Band{{"A", 90}, {"B", 75}, {"C", 60}, {"D", 40}, {"E", 0}},
		MinSample: 5,
	}
}

// Validate checks indicator names and bands.
func (s *Scoring) Validate() error {
	for i, sc := range []Scheme{s.Region, s.Department, s.Inspector, s.Operator, s.Supervisor, s.Dispatcher} {
		name := []string{"region", "department", "inspector", "operator", "supervisor", "dispatcher"}[i]
		for _, t := range sc.Terms {
			known := false
			if i < 2 {
				_, known = indicatorFuncs[t.Indicator]
			} else {
				_, known = postIndicatorFuncs[t.Indicator]
			}
			if !known {
				kind := "a region or department"
				if i >= 2 {
					kind = "a post"
				}
				return fmt.Errorf("stats: scheme %s: %q is not %s indicator", name, t.Indicator, kind)
			}
			if t.Weight < 0 || math.IsNaN(t.Weight) || math.IsInf(t.Weight, 0) {
				return fmt.Errorf("stats: scheme %s: weight of %s must be a finite non-negative number", name, t.Indicator)
			}
		}
	}
	if len(s.Bands) == 0 {
		return fmt.Errorf("stats: no grade bands")
	}
	for i := 1; i < len(s.Bands); i++ {
		if !(s.Bands[i].Min < s.Bands[i-1].Min) {
			return fmt.Errorf("stats: grade bands must be listed best first with falling minimums")
		}
	}
	return s.Classes.Validate()
}

// UpgradePosts replaces every post scheme (inspector, operator,
// supervisor, dispatcher) that has no terms or a term that is not a post
// indicator by the default, and reports whether it changed any: a
// configuration stored before post scores (its "dispatcher" scheme
// scored dispatchers' cases) keeps its region and department schemes and
// bands.
func (s *Scoring) UpgradePosts() bool {
	def := DefaultScoring()
	changed := false
	for _, pair := range [][2]*Scheme{{&s.Inspector, &def.Inspector}, {&s.Operator, &def.Operator},
		{&s.Supervisor, &def.Supervisor}, {&s.Dispatcher, &def.Dispatcher}} {
		ok := len(pair[0].Terms) > 0
		for _, t := range pair[0].Terms {
			if _, known := postIndicatorFuncs[t.Indicator]; !known {
				ok = false
			}
		}
		if !ok {
			*pair[0] = *pair[1]
			changed = true
		}
	}
	return changed
}

// Grade is the band a score falls in ("" when below every band).
func (s *Scoring) Grade(score float64) string {
	for _, b := range s.Bands {
		if score >= b.Min {
			return b.Grade
		}
	}
	return ""
}

// scoreInput is what the indicator functions see.
type scoreInput struct {
	c      *Counts
	r      *Rates
	grids  int     // unit grids of a region
	months float64 // period length in 30-day months
}

func pct(v *float64) float64 {
	if v == nil {
		return 100
	}
	return *v * 100
}

var indicatorFuncs = map[Indicator]func(in *scoreInput) float64{
	IndClosureRate:        func(in *scoreInput) float64 { return pct(in.r.ClosureRate) },
	IndOnTimeClosureRate:  func(in *scoreInput) float64 { return pct(in.r.OnTimeClosureRate) },
	IndHandlingRate:       func(in *scoreInput) float64 { return pct(in.r.HandlingRate) },
	IndOnTimeHandlingRate: func(in *scoreInput) float64 { return pct(in.r.OnTimeHandlingRate) },
	IndNoRework:           func(in *scoreInput) float64 { return max(0, 100-pct0(in.r.ReworkRate)) },
	IndNoPublicReport: func(in *scoreInput) float64 {
		return max(0, 100-pct0(ratio(in.c.PublicVerified, in.c.Registered)))
	},
	IndRegionRegistered: func(in *scoreInput) float64 {
		g := max(in.grids, 1)
		return RegionRegisteredScore(float64(in.c.Registered) / float64(g) / in.months)
	},
	IndDeptRegistered: func(in *scoreInput) float64 {
		return DepartmentRegisteredScore(float64(in.c.Registered) / in.months)
	},
	IndOnTimeHandledShare: func(in *scoreInput) float64 { return pct(ratio(in.c.HandledOnTime, in.c.Handled)) },
}

// CountScore is a post's 受理数分值 / 派遣数分值 for n cases a month:
// ≥ 2001 → 100, ≥ 1201 → 90, ≥ 501 → 75, ≥ 301 → 60, ≥ 101 → 40, else 0.
func CountScore(n float64) float64 {
	switch {
	case n >= 2001:
		return 100
	case n >= 1201:
		return 90
	case n >= 501:
		return 75
	case n >= 301:
		return 60
	case n >= 101:
		return 40
	}
	return 0
}

func pct0(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v * 100
}

// RegionRegisteredScore is the region's 立案数分值 for n registered cases
// per unit grid per month: 0 → 100, < 3 → 90, < 5 → 75, < 7 → 60,
// < 9 → 40, else 0.
func RegionRegisteredScore(n float64) float64 {
	switch {
	case n <= 0:
		return 100
	case n < 3:
		return 90
	case n < 5:
		return 75
	case n < 7:
		return 60
	case n < 9:
		return 40
	}
	return 0
}

// DepartmentRegisteredScore is a department's 立案数分值 for n registered
// cases per month: ≤ 50 → 10, ≤ 100 → 9, ≤ 200 → 7.5, ≤ 500 → 6,
// ≤ 1000 → 4, else 0.
func DepartmentRegisteredScore(n float64) float64 {
	switch {
	case n <= 50:
		return 10
	case n <= 100:
		return 9
	case n <= 200:
		return 7.5
	case n <= 500:
		return 6
	case n <= 1000:
		return 4
	}
	return 0
}

// schemeFor is the scheme that scores groups of d, nil for none.
func (s *Scoring) schemeFor(d Dim) *Scheme {
	switch d {
	case DimStreet, DimCommunity, DimGrid:
		return &s.Region
	case DimUnit, DimDepartment:
		return &s.Department
	}
	// Reporter and dispatcher rows count cases; people are scored by
	// their posts (PostTable.Evaluate).
	return nil
}

func (s *Scoring) score(sc *Scheme, c *Counts, r *Rates, grids int, months float64) float64 {
	in := scoreInput{c: c, r: r, grids: grids, months: months}
	total := 0.0
	for _, t := range sc.Terms {
		total += t.Weight * indicatorFuncs[t.Indicator](&in)
	}
	return math.Round(total*100) / 100
}

// PreviousPeriod is the period month-over-month change compares with:
// the previous calendar month when [from, to) is one calendar month, else
// the period of the same length ending at from.
func PreviousPeriod(from, to time.Time) (time.Time, time.Time) {
	if from.Day() == 1 && from.Hour() == 0 && from.Minute() == 0 && from.Second() == 0 && from.Nanosecond() == 0 &&
		to.Equal(from.AddDate(0, 1, 0)) {
		return from.AddDate(0, -1, 0), from
	}
	return from.Add(-to.Sub(from)), from
}

// Evaluate is Compute plus composite scores, grades, ranks and the
// month-over-month change. grids gives the number of unit grids of a
// region (street or community code); nil or 0 counts the grids that have
// cases in the table.
func (t *Table) Evaluate(q Query, s Scoring, grids func(Dim, string) int) (*Result, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	res, err := t.Compute(q)
	if err != nil {
		return nil, err
	}
	pq := q
	pq.From, pq.To = PreviousPeriod(q.From, q.To)
	pq.Now = time.Time{}
	if !q.Now.IsZero() && q.Now.Before(pq.To) {
		pq.Now = q.Now
	}
	prev, err := t.Compute(pq)
	if err != nil {
		return nil, err
	}
	months := q.To.Sub(q.From).Hours() / 24 / 30
	pmonths := pq.To.Sub(pq.From).Hours() / 24 / 30
	sc := s.schemeFor(q.Group)
	var seen map[string]int
	if sc == &s.Region && q.Group != DimGrid {
		seen = t.gridsPerRegion(q.Group)
	}
	gridCount := func(key string) int {
		if q.Group == DimGrid {
			return 1
		}
		if grids != nil {
			if n := grids(q.Group, key); n > 0 {
				return n
			}
		}
		return seen[key]
	}
	prevRows := map[string]*Row{}
	for i := range prev.Rows {
		prevRows[prev.Rows[i].Key] = &prev.Rows[i]
	}
	for i := range res.Rows {
		r := &res.Rows[i]
		if sc != nil {
			v := s.score(sc, &r.Counts, &r.Rates, gridCount(r.Key), months)
			r.Score = &v
			r.Grade = s.Grade(v)
		}
		p, ok := prevRows[r.Key]
		if !ok {
			p = &Row{}
			p.Rates = p.Counts.Rates()
		}
		r.Previous = &Prev{Counts: p.Counts, Rates: p.Rates}
		if sc != nil {
			v := s.score(sc, &p.Counts, &p.Rates, gridCount(r.Key), pmonths)
			r.Previous.Score = &v
		}
		r.Change = change(r, r.Previous)
	}
	rankRows(res.Rows, sc != nil, s.MinSample, q.Group == DimReporter || q.Group == DimDispatcher)
	rankClasses(res.Rows, s.Classes[q.Group.String()], sc != nil, s.MinSample, q.Group == DimReporter || q.Group == DimDispatcher)
	return res, nil
}

func diff(a, b *float64) *float64 {
	if a == nil || b == nil {
		return nil
	}
	v := math.Round((*a-*b)*1e6) / 1e6
	return &v
}

func change(r *Row, p *Prev) *Change {
	return &Change{
		Reported:          r.Reported - p.Reported,
		Registered:        r.Registered - p.Registered,
		Closed:            r.Closed - p.Closed,
		Overdue:           r.Overdue - p.Overdue,
		ClosureRate:       diff(r.ClosureRate, p.ClosureRate),
		OnTimeClosureRate: diff(r.OnTimeClosureRate, p.OnTimeClosureRate),
		ReworkRate:        diff(r.ReworkRate, p.ReworkRate),
		Score:             diff(r.Score, p.Score),
	}
}

// rankRows numbers the rows: by score (best first) when scored, else by
// registered cases (most first, the 高发 order). Rows below the minimum
// sample, and the row without a key, get rank 0.
func rankRows(rows []Row, scored bool, minSample int, byReported bool) {
	order := make([]int, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		sample := r.DueForClosure
		if byReported {
			sample = r.Reported
		}
		if r.Key == "" || (scored && sample < minSample) {
			continue
		}
		order = append(order, i)
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ra, rb := &rows[a], &rows[b]
		if scored {
			if c := cmp.Compare(*rb.Score, *ra.Score); c != 0 {
				return c
			}
		}
		if c := cmp.Compare(rb.Registered, ra.Registered); c != 0 {
			return c
		}
		return cmp.Compare(ra.Key, rb.Key)
	})
	for n, i := range order {
		rows[i].Rank = n + 1
	}
}

// gridsPerRegion counts the distinct unit grids with cases per key of d.
func (t *Table) gridsPerRegion(d Dim) map[string]int {
	type pair struct{ k, g uint32 }
	seen := map[pair]struct{}{}
	n := map[string]int{}
	kc, gc := t.keys[d], t.keys[DimGrid]
	t.mu.RLock()
	defer t.mu.RUnlock()
	for i := range t.ids {
		p := pair{kc[i], gc[i]}
		if p.g == 0 {
			continue
		}
		if _, ok := seen[p]; !ok {
			seen[p] = struct{}{}
			n[t.dicts[d].names[p.k]]++
		}
	}
	return n
}

// Top lists the n groups of d with the most registered cases in the
// period (高发问题: categories; high-incidence grids), most first; ties by
// key. Groups without a key are left out.
func (t *Table) Top(q Query, n int) ([]Row, error) {
	res, err := t.Compute(q)
	if err != nil {
		return nil, err
	}
	rows := slices.DeleteFunc(res.Rows, func(r Row) bool { return r.Key == "" || r.Registered == 0 })
	slices.SortStableFunc(rows, func(a, b Row) int {
		if c := cmp.Compare(b.Registered, a.Registered); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	if len(rows) > n {
		rows = rows[:n]
	}
	for i := range rows {
		rows[i].Rank = i + 1
	}
	return rows, nil
}
