package tiles

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

var update = flag.Bool("update", false, "rewrite the golden tiles in testdata/golden")

// TestGoldenTiles pins the bytes of a few tiles of the test city. Baked
// files are trusted by data version, which includes encodingRevision: when
// the encoder's output changes, the revision must change too, or servers
// would mix old baked tiles with new generated ones. Regenerate with
// go test ./tiles -run Golden -update after bumping it, and review.
func TestGoldenTiles(t *testing.T) {
	ts := mustTileset(t, testCity(1500, 11), Options{Version: "golden"})
	dir := filepath.Join("testdata", "golden")
	revFile := filepath.Join(dir, "revision")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(revFile, []byte(encodingRevision+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rev, err := os.ReadFile(revFile)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	for _, z := range []int{11, 14, 16, 17} {
		tile := maptile.At(orb.Point{cityW + 0.0105, cityS + 0.0095}, maptile.Zoom(z))
		got, err := ts.Tile(context.Background(), z, int(tile.X), int(tile.Y))
		if err != nil || got == nil {
			t.Fatalf("z%d: %v", z, err)
		}
		file := filepath.Join(dir, fmt.Sprintf("%d-%d-%d.mvt.gz", z, tile.X, tile.Y))
		if *update {
			if err := os.WriteFile(file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if !bytes.Equal(got, want) {
			if string(bytes.TrimSpace(rev)) == encodingRevision {
				t.Errorf("z%d: tile bytes changed but encodingRevision is still %q: bump it, then regenerate with -update", z, encodingRevision)
			} else {
				t.Errorf("z%d: tile bytes differ from the golden file of %s: regenerate with -update and review", z, bytes.TrimSpace(rev))
			}
		}
	}
}
