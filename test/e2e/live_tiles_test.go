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
	"citygrid/data/geoio"
	"citygrid/test/harness"
	"citygrid/tiles/mbtiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

type tileAnswer struct {
	status int
	etag   string
	source string
	body   []byte
}

func fetchTile(t *testing.T, base string, tl maptile.Tile, header ...string) tileAnswer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/tiles/city/%d/%d/%d.mvt", base, tl.Z, tl.X, tl.Y), nil)
	req.Header.Set("Accept-Encoding", "gzip")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// The default transport would gunzip the body itself; keep the bytes.
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return tileAnswer{resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("X-Tile-Source"), b}
}

func dataVersion(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/tiles/city.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tj struct {
		DataVersion string `json:"data_version"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tj); err != nil {
		t.Fatal(err)
	}
	return tj.DataVersion
}

func hasComponent(gz []byte, code string) bool {
	ls, err := mvt.UnmarshalGzipped(gz)
	if err != nil {
		return false
	}
	for _, l := range ls {
		if l.Name != "components" {
			continue
		}
		for _, f := range l.Features {
			if f.Properties["code"] == code {
				return true
			}
		}
	}
	return false
}

// TestImportedComponentReachesBakedTilesLive: a server serving baked tiles
// (z14–z17) sees a component that `citygrid import` adds from another
// process: the tile holding it changes ETag and draws it, a neighbouring
// tile keeps its ETag (304), TileJSON's data version moves on; then the
// baked file itself is rewritten in place (its copy of the tile becomes the
// new bytes) and a restarted server trusts the file, whose data_version is
// the new one, and serves the tile from it.
func TestImportedComponentReachesBakedTilesLive(t *testing.T) {
	dir := city.Dir(t)
	if out, err := harness.Combined(t, "bake", "--dir", dir, "--minzoom", "14", "--maxzoom", "17", "--quiet"); err != nil {
		t.Fatalf("bake: %v\n%s", err, out)
	}
	s := serve(t, dir)

	ds := loadCity(t, dir)
	var c data.Component
	for _, cc := range ds.Components {
		if _, ok := cc.Geometry.(orb.Point); ok && cc.UnitGrid != "" {
			c = cc
			break
		}
	}
	if c.Code == "" {
		t.Fatal("no point component in the demo city")
	}
	used := map[string]bool{}
	for _, cc := range ds.Components {
		used[cc.Code] = true
	}
	n := c
	for seq := 999999; ; seq-- {
		n.Code = data.ComponentCode(c.Code[:6], c.Category, seq)
		if !used[n.Code] {
			break
		}
	}
	p := c.Geometry.(orb.Point)
	n.Geometry = orb.Point{p[0] + 2e-6, p[1] + 2e-6}
	n.Name = "新增部件"

	at := maptile.At(n.Geometry.(orb.Point), 17)
	before := fetchTile(t, s.URL, at)
	if before.status != http.StatusOK || before.source != "baked" {
		t.Fatalf("tile %v before the import: %d from %q", at, before.status, before.source)
	}
	// A non-empty neighbour too far for its buffer to reach the point.
	var nb maptile.Tile
	var nbTag string
	for _, d := range [][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {2, 0}, {-2, 0}, {0, 2}, {0, -2}} {
		cand := maptile.New(uint32(int(at.X)+d[0]), uint32(int(at.Y)+d[1]), at.Z)
		if cand.Bound(64.0 / 4096).Contains(n.Geometry.(orb.Point)) {
			continue
		}
		if a := fetchTile(t, s.URL, cand); a.status == http.StatusOK {
			nb, nbTag = cand, a.etag
			break
		}
	}
	if nbTag == "" {
		t.Fatal("no non-empty neighbour tile")
	}
	v0 := dataVersion(t, s.URL)

	src := filepath.Join(t.TempDir(), "new.geojson")
	if err := geoio.Export(context.Background(), &data.Dataset{Components: []data.Component{n}}, geoio.Components, geoio.GeoJSON, src, false); err != nil {
		t.Fatal(err)
	}
	if out, err := harness.Combined(t, "import", "--dir", dir, "--layer", "components", "--quiet", src); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}

	// The server notices the import within about a second (requests poke
	// its store watch) and the tile changes.
	var after tileAnswer
	deadline := time.Now().Add(20 * time.Second)
	for {
		after = fetchTile(t, s.URL, at)
		if after.etag != before.etag {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tile %v still has ETag %s 20 s after the import", at, before.etag)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if after.status != http.StatusOK || after.source == "baked" || !hasComponent(after.body, n.Code) {
		t.Fatalf("tile after the import: %d from %q, has the component: %v", after.status, after.source, hasComponent(after.body, n.Code))
	}
	if a := fetchTile(t, s.URL, nb, "If-None-Match", nbTag); a.status != http.StatusNotModified {
		t.Errorf("untouched neighbour %v: %d (ETag %s → %s), want 304", nb, a.status, nbTag, a.etag)
	}
	v1 := dataVersion(t, s.URL)
	if v1 == v0 {
		t.Errorf("data version still %s after the import", v0)
	}

	// The baked file catches up: the tile stored in it becomes the new
	// bytes (the ETag is a hash of the stored gzip bytes).
	mbPath := filepath.Join(dir, "citygrid.mbtiles")
	deadline = time.Now().Add(30 * time.Second)
	for {
		r, err := mbtiles.Open(context.Background(), mbPath)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := r.Tile(context.Background(), int(at.Z), int(at.X), int(at.Y))
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if `"`+hex.EncodeToString(sum[:12])+`"` == after.etag {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tile %v not rewritten into the baked file 30 s after the import", at)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The file's data version follows once nothing is left to rewrite.
	deadline = time.Now().Add(30 * time.Second)
	for {
		r, err := mbtiles.Open(context.Background(), mbPath)
		if err != nil {
			t.Fatal(err)
		}
		v := r.Metadata()["data_version"]
		r.Close()
		if v == v1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("baked file data_version %q, served %q", v, v1)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.Stop()

	s = serve(t, dir)
	if v := dataVersion(t, s.URL); v != v1 {
		t.Errorf("restarted server names data version %s, the live one was %s", v, v1)
	}
	if a := fetchTile(t, s.URL, at); a.source != "baked" || a.etag != after.etag {
		t.Errorf("restarted server: tile from %q with ETag %s, want baked %s", a.source, a.etag, after.etag)
	}
	if !strings.Contains(s.Logs(), "serving baked tiles") {
		t.Logf("logs: %s", s.Logs())
	}
}
