// Package fault tests that citygrid loses nothing it acknowledged and
// never corrupts its store when the process is killed mid-write, the disk
// fills up or the store becomes read-only. The tests run the real binary.
// The disk tests mount small tmpfs file systems and are skipped where
// mounting is not allowed (not root, no CAP_SYS_ADMIN).
package fault

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"citygrid/test/harness"
)

// city is the demo city every test starts from (a fresh copy each).
var city = harness.Demo{Scale: 0.02}

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }

// result of one token write.
type result struct {
	status int
	id     string
	token  string
	body   string
}

var client = &http.Client{Timeout: 10 * time.Second}

// issue writes one token through the API.
func issue(base, admin, user string) (result, error) {
	req, _ := http.NewRequest("POST", base+"/api/v1/tokens", strings.NewReader(`{"user":"`+user+`","role":"inspector"}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, body: string(b)}
	if resp.StatusCode == http.StatusCreated {
		var v struct{ ID, Token string }
		if err := json.Unmarshal(b, &v); err != nil {
			return r, err
		}
		r.id, r.token = v.ID, v.Token
	}
	return r, nil
}

// writers issues tokens from n goroutines until stop is closed and returns
// every acknowledged (201) id and every other answer.
func writers(base, admin string, n int, stop <-chan struct{}) (acked []result, other []result) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r, err := issue(base, admin, fmt.Sprintf("w%d-%d", w, i))
				mu.Lock()
				switch {
				case err != nil:
					// The connection died with the process: not acknowledged.
				case r.status == http.StatusCreated:
					acked = append(acked, r)
				default:
					other = append(other, r)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return acked, other
}

// checkStore opens the store after the server is gone: integrity_check
// must pass and every acknowledged token must be there.
func checkStore(t *testing.T, dir string, acked []result) {
	t.Helper()
	checkStoreDSN(t, "file:"+filepath.Join(dir, "citygrid.gpkg"), acked)
}

func checkStoreDSN(t *testing.T, dsn string, acked []result) {
	t.Helper()
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q, %v", ok, err)
	}
	if len(acked) == 0 {
		return
	}
	stored := map[string]bool{}
	rows, err := db.Query(`SELECT id FROM citygrid_tokens`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		stored[id] = true
	}
	rows.Close()
	lost := 0
	for _, r := range acked {
		if !stored[r.id] {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged writes are not in the store", lost, len(acked))
	}
	t.Logf("%d acknowledged writes, all stored (%d rows)", len(acked), len(stored))
}

// TestSIGKILLDuringWritesLosesNothingAcknowledged kills the server with
// SIGKILL while eight clients write, then checks the store file and
// restarts the server on it: every write that was answered 201 is stored
// and works, and integrity_check passes.
func TestSIGKILLDuringWritesLosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	city.CopyTo(t, dir)
	admin := harness.Token(t, dir, "fault-admin", "admin")
	s := harness.Serve(t, dir, "--access-log=false")
	stop := make(chan struct{})
	var acked, other []result
	done := make(chan struct{})
	go func() { acked, other = writers(s.URL, admin, 8, stop); close(done) }()
	time.Sleep(1500 * time.Millisecond)
	s.Kill()
	close(stop)
	<-done
	if len(other) > 0 {
		t.Fatalf("%d writes answered other than 201, e.g. %d %s", len(other), other[0].status, other[0].body)
	}
	if len(acked) < 20 {
		t.Fatalf("only %d writes acknowledged before the kill: the test did not exercise writes", len(acked))
	}
	checkStore(t, dir, acked)
	// The restarted server authenticates the last acknowledged token.
	s2 := s.Restart()
	last := acked[len(acked)-1]
	req, _ := http.NewRequest("GET", s2.URL+"/api/v1/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+last.token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("token acknowledged before the kill: %d after restart", resp.StatusCode)
	}
}

// mountTmpfs mounts a tmpfs of size bytes at dir, or skips the test.
func mountTmpfs(t *testing.T, dir string, size int64) {
	t.Helper()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): needs root or CAP_SYS_ADMIN", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
}

// errorBody is the API's error answer.
type errorBody struct {
	Error string `json:"error"`
}

// TestFullDiskGivesClearErrorsAndNoCorruption puts the store on a tmpfs
// with little room and writes until the disk is full: the writes that do
// not fit are answered 503 with a JSON error saying the disk is full,
// reads go on, nothing acknowledged is lost and the file passes
// integrity_check.
func TestFullDiskGivesClearErrorsAndNoCorruption(t *testing.T) {
	dir := t.TempDir()
	fi, err := os.Stat(city.Store(t))
	if err != nil {
		t.Fatal(err)
	}
	mountTmpfs(t, dir, fi.Size()+1<<20)
	city.CopyTo(t, dir)
	admin := harness.Token(t, dir, "fault-admin", "admin")
	s := harness.Serve(t, dir, "--access-log=false")
	var acked []result
	var full *result
	for i := 0; i < 5000 && full == nil; i++ {
		r, err := issue(s.URL, admin, fmt.Sprintf("fill-%d", i))
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		switch r.status {
		case http.StatusCreated:
			acked = append(acked, r)
		default:
			full = &r
		}
	}
	if full == nil {
		t.Fatalf("5000 writes fitted into a 1 MiB margin")
	}
	var eb errorBody
	if full.status != http.StatusServiceUnavailable || json.Unmarshal([]byte(full.body), &eb) != nil || !strings.Contains(eb.Error, "disk full") {
		t.Fatalf("write on a full disk: %d %s, want 503 JSON saying disk full", full.status, full.body)
	}
	t.Logf("disk full after %d writes: %s", len(acked), eb.Error)
	// A component edit on the full disk fails the same way.
	code := componentCodes(t, s.URL, 1)[0]
	resp0, err := client.Get(s.URL + "/api/v1/components/" + code)
	if err != nil {
		t.Fatal(err)
	}
	resp0.Body.Close()
	st, _, body, err := patchComponentBody(s.URL, admin, code, resp0.Header.Get("ETag"), "damaged")
	if err != nil {
		t.Fatal(err)
	}
	if st != http.StatusServiceUnavailable || !strings.Contains(body, "full") {
		t.Errorf("component edit on a full disk: %d %s, want 503 saying the disk is full", st, body)
	} else {
		t.Logf("component edit on a full disk: %d %s", st, strings.TrimSpace(body))
	}
	// Reads still work, and so does the server's health.
	resp, err := client.Get(s.URL + "/api/v1/locate?lon=118.75&lat=31.98")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 404 {
		t.Errorf("locate on a full disk: %d", resp.StatusCode)
	}
	s.Signal(syscall.SIGTERM)
	_ = s.Wait() // the exit status of a server on a full disk is not the point here
	checkStore(t, dir, acked)
}

// TestReadOnlyStoreFailsClearly: a store on a read-only file system
// (SQLite in WAL mode must write the -wal and -shm files beside it) stops
// the server at start-up with an error that says so, and leaves the file
// intact. A store that turns read-only or full under a running server is
// covered by the full-disk test: the same SQLite error class answers 503.
// (Remounting read-only under a server that has the store open for
// writing is refused by the kernel, so that case cannot be staged here.)
func TestReadOnlyStoreFailsClearly(t *testing.T) {
	dir := t.TempDir()
	mountTmpfs(t, dir, 64<<20)
	city.CopyTo(t, dir)
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, "size=67108864"); err != nil {
		t.Skipf("remount read-only: %v", err)
	}
	out, err := harness.Combined(t, "serve", "--dir", dir, "--addr", harness.FreeAddr(t))
	if err == nil || !strings.Contains(out, "data directory is not writable") || !strings.Contains(out, "read-only file system") {
		t.Fatalf("serve on a read-only directory: %v\n%s", err, out)
	}
	t.Logf("%s", out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	// No -wal exists after a copy, so the file alone is the store.
	checkStoreDSN(t, "file:"+filepath.Join(dir, "citygrid.gpkg")+"?immutable=1", nil)
}

// componentCodes returns n component codes of category 0101 in the city.
// coversURL asks for n surveyed covers (0101) within the served city's
// bounds.
func coversURL(t *testing.T, base string, n int) string {
	t.Helper()
	var tj struct {
		Bounds []float64 `json:"bounds"`
	}
	resp, err := client.Get(base + "/tiles/city.json")
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&tj)
	resp.Body.Close()
	if len(tj.Bounds) != 4 {
		t.Fatalf("TileJSON bounds %v", tj.Bounds)
	}
	return fmt.Sprintf("%s/api/v1/within?bbox=%g,%g,%g,%g&category=0101&limit=%d", base, tj.Bounds[0], tj.Bounds[1], tj.Bounds[2], tj.Bounds[3], n)
}

// coverPositions are the positions of n surveyed covers (0101) of the
// served city: points inside it.
func coverPositions(t *testing.T, base string, n int) [][2]float64 {
	t.Helper()
	resp, err := client.Get(coversURL(t, base, n))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var w struct {
		Components []struct {
			Geometry struct {
				Coordinates [2]float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"components"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&w); err != nil || len(w.Components) < n {
		t.Fatalf("within: %v, %d components", err, len(w.Components))
	}
	out := make([][2]float64, len(w.Components))
	for i, c := range w.Components {
		out[i] = c.Geometry.Coordinates
	}
	return out
}

func componentCodes(t *testing.T, base string, n int) []string {
	t.Helper()
	resp, err := client.Get(coversURL(t, base, n))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var w struct {
		Components []struct{ Code string } `json:"components"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&w); err != nil || len(w.Components) < n {
		t.Fatalf("within: %v, %d components", err, len(w.Components))
	}
	var codes []string
	for _, c := range w.Components {
		codes = append(codes, c.Code)
	}
	return codes
}

// patchComponent sends one conditional edit and returns the status and
// the new ETag.
func patchComponent(base, token, code, etag, status string) (int, string, error) {
	st, et, _, err := patchComponentBody(base, token, code, etag, status)
	return st, et, err
}

func patchComponentBody(base, token, code, etag, status string) (int, string, string, error) {
	req, _ := http.NewRequest("PATCH", base+"/api/v1/components/"+code, strings.NewReader(`{"type":"Feature","properties":{"status":"`+status+`"}}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("If-Match", etag)
	req.Header.Set("Content-Type", "application/geo+json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("ETag"), string(b), nil
}

// TestSIGKILLDuringComponentEditsKeepsEveryAcknowledgedVersion: six
// surveyors edit their own component in a loop with If-Match; the server
// is killed with SIGKILL; after a restart every component is at least at
// the version last acknowledged to its surveyor (at most one further,
// the edit in flight), and the store passes integrity_check.
func TestSIGKILLDuringComponentEditsKeepsEveryAcknowledgedVersion(t *testing.T) {
	dir := t.TempDir()
	city.CopyTo(t, dir)
	tok := harness.Token(t, dir, "fault-surveyor", "surveyor")
	s := harness.Serve(t, dir, "--access-log=false")
	codes := componentCodes(t, s.URL, 6)
	acked := make([]string, len(codes)) // last acknowledged ETag per code
	first := make([]string, len(codes)) // ETag before the first edit
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []string
	for i, code := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get(s.URL + "/api/v1/components/" + code)
			if err != nil {
				return
			}
			resp.Body.Close()
			etag := resp.Header.Get("ETag")
			mu.Lock()
			first[i] = etag
			mu.Unlock()
			for n := 0; ; n++ {
				st, next, err := patchComponent(s.URL, tok, code, etag, []string{"damaged", "intact"}[n%2])
				if err != nil {
					return // the server is gone
				}
				if st != http.StatusOK {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("%s: %d", code, st))
					mu.Unlock()
					return
				}
				etag = next
				mu.Lock()
				acked[i] = etag
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	s.Kill()
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("edits answered other than 200: %v", bad)
	}
	checkStore(t, dir, nil)
	s2 := s.Restart()
	total := 0
	for i, code := range codes {
		var want, v0 int
		if _, err := fmt.Sscanf(strings.TrimPrefix(acked[i], `"`+code+`-v`), "%d", &want); err != nil {
			t.Fatalf("%s: acknowledged ETag %q", code, acked[i])
		}
		_, _ = fmt.Sscanf(strings.TrimPrefix(first[i], `"`+code+`-v`), "%d", &v0)
		total += want - v0
		resp, err := client.Get(s2.URL + "/api/v1/components/" + code)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var got int
		_, _ = fmt.Sscanf(strings.TrimPrefix(resp.Header.Get("ETag"), `"`+code+`-v`), "%d", &got)
		if got < want || got > want+1 {
			t.Errorf("%s: version %d after restart, acknowledged %d", code, got, want)
		}
	}
	if total < 20 {
		t.Fatalf("only %d edits acknowledged before the kill", total)
	}
	t.Logf("%d component edits acknowledged before SIGKILL, all kept", total)
}

// TestSIGTERMDuringWritesFinishesThemAndExitsCleanly: a graceful stop
// under eight writers answers every request it accepted (no 5xx), exits
// 0, and every acknowledged write is in the store, which is checkpointed
// (no write-ahead log left behind) and passes integrity_check.
func TestSIGTERMDuringWritesFinishesThemAndExitsCleanly(t *testing.T) {
	dir := t.TempDir()
	city.CopyTo(t, dir)
	admin := harness.Token(t, dir, "fault-admin", "admin")
	s := harness.Serve(t, dir, "--access-log=false")
	stop := make(chan struct{})
	var acked, other []result
	done := make(chan struct{})
	go func() { acked, other = writers(s.URL, admin, 8, stop); close(done) }()
	time.Sleep(1000 * time.Millisecond)
	s.Signal(syscall.SIGTERM)
	exitErr := s.Wait() // fails the test unless it exits within harness.Grace
	close(stop)
	<-done
	if exitErr != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", exitErr, s.Logs())
	}
	for _, r := range other {
		if r.status >= 500 {
			t.Fatalf("a write answered %d during shutdown: %s", r.status, r.body)
		}
	}
	if len(acked) < 20 {
		t.Fatalf("only %d writes acknowledged", len(acked))
	}
	if fi, err := os.Stat(filepath.Join(dir, "citygrid.gpkg-wal")); err == nil && fi.Size() > 0 {
		t.Errorf("a %d-byte write-ahead log is left after a clean stop", fi.Size())
	}
	checkStore(t, dir, acked)
}

// TestConcurrentWritersOfDifferentKinds runs case reports and component
// edits at the same time: every write must succeed. Write transactions
// that began DEFERRED, read, and then tried to upgrade to a write after the
// other store committed failed at once with "database is locked" (3 of 160
// case reports answered 500 and 10 of 160 edits 503); the stores' write
// transactions now begin IMMEDIATE.
func TestConcurrentWritersOfDifferentKinds(t *testing.T) {
	dir := t.TempDir()
	city.CopyTo(t, dir)
	tokenFor := func(role string) string {
		return harness.Token(t, dir, "cross-"+role, role)
	}
	inspector, surveyor := tokenFor("inspector"), tokenFor("surveyor")
	s := harness.Serve(t, dir, "--access-log=false")
	codes := componentCodes(t, s.URL, 2)
	// Reports outside the city are refused: report where surveyed
	// covers are.
	at := coverPositions(t, s.URL, 120)
	var mu sync.Mutex
	var failures []string
	fail := func(f string) {
		mu.Lock()
		failures = append(failures, f)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 60 {
				p := at[w*60+i]
				body := fmt.Sprintf(`{"kind":"event","category":"0101","lon":%.6f,"lat":%.6f,"description":"x"}`, p[0], p[1])
				req, _ := http.NewRequest("POST", s.URL+"/api/v1/cases", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+inspector)
				resp, err := client.Do(req)
				if err != nil {
					fail(err.Error())
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					fail(fmt.Sprintf("case report: %d %s", resp.StatusCode, b))
				}
			}
		}()
		go func() {
			defer wg.Done()
			code := codes[w]
			resp, err := client.Get(s.URL + "/api/v1/components/" + code)
			if err != nil {
				fail(err.Error())
				return
			}
			resp.Body.Close()
			etag := resp.Header.Get("ETag")
			for i := range 60 {
				st, next, body, err := patchComponentBody(s.URL, surveyor, code, etag, []string{"damaged", "intact"}[i%2])
				if err != nil {
					fail(err.Error())
					return
				}
				if st != http.StatusOK {
					fail(fmt.Sprintf("component edit: %d %s", st, body))
					return
				}
				etag = next
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d writes failed, e.g. %s", len(failures), failures[0])
	}
}
