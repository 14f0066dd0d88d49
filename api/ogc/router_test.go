package ogc_test

import (
	"strconv"
	"strings"
	"testing"

	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
)

// TestOGCWritesGoThroughTheServersEditor drives the assembled server: a
// component created through OGC API Features is the components API's
// component (same ETag, same history), tokens and roles apply, and the
// tile change feed lists its tiles.
func TestOGCWritesGoThroughTheServersEditor(t *testing.T) {
	h, st := routertest.EditServer(t)
	start := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/tiles/city/changes", "", ""), 200)["next"].(float64)
	body := `{"type":"Feature","geometry":{"type":"Point","coordinates":[118.775,31.995]},
		"properties":{"category":"0101","name":"上水井盖","department":"D0003","owner":"D0003","status":"intact"}}`
	if rec := apitest.Call(t, h, "POST", "/ogc/collections/components/items", "", body); rec.Code != 401 {
		t.Fatalf("anonymous: %d", rec.Code)
	}
	if rec := apitest.Call(t, h, "POST", "/ogc/collections/components/items", "vie", body); rec.Code != 403 {
		t.Fatalf("viewer: %d", rec.Code)
	}
	rec := apitest.Call(t, h, "POST", "/ogc/collections/components/items?reason=x", "sur", body)
	if rec.Code != 400 {
		t.Fatalf("unknown parameter reason: %d %s", rec.Code, rec.Body)
	}
	rec = apitest.Call(t, h, "POST", "/ogc/collections/components/items", "sur", body)
	apitest.MustStatus(t, rec, 201)
	created := apitest.DecodeBody(t, rec)
	code := created["id"].(string)
	etag := rec.Header().Get("ETag")
	if !strings.HasSuffix(rec.Header().Get("Location"), "/ogc/collections/components/items/"+code) {
		t.Fatalf("Location %s", rec.Header().Get("Location"))
	}
	got := apitest.Call(t, h, "GET", "/api/v1/components/"+code, "", "")
	if got.Code != 200 || got.Header().Get("ETag") != etag {
		t.Fatalf("components API: %d %s, OGC ETag %s", got.Code, got.Header().Get("ETag"), etag)
	}
	// OPTIONS says what this client may do (QGIS enables editing by it).
	for token, want := range map[string]string{"": "GET, OPTIONS", "vie": "GET, OPTIONS", "sur": "GET, POST, OPTIONS"} {
		if got := apitest.Call(t, h, "OPTIONS", "/ogc/collections/components/items", token, "").Header().Get("Allow"); got != want {
			t.Errorf("OPTIONS items as %q: Allow %q, want %q", token, got, want)
		}
	}
	if got := apitest.Call(t, h, "OPTIONS", "/ogc/collections/components/items/"+code, "sur", "").Header().Get("Allow"); got != "GET, PUT, PATCH, DELETE, OPTIONS" {
		t.Errorf("OPTIONS item: Allow %q", got)
	}
	if got := apitest.Call(t, h, "OPTIONS", "/ogc/collections/unit_grids/items", "sur", "").Header().Get("Allow"); got != "GET, OPTIONS" {
		t.Errorf("OPTIONS unit grids: Allow %q", got)
	}
	// A stale ETag: 412 in the OGC exception format, with details.
	stale := apitest.Call(t, h, "PATCH", "/ogc/collections/components/items/"+code, "sur", `{"type":"Feature","properties":{"status":"lost"}}`,
		"If-Match", `"`+code+`-v9"`)
	if b := apitest.MustStatus(t, stale, 412); b["code"] != "PreconditionFailed" || b["details"] == nil {
		t.Fatalf("stale: %v", b)
	}
	hist, err := st.History(t.Context(), "components", code)
	if err != nil || len(hist) != 1 || hist[0].User != "surveyor1" {
		t.Fatalf("history %v %v", hist, err)
	}
	feed := apitest.MustStatus(t, apitest.Call(t, h, "GET", "/tiles/city/changes?since="+strconv.FormatFloat(start, 'f', 0, 64), "", ""), 200)
	if tiles, _ := feed["tiles"].([]any); len(tiles) == 0 || feed["reset"] != false {
		t.Fatalf("feed after the write: %v", feed)
	}
}
