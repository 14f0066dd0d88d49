package editing_test

import (
	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
	"net/url"
	"testing"
	"time"
)

// TestUnitGridsAsOfOverHTTP: after a merge, the grid list answers the
// merged grid now and the two old grids as of before the merge; a retired
// grid reads back as of then and is 404 now.
func TestUnitGridsAsOfOverHTTP(t *testing.T) {
	h, _ := routertest.EditServer(t)
	codes := func(q string) []string {
		rec := apitest.Call(t, h, "GET", "/api/v1/unit_grids?"+q, "", "")
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/geo+json" {
			t.Fatalf("list %s: %d %s", q, rec.Code, rec.Body)
		}
		var out []string
		for _, f := range apitest.DecodeBody(t, rec)["features"].([]any) {
			out = append(out, f.(map[string]any)["id"].(string))
		}
		return out
	}
	time.Sleep(5 * time.Millisecond)
	before := time.Now().UTC().Format(time.RFC3339Nano)
	time.Sleep(5 * time.Millisecond)
	if rec := apitest.Call(t, h, "POST", "/api/v1/unit_grids/merge", "sur", `{"codes":["320114001001001","320114001001002"]}`); rec.Code != 200 {
		t.Fatalf("merge: %d %s", rec.Code, rec.Body)
	}
	if got := codes("community=320114001001"); len(got) != 1 || got[0] != "320114001001003" {
		t.Fatalf("grids now: %v", got)
	}
	if got := codes("community=320114001001&as_of=" + url.QueryEscape(before)); len(got) != 2 || got[0] != "320114001001001" || got[1] != "320114001001002" {
		t.Fatalf("grids before the merge: %v", got)
	}
	if rec := apitest.Call(t, h, "GET", "/api/v1/unit_grids/320114001001001", "", ""); rec.Code != 404 {
		t.Fatalf("retired grid now: %d", rec.Code)
	}
	rec := apitest.Call(t, h, "GET", "/api/v1/unit_grids/320114001001001?as_of="+url.QueryEscape(before), "", "")
	if rec.Code != 200 || apitest.DecodeBody(t, rec)["properties"].(map[string]any)["community"] != "320114001001" {
		t.Fatalf("retired grid as of before: %d %s", rec.Code, rec.Body)
	}
	for _, q := range []string{"as_of=yesterday", "community=32011400"} {
		if rec := apitest.Call(t, h, "GET", "/api/v1/unit_grids?"+q, "", ""); rec.Code != 400 {
			t.Fatalf("%s: %d", q, rec.Code)
		}
	}
}

// TestUnitGridListPagesFollowingItsNextLink: with limit=1 the list of the
// test city's three grids comes one page at a time, each pointing to the
// next in the Link header and the body, until the last, which has no next;
// the pages together are the unpaged list. A limit past the maximum is 400.
func TestUnitGridListPagesFollowingItsNextLink(t *testing.T) {
	h, _ := routertest.EditServer(t)
	rec := apitest.Call(t, h, "GET", "/api/v1/unit_grids", "", "")
	apitest.MustStatus(t, rec, 200)
	all := apitest.DecodeBody(t, rec)
	var want []string
	for _, f := range all["features"].([]any) {
		want = append(want, f.(map[string]any)["id"].(string))
	}
	if len(want) < 2 || all["next"] != nil {
		t.Fatalf("the unpaged list: %v", want)
	}
	var got []string
	link := "/api/v1/unit_grids?limit=1"
	for pages := 0; link != ""; pages++ {
		if pages > len(want) {
			t.Fatalf("more pages than grids: %v", got)
		}
		rec := apitest.Call(t, h, "GET", link, "", "")
		apitest.MustStatus(t, rec, 200)
		page := apitest.DecodeBody(t, rec)
		fs := page["features"].([]any)
		if len(fs) != 1 {
			t.Fatalf("%s: %d features", link, len(fs))
		}
		got = append(got, fs[0].(map[string]any)["id"].(string))
		link, _ = page["next_link"].(string)
		if header := rec.Header().Get("Link"); (link == "") != (header == "") || link != "" && header != "<"+link+`>; rel="next"` {
			t.Fatalf("Link header %q, next_link %q", header, link)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("paged %v, unpaged %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("paged %v, unpaged %v", got, want)
		}
	}
	apitest.MustStatus(t, apitest.Call(t, h, "GET", "/api/v1/unit_grids?limit=100000", "", ""), 400)
}
