package tiles_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"citygrid/data/demo"
	"citygrid/tiles"
	"citygrid/tiles/pmtiles"

	"github.com/paulmach/orb"
)

// pmtilesReader finds node and test/pmtiles' packages; without them the
// test is skipped, except on CI (CI=true), where it fails.
func pmtilesReader(t *testing.T) (node, script string) {
	t.Helper()
	dir, _ := filepath.Abs(filepath.Join("..", "test", "pmtiles"))
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "pmtiles"))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node or test/pmtiles/node_modules missing (npm ci --prefix test/pmtiles): %v", err)
		}
		t.Skipf("node or test/pmtiles/node_modules missing (npm ci --prefix test/pmtiles): %v", err)
	}
	return node, filepath.Join(dir, "read-tiles.mjs")
}

func export(t *testing.T, ts *tiles.Tileset, opt tiles.ExportOptions) (string, pmtiles.Stats) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "city.pmtiles")
	w, err := pmtiles.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ts.ExportPMTiles(context.Background(), w, opt)
	if err != nil {
		t.Fatal(err)
	}
	return path, st
}

func openArchive(t *testing.T, path string) *pmtiles.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	rd, err := pmtiles.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

// TestExportedPMTilesReadWithThePMTilesPackageGiveTheServersTiles exports
// the small demo city, reads 500 sampled tiles (some outside the city)
// with the pmtiles npm package, and compares each with the tile the
// tileset draws, both decompressed.
func TestExportedPMTilesReadWithThePMTilesPackageGiveTheServersTiles(t *testing.T) {
	node, script := pmtilesReader(t)
	ds, err := demo.Generate(context.Background(), demo.Options{Seed: 3, Scale: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	c := liveCityOf(t, ds)
	const minZ, maxZ = 8, 17
	path, st := export(t, c.ts, tiles.ExportOptions{MinZoom: minZ, MaxZoom: maxZ})

	// The sample: 400 tiles the archive holds, 50 tiles of the city it
	// leaves out as empty, 50 away from the city.
	rd := openArchive(t, path)
	var held, empty []tiles.TileAddress
	for z := minZ; z <= maxZ; z++ {
		for _, a := range c.ts.CoveringTiles(z) {
			b, err := rd.Tile(uint8(a.Z), uint32(a.X), uint32(a.Y))
			if err != nil {
				t.Fatal(err)
			}
			if b != nil {
				held = append(held, a)
			} else {
				empty = append(empty, a)
			}
		}
	}
	r := rand.New(rand.NewPCG(11, 12))
	shuffle := func(as []tiles.TileAddress) { r.Shuffle(len(as), func(i, j int) { as[i], as[j] = as[j], as[i] }) }
	shuffle(held)
	shuffle(empty)
	if len(held) < 400 || len(empty) < 50 {
		t.Fatalf("%d tiles held, %d empty: the city is too small for the sample", len(held), len(empty))
	}
	sample := append(held[:400:400], empty[:50]...)
	for range 50 {
		z := minZ + r.IntN(maxZ-minZ+1)
		sample = append(sample, tiles.TileAddress{Z: z, X: r.IntN(1 << (z - 2)), Y: r.IntN(1 << (z - 2))})
	}
	var in strings.Builder
	for _, a := range sample {
		fmt.Fprintf(&in, "%d/%d/%d\n", a.Z, a.X, a.Y)
	}
	cmd := exec.Command(node, script, path)
	cmd.Stdin = strings.NewReader(in.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 64<<20)
	if !sc.Scan() {
		t.Fatal("no header from node")
	}
	var head struct {
		Header struct {
			TileType, TileCompression, MinZoom, MaxZoom int
			NumAddressedTiles                           uint64
			Clustered                                   bool
		}
		Metadata struct {
			Name         string
			VectorLayers []struct{ ID string } `json:"vector_layers"`
		}
	}
	if err := json.Unmarshal(sc.Bytes(), &head); err != nil {
		t.Fatal(err)
	}
	h := head.Header
	if h.TileType != 1 || h.TileCompression != 2 || h.MinZoom != minZ || h.MaxZoom != maxZ || !h.Clustered ||
		h.NumAddressedTiles != st.Addressed || head.Metadata.Name != "city" || len(head.Metadata.VectorLayers) == 0 {
		t.Fatalf("header/metadata as pmtiles reads them: %+v (stats %+v)", head, st)
	}
	n, present := 0, 0
	for sc.Scan() {
		var line struct {
			Z, X, Y int
			Data    *string
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		want, err := c.ts.Tile(context.Background(), line.Z, line.X, line.Y)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case want == nil && line.Data == nil:
		case want == nil || line.Data == nil:
			t.Fatalf("tile %d/%d/%d: server has %d bytes, archive has %v", line.Z, line.X, line.Y, len(want), line.Data != nil)
		default:
			got, err := base64.StdEncoding.DecodeString(*line.Data)
			if err != nil {
				t.Fatal(err)
			}
			mvt, err := tiles.Gunzip(want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, mvt) {
				t.Fatalf("tile %d/%d/%d: %d bytes from the archive, %d from the server", line.Z, line.X, line.Y, len(got), len(mvt))
			}
			present++
		}
		n++
	}
	if n != len(sample) || present != 400 {
		t.Fatalf("compared %d tiles (%d with features), want %d (400 with features)", n, present, len(sample))
	}
	t.Logf("archive: %d tiles addressed, %d entries, %d contents, %d bytes; %d sampled tiles equal (%d with features)",
		st.Addressed, st.Entries, st.Contents, st.Bytes, n, present)
}

func TestExportOfABoxHoldsOnlyTheTilesMeetingIt(t *testing.T) {
	c := newLiveCity(t)
	b := c.ts.Bounds()
	box := orb.Bound{Min: b.Min, Max: orb.Point{b.Min[0] + (b.Max[0]-b.Min[0])/3, b.Min[1] + (b.Max[1]-b.Min[1])/3}}
	path, st := export(t, c.ts, tiles.ExportOptions{MinZoom: 13, MaxZoom: 15, Bound: &box})
	rd := openArchive(t, path)
	inBox := map[tiles.TileAddress]bool{}
	stored := 0
	for z := 13; z <= 15; z++ {
		for _, a := range c.ts.TilesIn(z, box) {
			inBox[a] = true
		}
		for _, a := range c.ts.CoveringTiles(z) {
			got, err := rd.Tile(uint8(a.Z), uint32(a.X), uint32(a.Y))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := c.ts.Tile(context.Background(), a.Z, a.X, a.Y)
			if !inBox[a] {
				want = nil
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("tile %v: %d bytes in the archive, want %d (in box: %v)", a, len(got), len(want), inBox[a])
			}
			if got != nil {
				stored++
			}
		}
	}
	if stored == 0 || uint64(stored) != st.Addressed || len(inBox) >= len(c.ts.CoveringTiles(15))+len(c.ts.CoveringTiles(14)) {
		t.Fatalf("%d tiles stored, stats %+v, %d in the box", stored, st, len(inBox))
	}
}
