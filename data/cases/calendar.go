package cases

import (
	"fmt"
	"sort"
	"time"

	"citygrid/data"
)

// Period is a working period of a day, "HH:MM" to "HH:MM" local time.
type Period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Calendar is a city's working-time calendar: the working periods of a
// working day, the weekend, statutory holidays and the make-up working
// days (调休) that fall on weekends.
type Calendar struct {
	City     string         `json:"city"`
	TimeZone string         `json:"time_zone"` // IANA name; Asia/Shanghai by default
	Periods  []Period       `json:"periods"`
	Weekend  []time.Weekday `json:"weekend"`
	Holidays []string       `json:"holidays"` // YYYY-MM-DD, days off
	Workdays []string       `json:"workdays"` // YYYY-MM-DD, make-up working days (调休上班)

	loc      *time.Location
	periods  [][2]int // minutes of the day
	weekend  [7]bool
	holidays map[string]bool
	workdays map[string]bool
}

// WorkingDay is the length of one working day: 1 工作日 = 8 工作时.
const WorkingDay = 8 * time.Hour

// Holidays2026 and Workdays2026 are the PRC statutory holidays of 2026 and
// their make-up working days, from 国务院办公厅关于2026年部分节假日安排的通知
// (2025-11-04): 元旦 1-1..1-3 (work 1-4); 春节 2-15..2-23 (work 2-14,
// 2-28); 清明 4-4..4-6; 劳动节 5-1..5-5 (work 5-9); 端午 6-19..6-21;
// 中秋 9-25..9-27; 国庆 10-1..10-7 (work 9-20, 10-10).
var (
	Holidays2026 = []string{
		"2026-01-01", "2026-01-02", "2026-01-03",
		"2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23",
		"2026-04-04", "2026-04-05", "2026-04-06",
		"2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05",
		"2026-06-19", "2026-06-20", "2026-06-21",
		"2026-09-25", "2026-09-26", "2026-09-27",
		"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07",
	}
	Workdays2026 = []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"}
)

// DefaultCalendar is 08:00–12:00 and 14:00–18:00 on Monday to Friday in
// China Standard Time, with the 2026 PRC holidays and make-up days.
func DefaultCalendar() *Calendar {
	c := &Calendar{
		City:     "default",
		TimeZone: "Asia/Shanghai",
		Periods:  []Period{{"08:00", "12:00"}, {"14:00", "18:00"}},
		Weekend:  []time.Weekday{time.Saturday, time.Sunday},
		Holidays: append([]string(nil), Holidays2026...),
		Workdays: append([]string(nil), Workdays2026...),
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
	if len(c.Periods) == 0 {
		return &data.ValidationError{Field: "periods", Reason: "at least one working period is needed"}
	}
	c.periods = c.periods[:0]
	prev := -1
	for i, p := range c.Periods {
		a, err1 := hhmm(p.Start)
		b, err2 := hhmm(p.End)
		if err1 != nil || err2 != nil || b <= a || a < prev {
			return &data.ValidationError{Field: fmt.Sprintf("periods[%d]", i), Reason: "want HH:MM start before end, periods in order and not overlapping"}
		}
		prev = b
		c.periods = append(c.periods, [2]int{a, b})
	}
	c.weekend = [7]bool{}
	for _, d := range c.Weekend {
		if d < 0 || d > 6 {
			return &data.ValidationError{Field: "weekend", Reason: "days are 0 (Sunday) to 6 (Saturday)"}
		}
		c.weekend[d] = true
	}
	c.holidays, c.workdays = map[string]bool{}, map[string]bool{}
	for i, d := range c.Holidays {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			return &data.ValidationError{Field: fmt.Sprintf("holidays[%d]", i), Reason: "want YYYY-MM-DD"}
		}
		c.holidays[d] = true
	}
	for i, d := range c.Workdays {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			return &data.ValidationError{Field: fmt.Sprintf("workdays[%d]", i), Reason: "want YYYY-MM-DD"}
		}
		if c.holidays[d] {
			return &data.ValidationError{Field: fmt.Sprintf("workdays[%d]", i), Reason: d + " is also a holiday"}
		}
		c.workdays[d] = true
	}
	return nil
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

// IsWorkday reports whether the local date of t is a working day: a
// make-up day always is, a holiday never, else every non-weekend day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	t = t.In(c.loc)
	d := t.Format("2006-01-02")
	if c.workdays[d] {
		return true
	}
	if c.holidays[d] {
		return false
	}
	return !c.weekend[t.Weekday()]
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
