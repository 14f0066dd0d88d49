package cases_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"citygrid/data"
	"citygrid/data/cases"
)

// TestClassSwitchedOffWaitsForTheDispatcher: a class whose rule would
// dispatch it automatically goes to the dispatch queue with the ranked
// candidates once its class is switched off, and is dispatched again
// automatically once it is switched back on.
func TestClassSwitchedOffWaitsForTheDispatcher(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	before := act(t, svc, supervisor, report(t, svc, inspector, "auto").ID, cases.ActRegister)
	if before.State != cases.StateDispatched || before.Dispatcher != "system" {
		t.Fatalf("class on: %s by %q", before.State, before.Dispatcher)
	}
	a := cases.DefaultAutoDispatch()
	a.Classes[cases.ClassKey(data.KindEvent, "auto")] = false
	if err := svc.SetAutoDispatch(a); err != nil {
		t.Fatal(err)
	}
	c := act(t, svc, supervisor, report(t, svc, inspector, "auto").ID, cases.ActRegister)
	if c.State != cases.StateRegistered || c.Unit != "" || c.Dispatcher != "" {
		t.Fatalf("class off: %s unit %q dispatcher %q", c.State, c.Unit, c.Dispatcher)
	}
	var res cases.Resolution
	if err := json.Unmarshal(c.Resolution, &res); err != nil {
		t.Fatal(err)
	}
	if res.Auto || !strings.Contains(res.Why, "switched off") || len(res.Candidates) == 0 || res.Candidates[0].Unit != "U1" {
		t.Fatalf("resolution %+v", res)
	}
	q, err := svc.Store.List(ctx, cases.Filter{States: []cases.State{cases.StateRegistered}, Sort: cases.SortDue})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, qc := range q.Cases {
		found = found || qc.ID == c.ID
	}
	if !found {
		t.Fatal("the case is not in the dispatch queue")
	}
	// Another class stays automatic.
	a2 := cases.DefaultAutoDispatch()
	a2.Default = false
	a2.Classes[cases.ClassKey(data.KindEvent, "auto")] = true
	if err := svc.SetAutoDispatch(a2); err != nil {
		t.Fatal(err)
	}
	if c := act(t, svc, supervisor, report(t, svc, inspector, "auto").ID, cases.ActRegister); c.State != cases.StateDispatched {
		t.Fatalf("switched on again: %s", c.State)
	}
}

// TestAutoDispatchDocumentChecked: bad keys and bounds are named.
func TestAutoDispatchDocumentChecked(t *testing.T) {
	a := &cases.AutoDispatch{Classes: map[string]bool{"0101": true}, Window: 0, Threshold: 1.5, MinCases: 0}
	err := a.Check()
	if err == nil {
		t.Fatal("accepted")
	}
	var es data.ValidationErrors
	if !errors.As(err, &es) {
		t.Fatalf("%T %v", err, err)
	}
	var fields []string
	for _, e := range es {
		fields = append(fields, e.Field)
	}
	if got := strings.Join(fields, ","); got != `classes["0101"],window,threshold,min_cases` {
		t.Errorf("fields %s", got)
	}
	if err := cases.DefaultAutoDispatch().Check(); err != nil {
		t.Fatal(err)
	}
}
