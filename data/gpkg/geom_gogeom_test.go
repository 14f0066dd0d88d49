package gpkg

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
)

// citygrid reads GeoPackage geometry with its own WKB decoder because
// orb/encoding/wkb refuses Z, M and ZM geometry (ISO type codes 1001 …
// 3007), which contractors' GDAL exports carry, and go-geom's decoder
// returns its own flat-coordinate types that would need a second copy
// into orb's. These tests hold the decoder to go-geom's reading of the
// same bytes, and to go-geom reading what the encoder writes.

// randomGeom is a random go-geom geometry of a random type and layout.
func randomGeom(r *rand.Rand, layout geom.Layout, depth int) geom.T {
	stride := layout.Stride()
	coords := func(n int) []float64 {
		fs := make([]float64, n*stride)
		for i := range fs {
			fs[i] = 118 + r.Float64()
		}
		return fs
	}
	ring := func() []float64 {
		n := 4 + r.IntN(6)
		fs := coords(n)
		copy(fs[(n-1)*stride:], fs[:stride]) // closed
		return fs
	}
	kinds := 6
	if depth == 0 {
		kinds = 7
	}
	switch r.IntN(kinds) {
	case 0:
		return geom.NewPointFlat(layout, coords(1))
	case 1:
		return geom.NewLineStringFlat(layout, coords(2+r.IntN(8)))
	case 2:
		var flat []float64
		var ends []int
		for range 1 + r.IntN(3) {
			flat = append(flat, ring()...)
			ends = append(ends, len(flat))
		}
		return geom.NewPolygonFlat(layout, flat, ends)
	case 3:
		n := 1 + r.IntN(5)
		return geom.NewMultiPointFlat(layout, coords(n))
	case 4:
		var flat []float64
		var ends []int
		for range 1 + r.IntN(3) {
			flat = append(flat, coords(2+r.IntN(5))...)
			ends = append(ends, len(flat))
		}
		return geom.NewMultiLineStringFlat(layout, flat, ends)
	case 5:
		var flat []float64
		var endss [][]int
		for range 1 + r.IntN(3) {
			var ends []int
			for range 1 + r.IntN(2) {
				flat = append(flat, ring()...)
				ends = append(ends, len(flat))
			}
			endss = append(endss, ends)
		}
		return geom.NewMultiPolygonFlat(layout, flat, endss)
	}
	gc := geom.NewGeometryCollection()
	for range 1 + r.IntN(3) {
		if err := gc.Push(randomGeom(r, layout, depth+1)); err != nil {
			panic(err)
		}
	}
	return gc
}

// sameXY reports whether an orb geometry has the X and Y of a go-geom one.
func sameXY(t *testing.T, got orb.Geometry, want geom.T) bool {
	t.Helper()
	pts := func(g geom.T) []orb.Point {
		flat, stride := g.FlatCoords(), g.Stride()
		ps := make([]orb.Point, 0, len(flat)/stride)
		for i := 0; i+1 < len(flat); i += stride {
			ps = append(ps, orb.Point{flat[i], flat[i+1]})
		}
		return ps
	}
	switch w := want.(type) {
	case *geom.Point:
		return got == orb.Point(pts(w)[0])
	case *geom.LineString:
		g, ok := got.(orb.LineString)
		return ok && orb.Equal(g, orb.LineString(pts(w)))
	case *geom.Polygon:
		g, ok := got.(orb.Polygon)
		if !ok || len(g) != w.NumLinearRings() {
			return false
		}
		for i := range g {
			if !orb.Equal(g[i], orb.Ring(pts(w.LinearRing(i)))) {
				return false
			}
		}
		return true
	case *geom.MultiPoint:
		g, ok := got.(orb.MultiPoint)
		return ok && orb.Equal(g, orb.MultiPoint(pts(w)))
	case *geom.MultiLineString:
		g, ok := got.(orb.MultiLineString)
		if !ok || len(g) != w.NumLineStrings() {
			return false
		}
		for i := range g {
			if !orb.Equal(g[i], orb.LineString(pts(w.LineString(i)))) {
				return false
			}
		}
		return true
	case *geom.MultiPolygon:
		g, ok := got.(orb.MultiPolygon)
		if !ok || len(g) != w.NumPolygons() {
			return false
		}
		for i := range g {
			if !sameXY(t, g[i], w.Polygon(i)) {
				return false
			}
		}
		return true
	case *geom.GeometryCollection:
		g, ok := got.(orb.Collection)
		if !ok || len(g) != w.NumGeoms() {
			return false
		}
		for i := range g {
			if !sameXY(t, g[i], w.Geom(i)) {
				return false
			}
		}
		return true
	}
	t.Fatalf("unexpected go-geom type %T", want)
	return false
}

// TestParseGeometryReadsWhatGoGeomWrites: 2,000 random geometries of
// every type in XY, XYZ, XYM and XYZM, in both byte orders, written as WKB
// by go-geom and wrapped in a GeoPackage header, read back with the X and
// Y go-geom wrote.
func TestParseGeometryReadsWhatGoGeomWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	layouts := []geom.Layout{geom.XY, geom.XYZ, geom.XYM, geom.XYZM}
	orders := []binary.ByteOrder{binary.LittleEndian, binary.BigEndian}
	for i := range 2000 {
		want := randomGeom(r, layouts[i%4], 0)
		body, err := wkb.Marshal(want, orders[i/4%2])
		if err != nil {
			t.Fatal(err)
		}
		blob := append([]byte{'G', 'P', 0, flagLittleEndian}, 0x8a, 0x11, 0, 0)
		got, srs, err := ParseGeometry(append(blob, body...))
		if err != nil {
			t.Fatalf("geometry %d (%T %v): %v", i, want, layouts[i%4], err)
		}
		if srs != 4490 || !sameXY(t, got, want) {
			t.Fatalf("geometry %d (%T %v) read as %v, srs %d", i, want, layouts[i%4], got, srs)
		}
	}
}

// TestGoGeomReadsWhatAppendGeometryWrites: the encoder's WKB, after the
// GeoPackage header, is read by go-geom as the same geometry.
func TestGoGeomReadsWhatAppendGeometryWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 1000 {
		want := randomGeom(r, geom.XY, 1) // XY: citygrid stores two dimensions; no collections
		body, _ := wkb.Marshal(want, binary.LittleEndian)
		blob := append([]byte{'G', 'P', 0, flagLittleEndian}, 0x8a, 0x11, 0, 0)
		g, _, err := ParseGeometry(append(blob, body...))
		if err != nil {
			t.Fatal(err)
		}
		out := AppendGeometry(nil, g, 4490)
		envLen := map[byte]int{0: 0, 1: 32}[(out[3]>>1)&7]
		back, err := wkb.Unmarshal(out[8+envLen:])
		if err != nil {
			t.Fatalf("geometry %d: go-geom cannot read %T: %v", i, g, err)
		}
		if !sameXY(t, g, back) {
			t.Fatalf("geometry %d: wrote %v, go-geom read %v", i, g, back.FlatCoords())
		}
	}
}

// BenchmarkParseGeometryOwn and …GoGeom decode the same 1,000 polygons
// of 40 vertices each (a unit grid's size), the store's load path; go-geom
// is timed with the copy into orb that citygrid would need.
func BenchmarkParseGeometryOwn(b *testing.B) { benchParse(b, false) }

// BenchmarkParseGeometryGoGeom is go-geom's WKB decoder plus the copy of
// its flat coordinates into orb types.
func BenchmarkParseGeometryGoGeom(b *testing.B) { benchParse(b, true) }

func benchParse(b *testing.B, goGeom bool) {
	r := rand.New(rand.NewPCG(5, 6))
	blobs := make([][]byte, 1000)
	for i := range blobs {
		ring := make(orb.Ring, 40)
		for j := range ring {
			ring[j] = orb.Point{118 + r.Float64(), 32 + r.Float64()}
		}
		ring[39] = ring[0]
		blobs[i] = AppendGeometry(nil, orb.Polygon{ring}, 4490)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, blob := range blobs {
			if !goGeom {
				if _, _, err := ParseGeometry(blob); err != nil {
					b.Fatal(err)
				}
				continue
			}
			g, err := wkb.Unmarshal(blob[8+32:])
			if err != nil {
				b.Fatal(err)
			}
			p := g.(*geom.Polygon)
			poly := make(orb.Polygon, p.NumLinearRings())
			for k := range poly {
				lr := p.LinearRing(k)
				flat := lr.FlatCoords()
				ring := make(orb.Ring, len(flat)/2)
				for j := range ring {
					ring[j] = orb.Point{flat[2*j], flat[2*j+1]}
				}
				poly[k] = ring
			}
		}
	}
}
