package cases_test

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"

	"github.com/6tail/lunar-go/HolidayUtil"
)

func date(y int, m time.Month, d int) cases.Date { return cases.Date{Year: y, Month: m, Day: d} }

// 正月初一 as the published calendars give it.
func TestLunarNewYearMatchesPublishedDates(t *testing.T) {
	published := map[int]string{
		2012: "2012-01-23", 2014: "2014-01-31", 2025: "2025-01-29", 2026: "2026-02-17",
		2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13", 2030: "2030-02-03", 2031: "2031-01-23", 2032: "2032-02-11",
	}
	for y, want := range published {
		if got := cases.LunarNewYear(y).String(); got != want {
			t.Errorf("正月初一 %d = %s, want %s", y, got, want)
		}
	}
}

// The statutory days of a year, written out by hand from the rule and the
// published lunar dates (正月初一, 五月初五, 八月十五) and 清明.
func TestStatutoryDaysHandWritten(t *testing.T) {
	tests := []struct {
		year int
		want []string
	}{
		// 2027: 除夕 02-05 to 初三 02-08; 清明 04-05; 端午 06-09; 中秋 09-15.
		{2027, []string{"01-01", "02-05", "02-06", "02-07", "02-08", "04-05", "05-01", "05-02", "06-09", "09-15", "10-01", "10-02", "10-03"}},
		// 2028: 初一 01-26, so 除夕 01-25; 清明 04-04; 端午 05-28; 中秋 10-03 falls in 国庆.
		{2028, []string{"01-01", "01-25", "01-26", "01-27", "01-28", "04-04", "05-01", "05-02", "05-28", "10-01", "10-02", "10-03"}},
		// 2031: 初一 01-23; 中秋 on 10-01 itself.
		{2031, []string{"01-01", "01-22", "01-23", "01-24", "01-25", "04-05", "05-01", "05-02", "06-24", "10-01", "10-02", "10-03"}},
		// 2014–2024 rule: 春节 初一 to 初三, 劳动节 one day. 2014: 初一 01-31.
		{2014, []string{"01-01", "01-31", "02-01", "02-02", "04-05", "05-01", "06-02", "09-08", "10-01", "10-02", "10-03"}},
		// 2008–2013 rule: 春节 除夕 to 初二. 2012: 初一 01-23.
		{2012, []string{"01-01", "01-22", "01-23", "01-24", "04-04", "05-01", "06-23", "09-30", "10-01", "10-02", "10-03"}},
	}
	for _, tc := range tests {
		days, err := cases.StatutoryDays(tc.year)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range days {
			got = append(got, d.Date.String()[5:])
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%d: got %v\nwant %v", tc.year, got, tc.want)
		}
	}
	// 2027's days carry their festival.
	days, _ := cases.StatutoryDays(2027)
	if days[1].Festival != cases.SpringFestival || days[5].Festival != cases.Qingming || days[8].Festival != cases.DragonBoat || days[9].Festival != cases.MidAutumn {
		t.Errorf("festivals of 2027: %+v", days)
	}
	if _, err := cases.StatutoryDays(2007); err == nil {
		t.Error("2007 predates the rules and must be refused")
	}
}

// The built-in arrangements agree, day by day, with a second source: the
// holiday table that ships with the lunar library.
func TestBuiltinArrangementsAgreeWithSecondSource(t *testing.T) {
	built := cases.BuiltinArrangements()
	if len(built) < 2 || built[0].Year != 2025 || built[1].Year != 2026 {
		t.Fatalf("built-in years: %+v", built)
	}
	for _, a := range built {
		off := map[cases.Date]bool{}
		for _, d := range a.DaysOff() {
			off[d] = true
		}
		work := map[cases.Date]bool{}
		for _, d := range a.MakeUpDays() {
			work[d] = true
		}
		for d := date(a.Year, 1, 1); d.Year == a.Year; d = d.AddDays(1) {
			h := HolidayUtil.GetHolidayByYmd(d.Year, int(d.Month), d.Day)
			wantOff := h != nil && !h.IsWork()
			wantWork := h != nil && h.IsWork()
			if off[d] != wantOff || work[d] != wantWork {
				t.Errorf("%s: off %v work %v, second source off %v work %v", d, off[d], work[d], wantOff, wantWork)
			}
		}
	}
}

func TestArrangementValidation(t *testing.T) {
	good, err := os.ReadFile("arrangements/2026.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cases.ReadArrangement(strings.NewReader(string(good))); err != nil {
		t.Fatalf("the 2026 file: %v", err)
	}
	tests := []struct {
		name, from, to, field string
	}{
		{"a statutory day left out", `"from": "2026-02-15", "to": "2026-02-23", "days": 9`, `"from": "2026-02-18", "to": "2026-02-23", "days": 6`, "holidays"},
		{"a wrong day count", `"to": "2026-01-03", "days": 3`, `"to": "2026-01-03", "days": 4`, "holidays[0].days"},
		{"a make-up day on a weekday", `"workdays": ["2026-05-09"]`, `"workdays": ["2026-05-08"]`, "holidays[3].workdays[0]"},
		{"a make-up day inside a block", `"workdays": ["2026-05-09"]`, `"workdays": ["2026-05-02"]`, "holidays[3].workdays[0]"},
		{"an unknown festival", `["端午节"]`, `["龙舟节"]`, "holidays[4].festivals[0]"},
		{"a statutory day under another festival", `["中秋节"]`, `["国庆节"]`, "holidays[5].festivals"},
		{"overlapping blocks", `"from": "2026-04-04", "to": "2026-04-06"`, `"from": "2026-04-04", "to": "2026-05-01", "days": 28`, "holidays[3]"},
		{"a date in another year", `"from": "2026-10-01", "to": "2026-10-07"`, `"from": "2026-10-01", "to": "2027-01-02"`, "holidays[6]"},
		{"a bad date", `"from": "2026-06-19"`, `"from": "2026-6-19"`, "holidays[4].from"},
	}
	for _, tc := range tests {
		doc := strings.Replace(string(good), tc.from, tc.to, 1)
		if doc == string(good) {
			t.Fatalf("%s: the edit did not apply", tc.name)
		}
		_, err := cases.ReadArrangement(strings.NewReader(doc))
		var ves data.ValidationErrors
		if !errors.As(err, &ves) {
			t.Errorf("%s: want validation errors, got %v", tc.name, err)
			continue
		}
		found := false
		for _, v := range ves {
			found = found || v.Field == tc.field
		}
		if !found {
			t.Errorf("%s: no error on %s: %v", tc.name, tc.field, err)
		}
	}
	if _, err := cases.ReadArrangement(strings.NewReader(`{"year": 2026, "holidays": [], "extra": 1}`)); err == nil {
		t.Error("an unknown field is accepted")
	}
}

// arrangement2027 is an arrangement as an admin would load it for 2027 (the
// shape of a notice; the tests only need it to be valid).
const arrangement2027 = `{"year": 2027, "title": "2027 年放假安排（测试）", "holidays": [
 {"festivals": ["元旦"], "from": "2027-01-01", "to": "2027-01-03", "days": 3},
 {"festivals": ["春节"], "from": "2027-02-05", "to": "2027-02-13", "days": 9, "workdays": ["2027-01-31", "2027-02-14"]},
 {"festivals": ["清明节"], "from": "2027-04-03", "to": "2027-04-05", "days": 3},
 {"festivals": ["劳动节"], "from": "2027-05-01", "to": "2027-05-05", "days": 5, "workdays": ["2027-05-08"]},
 {"festivals": ["端午节"], "from": "2027-06-09", "to": "2027-06-09", "days": 1},
 {"festivals": ["中秋节"], "from": "2027-09-15", "to": "2027-09-15", "days": 1},
 {"festivals": ["国庆节"], "from": "2027-10-01", "to": "2027-10-07", "days": 7, "workdays": ["2027-09-26", "2027-10-09"]}]}`

func load2027(t *testing.T, cal *cases.Calendar) *cases.Calendar {
	t.Helper()
	a, err := cases.ReadArrangement(strings.NewReader(arrangement2027))
	if err != nil {
		t.Fatal(err)
	}
	n, err := cal.WithArrangement(*a)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDeadlinesAcrossTheYearEnd(t *testing.T) {
	cal := cases.DefaultCalendar()
	cst := time.FixedZone("CST", 8*3600)
	ts := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, cst) }
	// Thu 2026-12-31 16–18 (2 h); 2027-01-01 元旦 (statutory); Sat, Sun;
	// Mon 01-04 08–12, 14–16 (6 h).
	start := ts(2026, 12, 31, 16)
	due := cal.AddWork(start, cases.WorkingDay)
	if want := ts(2027, 1, 4, 16); !due.Equal(want) {
		t.Fatalf("AddWork(2026-12-31 16:00, 1 working day) = %s, want %s", due.In(cst), want)
	}
	if !cal.Provisional(start, due) {
		t.Error("a deadline in 2027 without its arrangement must be provisional")
	}
	if cal.Provisional(ts(2026, 12, 1, 9), ts(2026, 12, 31, 18)) {
		t.Error("a deadline inside 2026 is firm")
	}
	// 春节 2027 by the statutory rule alone: Thu 02-04 16–18 (2 h); 02-05
	// (除夕) to 02-08 (初三) off; Tue 02-09 08–12, 14–16 (6 h).
	if got := cal.AddWork(ts(2027, 2, 4, 16), cases.WorkingDay); !got.Equal(ts(2027, 2, 9, 16)) {
		t.Errorf("春节 2027 statutory: %s", got.In(cst))
	}
	// 5 working days from Wed 2026-12-30 09:00 without the arrangement:
	// Wed 7 h, Thu 8 h, Mon 01-04 8 h, Tue 8 h, Wed 8 h = 39 h, Thu 01-07
	// 08–09.
	if got := cal.AddWork(ts(2026, 12, 30, 9), 5*cases.WorkingDay); !got.Equal(ts(2027, 1, 7, 9)) {
		t.Errorf("five working days over the year end: %s", got.In(cst))
	}

	// Loaded, the arrangement decides and nothing is provisional: the
	// same 2026-12-31 start lands on Mon 01-04 (元旦 block 01-01 to 01-03).
	cal27 := load2027(t, cal)
	if got := cal27.AddWork(start, cases.WorkingDay); !got.Equal(ts(2027, 1, 4, 16)) || cal27.Provisional(start, got) {
		t.Errorf("with 2027 loaded: %s provisional %v", got.In(cst), cal27.Provisional(start, got))
	}
	// Its 春节 block runs to 02-13 with Sun 01-31 and Sun 02-14 worked: Thu
	// 02-04 16–18, then Sun 02-14 08–12, 14–16.
	if got := cal27.AddWork(ts(2027, 2, 4, 16), cases.WorkingDay); !got.Equal(ts(2027, 2, 14, 16)) {
		t.Errorf("春节 2027 arranged: %s", got.In(cst))
	}
	if src, ok := cal27.Arranged(2027); !ok || src != cases.ArrangementLoaded {
		t.Errorf("2027 source %q", src)
	}
	if src, _ := cal27.Arranged(2026); src != cases.ArrangementBuiltin {
		t.Errorf("2026 source %q", src)
	}
	// The original calendar is unchanged.
	if _, ok := cal.Arranged(2027); ok {
		t.Error("WithArrangement changed its receiver")
	}
	// Of 2027's 13 statutory days, 02-06, 02-07, 05-01, 05-02, 10-02 and
	// 10-03 are weekend days: 7 weekdays off, no make-up days.
	y := cal.Year(2027)
	want := []cases.Date{date(2027, 1, 1), date(2027, 2, 5), date(2027, 2, 8), date(2027, 4, 5), date(2027, 6, 9), date(2027, 9, 15), date(2027, 10, 1)}
	if !y.Provisional || y.Source != "statutory" || !slices.Equal(y.DaysOff, want) || len(y.MakeUpDays) != 0 {
		t.Errorf("2027 statutory year: %+v", y)
	}
	if y := cal27.Year(2027); y.Provisional || len(y.MakeUpDays) != 5 {
		t.Errorf("2027 loaded year: %+v", y)
	}
}

func TestArrangementWarningsFrom60DaysAhead(t *testing.T) {
	cal := cases.DefaultCalendar()
	cst := time.FixedZone("CST", 8*3600)
	// 60 days before 2027-01-01 is 2026-11-02.
	if w := cal.ArrangementWarnings(time.Date(2026, 11, 1, 23, 59, 0, 0, cst)); len(w) != 0 {
		t.Errorf("warned too early: %+v", w)
	}
	w := cal.ArrangementWarnings(time.Date(2026, 11, 2, 0, 0, 0, 0, cst))
	if len(w) != 1 || w[0].Year != 2027 || !w[0].Since.Equal(time.Date(2026, 11, 2, 0, 0, 0, 0, cst)) || !strings.Contains(w[0].Message, "2027") {
		t.Fatalf("warning at 2026-11-02: %+v", w)
	}
	// Inside 2027 still without it: warned for 2027, not yet for 2028.
	if w := cal.ArrangementWarnings(time.Date(2027, 3, 1, 9, 0, 0, 0, cst)); len(w) != 1 || w[0].Year != 2027 {
		t.Errorf("warning in 2027: %+v", w)
	}
	// Loading 2027 ends the warning.
	if w := load2027(t, cal).ArrangementWarnings(time.Date(2026, 12, 7, 9, 0, 0, 0, cst)); len(w) != 0 {
		t.Errorf("warned after loading: %+v", w)
	}
	// The centre's 7×24 calendar never depends on holidays.
	if cal.CentreCalendar().Provisional(time.Date(2026, 12, 31, 0, 0, 0, 0, cst), time.Date(2027, 3, 1, 0, 0, 0, 0, cst)) {
		t.Error("the around-the-clock centre cannot be provisional")
	}
}

func TestCentreAndDepartmentCalendars(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	ts := func(m time.Month, d, h, mi int) time.Time { return time.Date(2026, m, d, h, mi, 0, 0, cst) }
	cal := cases.DefaultCalendar()
	centre := cal.CentreCalendar()
	sat := ts(12, 5, 10, 0) // Saturday
	if got := centre.AddWork(sat, time.Hour); !got.Equal(ts(12, 5, 11, 0)) {
		t.Errorf("7×24 centre, Saturday 10:00 + 1 h = %s", got.In(cst))
	}
	if got := cal.AddWork(sat, time.Hour); !got.Equal(ts(12, 7, 9, 0)) {
		t.Errorf("departments, Saturday 10:00 + 1 h = %s", got.In(cst))
	}
	// National Day and the small hours count too.
	if got := centre.AddWork(ts(10, 1, 23, 30), time.Hour); !got.Equal(ts(10, 2, 0, 30)) {
		t.Errorf("7×24 centre on 10-01 23:30 + 1 h = %s", got.In(cst))
	}
	// Shifts 07:00–19:00 every day: Sat 18:30 + 1 h = Sun 07:30.
	shifts := *cal
	shifts.Centre = &cases.CentreHours{Shifts: []cases.Period{{"07:00", "19:00"}}}
	if err := shifts.Compile(); err != nil {
		t.Fatal(err)
	}
	if got := shifts.CentreCalendar().AddWork(ts(12, 5, 18, 30), time.Hour); !got.Equal(ts(12, 6, 7, 30)) {
		t.Errorf("07–19 shifts: %s", got.In(cst))
	}
	// Office hours on working days only: the old behaviour, Monday 09:00.
	office := *cal
	office.Centre = &cases.CentreHours{Shifts: []cases.Period{{"08:00", "12:00"}, {"14:00", "18:00"}}, WorkingDaysOnly: true}
	if err := office.Compile(); err != nil {
		t.Fatal(err)
	}
	if got := office.CentreCalendar().AddWork(sat, time.Hour); !got.Equal(ts(12, 7, 9, 0)) {
		t.Errorf("office-hours centre: %s", got.In(cst))
	}
	bad := *cal
	bad.Centre = &cases.CentreHours{Shifts: []cases.Period{{"20:00", "08:00"}}}
	var ve *data.ValidationError
	if err := bad.Compile(); !errors.As(err, &ve) || ve.Field != "centre.shifts[0]" {
		t.Errorf("a shift across midnight must be two periods: %v", err)
	}
}

// A calendar document saved before arrangements existed (no
// "arrangements") still gets the built-in years, and the default document
// reads back to the same calendar.
func TestCalendarDocumentsOldAndRoundTripped(t *testing.T) {
	old := &cases.Calendar{TimeZone: "Asia/Shanghai", Periods: []cases.Period{{"08:00", "12:00"}, {"14:00", "18:00"}},
		Weekend: []time.Weekday{time.Saturday, time.Sunday}}
	if err := old.Compile(); err != nil {
		t.Fatal(err)
	}
	if src, ok := old.Arranged(2026); !ok || src != cases.ArrangementBuiltin {
		t.Fatalf("2026 in an old document: %q %v", src, ok)
	}
	if !old.IsWorkingDate(date(2026, 10, 10)) || old.IsWorkingDate(date(2026, 10, 7)) || old.IsWorkingDate(date(2025, 10, 8)) {
		t.Error("old document: 2026-10-10 (Sat) is worked, 2026-10-07 and 2025-10-08 are off")
	}
	b, err := json.Marshal(cases.DefaultCalendar())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"2026-10-10"`) {
		t.Errorf("default document %s", b)
	}
	var back cases.Calendar
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Compile(); err != nil {
		t.Fatal(err)
	}
	def := cases.DefaultCalendar()
	for y := 2025; y <= 2027; y++ {
		a, b := def.Year(y), back.Year(y)
		if !slices.Equal(a.DaysOff, b.DaysOff) || !slices.Equal(a.MakeUpDays, b.MakeUpDays) || a.Source != b.Source {
			t.Errorf("%d differs after a round trip: %+v / %+v", y, a, b)
		}
	}
}

// Many goroutines count over years the calendar has not computed yet
// (run with -race): the statutory days are filled in once, safely.
func TestCalendarIsSafeForConcurrentReaders(t *testing.T) {
	cal := cases.DefaultCalendar()
	cst := time.FixedZone("CST", 8*3600)
	start := time.Date(2030, 1, 2, 9, 0, 0, 0, cst)
	want := cal.AddWork(start, 400*cases.WorkingDay)
	done := make(chan time.Time)
	for range 8 {
		go func() { done <- cases.DefaultCalendar().AddWork(start, 400*cases.WorkingDay) }()
		go func() { done <- cal.AddWork(start, 400*cases.WorkingDay) }()
	}
	for range 16 {
		if got := <-done; !got.Equal(want) {
			t.Errorf("concurrent AddWork %s, want %s", got, want)
		}
	}
}
