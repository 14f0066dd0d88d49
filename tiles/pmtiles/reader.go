package pmtiles

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
)

// Reader reads tiles from an archive: the header and root directory once,
// leaf directories as tiles need them.
type Reader struct {
	r      io.ReaderAt
	header Header
	root   []Entry

	// The last leaf read: tiles read in curve order share leaves.
	mu     sync.Mutex
	leafAt uint64
	leaf   []Entry
}

// NewReader opens an archive read through r.
func NewReader(r io.ReaderAt) (*Reader, error) {
	b := make([]byte, HeaderLen)
	if _, err := r.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("pmtiles header: %w", err)
	}
	h, err := parseHeader(b)
	if err != nil {
		return nil, err
	}
	rd := &Reader{r: r, header: h}
	if rd.root, err = rd.directory(h.RootOffset, h.RootLength); err != nil {
		return nil, err
	}
	return rd, nil
}

// Header is the archive's header.
func (rd *Reader) Header() Header { return rd.header }

// Metadata is the archive's JSON metadata.
func (rd *Reader) Metadata() (map[string]any, error) {
	b, err := rd.section(rd.header.MetadataOffset, rd.header.MetadataLength)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("pmtiles metadata: %w", err)
	}
	return m, nil
}

// read reads n bytes at off, growing the buffer as bytes arrive rather
// than trusting a length read from the file.
func (rd *Reader) read(off, n uint64) ([]byte, error) {
	if n > maxDirBytes || off > math.MaxInt64-n {
		return nil, fmt.Errorf("pmtiles: %d bytes at %d: too large", n, off)
	}
	b, err := io.ReadAll(io.NewSectionReader(rd.r, int64(off), int64(n)))
	if err == nil && uint64(len(b)) != n {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, fmt.Errorf("pmtiles: read %d bytes at %d: %w", n, off, err)
	}
	return b, nil
}

func (rd *Reader) section(off, n uint64) ([]byte, error) {
	b, err := rd.read(off, n)
	if err != nil {
		return nil, err
	}
	if rd.header.InternalCompression == CompressionGzip {
		return gunzipBytes(b)
	}
	return b, nil
}

func (rd *Reader) directory(off, n uint64) ([]Entry, error) {
	b, err := rd.section(off, n)
	if err != nil {
		return nil, err
	}
	return parseEntries(b)
}

// Tile returns a tile's bytes as stored, or nil when the archive has none.
func (rd *Reader) Tile(z uint8, x, y uint32) ([]byte, error) {
	id := TileID(z, x, y)
	dir := rd.root
	for depth := 0; depth < 4; depth++ {
		e, ok := find(dir, id)
		if !ok {
			return nil, nil
		}
		if e.RunLength > 0 {
			b, err := rd.read(rd.header.TileDataOffset+e.Offset, uint64(e.Length))
			if err != nil {
				return nil, fmt.Errorf("pmtiles tile %d/%d/%d: %w", z, x, y, err)
			}
			return b, nil
		}
		var err error
		if dir, err = rd.leafDir(rd.header.LeafOffset+e.Offset, uint64(e.Length)); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("pmtiles tile %d/%d/%d: directories nested too deep", z, x, y)
}

func (rd *Reader) leafDir(off, n uint64) ([]Entry, error) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.leaf != nil && rd.leafAt == off {
		return rd.leaf, nil
	}
	dir, err := rd.directory(off, n)
	if err != nil {
		return nil, err
	}
	rd.leaf, rd.leafAt = dir, off
	return dir, nil
}

// find is the entry holding id: the run that covers it, or the leaf
// whose range it falls in.
func find(dir []Entry, id uint64) (Entry, bool) {
	i := sort.Search(len(dir), func(i int) bool { return dir[i].TileID > id }) - 1
	if i < 0 {
		return Entry{}, false
	}
	e := dir[i]
	if e.RunLength == 0 || id < e.TileID+uint64(e.RunLength) {
		return e, true
	}
	return Entry{}, false
}
