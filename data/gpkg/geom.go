package gpkg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// GeoPackage binary geometry (OGC 12-128r18 §2.1.3): the header is the magic
// "GP", version 0, a flags byte and the srs_id, optionally followed by an
// envelope, and then standard WKB.
const (
	flagLittleEndian = 0x01 // header byte order: 1 = little-endian
	flagEnvelopeXY   = 1 << 1
	flagEmpty        = 1 << 4
	flagExtended     = 1 << 5
)

// WKB geometry type codes.
const (
	wkbPoint              = 1
	wkbLineString         = 2
	wkbPolygon            = 3
	wkbMultiPoint         = 4
	wkbMultiLineString    = 5
	wkbMultiPolygon       = 6
	wkbGeometryCollection = 7
)

// ErrGeometry reports a geometry blob that is not valid GeoPackage binary.
var ErrGeometry = errors.New("invalid GeoPackage geometry")

// AppendGeometry appends g as a GeoPackage geometry blob (little-endian
// header with an XY envelope, srsID, then little-endian WKB) to buf. Every
// non-empty geometry carries its envelope, points included (GDAL leaves it
// out for points; both forms are valid). A nil or empty geometry is written
// with the empty flag and no envelope; a nil interface is written as an
// empty GEOMETRYCOLLECTION.
func AppendGeometry(buf []byte, g orb.Geometry, srsID int32) []byte {
	if g == nil {
		g = orb.Collection(nil)
	}
	flags := byte(flagLittleEndian)
	if isEmpty(g) {
		flags |= flagEmpty
	} else {
		flags |= flagEnvelopeXY
	}
	buf = append(buf, 'G', 'P', 0, flags)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(srsID))
	if flags&flagEnvelopeXY != 0 {
		b := g.Bound()
		buf = appendFloat(buf, b.Min[0])
		buf = appendFloat(buf, b.Max[0])
		buf = appendFloat(buf, b.Min[1])
		buf = appendFloat(buf, b.Max[1])
	}
	return appendWKB(buf, g)
}

func isEmpty(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.Point:
		return false
	case orb.MultiPoint:
		return len(g) == 0
	case orb.LineString:
		return len(g) == 0
	case orb.MultiLineString:
		for _, l := range g {
			if len(l) > 0 {
				return false
			}
		}
		return true
	case orb.Ring:
		return len(g) == 0
	case orb.Polygon:
		return len(g) == 0 || len(g[0]) == 0
	case orb.MultiPolygon:
		for _, p := range g {
			if len(p) > 0 && len(p[0]) > 0 {
				return false
			}
		}
		return true
	case orb.Collection:
		for _, c := range g {
			if !isEmpty(c) {
				return false
			}
		}
		return true
	case orb.Bound:
		return false
	}
	return true
}

func appendFloat(buf []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(buf, math.Float64bits(f))
}

func appendHeader(buf []byte, typ uint32) []byte {
	buf = append(buf, 1) // little-endian
	return binary.LittleEndian.AppendUint32(buf, typ)
}

func appendPoints(buf []byte, ps []orb.Point) []byte {
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(ps)))
	for _, p := range ps {
		buf = appendFloat(buf, p[0])
		buf = appendFloat(buf, p[1])
	}
	return buf
}

func appendPolygon(buf []byte, p orb.Polygon) []byte {
	buf = appendHeader(buf, wkbPolygon)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(p)))
	for _, r := range p {
		buf = appendPoints(buf, r)
	}
	return buf
}

// appendWKB appends the little-endian WKB of g.
func appendWKB(buf []byte, g orb.Geometry) []byte {
	switch g := g.(type) {
	case orb.Point:
		buf = appendHeader(buf, wkbPoint)
		buf = appendFloat(buf, g[0])
		return appendFloat(buf, g[1])
	case orb.MultiPoint:
		buf = appendHeader(buf, wkbMultiPoint)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(g)))
		for _, p := range g {
			buf = appendWKB(buf, p)
		}
		return buf
	case orb.LineString:
		buf = appendHeader(buf, wkbLineString)
		return appendPoints(buf, g)
	case orb.MultiLineString:
		buf = appendHeader(buf, wkbMultiLineString)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(g)))
		for _, l := range g {
			buf = appendHeader(buf, wkbLineString)
			buf = appendPoints(buf, l)
		}
		return buf
	case orb.Ring:
		return appendPolygon(buf, orb.Polygon{g})
	case orb.Polygon:
		return appendPolygon(buf, g)
	case orb.MultiPolygon:
		buf = appendHeader(buf, wkbMultiPolygon)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(g)))
		for _, p := range g {
			buf = appendPolygon(buf, p)
		}
		return buf
	case orb.Bound:
		return appendPolygon(buf, g.ToPolygon())
	case orb.Collection:
		buf = appendHeader(buf, wkbGeometryCollection)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(g)))
		for _, c := range g {
			buf = appendWKB(buf, c)
		}
		return buf
	}
	// Unknown implementations of orb.Geometry: write an empty collection
	// rather than a blob no reader understands.
	buf = appendHeader(buf, wkbGeometryCollection)
	return binary.LittleEndian.AppendUint32(buf, 0)
}

// ParseGeometry decodes a GeoPackage geometry blob written by any
// conforming writer: either header byte order, any envelope type, and WKB
// in either byte order with Z, M or ZM ordinates (ISO or EWKB-style type
// codes), of which only X and Y are kept. It returns the geometry and the
// srs_id of the header. An empty point decodes as nil.
func ParseGeometry(b []byte) (orb.Geometry, int32, error) {
	if len(b) < 8 || b[0] != 'G' || b[1] != 'P' {
		return nil, 0, fmt.Errorf("%w: no GP magic", ErrGeometry)
	}
	if b[2] != 0 {
		return nil, 0, fmt.Errorf("%w: version %d", ErrGeometry, b[2])
	}
	flags := b[3]
	if flags&flagExtended != 0 {
		return nil, 0, fmt.Errorf("%w: extended GeoPackage geometry is not supported", ErrGeometry)
	}
	var order binary.ByteOrder = binary.BigEndian
	if flags&flagLittleEndian != 0 {
		order = binary.LittleEndian
	}
	srs := int32(order.Uint32(b[4:8]))
	envLen := 0
	switch (flags >> 1) & 0x07 {
	case 0:
	case 1:
		envLen = 32
	case 2, 3:
		envLen = 48
	case 4:
		envLen = 64
	default:
		return nil, 0, fmt.Errorf("%w: envelope type %d", ErrGeometry, (flags>>1)&0x07)
	}
	if len(b) < 8+envLen {
		return nil, 0, fmt.Errorf("%w: truncated envelope", ErrGeometry)
	}
	r := wkbReader{b: b[8+envLen:]}
	g := r.geometry(0)
	if r.err != nil {
		return nil, 0, r.err
	}
	if p, ok := g.(orb.Point); ok && math.IsNaN(p[0]) && math.IsNaN(p[1]) {
		return nil, srs, nil
	}
	return g, srs, nil
}

// wkbReader decodes WKB. It records the first error and returns zero values
// after it, so the decoding code reads straight through.
type wkbReader struct {
	b   []byte
	err error
}

func (r *wkbReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrGeometry}, args...)...)
	}
	r.b = nil
}

func (r *wkbReader) header() (order binary.ByteOrder, typ uint32, dims int) {
	if len(r.b) < 5 {
		r.fail("truncated WKB header")
		return binary.LittleEndian, 0, 2
	}
	switch r.b[0] {
	case 0:
		order = binary.BigEndian
	case 1:
		order = binary.LittleEndian
	default:
		r.fail("WKB byte order %d", r.b[0])
		return binary.LittleEndian, 0, 2
	}
	t := order.Uint32(r.b[1:5])
	r.b = r.b[5:]
	dims = 2
	// EWKB-style flags.
	if t&0x80000000 != 0 {
		dims++
	}
	if t&0x40000000 != 0 {
		dims++
	}
	if t&0x20000000 != 0 { // EWKB SRID: skip it
		if len(r.b) < 4 {
			r.fail("truncated EWKB SRID")
			return order, 0, 2
		}
		r.b = r.b[4:]
	}
	t &= 0x0fffffff
	// ISO type codes: 1000s = Z, 2000s = M, 3000s = ZM.
	switch t / 1000 {
	case 1, 2:
		dims = 3
	case 3:
		dims = 4
	case 0:
	default:
		r.fail("WKB geometry type %d", t)
		return order, 0, 2
	}
	return order, t % 1000, dims
}

func (r *wkbReader) count(order binary.ByteOrder, minSize int) int {
	if len(r.b) < 4 {
		r.fail("truncated WKB count")
		return 0
	}
	n := order.Uint32(r.b)
	r.b = r.b[4:]
	if uint64(n)*uint64(minSize) > uint64(len(r.b)) {
		r.fail("WKB count %d exceeds the blob", n)
		return 0
	}
	return int(n)
}

func (r *wkbReader) point(order binary.ByteOrder, dims int) orb.Point {
	if len(r.b) < 8*dims {
		r.fail("truncated WKB point")
		return orb.Point{}
	}
	p := orb.Point{
		math.Float64frombits(order.Uint64(r.b)),
		math.Float64frombits(order.Uint64(r.b[8:])),
	}
	r.b = r.b[8*dims:]
	return p
}

func (r *wkbReader) points(order binary.ByteOrder, dims int) []orb.Point {
	n := r.count(order, 8*dims)
	if r.err != nil {
		return nil
	}
	ps := make([]orb.Point, n)
	for i := range ps {
		ps[i] = orb.Point{
			math.Float64frombits(order.Uint64(r.b)),
			math.Float64frombits(order.Uint64(r.b[8:])),
		}
		r.b = r.b[8*dims:]
	}
	return ps
}

func (r *wkbReader) polygonBody(order binary.ByteOrder, dims int) orb.Polygon {
	n := r.count(order, 4)
	if r.err != nil {
		return nil
	}
	p := make(orb.Polygon, n)
	for i := range p {
		p[i] = orb.Ring(r.points(order, dims))
	}
	return p
}

// expect reads a nested geometry header and checks its type.
func (r *wkbReader) expect(want uint32) (binary.ByteOrder, int) {
	order, typ, dims := r.header()
	if r.err == nil && typ != want {
		r.fail("WKB type %d inside a collection of type %d", typ, want)
	}
	return order, dims
}

const maxDepth = 32

func (r *wkbReader) geometry(depth int) orb.Geometry {
	if depth > maxDepth {
		r.fail("geometry collections nested too deep")
		return nil
	}
	order, typ, dims := r.header()
	if r.err != nil {
		return nil
	}
	switch typ {
	case wkbPoint:
		return r.point(order, dims)
	case wkbLineString:
		return orb.LineString(r.points(order, dims))
	case wkbPolygon:
		return r.polygonBody(order, dims)
	case wkbMultiPoint:
		n := r.count(order, 5)
		mp := make(orb.MultiPoint, n)
		for i := range mp {
			o, d := r.expect(wkbPoint)
			mp[i] = r.point(o, d)
		}
		return mp
	case wkbMultiLineString:
		n := r.count(order, 9)
		ml := make(orb.MultiLineString, n)
		for i := range ml {
			o, d := r.expect(wkbLineString)
			ml[i] = orb.LineString(r.points(o, d))
		}
		return ml
	case wkbMultiPolygon:
		n := r.count(order, 9)
		mp := make(orb.MultiPolygon, n)
		for i := range mp {
			o, d := r.expect(wkbPolygon)
			mp[i] = r.polygonBody(o, d)
		}
		return mp
	case wkbGeometryCollection:
		n := r.count(order, 5)
		c := make(orb.Collection, 0, n)
		for i := 0; i < n && r.err == nil; i++ {
			c = append(c, r.geometry(depth+1))
		}
		return c
	}
	r.fail("unsupported WKB geometry type %d", typ)
	return nil
}
