package pgstore_test

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
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

// startCluster runs initdb and pg_ctl start in a temporary directory (as
// the postgres user when running as root, which PostgreSQL refuses) and
// sets CITYGRID_TEST_POSTGRES.
func startCluster() (stop func(), err error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(bins) == 0 {
		return nil, fmt.Errorf("no /usr/lib/postgresql/*/bin")
	}
	sort.Strings(bins)
	bin := bins[len(bins)-1]
	version := filepath.Base(filepath.Dir(bin))
	if _, err := os.Stat("/usr/share/postgresql/" + version + "/extension/postgis.control"); err != nil {
		return nil, fmt.Errorf("PostGIS for PostgreSQL %s is not installed", version)
	}
	dir, err := os.MkdirTemp("", "citygrid-pgstore-")
	if err != nil {
		return nil, err
	}
	var prefix []string
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root and no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.Chown(dir, uid, -1); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		prefix = []string{"runuser", "-u", "postgres", "--"}
	}
	run := func(args ...string) ([]byte, error) {
		full := append(append([]string{}, prefix...), args...)
		return exec.Command(full[0], full[1:]...).CombinedOutput()
	}
	data := filepath.Join(dir, "data")
	if out, err := run(filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c jit=off", port, dir)
	if out, err := run(filepath.Join(bin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-o", opts, "start"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	os.Setenv("CITYGRID_TEST_POSTGRES", fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port))
	return func() {
		run(filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	}, nil
}

// inCI reports whether the tests run in CI: the CI environment variable is
// set to anything but "", "0" or "false" (.ci/run exports CI=true).
func inCI() bool {
	switch strings.ToLower(os.Getenv("CI")) {
	case "", "0", "false":
		return false
	}
	return true
}
