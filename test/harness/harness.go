// Package harness runs the real citygrid binary for the binary-level tests
// (test/e2e, test/fault, test/soak, test/replicas), so that each of them
// reads like a transcript of what an operator does:
//
//	dir := harness.Demo{Scale: 0.02}.Dir(t)
//	admin := harness.Token(t, dir, "e2e-admin", "admin")
//	s := harness.Serve(t, dir, "--access-log=false")
//	... speak HTTP to s.URL ...
//	s.Kill()
//	s = s.Restart()
//
// The binary is built once per test process into a temporary directory,
// or taken from CITYGRID_TEST_BINARY when that names one already built.
// Every server listens on a free loopback port; its standard output and
// error are kept and printed when the test fails; it is killed when the
// test ends. A package that uses the harness calls Main from TestMain, so
// that the build and the demo cities are removed afterwards.
package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// BinaryEnv names the environment variable that points the harness at a
// citygrid binary built beforehand (e.g. by CI), by its absolute path,
// instead of building one.
const BinaryEnv = "CITYGRID_TEST_BINARY"

// commandTimeout bounds a one-shot subcommand, so that a hung one fails
// its test instead of running into the test binary's timeout.
const commandTimeout = 5 * time.Minute

// work is the process's scratch directory (the build, the demo cities);
// it is made on first use and removed by Main.
var work struct {
	mu  sync.Mutex
	dir string
}

// workDir returns the process's scratch directory, making it if needed.
func workDir() (string, error) {
	work.mu.Lock()
	defer work.mu.Unlock()
	if work.dir == "" {
		dir, err := os.MkdirTemp("", "citygrid-test-")
		if err != nil {
			return "", err
		}
		work.dir = dir
	}
	return work.dir, nil
}

// Main runs the package's tests, removes what the harness made for them
// and returns the exit code: func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	work.mu.Lock()
	defer work.mu.Unlock()
	if work.dir != "" {
		os.RemoveAll(work.dir)
		work.dir = ""
	}
	return code
}

var build struct {
	once   sync.Once
	binary string
	err    error
}

// Binary returns the path of the citygrid binary, building it on the first
// call of the process.
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		if p := os.Getenv(BinaryEnv); p != "" {
			build.binary = p
			if !filepath.IsAbs(p) {
				// go test runs each package in its own directory.
				build.err = fmt.Errorf("%s=%s: want an absolute path", BinaryEnv, p)
			} else if _, err := os.Stat(p); err != nil {
				build.err = fmt.Errorf("%s: %w", BinaryEnv, err)
			}
			return
		}
		dir, err := workDir()
		if err != nil {
			build.err = err
			return
		}
		build.binary = filepath.Join(dir, "citygrid")
		if runtime.GOOS == "windows" {
			build.binary += ".exe"
		}
		out, err := exec.Command("go", "build", "-o", build.binary, "citygrid/cmd/citygrid").CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("go build citygrid/cmd/citygrid: %w\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.binary
}

// command prepares `citygrid args...` with env added to the environment.
// Inherited CITYGRID_* settings are dropped: a test's server runs with the
// settings the test gives it, not with those of the shell that ran go test.
func command(ctx context.Context, t testing.TB, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(ctx, Binary(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CITYGRID_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// Run runs a one-shot subcommand (token, bake, import, backup, ...) to its
// end and returns its standard output. A failure's error carries the
// command line and its standard error.
func Run(t testing.TB, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := command(ctx, t, nil, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("citygrid %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// Combined runs a subcommand to its end and returns its standard output
// and error interleaved, as a terminal shows them (usage texts and errors
// go to standard error).
func Combined(t testing.TB, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := command(ctx, t, nil, args...).CombinedOutput()
	return string(out), err
}

// MustRun runs a subcommand that must succeed and returns its standard
// output without the surrounding white space.
func MustRun(t testing.TB, args ...string) string {
	t.Helper()
	out, err := Run(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// Token issues a token with `citygrid token create` and returns it. where
// is the data directory, or the postgres:// URL of a replicated store;
// more adds flags such as "--unit", code.
func Token(t testing.TB, where, user, role string, more ...string) string {
	t.Helper()
	args := []string{"token", "create", "--dir", where}
	if strings.HasPrefix(where, "postgres://") || strings.HasPrefix(where, "postgresql://") {
		args[2] = "--store"
	}
	return MustRun(t, append(append(args, "--user", user, "--role", role), more...)...)
}

// Demo is a generated demo city: its scale and seed (0: the binary's
// default seed).
type Demo struct {
	Scale float64
	Seed  int64
}

// demoCity is one generated city of the process, shared by the tests.
type demoCity struct {
	once  sync.Once
	dir   string
	ready bool
}

var demos struct {
	mu     sync.Mutex
	cities map[Demo]*demoCity
}

// args are the demo subcommand's flags for d.
func (d Demo) args(dir string) []string {
	args := []string{"demo", "--dir", dir, "--scale", fmt.Sprint(d.Scale)}
	if d.Seed != 0 {
		args = append(args, "--seed", fmt.Sprint(d.Seed))
	}
	return args
}

// Store returns the path of the demo city's store. The city is generated
// once per test process by `citygrid demo`, which serves it until the
// demo case history is stored and is then stopped, so every copy starts
// from the same settled store.
func (d Demo) Store(t testing.TB) string {
	t.Helper()
	demos.mu.Lock()
	if demos.cities == nil {
		demos.cities = map[Demo]*demoCity{}
	}
	c := demos.cities[d]
	if c == nil {
		c = new(demoCity)
		demos.cities[d] = c
	}
	demos.mu.Unlock()
	c.once.Do(func() {
		dir, err := workDir()
		if err != nil {
			t.Fatal(err)
		}
		c.dir = filepath.Join(dir, fmt.Sprintf("demo-%g-%d", d.Scale, d.Seed))
		s := Start(t, append(d.args(c.dir), "--access-log=false")...)
		s.WaitReady(5 * time.Minute)
		s.WaitLog("demo case history", time.Minute)
		s.Stop()
		c.ready = true
	})
	if !c.ready {
		t.Fatalf("the demo city %+v could not be generated: see the first test that asked for it", d)
	}
	return filepath.Join(c.dir, StoreFile)
}

// StoreFile is the name of the store in a data directory.
const StoreFile = "citygrid.gpkg"

// CopyTo copies the demo city's store into the data directory dir.
func (d Demo) CopyTo(t testing.TB, dir string) {
	t.Helper()
	b, err := os.ReadFile(d.Store(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, StoreFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Dir returns a new temporary data directory holding a copy of the city.
func (d Demo) Dir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	d.CopyTo(t, dir)
	return dir
}
