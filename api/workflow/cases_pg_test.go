package workflow_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"citygrid/api"
	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
	"citygrid/data"
)

// TestMain stops the throwaway PostgreSQL cluster testPostgres started,
// if any.
func TestMain(m *testing.M) {
	code := m.Run()
	apitest.StopPostgres()
	os.Exit(code)
}

// pgCaseServers serves gpkgtest.City twice, as two replicas whose cases
// are in one PostgreSQL schema (each its own PGStore), with a token per
// role (those of newCaseTestServer).
func pgCaseServers(t *testing.T) (a, b http.Handler) {
	t.Helper()
	st, ix := apitest.StoredCity(t, t.TempDir())
	pg := apitest.PGCases(t, 2)
	tokens := auth.StaticTokens{
		"ins":  {User: "insp1", Role: data.RoleInspector},
		"opr":  {User: "op1", Role: data.RoleOperator},
		"sup":  {User: "boss", Role: data.RoleSupervisor},
		"dis":  {User: "disp1", Role: data.RoleDispatcher},
		"dis2": {User: "disp2", Role: data.RoleDispatcher},
		"vie":  {User: "viewer1", Role: data.RoleViewer},
		"adm":  {User: "root", Role: data.RoleAdmin},
	}
	var hs []http.Handler
	for _, cs := range pg {
		h, err := routertest.Server(t, city.Config{Store: st, Index: ix, Dir: t.TempDir(), Cases: cs}, api.Config{Auth: tokens, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := h.(interface{ Close() error }); ok {
			t.Cleanup(func() { c.Close() })
		}
		hs = append(hs, h)
	}
	return hs[0], hs[1]
}

// openCases is the board's count of open cases (GET /api/v1/stats/today).
func openCases(t *testing.T, h http.Handler) int {
	t.Helper()
	var ans struct {
		Open int `json:"open"`
	}
	rec := apitest.Call(t, h, "GET", "/api/v1/stats/today", "vie", "")
	if rec.Code != 200 {
		t.Fatalf("today: %d %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
		t.Fatal(err)
	}
	return ans.Open
}

// waitOpen waits (up to 10 s: a deadline, not a measurement) until h's
// board counts want open cases.
func waitOpen(t *testing.T, h http.Handler, want int, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got := openCases(t, h)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the other replica's board counts %d open cases, want %d", what, got, want)
		}
	}
}

// TestCasesHTTPTwoReplicasOnPostgres: two servers sharing their cases in
// PostgreSQL. A case reported through A is read, registered and shown on
// B's board (B follows A's writes through LISTEN); two dispatchers, one
// through each server, dispatch it at the same version at once: one gets
// 200, the other 409 with the stored state, and one dispatch is recorded.
// A case reported through B reaches A's board too.
func TestCasesHTTPTwoReplicasOnPostgres(t *testing.T) {
	a, b := pgCaseServers(t)
	// A dispatches events by hand (the queue), as in
	// TestCasesHTTPConfigAndDispatcherQueue.
	set := `{"max_extensions":2,"max_extension_factor":1,"arbitration_after":2,"duplicate_radius_m":30,"duplicate_window_h":72,"auto_dispatch_rules":["component_maintainer","component_owner"],"due_soon_fraction":0.8,"max_photo_bytes":1048576}`
	apitest.MustStatus(t, apitest.Call(t, a, "PUT", "/api/v1/cases/config/settings", "adm", set, "If-Match", `"0"`), 200)
	m := apitest.MustStatus(t, apitest.Call(t, a, "POST", "/api/v1/cases", "opr", `{"kind":"event","category":"0101","lon":118.775,"lat":31.998,"description":"垃圾"}`), 201)
	id := int64(m["id"].(float64))
	waitOpen(t, b, 1, "a case reported through A")
	apitest.MustStatus(t, apitest.Call(t, b, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/verify", id), "ins", ""), 200)
	r := apitest.MustStatus(t, apitest.Call(t, a, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/register", id), "sup", ""), 200)
	c := r["case"].(map[string]any)
	version := fmt.Sprintf(`"%v"`, c["version"])
	if c["state"] != "registered" || version != `"3"` {
		t.Fatalf("registered through A after a verify through B: %v at version %s", c["state"], version)
	}
	recs := make([]*httptest.ResponseRecorder, 2)
	var wg sync.WaitGroup
	for i, h := range []http.Handler{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := []string{"dis", "dis2"}[i]
			recs[i] = apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/dispatch", id), tok, `{"unit":"D0002"}`, "If-Match", version)
		}()
	}
	wg.Wait()
	codes := []int{recs[0].Code, recs[1].Code}
	if !(codes[0] == 200 && codes[1] == 409 || codes[0] == 409 && codes[1] == 200) {
		t.Fatalf("two dispatchers at version %s: %v (%s | %s)", version, codes, recs[0].Body, recs[1].Body)
	}
	loser := recs[0]
	if codes[0] == 200 {
		loser = recs[1]
	}
	if e := apitest.DecodeBody(t, loser); fmt.Sprint(e["details"]) == "" || !strings.Contains(loser.Body.String(), "dispatched") {
		t.Errorf("the 409 does not name the stored state: %s", loser.Body)
	}
	tr := apitest.Call(t, a, "GET", fmt.Sprintf("/api/v1/cases/%d/transitions", id), "vie", "")
	if n := strings.Count(tr.Body.String(), `"action":"dispatch"`); tr.Code != 200 || n != 1 {
		t.Fatalf("%d dispatch transitions stored (%d): %s", n, tr.Code, tr.Body)
	}
	apitest.MustStatus(t, apitest.Call(t, b, "POST", "/api/v1/cases", "opr", `{"kind":"event","category":"0101","lon":118.776,"lat":31.997}`), 201)
	waitOpen(t, a, 2, "a case reported through B")
	waitOpen(t, b, 2, "B's own case")
}

// TestCaseAttachmentsAcrossReplicasOnPostgres: a photo uploaded through
// one replica is served, byte for byte, by the other (the shared case
// store keeps the bytes: the replicas share no disk).
func TestCaseAttachmentsAcrossReplicasOnPostgres(t *testing.T) {
	a, b := pgCaseServers(t)
	m := apitest.MustStatus(t, apitest.Call(t, a, "POST", "/api/v1/cases", "opr", `{"kind":"event","category":"0101","lon":118.775,"lat":31.998}`), 201)
	id := int64(m["id"].(float64))
	png := noisyPNG(t, 32, 32, true)
	at := apitest.MustStatus(t, apitest.Call(t, a, "POST", fmt.Sprintf("/api/v1/cases/%d/attachments", id), "opr", png), 201)
	sum := sha256.Sum256([]byte(png))
	if at["sha256"] != hex.EncodeToString(sum[:]) || at["size"].(float64) != float64(len(png)) || at["type"] != "image/png" {
		t.Fatalf("attachment %v", at)
	}
	url := fmt.Sprintf("/api/v1/cases/%d/attachments/%d", id, int64(at["id"].(float64)))
	for name, h := range map[string]http.Handler{"the replica that took it": a, "the other replica": b} {
		got := apitest.Call(t, h, "GET", url, "vie", "")
		if got.Code != 200 || got.Body.String() != png || got.Header().Get("Content-Type") != "image/png" || got.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d %q, %d bytes", name, got.Code, got.Header().Get("Content-Type"), got.Body.Len())
		}
	}
	list := apitest.MustStatus(t, apitest.Call(t, b, "GET", fmt.Sprintf("/api/v1/cases/%d/attachments", id), "vie", ""), 200)
	if n := len(list["attachments"].([]any)); n != 1 {
		t.Errorf("the other replica lists %d attachments", n)
	}
	apitest.MustStatus(t, apitest.Call(t, b, "GET", url+"0", "vie", ""), 404)
}
