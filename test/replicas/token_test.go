package replicas

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"citygrid/test/harness"
)

// TestTokenCLIOnPostgres: `citygrid token create --store postgres://...`
// issues a token that a `serve --store` replica accepts for an edit at
// once; `token list --store` shows it; `token revoke --store` makes the
// replica refuse it (401) within the revocation poll (1 s; 3 s allowed).
func TestTokenCLIOnPostgres(t *testing.T) {
	city(t)
	a := startReplica(t, "A", t.TempDir())
	cli := func(args ...string) string {
		t.Helper()
		return harness.MustRun(t, append([]string{"token"}, args...)...)
	}
	tok := cli("create", "--store", pgURL, "--user", "cli-surveyor", "--role", "surveyor", "--note", "replica cli")
	if !strings.HasPrefix(tok, "cgt_") {
		t.Fatalf("token create printed %q", tok)
	}
	if st := a.create(tok, 700); st != http.StatusCreated {
		t.Fatalf("create with the CLI's token: %d", st)
	}
	var id string
	for _, line := range strings.Split(cli("list", "--store", pgURL), "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[1] == "cli-surveyor" {
			id = f[0]
		}
	}
	if id == "" {
		t.Fatal("token list --store does not show the token")
	}
	cli("revoke", "--store", pgURL, id)
	start := time.Now()
	for a.create(tok, 701) != http.StatusUnauthorized {
		if time.Since(start) > 3*time.Second {
			t.Fatal("the replica still accepts the token 3 s after token revoke --store")
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.Stop()
}
