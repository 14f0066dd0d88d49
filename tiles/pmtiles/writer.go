package pmtiles

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/paulmach/orb"
)

// Writer builds an archive. Tiles go to a temporary file beside the
// archive as they come; Close writes the header, the directories and the
// metadata, appends the tile data and renames the result into place, so a
// reader never sees a half-written archive.
type Writer struct {
	path string
	tmp  *os.File
	buf  *bufio.Writer
	size uint64

	entries []Entry
	content map[[16]byte]Entry // content hash → where it is stored
	lastID  uint64
	sorted  bool
	closed  bool
}

// Create starts an archive at path.
func Create(path string) (*Writer, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pmtiles-data-*")
	if err != nil {
		return nil, fmt.Errorf("pmtiles: %w", err)
	}
	return &Writer{path: path, tmp: tmp, buf: bufio.NewWriterSize(tmp, 1<<20), content: map[[16]byte]Entry{}, sorted: true}, nil
}

// Put adds a tile with its bytes as stored (compressed as Options.
// TileCompression says). An empty tile is not stored: readers answer a
// missing tile as empty. Tiles put in tile id order (TileID) make a
// clustered archive whose runs of identical tiles take one entry.
func (w *Writer) Put(z uint8, x, y uint32, data []byte) error {
	if w.closed {
		return errors.New("pmtiles: put after close")
	}
	if len(data) == 0 {
		return nil
	}
	if x >= 1<<z || y >= 1<<z {
		return fmt.Errorf("pmtiles: tile %d/%d/%d out of range", z, x, y)
	}
	id := TileID(z, x, y)
	if len(w.entries) > 0 && id <= w.lastID {
		if id == w.lastID {
			return fmt.Errorf("pmtiles: tile %d/%d/%d put twice", z, x, y)
		}
		w.sorted = false
	}
	w.lastID = max(w.lastID, id)
	sum := sha256.Sum256(data)
	var key [16]byte
	copy(key[:], sum[:])
	stored, seen := w.content[key]
	if seen && w.sorted && len(w.entries) > 0 {
		last := &w.entries[len(w.entries)-1]
		if last.Offset == stored.Offset && last.TileID+uint64(last.RunLength) == id {
			last.RunLength++
			return nil
		}
	}
	if !seen {
		if _, err := w.buf.Write(data); err != nil {
			return fmt.Errorf("pmtiles: %w", err)
		}
		stored = Entry{Offset: w.size, Length: uint32(len(data))}
		w.content[key] = stored
		w.size += uint64(len(data))
	}
	w.entries = append(w.entries, Entry{TileID: id, Offset: stored.Offset, Length: stored.Length, RunLength: 1})
	return nil
}

// Options describe the archive as a whole.
type Options struct {
	TileType         TileType
	TileCompression  Compression
	MinZoom, MaxZoom uint8
	Bounds           orb.Bound
	Center           orb.Point
	CenterZoom       uint8
	// Metadata is the archive's JSON metadata (name, vector_layers, ...).
	Metadata map[string]any
}

// Stats report what an archive holds.
type Stats struct {
	Addressed, Entries, Contents uint64
	Leaves                       int
	Bytes                        int64
}

// Close writes the archive. On error nothing is left at path.
func (w *Writer) Close(opt Options) (Stats, error) {
	if w.closed {
		return Stats{}, errors.New("pmtiles: closed twice")
	}
	w.closed = true
	defer os.Remove(w.tmp.Name())
	defer w.tmp.Close()
	if err := w.buf.Flush(); err != nil {
		return Stats{}, fmt.Errorf("pmtiles: %w", err)
	}
	if !w.sorted {
		slices.SortFunc(w.entries, func(a, b Entry) int { return cmp.Compare(a.TileID, b.TileID) })
	}
	meta, err := json.Marshal(opt.Metadata)
	if err != nil {
		return Stats{}, fmt.Errorf("pmtiles metadata: %w", err)
	}
	meta = gzipBytes(meta)
	root, leaves, nLeaves := directories(w.entries)
	h := Header{
		RootOffset: HeaderLen, RootLength: uint64(len(root)),
		InternalCompression: CompressionGzip, TileCompression: opt.TileCompression, TileType: opt.TileType,
		MinZoom: opt.MinZoom, MaxZoom: opt.MaxZoom, Bounds: opt.Bounds, Center: opt.Center, CenterZoom: opt.CenterZoom,
		Clustered: w.sorted, TileEntries: uint64(len(w.entries)), TileContents: uint64(len(w.content)),
	}
	h.MetadataOffset, h.MetadataLength = h.RootOffset+h.RootLength, uint64(len(meta))
	h.LeafOffset, h.LeafLength = h.MetadataOffset+h.MetadataLength, uint64(len(leaves))
	h.TileDataOffset, h.TileDataLength = h.LeafOffset+h.LeafLength, w.size
	for _, e := range w.entries {
		h.AddressedTiles += uint64(e.RunLength)
	}
	st := Stats{Addressed: h.AddressedTiles, Entries: h.TileEntries, Contents: h.TileContents, Leaves: nLeaves,
		Bytes: int64(h.TileDataOffset + h.TileDataLength)}
	if err := w.write(h, root, meta, leaves); err != nil {
		return Stats{}, err
	}
	return st, nil
}

func (w *Writer) write(h Header, parts ...[]byte) (err error) {
	out, err := os.CreateTemp(filepath.Dir(w.path), ".pmtiles-*")
	if err != nil {
		return fmt.Errorf("pmtiles: %w", err)
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(out.Name())
		}
	}()
	bw := bufio.NewWriterSize(out, 1<<20)
	bw.Write(h.marshal())
	for _, p := range parts {
		bw.Write(p)
	}
	if _, err := w.tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("pmtiles: %w", err)
	}
	if _, err := io.Copy(bw, w.tmp); err != nil {
		return fmt.Errorf("pmtiles: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("pmtiles: %w", err)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("pmtiles: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("pmtiles: %w", err)
	}
	if err := os.Rename(out.Name(), w.path); err != nil {
		return fmt.Errorf("pmtiles: %w", err)
	}
	return nil
}

// Abort drops the archive being written.
func (w *Writer) Abort() {
	if !w.closed {
		w.closed = true
		w.tmp.Close()
		os.Remove(w.tmp.Name())
	}
}

// directories lays out the root directory and, when the entries do not
// fit in the first 16 KiB, leaf directories of leafSize entries each,
// growing leafSize until the root fits.
func directories(es []Entry) (root, leaves []byte, nLeaves int) {
	root = gzipBytes(serializeEntries(es))
	if len(root) <= rootLimit-HeaderLen {
		return root, nil, 0
	}
	leafSize := max(4096, len(es)/3500)
	for {
		var rootEntries []Entry
		leaves = leaves[:0]
		for i := 0; i < len(es); i += leafSize {
			chunk := es[i:min(i+leafSize, len(es))]
			leaf := gzipBytes(serializeEntries(chunk))
			rootEntries = append(rootEntries, Entry{TileID: chunk[0].TileID, Offset: uint64(len(leaves)), Length: uint32(len(leaf))})
			leaves = append(leaves, leaf...)
		}
		root = gzipBytes(serializeEntries(rootEntries))
		if len(root) <= rootLimit-HeaderLen {
			return root, leaves, len(rootEntries)
		}
		leafSize += leafSize / 5
	}
}
