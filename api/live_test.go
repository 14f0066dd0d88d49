package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/internal/apitest"
	"citygrid/api/internal/testcity"
	"citygrid/api/lookups"
	"citygrid/api/maps"
	"citygrid/data"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// newLiveTestServer serves testCity's tiles and lookups and returns the
// city, whose live applier edit handlers would call.
func newLiveTestServer(t *testing.T) (http.Handler, *city.City) {
	t.Helper()
	return newLiveTestCity(t, city.Config{})
}

// newLiveTestCity opens testCity with cc (its index, logger and the rest
// unset) and serves its tiles and lookups.
func newLiveTestCity(t *testing.T, cc city.Config) (http.Handler, *city.City) {
	t.Helper()
	ix, err := newTestIndex()
	if err != nil {
		t.Fatal(err)
	}
	cc.Index = ix
	if cc.Logger == nil {
		cc.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c, err := city.Open(context.Background(), cc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	r := chi.NewRouter()
	maps.Mount(r, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	lookups.Mount(r, c, 1000)
	return r, c
}

func tileURL(p orb.Point, z int) string {
	t := maptile.At(p, maptile.Zoom(z))
	return "/tiles/city/" + strconv.Itoa(z) + "/" + strconv.Itoa(int(t.X)) + "/" + strconv.Itoa(int(t.Y)) + ".mvt"
}

// TestLiveEditsReachTilesAndLookupsOverHTTP: after Apply returns, the tile
// holding a new lamp answers 200 with a new ETag (an If-None-Match with the
// old one is not 304) and draws it, at z15 and z17; the tile over grid B1
// answers 304 to its old ETag; TileJSON names a new data version;
// /api/v1/nearest finds the lamp.
func TestLiveEditsReachTilesAndLookupsOverHTTP(t *testing.T) {
	h, live := newLiveTestServer(t)
	at := orb.Point{118.7080, 31.9120} // in grid A1, no component there
	far := orb.Point{118.7350, 31.9050}
	gz := []string{"Accept-Encoding", "gzip"}
	v0 := testcity.TileJSONOf(t, h).DataVersion
	etags := map[string]string{}
	for _, u := range []string{tileURL(at, 15), tileURL(at, 17), tileURL(far, 17)} {
		rec := testcity.Get(t, h, u, gz...)
		if rec.Code != 200 && rec.Code != 204 {
			t.Fatalf("%s: %d", u, rec.Code)
		}
		etags[u] = rec.Header().Get("ETag")
	}
	lamp := data.Component{Code: "3201140201000099", Category: testcity.Lamp, Name: "新路灯", Geometry: at,
		Department: "D-LIGHT", Status: data.StatusIntact, UnitGrid: testcity.GridA1, Version: 1}
	live.Live.Apply([]data.Change{{Layer: "components", Op: data.OpInsert, Code: lamp.Code, Version: 1, AfterComponent: &lamp}})

	for _, z := range []int{15, 17} {
		u := tileURL(at, z)
		rec := testcity.Get(t, h, u, "Accept-Encoding", "gzip", "If-None-Match", etags[u])
		if rec.Code != 200 || rec.Header().Get("ETag") == etags[u] {
			t.Fatalf("%s after the edit: %d, ETag %s (was %s)", u, rec.Code, rec.Header().Get("ETag"), etags[u])
		}
		ls, err := mvt.UnmarshalGzipped(rec.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, l := range ls {
			for _, f := range l.Features {
				if l.Name == "components" && f.Properties["code"] == lamp.Code {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s does not draw the new lamp", u)
		}
	}
	if u := tileURL(far, 17); etags[u] != "" {
		if rec := testcity.Get(t, h, u, "Accept-Encoding", "gzip", "If-None-Match", etags[u]); rec.Code != http.StatusNotModified {
			t.Errorf("untouched %s: %d, want 304", u, rec.Code)
		}
	} else {
		t.Fatal("the far tile is empty: the fixture changed")
	}
	tj := testcity.TileJSONOf(t, h)
	if tj.DataVersion == v0 || !strings.HasSuffix(tj.Tiles[0], "?v="+tj.DataVersion) {
		t.Errorf("TileJSON after the edit: version %s (was %s), URL %s", tj.DataVersion, v0, tj.Tiles[0])
	}
	rec := testcity.Get(t, h, "/api/v1/nearest?lon=118.7080&lat=31.9120&k=1&radius=5")
	var res struct {
		Components []struct{ Code string } `json:"components"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || len(res.Components) != 1 || res.Components[0].Code != lamp.Code {
		t.Errorf("nearest after the edit: %d %s", rec.Code, rec.Body)
	}
}

// TestLiveApplyFollowsTheStoreWhenTheIndexDrifted: committed changes that
// do not fit the index (a delete of a code it lacks, an update of a code
// it lacks, an insert of one it has) are replayed as what they make the
// feature, so the index ends as the store is; a malformed change (no
// geometry) is refused and changes nothing.
func TestLiveApplyFollowsTheStoreWhenTheIndexDrifted(t *testing.T) {
	h, live := newLiveTestServer(t)
	v0 := testcity.TileJSONOf(t, h).DataVersion
	live.Live.Apply([]data.Change{{Layer: "components", Op: data.OpDelete, Code: "nope"}})
	if v := testcity.TileJSONOf(t, h).DataVersion; v != v0 {
		t.Errorf("version moved on a delete of nothing: %s → %s", v0, v)
	}
	lost := data.Component{Code: "3201140201000077", Category: testcity.Lamp, Geometry: orb.Point{118.709, 31.911}, Status: data.StatusIntact}
	live.Live.Apply([]data.Change{{Layer: "components", Op: data.OpUpdate, Code: lost.Code, AfterComponent: &lost}})
	if got, ok := live.Index.Component(lost.Code); !ok || got.Geometry != lost.Geometry {
		t.Errorf("update of a component the index lacked: %+v %v", got, ok)
	}
	again := lost
	again.Geometry = orb.Point{118.7091, 31.9111}
	live.Live.Apply([]data.Change{{Layer: "components", Op: data.OpInsert, Code: lost.Code, AfterComponent: &again}})
	if got, _ := live.Index.Component(lost.Code); got.Geometry != again.Geometry {
		t.Errorf("insert of a component the index had: %+v", got)
	}
	v1 := testcity.TileJSONOf(t, h).DataVersion
	bad := data.Component{Code: "3201140201000078", Category: testcity.Lamp}
	live.Live.Apply([]data.Change{{Layer: "components", Op: data.OpInsert, Code: bad.Code, AfterComponent: &bad}})
	if _, ok := live.Index.Component(bad.Code); ok || testcity.TileJSONOf(t, h).DataVersion != v1 {
		t.Error("a component without geometry was applied")
	}
}

// TestConcurrentLiveAppliesAllLand: edits from many goroutines at once
// (grouped into shared passes) are each visible when their Apply returns;
// one refused change among them does not hold the others back.
func TestConcurrentLiveAppliesAllLand(t *testing.T) {
	_, live := newLiveTestServer(t)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 7 {
				live.Live.Apply([]data.Change{{Layer: "components", Op: data.OpDelete, Code: "nope"}})
				return
			}
			c := data.Component{Code: fmt.Sprintf("32011402019%05d", i), Category: testcity.Lamp, Name: "灯",
				Geometry: orb.Point{118.701 + float64(i)*0.0005, 31.905}, Status: data.StatusIntact, Version: 1}
			live.Live.Apply([]data.Change{{Layer: "components", Op: data.OpInsert, Code: c.Code, AfterComponent: &c}})
			if got, ok := live.Index.Component(c.Code); !ok || got.Geometry != c.Geometry {
				errs <- "component " + c.Code + " not indexed when Apply returned"
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestGeocodingFollowsUnitGridEdits splits the unit grid holding door plate
// A001 and POI P002 over HTTP: right after the split's answer, forward
// geocoding of the plate and reverse geocoding at the POI name the new
// grids that locate gives at their points (before: the old grid), and a
// merge back to one grid is followed the same way.
func TestGeocodingFollowsUnitGridEdits(t *testing.T) {
	st, ix := apitest.StoredCity(t, t.TempDir())
	h, err := newServer(t, city.Config{Store: st, Index: ix, Dir: t.TempDir()},
		Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: auth.StaticTokens{"sur": {User: "surveyor1", Role: data.RoleSurveyor}}})
	if err != nil {
		t.Fatal(err)
	}
	plate := orb.Point{118.768, 31.9955} // A001, 雨花路101号
	poi := orb.Point{118.762, 31.996}    // P002, 雨花小学
	gridAt := func(p orb.Point) string {
		t.Helper()
		rec := apitest.Call(t, h, "GET", fmt.Sprintf("/api/v1/locate?lon=%g&lat=%g", p[0], p[1]), "", "")
		var loc struct {
			UnitGrid struct {
				Code string `json:"code"`
			} `json:"unit_grid"`
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &loc) != nil || loc.UnitGrid.Code == "" {
			t.Fatalf("locate %v: %d %s", p, rec.Code, rec.Body)
		}
		return loc.UnitGrid.Code
	}
	type result struct {
		Code     string `json:"code"`
		UnitGrid string `json:"unit_grid"`
	}
	forwardGrid := func() string {
		t.Helper()
		rec := apitest.Call(t, h, "GET", "/api/v1/geocode?q="+url.QueryEscape("雨花路101号"), "", "")
		var ans struct{ Results []result }
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &ans) != nil || len(ans.Results) == 0 || ans.Results[0].Code != "A001" {
			t.Fatalf("geocode: %d %s", rec.Code, rec.Body)
		}
		return ans.Results[0].UnitGrid
	}
	reverseGrid := func() string {
		t.Helper()
		rec := apitest.Call(t, h, "GET", fmt.Sprintf("/api/v1/reverse?lon=%g&lat=%g", poi[0], poi[1]), "", "")
		var ans struct{ Results []result }
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &ans) != nil {
			t.Fatalf("reverse: %d %s", rec.Code, rec.Body)
		}
		for _, r := range ans.Results {
			if r.Code == "P002" {
				return r.UnitGrid
			}
		}
		t.Fatalf("reverse at P002 does not answer it: %s", rec.Body)
		return ""
	}
	const old = "320114001001001"
	if f, r := forwardGrid(), reverseGrid(); f != old || r != old {
		t.Fatalf("before the split: plate in %q, POI in %q, want %s", f, r, old)
	}
	rec := apitest.Call(t, h, "POST", "/api/v1/unit_grids/"+old+"/split", "sur", `{"parts":[
	 {"type":"Polygon","coordinates":[[[118.76,31.99],[118.765,31.99],[118.765,32.0],[118.76,32.0],[118.76,31.99]]]},
	 {"type":"Polygon","coordinates":[[[118.765,31.99],[118.77,31.99],[118.77,32.0],[118.765,32.0],[118.765,31.99]]]}]}`)
	if rec.Code != 200 {
		t.Fatalf("split: %d %s", rec.Code, rec.Body)
	}
	east, west := gridAt(plate), gridAt(poi)
	if east == old || west == old || east == west {
		t.Fatalf("locate after the split: plate in %s, POI in %s", east, west)
	}
	if f := forwardGrid(); f != east {
		t.Errorf("geocoding the plate after the split answers grid %s, locate %s", f, east)
	}
	if r := reverseGrid(); r != west {
		t.Errorf("reverse geocoding at the POI after the split answers grid %s, locate %s", r, west)
	}
	rec = apitest.Call(t, h, "POST", "/api/v1/unit_grids/merge", "sur", fmt.Sprintf(`{"codes":[%q,%q]}`, west, east))
	if rec.Code != 200 {
		t.Fatalf("merge: %d %s", rec.Code, rec.Body)
	}
	merged := gridAt(plate)
	if merged == east || merged == west || gridAt(poi) != merged {
		t.Fatalf("locate after the merge: plate in %s, POI in %s", merged, gridAt(poi))
	}
	if f, r := forwardGrid(), reverseGrid(); f != merged || r != merged {
		t.Errorf("after the merge: plate in %s, POI in %s, locate %s", f, r, merged)
	}
}

// TestLiveApplyOfLoggedChangesIsTheSame: changes that arrive with the
// store's commit sequence (data.Change.Seq, as a replica's change follower
// hands them over) are applied exactly like the same changes without one:
// two servers fed the same insert, move and delete, one with Seqs and one
// without, answer the same tiles (ETag) at every zoom, data version and
// nearest after each step.
func TestLiveApplyOfLoggedChangesIsTheSame(t *testing.T) {
	hA, liveA := newLiveTestServer(t)
	hB, liveB := newLiveTestServer(t)
	lamp := data.Component{Code: "3201140201000099", Category: testcity.Lamp, Geometry: orb.Point{118.7123, 31.9134}, Status: data.StatusIntact, Version: 1}
	moved := lamp
	moved.Geometry, moved.Version = orb.Point{118.7125, 31.9136}, 2
	steps := [][]data.Change{
		{{Layer: "components", Op: data.OpInsert, Code: lamp.Code, Version: 1, AfterComponent: &lamp}},
		{{Layer: "components", Op: data.OpUpdate, Code: lamp.Code, Version: 2, BeforeComponent: &lamp, AfterComponent: &moved}},
		{{Layer: "components", Op: data.OpDelete, Code: lamp.Code, Version: 2, BeforeComponent: &moved}},
	}
	for i, step := range steps {
		logged := slices.Clone(step)
		for k := range logged {
			logged[k].Seq = int64(10*i + k + 1)
		}
		liveA.Live.Apply(logged)
		liveB.Live.Apply(step)
		for z := 12; z <= 17; z++ {
			for _, p := range []orb.Point{lamp.Geometry.(orb.Point), moved.Geometry.(orb.Point)} {
				a, b := testcity.Get(t, hA, tileURL(p, z)), testcity.Get(t, hB, tileURL(p, z))
				if a.Code != b.Code || a.Header().Get("ETag") != b.Header().Get("ETag") {
					t.Errorf("step %d z%d: with Seq %d %s, without %d %s", i, z, a.Code, a.Header().Get("ETag"), b.Code, b.Header().Get("ETag"))
				}
			}
		}
		if va, vb := testcity.TileJSONOf(t, hA).DataVersion, testcity.TileJSONOf(t, hB).DataVersion; va != vb {
			t.Errorf("step %d: data version with Seq %s, without %s", i, va, vb)
		}
		near := "/api/v1/nearest?lon=118.7125&lat=31.9136&k=1&category=" + testcity.Lamp
		if a, b := testcity.Get(t, hA, near).Body.String(), testcity.Get(t, hB, near).Body.String(); a != b {
			t.Errorf("step %d: nearest with Seq %s, without %s", i, a, b)
		}
		_, inA := liveA.Index.Component(lamp.Code)
		if want := i < 2; inA != want {
			t.Errorf("step %d: lamp in the index %v, want %v", i, inA, want)
		}
	}
}
