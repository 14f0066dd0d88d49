package casestest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"citygrid/data/cases/pgcases"
	"citygrid/test/pgtest"
)

var (
	pg        pgtest.Shared
	pgSchemas atomic.Int64
)

// PostgreSQL returns the URL of a PostgreSQL server for the case store
// tests: CITYGRID_TEST_POSTGRES, or a throwaway cluster (test/pgtest)
// started on first use. Without one the test skips, or fails when CI is
// set. The package's TestMain calls Main.
func PostgreSQL(t testing.TB) string {
	t.Helper()
	return pg.URL(t)
}

// Main runs a package's tests (its TestMain calls it) and then stops the
// cluster PostgreSQL started, if any.
func Main(m *testing.M) {
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// OpenPG opens n stores (n replicas' pools) on a fresh schema of the test
// server, dropped at cleanup.
func OpenPG(t testing.TB, n int) []*pgcases.Store {
	t.Helper()
	url := PostgreSQL(t)
	schema := fmt.Sprintf("cases_test_%d_%d", os.Getpid(), pgSchemas.Add(1))
	ctx := context.Background()
	var out []*pgcases.Store
	for i := range n {
		s, err := pgcases.Open(ctx, url, schema)
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
