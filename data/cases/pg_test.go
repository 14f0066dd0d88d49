package cases_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/casestest"
	"citygrid/data/cases/pgcases"
	"citygrid/data/cases/sqlitecases"
	"citygrid/data/cases/webhook"
)

// TestMain stops the throwaway PostgreSQL cluster the PostgreSQL tests
// started, if any.
func TestMain(m *testing.M) { casestest.Main(m) }

func openPG(t testing.TB, n int) []*pgcases.Store { return casestest.OpenPG(t, n) }

// BenchmarkTransitionsPG is BenchmarkTransitions on PostgreSQL: "1" one
// store, "2replicas" two stores on one database taking the dispatchers
// in turn.
//
//	go test ./data/cases/ -run '^$' -bench TransitionsPG -benchtime 5s
func BenchmarkTransitionsPG(b *testing.B) {
	b.Run("1", func(b *testing.B) {
		s := openPG(b, 1)
		benchTransitions(b, s[0])
	})
	b.Run("2replicas", func(b *testing.B) {
		s := openPG(b, 2)
		benchTransitions(b, s[0], s[1])
	})
}

// The notifier's checks on PostgreSQL (records claimed before sending).
func TestNotifierOnPostgreSQL(t *testing.T) {
	svc := cases.NewService(openPG(t, 1)[0], fakeResolver{})
	ck := &clock{t: at(3, 2, 9, 0)}
	svc.Now = ck.now
	testNotifier(t, svc, ck)
}

// Two replicas sweeping at once send each notification once.
func TestNotifierTwoReplicasSendOnce(t *testing.T) {
	stores := openPG(t, 2)
	ck := &clock{t: at(3, 2, 9, 0)}
	var svcs []*cases.Service
	for _, s := range stores {
		svc := cases.NewService(s, fakeResolver{})
		svc.Now = ck.now
		svcs = append(svcs, svc)
	}
	for range 20 {
		reach(t, svcs[0], cases.StateDispatched)
	}
	ck.t = at(3, 3, 8, 0) // yellow for all
	var mu sync.Mutex
	got := map[int64]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n cases.Notification
		json.NewDecoder(r.Body).Decode(&n)
		mu.Lock()
		got[n.CaseID]++
		mu.Unlock()
	}))
	defer srv.Close()
	var wg sync.WaitGroup
	sent := make([]int, 2)
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := &cases.Notifier{Service: svcs[i], Store: s, Deliver: webhook.Deliver(nil)}
			var err error
			if sent[i], err = n.Sweep(context.Background(), srv.URL, ck.now()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(got) != 20 || sent[0]+sent[1] != 20 {
		t.Fatalf("%d cases notified, sent %v", len(got), sent)
	}
	for id, k := range got {
		if k != 1 {
			t.Fatalf("case %d notified %d times", id, k)
		}
	}
}

// A city's cases move from its GeoPackage (SQLite) to PostgreSQL intact.
func TestHistoryMovesFromSQLiteToPostgreSQL(t *testing.T) {
	svc, _ := newService(t)
	src := svc.Store.(*sqlitecases.Store)
	ctx := context.Background()
	for _, s := range allStates {
		reach(t, svc, s)
	}
	for i, name := range []string{"deadlines", "deadlines", "settings"} {
		if _, err := src.PutConfig(ctx, name, fmt.Appendf(nil, `{"v":%d}`, i), "admin", 0); err != nil {
			t.Fatal(err)
		}
	}
	a := &cases.Attachment{CaseID: 2, Name: "x.png", Type: "image/png", Size: 9, SHA256: "ff", Stage: cases.StateReported, User: "u", Uploaded: at(3, 2, 9, 30)}
	if err := src.AddAttachment(ctx, a); err != nil {
		t.Fatal(err)
	}
	dst := openPG(t, 1)[0]
	h, err := cases.ExportHistory(ctx, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.ImportHistory(ctx, h, cases.RestoreHistory); err != nil {
		t.Fatal(err)
	}
	var want, got []string
	dump := func(s cases.ServerStore, out *[]string) {
		s.All(ctx, func(c *cases.Case) bool {
			j, _ := json.Marshal(c)
			ts, _ := s.Transitions(ctx, c.ID)
			tj, _ := json.Marshal(ts)
			as, _ := s.Attachments(ctx, c.ID)
			aj, _ := json.Marshal(as)
			*out = append(*out, string(j)+string(tj)+string(aj))
			return true
		})
		for _, name := range cases.ConfigNames {
			vs, _ := s.ConfigVersions(ctx, name)
			for _, v := range vs {
				d, _ := s.Config(ctx, name, v.Version)
				*out = append(*out, fmt.Sprintf("%s %d %s %s %d", name, d.Version, d.Body, d.User, d.At.UnixMilli()))
			}
		}
	}
	dump(src, &want)
	dump(dst, &got)
	if len(want) != len(allStates)+3 || len(h.Cases) != len(allStates) || len(h.Attachments) != 1 || len(h.Configs) != 3 {
		t.Fatalf("exported %d cases, %d attachments, %d configuration versions; source dump has %d entries", len(h.Cases), len(h.Attachments), len(h.Configs), len(want))
	}
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Fatalf("entry %d differs after the copy:\n%s\n%s", i, want[i], got[min(i, len(got)-1)])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries copied, want %d", len(got), len(want))
	}
	// ids go on after the copied ones; a second copy is refused
	c := &cases.Case{Kind: "event", Category: "0101", State: cases.StateReported, Point: [2]float64{118, 32}}
	if err := dst.Create(ctx, c, &cases.Transition{Action: "report", To: c.State}); err != nil || c.ID != int64(len(allStates)+1) {
		t.Fatalf("next case id %d, %v", c.ID, err)
	}
	if err := dst.ImportHistory(ctx, h, cases.RestoreHistory); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("restored into a store that holds cases: %v", err)
	}
}
