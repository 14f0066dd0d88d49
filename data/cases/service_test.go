package cases_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/casestest"
	"citygrid/data/cases/sqlitecases"

	"github.com/paulmach/orb"
)

// fakeResolver decides by category: "auto" is a component with a known
// maintainer (U1), anything else goes to its category department (U2),
// which is not unambiguous enough to auto-dispatch.
type fakeResolver struct{}

func (fakeResolver) Locate(p orb.Point) (cases.Place, error) {
	return cases.Place{Covered: true, UnitGrid: "G1", Community: "C1", Street: "S1", District: "D1"}, nil
}

func (fakeResolver) Responsible(p orb.Point, kind data.CategoryKind, category, component string) (cases.Decision, error) {
	if category == "auto" {
		return cases.Decision{Unit: "U1", Rule: "component_maintainer", Reasons: []cases.Step{{Rule: "component_maintainer", Decided: true, Detail: "component X maintained by U1"}},
			Candidates: []cases.Candidate{{Unit: "U1", Rank: 1, Why: "maintainer"}}}, nil
	}
	return cases.Decision{Unit: "U2", Rule: "category_department", Reasons: []cases.Step{{Rule: "component_maintainer", Detail: "no component"}, {Rule: "category_department", Decided: true}},
		Candidates: []cases.Candidate{{Unit: "U2", Rank: 1}, {Unit: "U3", Rank: 2}}}, nil
}

var (
	inspector  = data.Principal{User: "insp", Role: data.RoleInspector}
	operator   = data.Principal{User: "op", Role: data.RoleOperator}
	supervisor = data.Principal{User: "boss", Role: data.RoleSupervisor}
	dispatcher = data.Principal{User: "disp", Role: data.RoleDispatcher}
	unit1      = data.Principal{User: "u1", Role: data.RoleUnit, Unit: "U1"}
	unit2      = data.Principal{User: "u2", Role: data.RoleUnit, Unit: "U2"}
	citizen    = data.Principal{User: "13800000000", Role: data.RoleCitizen}
	admin      = data.Principal{User: "root", Role: data.RoleAdmin}
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// openStore opens the SQLite case store of a fresh GeoPackage file.
func openStore(t testing.TB) *sqlitecases.Store { return casestest.OpenSQLite(t) }

func newService(t testing.TB) (*cases.Service, *clock) {
	st := openStore(t)
	svc := cases.NewService(st, fakeResolver{})
	ck := &clock{t: at(3, 2, 9, 0)} // Monday 09:00 CST
	svc.Now = ck.now
	return svc, ck
}

var pointN = 0

func report(t *testing.T, svc *cases.Service, p data.Principal, category string) *cases.Case {
	t.Helper()
	pointN++
	lon, lat := 118.7+float64(pointN)*0.01, 31.9 // far apart: no duplicates
	c, err := svc.Report(context.Background(), p, cases.NewCase{Kind: data.KindEvent, Category: category, Lon: &lon, Lat: &lat, Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func act(t *testing.T, svc *cases.Service, p data.Principal, id int64, action string, mods ...func(*cases.ActionRequest)) *cases.Case {
	t.Helper()
	req := cases.ActionRequest{Action: action}
	for _, m := range mods {
		m(&req)
	}
	c, _, err := svc.Act(context.Background(), p, id, req)
	if err != nil {
		t.Fatalf("%s by %s: %v", action, p.Role, err)
	}
	return c
}

func note(n string) func(*cases.ActionRequest) { return func(r *cases.ActionRequest) { r.Note = n } }
func toUnit(u string) func(*cases.ActionRequest) {
	return func(r *cases.ActionRequest) { r.Unit = u }
}

// reach builds a case in the given state along the standard path.
func reach(t *testing.T, svc *cases.Service, s cases.State) *cases.Case {
	t.Helper()
	c := report(t, svc, citizen, "manual")
	if s == cases.StateReported {
		return c
	}
	if s == cases.StateCancelled {
		return act(t, svc, supervisor, c.ID, cases.ActCancel, note("test"))
	}
	c = act(t, svc, inspector, c.ID, cases.ActVerify)
	switch s {
	case cases.StateVerified:
		return c
	case cases.StateNotRegistered:
		return act(t, svc, supervisor, c.ID, cases.ActNotRegister, note("not ours"))
	}
	c = act(t, svc, supervisor, c.ID, cases.ActRegister)
	if s == cases.StateRegistered {
		return c
	}
	c = act(t, svc, dispatcher, c.ID, cases.ActDispatch, toUnit("U1"))
	switch s {
	case cases.StateDispatched:
		return c
	case cases.StateSuspended:
		return act(t, svc, dispatcher, c.ID, cases.ActSuspend, note("winter"))
	case cases.StateReturned:
		return act(t, svc, unit1, c.ID, cases.ActReturn, note("not ours"))
	case cases.StateArbitration:
		act(t, svc, unit1, c.ID, cases.ActReturn, note("not ours"))
		act(t, svc, dispatcher, c.ID, cases.ActRedispatch, toUnit("U2"))
		return act(t, svc, unit2, c.ID, cases.ActReturn, note("not ours either"))
	}
	c = act(t, svc, unit1, c.ID, cases.ActHandle, note("fixed"))
	if s == cases.StateHandled {
		return c
	}
	c = act(t, svc, inspector, c.ID, cases.ActCheckPass)
	if s == cases.StateChecked {
		return c
	}
	return act(t, svc, supervisor, c.ID, cases.ActClose)
}

var allStates = []cases.State{cases.StateReported, cases.StateVerified, cases.StateRegistered, cases.StateNotRegistered, cases.StateDispatched, cases.StateHandled,
	cases.StateChecked, cases.StateClosed, cases.StateReturned, cases.StateArbitration, cases.StateSuspended, cases.StateCancelled}

// Every action from every state: allowed ones succeed (admin, who passes
// role checks), the others are 409 conflicts naming the current state and
// exactly the actions allowed from it.
func TestEveryTransitionAndForbidden(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	for _, s := range allStates {
		for _, rule := range cases.Machine {
			switch rule.Action {
			case cases.ActAppeal, cases.ActAcceptAppeal, cases.ActRejectAppeal:
				continue // they need a counted fault: TestAppeal* cover them
			}
			c := reach(t, svc, s)
			if c.State != s {
				t.Fatalf("reach %s gave %s", s, c.State)
			}
			if s == cases.StateDispatched {
				switch rule.Action {
				case cases.ActApproveExtension, cases.ActRejectExtension:
					act(t, svc, unit1, c.ID, cases.ActRequestExtension, note("more"), func(r *cases.ActionRequest) { r.Amount = 1 })
				case cases.ActRejectSuspension:
					act(t, svc, unit1, c.ID, cases.ActRequestSuspension, note("budget"))
				}
			}
			got, tr, err := svc.Act(ctx, admin, c.ID, cases.ActionRequest{Action: rule.Action, Note: "n", Unit: "U9", Amount: 1, AreaClass: "B", Inspector: "i9", Satisfaction: "满意"})
			if slices.Contains(rule.From, s) {
				if err != nil {
					t.Fatalf("%s from %s: %v", rule.Action, s, err)
				}
				want := rule.To
				if rule.Stay {
					want = s
				}
				if got.State != want || tr.From != s || tr.To != want || tr.User != "root" {
					t.Fatalf("%s from %s: state %s, transition %+v", rule.Action, s, got.State, tr)
				}
				continue
			}
			var ce *cases.ConflictError
			if !errors.As(err, &ce) || !errors.Is(err, data.ErrConflict) {
				t.Fatalf("%s from %s: want conflict, got %v", rule.Action, s, err)
			}
			// No appeal is waiting, so deciding one is not offered.
			want := slices.DeleteFunc(cases.Allowed(s), func(a string) bool { return a == cases.ActAcceptAppeal || a == cases.ActRejectAppeal })
			if ce.State != s || !slices.Equal(ce.Allowed, want) {
				t.Fatalf("%s from %s: details %+v", rule.Action, s, ce)
			}
			var d data.Detailer = ce
			if m := d.ErrorDetails().(map[string]any); m["state"] != s {
				t.Fatalf("details %v", m)
			}
		}
	}
}

// Each action refused to every role not listed (403), and a unit acting
// on another unit's case refused.
func TestRolesForbidden(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	c := reach(t, svc, cases.StateDispatched)
	for _, rule := range cases.Machine {
		for _, role := range data.Roles {
			if role == data.RoleAdmin || slices.Contains(rule.Roles, role) {
				continue
			}
			_, _, err := svc.Act(ctx, data.Principal{User: "x", Role: role, Unit: "U1"}, c.ID, cases.ActionRequest{Action: rule.Action, Note: "n", Unit: "U1", Amount: 1})
			if !errors.Is(err, data.ErrForbidden) {
				t.Fatalf("%s by %s: %v", rule.Action, role, err)
			}
		}
	}
	if _, _, err := svc.Act(ctx, unit2, c.ID, cases.ActionRequest{Action: cases.ActHandle}); !errors.Is(err, data.ErrForbidden) {
		t.Fatalf("other unit handled: %v", err)
	}
	if _, err := svc.Report(ctx, data.Principal{User: "v", Role: data.RoleViewer}, cases.NewCase{}); !errors.Is(err, data.ErrForbidden) {
		t.Fatalf("viewer reported: %v", err)
	}
	// Reasons and units required.
	var ve *data.ValidationError
	if _, _, err := svc.Act(ctx, unit1, c.ID, cases.ActionRequest{Action: cases.ActReturn}); !errors.As(err, &ve) || ve.Field != "note" {
		t.Fatalf("return without reason: %v", err)
	}
	r := reach(t, svc, cases.StateRegistered)
	if _, _, err := svc.Act(ctx, dispatcher, r.ID, cases.ActionRequest{Action: cases.ActDispatch}); !errors.As(err, &ve) || ve.Field != "unit" {
		t.Fatalf("dispatch without unit: %v", err)
	}
}

func TestHappyPathRecordsEverything(t *testing.T) {
	svc, ck := newService(t)
	ctx := context.Background()
	c := report(t, svc, inspector, "manual")
	if c.State != cases.StateVerified || c.Source != cases.SourceInspector || c.Street != "S1" || c.UnitGrid != "G1" {
		t.Fatalf("inspector report %+v", c)
	}
	ck.advance(10 * time.Minute)
	act(t, svc, supervisor, c.ID, cases.ActRegister)
	c = act(t, svc, dispatcher, c.ID, cases.ActDispatch, toUnit("U2"))
	// Event limit 1 working day from Mon 09:10: Tue 09:10.
	if c.DueAt == nil || !c.DueAt.Equal(at(3, 3, 9, 10)) || c.Dispatcher != "disp" {
		t.Fatalf("due %v", c.DueAt)
	}
	ck.advance(2 * time.Hour)
	act(t, svc, unit2, c.ID, cases.ActHandle, note("done"))
	c = act(t, svc, inspector, c.ID, cases.ActCheckFail, note("still broken"))
	if c.State != cases.StateDispatched || c.ReworkCount != 1 || c.Unit != "U2" {
		t.Fatalf("rework %+v", c)
	}
	act(t, svc, unit2, c.ID, cases.ActHandle, note("done now"))
	act(t, svc, inspector, c.ID, cases.ActCheckPass)
	c = act(t, svc, supervisor, c.ID, cases.ActClose)
	if c.State != cases.StateClosed || c.HandledOnTime == nil || !*c.HandledOnTime || c.ClosedAt == nil {
		t.Fatalf("closed %+v", c)
	}
	ts, _ := svc.Store.Transitions(ctx, c.ID)
	var acts []string
	for _, tr := range ts {
		acts = append(acts, tr.Action+":"+string(tr.To)+":"+tr.User)
	}
	want := []string{"report:verified:insp", "register:registered:boss", "dispatch:dispatched:disp", "handle:handled:u2", "check_fail:dispatched:insp", "handle:handled:u2", "check_pass:checked:insp", "close:closed:boss"}
	if !slices.Equal(acts, want) {
		t.Fatalf("transitions %v", acts)
	}
	if ts[4].Note != "still broken" {
		t.Fatal("note lost")
	}
}

func TestReturnArbitrationAndOwnerFixed(t *testing.T) {
	svc, _ := newService(t)
	c := reach(t, svc, cases.StateDispatched)
	c = act(t, svc, unit1, c.ID, cases.ActReturn, note("属地不符"))
	if c.State != cases.StateReturned || c.ReturnCount != 1 || c.Unit != "" || c.DueAt != nil {
		t.Fatalf("first return %+v", c)
	}
	c = act(t, svc, dispatcher, c.ID, cases.ActRedispatch, toUnit("U2"))
	c = act(t, svc, unit2, c.ID, cases.ActReturn, note("权属不清"))
	if c.State != cases.StateArbitration || c.ReturnCount != 2 || !slices.Equal(c.ReturnedBy, []string{"U1", "U2"}) {
		t.Fatalf("second return %+v", c)
	}
	if _, _, err := svc.Act(context.Background(), dispatcher, c.ID, cases.ActionRequest{Action: cases.ActRedispatch, Unit: "U3"}); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("dispatcher bypassed arbitration: %v", err)
	}
	c = act(t, svc, supervisor, c.ID, cases.ActArbitrate, toUnit("U1"), note("U1 owns it"))
	if c.State != cases.StateDispatched || !c.OwnerFixed || c.Unit != "U1" || c.DueAt == nil {
		t.Fatalf("arbitrated %+v", c)
	}
	_, _, err := svc.Act(context.Background(), unit1, c.ID, cases.ActionRequest{Action: cases.ActReturn, Note: "again"})
	var ce *cases.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("return after arbitration: %v", err)
	}
	// The 409 offers what the unit can still do: no return.
	if want := []string{cases.ActHandle, cases.ActRequestExtension, cases.ActRequestSuspension, cases.ActAppeal}; !slices.Equal(ce.Allowed, want) {
		t.Fatalf("allowed after arbitration %v, want %v", ce.Allowed, want)
	}
}

func TestExtensionCapsAndOverdue(t *testing.T) {
	svc, ck := newService(t)
	c := reach(t, svc, cases.StateDispatched) // Mon 09:00, event limit 1 working day → Tue 09:00
	amount := func(a float64) func(*cases.ActionRequest) { return func(r *cases.ActionRequest) { r.Amount = a } }
	ctx := context.Background()
	// Longer than the limit × factor (1 day): refused.
	if _, _, err := svc.Act(ctx, unit1, c.ID, cases.ActionRequest{Action: cases.ActRequestExtension, Note: "x", Amount: 1.5}); err == nil {
		t.Fatal("too long an extension accepted")
	}
	act(t, svc, unit1, c.ID, cases.ActRequestExtension, note("parts"), amount(0.5))
	if _, _, err := svc.Act(ctx, unit1, c.ID, cases.ActionRequest{Action: cases.ActRequestExtension, Note: "x", Amount: 0.5}); !errors.Is(err, data.ErrConflict) {
		t.Fatal("second pending request accepted")
	}
	c = act(t, svc, dispatcher, c.ID, cases.ActApproveExtension)
	// Tue 09:00 + 4 working hours: 09–12 is 3 h, then 14–15: Tue 15:00.
	if !c.DueAt.Equal(at(3, 3, 15, 0)) || c.ExtensionCount != 1 {
		t.Fatalf("extended due %v", c.DueAt.In(cst))
	}
	act(t, svc, unit1, c.ID, cases.ActRequestExtension, note("rain"), amount(0.25))
	c = act(t, svc, dispatcher, c.ID, cases.ActRejectExtension, note("no"))
	if c.ExtensionCount != 1 || c.PendingExtension != nil {
		t.Fatalf("rejected %+v", c)
	}
	act(t, svc, unit1, c.ID, cases.ActRequestExtension, note("rain"), amount(0.25))
	c = act(t, svc, dispatcher, c.ID, cases.ActApproveExtension) // 2nd approved: cap reached
	if _, _, err := svc.Act(ctx, unit1, c.ID, cases.ActionRequest{Action: cases.ActRequestExtension, Note: "x", Amount: 0.1}); !errors.Is(err, data.ErrConflict) {
		t.Fatal("third extension accepted")
	}
	// Overdue cases get none.
	d := reach(t, svc, cases.StateDispatched)
	ck.advance(5 * 24 * time.Hour)
	_, _, err := svc.Act(ctx, unit1, d.ID, cases.ActionRequest{Action: cases.ActRequestExtension, Note: "late", Amount: 0.5})
	var ce *cases.ConflictError
	if !errors.As(err, &ce) || ce.Reason == "" {
		t.Fatalf("overdue extension: %v", err)
	}
	if p := svc.Progress(d, ck.now()); p.Light != cases.LightRed || !p.Overdue {
		t.Fatalf("overdue progress %+v", p)
	}
}

func TestSuspensionRequestAndStepDeadlines(t *testing.T) {
	svc, ck := newService(t)
	ctx := context.Background()
	c := report(t, svc, citizen, "manual") // Mon 09:00; verify within 1 working hour
	if c.StepDueAt == nil || !c.StepDueAt.Equal(at(3, 2, 10, 0)) {
		t.Fatalf("verify step due %v", c.StepDueAt)
	}
	ck.t = at(3, 2, 11, 30)
	c = act(t, svc, inspector, c.ID, cases.ActVerify) // register within 1 h of the 7×24 centre: 12:30
	if !c.StepDueAt.Equal(at(3, 2, 12, 30)) {
		t.Fatalf("register step due %v", c.StepDueAt.In(cst))
	}
	act(t, svc, supervisor, c.ID, cases.ActRegister)
	c = act(t, svc, dispatcher, c.ID, cases.ActDispatch, toUnit("U1"))
	if c.StepDueAt != nil {
		t.Fatal("no centre step runs while the unit handles the case")
	}
	// Each transition keeps the deadline of the step it completed: the
	// verify came at 11:30 against 10:00 (late), the register before
	// 12:30.
	ts, err := svc.Store.Transitions(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	due := map[string]*time.Time{}
	for _, tr := range ts {
		due[tr.Action] = tr.StepDueAt
	}
	if d := due[cases.ActVerify]; d == nil || !d.Equal(at(3, 2, 10, 0)) {
		t.Fatalf("verify transition step due %v", d)
	}
	if d := due[cases.ActRegister]; d == nil || !d.Equal(at(3, 2, 12, 30)) {
		t.Fatalf("register transition step due %v", d)
	}
	c = act(t, svc, unit1, c.ID, cases.ActRequestSuspension, note("needs a budget"))
	if c.State != cases.StateDispatched || c.SuspensionRequested != "needs a budget" {
		t.Fatalf("requested %+v", c)
	}
	if _, _, err := svc.Act(ctx, unit1, c.ID, cases.ActionRequest{Action: cases.ActRequestSuspension, Note: "again"}); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("second request: %v", err)
	}
	c = act(t, svc, dispatcher, c.ID, cases.ActRejectSuspension, note("do it now"))
	if c.SuspensionRequested != "" || c.State != cases.StateDispatched {
		t.Fatalf("rejected %+v", c)
	}
	act(t, svc, unit1, c.ID, cases.ActRequestSuspension, note("winter"))
	c = act(t, svc, dispatcher, c.ID, cases.ActSuspend, note("approved: winter"))
	if c.State != cases.StateSuspended || c.SuspensionRequested != "" || c.DueAt != nil {
		t.Fatalf("suspended %+v", c)
	}
}

// A limit changed after a pause: recalculation keeps the pause (GLPI
// #15605 forgot it).
func TestRecalculateKeepsPauses(t *testing.T) {
	svc, ck := newService(t)
	c := reach(t, svc, cases.StateDispatched) // Mon 03-02 09:00, 8 working hours
	ck.t = at(3, 2, 11, 0)
	act(t, svc, dispatcher, c.ID, cases.ActSuspend, note("x"))
	ck.t = at(3, 3, 11, 0) // paused Mon 11–12, 14–18, Tue 08–11: 8 working hours
	act(t, svc, dispatcher, c.ID, cases.ActResume)
	tbl := cases.DefaultDeadlines()
	tbl.Rules = append(tbl.Rules, cases.LimitRule{Kind: data.KindEvent, Category: "manual", Limit: cases.Limit{Amount: 2, Unit: cases.WorkingDays}})
	if err := svc.SetDeadlines(tbl); err != nil {
		t.Fatal(err)
	}
	c = act(t, svc, supervisor, c.ID, cases.ActRecalculate)
	// 16 working hours from Mon 09:00 with 8 paused: used 2 h before the
	// pause, 14 h left from Tue 11:00: Tue 11–12, 14–18 (5), Wed 8 (13),
	// Thu 08–09 → Thu 03-05 09:00.
	if c.Limit.Amount != 2 || !c.DueAt.Equal(at(3, 5, 9, 0)) {
		t.Fatalf("recalculated due %v limit %+v", c.DueAt.In(cst), c.Limit)
	}
}

func TestSuspensionPausesOnlyWorkingTime(t *testing.T) {
	svc, ck := newService(t)
	c := reach(t, svc, cases.StateDispatched) // Mon 03-02 09:00, due Tue 09:00 (8 working hours)
	ck.t = at(3, 2, 11, 0)                    // 2 h used
	c = act(t, svc, dispatcher, c.ID, cases.ActSuspend, note("needs budget"))
	if c.DueAt != nil || c.State != cases.StateSuspended {
		t.Fatalf("suspended %+v", c)
	}
	ck.t = at(3, 9, 10, 0) // resumed next Monday 10:00: 6 h left → Mon 10–12, 14–18 = Mon 18:00
	c = act(t, svc, dispatcher, c.ID, cases.ActResume)
	if c.DueAt == nil || !c.DueAt.Equal(at(3, 9, 18, 0)) {
		t.Fatalf("resumed due %v", c.DueAt)
	}
	ck.t = at(3, 9, 14, 0) // 2 h more used: Mon 10–12
	c = act(t, svc, dispatcher, c.ID, cases.ActSuspend, note("again"))
	ck.t = at(3, 10, 8, 0) // Tue 08:00: 4 h left → Tue 12:00; the first pause still counts
	c = act(t, svc, dispatcher, c.ID, cases.ActResume)
	if !c.DueAt.Equal(at(3, 10, 12, 0)) || len(c.Pauses) != 2 {
		t.Fatalf("second resume due %v pauses %d", c.DueAt.In(cst), len(c.Pauses))
	}
	// Progress at Tue 10:00: used 2+2+2 = 6 of 8 h = 75 % green; at 11:00 87.5 % yellow.
	ck.t = at(3, 10, 10, 0)
	if p := svc.Progress(c, ck.now()); p.Light != cases.LightGreen || p.Used != 0.75 {
		t.Fatalf("progress %+v", p)
	}
	if p := svc.Progress(c, at(3, 10, 11, 0)); p.Light != cases.LightYellow {
		t.Fatalf("progress %+v", p)
	}
}

func TestAutoDispatchAndQueue(t *testing.T) {
	svc, _ := newService(t)
	c := report(t, svc, inspector, "auto")
	c = act(t, svc, supervisor, c.ID, cases.ActRegister)
	if c.State != cases.StateDispatched || c.Unit != "U1" || c.Dispatcher != "system" {
		t.Fatalf("auto %+v", c)
	}
	var res cases.Resolution
	json.Unmarshal(c.Resolution, &res)
	if !res.Auto || res.Rule != "component_maintainer" || len(res.Reasons) == 0 {
		t.Fatalf("resolution %+v", res)
	}
	m := report(t, svc, inspector, "manual")
	m = act(t, svc, supervisor, m.ID, cases.ActRegister)
	json.Unmarshal(m.Resolution, &res)
	if m.State != cases.StateRegistered || res.Auto || len(res.Candidates) != 2 || res.Candidates[0].Unit != "U2" {
		t.Fatalf("manual %+v %+v", m, res)
	}
	got, _ := svc.Store.Get(context.Background(), m.ID)
	if string(got.Resolution) != string(m.Resolution) {
		t.Fatal("resolution not stored")
	}
}

func TestDuplicateLinked(t *testing.T) {
	svc, ck := newService(t)
	ctx := context.Background()
	lon, lat := 118.5, 32.0
	first, err := svc.Report(ctx, citizen, cases.NewCase{Kind: data.KindEvent, Category: "0301", Lon: &lon, Lat: &lat})
	if err != nil {
		t.Fatal(err)
	}
	ck.advance(time.Hour)
	lon2 := lon + 0.0002 // ~19 m east
	other := data.Principal{User: "13900000000", Role: data.RoleCitizen}
	dup, err := svc.Report(ctx, other, cases.NewCase{Kind: data.KindEvent, Category: "0301", Lon: &lon2, Lat: &lat})
	if err != nil {
		t.Fatal(err)
	}
	if dup.DuplicateOf != first.ID || dup.State != cases.StateCancelled {
		t.Fatalf("dup %+v", dup)
	}
	f, _ := svc.Store.Get(ctx, first.ID)
	if f.Duplicates != 1 || f.Reporter != "13800000000" {
		t.Fatalf("first %+v", f)
	}
	// Another category, or 100 m away, or after the window: not linked.
	lon3 := lon + 0.001
	for i, nc := range []cases.NewCase{
		{Kind: data.KindEvent, Category: "0302", Lon: &lon2, Lat: &lat},
		{Kind: data.KindEvent, Category: "0301", Lon: &lon3, Lat: &lat},
	} {
		c, err := svc.Report(ctx, other, nc)
		if err != nil || c.DuplicateOf != 0 {
			t.Fatalf("%d linked: %+v %v", i, c, err)
		}
	}
	ck.advance(80 * time.Hour)
	if c, _ := svc.Report(ctx, other, cases.NewCase{Kind: data.KindEvent, Category: "0301", Lon: &lon2, Lat: &lat}); c.DuplicateOf != 0 {
		t.Fatal("linked after the window")
	}
}

// Two dispatchers act on one case at once: exactly one wins.
func TestConcurrentDispatchOneWins(t *testing.T) {
	svc, _ := newService(t)
	c := reach(t, svc, cases.StateRegistered)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, _, errs[i] = svc.Act(context.Background(), data.Principal{User: fmt.Sprint("d", i), Role: data.RoleDispatcher}, c.ID,
				cases.ActionRequest{Action: cases.ActDispatch, Unit: fmt.Sprint("U", i), Version: c.Version})
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, data.ErrConflict) {
			t.Fatal(err)
		}
	}
	ts, _ := svc.Store.Transitions(context.Background(), c.ID)
	if ok != 1 || ts[len(ts)-1].Action != cases.ActDispatch || len(ts) != 4 {
		t.Fatalf("%d won, %d transitions", ok, len(ts))
	}
}

func TestReportValidation(t *testing.T) {
	svc, _ := newService(t)
	bad := 200.0
	lat := 30.0
	_, err := svc.Report(context.Background(), operator, cases.NewCase{Kind: "x", Lon: &bad, Lat: &lat, Urgency: "now"})
	var es data.ValidationErrors
	if !errors.As(err, &es) || len(es) != 4 {
		t.Fatalf("%v", err)
	}
}
