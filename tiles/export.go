package tiles

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"citygrid/tiles/pmtiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// ExportOptions configure ExportPMTiles.
type ExportOptions struct {
	MinZoom, MaxZoom int
	// Bound limits the export to the tiles meeting it (lon/lat); the
	// whole city when nil.
	Bound *orb.Bound
	// Workers encoding tiles in parallel; GOMAXPROCS when 0.
	Workers int
	// Tile, when set, answers tiles instead of the tileset (a Provider's
	// tiles, read from the baked file where it holds them); it must give
	// the tileset's bytes.
	Tile func(ctx context.Context, z, x, y int) ([]byte, error)
	// Progress, when set, is called after each batch with the number of
	// tiles done and the total.
	Progress func(done, total int)
}

// TilesIn lists the tiles of zoom z that touch both the city and b,
// buffer included (a tile holds the features its buffer meets), row by
// row.
func (t *Tileset) TilesIn(z int, b orb.Bound) []TileAddress {
	var out []TileAddress
	for _, a := range t.CoveringTiles(z) {
		if maptile.New(uint32(a.X), uint32(a.Y), maptile.Zoom(z)).Bound(float64(Buffer) / Extent).Intersects(b) {
			out = append(out, a)
		}
	}
	return out
}

// ExportPMTiles writes the tiles of the zoom range touching the city (or
// opt.Bound) into w, in tile id order so the archive is clustered, and
// closes it with the tileset's metadata. The bytes are those Tile returns
// (gzip-compressed MVT); empty tiles are left out, as readers expect.
func (t *Tileset) ExportPMTiles(ctx context.Context, w *pmtiles.Writer, opt ExportOptions) (pmtiles.Stats, error) {
	if opt.MinZoom < t.minZ || opt.MaxZoom > t.maxZ || opt.MinZoom > opt.MaxZoom {
		w.Abort()
		return pmtiles.Stats{}, fmt.Errorf("export: zoom range %d..%d outside the tileset's %d..%d: %w", opt.MinZoom, opt.MaxZoom, t.minZ, t.maxZ, ErrOutOfRange)
	}
	bound := t.Bounds()
	cover := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	if opt.Bound != nil {
		cover = *opt.Bound
		if !opt.Bound.Intersects(bound) {
			w.Abort()
			return pmtiles.Stats{}, fmt.Errorf("export: the box %v does not meet the city %v: %w", *opt.Bound, bound, ErrOutOfRange)
		}
		bound = orb.Bound{
			Min: orb.Point{max(bound.Min[0], opt.Bound.Min[0]), max(bound.Min[1], opt.Bound.Min[1])},
			Max: orb.Point{min(bound.Max[0], opt.Bound.Max[0]), min(bound.Max[1], opt.Bound.Max[1])},
		}
	}
	var all []TileAddress
	for z := opt.MinZoom; z <= opt.MaxZoom; z++ {
		all = append(all, t.TilesIn(z, cover)...)
	}
	slices.SortFunc(all, func(a, b TileAddress) int { return cmp.Compare(addressID(a), addressID(b)) })
	tile := opt.Tile
	if tile == nil {
		tile = t.Tile
	}
	err := drawInOrder(ctx, all, opt.Workers, tile, func(a TileAddress, b []byte) error {
		return w.Put(uint8(a.Z), uint32(a.X), uint32(a.Y), b)
	}, opt.Progress)
	if err != nil {
		w.Abort()
		return pmtiles.Stats{}, fmt.Errorf("export: %w", err)
	}
	meta, err := t.pmtilesMetadata(opt.MinZoom, opt.MaxZoom)
	if err != nil {
		w.Abort()
		return pmtiles.Stats{}, err
	}
	cz := min(max(zoomUnitGrids, opt.MinZoom), opt.MaxZoom)
	return w.Close(pmtiles.Options{
		TileType: pmtiles.TileTypeMVT, TileCompression: pmtiles.CompressionGzip,
		MinZoom: uint8(opt.MinZoom), MaxZoom: uint8(opt.MaxZoom),
		Bounds: bound, Center: bound.Center(), CenterZoom: uint8(cz), Metadata: meta,
	})
}

func addressID(a TileAddress) uint64 { return pmtiles.TileID(uint8(a.Z), uint32(a.X), uint32(a.Y)) }

// pmtilesMetadata is the MBTiles metadata as one JSON document, the form
// PMTiles readers (and go-pmtiles' convert) use: the json row's members
// (vector_layers) beside the other rows.
func (t *Tileset) pmtilesMetadata(minZoom, maxZoom int) (map[string]any, error) {
	rows, err := t.MBTilesMetadata(minZoom, maxZoom)
	if err != nil {
		return nil, err
	}
	meta := map[string]any{}
	if err := json.Unmarshal([]byte(rows["json"]), &meta); err != nil {
		return nil, fmt.Errorf("export metadata: %w", err)
	}
	for k, v := range rows {
		switch k {
		case "json", "bounds", "center", "minzoom", "maxzoom":
			// The header holds these.
		default:
			meta[k] = v
		}
	}
	return meta, nil
}

// exportBatch is how many tiles are drawn in parallel before they are
// written in order.
const exportBatch = 512

// drawInOrder draws the tiles with workers in parallel, batch by batch,
// and hands them to put in the order given.
func drawInOrder(ctx context.Context, all []TileAddress, workers int,
	tile func(ctx context.Context, z, x, y int) ([]byte, error), put func(TileAddress, []byte) error, progress func(done, total int)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([][]byte, exportBatch)
	errs := make([]error, exportBatch)
	for lo := 0; lo < len(all); lo += exportBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := all[lo:min(lo+exportBatch, len(all))]
		var wg sync.WaitGroup
		for k := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := k; i < len(batch); i += workers {
					a := batch[i]
					out[i], errs[i] = tile(ctx, a.Z, a.X, a.Y)
				}
			}()
		}
		wg.Wait()
		for i, a := range batch {
			if errs[i] != nil {
				return fmt.Errorf("tile %d/%d/%d: %w", a.Z, a.X, a.Y, errs[i])
			}
			if err := put(a, out[i]); err != nil {
				return err
			}
		}
		if progress != nil {
			progress(lo+len(batch), len(all))
		}
	}
	return nil
}
