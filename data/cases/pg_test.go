package cases_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"

	"citygrid/data/cases"
	"citygrid/data/cases/casestest"
	"citygrid/data/cases/webhook"
)

// TestMain stops the throwaway PostgreSQL cluster the PostgreSQL tests
// started (pgURL), if any.
func TestMain(m *testing.M) {
	code := m.Run()
	if pgStop != nil {
		pgStop()
	}
	os.Exit(code)
}

var (
	pgOnce sync.Once
	pgURL  string
	pgErr  error
	pgStop func()
	pgN    int
	pgMu   sync.Mutex
)

// pgDatabase returns the URL of a PostgreSQL server: CITYGRID_TEST_POSTGRES,
// or a throwaway cluster on loopback started on first use when PostgreSQL
// and PostGIS are installed (the same recipe as data/pgstore's tests). The
// test skips without one, and fails when CI is set.
func pgDatabase(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() {
		if pgURL = os.Getenv("CITYGRID_TEST_POSTGRES"); pgURL == "" {
			pgURL, pgStop, pgErr = startCluster()
		}
	})
	if pgErr != nil {
		if c := os.Getenv("CI"); c != "" && c != "0" && c != "false" {
			t.Fatalf("no PostgreSQL in CI: %v", pgErr)
		}
		t.Skipf("no PostgreSQL: %v", pgErr)
	}
	return pgURL
}

// openPG opens n stores on a fresh schema of the test server (one per
// test), dropped at cleanup.
func openPG(t testing.TB, n int) []*cases.PGStore {
	url := pgDatabase(t)
	pgMu.Lock()
	pgN++
	schema := fmt.Sprintf("cases_test_%d_%d", os.Getpid(), pgN)
	pgMu.Unlock()
	ctx := context.Background()
	var out []*cases.PGStore
	for range n {
		s, err := cases.OpenPG(ctx, url, schema)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	t.Cleanup(func() {
		out[0].DropSchema(ctx)
		for _, s := range out {
			s.Close()
		}
	})
	return out
}

// The shared suite on PostgreSQL: two PGStores (two replicas) on one
// database.
func TestPGStoreSuite(t *testing.T) {
	casestest.Run(t, func(t *testing.T) (a, b cases.ServerStore) {
		s := openPG(t, 2)
		return s[0], s[1]
	})
}

func startCluster() (url string, stop func(), err error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(bins) == 0 {
		return "", nil, fmt.Errorf("no /usr/lib/postgresql/*/bin")
	}
	sort.Slice(bins, func(i, j int) bool {
		a, _ := strconv.Atoi(filepath.Base(filepath.Dir(bins[i])))
		b, _ := strconv.Atoi(filepath.Base(filepath.Dir(bins[j])))
		return a < b
	})
	bin := bins[len(bins)-1]
	dir, err := os.MkdirTemp("", "citygrid-cases-pg-")
	if err != nil {
		return "", nil, err
	}
	var prefix []string
	if os.Geteuid() == 0 { // PostgreSQL refuses to run as root
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("running as root and no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		if err := os.Chmod(dir, 0o755); err == nil {
			err = os.Chown(dir, uid, -1)
		}
		if err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
		prefix = []string{"runuser", "-u", "postgres", "--"}
	}
	run := func(tool string, args ...string) ([]byte, error) {
		full := append(append(append([]string{}, prefix...), filepath.Join(bin, tool)), args...)
		return exec.Command(full[0], full[1:]...).CombinedOutput()
	}
	pgdata := filepath.Join(dir, "data")
	if out, err := run("initdb", "-D", pgdata, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c jit=off", port, dir)
	if out, err := run("pg_ctl", "-D", pgdata, "-l", filepath.Join(dir, "log"), "-w", "-o", opts, "start"); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), func() {
		run("pg_ctl", "-D", pgdata, "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	}, nil
}

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
func TestPGStoreCopyFromSQLite(t *testing.T) {
	svc, _ := newService(t)
	src := svc.Store.(*cases.SQLStore)
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
	st, err := dst.CopyFrom(ctx, src, nil)
	if err != nil {
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
	if len(want) != len(allStates)+3 || st.Cases != len(allStates) || st.Attachments != 1 || st.ConfigVersions != 3 {
		t.Fatalf("copied %+v; source dump has %d entries", st, len(want))
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
	if _, err := dst.CopyFrom(ctx, src, nil); err == nil {
		t.Fatal("copied into a store that holds cases")
	}
}
