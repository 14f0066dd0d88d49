package cases_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"citygrid/data/cases"
)

// openPGBench opens handles stores on a new schema of the PostgreSQL
// server CITYGRID_TEST_POSTGRES names (the benchmark skips without one),
// dropped afterwards. Each handle has its own pool, as a replica has.
func openPGBench(b *testing.B, handles int) []cases.Store {
	url := os.Getenv("CITYGRID_TEST_POSTGRES")
	if url == "" {
		b.Skip("CITYGRID_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("cases_bench_%d", os.Getpid())
	var out []cases.Store
	for i := range handles {
		s, err := cases.OpenPG(ctx, url, schema)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			s.DropSchema(ctx) // a previous run's leftovers
			s.Close()
			if s, err = cases.OpenPG(ctx, url, schema); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.DropSchema(context.Background()) })
		}
		b.Cleanup(func() { s.Close() })
		out = append(out, s)
	}
	return out
}

// BenchmarkPGTransitions is BenchmarkTransitions on the PostgreSQL store
// (one replica): every transition is one round trip of the conditional
// UPDATE, the transition's INSERT and its NOTIFY, plus the read before it.
//
//	CITYGRID_TEST_POSTGRES=postgres://... go test ./data/cases/ -run '^$' -bench PGTransitions -benchtime 10s
func BenchmarkPGTransitions(b *testing.B) {
	benchTransitions(b, openPGBench(b, 1)...)
}

// BenchmarkPGTransitionsTwoReplicas: the same load through two stores on
// one database (two replicas' pools), dispatchers spread over both.
func BenchmarkPGTransitionsTwoReplicas(b *testing.B) {
	benchTransitions(b, openPGBench(b, 2)...)
}
