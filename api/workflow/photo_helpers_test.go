package workflow_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
)

// smallPNG is a real 8×8 grey PNG image.
func smallPNG(t testing.TB) string {
	return noisyPNG(t, 8, 8, false)
}

// noisyPNG is a real w×h PNG image, of random pixels when noisy (which
// compress badly, so the file stays large after re-encoding).
func noisyPNG(t testing.TB, w, h int, noisy bool) string {
	img := image.NewGray(image.Rect(0, 0, w, h))
	if noisy {
		r := rand.New(rand.NewPCG(1, 2))
		for i := range img.Pix {
			img.Pix[i] = uint8(r.IntN(256))
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// smallJPEG is a real w×h JPEG image: its left half red, its right half
// blue.
func smallJPEG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 255, A: 255}
			if x >= w/2 {
				c = color.RGBA{B: 255, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
