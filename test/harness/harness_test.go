package harness

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// status answers the status of an anonymous GET of path on s, with an
// optional bearer token.
func status(t *testing.T, s *Server, path, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAKilledServerRestartsOnItsAddressAndDirectory: a token issued with
// the CLI before the first start is accepted, the server is killed with
// SIGKILL, and the restarted one answers on the same address from the
// same store, so the token still works; a graceful stop then exits 0.
func TestAKilledServerRestartsOnItsAddressAndDirectory(t *testing.T) {
	dir := Demo{Scale: 0.02}.Dir(t)
	token := Token(t, dir, "harness", "admin")
	if !strings.HasPrefix(token, "cgt_") {
		t.Fatalf("token create printed %q", token)
	}
	s := Serve(t, dir, "--access-log=false")
	if st := status(t, s, "/api/v1/whoami", token); st != http.StatusOK {
		t.Fatalf("whoami with the CLI's token: %d", st)
	}
	s.Kill()
	if err := s.Err(); err == nil {
		t.Fatal("a server killed with SIGKILL reports exit status 0")
	}
	r := s.Restart()
	if r.URL != s.URL {
		t.Fatalf("restarted on %s, first on %s", r.URL, s.URL)
	}
	if st := status(t, r, "/api/v1/whoami", token); st != http.StatusOK {
		t.Fatalf("whoami after the restart: %d", st)
	}
	r.Stop()
	if !strings.Contains(r.Logs(), "msg=stopped") {
		t.Errorf("no 'stopped' line in the logs:\n%s", r.Logs())
	}
}

// TestServersTakeSettingsFromTheTestOnly: a CITYGRID_* variable of the
// environment go test runs in does not reach the server, while one the
// test passes with StartEnv does. public_lookups decides whether an
// anonymous locate is answered (200 or 404) or refused (401).
func TestServersTakeSettingsFromTheTestOnly(t *testing.T) {
	dir := Demo{Scale: 0.02}.Dir(t)
	const locate = "/api/v1/locate?lon=118.78&lat=31.99"
	t.Setenv("CITYGRID_PUBLIC_LOOKUPS", "false")
	inherited := Serve(t, dir, "--access-log=false")
	if st := status(t, inherited, locate, ""); st == http.StatusUnauthorized {
		t.Errorf("anonymous locate: %d with the shell's CITYGRID_PUBLIC_LOOKUPS=false, which must not reach the server", st)
	}
	inherited.Stop()
	given := StartEnv(t, []string{"CITYGRID_PUBLIC_LOOKUPS=false"}, "serve", "--dir", dir, "--access-log=false")
	given.WaitReady(2 * time.Minute)
	if st := status(t, given, locate, ""); st != http.StatusUnauthorized {
		t.Errorf("anonymous locate: %d with the test's CITYGRID_PUBLIC_LOOKUPS=false, want 401", st)
	}
	given.Stop()
}
