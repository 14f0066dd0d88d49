package caseboard

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/stats"
	"citygrid/data/demo"
	"citygrid/spatial"

	"github.com/paulmach/orb"
)

// memCases is an in-memory case feed with a bulk import, ordered as the
// case stores order transitions (at, case, seq).
type memCases struct {
	mu  sync.Mutex
	cs  []cases.Case
	trs []cases.Transition
}

func (m *memCases) All(_ context.Context, fn func(*cases.Case) bool) error {
	m.mu.Lock()
	cs := slices.Clone(m.cs)
	m.mu.Unlock()
	for i := range cs {
		if !fn(&cs[i]) {
			break
		}
	}
	return nil
}

func (m *memCases) ImportCases(_ context.Context, cs []cases.Case, trs []cases.Transition) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cs = append(m.cs, cs...)
	m.trs = append(m.trs, trs...)
	return nil
}

func (m *memCases) TransitionsBetween(_ context.Context, from, to time.Time, limit int) ([]cases.Transition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []cases.Transition
	for _, t := range m.trs {
		if !t.At.Before(from) && t.At.Before(to) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b cases.Transition) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if a.CaseID != b.CaseID {
			return int(a.CaseID - b.CaseID)
		}
		return a.Seq - b.Seq
	})
	return out[:min(limit, len(out))], nil
}

// demoHistory generates 30 days of demo case history over a small demo
// city, ending now.
func demoHistory(t *testing.T) (*spatial.Index, []cases.Case, []cases.Transition) {
	t.Helper()
	ds, err := demo.Generate(context.Background(), demo.Options{Seed: 7, Scale: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	resolve := func(p orb.Point, kind data.CategoryKind, category, component string) string {
		r, err := ix.Responsible(p, kind, category, component)
		if err != nil {
			return ""
		}
		return r.Unit.Code
	}
	all, trs, err := demo.Cases(ix.Dataset(), demo.CaseOptions{Seed: 7, End: time.Now().Truncate(time.Minute), Days: 30, Responsible: resolve})
	if err != nil {
		t.Fatal(err)
	}
	return ix, all, trs
}

// directBoard is a board fed a history directly, as a generator has it.
func directBoard(ix *spatial.Index, all []cases.Case, trs []cases.Transition, logger *slog.Logger) *Board {
	b := NewBoard(ix, nil, logger)
	pt := stats.NewPostTable()
	pt.AddAll(trs, caseIndex(all))
	b.load(all, pt)
	return b
}

// postScoresOf evaluates a board's post scores over the 31 days up to
// an hour after at.
func postScoresOf(t *testing.T, b *Board, at time.Time) (*stats.PostResult, string) {
	t.Helper()
	q := stats.PostQuery{From: at.AddDate(0, 0, -31), To: at.Add(time.Hour)}
	r, err := b.Posts().Evaluate(q, stats.DefaultScoring())
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(r)
	return r, string(j)
}

// TestBoardLoadsAStoredHistoryInPages: a board attached to a store holding
// a case history (cases, then transitions read in pages of 777, with ties
// across page ends) shows the same case count and post (岗位) scores as a
// board fed the same history directly.
func TestBoardLoadsAStoredHistoryInPages(t *testing.T) {
	ctx := context.Background()
	ix, all, trs := demoHistory(t)
	now := time.Now()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	direct := directBoard(ix, all, trs, logger)

	store := &memCases{}
	if err := store.ImportCases(ctx, slices.Clone(all), slices.Clone(trs)); err != nil {
		t.Fatal(err)
	}
	loaded := NewBoard(ix, nil, logger)
	loaded.SetTransitionPage(777)
	if err := loaded.Attach(ctx, store); err != nil {
		t.Fatal(err)
	}
	if n := loaded.Stats().Len(); n < 1000 || n != len(all) {
		t.Fatalf("%d cases on the board, %d stored", n, len(all))
	}
	r1, j1 := postScoresOf(t, direct, now)
	_, j2 := postScoresOf(t, loaded, now)
	if j1 != j2 {
		t.Fatalf("post scores differ between the board fed directly and the one loading the store:\n%.600s\n%.600s", j1, j2)
	}
	posts := map[stats.Post]int{}
	for _, r := range r1.Rows {
		posts[r.Post]++
	}
	if len(posts) != 4 {
		t.Errorf("posts with people: %v", posts)
	}
}
