package workflow

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"

	_ "golang.org/x/image/webp" // registers the WebP decoder with package image

	"citygrid/api/httpx"
)

// maxPhotoPixels refuses images whose decoded size would be a memory
// bomb: 40 megapixels is more than any phone camera takes, and decodes to
// 160 MB.
const maxPhotoPixels = 40_000_000

// photoQuality is the JPEG quality of re-encoded photos.
const photoQuality = 88

// cleanPhoto decodes an uploaded image of the sniffed type and encodes it
// again. Decoding proves the bytes are the image they claim to be (magic
// bytes followed by anything are refused); encoding anew drops every
// metadata block, above all the EXIF GPS position of a citizen's photo,
// after the EXIF orientation has been applied to the pixels so the photo
// still stands upright. WebP, which the standard library cannot encode,
// is stored as JPEG.
func cleanPhoto(body []byte, sniffed string) (out []byte, typ, ext string, err error) {
	bad := func(reason string) ([]byte, string, string, error) {
		return nil, "", "", httpx.BadRequest("body", reason)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil || "image/"+format != sniffed {
		return bad("not a decodable JPEG, PNG or WebP image")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPhotoPixels {
		return bad(fmt.Sprintf("a %d×%d image: at most %d pixels", cfg.Width, cfg.Height, maxPhotoPixels))
	}
	img, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		return bad("not a decodable JPEG, PNG or WebP image: " + err.Error())
	}
	var b bytes.Buffer
	switch format {
	case "png":
		if err := png.Encode(&b, img); err != nil {
			return nil, "", "", fmt.Errorf("re-encode photo: %w", err)
		}
		return b.Bytes(), "image/png", ".png", nil
	case "jpeg":
		img = orient(img, exifOrientation(body))
	}
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: photoQuality}); err != nil {
		return nil, "", "", fmt.Errorf("re-encode photo: %w", err)
	}
	return b.Bytes(), "image/jpeg", ".jpg", nil
}

// exifOrientation reads the orientation tag (0x0112) of a JPEG's EXIF
// block: 1 (upright) when there is none or it cannot be read.
func exifOrientation(b []byte) int {
	for i := 2; i+4 <= len(b) && b[i] == 0xFF; {
		marker, n := b[i+1], int(binary.BigEndian.Uint16(b[i+2:]))
		if marker == 0xDA || n < 2 || i+2+n > len(b) {
			return 1 // start of scan: no EXIF before the pixels
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads the orientation tag of IFD0 of an EXIF TIFF block.
func tiffOrientation(t []byte) int {
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[ifd:]))
	for k := range n {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient turns img upright for EXIF orientation o (1-8): the mirror and
// the quarter turns the camera recorded instead of turning the pixels.
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	src := image.NewRGBA(img.Bounds().Sub(img.Bounds().Min))
	draw.Draw(src, src.Bounds(), img, img.Bounds().Min, draw.Src)
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		for x := range w {
			var dx, dy int
			switch o {
			case 2: // mirrored
				dx, dy = w-1-x, y
			case 3: // upside down
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored upside down
				dx, dy = x, h-1-y
			case 5: // mirrored, turned
				dx, dy = y, x
			case 6: // turned a quarter clockwise
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8: // turned a quarter anticlockwise
				dx, dy = y, w-1-x
			}
			i, j := src.PixOffset(x, y), dst.PixOffset(dx, dy)
			copy(dst.Pix[j:j+4], src.Pix[i:i+4])
		}
	}
	return dst
}
