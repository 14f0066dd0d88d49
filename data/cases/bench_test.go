package cases_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/sqlitecases"
	"citygrid/data/gpkg"

	"github.com/paulmach/orb"
)

// BenchmarkTransitions measures sustained case transitions on the SQLite
// store through the service (read, role and state checks, deadline
// arithmetic, optimistic write of the case and its transition, listener):
// dispatched cases are suspended and resumed in turn by concurrent
// dispatchers, each on its own cases.
//
//	go test ./data/cases/ -run '^$' -bench Transitions -benchtime 10s
func BenchmarkTransitions(b *testing.B) {
	benchTransitions(b, openStore(b))
}

// benchTransitions is BenchmarkTransitions on any store; more than one
// store (replicas on one database) take the dispatchers in turn.
func benchTransitions(b *testing.B, stores ...cases.Store) {
	ctx := context.Background()
	st := stores[0]
	svc := cases.NewService(st, nil)
	const n = 256
	ids := make([]int64, n)
	lon, lat := 118.7, 31.9
	for i := range ids {
		l := lon + float64(i)*0.01
		c, err := svc.Report(ctx, data.Principal{User: "i", Role: data.RoleInspector}, cases.NewCase{Kind: data.KindEvent, Category: "0101", Lon: &l, Lat: &lat})
		if err != nil {
			b.Fatal(err)
		}
		svc.Act(ctx, data.Principal{User: "s", Role: data.RoleSupervisor}, c.ID, cases.ActionRequest{Action: cases.ActRegister})
		if _, _, err := svc.Act(ctx, data.Principal{User: "d", Role: data.RoleDispatcher}, c.ID, cases.ActionRequest{Action: cases.ActDispatch, Unit: "U1"}); err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
	}
	notified := 0
	st.OnChange(func(*cases.Case, *cases.Transition) { notified++ })
	svcs := []*cases.Service{svc}
	for _, o := range stores[1:] {
		svcs = append(svcs, cases.NewService(o, nil))
	}
	var turn atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	t0 := time.Now()
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		w := int(turn.Add(1)) % len(stores)
		st, svc := stores[w], svcs[w]
		p := data.Principal{User: "d", Role: data.RoleDispatcher}
		for pb.Next() {
			i := <-next
			c, err := st.Get(ctx, ids[i])
			if err != nil {
				b.Error(err)
				return
			}
			req := cases.ActionRequest{Action: cases.ActSuspend, Note: "bench"}
			if c.State == cases.StateSuspended {
				req = cases.ActionRequest{Action: cases.ActResume}
			}
			if _, _, err := svc.Act(ctx, p, ids[i], req); err != nil {
				b.Error(err)
			}
			next <- i
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "transitions/s")
}

// bigStore opens (or builds once, in $CITYGRID_BENCH_DIR or the temp dir)
// a store holding n generated cases: 200 units, 50 dispatchers, 80 % closed,
// the rest spread over the open states with deadlines around now.
func bigStore(b *testing.B, n int) *sqlitecases.Store {
	ctx := context.Background()
	dir := os.Getenv("CITYGRID_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("citygrid-cases-%d.gpkg", n))
	g, err := gpkg.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Close() })
	st, err := sqlitecases.New(ctx, g.DB())
	if err != nil {
		b.Fatal(err)
	}
	p, err := st.List(ctx, cases.Filter{Limit: 1})
	if err != nil {
		b.Fatal(err)
	}
	if p.Total == n {
		return st
	}
	if p.Total > 0 {
		b.Fatalf("%s holds %d cases, not %d: remove it", path, p.Total, n)
	}
	t0 := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	cs := make([]cases.Case, n)
	for i := range cs {
		cs[i] = *bigCase(rng, now, i+1)
	}
	if err := st.ImportHistory(ctx, &cases.History{Cases: cs}, cases.AppendHistory); err != nil {
		b.Fatal(err)
	}
	db := g.DB()
	db.Exec(`ANALYZE`)
	b.Logf("generated %d cases in %s (%s)", n, time.Since(t0).Round(time.Second), path)
	return st
}

// bigCase is case i of the big stores: 200 units, 50 dispatchers, 80 %
// closed, the rest spread over the open states with deadlines around now.
func bigCase(rng *rand.Rand, now time.Time, i int) *cases.Case {
	open := []cases.State{cases.StateReported, cases.StateVerified, cases.StateRegistered, cases.StateDispatched, cases.StateDispatched, cases.StateDispatched,
		cases.StateHandled, cases.StateChecked, cases.StateReturned, cases.StateSuspended}
	c := &cases.Case{ID: int64(i), Number: fmt.Sprintf("B%09d", i), Kind: data.KindEvent, Category: fmt.Sprintf("%02d%02d", 1+rng.IntN(9), 1+rng.IntN(20)),
		Source: cases.SourceInspector, Urgency: cases.UrgencyNormal, State: cases.StateClosed,
		Unit: fmt.Sprintf("U%03d", rng.IntN(200)), Street: fmt.Sprintf("S%02d", rng.IntN(10)), Community: fmt.Sprintf("C%03d", rng.IntN(100)),
		UnitGrid: fmt.Sprintf("G%05d", rng.IntN(5000)), Dispatcher: fmt.Sprintf("d%02d", rng.IntN(50)),
		Point: orb.Point{118.7 + rng.Float64()*0.2, 31.9 + rng.Float64()*0.15}, Version: 5}
	c.ReportedAt = now.Add(-time.Duration(rng.IntN(2*365*24)) * time.Hour)
	c.UpdatedAt = c.ReportedAt.Add(time.Hour)
	if rng.IntN(5) == 0 {
		c.State = open[rng.IntN(len(open))]
	}
	if c.State != cases.StateReported && c.State != cases.StateVerified && c.State != cases.StateRegistered {
		d := now.Add(time.Duration(rng.IntN(14*24)-7*24) * time.Hour)
		c.DueAt = &d
	}
	return c
}

// BenchmarkQueueListing1M lists work queues (50 rows and the total) from
// a store of 1 million cases.
//
//	go test ./data/cases/ -run '^$' -bench QueueListing -benchtime 200x
func BenchmarkQueueListing1M(b *testing.B) {
	benchQueues(b, bigStore(b, 1_000_000))
}

// BenchmarkQueueListing200k: the same at BenchmarkPGQueueListing200k's
// size, to compare the stores.
func BenchmarkQueueListing200k(b *testing.B) {
	benchQueues(b, bigStore(b, 200_000))
}

// benchQueues lists the work queues of a big store (bigStore's cases).
func benchQueues(b *testing.B, st cases.Store) {
	ctx := context.Background()
	now := time.Now()
	for _, q := range []struct {
		name string
		f    cases.Filter
	}{
		{"unit", cases.Filter{Unit: "U017", States: []cases.State{cases.StateDispatched}, Sort: cases.SortDue}},
		{"unit_overdue", cases.Filter{Unit: "U017", Overdue: true, Sort: cases.SortDue}},
		{"dispatcher", cases.Filter{Dispatcher: "d07", States: []cases.State{cases.StateDispatched, cases.StateHandled, cases.StateSuspended}, Sort: cases.SortDue}},
		{"dispatch_queue", cases.Filter{States: []cases.State{cases.StateRegistered, cases.StateReturned, cases.StateArbitration}, Sort: cases.SortDue}},
		{"all_overdue", cases.Filter{Overdue: true, Sort: cases.SortDue}},
		{"street_open_newest", cases.Filter{Street: "S03", States: []cases.State{cases.StateDispatched}}},
		{"newest_page_100", cases.Filter{Offset: 5000}},
	} {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			f := q.f
			f.Now = now
			f.Limit = 50
			var total int
			for b.Loop() {
				p, err := st.List(ctx, f)
				if err != nil {
					b.Fatal(err)
				}
				total = p.Total
			}
			b.ReportMetric(float64(total), "matches")
		})
	}
}

// BenchmarkAll1M reads every case of the 1M-case store through All (what
// the statistics board does at start-up).
//
//	go test ./data/cases/ -run '^$' -bench All1M -benchtime 1x
func BenchmarkAll1M(b *testing.B) {
	st := bigStore(b, 1_000_000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := st.All(ctx, func(*cases.Case) bool { n++; return true }); err != nil || n != 1_000_000 {
			b.Fatal(n, err)
		}
	}
}
