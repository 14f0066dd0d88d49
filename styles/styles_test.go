package styles

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"citygrid/data"
	"citygrid/tiles"
)

func TestEveryStyleLayerReadsALayerTheTilesHave(t *testing.T) {
	have := map[string]bool{}
	for _, l := range tilesLayers() {
		have[l] = true
	}
	for _, name := range Names() {
		b, err := Style(name, "http://example.test")
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Glyphs  string
			Sources map[string]struct{ URL string }
			Layers  []struct {
				ID          string
				SourceLayer string `json:"source-layer"`
			}
		}
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.HasPrefix(st.Glyphs, "http://example.test/fonts/") || st.Sources["city"].URL != "http://example.test/tiles/city.json" {
			t.Errorf("%s: URLs not absolute: %q %q", name, st.Glyphs, st.Sources["city"].URL)
		}
		used := map[string]bool{}
		for _, l := range st.Layers {
			if l.SourceLayer == "" {
				continue
			}
			used[l.SourceLayer] = true
			if !have[l.SourceLayer] {
				t.Errorf("%s: layer %s reads %q, which no tile holds", name, l.ID, l.SourceLayer)
			}
		}
		for l := range have {
			if !used[l] {
				t.Errorf("%s: tile layer %s is not drawn", name, l)
			}
		}
	}
	if _, err := Style("nope", ""); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("unknown style: %v", err)
	}
}

func tilesLayers() []string {
	return []string{data.LayerDistricts, data.LayerStreets, data.LayerCommunities, data.LayerUnitGrids,
		data.LayerManagementGrids, data.LayerRoads, data.LayerComponents, tiles.LayerComponentClusters,
		data.LayerAddresses, data.LayerPOIs, tiles.LayerLabels}
}

// pbfGlyph is a decoded glyph message.
type pbfGlyph struct {
	id, w, h, adv uint64
	left, top     int64
	bitmap        []byte
}

// readFields walks one protobuf message (varints and length-delimited
// fields only, which is all glyph PBFs use).
func readFields(t *testing.T, b []byte, fn func(field int, v uint64, data []byte)) {
	t.Helper()
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			t.Fatal("bad key")
		}
		b = b[n:]
		switch key & 7 {
		case 0:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				t.Fatal("bad varint")
			}
			b = b[n:]
			fn(int(key>>3), v, nil)
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || int(l) > len(b)-n {
				t.Fatal("bad length")
			}
			fn(int(key>>3), 0, b[n:n+int(l)])
			b = b[n+int(l):]
		default:
			t.Fatalf("wire type %d", key&7)
		}
	}
}

func unzig(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }

func decodeGlyphs(t *testing.T, b []byte) (name, rng string, glyphs map[uint64]pbfGlyph) {
	glyphs = map[uint64]pbfGlyph{}
	readFields(t, b, func(f int, _ uint64, stack []byte) {
		if f != 1 {
			t.Fatalf("top-level field %d", f)
		}
		readFields(t, stack, func(f int, _ uint64, d []byte) {
			switch f {
			case 1:
				name = string(d)
			case 2:
				rng = string(d)
			case 3:
				var g pbfGlyph
				readFields(t, d, func(f int, v uint64, d []byte) {
					switch f {
					case 1:
						g.id = v
					case 2:
						g.bitmap = d
					case 3:
						g.w = v
					case 4:
						g.h = v
					case 5:
						g.left = unzig(v)
					case 6:
						g.top = unzig(v)
					case 7:
						g.adv = v
					}
				})
				glyphs[g.id] = g
			}
		})
	})
	return
}

func TestGlyphRangesAreSignedDistanceFields(t *testing.T) {
	b, err := Glyphs("Go Regular", 0)
	if err != nil {
		t.Fatal(err)
	}
	name, rng, gs := decodeGlyphs(t, b)
	if name != "Go Regular" || rng != "0-255" {
		t.Errorf("stack %q range %q", name, rng)
	}
	for _, c := range "0123456789ABCabc-" {
		if _, ok := gs[uint64(c)]; !ok {
			t.Errorf("glyph %q missing", c)
		}
	}
	sp := gs[' ']
	if sp.adv == 0 || sp.w != 0 || sp.bitmap != nil {
		t.Errorf("space: %+v", sp)
	}
	// 'I' of the Go font is a plain vertical bar: the middle of its bitmap
	// is deep inside (above the 191 edge value) and the corner far outside.
	g := gs['I']
	W, H := int(g.w)+2*glyphBorder, int(g.h)+2*glyphBorder
	if len(g.bitmap) != W*H {
		t.Fatalf("I: bitmap %d bytes, want %d×%d", len(g.bitmap), W, H)
	}
	if mid := g.bitmap[(H/2)*W+W/2]; mid < 200 {
		t.Errorf("I: middle %d, want inside (> 191)", mid)
	}
	if corner := g.bitmap[0]; corner > 100 {
		t.Errorf("I: corner %d, want outside", corner)
	}
	if g.top >= 0 || g.top < -10 {
		t.Errorf("I: top %d, want cap height (~17) minus %d", g.top, glyphTopOffset)
	}
	// 'O' has a hole: the middle is outside.
	o := gs['O']
	W, H = int(o.w)+2*glyphBorder, int(o.h)+2*glyphBorder
	if mid := o.bitmap[(H/2)*W+W/2]; mid > 150 {
		t.Errorf("O: middle %d, want outside", mid)
	}
}

func TestRangesTheFontLacksComeBackEmpty(t *testing.T) {
	b, err := Glyphs("Go Regular", 0x4e00)
	if err != nil {
		t.Fatal(err)
	}
	name, rng, gs := decodeGlyphs(t, b)
	if name != "Go Regular" || rng != "19968-20223" || len(gs) != 0 {
		t.Errorf("got %q %q with %d glyphs", name, rng, len(gs))
	}
	if _, err := Glyphs("x", 100); err == nil {
		t.Error("a range not on a 256 boundary was accepted")
	}
}
