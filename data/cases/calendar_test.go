package cases_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"citygrid/data/cases"
)

var cst = time.FixedZone("CST", 8*3600)

func at(mo time.Month, d, h, mi int) time.Time { return time.Date(2026, mo, d, h, mi, 0, 0, cst) }

// Every expectation below is worked out by hand in the comment beside it
// (working periods 08–12 and 14–18, 2026 PRC holidays and make-up days).
func TestAddWorkHandComputed(t *testing.T) {
	cal := cases.DefaultCalendar()
	tests := []struct {
		name  string
		start time.Time
		d     time.Duration
		want  time.Time
	}{
		{"weekend", at(3, 6, 17, 0), 2 * time.Hour, at(3, 9, 9, 0)},                            // Fri 17–18, Mon 08–09
		{"lunch break", at(3, 9, 11, 0), 2 * time.Hour, at(3, 9, 15, 0)},                       // 11–12, 14–15
		{"ends at period end", at(3, 9, 10, 0), 2 * time.Hour, at(3, 9, 12, 0)},                // 10–12, not 14:00
		{"starts off hours", at(3, 7, 20, 0), time.Hour, at(3, 9, 9, 0)},                       // Sat evening → Mon 09:00
		{"national day", at(9, 30, 16, 0), 8 * time.Hour, at(10, 8, 16, 0)},                    // Wed 16–18 (2h), Oct 1–7 off, Thu 8 08–12, 14–16
		{"make-up saturday", at(10, 9, 17, 0), 3 * time.Hour, at(10, 10, 10, 0)},               // Fri 17–18, Sat Oct 10 works 08–10
		{"spring festival", at(2, 13, 15, 0), 2 * cases.WorkingDay, at(2, 24, 15, 0)},          // Fri 3h, Sat 14 (make-up) 8h, 15–23 off, Tue 24 4h+1h
		{"new year", time.Date(2025, 12, 31, 17, 0, 0, 0, cst), 2 * time.Hour, at(1, 4, 9, 0)}, // Wed 17–18, Jan 1–3 off, Sun Jan 4 works 08–09
		{"labour day", at(4, 30, 17, 0), 4 * time.Hour, at(5, 6, 11, 0)},                       // Thu 17–18, May 1–5 off, Wed 6 08–11
		{"qingming", at(4, 3, 16, 0), 4 * time.Hour, at(4, 7, 10, 0)},                          // Fri 16–18, Apr 4–6 off, Tue 7 08–10
	}
	for _, tc := range tests {
		got := cal.AddWork(tc.start, tc.d)
		if !got.Equal(tc.want) {
			t.Errorf("%s: AddWork(%s, %s) = %s, want %s", tc.name, tc.start, tc.d, got.In(cst), tc.want)
		}
		if w := cal.WorkBetween(tc.start, got); w != tc.d {
			t.Errorf("%s: WorkBetween back = %s, want %s", tc.name, w, tc.d)
		}
	}
	if cal.IsWorkday(at(2, 17, 10, 0)) || !cal.IsWorkday(at(2, 28, 10, 0)) || cal.IsWorkday(at(3, 7, 10, 0)) || !cal.IsWorkday(at(9, 20, 10, 0)) {
		t.Error("IsWorkday: Feb 17 is a holiday, Feb 28 (Sat) and Sep 20 (Sun) are make-up days, Mar 7 is a Saturday")
	}
	l := cases.Limit{Amount: 2, Unit: cases.ContinuousHours}
	if got := cal.Add(l, at(3, 7, 23, 0), l.Duration()); !got.Equal(at(3, 8, 1, 0)) {
		t.Errorf("continuous: %s", got)
	}
}

func TestDeadlinePauses(t *testing.T) {
	cal := cases.DefaultCalendar()
	l := cases.Limit{Amount: 3, Unit: cases.WorkingDays} // 24 working hours
	start := at(3, 2, 9, 0)                              // Mon
	// No pause: Mon 7h, Tue 8h, Wed 8h, Thu 08–09.
	if due, ok := cal.Deadline(l, 0, start, nil); !ok || !due.Equal(at(3, 5, 9, 0)) {
		t.Fatalf("no pause: %s", due.In(cst))
	}
	p1to := at(3, 4, 15, 0)
	p1 := cases.Pause{From: at(3, 3, 10, 0), To: &p1to}
	// Pause Tue 10:00 → Wed 15:00 holds 11 working hours (Tue 10–12, 14–18,
	// Wed 08–12, 14–15): due Thu 09:00 + 11 h = Fri 12:00.
	if due, _ := cal.Deadline(l, 0, start, []cases.Pause{p1}); !due.Equal(at(3, 6, 12, 0)) {
		t.Fatalf("one pause: %s", due.In(cst))
	}
	// An open pause: no deadline.
	if _, ok := cal.Deadline(l, 0, start, []cases.Pause{{From: at(3, 3, 10, 0)}}); ok {
		t.Fatal("open pause has a deadline")
	}
	// A second pause Thu 14:00 → Mon 08:00 holds 12 working hours (Thu
	// 14–18, Fri 8 h; the weekend was never working time): Fri 12:00 +
	// 12 h = Mon 18:00. Adding raw wall time (66 h) would be wrong.
	p2to := at(3, 9, 8, 0)
	p2 := cases.Pause{From: at(3, 5, 14, 0), To: &p2to}
	if due, _ := cal.Deadline(l, 0, start, []cases.Pause{p2, p1}); !due.Equal(at(3, 9, 18, 0)) {
		t.Fatalf("two pauses: %s", due.In(cst))
	}
	// Used: by Mon 03-09 12:00 with both pauses: Mon 7 + Tue 2 + Wed 3 + Thu 4 + Mon 4 = 20 h.
	if u := cal.Used(l, start, at(3, 9, 12, 0), []cases.Pause{p1, p2}); u != 20*time.Hour {
		t.Fatalf("used %s", u)
	}
	// An extension of 1 working day on top: Mon 18:00 + 8 h = Tue 18:00.
	if due, _ := cal.Deadline(l, cases.WorkingDay, start, []cases.Pause{p1, p2}); !due.Equal(at(3, 10, 18, 0)) {
		t.Fatalf("extension: %s", due.In(cst))
	}
}

func TestCalendarValidation(t *testing.T) {
	for _, c := range []*cases.Calendar{
		{Periods: nil},
		{Periods: []cases.Period{{"12:00", "08:00"}}},
		{Periods: []cases.Period{{"08:00", "12:00"}, {"11:00", "13:00"}}},
		{Periods: []cases.Period{{"08:00", "12:00"}}, Holidays: []string{"2026-13-01"}},
		{Periods: []cases.Period{{"08:00", "12:00"}}, Holidays: []string{"2026-01-04"}, Workdays: []string{"2026-01-04"}},
		{Periods: []cases.Period{{"08:00", "12:00"}}, TimeZone: "Mars/Olympus"},
	} {
		if err := c.Compile(); err == nil {
			t.Errorf("%+v compiled", c)
		}
	}
}

var (
	// The 2026 notice's blocks of days off, written out as ranges.
	bruteOff = func() map[string]bool {
		m := map[string]bool{}
		for _, r := range [][2]string{{"01-01", "01-03"}, {"02-15", "02-23"}, {"04-04", "04-06"}, {"05-01", "05-05"},
			{"06-19", "06-21"}, {"09-25", "09-27"}, {"10-01", "10-07"}} {
			for d := r[0]; d <= r[1]; d = nextMMDD(d) {
				m["2026-"+d] = true
			}
		}
		return m
	}()
	bruteMakeup = map[string]bool{"2026-01-04": true, "2026-02-14": true, "2026-02-28": true, "2026-05-09": true, "2026-09-20": true, "2026-10-10": true}
)

func nextMMDD(s string) string {
	t, _ := time.Parse("2006-01-02", "2026-"+s)
	return t.AddDate(0, 0, 1).Format("01-02")
}

// bruteWorking reports whether the minute starting at t is working time,
// from the 2026 schedule written out independently of Calendar.
func bruteWorking(t time.Time) bool {
	t = t.In(cst)
	d := t.Format("2006-01-02")
	work := bruteMakeup[d] || (!bruteOff[d] && t.Weekday() != time.Saturday && t.Weekday() != time.Sunday)
	m := t.Hour()*60 + t.Minute()
	return work && ((m >= 8*60 && m < 12*60) || (m >= 14*60 && m < 18*60))
}

// A second implementation, minute by minute, agrees with the calendar's
// interval arithmetic on random starts, lengths and pauses.
func TestDeadlineAgainstMinuteWalk(t *testing.T) {
	cal := cases.DefaultCalendar()
	rng := rand.New(rand.NewPCG(7, 11))
	base := at(1, 1, 0, 0)
	for i := 0; i < 150; i++ {
		start := base.Add(time.Duration(rng.IntN(330*24*60)) * time.Minute)
		limit := cases.Limit{Amount: float64(1 + rng.IntN(24)), Unit: cases.WorkingHours}
		var pauses []cases.Pause
		cur := start
		for k := 0; k < rng.IntN(3); k++ {
			from := cur.Add(time.Duration(rng.IntN(2*24*60)) * time.Minute)
			to := from.Add(time.Duration(1+rng.IntN(3*24*60)) * time.Minute)
			pauses = append(pauses, cases.Pause{From: from, To: &to})
			cur = to
		}
		// Oracle: walk minutes from start, counting working minutes outside
		// pauses, until the limit is used up.
		need := int(limit.Duration() / time.Minute)
		m := start
		for need > 0 {
			paused := false
			for _, p := range pauses {
				if !m.Before(p.From) && m.Before(*p.To) {
					paused = true
				}
			}
			if !paused && bruteWorking(m) {
				need--
			}
			m = m.Add(time.Minute)
		}
		due, ok := cal.Deadline(limit, 0, start, pauses)
		if !ok || !due.Equal(m) {
			t.Fatalf("case %d: start %s limit %v pauses %d: got %s, walk %s", i, start.In(cst), limit, len(pauses), due.In(cst), m.In(cst))
		}
		if len(pauses) == 0 {
			if w := cal.WorkBetween(start, m); w != limit.Duration() {
				t.Fatalf("case %d: WorkBetween %s", i, w)
			}
		}
	}
}
