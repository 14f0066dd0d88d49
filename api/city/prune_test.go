package city

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"citygrid/data/gpkg/gpkgtest"
	"citygrid/spatial"
)

// countingPruner counts the prunes and whether it was closed.
type countingPruner struct {
	prunes atomic.Int64
	closed atomic.Bool
}

func (p *countingPruner) PruneSessions(ctx context.Context) (int, error) {
	if p.closed.Load() {
		panic("pruned after its store was closed")
	}
	p.prunes.Add(1)
	return 1, nil
}

// TestSessionsArePrunedUntilCloseThenTheirStoreCloses: the city prunes
// ended sessions at start and on every tick, stops on Close, and only
// then closes what the opener handed it for them.
func TestSessionsArePrunedUntilCloseThenTheirStoreCloses(t *testing.T) {
	ix, err := spatial.Build(gpkgtest.City())
	if err != nil {
		t.Fatal(err)
	}
	p := &countingPruner{}
	c, err := Open(context.Background(), Config{Index: ix, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Sessions: p, PruneEvery: 5 * time.Millisecond, Closers: []func() error{func() error { p.closed.Store(true); return nil }}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for p.prunes.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := p.prunes.Load(); n < 3 {
		t.Fatalf("%d prunes in 10 s at one per 5 ms", n)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !p.closed.Load() {
		t.Fatal("the session store was not closed")
	}
	n := p.prunes.Load()
	time.Sleep(30 * time.Millisecond)
	if p.prunes.Load() != n {
		t.Error("pruning went on after Close")
	}
}
