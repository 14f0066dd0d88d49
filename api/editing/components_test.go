package editing_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"

	"github.com/paulmach/orb"
)

const newLamp = `{"type":"Feature","geometry":{"type":"Point","coordinates":[118.775,31.995]},
	"properties":{"category":"0101","name":"上水井盖","department":"D0003","owner":"D0003","status":"intact"}}`

func TestComponentEditsOverHTTP(t *testing.T) {
	h, _ := routertest.EditServer(t)

	if rec := apitest.Call(t, h, "POST", "/api/v1/components", "", newLamp); rec.Code != 401 {
		t.Fatalf("anonymous create: %d", rec.Code)
	}
	if rec := apitest.Call(t, h, "POST", "/api/v1/components", "vie", newLamp); rec.Code != 403 {
		t.Fatalf("viewer create: %d", rec.Code)
	}
	rec := apitest.Call(t, h, "POST", "/api/v1/components?reason=新增", "sur", newLamp)
	if rec.Code != 201 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	// The city's highest 0101 sequence is 000001, so the new one is 000002.
	code := "3201140101000002"
	if rec.Header().Get("ETag") != `"`+code+`-v1"` || rec.Header().Get("Location") != "/api/v1/components/"+code {
		t.Fatalf("create headers %v", rec.Header())
	}
	props := apitest.DecodeBody(t, rec)["properties"].(map[string]any)
	if props["unit_grid"] != "320114001001002" || props["version"] != 1.0 {
		t.Fatalf("created %v", props)
	}
	// The index sees it before the answer: nearest finds it.
	rec = apitest.Call(t, h, "GET", "/api/v1/nearest?lon=118.775&lat=31.995&k=1&category=0101", "", "")
	if !strings.Contains(rec.Body.String(), code) {
		t.Fatalf("nearest after create: %s", rec.Body)
	}

	rec = apitest.Call(t, h, "GET", "/api/v1/components/"+code, "", "")
	etag := rec.Header().Get("ETag")
	if rec.Code != 200 || etag != `"`+code+`-v1"` {
		t.Fatalf("get: %d %s", rec.Code, etag)
	}
	if rec := apitest.Call(t, h, "GET", "/api/v1/components/"+code, "", "", "If-None-Match", etag); rec.Code != 304 {
		t.Fatalf("If-None-Match: %d", rec.Code)
	}

	patch := `{"type":"Feature","geometry":{"type":"Point","coordinates":[118.765,31.996]},"properties":{"status":"damaged"}}`
	if rec := apitest.Call(t, h, "PATCH", "/api/v1/components/"+code, "sur", patch); rec.Code != 428 {
		t.Fatalf("patch without If-Match: %d %s", rec.Code, rec.Body)
	}
	for _, bad := range []string{`x`, `"unterminated`, code + `-v1`, `"a" "b"`, `"a",`} {
		if rec := apitest.Call(t, h, "PATCH", "/api/v1/components/"+code, "sur", patch, "If-Match", bad); rec.Code != 400 || apitest.DecodeBody(t, rec)["field"] != "If-Match" {
			t.Fatalf("If-Match %s: %d %s", bad, rec.Code, rec.Body)
		}
	}
	// A well-formed entity tag that is not this version is a failed
	// precondition (RFC 9110 §13.1.1), whoever made it; a weak tag never
	// matches under the strong comparison If-Match uses.
	for _, foreign := range []string{`"a"`, `"` + code + `-v"`, `"` + code + `-v0"`, `W/"` + code + `-v1"`, `"` + code + `-v7", "b"`} {
		if rec := apitest.Call(t, h, "PATCH", "/api/v1/components/"+code, "sur", patch, "If-Match", foreign); rec.Code != 412 {
			t.Fatalf("If-Match %s: %d %s", foreign, rec.Code, rec.Body)
		}
	}
	// The tag of another component is never current.
	if rec := apitest.Call(t, h, "PATCH", "/api/v1/components/"+code, "sur", patch, "If-Match", `"3201140101000001-v1"`); rec.Code != 412 {
		t.Fatalf("If-Match of another component: %d", rec.Code)
	}
	time.Sleep(2 * time.Millisecond) // history times have millisecond precision; as_of below tells them apart
	rec = apitest.Call(t, h, "PATCH", "/api/v1/components/"+code, "sur", patch, "If-Match", etag)
	if rec.Code != 200 || rec.Header().Get("ETag") != `"`+code+`-v2"` {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	props = apitest.DecodeBody(t, rec)["properties"].(map[string]any)
	if props["status"] != "damaged" || props["name"] != "上水井盖" || props["unit_grid"] != "320114001001001" {
		t.Fatalf("patched %v", props)
	}
	rec = apitest.Call(t, h, "GET", "/api/v1/nearest?lon=118.765&lat=31.996&k=1&category=0101&radius=5", "", "")
	if !strings.Contains(rec.Body.String(), code) {
		t.Fatalf("nearest after move: %s", rec.Body)
	}

	// The old ETag is stale now: 412 with the current version in details.
	rec = apitest.Call(t, h, "PUT", "/api/v1/components/"+code, "sur", newLamp, "If-Match", etag)
	if rec.Code != 412 {
		t.Fatalf("stale put: %d %s", rec.Code, rec.Body)
	}
	if d := apitest.DecodeBody(t, rec)["details"].(map[string]any); d["current_version"] != 2.0 || d["etag"] != `"`+code+`-v2"` {
		t.Fatalf("412 details %v", d)
	}
	// Validation errors name the field.
	bad := strings.Replace(newLamp, `"0101"`, `"0999"`, 1)
	rec = apitest.Call(t, h, "PUT", "/api/v1/components/"+code, "sur", bad, "If-Match", `"`+code+`-v2"`)
	if rec.Code != 400 || apitest.DecodeBody(t, rec)["field"] != "category" {
		t.Fatalf("bad category: %d %s", rec.Code, rec.Body)
	}
	rec = apitest.Call(t, h, "POST", "/api/v1/components", "sur", strings.Replace(newLamp, "118.775", "121.5", 1))
	if rec.Code != 400 || apitest.DecodeBody(t, rec)["field"] != "geometry" {
		t.Fatalf("outside the city: %d %s", rec.Code, rec.Body)
	}
	rec = apitest.Call(t, h, "POST", "/api/v1/components", "sur", strings.Replace(newLamp, `"name"`, `"colour"`, 1))
	if rec.Code != 400 || apitest.DecodeBody(t, rec)["field"] != "properties.colour" {
		t.Fatalf("unknown property: %d %s", rec.Code, rec.Body)
	}

	rec = apitest.Call(t, h, "GET", "/api/v1/components/"+code+"/history", "", "")
	hist := apitest.DecodeBody(t, rec)["history"].([]any)
	if len(hist) != 2 || hist[0].(map[string]any)["reason"] != "新增" || hist[1].(map[string]any)["op"] != "update" {
		t.Fatalf("history %s", rec.Body)
	}
	at := hist[0].(map[string]any)["at"].(string)
	rec = apitest.Call(t, h, "GET", "/api/v1/components/"+code+"?as_of="+at, "", "")
	if rec.Code != 200 || rec.Header().Get("ETag") != `"`+code+`-v1"` {
		t.Fatalf("as of creation: %d %s", rec.Code, rec.Body)
	}

	if rec := apitest.Call(t, h, "DELETE", "/api/v1/components/"+code, "adm", "", "If-Match", `"`+code+`-v2"`); rec.Code != 204 {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	if rec := apitest.Call(t, h, "GET", "/api/v1/components/"+code, "", ""); rec.Code != 404 {
		t.Fatalf("get after delete: %d", rec.Code)
	}
	rec = apitest.Call(t, h, "GET", "/api/v1/nearest?lon=118.765&lat=31.996&k=1&category=0101&radius=5", "", "")
	if strings.Contains(rec.Body.String(), code) {
		t.Fatalf("nearest after delete: %s", rec.Body)
	}
}

func TestChangesetsAndGridEditsOverHTTP(t *testing.T) {
	h, st := routertest.EditServer(t)
	body := `{"type":"FeatureCollection","features":[
	 {"type":"Feature","geometry":{"type":"Point","coordinates":[118.775,31.995]},"properties":{"code":"3201140101000300","category":"0101","name":"上水井盖","department":"D0003","status":"intact"}},
	 {"type":"Feature","geometry":null,"properties":{"code":"3201140101000001","status":"damaged","version":3}},
	 {"type":"Feature","geometry":null,"properties":{"_op":"delete","code":"3201140213000001"}}]}`
	rec := apitest.Call(t, h, "POST", "/api/v1/changesets", "sur", body, "Content-Type", "application/geo+json")
	if rec.Code != 201 {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	ans := apitest.DecodeBody(t, rec)
	id := ans["id"].(string)
	rep := ans["report"].(map[string]any)
	if rep["adds"] != 1.0 || rep["modifies"] != 1.0 || rep["deletes"] != 1.0 || rep["applicable"] != true || ans["status"] != "pending" {
		t.Fatalf("dry run %s", rec.Body)
	}
	if _, err := st.Component(context.Background(), "3201140101000300"); err == nil {
		t.Fatal("the dry run wrote")
	}
	rec = apitest.Call(t, h, "POST", "/api/v1/changesets/"+id+"/apply", "sur", "")
	if rec.Code != 200 || apitest.DecodeBody(t, rec)["status"] != "applied" {
		t.Fatalf("apply: %d %s", rec.Code, rec.Body)
	}
	if rec := apitest.Call(t, h, "POST", "/api/v1/changesets/"+id+"/apply", "sur", ""); rec.Code != 409 {
		t.Fatalf("second apply: %d", rec.Code)
	}
	rec = apitest.Call(t, h, "GET", "/api/v1/nearest?lon=118.775&lat=31.995&k=1&category=0101&radius=5", "", "")
	if !strings.Contains(rec.Body.String(), "3201140101000300") {
		t.Fatalf("nearest after apply: %s", rec.Body)
	}
	// The same modification again is now a conflict (base version 3, stored 4).
	rec = apitest.Call(t, h, "POST", "/api/v1/changesets?apply=true", "sur", `{"type":"FeatureCollection","features":[
	 {"type":"Feature","geometry":null,"properties":{"code":"3201140101000001","status":"lost","version":3}}]}`)
	if rec.Code != 409 {
		t.Fatalf("conflicting apply: %d %s", rec.Code, rec.Body)
	}
	if c := apitest.DecodeBody(t, rec)["details"].(map[string]any)["conflicts"].([]any); len(c) != 1 {
		t.Fatalf("conflicts %v", c)
	}

	// Merge the two grids of community 320114001001: everything moves to 003.
	rec = apitest.Call(t, h, "POST", "/api/v1/unit_grids/merge", "sur", `{"codes":["320114001001001","320114001001002"]}`)
	if rec.Code != 200 {
		t.Fatalf("merge: %d %s", rec.Code, rec.Body)
	}
	moved := apitest.DecodeBody(t, rec)["moved"].(map[string]any)
	if len(moved) != 3 || moved["3201140101000300"] != "320114001001003" {
		t.Fatalf("moved %v", moved)
	}
	rec = apitest.Call(t, h, "GET", "/api/v1/locate?lon=118.775&lat=31.995", "", "")
	if !strings.Contains(rec.Body.String(), `"320114001001003"`) {
		t.Fatalf("locate after merge: %s", rec.Body)
	}
	if rec := apitest.Call(t, h, "POST", "/api/v1/unit_grids/320114001001003/split", "vie", `{"parts":[]}`); rec.Code != 403 {
		t.Fatalf("viewer split: %d", rec.Code)
	}
	rec = apitest.Call(t, h, "POST", "/api/v1/unit_grids/320114001001003/split", "sur", `{"parts":[
	 {"type":"Polygon","coordinates":[[[118.76,31.99],[118.77,31.99],[118.77,32.0],[118.76,32.0],[118.76,31.99]]]},
	 {"type":"Polygon","coordinates":[[[118.77,31.99],[118.78,31.99],[118.78,32.0],[118.77,32.0],[118.77,31.99]]]}]}`)
	if rec.Code != 200 {
		t.Fatalf("split: %d %s", rec.Code, rec.Body)
	}
	moved = apitest.DecodeBody(t, rec)["moved"].(map[string]any)
	if moved["3201140101000300"] != "320114001001005" || moved["3201140101000001"] != "320114001001004" {
		t.Fatalf("split moved %v", moved)
	}
	rec = apitest.Call(t, h, "GET", "/api/v1/unit_grids/320114001001003/history", "", "")
	if n := len(apitest.DecodeBody(t, rec)["history"].([]any)); n != 2 {
		t.Fatalf("grid history: %s", rec.Body)
	}
}

// TestConcurrentEditsLeaveTheIndexOnTheStoredVersion: many surveyors move
// one component at once (If-Match: *); afterwards the index finds it where
// the store has it, at the last committed version.
func TestConcurrentEditsLeaveTheIndexOnTheStoredVersion(t *testing.T) {
	h, st := routertest.EditServer(t)
	const code = "3201140101000001"
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%.6f,31.995]}}`, 118.7605+float64(i)*0.0002)
			if rec := apitest.Call(t, h, "PATCH", "/api/v1/components/"+code, "sur", body, "If-Match", "*"); rec.Code != 200 {
				t.Errorf("patch %d: %d %s", i, rec.Code, rec.Body)
			}
		}(i)
	}
	wg.Wait()
	c, err := st.Component(context.Background(), code)
	if err != nil || c.Version != 3+40 {
		t.Fatalf("stored %+v %v", c, err)
	}
	p := c.Geometry.(orb.Point)
	rec := apitest.Call(t, h, "GET", fmt.Sprintf("/api/v1/nearest?lon=%.6f&lat=%.6f&k=1&category=0101&radius=2", p[0], p[1]), "", "")
	if !strings.Contains(rec.Body.String(), code) {
		t.Fatalf("the index lost the last version: %s", rec.Body)
	}
}

func TestListComponentsPagesAndFilters(t *testing.T) {
	h, _ := routertest.EditServer(t)
	page := func(url string) (codes []string, next string) {
		rec := apitest.Call(t, h, "GET", url, "", "")
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", url, rec.Code, rec.Body)
		}
		m := apitest.DecodeBody(t, rec)
		for _, f := range m["features"].([]any) {
			codes = append(codes, f.(map[string]any)["id"].(string))
		}
		next, _ = m["next"].(string)
		return
	}
	codes, next := page("/api/v1/components?limit=2")
	if strings.Join(codes, ",") != "3201140101000001,3201140213000001" || next != "3201140213000001" {
		t.Fatalf("page 1 %v next %q", codes, next)
	}
	if codes, next = page("/api/v1/components?limit=2&after=" + next); strings.Join(codes, ",") != "3201140501000001" || next != "" {
		t.Fatalf("page 2 %v next %q", codes, next)
	}
	if codes, _ = page("/api/v1/components?unit_grid=320114001001001"); strings.Join(codes, ",") != "3201140101000001,3201140501000001" {
		t.Fatalf("unit grid filter %v", codes)
	}
	if codes, _ = page("/api/v1/components?bbox=118.770,31.990,118.780,32.0"); strings.Join(codes, ",") != "3201140213000001" {
		t.Fatalf("bbox filter %v", codes)
	}
	rec := apitest.Call(t, h, "DELETE", "/api/v1/components/3201140213000001", "sur", "", "If-Match", `"3201140213000001-v1"`)
	if rec.Code != 204 {
		t.Fatalf("delete: %d", rec.Code)
	}
	if codes, _ = page("/api/v1/components"); len(codes) != 2 {
		t.Fatalf("after delete %v", codes)
	}
	if codes, _ = page("/api/v1/components?as_of=2020-01-01T00:00:00Z"); len(codes) != 3 {
		t.Fatalf("as of before the delete %v", codes)
	}
	if rec := apitest.Call(t, h, "GET", "/api/v1/components?bbox=1,2", "", ""); rec.Code != 400 || apitest.DecodeBody(t, rec)["field"] != "bbox" {
		t.Fatalf("bad bbox: %d", rec.Code)
	}
}

// TestMergePatchWithoutFeatureTypeChangesOnlyWhatItNames sends what RFC
// 7396 clients send: only the members that change, without "type", as
// application/merge-patch+json and as plain JSON. Absent members stay and
// null clears; a body whose type is something else than a Feature is
// still refused.
func TestMergePatchWithoutFeatureTypeChangesOnlyWhatItNames(t *testing.T) {
	h, _ := routertest.EditServer(t)
	rec := apitest.Call(t, h, "POST", "/api/v1/components", "sur", newLamp)
	if rec.Code != 201 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	code, etag := "3201140101000002", rec.Header().Get("ETag")
	rec = apitest.Call(t, h, "PATCH", "/api/v1/components/"+code, "sur", `{"properties":{"status":"damaged"}}`,
		"If-Match", etag, "Content-Type", "application/merge-patch+json")
	if rec.Code != 200 {
		t.Fatalf("merge patch: %d %s", rec.Code, rec.Body)
	}
	props := apitest.DecodeBody(t, rec)["properties"].(map[string]any)
	if props["status"] != "damaged" || props["name"] != "上水井盖" || props["owner"] != "D0003" {
		t.Fatalf("after the merge patch: %v", props)
	}
	rec = apitest.Call(t, h, "PATCH", "/api/v1/components/"+code, "sur", `{"properties":{"name":null}}`,
		"If-Match", rec.Header().Get("ETag"), "Content-Type", "application/json")
	if rec.Code != 200 {
		t.Fatalf("plain JSON merge patch: %d %s", rec.Code, rec.Body)
	}
	props = apitest.DecodeBody(t, rec)["properties"].(map[string]any)
	if props["name"] != nil && props["name"] != "" || props["status"] != "damaged" {
		t.Fatalf("after clearing the name: %v", props)
	}
	rec = apitest.Call(t, h, "PATCH", "/api/v1/components/"+code, "sur", `{"type":"Point","properties":{}}`, "If-Match", "*")
	if rec.Code != 400 || apitest.DecodeBody(t, rec)["field"] != "type" {
		t.Fatalf("a Point body: %d %s", rec.Code, rec.Body)
	}
}
