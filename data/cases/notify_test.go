package cases_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"citygrid/data/cases"
	"citygrid/data/cases/webhook"
)

func TestNotifierRetriesWithBackoffOnce(t *testing.T) {
	svc, ck := newService(t)
	testNotifier(t, svc, ck)
}

// testNotifier runs the notifier's checks on the service's store.
func testNotifier(t *testing.T, svc *cases.Service, ck *clock) {
	st := svc.Store.(cases.ServerStore)
	soon := reach(t, svc, cases.StateDispatched) // Mon 09:00, due Tue 09:00 (8 working hours)
	reach(t, svc, cases.StateDispatched)
	ck.t = at(3, 3, 8, 0) // Mon 09–12, 14–18 = 7 of 8 working hours used: 87.5 %, yellow for both
	var mu sync.Mutex
	var got []cases.Notification
	fails := 2
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var n cases.Notification
		json.NewDecoder(r.Body).Decode(&n)
		got = append(got, n)
	}))
	defer srv.Close()
	var delays []time.Duration
	// The unit's person in charge gets a text beside the webhook.
	sms := &recordingGateway{}
	n := &cases.Notifier{Service: svc, Store: st, Deliver: webhook.Deliver(nil), Attempts: 4, BaseDelay: time.Second,
		Sleep: func(_ context.Context, d time.Duration) error { delays = append(delays, d); return nil },
		Also:  []cases.Sender{cases.SMSSender{Gateway: sms, Phones: func(string) []string { return []string{"13900000001"} }}}}
	sent, err := n.Sweep(context.Background(), srv.URL, ck.now())
	if err != nil || sent != 2 {
		t.Fatalf("sent %d, %v", sent, err)
	}
	if len(delays) != 2 || delays[0] != time.Second || delays[1] != 2*time.Second {
		t.Fatalf("backoff %v", delays)
	}
	if got[0].Kind != cases.NotifyDueSoon || got[0].CaseID != soon.ID {
		t.Fatalf("notifications %+v", got)
	}
	if len(sms.sent) != 2 || !strings.Contains(sms.sent[0], "案卷"+soon.Number+"即将到期，处置时限3月3日09:00") {
		t.Fatalf("texts %q", sms.sent)
	}
	// Once per case, kind and deadline.
	if sent, _ := n.Sweep(context.Background(), srv.URL, ck.now()); sent != 0 || len(got) != 2 || len(sms.sent) != 2 {
		t.Fatalf("sent again: %d", sent)
	}
	// Overdue is a new kind: notified once more.
	ck.t = at(3, 3, 10, 0)
	if sent, _ := n.Sweep(context.Background(), srv.URL, ck.now()); sent != 2 || got[2].Kind != cases.NotifyOverdue {
		t.Fatalf("overdue: %d %+v", sent, got)
	}
	// A receiver that keeps failing: bounded attempts, nothing recorded.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer bad.Close()
	reach(t, svc, cases.StateDispatched)
	ck.t = at(3, 20, 10, 0)
	delays = nil
	n2 := &cases.Notifier{Service: svc, Store: st, Deliver: webhook.Deliver(nil), Attempts: 3, BaseDelay: time.Second, Sleep: n.Sleep}
	n2.Sleep = func(_ context.Context, d time.Duration) error { delays = append(delays, d); return nil }
	if _, err := n2.Sweep(context.Background(), bad.URL, ck.now()); err == nil {
		t.Fatal("no error from a failing webhook")
	}
	if len(delays) != 2 {
		t.Fatalf("attempts: %v", delays)
	}
	// nothing recorded: a working receiver gets it at the next sweep
	if sent, err := n.Sweep(context.Background(), srv.URL, ck.now()); err != nil || sent != 1 {
		t.Fatalf("after the failed delivery: sent %d, %v", sent, err)
	}
}
