package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/pgstore"
	"citygrid/data/storetest"
)

// testURL is the PostgreSQL + PostGIS server the tests use; they are
// skipped without one. test/bench/run shows how to start one on loopback.
func testURL(t testing.TB) string {
	u := os.Getenv("CITYGRID_TEST_POSTGRES")
	if u == "" {
		if inCI() {
			t.Fatal("CI is set and CITYGRID_TEST_POSTGRES is not: the PostgreSQL tests must run in CI, not skip")
		}
		t.Skip("CITYGRID_TEST_POSTGRES (postgres://...) not set: no PostgreSQL to test against")
	}
	return u
}

var schemas atomic.Int64

// openTemp opens a store in a schema of its own, dropped after the test.
func openTemp(t testing.TB, url string) *pgstore.Store {
	schema := fmt.Sprintf("t_%d_%d", time.Now().UnixNano()%1e9, schemas.Add(1))
	st, err := pgstore.Open(context.Background(), url, pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s, err := pgstore.Open(context.Background(), url, pgstore.Options{Schema: schema})
		if err == nil {
			s.DropSchema(context.Background())
			s.Close()
		}
	})
	return st
}

func TestPostgresStore(t *testing.T) {
	url := testURL(t)
	storetest.Run(t, func(t *testing.T) data.Store { return openTemp(t, url) })
	if pgstore.MetaGeneration != storetest.MetaGeneration {
		t.Errorf("pgstore counts inserts under %q, the suite under %q", pgstore.MetaGeneration, storetest.MetaGeneration)
	}
}

func TestMigrationsOnceAndRefuseNewer(t *testing.T) {
	url := testURL(t)
	ctx := context.Background()
	st := openTemp(t, url)
	st.Close()
	schema := fmt.Sprintf("t_m_%d", time.Now().UnixNano()%1e9)
	// Several replicas opening at once migrate once.
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := pgstore.Open(ctx, url, pgstore.Options{Schema: schema})
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s, err := pgstore.Open(ctx, url, pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.DropSchema(ctx); s.Close() }()
	if err := s.SetMeta(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := pgstore.BumpSchemaForTest(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.Open(ctx, url, pgstore.Options{Schema: schema}); err == nil {
		t.Fatal("a schema newer than the binary was accepted")
	}
}
