package open311_test

import (
	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// An Open311 GeoReport v2 client flow over real HTTP: discover, list
// services, read a definition, post a request (form-encoded, as
// FixMyStreet's Open311.pm does), read it back in JSON and XML, follow it
// in servicerequestupdates, and get the spec's error list for malformed
// requests.
func TestOpen311ClientFlow(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	srv := httptest.NewServer(h)
	defer srv.Close()
	base := srv.URL + "/open311/v2/"
	get := func(path string, want int) []byte {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %d, want %d: %s", path, resp.StatusCode, want, b)
		}
		return b
	}
	var disc struct {
		Endpoints []struct {
			URL     string   `json:"url"`
			Formats []string `json:"formats"`
		} `json:"endpoints"`
	}
	json.Unmarshal(get("discovery.json", 200), &disc)
	if len(disc.Endpoints) != 1 || disc.Endpoints[0].URL != base[:len(base)-1] {
		t.Fatalf("discovery %+v", disc)
	}
	var services []struct {
		Code     string `json:"service_code"`
		Name     string `json:"service_name"`
		Metadata bool   `json:"metadata"`
		Type     string `json:"type"`
		Group    string `json:"group"`
	}
	if err := json.Unmarshal(get("services.json", 200), &services); err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, s := range services {
		codes[s.Code] = s.Name
		if s.Type != "realtime" {
			t.Fatalf("service %+v", s)
		}
	}
	// Component 0101 and event 0101 share a code; the service codes differ.
	if codes["C0101"] != "上水井盖" || codes["E0101"] != "暴露垃圾" || len(services) != 4 {
		t.Fatalf("services %v", codes)
	}
	var xs struct {
		Services []struct {
			Code string `xml:"service_code"`
		} `xml:"service"`
	}
	if err := xml.Unmarshal(get("services.xml", 200), &xs); err != nil || len(xs.Services) != 4 {
		t.Fatalf("services.xml %v %+v", err, xs)
	}
	var def struct {
		Code       string `json:"service_code"`
		Attributes []struct {
			Code string `json:"code"`
		} `json:"attributes"`
	}
	json.Unmarshal(get("services/C0101.json", 200), &def)
	if def.Code != "C0101" || len(def.Attributes) != 2 {
		t.Fatalf("definition %+v", def)
	}
	get("services/X9999.json", 404)

	form := url.Values{"service_code": {"E0101"}, "lat": {"31.9935"}, "long": {"118.7655"}, "description": {"路边有暴露垃圾"},
		"email": {"a@example.org"}, "phone": {"13911112222"}, "first_name": {"Li"}, "media_url": {"https://img.example.org/1.jpg"}, "api_key": {"anything"}}
	resp, err := http.PostForm(base+"requests.json", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var created []struct {
		ID string `json:"service_request_id"`
	}
	if resp.StatusCode != 201 || json.Unmarshal(b, &created) != nil || len(created) != 1 || created[0].ID == "" {
		t.Fatalf("post: %d %s", resp.StatusCode, b)
	}
	id := created[0].ID
	var reqs []map[string]any
	json.Unmarshal(get("requests/"+id+".json", 200), &reqs)
	if len(reqs) != 1 || reqs[0]["service_code"] != "E0101" || reqs[0]["status"] != "open" || reqs[0]["lat"].(float64) != 31.9935 ||
		reqs[0]["media_url"] != "https://img.example.org/1.jpg" || reqs[0]["requested_datetime"] == "" || reqs[0]["service_request_id"] != id {
		t.Fatalf("read back %v", reqs)
	}
	if strings.Contains(string(get("requests/"+id+".json", 200)), "13911112222") {
		t.Fatal("the reporter's phone number is published")
	}
	var xr struct {
		XMLName  xml.Name `xml:"service_requests"`
		Requests []struct {
			ID     string  `xml:"service_request_id"`
			Status string  `xml:"status"`
			Long   float64 `xml:"long"`
		} `xml:"request"`
	}
	if err := xml.Unmarshal(get("requests/"+id+".xml", 200), &xr); err != nil || len(xr.Requests) != 1 || xr.Requests[0].ID != id || xr.Requests[0].Long != 118.7655 {
		t.Fatalf("xml read back %v %+v", err, xr)
	}
	// The listing finds it by id list, by service and by status.
	for _, q := range []string{"requests.json?service_request_id=" + id, "requests.json?service_code=E0101&status=open", "requests.json"} {
		var l []map[string]any
		json.Unmarshal(get(q, 200), &l)
		if len(l) != 1 || l[0]["service_request_id"] != id {
			t.Fatalf("%s: %v", q, l)
		}
	}
	var none []map[string]any
	json.Unmarshal(get("requests.json?status=closed", 200), &none)
	if len(none) != 0 {
		t.Fatalf("closed: %v", none)
	}
	// Staff progress shows in the updates feed with extended statuses.
	rec := apitest.Call(t, h, "POST", "/api/v1/cases/"+id+"/actions/verify", "ins", "")
	if rec.Code != 200 {
		t.Fatal(rec.Body.String())
	}
	var upd struct {
		Updates []struct {
			RequestID string `json:"service_request_id"`
			Status    string `json:"status"`
			UpdateID  string `json:"update_id"`
		} `json:"service_request_updates"`
	}
	json.Unmarshal(get("servicerequestupdates.json", 200), &upd)
	if len(upd.Updates) != 2 || upd.Updates[0].Status != "OPEN" || upd.Updates[1].Status != "INVESTIGATING" || upd.Updates[1].RequestID != id {
		t.Fatalf("updates %+v", upd)
	}
	var xu struct {
		Updates []struct {
			Status string `xml:"status"`
		} `xml:"request_update"`
	}
	if err := xml.Unmarshal(get("servicerequestupdates.xml", 200), &xu); err != nil || len(xu.Updates) != 2 {
		t.Fatalf("updates xml %v %+v", err, xu)
	}

	// Malformed requests: the spec's error list, in JSON and XML.
	type specErr struct {
		Code        int    `json:"code"`
		Description string `json:"description"`
	}
	for _, tc := range []struct {
		form   url.Values
		status int
		field  string
	}{
		{url.Values{"lat": {"31.99"}, "long": {"118.76"}}, 400, "service_code"},
		{url.Values{"service_code": {"E0101"}}, 400, "lat"},
		{url.Values{"service_code": {"E0101"}, "lat": {"north"}, "long": {"118.76"}}, 400, "lat"},
		{url.Values{"service_code": {"E0101"}, "lat": {"95"}, "long": {"118.76"}}, 400, "lat"},
		{url.Values{"service_code": {"Z42"}, "lat": {"31.99"}, "long": {"118.76"}}, 404, "service_code"},
		// Outside every unit grid: 0.01° south of grid 320114001001001.
		{url.Values{"service_code": {"E0101"}, "lat": {"31.98"}, "long": {"118.765"}}, 400, "nearest unit grid 320114001001001 is 1112 m away"},
		{url.Values{"service_code": {"E0101"}, "lat": {"-60"}, "long": {"0"}}, 400, "outside the city"},
		{url.Values{"service_code": {"E0101"}, "lat": {"31.99"}, "long": {"118.76"}, "description": {strings.Repeat("x", 4001)}}, 400, "description"},
	} {
		resp, err := http.PostForm(base+"requests.json", tc.form)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var es []specErr
		if resp.StatusCode != tc.status || json.Unmarshal(b, &es) != nil || len(es) == 0 || es[0].Code != tc.status || !strings.Contains(es[0].Description, tc.field) {
			t.Fatalf("%v: %d %s", tc.form, resp.StatusCode, b)
		}
	}
	var xe struct {
		XMLName xml.Name `xml:"errors"`
		Errors  []struct {
			Code        int    `xml:"code"`
			Description string `xml:"description"`
		} `xml:"error"`
	}
	if err := xml.Unmarshal(get("requests/999999.xml", 404), &xe); err != nil || len(xe.Errors) != 1 || xe.Errors[0].Code != 404 {
		t.Fatalf("xml error %v %+v", err, xe)
	}
	// address_string alone is geocoded (雨花路101号 is at 118.768, 31.9955).
	resp, err = http.PostForm(base+"requests.json", url.Values{"service_code": {"C0101"}, "address_string": {"雨花台区雨花街道雨花路101号"}, "description": {"井盖缺失"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	created = nil
	if resp.StatusCode != 201 || json.Unmarshal(b, &created) != nil || len(created) != 1 {
		t.Fatalf("address post: %d %s", resp.StatusCode, b)
	}
	reqs = nil
	json.Unmarshal(get("requests/"+created[0].ID+".json", 200), &reqs)
	if lon, lat := reqs[0]["long"].(float64), reqs[0]["lat"].(float64); lon < 118.7675 || lon > 118.7685 || lat < 31.995 || lat > 31.996 || reqs[0]["address"] != "雨花台区雨花街道雨花路101号" {
		t.Fatalf("geocoded %v", reqs[0])
	}
	// POST answering XML, and the token (the case number) naming the id.
	resp, err = http.PostForm(base+"requests.xml", url.Values{"service_code": {"C0213"}, "lat": {"31.9915"}, "long": {"118.773"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var xc struct {
		Requests []struct {
			ID string `xml:"service_request_id"`
		} `xml:"request"`
	}
	if resp.StatusCode != 201 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") || xml.Unmarshal(b, &xc) != nil || len(xc.Requests) != 1 {
		t.Fatalf("xml post: %d %s", resp.StatusCode, b)
	}
	rec = apitest.Call(t, h, "GET", "/api/v1/cases/"+xc.Requests[0].ID, "ins", "")
	var cs struct {
		Number string `json:"number"`
	}
	json.Unmarshal(rec.Body.Bytes(), &cs)
	var toks []struct {
		ID    string `json:"service_request_id"`
		Token string `json:"token"`
	}
	json.Unmarshal(get("tokens/"+cs.Number+".json", 200), &toks)
	if len(toks) != 1 || toks[0].ID != xc.Requests[0].ID {
		t.Fatalf("token %s: %+v", cs.Number, toks)
	}
	get("tokens/nope.json", 404)
	get("requests.json?start_date=yesterday", 400)
	get("requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", 400)
}
