package tiles

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"citygrid/data"
	"citygrid/tiles/mbtiles"
)

func bakeCity(t *testing.T, ts *Tileset, minZ, maxZ int) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "citygrid.mbtiles")
	w, err := mbtiles.Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	st, err := ts.Bake(ctx, w, BakeOptions{MinZoom: minZ, MaxZoom: maxZ, Workers: 3, Progress: func(done, total int) {
		calls++
		if done != calls || total <= 0 {
			t.Errorf("progress %d/%d at call %d", done, total, calls)
		}
	}})
	if err != nil {
		w.Abort()
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st.Stored == 0 || st.Stored > st.Tiles || calls != st.Tiles {
		t.Fatalf("stats %+v, %d progress calls", st, calls)
	}
	return path
}

func TestBakedAndGeneratedTilesAreTheSameBytes(t *testing.T) {
	ctx := context.Background()
	ts := mustTileset(t, testCity(1500, 2), Options{})
	path := bakeCity(t, ts, 10, 17)
	r, err := mbtiles.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// A second tileset over an equal dataset stands for the server
	// process, which builds its own index from the store.
	server := mustTileset(t, testCity(1500, 2), Options{})
	p, note := NewProvider(server, r, -1)
	if !strings.Contains(note, "serving baked") {
		t.Fatalf("provider did not take the baked file: %s", note)
	}
	n := 0
	for z := 10; z <= 17; z++ {
		for _, a := range ts.CoveringTiles(z) {
			got, err := p.Tile(ctx, a.Z, a.X, a.Y)
			if err != nil {
				t.Fatal(err)
			}
			if got.From != "baked" {
				t.Fatalf("%v came from %s", a, got.From)
			}
			want, err := server.Tile(ctx, a.Z, a.X, a.Y)
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Data) != string(want) {
				t.Fatalf("%v: baked %d bytes, generated %d bytes differ", a, len(got.Data), len(want))
			}
			n++
		}
	}
	if n < 50 {
		t.Errorf("only %d tiles compared", n)
	}
}

func TestABakeOfOtherDataIsIgnored(t *testing.T) {
	ctx := context.Background()
	old := mustTileset(t, testCity(100, 2), Options{})
	path := bakeCity(t, old, 14, 14)
	r, err := mbtiles.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	edited := testCity(100, 2)
	edited.Components[0].Status = "damaged"
	ts := mustTileset(t, edited, Options{})
	p, note := NewProvider(ts, r, -1)
	if !strings.Contains(note, "ignoring") {
		t.Fatalf("note %q", note)
	}
	a := ts.CoveringTiles(14)[0]
	got, err := p.Tile(ctx, a.Z, a.X, a.Y)
	if err != nil || got.From != "generated" {
		t.Fatalf("from %s, %v", got.From, err)
	}
}

func TestBakedMetadataFollowsMBTiles13(t *testing.T) {
	ctx := context.Background()
	ts := mustTileset(t, testCity(100, 2), Options{})
	r, err := mbtiles.Open(ctx, bakeCity(t, ts, 12, 15))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := r.Metadata()
	for _, k := range []string{"name", "format", "bounds", "center", "minzoom", "maxzoom", "json", "data_version"} {
		if m[k] == "" {
			t.Errorf("metadata %s missing", k)
		}
	}
	if m["format"] != "pbf" || m["minzoom"] != "12" || m["maxzoom"] != "15" || m["data_version"] != ts.Version() {
		t.Errorf("metadata %v", m)
	}
	var js struct {
		VectorLayers []struct {
			ID               string
			MinZoom, MaxZoom int
			Fields           map[string]string
		} `json:"vector_layers"`
	}
	if err := json.Unmarshal([]byte(m["json"]), &js); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, l := range js.VectorLayers {
		ids[l.ID] = true
		if l.MinZoom < 12 || l.MaxZoom > 15 || l.MinZoom > l.MaxZoom {
			t.Errorf("layer %s zooms %d..%d outside the file's 12..15", l.ID, l.MinZoom, l.MaxZoom)
		}
		for f, typ := range l.Fields {
			if typ != "String" && typ != "Number" && typ != "Boolean" {
				t.Errorf("layer %s field %s has type %q", l.ID, f, typ)
			}
		}
	}
	for _, want := range []string{data.LayerDistricts, data.LayerUnitGrids, data.LayerComponents, data.LayerManagementGrids, LayerLabels} {
		if !ids[want] {
			t.Errorf("vector_layers lacks %s", want)
		}
	}
	if ids[data.LayerAddresses] {
		t.Errorf("addresses start at z16, outside the file")
	}
}

func TestConcurrentRequestsForOneTileGetTheSameBytes(t *testing.T) {
	ts := mustTileset(t, testCity(1500, 2), Options{})
	p, _ := NewProvider(ts, nil, 0)
	a := ts.CoveringTiles(16)[len(ts.CoveringTiles(16))/2]
	want, err := ts.Tile(context.Background(), a.Z, a.X, a.Y)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a client that went away must not fail the others
	results := make(chan Tile, 16)
	for i := 0; i < 16; i++ {
		go func(i int) {
			c := context.Background()
			if i == 0 {
				c = ctx
			}
			got, err := p.Tile(c, a.Z, a.X, a.Y)
			if err != nil {
				t.Error(err)
			}
			results <- got
		}(i)
	}
	for i := 0; i < 16; i++ {
		if got := <-results; string(got.Data) != string(want) {
			t.Fatalf("answer %d differs (%s)", i, got.From)
		}
	}
}
