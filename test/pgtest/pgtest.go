// Package pgtest starts a throwaway PostgreSQL + PostGIS cluster on
// loopback for tests outside data/pgstore (the end-to-end replica test,
// benchmarks): initdb and pg_ctl from the newest /usr/lib/postgresql/*/bin
// in a temporary directory, as the postgres user when running as root
// (PostgreSQL refuses root), durability off (tests only).
package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Cluster is a running throwaway cluster.
type Cluster struct {
	// URL connects to its postgres database as the postgres superuser.
	URL string

	dir, bin string
	prefix   []string
}

// InCI reports whether tests run in CI: the CI environment variable set to
// anything but "", "0" or "false" (.ci/run exports CI=true). There the
// PostgreSQL tests must fail, not skip, when no PostgreSQL can be started.
func InCI() bool {
	switch strings.ToLower(os.Getenv("CI")) {
	case "", "0", "false":
		return false
	}
	return true
}

// Start initialises and starts a cluster. It fails when PostgreSQL or
// PostGIS (Debian: postgresql-15-postgis-3) is not installed.
func Start() (*Cluster, error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(bins) == 0 {
		return nil, fmt.Errorf("no /usr/lib/postgresql/*/bin: install postgresql")
	}
	sort.Slice(bins, func(i, j int) bool { return pgVersion(bins[i]) < pgVersion(bins[j]) })
	bin := bins[len(bins)-1]
	version := filepath.Base(filepath.Dir(bin))
	if _, err := os.Stat("/usr/share/postgresql/" + version + "/extension/postgis.control"); err != nil {
		return nil, fmt.Errorf("PostGIS for PostgreSQL %s is not installed (postgresql-%s-postgis-3)", version, version)
	}
	dir, err := os.MkdirTemp("", "citygrid-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin}
	fail := func(err error) (*Cluster, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fail(fmt.Errorf("running as root and no postgres user: %w", err))
		}
		uid, _ := strconv.Atoi(u.Uid)
		if err := os.Chmod(dir, 0o755); err != nil {
			return fail(err)
		}
		if err := os.Chown(dir, uid, -1); err != nil {
			return fail(err)
		}
		c.prefix = []string{"runuser", "-u", "postgres", "--"}
	}
	pgdata := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", pgdata, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"); err != nil {
		return fail(fmt.Errorf("initdb: %v: %s", err, out))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c jit=off -c max_connections=200", port, dir)
	if out, err := c.run("pg_ctl", "-D", pgdata, "-l", filepath.Join(dir, "log"), "-w", "-o", opts, "start"); err != nil {
		return fail(fmt.Errorf("pg_ctl start: %v: %s", err, out))
	}
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return c, nil
}

// Stop stops the cluster at once and removes its files.
func (c *Cluster) Stop() {
	c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.dir)
}

func (c *Cluster) run(tool string, args ...string) ([]byte, error) {
	full := append(append(append([]string{}, c.prefix...), filepath.Join(c.bin, tool)), args...)
	return exec.Command(full[0], full[1:]...).CombinedOutput()
}

// pgVersion orders /usr/lib/postgresql/N/bin by N as a number.
func pgVersion(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

// ForTest starts a cluster for one test and stops it when the test ends.
// Without PostgreSQL the test is skipped, or fails in CI.
func ForTest(t testing.TB) *Cluster {
	t.Helper()
	c, err := Start()
	if err != nil {
		if InCI() {
			t.Fatalf("no PostgreSQL in CI: %v", err)
		}
		t.Skipf("no PostgreSQL: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// Shared is a server the tests of one test binary share: the URL in
// CITYGRID_TEST_POSTGRES, else a throwaway cluster started by the first
// test that asks. Without PostgreSQL the asking test is skipped, or fails
// in CI. The package's TestMain calls Stop after the tests.
type Shared struct {
	once    sync.Once
	cluster *Cluster
	err     error
}

// URL is the shared server's connection string.
func (s *Shared) URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("CITYGRID_TEST_POSTGRES"); u != "" {
		return u
	}
	s.once.Do(func() { s.cluster, s.err = Start() })
	if s.err != nil {
		if InCI() {
			t.Fatalf("CI is set and no PostgreSQL could be started: %v", s.err)
		}
		t.Skipf("no PostgreSQL: %v", s.err)
	}
	return s.cluster.URL
}

// Stop stops the cluster URL started, if any.
func (s *Shared) Stop() {
	if s.cluster != nil {
		s.cluster.Stop()
	}
}
