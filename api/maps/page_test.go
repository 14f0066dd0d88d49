package maps

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"citygrid/api/city"
	"citygrid/api/httpx"
	"citygrid/api/internal/testcity"
	"citygrid/spatial"
	"citygrid/tiles"
	"citygrid/tiles/mbtiles"

	"github.com/go-chi/chi/v5"
)

func TestTheMapPageCarriesTheNavigationAndNoMapLibreFileWithoutIt(t *testing.T) {
	ix, err := spatial.Build(testcity.New())
	if err != nil {
		t.Fatal(err)
	}
	tl, err := city.NewTiles(ix, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m := newMapService(tl, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r := chi.NewRouter()
	m.mount(r)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, `<a href="/command" data-page="command">指挥大屏</a>`) ||
		!strings.Contains(body, `data-page="map" class="on"`) || strings.Contains(body, "<!--NAV-->") {
		t.Errorf("map page: %d %.600s", rec.Code, body)
	}
	m.webDir = ""
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/web/maplibre-gl/maplibre-gl.mjs", nil))
	if rec.Code != 404 {
		t.Errorf("maplibre file without MapLibre: %d", rec.Code)
	}
}

func TestReloadAfterAnEditChangesTheTileURLs(t *testing.T) {
	ds := testcity.New()
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := city.NewTiles(ix, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m := newMapService(tl, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r := chi.NewRouter()
	m.mount(r)
	before := testcity.TileJSONOf(t, r)
	ds.Components[0].Status = "damaged" // an edit the index shares
	if err := m.tiles.Reload(); err != nil {
		t.Fatal(err)
	}
	after := testcity.TileJSONOf(t, r)
	if before.DataVersion == after.DataVersion || before.Tiles[0] == after.Tiles[0] {
		t.Errorf("version %s → %s, URL %s → %s", before.DataVersion, after.DataVersion, before.Tiles[0], after.Tiles[0])
	}
	// A tile asked with the old version is no longer immutable.
	cc := testcity.Get(t, r, testcity.CityTile()+"?v="+before.DataVersion).Header().Get("Cache-Control")
	if strings.Contains(cc, "immutable") {
		t.Errorf("stale version answered %q", cc)
	}
}

func FuzzAcceptsGzip(f *testing.F) {
	for _, s := range []string{"gzip", "gzip;q=0", "*;q=0.5, gzip;q=0", "br;q=1.0, deflate", "", ";;,,", "gzip;q=abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got := acceptsGzip(h)
		lower := strings.ToLower(h)
		if got && !strings.Contains(lower, "gzip") && !strings.Contains(h, "*") {
			t.Errorf("%q: gzip accepted though neither gzip nor * is listed", h)
		}
		if acceptsGzip(h+",gzip;q=0") && strings.Count(lower, "gzip") == 0 {
			t.Errorf("%q: an explicit gzip;q=0 was overridden", h)
		}
	})
}

func FuzzTileAddress(f *testing.F) {
	for _, s := range [][3]string{{"14", "13600", "6650"}, {"-1", "0", "0"}, {"99999999999", "1", "1"}, {"3", "+7", "0x1"}} {
		f.Add(s[0], s[1], s[2])
	}
	ix, err := spatial.Build(testcity.New())
	if err != nil {
		f.Fatal(err)
	}
	tl, err := city.NewTiles(ix, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	ts := tl.Provider().Tileset()
	f.Fuzz(func(t *testing.T, zs, xs, ys string) {
		z, x, y, err := tileAddress(ts, zs, xs, ys)
		if err != nil {
			if httpx.StatusOf(err) != http.StatusBadRequest {
				t.Errorf("error %v maps to %d", err, httpx.StatusOf(err))
			}
			return
		}
		if ts.Check(z, x, y) != nil {
			t.Errorf("%s/%s/%s accepted as %d/%d/%d outside the tileset", zs, xs, ys, z, x, y)
		}
	})
}

func TestABakeWhileServingIsPickedUpOnReload(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := spatial.Build(testcity.New())
	if err != nil {
		t.Fatal(err)
	}
	tl, err := city.NewTiles(ix, dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m := newMapService(tl, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r := chi.NewRouter()
	m.mount(r)
	if src := testcity.Get(t, r, testcity.CityTile()).Header().Get("X-Tile-Source"); src != "generated" {
		t.Fatalf("before the bake: %s", src)
	}
	w, err := mbtiles.Create(ctx, filepath.Join(dir, city.MBTilesFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.tiles.Provider().Tileset().Bake(ctx, w, tiles.BakeOptions{MinZoom: 14, MaxZoom: 16}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.tiles.Reload(); err != nil {
		t.Fatal(err)
	}
	if src := testcity.Get(t, r, testcity.CityTile()).Header().Get("X-Tile-Source"); src != "baked" {
		t.Errorf("after the bake and a reload: %s", src)
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"gzip", true}, {"GZIP", true}, {"x-gzip", true}, {"deflate, gzip;q=0.5", true},
		{"", false}, {"identity", false}, {"gzip;q=0", false}, {"gzip;q=0.0", false}, {"*;q=0", false}, {"br, *", true},
	}
	for _, tc := range tests {
		if got := acceptsGzip(tc.header); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestNamesListsDepartmentsAndCategoriesOfTheCity(t *testing.T) {
	ds := testcity.New()
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := city.NewTiles(ix, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m := newMapService(tl, slog.New(slog.NewTextHandler(io.Discard, nil)))
	m.ix = ix
	r := chi.NewRouter()
	m.mount(r)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/web/names.json", nil))
	var body namesBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); rec.Code != 200 || err != nil {
		t.Fatalf("names: %d %v %.300s", rec.Code, err, rec.Body)
	}
	if got := body.Departments["D-CENTRE"]; got != "城管指挥中心" {
		t.Errorf("D-CENTRE is %q", got)
	}
	if len(body.Departments) != len(ds.Departments) || len(body.Categories) != len(ds.Categories) {
		t.Errorf("%d departments, %d categories; the city has %d and %d", len(body.Departments), len(body.Categories), len(ds.Departments), len(ds.Categories))
	}
	for i, c := range ds.Categories {
		got := body.Categories[i]
		if got.Kind != string(c.Kind) || got.Code != c.Code || got.Name != c.Name || got.BigName != c.BigName {
			t.Errorf("category %d: %+v, want %s %s %s %s", i, got, c.Kind, c.Code, c.Name, c.BigName)
		}
	}
}
