package pmtiles

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// The ids the PMTiles v3 spec lists: zoom 0, then zoom 1 along the
// Hilbert curve (0,0) (0,1) (1,1) (1,0), then zoom 2 from 5.
func TestTileIDFollowsTheSpec(t *testing.T) {
	for _, c := range []struct {
		z    uint8
		x, y uint32
		id   uint64
	}{
		{0, 0, 0, 0}, {1, 0, 0, 1}, {1, 0, 1, 2}, {1, 1, 1, 3}, {1, 1, 0, 4}, {2, 0, 0, 5},
		{2, 1, 0, 6}, {2, 1, 1, 7}, {2, 0, 1, 8}, {3, 0, 0, 21},
		// The last tile of zoom 2 and the first and last of zoom 20.
		{2, 3, 0, 20}, {20, 0, 0, 366503875925}, {20, 1<<20 - 1, 0, 366503875925 + 1<<40 - 1},
	} {
		if got := TileID(c.z, c.x, c.y); got != c.id {
			t.Errorf("TileID(%d,%d,%d) = %d, want %d", c.z, c.x, c.y, got, c.id)
		}
		if z, x, y := TileAt(c.id); z != c.z || x != c.x || y != c.y {
			t.Errorf("TileAt(%d) = %d/%d/%d, want %d/%d/%d", c.id, z, x, y, c.z, c.x, c.y)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		z := uint8(r.IntN(27))
		x, y := uint32(r.Uint64N(1<<z)), uint32(r.Uint64N(1<<z))
		if gz, gx, gy := TileAt(TileID(z, x, y)); gz != z || gx != x || gy != y {
			t.Fatalf("TileAt(TileID(%d,%d,%d)) = %d/%d/%d", z, x, y, gz, gx, gy)
		}
	}
}

type tileKey struct {
	z    uint8
	x, y uint32
}

func writeArchive(t *testing.T, tiles map[tileKey][]byte, order []tileKey) (string, Stats) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.pmtiles")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range order {
		if err := w.Put(k.z, k.x, k.y, tiles[k]); err != nil {
			t.Fatal(err)
		}
	}
	st, err := w.Close(Options{TileType: TileTypeMVT, TileCompression: CompressionGzip, MinZoom: 0, MaxZoom: 14,
		Bounds: orb.Bound{Min: orb.Point{118.6, 31.9}, Max: orb.Point{118.9, 32.1}}, Center: orb.Point{118.75, 32}, CenterZoom: 12,
		Metadata: map[string]any{"name": "city"}})
	if err != nil {
		t.Fatal(err)
	}
	return path, st
}

func readBack(t *testing.T, path string, tiles map[tileKey][]byte) Header {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	keys := slices.SortedFunc(maps.Keys(tiles), func(a, b tileKey) int {
		return cmp.Compare(TileID(a.z, a.x, a.y), TileID(b.z, b.x, b.y))
	})
	for _, k := range keys {
		want := tiles[k]
		got, err := rd.Tile(k.z, k.x, k.y)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("tile %v: %q, %v; want %q", k, got, err, want)
		}
	}
	if b, err := rd.Tile(14, 1, 1); err != nil || b != nil {
		t.Fatalf("absent tile: %q, %v", b, err)
	}
	m, err := rd.Metadata()
	if err != nil || m["name"] != "city" {
		t.Fatalf("metadata %v, %v", m, err)
	}
	return rd.Header()
}

func TestArchiveRoundTripsWithDedupAndRuns(t *testing.T) {
	tiles := map[tileKey][]byte{}
	var order []tileKey
	// A run of 6 identical tiles along the curve at zoom 2, a repeat of
	// the same content later (dedup, no run), and distinct tiles.
	for id := uint64(5); id <= 10; id++ {
		z, x, y := TileAt(id)
		k := tileKey{z, x, y}
		tiles[k] = []byte("water")
		order = append(order, k)
	}
	for id := uint64(12); id <= 40; id++ {
		z, x, y := TileAt(id)
		k := tileKey{z, x, y}
		tiles[k] = []byte(fmt.Sprintf("tile %d", id%7))
		order = append(order, k)
	}
	z, x, y := TileAt(60)
	tiles[tileKey{z, x, y}] = []byte("water")
	order = append(order, tileKey{z, x, y})
	path, st := writeArchive(t, tiles, order)
	h := readBack(t, path, tiles)
	// Entries: the run of 6, then 29 tiles (no two neighbours equal as
	// id%7 differs), then the lone water tile.
	if st.Addressed != 36 || st.Entries != 31 || st.Contents != 8 || !h.Clustered {
		t.Fatalf("stats %+v clustered %v; want 36 addressed, 31 entries, 8 contents, clustered", st, h.Clustered)
	}
	if h.TileType != TileTypeMVT || h.TileCompression != CompressionGzip || h.MaxZoom != 14 || h.CenterZoom != 12 ||
		h.Bounds.Min != (orb.Point{118.6, 31.9}) || h.Center != (orb.Point{118.75, 32}) {
		t.Fatalf("header %+v", h)
	}
}

func TestManyTilesGoToLeafDirectoriesAndAnyOrderIsAccepted(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tiles := map[tileKey][]byte{}
	var order []tileKey
	for len(order) < 40000 {
		k := tileKey{14, uint32(13600 + r.IntN(400)), uint32(6600 + r.IntN(400))}
		if tiles[k] != nil {
			continue
		}
		tiles[k] = fmt.Appendf(nil, "%d", r.Uint64())
		order = append(order, k)
	}
	path, st := writeArchive(t, tiles, order)
	h := readBack(t, path, tiles)
	if st.Leaves == 0 || h.Clustered || h.RootLength+HeaderLen > rootLimit {
		t.Fatalf("stats %+v, header %+v: want leaves, not clustered, root in 16 KiB", st, h)
	}
}

func TestPutRejectsBadTiles(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "a.pmtiles"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.Put(1, 2, 0, []byte("x")); err == nil {
		t.Error("x out of range accepted")
	}
	if err := w.Put(1, 0, 0, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := w.Put(1, 0, 0, []byte("y")); err == nil {
		t.Error("the same tile accepted twice")
	}
}
