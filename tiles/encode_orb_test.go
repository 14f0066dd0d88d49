package tiles

import (
	"context"
	"os"
	"reflect"
	"strconv"
	"sync"
	"testing"

	"citygrid/data"
	"citygrid/data/demo"
	"citygrid/spatial"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

// citygrid keeps its own MVT encoder only while it beats
// orb/encoding/mvt on the demo's densest tiles. These tests and
// benchmarks draw such a tile once, then encode the same layers with
// both: the decoded features must be equal, and the benchmarks give the
// time and size of each (docs/performance.md records the figures).

var (
	orbCmpOnce sync.Once
	orbCmpTS   *Tileset
	orbCmpDS   *data.Dataset
	orbCmpErr  error
)

// orbCmpCity is the demo city at CITYGRID_BENCH_SCALE (default 0.2, about
// 95,000 components: dense tiles without a long start).
func orbCmpCity(tb testing.TB) (*Tileset, *data.Dataset) {
	orbCmpOnce.Do(func() {
		scale := 0.2
		if s := os.Getenv("CITYGRID_BENCH_SCALE"); s != "" {
			if scale, orbCmpErr = strconv.ParseFloat(s, 64); orbCmpErr != nil {
				return
			}
		}
		orbCmpDS, orbCmpErr = demo.Generate(context.Background(), demo.Options{Seed: 1, Scale: scale})
		if orbCmpErr != nil {
			return
		}
		var ix *spatial.Index
		ix, orbCmpErr = spatial.Build(orbCmpDS)
		if orbCmpErr != nil {
			return
		}
		orbCmpTS, orbCmpErr = New(ix, Options{})
	})
	if orbCmpErr != nil {
		tb.Fatal(orbCmpErr)
	}
	return orbCmpTS, orbCmpDS
}

// drawDensest fills a tile state with the layers of the zoom-z tile
// holding the most components.
func drawDensest(tb testing.TB, z int) *tileState {
	ts, ds := orbCmpCity(tb)
	counts := map[maptile.Tile]int{}
	var best maptile.Tile
	for i := range ds.Components {
		t := maptile.At(ds.Components[i].Geometry.Bound().Center(), maptile.Zoom(z))
		counts[t]++
		if counts[t] > counts[best] {
			best = t
		}
	}
	st := &tileState{enc: newTileEncoder()}
	raw, err := ts.encode(context.Background(), st, z, best.X, best.Y)
	if err != nil || raw == nil {
		tb.Fatalf("tile %v: %v", best, err)
	}
	return st
}

// orbLayers turns built layers into orb's representation: a GeoJSON
// feature with a property map per feature, as orb's encoder takes them.
func orbLayers(st *tileState) mvt.Layers {
	var out mvt.Layers
	for i := range st.layers {
		l := &st.layers[i]
		if len(l.feats) == 0 {
			continue
		}
		ol := &mvt.Layer{Name: l.name, Version: 2, Extent: Extent}
		for _, f := range l.feats {
			gf := geojson.NewFeature(decodeGeom(f.typ, l.geom[f.geomLo:f.geomHi]))
			gf.ID = f.id
			for _, a := range l.attrs[f.attrLo:f.attrHi] {
				gf.Properties[a.key] = a.val.any()
			}
			ol.Features = append(ol.Features, gf)
		}
		out = append(out, ol)
	}
	return out
}

func (v value) any() any {
	switch v.kind {
	case kindString:
		return v.s
	case kindDouble:
		return v.f
	case kindUint:
		return v.u
	}
	return v.b
}

// decodeGeom reads MVT geometry commands back into tile coordinates.
func decodeGeom(typ uint8, cmds []uint32) orb.Geometry {
	var x, y int32
	var lines [][]orb.Point
	for i := 0; i < len(cmds); {
		c := cmds[i]
		i++
		id, n := c&7, int(c>>3)
		if id == 7 {
			continue
		}
		if id == 1 {
			lines = append(lines, nil)
		}
		for k := 0; k < n; k++ {
			dx, dy := int32(cmds[i]>>1)^-int32(cmds[i]&1), int32(cmds[i+1]>>1)^-int32(cmds[i+1]&1)
			i += 2
			x, y = x+dx, y+dy
			lines[len(lines)-1] = append(lines[len(lines)-1], orb.Point{float64(x), float64(y)})
		}
	}
	switch typ {
	case 1:
		return lines[0][0]
	case 2:
		mls := orb.MultiLineString{}
		for _, l := range lines {
			mls = append(mls, l)
		}
		return mls
	}
	var mp orb.MultiPolygon
	for _, l := range lines {
		r := append(orb.Ring(l), l[0])
		if r.Orientation() == orb.CCW || len(mp) == 0 { // MVT y points down: an exterior ring reads clockwise on screen
			mp = append(mp, orb.Polygon{r})
		} else {
			mp[len(mp)-1] = append(mp[len(mp)-1], r)
		}
	}
	return mp
}

// TestOwnEncoderAndOrbsDecodeTheSame: the densest z14 and z16 tiles
// encoded by citygrid and by orb decode (with orb's decoder) to the same
// layers, features, ids, properties and geometry.
func TestOwnEncoderAndOrbsDecodeTheSame(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a demo city")
	}
	for _, z := range []int{14, 16} {
		st := drawDensest(t, z)
		ours, err := mvt.Unmarshal(st.enc.out)
		if err != nil {
			t.Fatalf("z%d: orb cannot read our tile: %v", z, err)
		}
		b, err := mvt.Marshal(orbLayers(st))
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := mvt.Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(ours) != len(theirs) {
			t.Fatalf("z%d: %d layers, orb %d", z, len(ours), len(theirs))
		}
		n := 0
		for i := range ours {
			if ours[i].Name != theirs[i].Name || len(ours[i].Features) != len(theirs[i].Features) {
				t.Fatalf("z%d layer %d: %s with %d features, orb %s with %d", z, i, ours[i].Name, len(ours[i].Features), theirs[i].Name, len(theirs[i].Features))
			}
			for j, f := range ours[i].Features {
				g := theirs[i].Features[j]
				if !reflect.DeepEqual(f.ID, g.ID) || !reflect.DeepEqual(f.Properties, g.Properties) || !orb.Equal(f.Geometry, g.Geometry) {
					t.Fatalf("z%d %s feature %d differs:\n ours %v %v %v\n orb  %v %v %v", z, ours[i].Name, j, f.ID, f.Properties, f.Geometry, g.ID, g.Properties, g.Geometry)
				}
				n++
			}
		}
		t.Logf("z%d: %d features equal; %d bytes ours, %d orb", z, n, len(st.enc.out), len(b))
	}
}

func benchEncode(b *testing.B, z int, orbs bool) {
	st := drawDensest(b, z)
	var ls mvt.Layers
	if orbs {
		ls = orbLayers(st) // orb's input, built outside the timer
	}
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		if orbs {
			out, err := mvt.Marshal(ls)
			if err != nil {
				b.Fatal(err)
			}
			n = len(out)
			continue
		}
		e := st.enc
		e.out = e.out[:0]
		for j := range st.layers {
			if len(st.layers[j].feats) > 0 {
				e.encodeLayer(&st.layers[j])
			}
		}
		n = len(e.out)
	}
	b.ReportMetric(float64(n), "bytes")
}

// BenchmarkEncodeDensestZ14Own encodes the drawn layers of the densest
// z14 tile with citygrid's encoder.
func BenchmarkEncodeDensestZ14Own(b *testing.B) { benchEncode(b, 14, false) }

// BenchmarkEncodeDensestZ14Orb encodes the same layers with orb's Marshal;
// the feature maps orb takes are built before the timer starts, so this
// is orb's encoder alone.
func BenchmarkEncodeDensestZ14Orb(b *testing.B) { benchEncode(b, 14, true) }

// BenchmarkEncodeDensestZ16Own is citygrid's encoder on the densest z16 tile.
func BenchmarkEncodeDensestZ16Own(b *testing.B) { benchEncode(b, 16, false) }

// BenchmarkEncodeDensestZ16Orb is orb's Marshal on the same layers.
func BenchmarkEncodeDensestZ16Orb(b *testing.B) { benchEncode(b, 16, true) }
