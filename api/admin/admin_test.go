package admin_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
)

func caseID(m map[string]any) int64 { return int64(m["id"].(float64)) }

// TestArbitrationBecomesPrecedent: a case returned twice is arbitrated to
// the street office; the supervisor saves the ruling as precedent; the
// next case of that class in that unit grid goes to the street office,
// the ruling cited in its reasons. The replay audit, the what-if check,
// the audit log, rollback and the per-class auto-dispatch switch follow
// over the same cases.
func TestArbitrationBecomesPrecedent(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	do := func(method, url, token, body string, want int, header ...string) map[string]any {
		t.Helper()
		return apitest.MustStatus(t, apitest.Call(t, h, method, url, token, body, header...), want)
	}
	action := func(id int64, a, token, body string) map[string]any {
		t.Helper()
		return do("POST", fmt.Sprintf("/api/v1/cases/%d/actions/%s", id, a), token, body, 200)["case"].(map[string]any)
	}
	// Exposed rubbish in unit grid 320114001001002: rule 1 (category 0101
	// city-wide) sends it to the water company D0003, which returns it.
	c1 := do("POST", "/api/v1/cases", "ins", `{"kind":"event","category":"0101","lon":118.775,"lat":31.995,"description":"暴露垃圾"}`, 201)
	id1 := caseID(c1)
	if c := action(id1, "register", "sup", ""); c["unit"] != "D0003" || c["state"] != "dispatched" {
		t.Fatalf("first dispatch %v", c)
	}
	action(id1, "return", "u3", `{"note":"非本单位职责"}`)
	action(id1, "redispatch", "dis", `{"unit":"D0002"}`)
	if c := action(id1, "return", "u2", `{"note":"属地不符"}`); c["state"] != "arbitration" {
		t.Fatalf("second return: %v", c["state"])
	}
	action(id1, "arbitrate", "sup", `{"unit":"D0002","note":"街面垃圾由街道负责"}`)

	// Only an admin or the supervisor saves a precedent; a case without a
	// ruling has none to save.
	do("POST", fmt.Sprintf("/api/v1/cases/%d/precedent", id1), "dis", `{}`, 403)
	other := caseID(do("POST", "/api/v1/cases", "ins", `{"kind":"component","category":"0101","lon":118.76505,"lat":31.99502}`, 201))
	do("POST", fmt.Sprintf("/api/v1/cases/%d/precedent", other), "sup", `{}`, 409)
	do("POST", fmt.Sprintf("/api/v1/cases/%d/precedent", id1), "sup", `{"scope":"management_grid","scope_ref":"nope"}`, 400)
	p := do("POST", fmt.Sprintf("/api/v1/cases/%d/precedent", id1), "sup", `{}`, 201)
	rule := p["rule"].(map[string]any)
	if rule["unit"] != "D0002" || rule["scope"] != "unit_grid" || rule["scope_ref"] != "320114001001002" || rule["id"].(float64) != 3 || rule["priority"].(float64) != 11 {
		t.Fatalf("precedent rule %v", rule)
	}

	// The next case at that place and class goes to the ruled unit.
	c2 := do("POST", "/api/v1/cases", "ins", `{"kind":"event","category":"0101","lon":118.778,"lat":31.998,"description":"暴露垃圾"}`, 201)
	id2 := caseID(c2)
	var res struct {
		Unit    string `json:"unit"`
		Rule    string `json:"rule"`
		Reasons []struct {
			Decided bool   `json:"decided"`
			Detail  string `json:"detail"`
		} `json:"reasons"`
	}
	b, _ := json.Marshal(c2["resolution"])
	_ = json.Unmarshal(b, &res)
	last := res.Reasons[len(res.Reasons)-1]
	ruledOn := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	if res.Unit != "D0002" || res.Rule != "rule_table" || !last.Decided ||
		!strings.Contains(last.Detail, "precedent: arbitration of case "+c1["number"].(string)+" on "+ruledOn+" by boss") {
		t.Fatalf("next case: %s", b)
	}
	if c := action(id2, "register", "sup", ""); c["unit"] != "D0002" || c["dispatcher"] != "system" {
		t.Fatalf("next case dispatched to %v by %v", c["unit"], c["dispatcher"])
	}
	// Elsewhere in the city the class still goes to D0003.
	if c := do("POST", "/api/v1/cases", "ins", `{"kind":"event","category":"0101","lon":118.765,"lat":31.998}`, 201); !strings.Contains(fmt.Sprint(c["resolution"]), "unit:D0003") {
		t.Fatalf("other grid: %v", c["resolution"])
	}

	// What-if and replay of a proposed table without the precedent.
	rules := do("GET", "/api/v1/admin/rules", "adm", "", 200)
	if rules["version"].(float64) != 1 || len(rules["rules"].([]any)) != 3 {
		t.Fatalf("rules %v", rules)
	}
	without, _ := json.Marshal(map[string]any{"rules": rules["rules"].([]any)[:2]})
	w := do("POST", "/api/v1/admin/rules/what-if", "adm", `{"lon":118.778,"lat":31.998,"kind":"event","category":"0101","proposed":`+string(without)+`}`, 200)
	if w["changed"] != true || w["current"].(map[string]any)["unit"].(map[string]any)["code"] != "D0002" ||
		w["proposed"].(map[string]any)["unit"].(map[string]any)["code"] != "D0003" {
		t.Fatalf("what-if %v", w)
	}
	rp := do("POST", "/api/v1/admin/rules/replay", "adm", `{"proposed":`+string(without)+`}`, 200)
	if rp["mode"] != "proposed" || rp["changed"].(float64) != 2 {
		t.Fatalf("replay of the proposal: %v", rp)
	}
	today := do("POST", "/api/v1/admin/rules/replay", "adm", `{}`, 200)
	listed := today["cases"].([]any)
	if len(listed) != 1 || caseID(map[string]any{"id": listed[0].(map[string]any)["case_id"]}) != id1 ||
		fmt.Sprint(listed[0].(map[string]any)["why"]) != "[rule_change]" {
		t.Fatalf("replay today: %v", today)
	}
	do("POST", "/api/v1/admin/rules/what-if", "adm", `{"lon":200,"lat":31.998,"kind":"event","category":"0101"}`, 400)
	do("POST", "/api/v1/admin/rules/what-if", "sup", `{"lon":118.778,"lat":31.998,"kind":"event","category":"0101"}`, 403)

	// Edit with If-Match, a stale write refused, rollback to the precedent.
	do("PUT", "/api/v1/admin/rules", "adm", string(without), 412, "If-Match", `"7"`)
	do("PUT", "/api/v1/admin/rules", "adm", `{"rules":[{"id":1,"scope":"city","unit":"D9999"}]}`, 400)
	if v := do("PUT", "/api/v1/admin/rules", "adm", string(without), 200, "If-Match", `"1"`); v["version"].(float64) != 2 {
		t.Fatalf("put %v", v)
	}
	c3 := do("POST", "/api/v1/cases", "ins", `{"kind":"event","category":"0101","lon":118.7705,"lat":31.9905}`, 201)
	if !strings.Contains(fmt.Sprint(c3["resolution"]), "unit:D0003") {
		t.Fatalf("after removing the precedent: %v", c3["resolution"])
	}
	do("POST", "/api/v1/admin/config/rules/rollback", "adm", `{"version":1}`, 200)
	if r := do("GET", "/api/v1/admin/rules", "adm", "", 200); r["version"].(float64) != 3 || len(r["rules"].([]any)) != 3 {
		t.Fatalf("rolled back %v", r)
	}

	// Switch the class's auto-dispatch off: its next case waits.
	do("PUT", "/api/v1/cases/config/auto_dispatch", "adm", `{"classes":{"event/0101":false},"default":true,"window":50,"threshold":0.95,"min_cases":1}`, 200)
	c4 := caseID(do("POST", "/api/v1/cases", "ins", `{"kind":"event","category":"0101","lon":118.7795,"lat":31.9915}`, 201))
	if c := action(c4, "register", "sup", ""); c["state"] != "registered" || !strings.Contains(fmt.Sprint(c["resolution"]), "switched off") {
		t.Fatalf("class off: %v %v", c["state"], c["resolution"])
	}
	q := do("GET", "/api/v1/cases/queue", "dis", "", 200)
	if !strings.Contains(fmt.Sprint(q), fmt.Sprintf("id:%d ", c4)) {
		t.Fatalf("not in the dispatch queue: %v", q)
	}
	pr := do("GET", "/api/v1/admin/auto-dispatch/proposals", "adm", "", 200)
	if !strings.Contains(fmt.Sprint(pr["classes"]), "class:event/0101") {
		t.Fatalf("proposals %v", pr)
	}

	// Accuracy: case 1 was returned (not stuck), case 2 stuck.
	acc := do("GET", "/api/v1/stats/dispatch-accuracy?group=category&period=day", "vie", "", 200)
	tot := acc["total"].(map[string]any)
	if tot["dispatched"].(float64) != 2 || tot["stuck"].(float64) != 1 || tot["accuracy"].(float64) != 0.5 {
		t.Fatalf("accuracy %v", acc)
	}
	csv := apitest.Call(t, h, "GET", "/api/v1/stats/dispatch-accuracy?group=unit&period=day&format=csv", "vie", "")
	if csv.Code != 200 || !strings.Contains(csv.Body.String(), "accuracy_rate") || !strings.Contains(csv.Body.String(), "D0002") {
		t.Fatalf("csv %d %s", csv.Code, csv.Body)
	}
	do("GET", "/api/v1/stats/dispatch-accuracy?group=street", "vie", "", 400)

	// The audit log lists every change, attributed.
	a := do("GET", "/api/v1/admin/audit", "adm", "", 200)
	var got []string
	for _, e := range a["changes"].([]any) {
		m := e.(map[string]any)
		got = append(got, fmt.Sprintf("%s/%v/%s", m["name"], m["version"], m["user"]))
	}
	for _, want := range []string{"rules/1/boss", "rules/2/root", "rules/3/root", "auto_dispatch/1/root"} {
		if !strings.Contains(strings.Join(got, " "), want) {
			t.Errorf("audit log %v lacks %s", got, want)
		}
	}
	do("GET", "/api/v1/admin/audit", "sup", "", 403)
}

// TestCatalogueExportEditImport: the catalogue goes out as a file and
// comes back edited; an unknown department is named.
func TestCatalogueExportEditImport(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	rec := apitest.Call(t, h, "GET", "/api/v1/admin/catalogue", "adm", "")
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Disposition"), "catalogue-v0.json") {
		t.Fatalf("export %d %v", rec.Code, rec.Header())
	}
	file := rec.Body.String()
	if !strings.Contains(file, "暴露垃圾") {
		t.Fatalf("export %s", file)
	}
	edited := strings.Replace(file, "暴露垃圾", "暴露垃圾（含积存）", 1)
	apitest.MustStatus(t, apitest.Call(t, h, "PUT", "/api/v1/admin/catalogue", "adm", strings.Replace(file, `"D0002"`, `"D9999"`, 1)), 400)
	apitest.MustStatus(t, apitest.Call(t, h, "PUT", "/api/v1/admin/catalogue", "sup", edited), 403)
	if v := apitest.MustStatus(t, apitest.Call(t, h, "PUT", "/api/v1/admin/catalogue", "adm", edited), 200); v["version"].(float64) != 1 {
		t.Fatalf("import %v", v)
	}
	again := apitest.Call(t, h, "GET", "/api/v1/admin/catalogue", "adm", "")
	if !strings.Contains(again.Body.String(), "暴露垃圾（含积存）") || again.Header().Get("ETag") != `"1"` {
		t.Fatalf("after import %s", again.Body)
	}
}

// TestScoringChangesAreVersioned: a change of the score weights through
// the statistics API is a version of the scoring document, attributed,
// and rolls back.
func TestScoringChangesAreVersioned(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	rec := apitest.Call(t, h, "GET", "/api/v1/stats/scoring", "vie", "")
	if rec.Code != 200 {
		t.Fatalf("scoring %d", rec.Code)
	}
	orig := rec.Body.String()
	var sc map[string]any
	_ = json.Unmarshal([]byte(orig), &sc)
	sc["min_sample"] = 7.0
	changed, _ := json.Marshal(sc)
	apitest.MustStatus(t, apitest.Call(t, h, "PUT", "/api/v1/stats/scoring", "adm", orig), 200)
	apitest.MustStatus(t, apitest.Call(t, h, "PUT", "/api/v1/stats/scoring", "adm", string(changed)), 200)
	if got := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/stats/scoring", "vie", ""), 200); got["min_sample"].(float64) != 7 {
		t.Fatalf("not applied: %v", got["min_sample"])
	}
	a := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/admin/audit?name=scoring", "adm", ""), 200)
	if n := len(a["changes"].([]any)); n != 2 || a["changes"].([]any)[0].(map[string]any)["user"] != "root" {
		t.Fatalf("audit %v", a)
	}
	apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/admin/config/scoring/rollback", "adm", `{"version":1}`), 200)
	if got := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/stats/scoring", "vie", ""), 200); got["min_sample"].(float64) == 7 {
		t.Fatal("rollback not applied")
	}
	apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/admin/audit?name=nope", "adm", ""), 400)
}
