package workflow_test

import (
	"encoding/json"
	"fmt"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
)

func TestCasesHTTPAutoDispatchToComponentMaintainer(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	// A broken manhole cover 5 m from the surveyed one: its maintainer D0003.
	m := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "ins", `{"kind":"component","category":"0101","lon":118.76505,"lat":31.99502,"description":"井盖破损"}`), 201)
	id := int64(m["id"].(float64))
	if m["state"] != "verified" || m["unit_grid"] != "320114001001001" || m["street"] != "320114001" || m["community"] != "320114001001" {
		t.Fatalf("created %v", m)
	}
	// The operator may not register; the supervisor may.
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/register", id), "opr", ""), 403)
	r := apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/register", id), "sup", ""), 200)
	c := r["case"].(map[string]any)
	if c["state"] != "dispatched" || c["unit"] != "D0003" || c["dispatcher"] != "system" {
		t.Fatalf("auto-dispatch: %v", c)
	}
	var res struct {
		Auto    bool   `json:"auto"`
		Rule    string `json:"rule"`
		Unit    string `json:"unit"`
		Reasons []struct {
			Rule    string `json:"rule"`
			Decided bool   `json:"decided"`
		} `json:"reasons"`
	}
	b, _ := json.Marshal(c["resolution"])
	if err := json.Unmarshal(b, &res); err != nil || !res.Auto || res.Rule != "component_maintainer" || res.Unit != "D0003" || len(res.Reasons) == 0 || !res.Reasons[0].Decided {
		t.Fatalf("resolution %s: %+v %v", b, res, err)
	}
	// Another unit can neither see nor handle it; the owner can.
	apitest.MustStatus(t, apitest.Call(t, h, "GET", fmt.Sprintf("/api/v1/cases/%d", id), "u2", ""), 404)
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/handle", id), "u2", `{"note":"x"}`), 403)
	// 409 names the state and the allowed actions.
	rec := apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/close", id), "sup", "")
	e := apitest.MustStatus(t, rec, 409)
	d := e["details"].(map[string]any)
	if d["state"] != "dispatched" || !strings.Contains(fmt.Sprint(d["allowed_actions"]), "cancel") {
		t.Fatalf("409 details %v", e)
	}
	// Stale If-Match: 409.
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/handle", id), "u3", `{"note":"fixed"}`, "If-Match", `"1"`), 409)
	// A well-formed tag this server never made is as stale as an old
	// version; only a header that is no entity-tag list is a bad request.
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/handle", id), "u3", `{"note":"fixed"}`, "If-Match", `"v-abc", W/"2"`), 409)
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/handle", id), "u3", `{"note":"fixed"}`, "If-Match", `2`), 400)
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/handle", id), "u3", `{"note":"fixed"}`), 200)
	// Photo: PNG accepted, text refused.
	png := smallPNG(t)
	a := apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/attachments", id), "u3", png), 201)
	if a["type"] != "image/png" || !strings.HasSuffix(a["name"].(string), ".png") || strings.Contains(a["name"].(string), "/") {
		t.Fatalf("attachment %v", a)
	}
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/attachments", id), "u3", "<svg onload=alert(1)>"), 400)
	got := apitest.Call(t, h, "GET", fmt.Sprintf("/api/v1/cases/%d/attachments/%d", id, int(a["id"].(float64))), "vie", "")
	if got.Code != 200 || got.Body.String() != png || got.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("attachment read back %d %q", got.Code, got.Header().Get("Content-Type"))
	}
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/check_pass", id), "ins", ""), 200)
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/close", id), "sup", ""), 200)
	tr := apitest.MustStatus(t, apitest.Call(t, h, "GET", fmt.Sprintf("/api/v1/cases/%d/transitions", id), "vie", ""), 200)
	var acts []string
	for _, x := range tr["transitions"].([]any) {
		acts = append(acts, x.(map[string]any)["action"].(string))
	}
	if strings.Join(acts, ",") != "report,register,dispatch,handle,check_pass,close" {
		t.Fatalf("transitions %v", acts)
	}
	// Listing filters.
	l := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases?state=closed&unit=D0003&category=0101&kind=component", "vie", ""), 200)
	if l["total"].(float64) != 1 {
		t.Fatalf("list %v", l)
	}
	apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases?state=bogus", "vie", ""), 400)
	apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases", "", ""), 401)
}

func TestCasesHTTPConfigAndDispatcherQueue(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	// Admin narrows auto-dispatch to component rules: events decided by
	// the rule table go to the dispatcher queue with ranked candidates.
	apitest.MustStatus(t, apitest.Call(t, h, "PUT", "/api/v1/cases/config/settings", "sup", `{}`), 403)
	bad := apitest.MustStatus(t, apitest.Call(t, h, "PUT", "/api/v1/cases/config/settings", "adm", `{"max_extensions":-1}`), 400)
	if !strings.Contains(fmt.Sprint(bad), "max_extensions") {
		t.Fatalf("bad settings %v", bad)
	}
	set := `{"max_extensions":2,"max_extension_factor":1,"arbitration_after":2,"duplicate_radius_m":30,"duplicate_window_h":72,"auto_dispatch_rules":["component_maintainer","component_owner"],"due_soon_fraction":0.8,"max_photo_bytes":1048576}`
	v := apitest.MustStatus(t, apitest.Call(t, h, "PUT", "/api/v1/cases/config/settings", "adm", set, "If-Match", `"0"`), 200)
	if v["version"].(float64) != 1 {
		t.Fatalf("version %v", v)
	}
	apitest.MustStatus(t, apitest.Call(t, h, "PUT", "/api/v1/cases/config/settings", "adm", set, "If-Match", `"0"`), 412)
	vs := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases/config/settings/versions", "vie", ""), 200)
	if len(vs["versions"].([]any)) != 1 {
		t.Fatalf("versions %v", vs)
	}
	m := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "opr", `{"kind":"event","category":"0101","lon":118.775,"lat":31.998,"description":"垃圾"}`), 201)
	id := int64(m["id"].(float64))
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/verify", id), "ins", ""), 200)
	r := apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/register", id), "sup", ""), 200)
	rc := r["case"].(map[string]any)
	var res struct {
		Rule       string `json:"rule"`
		Auto       bool   `json:"auto"`
		Candidates []struct {
			Unit string `json:"unit"`
			Rank int    `json:"rank"`
		} `json:"candidates"`
	}
	b, _ := json.Marshal(rc["resolution"])
	json.Unmarshal(b, &res)
	if rc["state"] != "registered" || res.Rule != "rule_table" || res.Auto || len(res.Candidates) < 2 || res.Candidates[0].Unit != "D0003" {
		t.Fatalf("should wait for a dispatcher with ranked candidates: %v %s", rc, b)
	}
	q := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases/queue", "dis", ""), 200)
	if q["total"].(float64) != 1 {
		t.Fatalf("dispatch queue %v", q)
	}
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/dispatch", id), "dis", `{}`), 400)
	if e := apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/dispatch", id), "dis", `{"unit":"D9999"}`), 400); e["field"] != "unit" {
		t.Fatalf("unknown unit: %v", e)
	}
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/dispatch", id), "dis", `{"unit":"D0002"}`), 200)
	uq := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases/queue?unit=D0002", "u2", ""), 200)
	cs := uq["cases"].([]any)
	if len(cs) != 1 || cs[0].(map[string]any)["progress"].(map[string]any)["light"] != "green" {
		t.Fatalf("unit queue %v", uq)
	}
	// Calendar: a bad one is refused naming the field; the default has 2026 holidays.
	apitest.MustStatus(t, apitest.Call(t, h, "PUT", "/api/v1/cases/config/calendar", "adm", `{"periods":[{"start":"12:00","end":"08:00"}]}`), 400)
	cal := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases/config/calendar", "vie", ""), 200)
	if !strings.Contains(fmt.Sprint(cal["config"]), "2026-10-10") {
		t.Fatalf("calendar %v", cal)
	}
}

// With the default settings a rule-table decision is unambiguous: event
// 0101 is named by rule 1 (category 0101, city scope, priority 10) for
// D0003, so registering dispatches it there.
func TestCasesHTTPAutoDispatchByRule(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	m := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "ins", `{"kind":"event","category":"0101","lon":118.775,"lat":31.998}`), 201)
	r := apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/register", int64(m["id"].(float64))), "sup", ""), 200)
	c := r["case"].(map[string]any)
	if c["state"] != "dispatched" || c["unit"] != "D0003" {
		t.Fatalf("rule auto-dispatch %v", c)
	}
}

func TestCasesHTTPUploadsDirHoldsOnlyGeneratedNames(t *testing.T) {
	h, dir := routertest.CaseServer(t)
	m := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "cit", `{"kind":"event","category":"0101","lon":118.765,"lat":31.993}`), 201)
	id := int64(m["id"].(float64))
	jpg := string(smallJPEG(t, 16, 16))
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/attachments", id), "cit", jpg, "Content-Disposition", `attachment; filename="../../etc/passwd"`), 201)
	// A browser's multipart form works too; the part's file name is ignored.
	var mp strings.Builder
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormFile("file", "../evil.php")
	fw.Write([]byte(smallPNG(t)))
	mw.Close()
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/attachments", id), "cit", mp.String(), "Content-Type", mw.FormDataContentType()), 201)
	ents, _ := os.ReadDir(filepath.Join(dir, "uploads", "cases"))
	if len(ents) != 2 || len(ents[0].Name()) != 36 || len(ents[1].Name()) != 36 {
		t.Fatalf("uploads %v", ents)
	}
	// The citizen sees their own report only.
	l := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases", "cit", ""), 200)
	if l["total"].(float64) != 1 {
		t.Fatalf("citizen list %v", l)
	}
}

// TestReportsOutsideTheCityAreRefusedNamingTheNearestGrid: a report no
// unit grid covers is a 400 naming lon, with the nearest unit grid and its
// distance in the details. The point lies 0.01° of latitude south of grid
// 320114001001001 ([118.76,118.77]×[31.99,32.00]), which is 1,112 m on the
// sphere of radius 6,371,008.8 m. The open sea at (0, 0) is refused too.
func TestReportsOutsideTheCityAreRefusedNamingTheNearestGrid(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	e := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "cit", `{"kind":"event","category":"0101","lon":118.765,"lat":31.98,"description":"x"}`), 400)
	d, _ := e["details"].(map[string]any)
	if e["field"] != "lon" || d["nearest_unit_grid"] != "320114001001001" || d["distance_m"].(float64) < 1111 || d["distance_m"].(float64) > 1113 {
		t.Fatalf("outside report: %v", e)
	}
	e = apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "ins", `{"kind":"event","category":"0101","lon":0,"lat":0,"description":"x"}`), 400)
	if !strings.Contains(e["error"].(string), "outside the city") {
		t.Fatalf("report at (0, 0): %v", e)
	}
	// Nothing was stored; a report inside is.
	if list := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases", "sup", ""), 200); list["total"] != 0.0 {
		t.Fatalf("an outside report was stored: %v", list)
	}
	apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "cit", `{"kind":"event","category":"0101","lon":118.765,"lat":31.995,"description":"x"}`), 201)
	if list := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/cases", "sup", ""), 200); list["total"] != 1.0 {
		t.Fatalf("the inside report: %v", list)
	}
}
