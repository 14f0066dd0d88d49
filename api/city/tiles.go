package city

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"citygrid/data"
	"citygrid/spatial"
	"citygrid/tiles"
	"citygrid/tiles/mbtiles"
)

// MBTilesFile is the name of the baked tiles file in the data directory.
const MBTilesFile = "citygrid.mbtiles"

// Tiles is the city's map state: the tile provider over the spatial index
// and, when it matches the data, the baked MBTiles file. Both give the
// same bytes; the provider says which served a tile.
type Tiles struct {
	ix     *spatial.Index
	dir    string
	logger *slog.Logger
	prov   atomic.Pointer[tiles.Provider]

	mu         sync.Mutex // serialises reload and Apply
	baked      *mbtiles.Reader
	bakedStamp string // size and modification time of the file baked was opened from
}

// NewTiles builds the tileset over ix and opens dir/citygrid.mbtiles ("" dir:
// no baked tiles). The City builds its own; Close closes it.
func NewTiles(ix *spatial.Index, dir string, logger *slog.Logger) (*Tiles, error) {
	t := &Tiles{ix: ix, dir: dir, logger: logger}
	if err := t.Reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// Provider is the provider requests use now.
func (t *Tiles) Provider() *tiles.Provider { return t.prov.Load() }

// Reload builds the tileset from the index and opens the baked file (or
// reopens it when it was replaced, as by citygrid bake while serving). It
// runs at start; edits do not rebuild anything — they go through Apply,
// which moves the data version on and invalidates only the touched tiles.
// A baked file of another data version is ignored and tiles are generated
// until the next bake.
func (t *Tiles) Reload() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.openBaked()
	ts, err := tiles.New(t.ix, tiles.Options{Attribution: "citygrid"})
	if err != nil {
		return fmt.Errorf("map: %w", err)
	}
	p, note := tiles.NewProvider(ts, t.baked, 0)
	t.logger.Info("tiles", "tileset", ts.Name(), "data_version", ts.Version(), "source", note)
	t.prov.Store(p)
	return nil
}

// openBaked opens DIR/citygrid.mbtiles when it exists and is not the file
// already open. A replaced reader stays open: requests in flight may
// still read it, and bakes are rare.
func (t *Tiles) openBaked() {
	if t.dir == "" {
		return
	}
	path := filepath.Join(t.dir, MBTilesFile)
	fi, err := os.Stat(path)
	if err != nil {
		return
	}
	stamp := fmt.Sprintf("%d/%d", fi.Size(), fi.ModTime().UnixNano())
	if t.baked != nil && stamp == t.bakedStamp {
		return
	}
	r, err := mbtiles.Open(context.Background(), path)
	if err != nil {
		t.logger.Warn("baked tiles unreadable, generating on the fly", "path", path, "err", err)
		return
	}
	t.baked, t.bakedStamp = r, stamp
}

// Apply replays committed changes on the index (applyIndex) and the
// tiles: the provider holds tile drawing still while both change, then
// drops the touched tiles from its cache and marks the baked ones for
// rewriting (see tiles.Provider.Apply). t.mu keeps a reload from building
// a tileset meanwhile.
func (t *Tiles) Apply(changes []data.Change, applyIndex func([]data.Change) error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, err := t.prov.Load().Apply(changes, applyIndex)
	return err
}

// close stops the provider's background rewriter of baked tiles and
// closes the baked file.
func (t *Tiles) close() error {
	if p := t.prov.Load(); p != nil {
		p.Close()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.baked != nil {
		return t.baked.Close()
	}
	return nil
}
