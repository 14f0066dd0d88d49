package cases

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"sync"
	"time"

	"citygrid/data"
)

// Period is a working period of a day, "HH:MM" to "HH:MM" local time
// ("24:00" ends a period at midnight; a night shift is two periods).
type Period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Calendar is a city's working-time calendar. Its working days are the
// departments' (处置 runs on them): the working periods of a working day,
// the weekend, the national holidays and make-up working days (调休) of
// each year's arrangement, and the city's own extra days. Centre gives the
// centre's own hours, which may be around the clock.
//
// A year whose arrangement is neither built in nor loaded is computed from
// the statutory days alone (StatutoryDays); deadlines that reach into it
// are provisional (Provisional) and admins are warned ahead
// (ArrangementWarnings).
type Calendar struct {
	City     string         `json:"city"`
	TimeZone string         `json:"time_zone"` // IANA name; Asia/Shanghai by default
	Periods  []Period       `json:"periods"`
	Weekend  []time.Weekday `json:"weekend"`
	// Holidays and Workdays are the city's own days off and extra working
	// days (YYYY-MM-DD); they win over the national arrangement.
	Holidays []string `json:"holidays"`
	Workdays []string `json:"workdays"`
	// Arrangements are the yearly national arrangements in the calendar
	// document: the built-in ones as DefaultCalendar writes them out, and
	// those an admin loaded, each replacing the built-in one of its year.
	// A year with a built-in arrangement that is not listed still has it.
	Arrangements []Arrangement `json:"arrangements,omitempty"`
	// Centre is when the centre itself takes and handles its steps; nil is
	// around the clock on every day (全天候受理).
	Centre *CentreHours `json:"centre,omitempty"`

	loc      *time.Location
	periods  [][2]int // minutes of the day
	weekend  [7]bool
	everyDay bool // every day is a working day (the 7×24 centre)
	days     *dayTable
	centre   *Calendar
}

// CentreHours are the centre's staffed hours (值班). Shifts are the
// periods of a day the centre works; WorkingDaysOnly limits them to the
// departments' working days, else they run every day, holidays included.
type CentreHours struct {
	Shifts          []Period `json:"shifts"`
	WorkingDaysOnly bool     `json:"working_days_only,omitempty"`
}

// AroundTheClock is the default centre: one shift of 24 hours every day.
func AroundTheClock() *CentreHours {
	return &CentreHours{Shifts: []Period{{"00:00", "24:00"}}}
}

// dayTable is what decides whether a date is a working day, shared by a
// calendar and its centre calendar.
type dayTable struct {
	holidays, workdays map[Date]bool // the city's own
	arrOff, arrWork    map[Date]bool // the national arrangements
	arranged           map[int]string
	stat               *statutoryCache
}

// statutoryCache memoises StatutoryDays per year; calendars are read by
// many goroutines.
type statutoryCache struct {
	mu    sync.Mutex
	years map[int]map[Date]bool
}

func (s *statutoryCache) off(d Date) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.years[d.Year]
	if !ok {
		m = map[Date]bool{}
		if days, err := StatutoryDays(d.Year); err == nil {
			for _, sd := range days {
				m[sd.Date] = true
			}
		}
		s.years[d.Year] = m
	}
	return m[d]
}

// WorkingDay is the length of one working day: 1 工作日 = 8 工作时.
const WorkingDay = 8 * time.Hour

// DefaultCalendar is 08:00–12:00 and 14:00–18:00 on Monday to Friday in
// China Standard Time (standards.md §4.4) with the built-in national
// arrangements written out (so the calendar document shows them), and a
// centre that works around the clock.
func DefaultCalendar() *Calendar {
	c := &Calendar{
		City:         "default",
		TimeZone:     "Asia/Shanghai",
		Periods:      []Period{{"08:00", "12:00"}, {"14:00", "18:00"}},
		Weekend:      []time.Weekday{time.Saturday, time.Sunday},
		Holidays:     []string{},
		Workdays:     []string{},
		Arrangements: BuiltinArrangements(),
		Centre:       AroundTheClock(),
	}
	if err := c.Compile(); err != nil {
		panic(err)
	}
	return c
}

// Compile checks the calendar and prepares it for arithmetic; every
// problem is a *data.ValidationError naming the field.
func (c *Calendar) Compile() error {
	loc := ChinaTime
	if c.TimeZone != "" && c.TimeZone != "Asia/Shanghai" {
		l, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			return &data.ValidationError{Field: "time_zone", Reason: err.Error()}
		}
		loc = l
	}
	c.loc = loc
	periods, err := compilePeriods("periods", c.Periods)
	if err != nil {
		return err
	}
	c.periods = periods
	c.weekend = [7]bool{}
	for _, d := range c.Weekend {
		if d < 0 || d > 6 {
			return &data.ValidationError{Field: "weekend", Reason: "days are 0 (Sunday) to 6 (Saturday)"}
		}
		c.weekend[d] = true
	}
	t := &dayTable{holidays: map[Date]bool{}, workdays: map[Date]bool{}, arrOff: map[Date]bool{}, arrWork: map[Date]bool{},
		arranged: map[int]string{}, stat: &statutoryCache{years: map[int]map[Date]bool{}}}
	for i, s := range c.Holidays {
		d, err := ParseDate(s)
		if err != nil {
			return &data.ValidationError{Field: fmt.Sprintf("holidays[%d]", i), Reason: "want YYYY-MM-DD"}
		}
		t.holidays[d] = true
	}
	for i, s := range c.Workdays {
		d, err := ParseDate(s)
		if err != nil {
			return &data.ValidationError{Field: fmt.Sprintf("workdays[%d]", i), Reason: "want YYYY-MM-DD"}
		}
		if t.holidays[d] {
			return &data.ValidationError{Field: fmt.Sprintf("workdays[%d]", i), Reason: s + " is also a holiday"}
		}
		t.workdays[d] = true
	}
	byYear := map[int]Arrangement{}
	source := map[int]string{}
	builtin := map[int]Arrangement{}
	for _, a := range BuiltinArrangements() {
		byYear[a.Year], source[a.Year], builtin[a.Year] = a, ArrangementBuiltin, a
	}
	loaded := map[int]int{}
	for i, a := range c.Arrangements {
		if err := a.Check(); err != nil {
			return prefixErr(fmt.Sprintf("arrangements[%d]", i), err)
		}
		if j, dup := loaded[a.Year]; dup {
			return &data.ValidationError{Field: fmt.Sprintf("arrangements[%d].year", i), Reason: fmt.Sprintf("%d is already arrangements[%d]", a.Year, j)}
		}
		loaded[a.Year] = i
		if b, ok := builtin[a.Year]; !ok || !reflect.DeepEqual(a.clone(), b.clone()) {
			byYear[a.Year], source[a.Year] = a, ArrangementLoaded
		}
	}
	for y, a := range byYear {
		for _, d := range a.DaysOff() {
			t.arrOff[d] = true
		}
		for _, d := range a.MakeUpDays() {
			t.arrWork[d] = true
		}
		t.arranged[y] = source[y]
	}
	c.days = t
	c.everyDay = false
	ch := c.Centre
	if ch == nil {
		ch = AroundTheClock()
	}
	shifts, err := compilePeriods("centre.shifts", ch.Shifts)
	if err != nil {
		return err
	}
	c.centre = &Calendar{City: c.City, TimeZone: c.TimeZone, Periods: ch.Shifts, Weekend: c.Weekend,
		loc: loc, periods: shifts, weekend: c.weekend, everyDay: !ch.WorkingDaysOnly, days: t}
	c.centre.centre = c.centre
	return nil
}

// Where an arrangement of a year comes from.
const (
	ArrangementBuiltin = "builtin" // shipped with citygrid (listed in the document or not)
	ArrangementLoaded  = "loaded"  // loaded by an admin, differing from any built-in one
)

func compilePeriods(field string, ps []Period) ([][2]int, error) {
	if len(ps) == 0 {
		return nil, &data.ValidationError{Field: field, Reason: "at least one working period is needed"}
	}
	out := make([][2]int, 0, len(ps))
	prev := -1
	for i, p := range ps {
		a, err1 := hhmm(p.Start)
		b, err2 := hhmm(p.End)
		if err1 != nil || err2 != nil || b <= a || a < prev {
			return nil, &data.ValidationError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: "want HH:MM start before end, periods in order and not overlapping"}
		}
		prev = b
		out = append(out, [2]int{a, b})
	}
	return out, nil
}

// prefixErr puts field in front of the fields of a validation error.
func prefixErr(field string, err error) error {
	var ves data.ValidationErrors
	if errors.As(err, &ves) {
		out := make(data.ValidationErrors, len(ves))
		for i, v := range ves {
			out[i] = &data.ValidationError{Where: v.Where, Field: field + "." + v.Field, Reason: v.Reason}
		}
		return out
	}
	var ve *data.ValidationError
	if errors.As(err, &ve) {
		return &data.ValidationError{Where: ve.Where, Field: field + "." + ve.Field, Reason: ve.Reason}
	}
	return &data.ValidationError{Field: field, Reason: err.Error()}
}

func hhmm(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		if s == "24:00" {
			return 24 * 60, nil
		}
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// CentreCalendar is the centre's calendar: its shifts, on every day or on
// the working days of c. The centre's own steps (核实, 立案, 派遣, 核查)
// count on it.
func (c *Calendar) CentreCalendar() *Calendar { return c.centre }

// IsWorkday reports whether the local date of t is a working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	return c.IsWorkingDate(DateOf(t, c.loc))
}

// IsWorkingDate reports whether d is a working day: on a calendar that
// runs every day always; else the city's own days win, then the year's
// national arrangement, then (for a year without one) the statutory days;
// then every day that is not a weekend day.
func (c *Calendar) IsWorkingDate(d Date) bool {
	if c.everyDay {
		return true
	}
	t := c.days
	switch {
	case t.workdays[d]:
		return true
	case t.holidays[d]:
		return false
	case t.arrWork[d]:
		return true
	case t.arrOff[d]:
		return false
	}
	if t.arranged[d.Year] == "" && t.stat.off(d) {
		return false
	}
	return !c.weekend[d.Weekday()]
}

// Arranged tells whether year has a national arrangement, and where it
// comes from (ArrangementBuiltin or ArrangementLoaded).
func (c *Calendar) Arranged(year int) (string, bool) {
	s, ok := c.days.arranged[year]
	return s, ok
}

// ArrangedYears lists the years with an arrangement, in order.
func (c *Calendar) ArrangedYears() []int {
	out := make([]int, 0, len(c.days.arranged))
	for y := range c.days.arranged {
		out = append(out, y)
	}
	sort.Ints(out)
	return out
}

// Provisional reports whether working time counted between a and b rests
// on a guess: some local date in between lies in a year without a national
// arrangement, so its days off come from the statutory rule alone. A
// calendar that runs every day never guesses.
func (c *Calendar) Provisional(a, b time.Time) bool {
	if c.everyDay {
		return false
	}
	if b.Before(a) {
		a, b = b, a
	}
	for y := DateOf(a, c.loc).Year; y <= DateOf(b, c.loc).Year; y++ {
		if _, ok := c.days.arranged[y]; !ok {
			return true
		}
	}
	return false
}

// ArrangementLead is how long before a year without an arrangement admins
// are warned: the State Council usually publishes in November.
const ArrangementLead = 60 // days

// ArrangementWarning tells admins that a year's arrangement is missing.
type ArrangementWarning struct {
	Year int `json:"year"`
	// Since is when the warning began (ArrangementLead days before the
	// year starts).
	Since   time.Time `json:"since"`
	Message string    `json:"message"`
}

// ArrangementWarnings returns the warnings due at now: the current year
// without an arrangement, and the next one from ArrangementLead days
// before it starts. Empty when nothing is missing.
func (c *Calendar) ArrangementWarnings(now time.Time) []ArrangementWarning {
	out := []ArrangementWarning{}
	y := DateOf(now, c.loc).Year
	for _, year := range []int{y, y + 1} {
		if _, ok := c.days.arranged[year]; ok {
			continue
		}
		since := time.Date(year, time.January, 1, 0, 0, 0, 0, c.loc).AddDate(0, 0, -ArrangementLead)
		if now.Before(since) {
			continue
		}
		out = append(out, ArrangementWarning{Year: year, Since: since.UTC(), Message: fmt.Sprintf(
			"%d 年节假日安排尚未载入：跨入该年的时限暂按法定节假日计算，标为“暂定”。国务院办公厅通知发布后，请载入当年的放假调休安排。", year)})
	}
	return out
}

// YearDays is what the calendar holds for one year: its days off and
// make-up working days, and whether they are only the statutory rule.
type YearDays struct {
	Year        int    `json:"year"`
	Source      string `json:"source"` // builtin, loaded, or statutory (no arrangement)
	Provisional bool   `json:"provisional"`
	DaysOff     []Date `json:"days_off"`
	MakeUpDays  []Date `json:"make_up_days"`
}

// Year lists the days off (weekends aside) and the make-up working days of
// a year as the calendar counts them, the city's own days included.
func (c *Calendar) Year(year int) YearDays {
	y := YearDays{Year: year, Source: c.days.arranged[year]}
	if y.Source == "" {
		y.Source, y.Provisional = "statutory", true
	}
	for d := (Date{year, time.January, 1}); d.Year == year; d = d.AddDays(1) {
		weekend := c.weekend[d.Weekday()]
		work := c.IsWorkingDate(d)
		switch {
		case !work && !weekend:
			y.DaysOff = append(y.DaysOff, d)
		case work && weekend:
			y.MakeUpDays = append(y.MakeUpDays, d)
		}
	}
	return y
}

// WithArrangement returns a copy of the calendar with a (checked) in place
// of any arrangement of its year. The receiver is not changed.
func (c *Calendar) WithArrangement(a Arrangement) (*Calendar, error) {
	if err := a.Check(); err != nil {
		return nil, err
	}
	n := c.clone()
	n.Arrangements = slices.DeleteFunc(n.Arrangements, func(o Arrangement) bool { return o.Year == a.Year })
	n.Arrangements = append(n.Arrangements, a.clone())
	sort.Slice(n.Arrangements, func(i, j int) bool { return n.Arrangements[i].Year < n.Arrangements[j].Year })
	if err := n.Compile(); err != nil {
		return nil, err
	}
	return n, nil
}

// clone copies the calendar's configuration (not its compiled state).
func (c *Calendar) clone() *Calendar {
	n := &Calendar{City: c.City, TimeZone: c.TimeZone, Periods: slices.Clone(c.Periods), Weekend: slices.Clone(c.Weekend),
		Holidays: slices.Clone(c.Holidays), Workdays: slices.Clone(c.Workdays)}
	for _, a := range c.Arrangements {
		n.Arrangements = append(n.Arrangements, a.clone())
	}
	if c.Centre != nil {
		ch := *c.Centre
		ch.Shifts = slices.Clone(ch.Shifts)
		n.Centre = &ch
	}
	return n
}

// dayStart is local midnight of t's date.
func (c *Calendar) dayStart(t time.Time) time.Time {
	t = t.In(c.loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.loc)
}

// maxDays bounds the day walks (a limit of years is a configuration error,
// not a deadline).
const maxDays = 3 * 366

// WorkBetween is the working time between a and b (0 when b is not after a).
func (c *Calendar) WorkBetween(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	var sum time.Duration
	day := c.dayStart(a)
	for i := 0; i < 100*366 && day.Before(b); i++ {
		if c.IsWorkday(day) {
			for _, p := range c.periods {
				ps := day.Add(time.Duration(p[0]) * time.Minute)
				pe := day.Add(time.Duration(p[1]) * time.Minute)
				if ps.Before(a) {
					ps = a
				}
				if pe.After(b) {
					pe = b
				}
				if pe.After(ps) {
					sum += pe.Sub(ps)
				}
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return sum
}

// AddWork returns the instant at which d of working time has passed after
// t. A deadline that ends exactly at the end of a working period is that
// end (12:00, not 14:00).
func (c *Calendar) AddWork(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	day := c.dayStart(t)
	for i := 0; i < maxDays; i++ {
		if c.IsWorkday(day) {
			for _, p := range c.periods {
				ps := day.Add(time.Duration(p[0]) * time.Minute)
				pe := day.Add(time.Duration(p[1]) * time.Minute)
				if !pe.After(t) {
					continue
				}
				if ps.Before(t) {
					ps = t
				}
				if avail := pe.Sub(ps); avail >= d {
					return ps.Add(d).UTC()
				} else {
					d -= avail
				}
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return t.Add(d * 3).UTC() // unreachable with a sane calendar
}

// Duration is the length of a limit in its own clock: working time for
// working hours and days, wall time for continuous hours.
func (l Limit) Duration() time.Duration {
	switch l.Unit {
	case WorkingDays:
		return time.Duration(l.Amount * float64(WorkingDay))
	default:
		return time.Duration(l.Amount * float64(time.Hour))
	}
}

// Continuous reports whether the limit counts wall time.
func (l Limit) Continuous() bool { return l.Unit == ContinuousHours }

// Check validates a limit.
func (l Limit) Check(field string) error {
	switch l.Unit {
	case WorkingHours, WorkingDays, ContinuousHours:
	default:
		return &data.ValidationError{Field: field + ".unit", Reason: "one of working_hours, working_days, hours"}
	}
	if !(l.Amount > 0 && l.Amount <= 365*24) {
		return &data.ValidationError{Field: field + ".amount", Reason: "more than 0 and at most 8760"}
	}
	return nil
}

// Between is the time of the limit's clock that passes between a and b.
func (c *Calendar) Between(l Limit, a, b time.Time) time.Duration {
	if l.Continuous() {
		if b.After(a) {
			return b.Sub(a)
		}
		return 0
	}
	return c.WorkBetween(a, b)
}

// Add moves t on by d of the limit's clock.
func (c *Calendar) Add(l Limit, t time.Time, d time.Duration) time.Time {
	if l.Continuous() {
		return t.Add(d).UTC()
	}
	return c.AddWork(t, d)
}

// Deadline is when a clock started at start with limit l (plus extra of
// the same clock) runs out, the pauses left out: time inside a pause does
// not count, and only the part of a pause that would have counted (its
// working time, for working-time limits) is given back. ok is false while
// a pause is still open (the deadline is not defined then).
func (c *Calendar) Deadline(l Limit, extra time.Duration, start time.Time, pauses []Pause) (due time.Time, ok bool) {
	remaining := l.Duration() + extra
	cur := start
	ps := append([]Pause(nil), pauses...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].From.Before(ps[j].From) })
	for _, p := range ps {
		if p.To != nil && !p.To.After(cur) {
			continue
		}
		from := p.From
		if from.Before(cur) {
			from = cur
		}
		if w := c.Between(l, cur, from); w >= remaining {
			return c.Add(l, cur, remaining), true
		} else {
			remaining -= w
		}
		if p.To == nil {
			return time.Time{}, false
		}
		cur = *p.To
	}
	return c.Add(l, cur, remaining), true
}

// Used is the part of the clock consumed between start and now, the
// pauses left out.
func (c *Calendar) Used(l Limit, start, now time.Time, pauses []Pause) time.Duration {
	used := c.Between(l, start, now)
	for _, p := range pauses {
		to := now
		if p.To != nil && p.To.Before(now) {
			to = *p.To
		}
		from := p.From
		if from.Before(start) {
			from = start
		}
		used -= c.Between(l, from, to)
	}
	if used < 0 {
		used = 0
	}
	return used
}

// ChinaTime is UTC+8, the time of case numbers and of the default
// calendar (China keeps no daylight saving time).
var ChinaTime = time.FixedZone("CST", 8*3600)
