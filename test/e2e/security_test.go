package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"citygrid/test/harness"
)

// authGet fetches path with a bearer token and returns the status.
func (s *server) authGet(path, token string) int {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	return decode(s.t, resp, nil)
}

// issueToken writes a token through the admin API.
func (s *server) issueToken(admin, user string) (id, token string, status int) {
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/tokens", strings.NewReader(`{"user":"`+user+`","role":"viewer"}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", 0
	}
	defer resp.Body.Close()
	var v struct{ ID, Token string }
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return v.ID, v.Token, resp.StatusCode
}

// TestTokensBackupAndRestoreOnTheRealBinary: a token made with the CLI
// works at once and stops working within a poll after 'token revoke'; a
// backup taken while clients write holds every write acknowledged before it
// started and passes integrity_check; restore refuses while the server
// runs, and after it the server serves the backed-up state.
func TestTokensBackupAndRestoreOnTheRealBinary(t *testing.T) {
	dir := t.TempDir()
	s := start(t, "demo", "--dir", dir, "--scale", scale, "--access-log=false")
	s.WaitReady(120 * time.Second)
	out, err := harness.Run(t, "token", "create", "--dir", dir, "--user", "e2e-admin", "--role", "admin")
	if err != nil {
		t.Fatal(err)
	}
	admin := strings.TrimSpace(out)
	if s.authGet("/api/v1/whoami", admin) != 200 {
		t.Fatal("a token made by the CLI is refused by the running server")
	}
	if _, err := harness.Run(t, "token", "create", "--dir", dir, "--user", "x", "--role", "unit"); err == nil || !strings.Contains(err.Error(), "unit") {
		t.Fatalf("a unit token without --unit: %v", err)
	}

	// A unit handler sees its own unit's cases only (the demo city's
	// case history is stored in the background at first start).
	for end := time.Now().Add(60 * time.Second); !strings.Contains(s.Logs(), "demo case history"); {
		if time.Now().After(end) {
			t.Fatal("no demo case history after 60 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	checkUnitScope(t, s, dir)

	// Writers run while the backup is taken.
	var mu sync.Mutex
	acked := map[string]string{} // id → token
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id, tok, st := s.issueToken(admin, fmt.Sprintf("w%d-%d", w, i))
				if st == http.StatusCreated {
					mu.Lock()
					acked[id] = tok
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	before := map[string]string{}
	for id, tok := range acked {
		before[id] = tok
	}
	mu.Unlock()
	backup := filepath.Join(t.TempDir(), "backup.gpkg")
	if _, err := harness.Run(t, "backup", "--dir", dir, "--out", backup); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if len(before) < 5 {
		t.Fatalf("only %d writes before the backup", len(before))
	}
	db, err := sql.Open("sqlite3", "file:"+backup+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("backup integrity_check: %q %v", ok, err)
	}
	inBackup := map[string]bool{}
	rows, err := db.Query(`SELECT id FROM citygrid_tokens`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		inBackup[id] = true
	}
	rows.Close()
	db.Close()
	for id := range before {
		if !inBackup[id] {
			t.Fatalf("token %s acknowledged before the backup started is not in it", id)
		}
	}
	t.Logf("backup while writing: %d writes acknowledged before it, %d tokens in it, %d acknowledged in all", len(before), len(inBackup), len(acked))

	// A token made after the backup, then revoked by the CLI.
	lateID, late, st := s.issueToken(admin, "late")
	if st != http.StatusCreated || s.authGet("/api/v1/whoami", late) != 200 {
		t.Fatalf("late token: %d", st)
	}
	if _, err := harness.Run(t, "token", "revoke", "--dir", dir, lateID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.authGet("/api/v1/whoami", late) != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatal("a token revoked with the CLI still works after 5 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	list, err := harness.Run(t, "token", "list", "--dir", dir)
	if err != nil || !strings.Contains(list, lateID) || !strings.Contains(list, "revoked") || strings.Contains(list, late) {
		t.Fatalf("token list: %v\n%s", err, list)
	}

	if _, err := harness.Run(t, "restore", "--dir", dir, "--from", backup); err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Fatalf("restore under a running server: %v", err)
	}
	s.Stop()
	if _, err := harness.Run(t, "restore", "--dir", dir, "--from", backup); err != nil {
		t.Fatal(err)
	}
	s2 := serve(t, dir, "--access-log=false")
	for id, tok := range before {
		if s2.authGet("/api/v1/whoami", tok) != 200 {
			t.Fatalf("token %s from the backup refused after restore", id)
		}
		break
	}
	if s2.authGet("/api/v1/whoami", late) != http.StatusUnauthorized {
		t.Fatal("a token made after the backup works after restore")
	}
	if code := s2.get("/api/v1/locate?lon=118.78&lat=31.99", nil); code != 200 && code != 404 {
		t.Fatalf("locate after restore: %d", code)
	}
	s2.Stop()
}

// checkUnitScope lists cases as a unit handler of the unit with the most
// cases: every case listed is that unit's, and another unit's handler
// cannot read one of them.
func checkUnitScope(t *testing.T, s *server, dir string) {
	t.Helper()
	out, err := harness.Run(t, "token", "create", "--dir", dir, "--user", "e2e-viewer", "--role", "viewer")
	if err != nil {
		t.Fatal(err)
	}
	viewer := strings.TrimSpace(out)
	type page struct {
		Cases []struct {
			ID   int64  `json:"id"`
			Unit string `json:"unit"`
		} `json:"cases"`
	}
	get := func(path, token string, v any) int {
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return decode(t, resp, v)
	}
	var all page
	if code := get("/api/v1/cases?limit=200", viewer, &all); code != 200 || len(all.Cases) == 0 {
		t.Fatalf("cases as a viewer: %d, %d cases", code, len(all.Cases))
	}
	count := map[string]int{}
	for _, c := range all.Cases {
		if c.Unit != "" {
			count[c.Unit]++
		}
	}
	unit, other := "", ""
	for u, n := range count {
		if unit == "" || n > count[unit] {
			unit = u
		}
	}
	for u := range count {
		if u != unit {
			other = u
		}
	}
	if unit == "" || other == "" {
		t.Fatalf("want cases of two units, have %v", count)
	}
	out, err = harness.Run(t, "token", "create", "--dir", dir, "--user", "e2e-unit", "--role", "unit", "--unit", unit)
	if err != nil {
		t.Fatal(err)
	}
	mine := strings.TrimSpace(out)
	var own page
	if code := get("/api/v1/cases?limit=200", mine, &own); code != 200 || len(own.Cases) == 0 {
		t.Fatalf("cases as unit %s: %d, %d cases", unit, code, len(own.Cases))
	}
	for _, c := range own.Cases {
		if c.Unit != unit {
			t.Fatalf("unit %s's handler sees case %d of unit %q", unit, c.ID, c.Unit)
		}
	}
	for _, c := range all.Cases {
		if c.Unit == other {
			if code := get(fmt.Sprintf("/api/v1/cases/%d", c.ID), mine, nil); code != http.StatusForbidden && code != http.StatusNotFound {
				t.Fatalf("unit %s's handler reads case %d of unit %s: %d", unit, c.ID, other, code)
			}
			break
		}
	}
	t.Logf("unit %s's handler sees %d cases, all its own; another unit's case is refused", unit, len(own.Cases))
}
