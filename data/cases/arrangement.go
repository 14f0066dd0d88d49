package cases

import (
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"

	"citygrid/data"
)

// Arrangement is one year's official holiday arrangement (部分节假日安排):
// the State Council's notice that turns the statutory days into blocks of
// days off (放假调休) and names the weekend days worked instead (调休上班).
// The rule cannot foresee it, so an admin loads it each year when the
// notice is published; the years already published are built in.
//
// The JSON form follows the notice item by item:
//
//	{"year": 2026, "title": "国务院办公厅关于2026年部分节假日安排的通知", "published": "2025-11-04",
//	 "holidays": [
//	  {"festivals": ["元旦"], "from": "2026-01-01", "to": "2026-01-03", "days": 3, "workdays": ["2026-01-04"]},
//	  …]}
type Arrangement struct {
	Year      int    `json:"year"`
	Title     string `json:"title,omitempty"`
	Published string `json:"published,omitempty"` // YYYY-MM-DD of the notice
	// Holidays are the notice's items in order.
	Holidays []HolidayBlock `json:"holidays"`
}

// HolidayBlock is one item of a notice: the festivals it is for, the days
// off from From to To (both included), their count as the notice states it
// (共N天, optional, checked when given) and the weekend days worked
// instead.
type HolidayBlock struct {
	Festivals []Festival `json:"festivals"`
	From      string     `json:"from"`
	To        string     `json:"to"`
	Days      int        `json:"days,omitempty"`
	Workdays  []string   `json:"workdays,omitempty"`
}

// ReadArrangement reads one arrangement (JSON) and checks it; an
// unknown field, trailing data or any problem Check finds is an error.
func ReadArrangement(r io.Reader) (*Arrangement, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var a Arrangement
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("read holiday arrangement: %w", &data.ValidationError{Field: "document", Reason: err.Error()})
	}
	if dec.More() {
		return nil, fmt.Errorf("read holiday arrangement: %w", &data.ValidationError{Field: "document", Reason: "trailing data after the arrangement"})
	}
	if err := a.Check(); err != nil {
		return nil, fmt.Errorf("read holiday arrangement %d: %w", a.Year, err)
	}
	return &a, nil
}

// Check validates an arrangement against the calendar and the statutory
// rule: dates are YYYY-MM-DD in the year (a 元旦 block may start in the
// last days of the year before, as for 2019), blocks do not overlap, every
// statutory day of the year lies in a block naming its festival, 调休上班
// days are Saturdays or Sundays outside every block, and a block's day
// count matches its dates. Every problem is a *data.ValidationError
// naming the field.
func (a *Arrangement) Check() error {
	var es data.ValidationErrors
	bad := func(f, format string, args ...any) {
		es = append(es, &data.ValidationError{Field: f, Reason: fmt.Sprintf(format, args...)})
	}
	if a.Year < FirstStatutoryYear || a.Year > LastStatutoryYear {
		bad("year", "between %d and %d", FirstStatutoryYear, LastStatutoryYear)
		return es.Err()
	}
	if a.Published != "" {
		if _, err := ParseDate(a.Published); err != nil {
			bad("published", "want YYYY-MM-DD")
		}
	}
	if len(a.Holidays) == 0 {
		bad("holidays", "at least one block of days off")
	}
	first, last := Date{a.Year - 1, time.December, 1}, Date{a.Year, time.December, 31}
	inRange := func(d Date) bool { return !d.Before(first) && !last.Before(d) }
	off := map[Date]int{}   // day off → block
	work := map[Date]bool{} // 调休上班
	for i, b := range a.Holidays {
		f := fmt.Sprintf("holidays[%d]", i)
		if len(b.Festivals) == 0 {
			bad(f+".festivals", "name the festival(s) of the block")
		}
		for j, fe := range b.Festivals {
			if !slices.Contains(Festivals, fe) {
				bad(fmt.Sprintf("%s.festivals[%d]", f, j), "unknown festival %q (元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节)", fe)
			}
		}
		from, err1 := ParseDate(b.From)
		to, err2 := ParseDate(b.To)
		switch {
		case err1 != nil:
			bad(f+".from", "want YYYY-MM-DD")
			continue
		case err2 != nil:
			bad(f+".to", "want YYYY-MM-DD")
			continue
		case to.Before(from):
			bad(f+".to", "%s is before from %s", to, from)
			continue
		case !inRange(from) || !inRange(to):
			bad(f, "%s to %s is outside %s to %s", from, to, first, last)
			continue
		}
		n := 0
		for d := from; !to.Before(d); d = d.AddDays(1) {
			n++
			if j, dup := off[d]; dup {
				bad(f, "%s is already in holidays[%d]", d, j)
			}
			off[d] = i
		}
		if n > 15 {
			bad(f, "%d days off in one block; a notice gives at most 9 or so", n)
		}
		if b.Days != 0 && b.Days != n {
			bad(f+".days", "%d stated, but %s to %s is %d days", b.Days, from, to, n)
		}
		for j, w := range b.Workdays {
			wf := fmt.Sprintf("%s.workdays[%d]", f, j)
			d, err := ParseDate(w)
			switch {
			case err != nil:
				bad(wf, "want YYYY-MM-DD")
			case !inRange(d):
				bad(wf, "%s is outside %s to %s", d, first, last)
			case d.Weekday() != time.Saturday && d.Weekday() != time.Sunday:
				bad(wf, "%s is a %s; make-up working days are weekend days", d, d.Weekday())
			case work[d]:
				bad(wf, "%s is listed twice", d)
			default:
				work[d] = true
			}
		}
	}
	for i, b := range a.Holidays {
		for j, w := range b.Workdays {
			if d, err := ParseDate(w); err == nil {
				if k, ok := off[d]; ok {
					bad(fmt.Sprintf("holidays[%d].workdays[%d]", i, j), "%s is also a day off of holidays[%d]", d, k)
				}
			}
		}
	}
	if stat, err := StatutoryDays(a.Year); err == nil {
		for _, sd := range stat {
			i, ok := off[sd.Date]
			switch {
			case !ok:
				bad("holidays", "%s (%s) is a statutory day off but in no block", sd.Date, sd.Festival)
			case !slices.Contains(a.Holidays[i].Festivals, sd.Festival):
				bad(fmt.Sprintf("holidays[%d].festivals", i), "%s is the statutory %s, which the block does not name", sd.Date, sd.Festival)
			}
		}
	}
	return es.Err()
}

// DaysOff lists the arrangement's days off in date order.
func (a *Arrangement) DaysOff() []Date {
	var out []Date
	for _, b := range a.Holidays {
		from, err1 := ParseDate(b.From)
		to, err2 := ParseDate(b.To)
		if err1 != nil || err2 != nil {
			continue
		}
		for d := from; !to.Before(d); d = d.AddDays(1) {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// MakeUpDays lists the arrangement's 调休上班 days in date order.
func (a *Arrangement) MakeUpDays() []Date {
	var out []Date
	for _, b := range a.Holidays {
		for _, w := range b.Workdays {
			if d, err := ParseDate(w); err == nil {
				out = append(out, d)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// clone is a deep copy, so a calendar never shares slices with its caller.
func (a Arrangement) clone() Arrangement {
	a.Holidays = slices.Clone(a.Holidays)
	for i := range a.Holidays {
		a.Holidays[i].Festivals = slices.Clone(a.Holidays[i].Festivals)
		a.Holidays[i].Workdays = slices.Clone(a.Holidays[i].Workdays)
	}
	return a
}

// The arrangements already published, one file per year in the format
// ReadArrangement reads; an admin starts next year's from one of them.
//
//go:embed arrangements/*.json
var arrangementFS embed.FS

// BuiltinArrangements returns the published arrangements citygrid ships,
// by year. A calendar uses them for every year it has not loaded one of
// its own for.
func BuiltinArrangements() []Arrangement {
	names, err := fs.Glob(arrangementFS, "arrangements/*.json")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	out := make([]Arrangement, 0, len(names))
	for _, n := range names {
		f, err := arrangementFS.Open(n)
		if err != nil {
			panic(err)
		}
		a, err := ReadArrangement(f)
		f.Close()
		if err != nil {
			panic(fmt.Sprintf("built-in %s: %v", n, err)) // caught by the tests
		}
		if !strings.HasSuffix(n, fmt.Sprintf("/%d.json", a.Year)) {
			panic(fmt.Sprintf("built-in %s holds year %d", n, a.Year))
		}
		out = append(out, *a)
	}
	return out
}
