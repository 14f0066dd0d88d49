package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"citygrid/tiles/mbtiles"
)

// Tile is one answered tile.
type Tile struct {
	// Data is the gzip-compressed MVT; nil for an empty tile.
	Data []byte
	// Hash is a content hash of Data (hex), the base of a strong ETag.
	Hash string
	// From tells where the tile came from: "baked", "generated" or "cache".
	From string
}

// Provider answers tiles of a tileset: from the in-memory cache, else
// from a baked MBTiles file when that file was baked from the same data
// version and covers the zoom, else by generating them. The three paths
// give the same bytes. It is safe for concurrent use.
type Provider struct {
	ts               *Tileset
	baked            *mbtiles.Reader
	bakedMin, bakedM int
	cache            *tileCache

	mu       sync.Mutex
	inflight map[flightKey]*call
	// gen counts edits; a tile drawn under an older gen is answered but
	// neither cached nor shared with requests that arrive after the edit.
	gen atomic.Uint64

	// dirty lists the baked tiles an edit touched since they were last
	// written, with the edit's sequence number: they are drawn on the fly
	// until the rewriter has stored them anew (see live_bake.go).
	dirtyMu sync.RWMutex
	dirty   map[TileAddress]dirtyTile
	rw      atomic.Pointer[rewriter]
	rewriterState

	// feed lists the tiles edits changed (see feed.go).
	feed *changeFeed
}

type flightKey struct {
	a   TileAddress
	gen uint64
}

type call struct {
	wg  sync.WaitGroup
	t   Tile
	err error
}

// NewProvider serves ts, reading baked tiles from baked (may be nil) and
// keeping up to cacheBytes of tiles in memory (0: 256 MiB; negative: no
// cache). A baked file of another data version is ignored; the returned
// note says why, for the log.
func NewProvider(ts *Tileset, baked *mbtiles.Reader, cacheBytes int64) (*Provider, string) {
	p := &Provider{ts: ts, inflight: map[flightKey]*call{}, dirty: map[TileAddress]dirtyTile{}, feed: newChangeFeed()}
	if cacheBytes == 0 {
		cacheBytes = 256 << 20
	}
	if cacheBytes > 0 {
		p.cache = newTileCache(cacheBytes)
	}
	note := "no baked tiles; generating on the fly"
	if baked != nil {
		m := baked.Metadata()
		lo, err1 := strconv.Atoi(m["minzoom"])
		hi, err2 := strconv.Atoi(m["maxzoom"])
		switch {
		case m["data_version"] != ts.Version():
			note = fmt.Sprintf("baked tiles are of data version %q, the data is %q: ignoring them (run citygrid bake)", m["data_version"], ts.Version())
		case m["name"] != ts.Name() || err1 != nil || err2 != nil:
			note = "baked tiles are not of this tileset: ignoring them"
		default:
			p.baked, p.bakedMin, p.bakedM = baked, lo, hi
			note = fmt.Sprintf("serving baked tiles z%d-z%d of data version %s", lo, hi, ts.Version())
		}
	}
	return p, note
}

// Tileset is the tileset served.
func (p *Provider) Tileset() *Tileset { return p.ts }

// Tile answers one tile; the error wraps ErrOutOfRange for a bad address.
func (p *Provider) Tile(ctx context.Context, z, x, y int) (Tile, error) {
	if err := p.ts.Check(z, x, y); err != nil {
		return Tile{}, err
	}
	a := TileAddress{z, x, y}
	if p.cache != nil {
		if t, ok := p.cache.get(a); ok {
			t.From = "cache"
			return t, nil
		}
	}
	k := flightKey{a, p.gen.Load()}
	p.mu.Lock()
	if c, ok := p.inflight[k]; ok {
		p.mu.Unlock()
		c.wg.Wait()
		return c.t, c.err
	}
	c := &call{}
	c.wg.Add(1)
	p.inflight[k] = c
	p.mu.Unlock()

	// Others may be waiting for this tile: one client going away must not
	// fail them, and a tile takes milliseconds, so finish it regardless.
	c.t, c.err = p.load(context.WithoutCancel(ctx), a)
	if c.err == nil {
		p.feed.served(a, c.t.Hash, &p.gen, k.gen)
		if p.cache != nil {
			p.cache.putIf(a, c.t, &p.gen, k.gen)
		}
	}
	p.mu.Lock()
	delete(p.inflight, k)
	p.mu.Unlock()
	c.wg.Done()
	return c.t, c.err
}

func (p *Provider) load(ctx context.Context, a TileAddress) (Tile, error) {
	if p.baked != nil && a.Z >= p.bakedMin && a.Z <= p.bakedM && !p.isDirty(a) {
		b, ok, err := p.baked.Tile(ctx, a.Z, a.X, a.Y)
		if err != nil {
			return Tile{}, err
		}
		// Bake stores every non-empty tile of its range: a missing one
		// is empty.
		_ = ok
		return Tile{Data: b, Hash: contentHash(b), From: "baked"}, nil
	}
	b, err := p.ts.Tile(ctx, a.Z, a.X, a.Y)
	if err != nil {
		return Tile{}, err
	}
	return Tile{Data: b, Hash: contentHash(b), From: "generated"}, nil
}

func contentHash(b []byte) string {
	if b == nil {
		return ""
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:12])
}

// tileCache is a size-bounded map of tiles. When full it drops arbitrary
// entries (Go's map order), which costs nothing to maintain and, for the
// access pattern of map clients, does about as well as LRU.
type tileCache struct {
	mu    sync.RWMutex
	m     map[TileAddress]Tile
	bytes int64
	limit int64
}

func newTileCache(limit int64) *tileCache {
	return &tileCache{m: map[TileAddress]Tile{}, limit: limit}
}

func (c *tileCache) get(a TileAddress) (Tile, bool) {
	c.mu.RLock()
	t, ok := c.m[a]
	c.mu.RUnlock()
	return t, ok
}

// putIf caches a tile drawn under edit generation drawn, unless an edit
// has come in since (the check and the store are atomic with respect to
// drop, which edits call after bumping gen).
func (c *tileCache) putIf(a TileAddress, t Tile, gen *atomic.Uint64, drawn uint64) {
	size := int64(len(t.Data) + 64)
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen.Load() != drawn {
		return
	}
	if _, ok := c.m[a]; ok {
		return
	}
	for c.bytes+size > c.limit && len(c.m) > 0 {
		for k, v := range c.m {
			delete(c.m, k)
			c.bytes -= int64(len(v.Data) + 64)
			break
		}
	}
	c.m[a] = t
	c.bytes += size
}

// drop removes tiles from the cache.
func (c *tileCache) drop(as []TileAddress) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range as {
		if t, ok := c.m[a]; ok {
			delete(c.m, a)
			c.bytes -= int64(len(t.Data) + 64)
		}
	}
}

// Gunzip inflates a stored tile for a client that does not accept gzip.
func Gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gunzip tile: %w", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("gunzip tile: %w", err)
	}
	return out, nil
}
