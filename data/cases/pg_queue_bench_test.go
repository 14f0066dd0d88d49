package cases_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"citygrid/data/cases"
)

// BenchmarkPGQueueListing200k lists the work queues of
// BenchmarkQueueListing1M (50 rows and the total) from a PostgreSQL store
// of 200,000 of bigStore's cases (bulk-loaded with ImportHistory, then
// ANALYZE). 200k, not 1M: the load shares the machine's cores.
//
// Run it on a server with synchronous_commit on (the default): with it off
// (as some throwaway test clusters run) the VACUUM right after the import
// cannot mark the pages all-visible yet, the totals cannot use index-only
// scans, and the broad queues read thousands of table pages (measured
// here: dispatch_queue 30 ms instead of 11, newest_page_100 49 instead
// of 15).
//
//	go test ./data/cases/ -run '^$' -bench PGQueueListing -benchtime 100x
func BenchmarkPGQueueListing200k(b *testing.B) {
	const n = 200_000
	st := openPG(b, 1)[0]
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	cs := make([]cases.Case, n)
	for i := range cs {
		cs[i] = *bigCase(rng, now, i+1)
	}
	t0 := time.Now()
	if err := st.ImportHistory(ctx, &cases.History{Cases: cs}, cases.AppendHistory); err != nil {
		b.Fatal(err)
	}
	if err := st.Analyze(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("imported %d cases in %s", n, time.Since(t0).Round(time.Millisecond))
	benchQueues(b, st)
}
