package workflow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"citygrid/api"
	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/httpx"
	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
	"citygrid/data"
	"citygrid/data/cases/pgcases"
	"citygrid/test/pgtest"
)

// Two replicas serve one PostgreSQL case store (Config.Cases): a case
// reported through one is handled through the other; two dispatchers on
// the two replicas race on it — one 200, one 409 — and each replica's case
// board (statistics) shows the winner's dispatch, the other replica's
// through the remote follow.
func TestCasesOnPostgreSQLAcrossReplicas(t *testing.T) {
	cl, err := pgtest.Start()
	if err != nil {
		if pgtest.InCI() {
			t.Fatalf("no PostgreSQL in CI: %v", err)
		}
		t.Skipf("no PostgreSQL: %v", err)
	}
	t.Cleanup(cl.Stop)
	ctx := context.Background()
	st, ix := apitest.StoredCity(t, t.TempDir())
	tokens := auth.StaticTokens{
		"ins": {User: "insp1", Role: data.RoleInspector},
		"opr": {User: "op1", Role: data.RoleOperator},
		"sup": {User: "boss", Role: data.RoleSupervisor},
		"d1":  {User: "disp1", Role: data.RoleDispatcher},
		"d2":  {User: "disp2", Role: data.RoleDispatcher},
		"vie": {User: "viewer1", Role: data.RoleViewer},
		"adm": {User: "root", Role: data.RoleAdmin},
	}
	replica := func() http.Handler {
		cs, err := pgcases.Open(ctx, cl.URL, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cs.Close() }) // after the city's Close: cleanups run last first
		h, err := routertest.Server(t, city.Config{Store: st, Index: ix, Dir: t.TempDir(), Cases: cs}, api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: tokens})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a := replica()
	// Events decided by the rule table wait for a dispatcher.
	set := `{"max_extensions":2,"max_extension_factor":1,"arbitration_after":2,"duplicate_radius_m":30,"duplicate_window_h":72,"auto_dispatch_rules":["component_maintainer","component_owner"],"due_soon_fraction":0.8,"max_photo_bytes":1048576}`
	apitest.MustStatus(t, apitest.Call(t, a, "PUT", "/api/v1/cases/config/settings", "adm", set, "If-Match", `"0"`), 200)
	b := replica() // loads the stored settings
	m := apitest.MustStatus(t, apitest.Call(t, a, "POST", "/api/v1/cases", "opr", `{"kind":"event","category":"0101","lon":118.775,"lat":31.998,"description":"垃圾"}`), 201)
	id := int64(m["id"].(float64))
	apitest.MustStatus(t, apitest.Call(t, b, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/verify", id), "ins", ""), 200)
	r := apitest.MustStatus(t, apitest.Call(t, a, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/register", id), "sup", ""), 200)
	if st := r["case"].(map[string]any)["state"]; st != "registered" {
		t.Fatalf("registered case is %v", st)
	}
	// The number names the case on both replicas (Open311 tokens).
	for _, h := range []http.Handler{a, b} {
		w := apitest.Call(t, h, "GET", "/open311/v2/tokens/"+m["number"].(string)+".json", "", "")
		if w.Code != 200 || !strings.Contains(w.Body.String(), fmt.Sprintf(`"%d"`, id)) {
			t.Fatalf("Open311 token: %d %s", w.Code, w.Body)
		}
	}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	bodies := make([]string, 2)
	for i, h := range []http.Handler{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := httptest.NewRecorder()
			req := httptest.NewRequest("POST", fmt.Sprintf("/api/v1/cases/%d/actions/dispatch", id), strings.NewReader(fmt.Sprintf(`{"unit":"%s"}`, []string{"D0003", "D0002"}[i])))
			req.Header.Set("Authorization", "Bearer "+[]string{"d1", "d2"}[i])
			req.Header.Set("Content-Type", "application/json")
			h.ServeHTTP(w, req)
			codes[i], bodies[i] = w.Code, w.Body.String()
		}()
	}
	wg.Wait()
	winner := -1
	switch {
	case codes[0] == 200 && codes[1] == 409:
		winner = 0
	case codes[0] == 409 && codes[1] == 200:
		winner = 1
	default:
		t.Fatalf("two dispatchers on two replicas: %d %s / %d %s; want one 200 and one 409", codes[0], bodies[0], codes[1], bodies[1])
	}
	unit := []string{"D0003", "D0002"}[winner]
	for name, h := range map[string]http.Handler{"a": a, "b": b} {
		c := apitest.MustStatus(t, apitest.Call(t, h, "GET", fmt.Sprintf("/api/v1/cases/%d", id), "vie", ""), 200)
		if c["unit"] != unit || c["state"] != "dispatched" {
			t.Fatalf("replica %s reads %v %v, want dispatched to %s", name, c["state"], c["unit"], unit)
		}
	}
	// Both boards count the dispatch to the winner's unit (the losing
	// replica's through the remote follow; wait for the notification).
	day := time.Now().In(httpx.ChinaTime).Format("2006-01-02")
	for name, h := range map[string]http.Handler{"a": a, "b": b} {
		deadline := time.Now().Add(10 * time.Second)
		for {
			w := apitest.Call(t, h, "GET", "/api/v1/stats?group=unit&from="+day+"&to="+day, "vie", "")
			var ans struct {
				Rows []map[string]any `json:"rows"`
			}
			json.Unmarshal(w.Body.Bytes(), &ans)
			found := false
			for _, row := range ans.Rows {
				found = found || row["key"] == unit
			}
			if found {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %s's board has no row for %s: %s", name, unit, w.Body)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Settings stored through B reach A's workflow: a photo A took before
	// is refused once B lowered the size limit.
	png := noisyPNG(t, 40, 40, true) // about 1,700 bytes
	attach := fmt.Sprintf("/api/v1/cases/%d/attachments", id)
	apitest.MustStatus(t, apitest.Call(t, a, "POST", attach, "adm", png), 201)
	apitest.MustStatus(t, apitest.Call(t, b, "PUT", "/api/v1/cases/config/settings", "adm", strings.Replace(set, "1048576", "1024", 1), "If-Match", `"1"`), 200)
	deadline := time.Now().Add(10 * time.Second)
	for {
		w := apitest.Call(t, a, "POST", attach, "adm", png)
		if w.Code == 400 || w.Code == 413 {
			break
		}
		if w.Code != 201 || time.Now().After(deadline) {
			t.Fatalf("replica a after b lowered max_photo_bytes: %d %s", w.Code, w.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
