package workflow_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
	"citygrid/data/cases/stats"
)

// TestPostScoresThroughTheWorkflow: the real workflow over HTTP records
// who did each step and its step deadline, and the post rows count them.
func TestPostScoresThroughTheWorkflow(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	m := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "opr", `{"kind":"component","category":"0101","lon":118.76505,"lat":31.99502,"description":"井盖破损"}`), 201)
	id := int64(m["id"].(float64))
	if m["state"] != "reported" {
		t.Fatalf("hotline report: %v", m["state"])
	}
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/verify", id), "ins", ""), 200)
	r := apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/register", id), "sup", ""), 200)
	// The surveyed cover's maintainer takes it at once ("system"
	// dispatches: no post event); it returns the case and the dispatcher
	// redispatches it.
	if st := r["case"].(map[string]any)["state"]; st != "dispatched" {
		t.Fatalf("registered case not auto-dispatched: %v", st)
	}
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/return", id), "u3", `{"note":"不归我们管"}`), 200)
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%d/actions/redispatch", id), "dis", `{"unit":"D0002"}`), 200)
	rec := apitest.Call(t, h, "GET", "/api/v1/stats?group=post&period=day", "vie", "")
	var ans struct {
		Rows []stats.PostRow `json:"rows"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &ans); rec.Code != 200 || err != nil {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	got := map[string]stats.PostCounts{}
	for _, r := range ans.Rows {
		got[string(r.Post)+"/"+r.User] = r.PostCounts
	}
	// Acting at once, every step is on time (a step due outside working
	// hours is due later still).
	want := map[string]stats.PostCounts{
		"operator/op1":     {Accepted: 1, VerifySent: 1, VerifySentOnTime: 1},
		"inspector/insp1":  {Verified: 1, VerifiedOnTime: 1, Missed: 1},
		"supervisor/boss":  {Registered: 1, RegisteredOnTime: 1},
		"dispatcher/disp1": {Dispatched: 1, DispatchedOnTime: 1},
	}
	for k, wc := range want {
		if got[k] != wc {
			t.Errorf("%s: %+v, want %+v (all %v)", k, got[k], wc, got)
		}
	}
	// A citizen may not read post scores.
	apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/stats?group=post", "cit", ""), 403)
}
