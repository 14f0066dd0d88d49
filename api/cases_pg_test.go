package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"citygrid/data/cases"
	"citygrid/data/cases/stats"
	"citygrid/data/demo"
	"citygrid/spatial"
	"citygrid/test/pgtest"
)

// TestMain stops the throwaway PostgreSQL cluster testPostgres started,
// if any.
func TestMain(m *testing.M) {
	code := m.Run()
	if pgCluster != nil {
		pgCluster.Stop()
	}
	os.Exit(code)
}

var (
	pgOnce    sync.Once
	pgCluster *pgtest.Cluster
	pgErr     error
	pgSchemas atomic.Int64
)

// testPostgres returns the URL of CITYGRID_TEST_POSTGRES or of a
// throwaway cluster started on first use; without PostgreSQL the test
// skips, or fails when CI is set.
func testPostgres(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("CITYGRID_TEST_POSTGRES"); u != "" {
		return u
	}
	pgOnce.Do(func() { pgCluster, pgErr = pgtest.Start() })
	if pgErr != nil {
		if pgtest.InCI() {
			t.Fatalf("CI is set and no PostgreSQL could be started: %v", pgErr)
		}
		t.Skipf("no PostgreSQL: %v", pgErr)
	}
	return pgCluster.URL
}

// openPGCases opens handles case stores on one new schema (each its own
// pool, as replicas have), dropped after the test.
func openPGCases(t *testing.T, handles int) []*cases.PGStore {
	url := testPostgres(t)
	ctx := context.Background()
	schema := fmt.Sprintf("api_cases_%d_%d", os.Getpid(), pgSchemas.Add(1))
	var out []*cases.PGStore
	for i := range handles {
		s, err := cases.OpenPG(ctx, url, schema)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			t.Cleanup(func() { s.DropSchema(context.Background()) })
		}
		t.Cleanup(func() { s.Close() })
		out = append(out, s)
	}
	return out
}

// TestDemoHistoryImportedIntoPostgres: a demo city served with its cases
// in PostgreSQL stores the generated history there once (ImportCases,
// with every transition's step deadline), and a second server loading it
// back (cases, then transitions in pages through TransitionsBetween)
// shows the same case count and the same post (岗位) scores as the first,
// which took the generated transitions directly.
func TestDemoHistoryImportedIntoPostgres(t *testing.T) {
	ctx := context.Background()
	ds, err := demo.Generate(ctx, demo.Options{Seed: 7, Scale: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	pg := openPGCases(t, 2)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	meta := &memMeta{m: map[string]string{}}
	b1 := newCaseBoard(Config{Index: ix, Store: meta, Logger: logger})
	b1.demoDays = 30
	if err := b1.attach(ctx, pg[0]); err != nil {
		t.Fatal(err)
	}
	b1.demoHistory(ctx, ix)
	n := b1.stats().Len()
	stored, err := pg[1].List(ctx, cases.Filter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if n < 1000 || stored.Total != n || meta.m[metaDemoCases] != fmt.Sprint(n) || b1.demoLoaded {
		t.Fatalf("%d cases on the board, %d in PostgreSQL, meta %q, in memory only %v", n, stored.Total, meta.m[metaDemoCases], b1.demoLoaded)
	}
	trs, err := pg[1].TransitionsBetween(ctx, time.UnixMilli(0), time.Now().Add(24*time.Hour), 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	withDue := 0
	for _, tr := range trs {
		if tr.StepDueAt != nil {
			withDue++
		}
	}
	if len(trs) < 2*n || withDue == 0 {
		t.Fatalf("%d transitions stored for %d cases, %d with a step deadline", len(trs), n, withDue)
	}

	defer func(p int) { transitionPage = p }(transitionPage)
	transitionPage = 777 // many pages, ties across page ends
	b2 := newCaseBoard(Config{Index: ix, Store: meta, Logger: logger})
	b2.demoDays = 30
	if err := b2.attach(ctx, pg[1]); err != nil {
		t.Fatal(err)
	}
	b2.demoHistory(ctx, ix) // stored already: nothing to do
	if again, _ := pg[1].List(ctx, cases.Filter{Limit: 1}); again.Total != n || b2.stats().Len() != n {
		t.Fatalf("second serve: %d stored, %d on the board, want %d", again.Total, b2.stats().Len(), n)
	}
	q := stats.PostQuery{From: time.Now().AddDate(0, 0, -31), To: time.Now().Add(time.Hour)}
	r1, err1 := b1.postTable().Evaluate(q, stats.DefaultScoring())
	r2, err2 := b2.postTable().Evaluate(q, stats.DefaultScoring())
	j1, _ := json.Marshal(r1)
	j2, _ := json.Marshal(r2)
	if err1 != nil || err2 != nil || string(j1) != string(j2) {
		t.Fatalf("post scores differ between the generating board and the one loading PostgreSQL: %v %v\n%.600s\n%.600s", err1, err2, j1, j2)
	}
	posts := map[stats.Post]int{}
	for _, r := range r1.Rows {
		posts[r.Post]++
	}
	if len(posts) != 4 {
		t.Errorf("posts with people: %v", posts)
	}
}
