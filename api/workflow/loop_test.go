package workflow_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
	"citygrid/spatial/crs"

	"github.com/paulmach/orb"
)

// Over HTTP: the inspector verifies with the position found on site (a
// GCJ-02 phone fix), the supervisor urges the unit, the case is closed
// and the reporter's grade recorded at the follow-up call; the unit
// appeals nothing it was not charged with.
func TestVerifyWithAPositionUrgeAndFollowUpOverHTTP(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	m := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "cit", `{"kind":"event","category":"0101","lon":118.775,"lat":31.995,"description":"暴露垃圾"}`), 201)
	if m["unit_grid"] != "320114001001002" {
		t.Fatalf("reported in %v", m["unit_grid"])
	}
	id := int64(m["id"].(float64))
	at := func(action, tok, body string, want int) map[string]any {
		t.Helper()
		return apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/%s", id, action), tok, body), want)
	}
	found := orb.Point{118.765, 31.995}
	gcj := crs.WGS84ToGCJ02(found)
	v := at("verify", "ins", fmt.Sprintf(`{"lon":%.9f,"lat":%.9f,"crs":"gcj02"}`, gcj[0], gcj[1]), 200)["case"].(map[string]any)
	if v["unit_grid"] != "320114001001001" || math.Abs(v["lon"].(float64)-found[0]) > 1e-6 {
		t.Fatalf("verified at %v %v", v["unit_grid"], v["lon"])
	}
	at("register", "sup", `{"lon":118.7,"lat":31.9}`, 400) // only verify takes a position
	c := at("register", "sup", "", 200)["case"].(map[string]any)
	if c["state"] != "dispatched" {
		c = at("dispatch", "dis", `{"unit":"D0002"}`, 200)["case"].(map[string]any)
	}
	unitTok := map[any]string{"D0002": "u2", "D0003": "u3"}[c["unit"]]
	at("urge", "dis", `{"note":"x"}`, 403)
	u := at("urge", "sup", `{"note":"请于今日18时前处置完毕"}`, 200)
	if u["case"].(map[string]any)["urges"] != 1.0 || u["transition"].(map[string]any)["action"] != "urge" {
		t.Fatalf("urged %v", u)
	}
	// The urge is counted in the statistics of the unit (the board follows the store).
	day := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	var st map[string]any
	for range 100 {
		st = apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/stats?group=unit&from="+day+"&to="+day, "vie", ""), 200)
		if st["total"].(map[string]any)["urged"] == 1.0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if rows := fmt.Sprint(st["rows"]); st["total"].(map[string]any)["urged"] != 1.0 || !strings.Contains(rows, "urged:1") {
		t.Fatalf("statistics after the urge: %v", st)
	}
	e := at("appeal", unitTok, `{"fault":"overdue","note":"未超期"}`, 409)
	if !strings.Contains(fmt.Sprint(e), "no overdue is counted") {
		t.Fatalf("appeal of nothing: %v", e)
	}
	at("handle", unitTok, `{"note":"已清理"}`, 200)
	at("check_pass", "ins", "", 200)
	at("close", "sup", "", 200)
	at("follow_up", "opr", `{"satisfaction":"很好"}`, 400)
	f := at("follow_up", "opr", `{"satisfaction":"满意","note":"市民表示满意"}`, 200)["case"].(map[string]any)
	if f["satisfaction"] != "satisfied" || f["followed_up_at"] == nil {
		t.Fatalf("followed up %v", f)
	}
	if allowed := fmt.Sprint(f["allowed_actions"]); strings.Contains(allowed, "follow_up") {
		t.Fatalf("a second follow-up still offered: %s", allowed)
	}
}
