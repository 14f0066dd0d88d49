package harness

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Grace is how long a server has to exit after SIGTERM (Stop, Wait)
// before the test fails and the process is killed.
const Grace = 30 * time.Second

// Server is one running citygrid process that listens on a free loopback
// port: `serve`, or `demo`, which generates the city and then serves it.
type Server struct {
	// URL is where the server answers, http://127.0.0.1:PORT.
	URL string
	// Addr is the HOST:PORT it listens on.
	Addr string

	t      testing.TB
	args   []string // the subcommand and its flags, without --addr
	env    []string
	cmd    *exec.Cmd
	logs   *logBuffer
	exited chan struct{}
	err    error // the exit error, valid once exited is closed
}

// logBuffer keeps a process's output for the test to read while the
// process still writes it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// FreeAddr returns a loopback HOST:PORT that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Start runs `citygrid args... --addr FREE` and returns at once, without
// waiting for the server to be ready (WaitReady does). The process is
// killed when the test ends, and its output is logged if the test failed.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	return StartEnv(t, nil, args...)
}

// StartEnv is Start with variables added to the environment
// ("CITYGRID_PUBLIC_LOOKUPS=true").
func StartEnv(t testing.TB, env []string, args ...string) *Server {
	t.Helper()
	return launch(t, FreeAddr(t), env, args)
}

// Serve starts `citygrid serve --dir dir more...` and waits until it is
// ready.
func Serve(t testing.TB, dir string, more ...string) *Server {
	t.Helper()
	s := Start(t, append([]string{"serve", "--dir", dir}, more...)...)
	s.WaitReady(2 * time.Minute)
	return s
}

func launch(t testing.TB, addr string, env, args []string) *Server {
	t.Helper()
	s := &Server{
		URL: "http://" + addr, Addr: addr, t: t, args: args, env: env,
		logs: new(logBuffer), exited: make(chan struct{}),
	}
	s.cmd = command(context.Background(), t, env, append(append([]string{}, args...), "--addr", addr)...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			t.Logf("citygrid %s --addr %s output:\n%s", strings.Join(args, " "), addr, s.logs)
		}
	})
	return s
}

// Restart starts the same command on the same address again, once this
// process has exited, and waits until the new one is ready: a server
// restarted on its data directory.
func (s *Server) Restart() *Server {
	s.t.Helper()
	select {
	case <-s.exited:
	default:
		s.t.Fatalf("restart: citygrid %s is still running", strings.Join(s.args, " "))
	}
	n := launch(s.t, s.Addr, s.env, s.args)
	n.WaitReady(2 * time.Minute)
	return n
}

// readyClient polls readiness; one probe may not hang the wait.
var readyClient = &http.Client{Timeout: 5 * time.Second}

// WaitReady polls /readyz until it answers 200. While the server starts it
// must answer 503 (the start-up gate); any other status, an exit or the
// timeout fails the test.
func (s *Server) WaitReady(timeout time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			s.t.Fatalf("citygrid exited before it was ready: %v", s.err)
		default:
		}
		resp, err := readyClient.Get(s.URL + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			if resp.StatusCode != http.StatusServiceUnavailable {
				s.t.Fatalf("/readyz answered %s while starting; want 503 then 200", resp.Status)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("citygrid not ready after %s", timeout)
}

// Logs returns what the process has written to standard output and error
// so far (the server flushes its log every 100 ms).
func (s *Server) Logs() string { return s.logs.String() }

// WaitLog waits up to timeout for the logs to contain text and reports
// whether they do.
func (s *Server) WaitLog(text string, timeout time.Duration) bool {
	for end := time.Now().Add(timeout); !strings.Contains(s.logs.String(), text); {
		if time.Now().After(end) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// Pid is the process id, e.g. to read its resident set from /proc.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Signal sends sig to the process without waiting for anything.
func (s *Server) Signal(sig os.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		select {
		case <-s.exited:
		default:
			s.t.Fatal(err)
		}
	}
}

// Exited is closed once the process has exited.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// Err is the process's exit error (nil after exit status 0); it is valid
// once Exited is closed.
func (s *Server) Err() error { return s.err }

// Wait waits up to Grace for the process to exit and returns its exit
// error; a process still running after Grace fails the test.
func (s *Server) Wait() error {
	s.t.Helper()
	select {
	case <-s.exited:
		return s.err
	case <-time.After(Grace):
		s.Kill()
		s.t.Fatalf("citygrid did not exit within %s", Grace)
		return nil
	}
}

// Stop sends SIGTERM and fails the test unless the process exits with
// status 0 within Grace: the graceful shutdown an operator relies on.
func (s *Server) Stop() {
	s.t.Helper()
	s.Signal(syscall.SIGTERM)
	if err := s.Wait(); err != nil {
		s.t.Fatalf("citygrid exited uncleanly after SIGTERM: %v", err)
	}
}

// Kill sends SIGKILL (no shutdown of any kind, as in a power cut or an
// OOM kill) and waits for the process to be gone. Killing a process that
// has exited does nothing.
func (s *Server) Kill() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}
