package pmtiles

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
)

// FuzzReader opens arbitrary bytes as an archive and reads tiles from
// it: a hostile or truncated file must give errors, never a panic or a
// huge allocation.
func FuzzReader(f *testing.F) {
	// Seed: a small valid archive, with a run, dedup and metadata.
	dir := f.TempDir()
	w, err := Create(filepath.Join(dir, "seed.pmtiles"))
	if err != nil {
		f.Fatal(err)
	}
	for id := uint64(0); id < 30; id++ {
		z, x, y := TileAt(id)
		if err := w.Put(z, x, y, []byte{byte(id % 4), 1, 2}); err != nil {
			f.Fatal(err)
		}
	}
	if _, err := w.Close(Options{TileType: TileTypeMVT, TileCompression: CompressionGzip, MaxZoom: 3,
		Bounds: orb.Bound{Max: orb.Point{1, 1}}, Metadata: map[string]any{"name": "seed"}}); err != nil {
		f.Fatal(err)
	}
	seed, err := os.ReadFile(filepath.Join(dir, "seed.pmtiles"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:HeaderLen])
	f.Fuzz(func(t *testing.T, b []byte) {
		rd, err := NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		_, _ = rd.Metadata()
		for id := uint64(0); id < 30; id++ {
			z, x, y := TileAt(id)
			_, _ = rd.Tile(z, x, y)
		}
	})
}
