package tiles

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"citygrid/tiles/mbtiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// BakeOptions configure Bake.
type BakeOptions struct {
	MinZoom, MaxZoom int
	// Workers encoding tiles in parallel; GOMAXPROCS when 0.
	Workers int
	// Progress, when set, is called (from one goroutine) after each tile
	// with the number of tiles done and the total.
	Progress func(done, total int)
}

// BakeStats report what Bake did.
type BakeStats struct {
	Tiles   int   // tiles considered
	Stored  int   // non-empty tiles written
	Bytes   int64 // bytes written (gzip-compressed)
	Largest int   // largest tile in bytes
	LargeAt string
}

// TileAddress is one tile in XYZ.
type TileAddress struct{ Z, X, Y int }

// CoveringTiles lists the tiles of zoom z that touch the city (buffer
// included), row by row.
func (t *Tileset) CoveringTiles(z int) []TileAddress {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.empty {
		return nil
	}
	b := t.bounds
	lo := maptile.At(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z))
	hi := maptile.At(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
	n := 1 << z
	var out []TileAddress
	for y := max(int(lo.Y)-1, 0); y <= min(int(hi.Y)+1, n-1); y++ {
		for x := max(int(lo.X)-1, 0); x <= min(int(hi.X)+1, n-1); x++ {
			if t.covers(z, x, y) {
				out = append(out, TileAddress{z, x, y})
			}
		}
	}
	return out
}

// Bake writes every non-empty tile of the zoom range that touches the city
// into w, with the MBTiles metadata, and leaves closing w to the caller.
// The bytes are those Tile returns, so a server reading the file answers
// exactly what it would have generated.
func (t *Tileset) Bake(ctx context.Context, w *mbtiles.Writer, opt BakeOptions) (BakeStats, error) {
	var st BakeStats
	if opt.MinZoom < t.minZ || opt.MaxZoom > t.maxZ || opt.MinZoom > opt.MaxZoom {
		return st, fmt.Errorf("bake: zoom range %d..%d outside the tileset's %d..%d", opt.MinZoom, opt.MaxZoom, t.minZ, t.maxZ)
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var all []TileAddress
	for z := opt.MinZoom; z <= opt.MaxZoom; z++ {
		all = append(all, t.CoveringTiles(z)...)
	}
	st.Tiles = len(all)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		a    TileAddress
		data []byte
		err  error
	}
	jobs := make(chan TileAddress)
	results := make(chan result, workers*2)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range jobs {
				b, err := t.Tile(ctx, a.Z, a.X, a.Y)
				select {
				case results <- result{a, b, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, a := range all {
			select {
			case jobs <- a:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	done := 0
	var firstErr error
	for r := range results {
		if firstErr != nil {
			continue
		}
		if r.err != nil {
			firstErr = fmt.Errorf("bake %d/%d/%d: %w", r.a.Z, r.a.X, r.a.Y, r.err)
			cancel()
			continue
		}
		if r.data != nil {
			if err := w.Put(ctx, r.a.Z, r.a.X, r.a.Y, r.data); err != nil {
				firstErr = fmt.Errorf("bake: %w", err)
				cancel()
				continue
			}
			st.Stored++
			st.Bytes += int64(len(r.data))
			if len(r.data) > st.Largest {
				st.Largest = len(r.data)
				st.LargeAt = fmt.Sprintf("%d/%d/%d", r.a.Z, r.a.X, r.a.Y)
			}
		}
		done++
		if opt.Progress != nil {
			opt.Progress(done, len(all))
		}
	}
	if firstErr != nil {
		return st, firstErr
	}
	if err := ctx.Err(); err != nil {
		return st, fmt.Errorf("bake: %w", err)
	}
	meta, err := t.MBTilesMetadata(opt.MinZoom, opt.MaxZoom)
	if err != nil {
		return st, err
	}
	if err := w.SetMetadata(ctx, meta); err != nil {
		return st, fmt.Errorf("bake: %w", err)
	}
	return st, nil
}
