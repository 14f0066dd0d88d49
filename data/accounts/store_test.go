package accounts_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"citygrid/data/accounts"
	"citygrid/data/accounts/accountstest"
	"citygrid/data/gpkg"
	"citygrid/test/pgtest"

	"github.com/jackc/pgx/v5"
)

var pgURL string

// TestMain gives the PostgreSQL suite a server: the one
// CITYGRID_TEST_POSTGRES names, or a throwaway cluster on loopback
// (test/pgtest) when PostgreSQL and PostGIS are installed. Without either
// the PostgreSQL suite skips, except in CI, where the tests fail.
func TestMain(m *testing.M) {
	flag.Parse()
	pgURL = os.Getenv("CITYGRID_TEST_POSTGRES")
	if pgURL == "" && !testing.Short() {
		c, err := pgtest.Start()
		if err != nil && pgtest.InCI() {
			fmt.Fprintf(os.Stderr, "accounts tests: CI is set and there is no PostgreSQL to test against: %v\n", err)
			os.Exit(1)
		}
		if err == nil {
			pgURL = c.URL
			code := m.Run()
			c.Stop()
			os.Exit(code)
		}
		fmt.Fprintf(os.Stderr, "accounts tests: no PostgreSQL: %v\n", err)
	}
	os.Exit(m.Run())
}

// The suite on SQLite: the account tables in a GeoPackage file, opened
// twice as a server and the command line would (the second open migrates
// nothing).
func TestSQLStoreSuite(t *testing.T) {
	accountstest.Run(t, func(t *testing.T) accounts.Store {
		ctx := context.Background()
		g, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "a.gpkg"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Close() })
		if _, err := accounts.NewSQLStore(ctx, g.DB()); err != nil {
			t.Fatal(err)
		}
		st, err := accounts.NewSQLStore(ctx, g.DB())
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

var pgSchemas atomic.Int64

// The suite on PostgreSQL: a fresh schema per test, opened twice as two
// replicas would.
func TestPGStoreSuite(t *testing.T) {
	if pgURL == "" {
		if pgtest.InCI() {
			t.Fatal("no PostgreSQL in CI")
		}
		t.Skip("no PostgreSQL (set CITYGRID_TEST_POSTGRES or install postgresql and postgis)")
	}
	accountstest.Run(t, func(t *testing.T) accounts.Store {
		ctx := context.Background()
		schema := fmt.Sprintf("accounts_test_%d", pgSchemas.Add(1))
		first, err := accounts.OpenPG(ctx, pgURL, schema)
		if err != nil {
			t.Fatal(err)
		}
		first.Close()
		st, err := accounts.OpenPG(ctx, pgURL, schema)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.DropSchema(context.Background()); st.Close() })
		return st
	})
}

// A schema migrated by a newer citygrid (a version beyond the known
// migrations) is refused rather than used.
func TestPGStoreRefusesANewerSchema(t *testing.T) {
	if pgURL == "" {
		t.Skip("no PostgreSQL")
	}
	ctx := context.Background()
	st, err := accounts.OpenPG(ctx, pgURL, "accounts_newer")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	defer st.DropSchema(ctx)
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO accounts_newer.account_schema (version, applied) VALUES (99, 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.OpenPG(ctx, pgURL, "accounts_newer"); err == nil || !strings.Contains(err.Error(), "newer than this citygrid knows") {
		t.Fatalf("opening a schema at version 99: %v", err)
	}
}
