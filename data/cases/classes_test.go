package cases_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"

	"github.com/paulmach/orb"
)

// catalogueService is a service with the default GB/T 30428.2 catalogue
// and an area-class layer that puts every point east of 118.75° in class
// A, the rest in no class.
func catalogueService(t *testing.T, now time.Time) (*cases.Service, *clock) {
	t.Helper()
	svc, ck := newService(t)
	ck.t = now
	cats, err := data.DefaultCatalogue(data.SchemeGBT30428)
	if err != nil {
		t.Fatal(err)
	}
	svc.Category = cases.CatalogueLookup(cats)
	svc.AreaClassAt = func(p orb.Point, _ cases.Place) string {
		if p[0] > 118.75 {
			return "A"
		}
		return ""
	}
	return svc, ck
}

func reportComponent(t *testing.T, svc *cases.Service, p data.Principal, code string, lon float64) *cases.Case {
	t.Helper()
	lat := 31.9
	c, err := svc.Report(context.Background(), p, cases.NewCase{Kind: data.KindComponent, Category: code, Lon: &lon, Lat: &lat, Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ts(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, cst) }

// A 上水井盖 reported on a Saturday at a 7×24 centre is due for verify and
// registration within the centre's hours that Saturday, not on Monday.
func TestSaturdayReportAtTheAroundTheClockCentre(t *testing.T) {
	sat := ts(2026, 12, 5, 10, 0)
	svc, _ := catalogueService(t, sat)
	// A citizen's report waits for verify: 1 centre hour, Sat 11:00.
	c := reportComponent(t, svc, citizen, "0101", 118.70)
	if c.StepDueAt == nil || !c.StepDueAt.Equal(ts(2026, 12, 5, 11, 0)) || c.StepDueProvisional {
		t.Fatalf("verify due %v", c.StepDueAt)
	}
	// An inspector's starts verified and waits for registration: Sat 11:00.
	c = reportComponent(t, svc, inspector, "0101", 118.60)
	if c.State != cases.StateVerified || c.StepDueAt == nil || !c.StepDueAt.Equal(ts(2026, 12, 5, 11, 0)) {
		t.Fatalf("register due %v (%s)", c.StepDueAt, c.State)
	}
	// The same centre on office hours would have waited for Monday 09:00.
	cal := *svc.Calendar()
	cal.Centre = &cases.CentreHours{Shifts: []cases.Period{{"08:00", "12:00"}, {"14:00", "18:00"}}, WorkingDaysOnly: true}
	if err := svc.SetCalendar(&cal); err != nil {
		t.Fatal(err)
	}
	c = reportComponent(t, svc, inspector, "0101", 118.50)
	if !c.StepDueAt.Equal(ts(2026, 12, 7, 9, 0)) {
		t.Fatalf("office-hours centre: register due %v", c.StepDueAt.In(cst))
	}
}

// dispatchNow takes a reported case through verify and register to a
// dispatch at the clock's time.
func dispatchNow(t *testing.T, svc *cases.Service, c *cases.Case) *cases.Case {
	t.Helper()
	if c.State == cases.StateReported {
		c = act(t, svc, operator, c.ID, cases.ActVerify)
	}
	act(t, svc, supervisor, c.ID, cases.ActRegister)
	return act(t, svc, dispatcher, c.ID, cases.ActDispatch, toUnit("U1"))
}

// The catalogue's deadline class picks the limit: urgent categories count
// two continuous hours, whatever the reporter said; the area class comes
// from the layer.
func TestDeadlineClassFromTheCatalogue(t *testing.T) {
	fri := ts(2026, 12, 4, 17, 30)
	svc, _ := catalogueService(t, fri)
	tests := []struct {
		name, code string
		lon        float64
		class      string
		area       string
		limit      cases.Limit
		due        time.Time
	}{
		// 雨水箅子 is urgent: Fri 17:30 + 2 h = 19:30, the evening counts.
		{"urgent 雨水箅子", "0104", 118.70, "urgent", "", cases.Limit{Amount: 2, Unit: cases.ContinuousHours}, ts(2026, 12, 4, 19, 30)},
		// 燃气井盖 in area A is urgent all the same.
		{"urgent in area A", "0111", 118.80, "urgent", "A", cases.Limit{Amount: 2, Unit: cases.ContinuousHours}, ts(2026, 12, 4, 19, 30)},
		// 通讯交接箱 is normal, 3 working days: Fri 0.5 h, Mon 8, Tue 8, Wed 08–12, 14–17:30.
		{"normal 通讯交接箱", "0115", 118.70, "normal", "", cases.Limit{Amount: 3, Unit: cases.WorkingDays}, ts(2026, 12, 9, 17, 30)},
		// In area A normal is 2 working days: Fri 0.5, Mon 8, Tue 08–12, 14–17:30.
		{"normal in area A", "0115", 118.81, "normal", "A", cases.Limit{Amount: 2, Unit: cases.WorkingDays}, ts(2026, 12, 8, 17, 30)},
		// 路灯 is fast, in A 4 working hours: Fri 0.5, Mon 08–11:30.
		{"fast 路灯 in area A", "0118", 118.82, "fast", "A", cases.Limit{Amount: 4, Unit: cases.WorkingHours}, ts(2026, 12, 7, 11, 30)},
	}
	for _, tc := range tests {
		c := reportComponent(t, svc, inspector, tc.code, tc.lon)
		if c.DeadlineClass != tc.class || c.DeadlineClassFrom != cases.ClassFromCatalogue || c.AreaClass != tc.area {
			t.Fatalf("%s: class %q from %q, area %q", tc.name, c.DeadlineClass, c.DeadlineClassFrom, c.AreaClass)
		}
		if tc.area != "" && c.AreaClassFrom != cases.ClassFromLayer {
			t.Fatalf("%s: area class from %q", tc.name, c.AreaClassFrom)
		}
		c = dispatchNow(t, svc, c)
		if *c.Limit != tc.limit || !c.DueAt.Equal(tc.due) {
			t.Errorf("%s: limit %+v due %s, want %+v %s", tc.name, *c.Limit, c.DueAt.In(cst), tc.limit, tc.due.In(cst))
		}
	}
}

// An operator overrides the area or deadline class with a reason; the
// limit follows from the same clock start and the timeline says why.
func TestOperatorOverridesClassesWithAReason(t *testing.T) {
	fri := ts(2026, 12, 4, 17, 30)
	svc, _ := catalogueService(t, fri)
	ctx := context.Background()
	c := dispatchNow(t, svc, reportComponent(t, svc, inspector, "0115", 118.81)) // normal, A: Tue 17:30
	if _, _, err := svc.Act(ctx, operator, c.ID, cases.ActionRequest{Action: cases.ActReclassify, AreaClass: "C"}); err == nil {
		t.Fatal("a reclassification without a reason was accepted")
	}
	var ve *data.ValidationError
	if _, _, err := svc.Act(ctx, operator, c.ID, cases.ActionRequest{Action: cases.ActReclassify, DeadlineClass: "eventually", Note: "x"}); !errors.As(err, &ve) || ve.Field != "deadline_class" {
		t.Fatalf("an unknown class: %v", err)
	}
	if _, _, err := svc.Act(ctx, inspector, c.ID, cases.ActionRequest{Action: cases.ActReclassify, AreaClass: "C", Note: "x"}); !errors.Is(err, data.ErrForbidden) {
		t.Fatalf("an inspector reclassified: %v", err)
	}
	// Area C has no row of its own: normal's 3 working days, due Wed 17:30.
	c, tr, err := svc.Act(ctx, operator, c.ID, cases.ActionRequest{Action: cases.ActReclassify, AreaClass: "C", Note: "城郊结合部，按 C 类计"})
	if err != nil {
		t.Fatal(err)
	}
	if c.AreaClass != "C" || c.AreaClassFrom != cases.ClassFromOperator || !c.DueAt.Equal(ts(2026, 12, 9, 17, 30)) || c.State != cases.StateDispatched {
		t.Fatalf("after area C: %s %s due %s", c.AreaClass, c.AreaClassFrom, c.DueAt.In(cst))
	}
	if !strings.Contains(tr.Note, "area class A → C") || !strings.Contains(tr.Note, "城郊结合部") || !strings.Contains(tr.Note, "limit 2 working_days → 3 working_days") {
		t.Fatalf("note %q", tr.Note)
	}
	// Made urgent: 2 continuous hours from the same clock start, Fri 19:30.
	c = act(t, svc, supervisor, c.ID, cases.ActReclassify, func(r *cases.ActionRequest) { r.DeadlineClass = "urgent"; r.Note = "井内有积水外溢" })
	if c.DeadlineClass != "urgent" || c.DeadlineClassFrom != cases.ClassFromOperator || !c.DueAt.Equal(ts(2026, 12, 4, 19, 30)) {
		t.Fatalf("after urgent: %s due %s", c.DeadlineClass, c.DueAt.In(cst))
	}
	// Before dispatch there is no clock: the class is kept for later, and
	// the verify step's deadline does not restart.
	r := reportComponent(t, svc, citizen, "0115", 118.70)
	r2 := act(t, svc, operator, r.ID, cases.ActReclassify, func(q *cases.ActionRequest) { q.AreaClass = "A"; q.Note = "商业街" })
	if r2.Limit != nil || r2.AreaClass != "A" || !r2.StepDueAt.Equal(*r.StepDueAt) {
		t.Fatalf("reclassified report: %+v", r2)
	}
}

// A deadline that runs into a year without a loaded arrangement is marked
// provisional; loading the year and refreshing makes it firm, moving it
// where the arrangement says.
func TestProvisionalDeadlinesAndTheirRefresh(t *testing.T) {
	// 路灯 (fast, 1 working day) dispatched Thu 2027-02-04 16:00: by the
	// statutory days 02-05 to 02-08 are off, so Tue 02-09 16:00.
	svc, ck := catalogueService(t, ts(2027, 2, 4, 16, 0))
	c := dispatchNow(t, svc, reportComponent(t, svc, inspector, "0118", 118.70))
	if !c.DueAt.Equal(ts(2027, 2, 9, 16, 0)) || !c.DueProvisional || !svc.Progress(c, ck.now()).Provisional {
		t.Fatalf("statutory: due %s provisional %v", c.DueAt.In(cst), c.DueProvisional)
	}
	urgent := dispatchNow(t, svc, reportComponent(t, svc, inspector, "0104", 118.60))
	if urgent.DueProvisional {
		t.Fatal("continuous hours never depend on holidays")
	}
	if w := svc.ArrangementWarnings(); len(w) != 1 || w[0].Year != 2027 {
		t.Fatalf("warnings %+v", w)
	}
	a, err := cases.ReadArrangement(strings.NewReader(arrangement2027))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.LoadArrangement(*a); err != nil {
		t.Fatal(err)
	}
	n, err := svc.RefreshProvisional(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("refreshed %d: %v", n, err)
	}
	// The loaded 春节 block runs to 02-13 and Sun 02-14 is worked:
	// Thu 16–18, Sun 08–12, 14–16.
	c, err = svc.Store.Get(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !c.DueAt.Equal(ts(2027, 2, 14, 16, 0)) || c.DueProvisional {
		t.Fatalf("after loading: due %s provisional %v", c.DueAt.In(cst), c.DueProvisional)
	}
	ts, _ := svc.Store.Transitions(context.Background(), c.ID)
	if last := ts[len(ts)-1]; last.Action != cases.ActRecalculate || last.User != "system" {
		t.Fatalf("last transition %+v", last)
	}
	if w := svc.ArrangementWarnings(); len(w) != 0 {
		t.Fatalf("warnings after loading %+v", w)
	}
}

func TestAreaClassFromGridsTakesTheStrictest(t *testing.T) {
	f := cases.AreaClassFromGrids(map[string]string{"AC-CORE": "A", "AC-TOWN": "B", "AC-EDGE": "C", "AC-BAD": "D"})
	for _, tc := range []struct {
		grids []string
		want  string
	}{
		{[]string{"RESP-1", "AC-TOWN"}, "B"},
		{[]string{"AC-EDGE", "AC-TOWN", "AC-CORE"}, "A"},
		{[]string{"AC-EDGE"}, "C"},
		{[]string{"AC-BAD", "RESP-1"}, ""},
		{nil, ""},
	} {
		if got := f(orb.Point{118.7, 31.9}, cases.Place{ManagementGrids: tc.grids}); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.grids, got, tc.want)
		}
	}
}

// A fast (1 working day) case dispatched on 2026-12-31 at 16:00 is due on
// Monday 2027-01-04 at 16:00 (元旦 by the statutory rule, then the
// weekend), provisional while 2027 has no arrangement; an urgent one
// dispatched at 23:00 is due at 01:00 on 元旦 itself.
func TestCaseDeadlinesAcrossTheYearEnd(t *testing.T) {
	svc, ck := catalogueService(t, ts(2026, 12, 31, 16, 0))
	c := dispatchNow(t, svc, reportComponent(t, svc, inspector, "0118", 118.70))
	if !c.DueAt.Equal(ts(2027, 1, 4, 16, 0)) || !c.DueProvisional {
		t.Fatalf("fast: due %s provisional %v", c.DueAt.In(cst), c.DueProvisional)
	}
	if p := svc.Progress(c, ck.now()); !p.Provisional || p.Light != cases.LightGreen {
		t.Fatalf("progress %+v", p)
	}
	ck.t = ts(2026, 12, 31, 23, 0)
	u := dispatchNow(t, svc, reportComponent(t, svc, inspector, "0104", 118.60))
	if !u.DueAt.Equal(ts(2027, 1, 1, 1, 0)) || u.DueProvisional {
		t.Fatalf("urgent: due %s provisional %v", u.DueAt.In(cst), u.DueProvisional)
	}
}
