package open311_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
	"citygrid/spatial/crs"

	"github.com/paulmach/orb"
)

// A phone posts in GCJ-02 (the crs extension parameter) next to an open
// case: the request is linked to it, and the answer names the original's
// id, number and status in Chinese; locale=en answers in English. The
// agency is the department's name, not its code.
func TestOpen311DuplicatePointsToTheOriginalInChinese(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	srv := httptest.NewServer(h)
	defer srv.Close()
	base := srv.URL + "/open311/v2/"
	wgs := orb.Point{118.76505, 31.99502}
	orig := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "ins", fmt.Sprintf(`{"kind":"component","category":"0101","lon":%v,"lat":%v}`, wgs[0], wgs[1])), 201)
	apitest.MustStatus(t, apitest.Call(t, h, "POST", fmt.Sprintf("/api/v1/cases/%v/actions/register", orig["id"]), "sup", ""), 200)
	gcj := crs.WGS84ToGCJ02(wgs)
	form := url.Values{"service_code": {"C0101"}, "lat": {fmt.Sprint(gcj[1])}, "long": {fmt.Sprint(gcj[0])}, "crs": {"gcj02"}, "description": {"井盖破损"}, "phone": {"13900000009"}}
	resp, err := http.PostForm(base+"requests.json", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var created []struct {
		ID       string `json:"service_request_id"`
		Notice   string `json:"service_notice"`
		Original struct {
			ID     int64  `json:"service_request_id"`
			Number string `json:"number"`
			Status string `json:"status"`
		} `json:"original"`
	}
	if err := json.Unmarshal(b, &created); err != nil || resp.StatusCode != 201 || len(created) != 1 {
		t.Fatalf("%d %s %v", resp.StatusCode, b, err)
	}
	c := created[0]
	wantNotice := fmt.Sprintf("与已受理的请求 %v（案卷号 %s，已立案，交由处置单位处理）重复，请关注该请求的进展", orig["id"], orig["number"])
	if c.Notice != wantNotice || float64(c.Original.ID) != orig["id"] || c.Original.Number != orig["number"] || c.Original.Status != "open" {
		t.Fatalf("created %+v\nwant notice %s", c, wantNotice)
	}
	get := func(path string, header ...string) []map[string]any {
		req, _ := http.NewRequest("GET", base+path, nil)
		if len(header) == 2 {
			req.Header.Set(header[0], header[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out []map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	origPath := fmt.Sprintf("requests/%v.json", orig["id"])
	if r := get(origPath)[0]; r["status_notes"] != "已立案，交由处置单位处理" || r["agency_responsible"] != "南京水务集团" {
		t.Fatalf("original in Chinese: %v %v", r["status_notes"], r["agency_responsible"])
	}
	for _, en := range [][]string{{}, {"Accept-Language", "en-GB,en;q=0.9"}} {
		path := origPath + "?locale=en"
		if len(en) == 2 {
			path = origPath
		}
		if r := get(path, en...)[0]; r["status_notes"] != "Accepted and sent to the unit that handles it" {
			t.Fatalf("English %v: %v", en, r["status_notes"])
		}
	}
	dup := get("requests/" + c.ID + ".json")[0]
	if dup["status_notes"] != "与已受理的问题重复" || !strings.Contains(dup["service_notice"].(string), orig["number"].(string)) {
		t.Fatalf("duplicate read back %v", dup)
	}
	// The definition's attributes speak Chinese unless asked otherwise.
	var def struct {
		Attributes []struct {
			Description string `json:"description"`
		} `json:"attributes"`
	}
	resp, err = http.Get(base + "services/C0101.json")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&def)
	resp.Body.Close()
	if len(def.Attributes) == 0 || def.Attributes[0].Description != "现在是否有危险（例如井盖缺失）？" {
		t.Fatalf("definition %+v", def)
	}
}
