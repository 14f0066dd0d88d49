package workflow_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"strings"
	"testing"

	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
)

// withEXIF puts an APP1 EXIF block right after a JPEG's start-of-image
// marker: IFD0 holds the orientation and a pointer to a GPS IFD whose
// latitude reference is "N" and whose GPSMapDatum (tag 0x0012) is the
// marker text, so that its survival can be searched for in the output.
func withEXIF(jpg []byte, orientation uint16, marker string) []byte {
	bo := binary.BigEndian
	var t bytes.Buffer
	t.WriteString("MM\x00\x2a")
	binary.Write(&t, bo, uint32(8)) // IFD0 at 8
	// IFD0: 2 entries (12 bytes each) + next-IFD offset = 2+24+4 = 30 → GPS IFD at 38.
	binary.Write(&t, bo, uint16(2))
	binary.Write(&t, bo, []uint16{0x0112, 3})
	binary.Write(&t, bo, uint32(1))
	binary.Write(&t, bo, []uint16{orientation, 0})
	binary.Write(&t, bo, []uint16{0x8825, 4})
	binary.Write(&t, bo, uint32(1))
	binary.Write(&t, bo, uint32(38))
	binary.Write(&t, bo, uint32(0))
	// GPS IFD: 2 entries → 2+24+4 = 30 bytes, the marker text at 68.
	binary.Write(&t, bo, uint16(2))
	binary.Write(&t, bo, []uint16{0x0001, 2})
	binary.Write(&t, bo, uint32(2))
	t.WriteString("N\x00\x00\x00")
	binary.Write(&t, bo, []uint16{0x0012, 2})
	binary.Write(&t, bo, uint32(len(marker)+1))
	binary.Write(&t, bo, uint32(68))
	binary.Write(&t, bo, uint32(0))
	t.WriteString(marker + "\x00")
	seg := append([]byte("Exif\x00\x00"), t.Bytes()...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1}
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// TestPhotosAreDecodedReencodedAndStrippedOfTheirPosition: a phone photo
// carrying EXIF GPS and "turned a quarter clockwise" is stored without
// its EXIF block and upright (the red left half of the sensor image is the
// top half of the stored one); random bytes behind a PNG signature are
// refused, as is a JPEG cut short.
func TestPhotosAreDecodedReencodedAndStrippedOfTheirPosition(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	m := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", "cit", `{"kind":"event","category":"0101","lon":118.765,"lat":31.993}`), 201)
	attach := fmt.Sprintf("/api/v1/cases/%d/attachments", int64(m["id"].(float64)))

	const marker = "CITIZEN-AT-31.993N-118.765E"
	photo := withEXIF(smallJPEG(t, 32, 16), 6, marker)
	if !bytes.Contains(photo, []byte(marker)) {
		t.Fatal("the test photo lacks its marker")
	}
	a := apitest.MustStatus(t, apitest.Call(t, h, "POST", attach, "cit", string(photo)), 201)
	got := apitest.Call(t, h, "GET", fmt.Sprintf("%s/%d", attach, int(a["id"].(float64))), "cit", "").Body.Bytes()
	if bytes.Contains(got, []byte(marker)) || bytes.Contains(got, []byte("Exif\x00\x00")) {
		t.Fatal("the stored photo still carries its EXIF block")
	}
	img, format, err := image.Decode(bytes.NewReader(got))
	if err != nil || format != "jpeg" {
		t.Fatalf("the stored photo: %v %s", err, format)
	}
	if b := img.Bounds(); b.Dx() != 16 || b.Dy() != 32 {
		t.Fatalf("stored %v, want 16×32 (turned upright)", b)
	}
	isRed := func(c color.Color) bool { r, g, b, _ := c.RGBA(); return r > 0xC000 && g < 0x4000 && b < 0x4000 }
	isBlue := func(c color.Color) bool { r, g, b, _ := c.RGBA(); return b > 0xC000 && r < 0x4000 && g < 0x4000 }
	if !isRed(img.At(8, 4)) || !isBlue(img.At(8, 28)) {
		t.Fatalf("not upright: top %v, bottom %v", img.At(8, 4), img.At(8, 28))
	}

	r := rand.New(rand.NewPCG(3, 3))
	junk := make([]byte, 9<<10)
	for i := range junk {
		junk[i] = byte(r.IntN(256))
	}
	for name, body := range map[string]string{
		"random bytes behind a PNG signature": "\x89PNG\r\n\x1a\n" + string(junk),
		"a JPEG cut short":                    string(photo[:len(photo)/2]),
		"a PNG signature and nothing else":    "\x89PNG\r\n\x1a\n",
	} {
		e := apitest.MustStatus(t, apitest.Call(t, h, "POST", attach, "cit", body), 400)
		if e["field"] != "body" || !strings.Contains(e["error"].(string), "decodable") {
			t.Errorf("%s: %v", name, e)
		}
	}
}

// TestPhotoQuotasPerCaseAndPerCitizenDay: a case takes nine photos, the
// tenth is 409; a citizen uploads thirty photos in a day over several
// cases, the thirty-first is 429. Staff have no daily quota.
func TestPhotoQuotasPerCaseAndPerCitizenDay(t *testing.T) {
	h, _ := routertest.CaseServer(t)
	photo := smallPNG(t)
	newCase := func(token string, i int) string {
		m := apitest.MustStatus(t, apitest.Call(t, h, "POST", "/api/v1/cases", token,
			fmt.Sprintf(`{"kind":"event","category":"0101","lon":%.4f,"lat":31.995}`, 118.7605+0.001*float64(i))), 201)
		return fmt.Sprintf("/api/v1/cases/%d/attachments", int64(m["id"].(float64)))
	}
	uploaded := 0
	for c := range 4 {
		attach := newCase("cit", c)
		for range 9 {
			if uploaded == 30 {
				e := apitest.MustStatus(t, apitest.Call(t, h, "POST", attach, "cit", photo), 429)
				if !strings.Contains(e["error"].(string), "30 photos") {
					t.Fatalf("the 31st photo of the day: %v", e)
				}
				goto staff
			}
			apitest.MustStatus(t, apitest.Call(t, h, "POST", attach, "cit", photo), 201)
			uploaded++
		}
		apitest.MustStatus(t, apitest.Call(t, h, "POST", attach, "cit", photo), 409)
	}
	t.Fatal("the daily quota never struck")
staff:
	attach := newCase("ins", 9)
	for range 9 {
		apitest.MustStatus(t, apitest.Call(t, h, "POST", attach, "ins", photo), 201)
	}
	apitest.MustStatus(t, apitest.Call(t, h, "POST", attach, "ins", photo), 409)
}
