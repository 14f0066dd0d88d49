package caseboard

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"citygrid/data/cases"
	"citygrid/data/cases/pgcases"
	"citygrid/test/pgtest"
)

// TestMain stops the throwaway PostgreSQL cluster pgCases started, if any.
func TestMain(m *testing.M) {
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

var (
	pg        pgtest.Shared
	pgSchemas atomic.Int64
)

// pgCases opens two case stores (two pools, as two replicas have) on a new
// schema of CITYGRID_TEST_POSTGRES or of a throwaway cluster; without
// PostgreSQL the test skips, or fails when CI is set.
func pgCases(t *testing.T) (a, b *pgcases.Store) {
	t.Helper()
	url := pg.URL(t)
	schema := fmt.Sprintf("city_board_%d_%d", os.Getpid(), pgSchemas.Add(1))
	var out []*pgcases.Store
	for i := range 2 {
		s, err := pgcases.Open(context.Background(), url, schema)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if i == 0 {
			t.Cleanup(func() { s.DropSchema(context.Background()) }) // runs before the Close above
		}
		out = append(out, s)
	}
	return out[0], out[1]
}

// TestBoardLoadsAHistoryImportedIntoPostgres: a case history imported into
// PostgreSQL (ImportCases, every transition's step deadline kept) and
// loaded back by a board through another pool (cases, then transitions in
// pages of 777 through TransitionsBetween) shows the same case count and
// post (岗位) scores as a board fed the history directly.
func TestBoardLoadsAHistoryImportedIntoPostgres(t *testing.T) {
	ctx := context.Background()
	pg0, pg1 := pgCases(t)
	ix, all, trs := demoHistory(t)
	now := time.Now()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	direct := directBoard(ix, all, trs, logger)
	if err := pg0.ImportHistory(ctx, &cases.History{Cases: slices.Clone(all), Transitions: slices.Clone(trs)}, cases.AppendHistory); err != nil {
		t.Fatal(err)
	}
	stored, err := pg1.TransitionsBetween(ctx, time.UnixMilli(0), time.Now().Add(24*time.Hour), 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	withDue := 0
	for _, tr := range stored {
		if tr.StepDueAt != nil {
			withDue++
		}
	}
	if len(stored) < 2*len(all) || withDue == 0 {
		t.Fatalf("%d transitions stored for %d cases, %d with a step deadline", len(stored), len(all), withDue)
	}
	loaded := NewBoard(ix, nil, logger)
	loaded.SetTransitionPage(777)
	if err := loaded.Attach(ctx, pg1); err != nil {
		t.Fatal(err)
	}
	if n := loaded.Stats().Len(); n != len(all) {
		t.Fatalf("%d cases on the board, %d imported", n, len(all))
	}
	_, j1 := postScoresOf(t, direct, now)
	_, j2 := postScoresOf(t, loaded, now)
	if j1 != j2 {
		t.Fatalf("post scores differ between the board fed directly and the one loading PostgreSQL:\n%.600s\n%.600s", j1, j2)
	}
}
