package e2e

import (
	"fmt"
	"net/url"
	"testing"

	"citygrid/data"
	"citygrid/test/harness"
)

// TestCaseWorkflowOnTheRealBinary: a citizen reports through Open311, the
// centre verifies, registers and dispatches it, the unit handles it, it is
// checked and closed; the server restarts and the case, its transitions
// and the Open311 view are all still there.
func TestCaseWorkflowOnTheRealBinary(t *testing.T) {
	dir := city.Dir(t)
	tokens := map[data.Role]string{}
	for _, r := range []data.Role{data.RoleInspector, data.RoleSupervisor, data.RoleDispatcher} {
		tokens[r] = harness.Token(t, dir, "e2e-"+string(r), string(r))
	}
	ds := loadCity(t, dir)
	var code string
	for _, c := range ds.Categories {
		if c.Kind == data.KindEvent {
			code = c.Code
			break
		}
	}
	p, ok := interiorPoint(ds.UnitGrids[0].Geometry)
	if !ok || code == "" {
		t.Fatal("no event category or grid point in the demo city")
	}

	s := serve(t, dir, "--access-log=false")
	form := url.Values{"service_code": {"E" + code}, "lat": {fmt.Sprint(p[1])}, "long": {fmt.Sprint(p[0])}, "description": {"e2e"}, "phone": {"13700000000"}}
	var created []struct {
		ID string `json:"service_request_id"`
	}
	if st, _ := s.do("POST", "/open311/v2/requests.json", "", form.Encode(), &created, "Content-Type", "application/x-www-form-urlencoded"); st != 201 || len(created) != 1 {
		t.Fatalf("open311 post: %d %v", st, created)
	}
	id := created[0].ID
	act := func(tok, action, body string) map[string]any {
		t.Helper()
		var ans map[string]any
		code, _ := s.do("POST", "/api/v1/cases/"+id+"/actions/"+action, tok, body, &ans, "Content-Type", "application/json")
		if code != 200 {
			t.Fatalf("%s: %d %v", action, code, ans)
		}
		return ans["case"].(map[string]any)
	}
	act(tokens[data.RoleInspector], "verify", "")
	c := act(tokens[data.RoleSupervisor], "register", "")
	if c["state"] == "registered" {
		c = act(tokens[data.RoleDispatcher], "dispatch", `{"unit":"`+ds.Departments[len(ds.Departments)-1].Code+`"}`)
	}
	unit, _ := c["unit"].(string)
	if c["state"] != "dispatched" || unit == "" {
		t.Fatalf("not dispatched: %v", c)
	}
	unitTok := harness.Token(t, dir, "e2e-unit", "unit", "--unit", unit)
	act(unitTok, "handle", `{"note":"cleaned"}`)
	act(tokens[data.RoleInspector], "check_pass", "")
	act(tokens[data.RoleSupervisor], "close", "")
	s.Stop()
	s = serve(t, dir, "--access-log=false")
	c = nil
	if code, _ := s.do("GET", "/api/v1/cases/"+id, tokens[data.RoleSupervisor], "", &c); code != 200 || c["state"] != "closed" {
		t.Fatalf("after restart: %d %v", code, c)
	}
	var tr struct {
		Transitions []struct {
			Action string `json:"action"`
		} `json:"transitions"`
	}
	s.do("GET", "/api/v1/cases/"+id+"/transitions", tokens[data.RoleSupervisor], "", &tr)
	if len(tr.Transitions) < 6 || tr.Transitions[len(tr.Transitions)-1].Action != "close" {
		t.Fatalf("transitions %+v", tr)
	}
	var reqs []map[string]any
	s.do("GET", "/open311/v2/requests/"+id+".json", "", "", &reqs)
	if len(reqs) != 1 || reqs[0]["status"] != "closed" {
		t.Fatalf("open311 after restart %v", reqs)
	}
	s.Stop()
}
