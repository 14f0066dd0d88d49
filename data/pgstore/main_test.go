package pgstore_test

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"citygrid/test/pgtest"
)

// TestMain gives the tests a PostgreSQL server: the one CITYGRID_TEST_POSTGRES
// names, or else a throwaway cluster on loopback when PostgreSQL and PostGIS
// are installed (Debian: postgresql-15-postgis-3), stopped and removed after
// the tests. Without either the tests skip, except in CI (the CI
// environment variable set, as .ci/run sets it), where they fail: CI
// installs PostgreSQL and PostGIS so that these tests run.
func TestMain(m *testing.M) {
	flag.Parse()
	if os.Getenv("CITYGRID_TEST_POSTGRES") != "" || testing.Short() {
		os.Exit(m.Run())
	}
	stop, err := startCluster()
	if err != nil {
		if inCI() {
			fmt.Fprintf(os.Stderr, "pgstore tests: CI is set and there is no PostgreSQL to test against (.ci/run installs postgresql and postgresql-*-postgis-3): %v\n", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "pgstore tests: no PostgreSQL: %v\n", err)
		os.Exit(m.Run())
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// startCluster starts a throwaway cluster (test/pgtest: initdb and pg_ctl
// on loopback, as the postgres user when running as root) and sets
// CITYGRID_TEST_POSTGRES to it.
func startCluster() (stop func(), err error) {
	c, err := pgtest.Start()
	if err != nil {
		return nil, err
	}
	os.Setenv("CITYGRID_TEST_POSTGRES", c.URL)
	return c.Stop, nil
}

// inCI reports whether the tests run in CI (pgtest.InCI: CI set to
// anything but "", "0" or "false"; .ci/run exports CI=true).
func inCI() bool { return pgtest.InCI() }
