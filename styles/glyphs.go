package styles

import (
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Glyph PBFs as MapLibre reads them: signed distance fields of 24-pixel
// glyphs with a 3-pixel border, 256 code points per file. citygrid draws
// them itself from the Go fonts (a Go module, so nothing is downloaded at
// run time) for Latin letters, digits and punctuation: codes, door
// numbers and counts. Chinese is drawn by the browser through MapLibre's
// localIdeographFontFamily, so ranges the Go font lacks come back empty.
const (
	glyphSize   = 24
	glyphBorder = 3
	sdfRadius   = 8
	sdfCutoff   = 0.25
	// glyphTopOffset puts the baseline where MapLibre puts it for glyphs
	// it draws locally (ascent - 27.5 at this size), so Latin from here and
	// Chinese from the browser share one baseline.
	glyphTopOffset = 27
)

var (
	fontOnce  sync.Once
	fontFace  *sfnt.Font
	fontErr   error
	glyphMu   sync.Mutex
	glyphPBFs = map[int][]byte{}
)

// FontStack is the font name the styles use.
const FontStack = "Go Regular"

// Glyphs returns the glyph PBF of the 256 code points from start for a
// font stack; every stack is drawn with the Go font. start must be a
// multiple of 256 below 65536.
func Glyphs(stack string, start int) ([]byte, error) {
	if start < 0 || start > 65280 || start%256 != 0 {
		return nil, fmt.Errorf("glyph range starting at %d: want a multiple of 256 below 65536", start)
	}
	fontOnce.Do(func() { fontFace, fontErr = sfnt.Parse(goregular.TTF) })
	if fontErr != nil {
		return nil, fmt.Errorf("glyphs: %w", fontErr)
	}
	glyphMu.Lock()
	body, ok := glyphPBFs[start]
	glyphMu.Unlock()
	if !ok {
		var err error
		body, err = renderRange(fontFace, start)
		if err != nil {
			return nil, err
		}
		glyphMu.Lock()
		glyphPBFs[start] = body
		glyphMu.Unlock()
	}
	// The stack name is part of the message: wrap the shared glyphs.
	var stackMsg []byte
	stackMsg = appendString(stackMsg, 1, stack)
	stackMsg = appendString(stackMsg, 2, fmt.Sprintf("%d-%d", start, start+255))
	stackMsg = append(stackMsg, body...)
	return appendBytes(nil, 1, stackMsg), nil
}

// renderRange encodes the glyph messages (field 3 of a fontstack) of one
// range.
func renderRange(f *sfnt.Font, start int) ([]byte, error) {
	var buf sfnt.Buffer
	var out []byte
	ppem := fixed.I(glyphSize)
	for r := rune(start); r < rune(start+256); r++ {
		idx, err := f.GlyphIndex(&buf, r)
		if err != nil || idx == 0 {
			continue
		}
		segs, err := f.LoadGlyph(&buf, idx, ppem, nil)
		if err != nil {
			return nil, fmt.Errorf("glyph %U: %w", r, err)
		}
		adv, err := f.GlyphAdvance(&buf, idx, ppem, font.HintingNone)
		if err != nil {
			return nil, fmt.Errorf("glyph %U: %w", r, err)
		}
		g := glyph{id: uint32(r), advance: uint32(math.Round(float64(adv) / 64))}
		if len(segs) > 0 {
			b := segs.Bounds()
			minX, minY := b.Min.X.Floor(), b.Min.Y.Floor()
			maxX, maxY := b.Max.X.Ceil(), b.Max.Y.Ceil()
			w, h := maxX-minX, maxY-minY
			if w > 0 && h > 0 {
				g.width, g.height = uint32(w), uint32(h)
				g.left, g.top = int32(minX), int32(-minY-glyphTopOffset)
				g.bitmap = sdf(segs, minX, minY, w, h)
			}
		}
		out = appendBytes(out, 3, g.encode())
	}
	return out, nil
}

type glyph struct {
	id, width, height, advance uint32
	left, top                  int32
	bitmap                     []byte
}

func (g glyph) encode() []byte {
	var b []byte
	b = appendVarint(b, 1, uint64(g.id))
	if g.bitmap != nil {
		b = appendBytes(b, 2, g.bitmap)
	}
	b = appendVarint(b, 3, uint64(g.width))
	b = appendVarint(b, 4, uint64(g.height))
	b = appendVarint(b, 5, uint64(uint32((g.left<<1)^(g.left>>31))))
	b = appendVarint(b, 6, uint64(uint32((g.top<<1)^(g.top>>31))))
	b = appendVarint(b, 7, uint64(g.advance))
	return b
}

func appendVarint(b []byte, field int, v uint64) []byte {
	b = binary.AppendUvarint(b, uint64(field)<<3)
	return binary.AppendUvarint(b, v)
}

func appendBytes(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(field)<<3|2)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendString(b []byte, field int, s string) []byte { return appendBytes(b, field, []byte(s)) }

// sdf rasterises a glyph and turns its coverage into a signed distance
// field: 255 - 255·(d/radius + cutoff), d the distance in pixels to the
// outline, negative inside (the encoding MapLibre's shaders expect).
func sdf(segs sfnt.Segments, minX, minY, w, h int) []byte {
	W, H := w+2*glyphBorder, h+2*glyphBorder
	ras := vector.NewRasterizer(W, H)
	dx, dy := float32(glyphBorder-minX), float32(glyphBorder-minY)
	pt := func(p fixed.Point26_6) (float32, float32) {
		return float32(p.X)/64 + dx, float32(p.Y)/64 + dy
	}
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			ras.MoveTo(pt(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			ras.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			x1, y1 := pt(s.Args[0])
			x2, y2 := pt(s.Args[1])
			ras.QuadTo(x1, y1, x2, y2)
		case sfnt.SegmentOpCubeTo:
			x1, y1 := pt(s.Args[0])
			x2, y2 := pt(s.Args[1])
			x3, y3 := pt(s.Args[2])
			ras.CubeTo(x1, y1, x2, y2, x3, y3)
		}
	}
	mask := image.NewAlpha(image.Rect(0, 0, W, H))
	ras.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})

	n := W * H
	outer := make([]float64, n)
	inner := make([]float64, n)
	const inf = 1e20
	for i := 0; i < n; i++ {
		a := float64(mask.Pix[i]) / 255
		switch {
		case a >= 1:
			outer[i], inner[i] = 0, inf
		case a <= 0:
			outer[i], inner[i] = inf, 0
		default:
			d := 0.5 - a
			if d > 0 {
				outer[i], inner[i] = d*d, 0
			} else {
				outer[i], inner[i] = 0, d*d
			}
		}
	}
	m := max(W, H)
	f, z := make([]float64, m), make([]float64, m+1)
	v := make([]int, m)
	edt(outer, W, H, f, v, z)
	edt(inner, W, H, f, v, z)
	out := make([]byte, n)
	for i := 0; i < n; i++ {
		d := math.Sqrt(outer[i]) - math.Sqrt(inner[i])
		val := math.Round(255 - 255*(d/sdfRadius+sdfCutoff))
		out[i] = byte(min(max(val, 0), 255))
	}
	return out
}

// edt turns a grid of squared seed distances into squared Euclidean
// distances, one dimension at a time (Felzenszwalb & Huttenlocher 2012).
func edt(grid []float64, w, h int, f []float64, v []int, z []float64) {
	for x := 0; x < w; x++ {
		edt1(grid, x, w, h, f, v, z)
	}
	for y := 0; y < h; y++ {
		edt1(grid, y*w, 1, w, f, v, z)
	}
}

// edt1 is the lower envelope of parabolas along one row or column.
func edt1(grid []float64, off, stride, n int, f []float64, v []int, z []float64) {
	for q := 0; q < n; q++ {
		f[q] = grid[off+q*stride]
	}
	k := 0
	v[0] = 0
	z[0] = math.Inf(-1)
	z[1] = math.Inf(1)
	for q := 1; q < n; q++ {
		r := v[k]
		s := (f[q] - f[r] + float64(q*q-r*r)) / float64(2*(q-r))
		for s <= z[k] { // z[0] is -Inf, so this stops at k = 0
			k--
			r = v[k]
			s = (f[q] - f[r] + float64(q*q-r*r)) / float64(2*(q-r))
		}
		k++
		v[k] = q
		z[k] = s
		z[k+1] = math.Inf(1)
	}
	k = 0
	for q := 0; q < n; q++ {
		for z[k+1] < float64(q) {
			k++
		}
		r := v[k]
		d := float64(q - r)
		grid[off+q*stride] = f[r] + d*d
	}
}
