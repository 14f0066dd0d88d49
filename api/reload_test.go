package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"citygrid/api/city"
	"citygrid/api/internal/apitest"
	"citygrid/data"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"

	"github.com/paulmach/orb"
)

// syncBuffer is a log sink the background check may write to while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAServerFollowsAnImportByAnotherProcess(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "citygrid.gpkg")
	st, ix := apitest.StoredCity(t, dir)
	var logs syncBuffer
	h, err := newServer(t, city.Config{Store: st, Index: ix, Dir: dir, WatchEvery: time.Nanosecond}, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	get := func(target string) (int, map[string]any) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		var v map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &v)
		return rec.Code, v
	}
	const at = "lon=118.7826&lat=31.995"
	if code, _ := get("/api/v1/locate?" + at); code != http.StatusNotFound {
		t.Fatalf("before the import the point is outside the city: status %d", code)
	}
	// Event 0101 in the sample city: rule 1 (0101, either kind, priority
	// 10) sends it to D0003.
	const event = "/api/v1/responsible?lon=118.775&lat=31.995&category=0101&kind=event"
	if _, v := get(event); str(v, "unit.code") != "D0003" {
		t.Fatalf("before the import: %v", v)
	}
	_, tj := get("/tiles/city.json")
	tilesBefore := tj["tiles"].([]any)[0].(string)

	// Another process imports a unit grid east of the sample city's two,
	// a cover inside it and a road.
	grid := orb.MultiPolygon{{gpkgtest.Rect(118.78, 31.99, 118.785, 32.00)}}
	cover := gpkgtest.Components(1)[0]
	cover.Code = data.ComponentCode("320114", "0101", 5001)
	cover.Geometry = orb.Point{118.7826, 31.995}
	cover.UnitGrid = "320114001001003"
	other, err := gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	err = other.Insert(ctx, &data.Dataset{
		UnitGrids:  []data.UnitGrid{{Code: "320114001001003", Community: "320114001001", Geometry: grid, AreaM2: data.AreaM2(grid)}},
		Components: []data.Component{cover},
		Roads:      []data.Road{{Code: "R009", Name: "新建路", District: "320114", Geometry: orb.MultiLineString{{{118.781, 31.991}, {118.784, 31.991}}}}},
		Rules:      []data.Rule{{Kind: data.KindEvent, Category: "0101", Scope: data.ScopeCity, Unit: "D0001", Priority: 20}},
	})
	if cerr := other.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}

	// Requests poke the watch; the reload runs in the background.
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, v := get("/api/v1/locate?" + at)
		if code == http.StatusOK && str(v, "unit_grid.code") == "320114001001003" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the imported grid never showed: %d %v\nlogs:\n%s", code, v, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	code, v := get("/api/v1/nearest?" + at + "&k=1&radius=50&category=0101")
	comps, _ := v["components"].([]any)
	if code != http.StatusOK || len(comps) != 1 || str(comps[0], "code") != cover.Code {
		t.Fatalf("nearest after the import: %d %v, want %s", code, v, cover.Code)
	}
	if _, v := get(event); str(v, "unit.code") != "D0001" || str(v, "rule") != "rule_table" {
		t.Errorf("the imported rule (priority 20 → D0001) does not decide: %v", v)
	}
	_, tj = get("/tiles/city.json")
	if after := tj["tiles"].([]any)[0].(string); after == tilesBefore {
		t.Errorf("tile URLs still carry the old data version: %s", after)
	}
	// The road is in a layer the server does not reload: it says so.
	for !strings.Contains(logs.String(), "restart to serve them") {
		if time.Now().After(deadline) {
			t.Fatalf("no warning about the layers left to a restart:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := logs.String(); !strings.Contains(s, "layers=roads") {
		t.Errorf("the warning does not name the roads layer:\n%s", s)
	}
}
