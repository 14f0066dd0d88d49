package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/test/harness"
	"citygrid/tiles/mbtiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// liveCall sends a request with a bearer token and decodes a JSON answer.
func liveCall(t *testing.T, base, method, path, token, body string, v any) int {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil && len(b) > 0 {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// bakedHashes reads every tile of the baked file for the given tiles.
func bakedHashes(t *testing.T, path string, as []maptile.Tile) map[maptile.Tile]string {
	t.Helper()
	r, err := mbtiles.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := map[maptile.Tile]string{}
	for _, a := range as {
		b, ok, err := r.Tile(context.Background(), int(a.Z), int(a.X), int(a.Y))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			s := sha256.Sum256(b)
			out[a] = hex.EncodeToString(s[:12])
		}
	}
	return out
}

// TestHTTPEditsReachTilesAndBakedFileLive drives the editor's HTTP API on
// the real binary serving baked z14–z17 tiles: a component added with POST
// changes, on the very next request and without polling, the tile holding
// it at every baked zoom (it is drawn there or counted once more), while
// an untouched neighbour answers 304 and /api/v1/nearest finds it; a unit
// grid split shows in locate at once; then the baked file is rewritten in
// place: the tiles whose stored bytes changed are all among the tiles the
// edits' geometry reaches (computed here from the tile grid), none missing
// the new content, and the file names the served data version.
func TestHTTPEditsReachTilesAndBakedFileLive(t *testing.T) {
	dir := city.Dir(t)
	if out, err := harness.Run(t, "bake", "--dir", dir, "--minzoom", "14", "--maxzoom", "17", "--quiet"); err != nil {
		t.Fatalf("bake: %v\n%s", err, out)
	}
	token := harness.Token(t, dir, "live-e2e", "surveyor")
	s := serve(t, dir, "--access-log=false")
	mbPath := filepath.Join(dir, "citygrid.mbtiles")

	ds := loadCity(t, dir)
	var c data.Component
	for _, cc := range ds.Components {
		if _, ok := cc.Geometry.(orb.Point); ok && cc.UnitGrid != "" && cc.Department != "" {
			c = cc
			break
		}
	}
	if c.Code == "" {
		t.Fatal("no point component")
	}
	var g data.UnitGrid
	for _, cand := range ds.UnitGrids {
		if len(cand.Geometry) == 1 && len(cand.Geometry[0]) == 1 && len(cand.Geometry[0][0]) == 5 {
			g = cand
			break
		}
	}
	if g.Code == "" {
		t.Fatal("no four-cornered unit grid")
	}
	p := c.Geometry.(orb.Point)
	added := orb.Point{p[0] + 4e-5, p[1] + 3e-5}

	// Every baked tile the edits can reach, and a sample of others.
	reach := map[maptile.Tile]bool{}
	var probe []maptile.Tile
	for z := maptile.Zoom(14); z <= 17; z++ {
		for _, b := range []orb.Bound{added.Bound(), g.Geometry.Bound()} {
			lo := maptile.At(orb.Point{b.Min[0], b.Max[1]}, z)
			hi := maptile.At(orb.Point{b.Max[0], b.Min[1]}, z)
			for x := lo.X - 1; x <= hi.X+1; x++ {
				for y := lo.Y - 1; y <= hi.Y+1; y++ {
					tl := maptile.New(x, y, z)
					probe = append(probe, tl)
					if tl.Bound(64.0 / 4096).Intersects(b) {
						reach[tl] = true
					}
				}
			}
		}
	}
	before := bakedHashes(t, mbPath, probe)
	tags := map[maptile.Tile]string{}
	for _, tl := range probe {
		tags[tl] = fetchTile(t, s.URL, tl).etag
	}

	newCode := data.ComponentCode(c.Code[:6], c.Category, 999991)
	body := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%.9f,%.9f]},"properties":{"code":%q,"category":%q,"name":"实时新增","department":%q,"status":"intact"}}`,
		added[0], added[1], newCode, c.Category, c.Department)
	if st := liveCall(t, s.URL, "POST", "/api/v1/components", token, body, nil); st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("create: %d", st)
	}
	for z := maptile.Zoom(14); z <= 17; z++ {
		tl := maptile.At(added, z)
		a := fetchTile(t, s.URL, tl)
		if a.status != http.StatusOK || a.etag == tags[tl] {
			t.Errorf("z%d tile %v after the insert: %d, ETag %s (was %s)", z, tl, a.status, a.etag, tags[tl])
		}
		if z == 17 && !hasComponent(a.body, newCode) {
			t.Errorf("z17 tile does not draw the new component")
		}
	}
	untouched := 0
	for _, tl := range probe {
		if reach[tl] || tags[tl] == "" {
			continue
		}
		untouched++
		if a := fetchTile(t, s.URL, tl, "If-None-Match", tags[tl]); a.status != http.StatusNotModified {
			t.Errorf("untouched tile %v: %d, want 304", tl, a.status)
		}
	}
	if untouched == 0 {
		t.Error("no untouched neighbour to check")
	}
	var near struct {
		Components []struct {
			Code string `json:"code"`
		} `json:"components"`
	}
	liveCall(t, s.URL, "GET", fmt.Sprintf("/api/v1/nearest?lon=%.9f&lat=%.9f&k=1&radius=2", added[0], added[1]), "", "", &near)
	if len(near.Components) != 1 || near.Components[0].Code != newCode {
		t.Errorf("nearest at the new component: %+v", near)
	}

	// Split the grid along a diagonal.
	r := g.Geometry[0][0]
	partA := orb.Polygon{{r[0], r[1], r[2], r[0]}}
	partB := orb.Polygon{{r[0], r[2], r[3], r[0]}}
	pa, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": partA})
	pb, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": partB})
	var split struct {
		Retired []string `json:"retired"`
		Grids   []struct {
			Properties struct {
				Code string `json:"code"`
			} `json:"properties"`
		} `json:"grids"`
	}
	if st := liveCall(t, s.URL, "POST", "/api/v1/unit_grids/"+g.Code+"/split", token, fmt.Sprintf(`{"parts":[%s,%s]}`, pa, pb), &split); st != http.StatusOK && st != http.StatusCreated {
		t.Fatalf("split: %d", st)
	}
	if len(split.Grids) != 2 {
		t.Fatalf("split answered %+v", split)
	}
	ca := orb.Point{(r[0][0] + r[1][0] + r[2][0]) / 3, (r[0][1] + r[1][1] + r[2][1]) / 3}
	var loc struct {
		UnitGrid struct {
			Code string `json:"code"`
		} `json:"unit_grid"`
	}
	liveCall(t, s.URL, "GET", fmt.Sprintf("/api/v1/locate?lon=%.9f&lat=%.9f", ca[0], ca[1]), "", "", &loc)
	if loc.UnitGrid.Code == g.Code || (loc.UnitGrid.Code != split.Grids[0].Properties.Code && loc.UnitGrid.Code != split.Grids[1].Properties.Code) {
		t.Errorf("locate in the first half after the split: %q (old %s, new %+v)", loc.UnitGrid.Code, g.Code, split.Grids)
	}

	// The baked file catches up, tile by tile.
	var tj struct {
		DataVersion string `json:"data_version"`
	}
	liveCall(t, s.URL, "GET", "/tiles/city.json", "", "", &tj)
	deadline := time.Now().Add(30 * time.Second)
	for {
		rd, err := mbtiles.Open(context.Background(), mbPath)
		if err != nil {
			t.Fatal(err)
		}
		v := rd.Metadata()["data_version"]
		rd.Close()
		if v == tj.DataVersion {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("baked file data_version %q, served %q", v, tj.DataVersion)
		}
		time.Sleep(100 * time.Millisecond)
	}
	after := bakedHashes(t, mbPath, probe)
	changed := 0
	for _, tl := range probe {
		if before[tl] == after[tl] {
			continue
		}
		changed++
		if !reach[tl] {
			t.Errorf("baked tile %v rewritten with new bytes, but no edit reaches it", tl)
		}
		served := fetchTile(t, s.URL, tl)
		if sum := `"` + after[tl] + `"`; after[tl] != "" && served.etag != sum {
			t.Errorf("baked tile %v holds %s, the server answers %s", tl, sum, served.etag)
		}
	}
	if changed == 0 {
		t.Error("no baked tile was rewritten")
	}
	t.Logf("%d tiles probed, %d reachable by the edits, %d rewritten with new bytes", len(probe), len(reach), changed)
}
