package field_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
	"citygrid/data"
	"citygrid/spatial/crs"

	"github.com/paulmach/orb"
)

// A field app reports a problem, the answer is lost on the way back and
// the outbox sends the same request again: the server answers with the
// first case, and one case exists. The same key with another body is a
// client error; another user's same key is his own write.
func TestReportSentAgainAfterALostAnswerMakesOneCase(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	body := `{"kind":"event","category":"0101","lon":118.7655,"lat":31.9955,"description":"暴露垃圾"}`
	first := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "ins", body, "Idempotency-Key", "rep-1"), 201)
	again := apitest.Call(t, h, "POST", "/api/v1/cases", "ins", body, "Idempotency-Key", "rep-1")
	second := apitest.MustStatus(t, again, 201)
	if second["id"] != first["id"] || second["number"] != first["number"] || again.Header().Get("Idempotent-Replayed") != "true" ||
		again.Header().Get("Location") != fmt.Sprintf("/api/v1/cases/%v", first["id"]) {
		t.Fatalf("repeat answered case %v (replayed %q), first %v", second["id"], again.Header().Get("Idempotent-Replayed"), first["id"])
	}
	l := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases?category=0101&kind=event", "vie", ""), 200)
	if l["total"].(float64) != 1 {
		t.Fatalf("%v cases after the repeat, want 1", l["total"])
	}
	other := strings.Replace(body, "暴露垃圾", "另一处垃圾", 1)
	if e := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "ins", other, "Idempotency-Key", "rep-1"), 422); e["field"] != "Idempotency-Key" {
		t.Fatalf("key reused: %v", e)
	}
	// The operator's rep-1 is another write (a case of his own, linked to
	// the first as a duplicate of the same spot).
	op := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "opr", body, "Idempotency-Key", "rep-1"), 201)
	if op["id"] == first["id"] {
		t.Fatal("keys are shared between users")
	}
	// A refused write is not stored: after the fix the same key works.
	apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "vie", body, "Idempotency-Key", "rep-2"), 403)
	bad := apitest.Call(t, h, "POST", "/api/v1/cases", "ins", `{"kind":"event"}`, "Idempotency-Key", "rep-3")
	if bad.Code != 400 {
		t.Fatalf("bad report: %d", bad.Code)
	}
	if again := apitest.Call(t, h, "POST", "/api/v1/cases", "ins", `{"kind":"event"}`, "Idempotency-Key", "rep-3"); again.Code != 400 || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("a 400 is the write's answer too: %d %q", again.Code, again.Header().Get("Idempotent-Replayed"))
	}
	if e := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "ins", body, "Idempotency-Key", "bad key"), 400); e["field"] != "Idempotency-Key" {
		t.Fatalf("key with a space: %v", e)
	}
}

// A task result (核查 passed) sent twice is one transition.
func TestTaskResultSentAgainIsOneTransition(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	m := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "ins", `{"kind":"component","category":"0101","lon":118.76505,"lat":31.99502,"description":"井盖破损"}`), 201)
	id := m["id"]
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%v/actions/register", id), "sup", ""), 200)
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%v/actions/handle", id), "u3", `{"note":"已更换"}`), 200)
	for range 2 {
		apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%v/actions/check_pass", id), "ins", `{"note":"已修复"}`, "Idempotency-Key", "chk-1"), 200)
	}
	tr := apitest.MustStatus(t, apitest.Call(t, h, "GET", fmt.Sprintf("/api/v1/cases/%v/transitions", id), "vie", ""), 200)
	n := 0
	for _, x := range tr["transitions"].([]any) {
		if x.(map[string]any)["action"] == "check_pass" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d check_pass transitions", n)
	}
}

// A component edit sent twice with its If-Match: the repeat gets the first
// answer and its ETag, not 412, and the version moved once.
func TestComponentEditSentAgainIsOneVersion(t *testing.T) {
	h, _ := routertest.EditServer(t)
	const code = "3201140101000001"
	etag := apitest.Call(t, h, "GET", "/api/v1/components/"+code, "", "").Header().Get("ETag")
	patch := `{"type":"Feature","geometry":{"type":"Point","coordinates":[118.7651,31.9951]},"properties":{"status":"damaged"}}`
	a := apitest.Call(t, h, "PATCH", "/api/v1/components/"+code, "sur", patch, "If-Match", etag, "Idempotency-Key", "ed-1")
	b := apitest.Call(t, h, "PATCH", "/api/v1/components/"+code, "sur", patch, "If-Match", etag, "Idempotency-Key", "ed-1")
	if a.Code != 200 || b.Code != 200 || b.Header().Get("ETag") != a.Header().Get("ETag") || b.Body.String() != a.Body.String() {
		t.Fatalf("first %d %s, repeat %d %s", a.Code, a.Header().Get("ETag"), b.Code, b.Header().Get("ETag"))
	}
	if c := apitest.Call(t, h, "PATCH", "/api/v1/components/"+code, "sur", patch, "If-Match", etag); c.Code != 412 {
		t.Fatalf("without the key the stale If-Match is %d, want 412", c.Code)
	}
	hist := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/components/"+code+"/history", "", ""), 200)
	if fmt.Sprint(hist) == "" || strings.Count(fmt.Sprint(hist), "damaged") != 1 {
		t.Fatalf("history %v", hist)
	}
}

// Positions: the inspector writes his own, the supervisor and the leaders
// read, others are refused.
func TestPositionsByRole(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	now := time.Now().UTC().Format(time.RFC3339)
	batch := `{"crs":"wgs84","positions":[{"lon":118.7655,"lat":31.9955,"at":"` + now + `","accuracy":10}]}`
	apitest.MustStatus(t, apitest.Call(t, h, "PUT", "/api/v1/inspectors/me/duty", "ins", `{"on_duty":true}`), 200)
	if m := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/inspectors/me/positions", "ins", batch), 200); m["added"] != 1.0 {
		t.Fatalf("upload %v", m)
	}
	for _, tok := range []string{"sup", "opr", "u3", "cit"} {
		apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/inspectors/me/positions", tok, batch), 403)
	}
	apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/inspectors/me/positions", "", batch), 401)
	for _, tok := range []string{"ins", "opr", "u3", "cit", "dis"} {
		apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/inspectors/positions", tok, ""), 403)
	}
	for _, tok := range []string{"sup", "vie", "adm"} {
		m := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/inspectors/positions", tok, ""), 200)
		ins := m["inspectors"].([]any)
		if len(ins) != 1 {
			t.Fatalf("%s reads %v", tok, m)
		}
		i := ins[0].(map[string]any)
		if i["user"] != "insp1" || i["on_duty"] != true || i["unit_grid"] != "320114001001001" {
			t.Fatalf("%s reads %v", tok, i)
		}
	}
	tr := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/inspectors/insp1/track", "sup", ""), 200)
	if ps := tr["positions"].([]any); len(ps) != 1 {
		t.Fatalf("track %v", tr)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"positions":[{"lon":118.7,"lat":32,"at":"` + now + `"}]}`, "crs"},
		{`{"crs":"utm","positions":[{"lon":118.7,"lat":32,"at":"` + now + `"}]}`, "crs"},
		{`{"crs":"wgs84","positions":[]}`, "positions"},
		{`{"crs":"wgs84","positions":[{"lon":218.7,"lat":32,"at":"` + now + `"}]}`, "positions[0].lon"},
		{`{"crs":"wgs84","positions":[{"lat":32,"at":"` + now + `"}]}`, "positions[0]"},
		// older than the retention (30 days)
		{`{"crs":"wgs84","positions":[{"lon":118.7,"lat":32,"at":"` + time.Now().AddDate(0, 0, -31).UTC().Format(time.RFC3339) + `"}]}`, "positions[0].at"},
		{`{"crs":"wgs84","positions":[{"lon":118.7,"lat":32,"at":"` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}]}`, "positions[0].at"},
	} {
		if e := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/inspectors/me/positions", "ins", tc.body), 400); e["field"] != tc.field {
			t.Errorf("%s: field %v, want %s", tc.body, e["field"], tc.field)
		}
	}
	apitest.MustStatus(t, apitest.Call(t, h, "PUT", "/api/v1/inspectors/me/duty", "ins", `{}`), 400)
}

// GCJ-02 positions are converted before they are stored: the published
// pair of eviltransform (Shanghai) comes back as its WGS84 twin, and near
// a grid edge in the test city a GCJ-02 sample declared as such lands in
// the unit grid of its WGS84 twin, while the same numbers declared WGS84
// land ~500 m east, in the next grid.
func TestGCJ02PositionsLandWhereTheirWGS84Twin(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	at := time.Now().Add(-time.Minute).UTC()
	post := func(c string, lon, lat float64, at time.Time) {
		t.Helper()
		apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/inspectors/me/positions", "ins",
			fmt.Sprintf(`{"crs":%q,"positions":[{"lon":%v,"lat":%v,"at":%q}]}`, c, lon, lat, at.Format(time.RFC3339Nano))), 200)
	}
	apitest.MustStatus(t, apitest.Call(t, h, "PUT", "/api/v1/inspectors/me/duty", "ins", `{"on_duty":true}`), 200)
	post("gcj02", 121.531541859215, 31.17530398364597, at)
	tr := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/inspectors/insp1/track", "sup", ""), 200)
	p := tr["positions"].([]any)[0].(map[string]any)
	if d := data.HaversineM(orb.Point{p["lon"].(float64), p["lat"].(float64)}, orb.Point{121.5272106, 31.1774276}); d > 0.05 {
		t.Fatalf("stored %v, %.3f m from the published WGS84 twin", p, d)
	}
	lastGrid := func() string {
		m := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/inspectors/positions", "sup", ""), 200)
		g, _ := m["inspectors"].([]any)[0].(map[string]any)["unit_grid"].(string)
		return g
	}
	wgs := orb.Point{118.7685, 31.9950} // grid 320114001001001 ends at 118.77
	gcj := crs.WGS84ToGCJ02(wgs)
	if gcj[0] < 118.772 {
		t.Fatalf("the shift here is %v: the test needs it to cross the edge", gcj)
	}
	post("gcj02", gcj[0], gcj[1], at.Add(time.Second))
	if g := lastGrid(); g != "320114001001001" {
		t.Fatalf("GCJ-02 sample in grid %q, want its WGS84 twin's 320114001001001", g)
	}
	post("wgs84", gcj[0], gcj[1], at.Add(2*time.Second))
	if g := lastGrid(); g != "320114001001002" {
		t.Fatalf("the same numbers as WGS84 in grid %q", g)
	}
}

// The app's shell is served as it is (a service worker caches it: no
// redirect for index.html), revalidated on every load, and a screen path
// gets the shell.
func TestAppShellIsServedWithoutRedirects(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"index.html": "<!doctype html><title>城管通</title>", "sw.js": "// sw", "assets/app-1.js": "x"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("CITYGRID_FIELD_DIR", dir)
	h, _ := routertest.CaseServer(t)
	for _, tc := range []struct{ path, want, cache string }{
		{"/field/index.html", "城管通", "no-cache"},
		{"/field/", "城管通", "no-cache"},
		{"/field/tasks", "城管通", "no-cache"},
		{"/field/sw.js", "// sw", "no-cache"},
		{"/field/assets/app-1.js", "x", "public, max-age=31536000, immutable"},
	} {
		rec := apitest.Call(t, h, "GET", tc.path, "", "")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), tc.want) || rec.Header().Get("Cache-Control") != tc.cache {
			t.Errorf("%s: %d %q %q", tc.path, rec.Code, rec.Header().Get("Cache-Control"), rec.Body.String())
		}
	}
	if rec := apitest.Call(t, h, "GET", "/field/nothing.js", "", ""); rec.Code != 404 {
		t.Errorf("missing file: %d", rec.Code)
	}
	if rec := apitest.Call(t, h, "GET", "/field/../go.mod", "", ""); rec.Code == 200 {
		t.Errorf("path escape answered 200")
	}
}
