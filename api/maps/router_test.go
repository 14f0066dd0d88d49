package maps_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"citygrid/api"
	"citygrid/api/city"
	"citygrid/api/internal/routertest"
	"citygrid/api/internal/testcity"
	"citygrid/spatial"
	"citygrid/tiles"
	"citygrid/tiles/mbtiles"

	"github.com/paulmach/orb/encoding/mvt"
)

func TestTileJSONNamesAbsoluteVersionedTileURLs(t *testing.T) {
	h := routertest.TestCity(t)
	tj := testcity.TileJSONOf(t, h)
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 {
		t.Fatalf("tilejson %q tiles %v", tj.TileJSON, tj.Tiles)
	}
	want := "http://example.com/tiles/city/{z}/{x}/{y}.mvt?v=" + tj.DataVersion
	if tj.Tiles[0] != want || tj.DataVersion == "" {
		t.Errorf("tile URL %q, want %q", tj.Tiles[0], want)
	}
	if tj.Bounds[0] != 118.70 || tj.Bounds[3] != 31.92 || tj.MinZoom != 0 || tj.MaxZoom != 17 {
		t.Errorf("bounds %v zooms %d..%d", tj.Bounds, tj.MinZoom, tj.MaxZoom)
	}
	ids := map[string]bool{}
	for _, l := range tj.VectorLayers {
		ids[l.ID] = true
		if l.Fields == nil {
			t.Errorf("layer %s has no fields object", l.ID)
		}
	}
	for _, id := range []string{"unit_grids", "components", "management_grids", "labels"} {
		if !ids[id] {
			t.Errorf("vector_layers lacks %s", id)
		}
	}
	if rec := testcity.Get(t, h, "/tiles/nope.json"); rec.Code != 404 {
		t.Errorf("unknown tileset: %d", rec.Code)
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTilesAreGzippedOnlyForClientsThatAcceptIt(t *testing.T) {
	h := routertest.TestCity(t)
	tests := []struct {
		name, accept string
		gzip         bool
	}{
		{"a browser's list gets gzip", "gzip, deflate, br", true},
		{"a wildcard gets gzip", "*", true},
		{"no header gets identity", "", false},
		{"gzip refused with q=0 gets identity", "gzip;q=0, identity", false},
		{"gzip refused although the wildcard allows it", "*;q=1, gzip;q=0", false},
		{"only br gets identity", "br", false},
	}
	var identity, compressed []byte
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := testcity.Get(t, h, testcity.CityTile(), "Accept-Encoding", tc.accept)
			if rec.Code != 200 {
				t.Fatalf("status %d %s", rec.Code, rec.Body)
			}
			body := rec.Body.Bytes()
			if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tc.gzip {
				t.Fatalf("gzip %v, want %v", got, tc.gzip)
			}
			if tc.gzip {
				compressed = body
				body = gunzip(t, body)
			} else {
				identity = body
			}
			if rec.Header().Get("Vary") != "Accept-Encoding" || rec.Header().Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
				t.Errorf("headers %v", rec.Header())
			}
			ls, err := mvt.Unmarshal(body)
			if err != nil || len(ls) == 0 {
				t.Fatalf("decode: %v (%d layers)", err, len(ls))
			}
		})
	}
	if !bytes.Equal(gunzip(t, compressed), identity) {
		t.Error("the identity body is not the gzip body inflated")
	}
}

func TestETagsAnswer304AndDifferPerEncoding(t *testing.T) {
	h := routertest.TestCity(t)
	gz := testcity.Get(t, h, testcity.CityTile(), "Accept-Encoding", "gzip")
	plain := testcity.Get(t, h, testcity.CityTile())
	eg, ep := gz.Header().Get("ETag"), plain.Header().Get("ETag")
	if !strings.HasPrefix(eg, `"`) || eg == ep || ep == "" {
		t.Fatalf("etags %q %q", eg, ep)
	}
	tests := []struct {
		name, inm, accept string
		want              int
	}{
		{"the same tag answers 304", eg, "gzip", 304},
		{"a weak form of the tag answers 304", "W/" + eg, "gzip", 304},
		{"a list holding the tag answers 304", `"abc", ` + eg, "gzip", 304},
		{"the gzip tag does not match the identity body", eg, "", 200},
		{"another tag answers 200", `"abc"`, "gzip", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := testcity.Get(t, h, testcity.CityTile(), "If-None-Match", tc.inm, "Accept-Encoding", tc.accept)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d", rec.Code, tc.want)
			}
			if tc.want == 304 && rec.Body.Len() != 0 {
				t.Error("304 with a body")
			}
		})
	}
}

func TestCacheControlIsImmutableOnlyForTheCurrentVersion(t *testing.T) {
	h := routertest.TestCity(t)
	v := testcity.TileJSONOf(t, h).DataVersion
	cur := testcity.Get(t, h, testcity.CityTile()+"?v="+v).Header().Get("Cache-Control")
	old := testcity.Get(t, h, testcity.CityTile()+"?v=old").Header().Get("Cache-Control")
	none := testcity.Get(t, h, testcity.CityTile()).Header().Get("Cache-Control")
	if !strings.Contains(cur, "immutable") || strings.Contains(old, "immutable") || strings.Contains(none, "immutable") {
		t.Errorf("current %q, old %q, none %q", cur, old, none)
	}
}

func TestTileErrorsAreJSON(t *testing.T) {
	h := routertest.TestCity(t)
	tests := []struct {
		name, url string
		status    int
		field     string
	}{
		{"a zoom past the maximum", "/tiles/city/18/0/0.mvt", 400, "z"},
		{"x of 2^z", "/tiles/city/3/8/0.mvt", 400, "x"},
		{"a negative y", "/tiles/city/3/0/-1.mvt", 400, "y"},
		{"a y that is no number", "/tiles/city/3/0/a.mvt", 400, "y"},
		{"a png extension", "/tiles/city/3/0/0.png", 400, "y"},
		{"an unknown tileset", "/tiles/other/3/0/0.mvt", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := testcity.Get(t, h, tc.url)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			var body struct{ Error, Field string }
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error == "" || body.Field != tc.field {
				t.Errorf("body %s (%v), want field %q", rec.Body, err, tc.field)
			}
			if rec.Header().Get("Access-Control-Allow-Origin") != "*" {
				t.Error("error without CORS")
			}
		})
	}
}

func TestEmptyTilesAnswer204(t *testing.T) {
	h := routertest.TestCity(t)
	rec := testcity.Get(t, h, "/tiles/city/15/0/0.mvt", "Accept-Encoding", "gzip")
	if rec.Code != 204 || rec.Body.Len() != 0 {
		t.Errorf("status %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Error("no CORS on 204")
	}
}

func TestPreflightAllowsAnyOrigin(t *testing.T) {
	h := routertest.TestCity(t)
	req := httptest.NewRequest(http.MethodOptions, testcity.CityTile(), nil)
	req.Header.Set("Origin", "http://elsewhere.test")
	req.Header.Set("Access-Control-Request-Method", "GET")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 204 || rec.Header().Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(rec.Header().Get("Access-Control-Allow-Methods"), "GET") {
		t.Errorf("preflight %d %v", rec.Code, rec.Header())
	}
}

func TestBakedTilesAreServedAsTheSameBytes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := spatial.Build(testcity.New())
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tiles.New(ix, tiles.Options{Attribution: "citygrid"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := mbtiles.Create(ctx, filepath.Join(dir, city.MBTilesFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Bake(ctx, w, tiles.BakeOptions{MinZoom: 12, MaxZoom: 16}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	baked, err := routertest.Server(t, city.Config{Index: ix, Dir: dir}, api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	fresh := routertest.TestCity(t)
	a := testcity.Get(t, baked, testcity.CityTile(), "Accept-Encoding", "gzip")
	b := testcity.Get(t, fresh, testcity.CityTile(), "Accept-Encoding", "gzip")
	if a.Header().Get("X-Tile-Source") != "baked" || b.Header().Get("X-Tile-Source") != "generated" {
		t.Fatalf("sources %q %q", a.Header().Get("X-Tile-Source"), b.Header().Get("X-Tile-Source"))
	}
	if a.Code != 200 || !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) || a.Header().Get("ETag") != b.Header().Get("ETag") {
		t.Errorf("baked and generated differ: %d/%d bytes, %s %s", a.Body.Len(), b.Body.Len(), a.Header().Get("ETag"), b.Header().Get("ETag"))
	}
	if c := testcity.Get(t, baked, testcity.CityTile(), "Accept-Encoding", "gzip"); c.Header().Get("X-Tile-Source") != "cache" || !bytes.Equal(c.Body.Bytes(), a.Body.Bytes()) {
		t.Errorf("second answer from %s", c.Header().Get("X-Tile-Source"))
	}
}

func TestStylesFontsAndThePage(t *testing.T) {
	h := routertest.TestCity(t)
	tests := []struct {
		name, url string
		status    int
		contains  string
	}{
		{"the default style names this server", "/styles/default.json", 200, `"http://example.com/tiles/city.json"`},
		{"an unknown style is 404", "/styles/nope.json", 404, "nope"},
		{"a glyph range", "/fonts/Go%20Regular/0-255.pbf", 200, "Go Regular"},
		{"a glyph range not on a boundary", "/fonts/Go%20Regular/1-256.pbf", 400, "range"},
		{"the map page", "/", 200, "/web/app.js"},
		{"the page script", "/web/app.js", 200, "localIdeographFontFamily"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := testcity.Get(t, h, tc.url)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.contains) {
				t.Errorf("status %d, body %.200q", rec.Code, rec.Body.String())
			}
		})
	}
}
