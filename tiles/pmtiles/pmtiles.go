// Package pmtiles writes and reads PMTiles v3 archives: one file holding a
// whole tileset, read with HTTP range requests from static storage (a
// bucket, a CDN, a USB stick in a field kit) without a tile server.
//
// The format (github.com/protomaps/PMTiles, spec/v3) is a 127-byte header,
// a root directory within the first 16 KiB, JSON metadata, leaf
// directories and the tile data. Tiles are addressed by a Hilbert-curve
// tile id; directories are varint- and delta-encoded and gzip-compressed;
// identical tiles are stored once and consecutive identical tiles share
// one run-length entry. The package knows nothing of HTTP or of how tiles
// are made. It does not import github.com/protomaps/go-pmtiles: that
// module's package also holds its S3, GCS and Azure clients, its server and
// an SQLite driver, which a city server should not carry for ~400 lines
// of format.
package pmtiles

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/paulmach/orb"
)

// HeaderLen is the length of the fixed header.
const HeaderLen = 127

// rootLimit is how many bytes the header and the root directory may
// take: clients fetch the first 16 KiB in one request.
const rootLimit = 16384

// Compression is a compression method of tiles or of directories.
type Compression uint8

// Compression methods.
const (
	CompressionUnknown Compression = 0
	CompressionNone    Compression = 1
	CompressionGzip    Compression = 2
	CompressionBrotli  Compression = 3
	CompressionZstd    Compression = 4
)

// TileType is the format of the tiles.
type TileType uint8

// Tile types.
const (
	TileTypeUnknown TileType = 0
	TileTypeMVT     TileType = 1
	TileTypePNG     TileType = 2
	TileTypeJPEG    TileType = 3
	TileTypeWebP    TileType = 4
	TileTypeAVIF    TileType = 5
)

// Header is the fixed header of an archive.
type Header struct {
	RootOffset, RootLength         uint64
	MetadataOffset, MetadataLength uint64
	LeafOffset, LeafLength         uint64
	TileDataOffset, TileDataLength uint64
	// AddressedTiles counts tiles, TileEntries directory entries (runs of
	// identical tiles count once) and TileContents distinct contents.
	AddressedTiles, TileEntries, TileContents uint64
	// Clustered: tile data is laid out in tile id order.
	Clustered           bool
	InternalCompression Compression
	TileCompression     Compression
	TileType            TileType
	MinZoom, MaxZoom    uint8
	Bounds              orb.Bound
	CenterZoom          uint8
	Center              orb.Point
}

func e7(v float64) uint32 { return uint32(int32(math.Round(v * 1e7))) }

func fromE7(v uint32) float64 { return float64(int32(v)) / 1e7 }

// marshal encodes the header (little-endian, as the spec fixes it).
func (h *Header) marshal() []byte {
	b := make([]byte, 0, HeaderLen)
	b = append(b, "PMTiles"...)
	b = append(b, 3)
	for _, v := range []uint64{h.RootOffset, h.RootLength, h.MetadataOffset, h.MetadataLength, h.LeafOffset, h.LeafLength,
		h.TileDataOffset, h.TileDataLength, h.AddressedTiles, h.TileEntries, h.TileContents} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	clustered := byte(0)
	if h.Clustered {
		clustered = 1
	}
	b = append(b, clustered, byte(h.InternalCompression), byte(h.TileCompression), byte(h.TileType), h.MinZoom, h.MaxZoom)
	for _, v := range []float64{h.Bounds.Min[0], h.Bounds.Min[1], h.Bounds.Max[0], h.Bounds.Max[1]} {
		b = binary.LittleEndian.AppendUint32(b, e7(v))
	}
	b = append(b, h.CenterZoom)
	b = binary.LittleEndian.AppendUint32(b, e7(h.Center[0]))
	b = binary.LittleEndian.AppendUint32(b, e7(h.Center[1]))
	return b
}

// ErrNotPMTiles is returned for a file that is not a PMTiles v3 archive.
var ErrNotPMTiles = errors.New("not a PMTiles v3 archive")

func parseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen || string(b[:7]) != "PMTiles" {
		return Header{}, ErrNotPMTiles
	}
	if b[7] != 3 {
		return Header{}, fmt.Errorf("%w: version %d", ErrNotPMTiles, b[7])
	}
	u := func(i int) uint64 { return binary.LittleEndian.Uint64(b[8+8*i:]) }
	f := func(off int) float64 { return fromE7(binary.LittleEndian.Uint32(b[off:])) }
	return Header{
		RootOffset: u(0), RootLength: u(1), MetadataOffset: u(2), MetadataLength: u(3),
		LeafOffset: u(4), LeafLength: u(5), TileDataOffset: u(6), TileDataLength: u(7),
		AddressedTiles: u(8), TileEntries: u(9), TileContents: u(10),
		Clustered: b[96] == 1, InternalCompression: Compression(b[97]), TileCompression: Compression(b[98]),
		TileType: TileType(b[99]), MinZoom: b[100], MaxZoom: b[101],
		Bounds:     orb.Bound{Min: orb.Point{f(102), f(106)}, Max: orb.Point{f(110), f(114)}},
		CenterZoom: b[118], Center: orb.Point{f(119), f(123)},
	}, nil
}

// TileID is the tile's position on the archive's curve: the tiles of all
// lower zooms, then the tile's index on the Hilbert curve of its zoom.
func TileID(z uint8, x, y uint32) uint64 {
	base := (uint64(1)<<(2*uint64(z)) - 1) / 3
	n := uint64(1) << z
	var d uint64
	xx, yy := uint64(x), uint64(y)
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint64
		if xx&s != 0 {
			rx = 1
		}
		if yy&s != 0 {
			ry = 1
		}
		d += s * s * ((3 * rx) ^ ry)
		xx, yy = rotate(n, xx, yy, rx, ry)
	}
	return base + d
}

// TileAt is the inverse of TileID.
func TileAt(id uint64) (z uint8, x, y uint32) {
	var base uint64
	for z = 0; z < 32; z++ {
		count := uint64(1) << (2 * uint64(z))
		if id < base+count {
			break
		}
		base += count
	}
	n := uint64(1) << z
	t := id - base
	var xx, yy uint64
	for s := uint64(1); s < n; s *= 2 {
		rx := 1 & (t / 2)
		ry := 1 & (t ^ rx)
		xx, yy = rotate(s, xx, yy, rx, ry)
		xx += s * rx
		yy += s * ry
		t /= 4
	}
	return z, uint32(xx), uint32(yy)
}

func rotate(n, x, y, rx, ry uint64) (uint64, uint64) {
	if ry == 0 {
		if rx == 1 {
			x, y = n-1-x, n-1-y
		}
		x, y = y, x
	}
	return x, y
}

// Entry is a directory entry: a run of RunLength tiles from TileID with
// the same content at Offset (relative to the tile data), or, with
// RunLength 0, a leaf directory at Offset (relative to the leaves).
type Entry struct {
	TileID    uint64
	Offset    uint64
	Length    uint32
	RunLength uint32
}

// serializeEntries encodes a directory: the count, then the tile id
// deltas, run lengths, lengths and offsets, each as varints (an offset
// directly after the previous entry's data is written as 0, others as
// offset+1).
func serializeEntries(es []Entry) []byte {
	b := binary.AppendUvarint(nil, uint64(len(es)))
	var last uint64
	for _, e := range es {
		b = binary.AppendUvarint(b, e.TileID-last)
		last = e.TileID
	}
	for _, e := range es {
		b = binary.AppendUvarint(b, uint64(e.RunLength))
	}
	for _, e := range es {
		b = binary.AppendUvarint(b, uint64(e.Length))
	}
	for i, e := range es {
		if i > 0 && e.Offset == es[i-1].Offset+uint64(es[i-1].Length) {
			b = binary.AppendUvarint(b, 0)
		} else {
			b = binary.AppendUvarint(b, e.Offset+1)
		}
	}
	return b
}

// maxDirEntries bounds a directory read, against a hostile file.
const maxDirEntries = 1 << 22

func parseEntries(b []byte) ([]Entry, error) {
	r := bytes.NewReader(b)
	next := func() (uint64, error) {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			return 0, fmt.Errorf("pmtiles directory: %w", err)
		}
		return v, nil
	}
	n, err := next()
	if err != nil {
		return nil, err
	}
	if n > maxDirEntries || n > uint64(len(b)) {
		return nil, fmt.Errorf("pmtiles directory: %d entries in %d bytes", n, len(b))
	}
	es := make([]Entry, n)
	var last uint64
	for i := range es {
		d, err := next()
		if err != nil {
			return nil, err
		}
		last += d
		es[i].TileID = last
	}
	fields := []func(e *Entry, v uint64){
		func(e *Entry, v uint64) { e.RunLength = uint32(v) },
		func(e *Entry, v uint64) { e.Length = uint32(v) },
	}
	for _, set := range fields {
		for i := range es {
			v, err := next()
			if err != nil {
				return nil, err
			}
			set(&es[i], v)
		}
	}
	for i := range es {
		v, err := next()
		if err != nil {
			return nil, err
		}
		switch {
		case v > 0:
			es[i].Offset = v - 1
		case i == 0:
			return nil, errors.New("pmtiles directory: first entry has no offset")
		default:
			es[i].Offset = es[i-1].Offset + uint64(es[i-1].Length)
		}
	}
	return es, nil
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// maxDirBytes bounds an inflated directory or metadata document.
const maxDirBytes = 64 << 20

func gunzipBytes(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxDirBytes+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxDirBytes {
		return nil, errors.New("directory larger than 64 MiB")
	}
	return out, nil
}
