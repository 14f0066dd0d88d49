package gpkg

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
)

func TestAppendGeometryWritesTheGeoPackageLayout(t *testing.T) {
	// Point (1, 2) in EPSG:4490: "GP", version 0, flags 0x03 (little-endian,
	// XY envelope), srs 4490 = 0x118a, envelope [1, 1, 2, 2], then WKB: 01,
	// type 1, x, y.
	one, two := "000000000000f03f", "0000000000000040"
	got := hex.EncodeToString(AppendGeometry(nil, orb.Point{1, 2}, 4490))
	want := "47500003" + "8a110000" + one + one + two + two + "01" + "01000000" + one + two
	if got != want {
		t.Errorf("point blob\n got %s\nwant %s", got, want)
	}
	// A line carries the envelope [minx, maxx, miny, maxy]: flags 0x03.
	b := AppendGeometry(nil, orb.LineString{{3, 4}, {1, 6}}, 4490)
	if b[3] != 0x03 {
		t.Fatalf("line flags = %#x, want 0x03", b[3])
	}
	env := make([]float64, 4)
	for i := range env {
		env[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8+8*i:]))
	}
	if !reflect.DeepEqual(env, []float64{1, 3, 4, 6}) {
		t.Errorf("envelope = %v, want [1 3 4 6]", env)
	}
	// An empty multipolygon sets the empty flag and has no envelope.
	b = AppendGeometry(nil, orb.MultiPolygon{}, 4490)
	if b[3] != 0x11 || len(b) != 8+9 {
		t.Errorf("empty multipolygon blob = %x", b)
	}
}

func TestParseGeometryReadsOtherWriters(t *testing.T) {
	be := binary.BigEndian
	// Big-endian header with an XYZ envelope (type 2), then big-endian ISO
	// WKB "LineString Z" (1002) with two points.
	var b []byte
	b = append(b, 'G', 'P', 0, 2<<1)
	b = be.AppendUint32(b, 4326)
	for _, f := range []float64{0, 1, 0, 1, 0, 9} {
		b = be.AppendUint64(b, math.Float64bits(f))
	}
	b = append(b, 0)
	b = be.AppendUint32(b, 1002)
	b = be.AppendUint32(b, 2)
	for _, f := range []float64{0, 0, 5, 1, 1, 9} {
		b = be.AppendUint64(b, math.Float64bits(f))
	}
	g, srs, err := ParseGeometry(b)
	if err != nil || srs != 4326 || !reflect.DeepEqual(g, orb.LineString{{0, 0}, {1, 1}}) {
		t.Fatalf("ParseGeometry = %v, %d, %v", g, srs, err)
	}
	// Little-endian EWKB-style PointM (0x40000001).
	b = []byte{'G', 'P', 0, 1, 0xe6, 0x10, 0, 0, 1}
	b = binary.LittleEndian.AppendUint32(b, 0x40000001)
	for _, f := range []float64{7, 8, 100} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	if g, _, err := ParseGeometry(b); err != nil || g != (orb.Point{7, 8}) {
		t.Fatalf("ParseGeometry(PointM) = %v, %v", g, err)
	}
}

func TestParseGeometryRefusesBrokenBlobs(t *testing.T) {
	good := AppendGeometry(nil, orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}, 4490)
	tests := []struct {
		name string
		blob []byte
	}{
		{"a blob without the GP magic", append([]byte("XX"), good[2:]...)},
		{"a blob cut inside the envelope", good[:20]},
		{"a blob cut inside the coordinates", good[:len(good)-3]},
		{"a ring count larger than the blob", func() []byte {
			b := append([]byte(nil), good...)
			binary.LittleEndian.PutUint32(b[8+32+9+5:], 1<<30)
			return b
		}()},
		{"an unknown WKB type", func() []byte {
			b := append([]byte(nil), good...)
			binary.LittleEndian.PutUint32(b[8+32+1:], 17)
			return b
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := ParseGeometry(tt.blob); !errors.Is(err, ErrGeometry) {
				t.Fatalf("ParseGeometry = %v, want ErrGeometry", err)
			}
		})
	}
}

func TestGeometryRoundTrip(t *testing.T) {
	for _, g := range []orb.Geometry{
		orb.Point{118.78, 31.99},
		orb.MultiPoint{{1, 2}, {3, 4}},
		orb.LineString{{1, 2}, {3, 4}},
		orb.MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}},
		orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}, {1, 1}}},
		orb.MultiPolygon{{{{0, 0}, {4, 0}, {4, 4}, {0, 0}}}, {{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}},
		orb.Collection{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}},
	} {
		got, srs, err := ParseGeometry(AppendGeometry(nil, g, 4490))
		if err != nil || srs != 4490 || !reflect.DeepEqual(got, g) {
			t.Errorf("%s: round trip = %v, %d, %v", g.GeoJSONType(), got, srs, err)
		}
	}
}

func FuzzParseGeometry(f *testing.F) {
	f.Add(AppendGeometry(nil, orb.Point{1, 2}, 4490))
	f.Add(AppendGeometry(nil, orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}, 4490))
	f.Add(AppendGeometry(nil, orb.Collection{orb.LineString{{1, 2}, {3, 4}}}, 4326))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, srs, err := ParseGeometry(b)
		if err != nil || g == nil {
			return
		}
		// Whatever parses must survive our own writer unchanged.
		// (compared as bytes, which NaN ordinates cannot fool).
		first := AppendGeometry(nil, g, srs)
		again, srs2, err := ParseGeometry(first)
		if err != nil || srs2 != srs || !bytes.Equal(AppendGeometry(nil, again, srs2), first) {
			t.Fatalf("re-encoding %v gave %v, %v", g, again, err)
		}
	})
}
