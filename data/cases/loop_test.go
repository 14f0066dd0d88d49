package cases_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"

	"github.com/paulmach/orb"
)

// gridResolver is fakeResolver with the case's management grids: the
// inspector work grid W1 west of lon 118.75, W2 east of it.
type gridResolver struct{ fakeResolver }

func (gridResolver) Locate(p orb.Point) (cases.Place, error) {
	pl := cases.Place{Covered: true, UnitGrid: "G1", Community: "C1", Street: "S1", District: "D1", ManagementGrids: []string{"AC-A", "W2"}}
	if p[0] < 118.75 {
		pl.ManagementGrids = []string{"AC-A", "W1"}
	}
	return pl, nil
}

// inspectorsByGrid is the accounts' answer: 张 walks W1; W2 has nobody.
func inspectorsByGrid(grids []string) string {
	for _, g := range grids {
		if g == "W1" {
			return "zhang"
		}
	}
	return ""
}

func reportAt(t *testing.T, svc *cases.Service, lon float64) *cases.Case {
	t.Helper()
	lat := 31.9
	c, err := svc.Report(context.Background(), citizen, cases.NewCase{Kind: data.KindEvent, Category: "manual", Lon: &lon, Lat: &lat})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestACheckTaskGoesToTheInspectorOfTheCasesWorkGrid(t *testing.T) {
	svc, _ := newService(t)
	svc.Resolver = gridResolver{}
	svc.InspectorOf = inspectorsByGrid
	c := reportAt(t, svc, 118.71)
	if c.Inspector != "zhang" || c.InspectorFrom != cases.InspectorFromGrid {
		t.Fatalf("核实 task to %q (%s), want zhang from the grid", c.Inspector, c.InspectorFrom)
	}
	c = act(t, svc, inspector, c.ID, cases.ActVerify)
	if c.Inspector != "" {
		t.Fatalf("a registered case keeps inspector %q", c.Inspector)
	}
	act(t, svc, supervisor, c.ID, cases.ActRegister)
	act(t, svc, dispatcher, c.ID, cases.ActDispatch, toUnit("U1"))
	c = act(t, svc, unit1, c.ID, cases.ActHandle, note("fixed"))
	if c.Inspector != "zhang" || c.InspectorFrom != cases.InspectorFromGrid {
		t.Fatalf("核查 task to %q (%s), want zhang from the grid", c.Inspector, c.InspectorFrom)
	}
	tasks, err := svc.InspectorTasks(context.Background(), "zhang")
	if err != nil || len(tasks) != 1 || tasks[0].ID != c.ID {
		t.Fatalf("zhang's tasks %v, %v", tasks, err)
	}
	// The supervisor gives it to someone else; an inspector may not.
	if _, _, err := svc.Act(context.Background(), inspector, c.ID, cases.ActionRequest{Action: cases.ActAssignInspector, Inspector: "li"}); !errors.Is(err, data.ErrForbidden) {
		t.Fatalf("inspector reassigned: %v", err)
	}
	c = act(t, svc, supervisor, c.ID, cases.ActAssignInspector, func(r *cases.ActionRequest) { r.Inspector = "li" })
	if c.Inspector != "li" || c.InspectorFrom != cases.InspectorFromSupervisor {
		t.Fatalf("reassigned to %q (%s)", c.Inspector, c.InspectorFrom)
	}
}

func TestAGridWithoutInspectorFallsBackToThePoolThenTheCentre(t *testing.T) {
	svc, _ := newService(t)
	svc.Resolver = gridResolver{}
	svc.InspectorOf = inspectorsByGrid
	if c := reportAt(t, svc, 118.81); c.Inspector != "" || c.InspectorFrom != cases.InspectorFromCentre {
		t.Fatalf("no pool: task to %q (%s), want the centre", c.Inspector, c.InspectorFrom)
	}
	set := *svc.Settings()
	set.InspectorPool = []string{"wang"}
	if err := svc.SetSettings(&set); err != nil {
		t.Fatal(err)
	}
	if c := reportAt(t, svc, 118.91); c.Inspector != "wang" || c.InspectorFrom != cases.InspectorFromPool {
		t.Fatalf("pool: task to %q (%s), want wang", c.Inspector, c.InspectorFrom)
	}
}

// recordingGateway is an SMS gateway that keeps what it was asked to send.
type recordingGateway struct {
	mu   sync.Mutex
	sent []string
}

func (g *recordingGateway) SendSMS(_ context.Context, phone, text string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sent = append(g.sent, phone+" "+text)
	return nil
}

func TestUrgeIsOnTheTimelineAndSentThroughEveryChannel(t *testing.T) {
	svc, _ := newService(t)
	sms := &recordingGateway{}
	var hooked []cases.Notification
	svc.Senders = []cases.Sender{
		cases.SMSSender{Gateway: sms, Phones: func(unit string) []string {
			if unit == "U1" {
				return []string{"13900000001"}
			}
			return nil
		}},
		cases.WebhookSender{URL: func() string { return "https://hooks.example/cases" }, Deliver: func(_ context.Context, url string, body []byte) (int, error) {
			var n cases.Notification
			if err := json.Unmarshal(body, &n); err != nil {
				t.Error(err)
			}
			hooked = append(hooked, n)
			return 204, nil
		}},
	}
	c := reach(t, svc, cases.StateDispatched)
	if _, _, err := svc.Act(context.Background(), dispatcher, c.ID, cases.ActionRequest{Action: cases.ActUrge, Note: "x"}); !errors.Is(err, data.ErrForbidden) {
		t.Fatalf("a dispatcher urged: %v", err)
	}
	c = act(t, svc, supervisor, c.ID, cases.ActUrge, note("请今日内处置"))
	if c.Urges != 1 || c.State != cases.StateDispatched {
		t.Fatalf("urged case %+v", c)
	}
	ts, _ := svc.Store.Transitions(context.Background(), c.ID)
	last := ts[len(ts)-1]
	if last.Action != cases.ActUrge || last.Note != "请今日内处置" || last.Unit != "U1" || last.User != "boss" {
		t.Fatalf("timeline %+v", last)
	}
	if len(sms.sent) != 1 || !strings.HasPrefix(sms.sent[0], "13900000001 【数字城管督办】案卷"+c.Number) || !strings.HasSuffix(sms.sent[0], "。请今日内处置") {
		t.Fatalf("sms %q", sms.sent)
	}
	if len(hooked) != 1 || hooked[0].Kind != cases.NotifyUrge || hooked[0].Unit != "U1" || hooked[0].Note != "请今日内处置" || hooked[0].By != "boss" {
		t.Fatalf("webhook %+v", hooked)
	}
}

func TestFollowUpRecordsTheGradeOnce(t *testing.T) {
	svc, _ := newService(t)
	c := reach(t, svc, cases.StateClosed)
	if _, _, err := svc.Act(context.Background(), operator, c.ID, cases.ActionRequest{Action: cases.ActFollowUp, Satisfaction: "很好"}); err == nil {
		t.Fatal("an unknown grade was taken")
	}
	c = act(t, svc, operator, c.ID, cases.ActFollowUp, func(r *cases.ActionRequest) { r.Satisfaction = "基本满意" })
	if c.Satisfaction != cases.FairlySatisfied || c.FollowedUpAt == nil || c.State != cases.StateClosed {
		t.Fatalf("followed up %+v", c)
	}
	_, _, err := svc.Act(context.Background(), operator, c.ID, cases.ActionRequest{Action: cases.ActFollowUp, Satisfaction: "满意"})
	var ce *cases.ConflictError
	if !errors.As(err, &ce) || strings.Contains(strings.Join(ce.Allowed, ","), cases.ActFollowUp) {
		t.Fatalf("second follow-up: %v", err)
	}
}

func TestAnAppealAcceptedIsRecordedOnTheFault(t *testing.T) {
	svc, ck := newService(t)
	c := reach(t, svc, cases.StateDispatched)
	ck.advance(30 * 24 * time.Hour) // well past any default limit
	act(t, svc, unit1, c.ID, cases.ActHandle, note("late"))
	act(t, svc, inspector, c.ID, cases.ActCheckPass)
	c = act(t, svc, supervisor, c.ID, cases.ActClose)
	if c.HandledOnTime == nil || *c.HandledOnTime {
		t.Fatalf("closed late %+v", c.HandledOnTime)
	}
	ctx := context.Background()
	if _, _, err := svc.Act(ctx, unit2, c.ID, cases.ActionRequest{Action: cases.ActAppeal, Fault: cases.FaultOverdue, Note: "not ours"}); !errors.Is(err, data.ErrForbidden) {
		t.Fatalf("another unit appealed: %v", err)
	}
	if _, _, err := svc.Act(ctx, unit1, c.ID, cases.ActionRequest{Action: cases.ActAppeal, Fault: cases.FaultRework, Note: "x"}); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("appeal of a rework never counted: %v", err)
	}
	c = act(t, svc, unit1, c.ID, cases.ActAppeal, note("道路封闭施工，无法进场"), func(r *cases.ActionRequest) { r.Fault = cases.FaultOverdue })
	if _, _, err := svc.Act(ctx, unit1, c.ID, cases.ActionRequest{Action: cases.ActAppeal, Fault: cases.FaultOverdue, Note: "again"}); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("the same fault appealed twice: %v", err)
	}
	if c.AcceptedAppeals(cases.FaultOverdue) != 0 {
		t.Fatal("a pending appeal counted as accepted")
	}
	c = act(t, svc, supervisor, c.ID, cases.ActAcceptAppeal, note("属实"))
	if c.AcceptedAppeals(cases.FaultOverdue) != 1 || c.Appeals[0].DecidedBy != "boss" || c.Appeals[0].Unit != "U1" {
		t.Fatalf("accepted %+v", c.Appeals)
	}
	if _, _, err := svc.Act(ctx, supervisor, c.ID, cases.ActionRequest{Action: cases.ActRejectAppeal, Note: "no"}); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("decided with nothing pending: %v", err)
	}
}
