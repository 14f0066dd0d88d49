package testcity

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"citygrid/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Get sends GET url to h with the given header name, value pairs.
func Get(t testing.TB, h http.Handler, url string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// CityTile is the z15 tile over grid A1 of the fixture city.
func CityTile() string {
	t := maptile.At(orb.Point{118.705, 31.91}, 15)
	return "/tiles/city/15/" + strconv.Itoa(int(t.X)) + "/" + strconv.Itoa(int(t.Y)) + ".mvt"
}

// TileJSONOf reads the city tileset's TileJSON from h.
func TileJSONOf(t testing.TB, h http.Handler) tiles.TileJSON {
	t.Helper()
	rec := Get(t, h, "/tiles/city.json")
	if rec.Code != 200 {
		t.Fatalf("tilejson: %d %s", rec.Code, rec.Body)
	}
	var tj tiles.TileJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &tj); err != nil {
		t.Fatal(err)
	}
	return tj
}
