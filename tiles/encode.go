package tiles

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// The MVT encoder. orb/encoding/mvt's Marshal builds a geojson.Properties
// map per feature and reflects on every value, which was a third of the
// time of the densest tile; this encoder writes the protobuf directly from
// flat per-layer buffers and reuses them between tiles. orb's decoder (and
// @mapbox/vector-tile in the browser tests) checks its output.

// valueKind is the type of an attribute value.
type valueKind uint8

const (
	kindString valueKind = iota + 1
	kindDouble
	kindUint
	kindBool
)

// value is an attribute value; comparable, so it keys the value table.
type value struct {
	kind valueKind
	s    string
	f    float64
	u    uint64
	b    bool
}

// attr is one attribute of a feature.
type attr struct {
	key string
	val value
}

func sv(key, s string) attr         { return attr{key, value{kind: kindString, s: s}} }
func dv(key string, f float64) attr { return attr{key, value{kind: kindDouble, f: f}} }
func uv(key string, u uint64) attr  { return attr{key, value{kind: kindUint, u: u}} }
func bv(key string, b bool) attr    { return attr{key, value{kind: kindBool, b: b}} }

// feature is one feature of a layer being built: its attributes and
// geometry commands live in the layer's flat buffers.
type feature struct {
	id             uint64
	typ            uint8 // 1 point, 2 line, 3 polygon
	attrLo, attrHi int
	geomLo, geomHi int
}

// layerBuilder collects one layer's features before sorting and encoding.
type layerBuilder struct {
	name  string
	feats []feature
	attrs []attr
	geom  []uint32
}

// sortByID orders the features by id (a no-op when they already are).
func (l *layerBuilder) sortByID() {
	less := func(a, b feature) int { return cmp.Compare(a.id, b.id) }
	if !slices.IsSortedFunc(l.feats, less) {
		slices.SortFunc(l.feats, less)
	}
}

func (l *layerBuilder) reset(name string) {
	l.name = name
	l.feats = l.feats[:0]
	l.attrs = l.attrs[:0]
	l.geom = l.geom[:0]
}

// add appends a feature whose geometry is in tile coordinates with
// integral values (as the frame functions return them).
func (l *layerBuilder) add(id uint64, g orb.Geometry, attrs ...attr) {
	f := feature{id: id, attrLo: len(l.attrs), geomLo: len(l.geom)}
	l.attrs = append(l.attrs, attrs...)
	f.attrHi = len(l.attrs)
	var cx, cy int32
	switch g := g.(type) {
	case orb.Point:
		f.typ = 1
		l.geom = appendPoints(l.geom, &cx, &cy, 1, []orb.Point{g})
	case orb.MultiLineString:
		f.typ = 2
		for _, ls := range g {
			l.geom = appendPoints(l.geom, &cx, &cy, 1, ls[:1])
			l.geom = appendPoints(l.geom, &cx, &cy, 2, ls[1:])
		}
	case orb.MultiPolygon:
		f.typ = 3
		for _, p := range g {
			for _, r := range p {
				n := len(r)
				if n > 1 && r[0] == r[n-1] {
					n--
				}
				l.geom = appendPoints(l.geom, &cx, &cy, 1, r[:1])
				l.geom = appendPoints(l.geom, &cx, &cy, 2, r[1:n])
				l.geom = append(l.geom, 1<<3|7) // ClosePath
			}
		}
	default:
		return
	}
	f.geomHi = len(l.geom)
	l.feats = append(l.feats, f)
}

// appendPoints writes one command (1 MoveTo, 2 LineTo) with its points as
// zigzag deltas from the cursor.
func appendPoints(buf []uint32, cx, cy *int32, cmd uint32, pts []orb.Point) []uint32 {
	buf = append(buf, uint32(len(pts))<<3|cmd)
	for _, p := range pts {
		x, y := int32(p[0]), int32(p[1])
		dx, dy := x-*cx, y-*cy
		*cx, *cy = x, y
		buf = append(buf, uint32((dx<<1)^(dx>>31)), uint32((dy<<1)^(dy>>31)))
	}
	return buf
}

// tileEncoder holds the buffers of one tile's encoding.
type tileEncoder struct {
	out, layer, feat []byte
	keys             []string
	keyIdx           map[string]uint32
	vals             []value
	valIdx           map[value]uint32
	tags             []uint32
}

func newTileEncoder() *tileEncoder {
	return &tileEncoder{keyIdx: map[string]uint32{}, valIdx: map[value]uint32{}}
}

// encodeLayer appends one layer (field 3 of Tile) to e.out. Features are
// written in id order and the key and value tables follow that order, so
// the bytes depend on the data alone.
func (e *tileEncoder) encodeLayer(l *layerBuilder) {
	slices.SortFunc(l.feats, func(a, b feature) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	clear(e.keyIdx)
	clear(e.valIdx)
	e.keys, e.vals = e.keys[:0], e.vals[:0]
	lb := e.layer[:0]
	lb = appendVarintField(lb, 15, 2) // version first, as the spec asks
	lb = appendBytesField(lb, 1, []byte(l.name))
	for _, f := range l.feats {
		e.tags = e.tags[:0]
		for _, a := range l.attrs[f.attrLo:f.attrHi] {
			ki, ok := e.keyIdx[a.key]
			if !ok {
				ki = uint32(len(e.keys))
				e.keys = append(e.keys, a.key)
				e.keyIdx[a.key] = ki
			}
			vi, ok := e.valIdx[a.val]
			if !ok {
				vi = uint32(len(e.vals))
				e.vals = append(e.vals, a.val)
				e.valIdx[a.val] = vi
			}
			e.tags = append(e.tags, ki, vi)
		}
		fb := e.feat[:0]
		fb = appendVarintField(fb, 1, f.id)
		fb = appendPacked(fb, 2, e.tags)
		fb = appendVarintField(fb, 3, uint64(f.typ))
		fb = appendPacked(fb, 4, l.geom[f.geomLo:f.geomHi])
		e.feat = fb
		lb = appendBytesField(lb, 2, fb)
	}
	for _, k := range e.keys {
		lb = appendBytesField(lb, 3, []byte(k))
	}
	var vb [32]byte
	for _, v := range e.vals {
		b := vb[:0]
		switch v.kind {
		case kindString:
			lb = binary.AppendUvarint(lb, 4<<3|2)
			lb = binary.AppendUvarint(lb, uint64(1+uvarintLen(uint64(len(v.s)))+len(v.s)))
			lb = binary.AppendUvarint(lb, 1<<3|2)
			lb = binary.AppendUvarint(lb, uint64(len(v.s)))
			lb = append(lb, v.s...)
			continue
		case kindDouble:
			b = append(b, 3<<3|1)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.f))
		case kindUint:
			b = appendVarintField(b, 5, v.u)
		case kindBool:
			u := uint64(0)
			if v.b {
				u = 1
			}
			b = appendVarintField(b, 7, u)
		}
		lb = appendBytesField(lb, 4, b)
	}
	lb = appendVarintField(lb, 5, Extent)
	e.layer = lb
	e.out = appendBytesField(e.out, 3, lb)
}

func appendVarintField(b []byte, field int, v uint64) []byte {
	b = binary.AppendUvarint(b, uint64(field)<<3)
	return binary.AppendUvarint(b, v)
}

func appendBytesField(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(field)<<3|2)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendPacked(b []byte, field int, vs []uint32) []byte {
	n := 0
	for _, v := range vs {
		n += uvarintLen(uint64(v))
	}
	b = binary.AppendUvarint(b, uint64(field)<<3|2)
	b = binary.AppendUvarint(b, uint64(n))
	for _, v := range vs {
		b = binary.AppendUvarint(b, uint64(v))
	}
	return b
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
