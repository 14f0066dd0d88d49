package lookups

import (
	"math"
	"net/http"
	"strconv"
	"sync"

	"citygrid/spatial"
)

// The locate answer is the server's hottest path (thousands a second from
// the dispatch engine), so it is encoded by hand into a pooled buffer
// rather than through encoding/json's reflection. encode_test.go checks the
// bytes are identical to json.Marshal's for every kind of answer, so a
// field added to spatial.Location fails the test rather than silently
// going missing.

// answerBufs recycles answer buffers.
var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// writeLocation answers loc as JSON with the given status; with errText
// set it writes the 404 body of a point outside the city.
func writeLocation(w http.ResponseWriter, status int, loc *spatial.Location, errText string) {
	bp := answerBufs.Get().(*[]byte)
	b := (*bp)[:0]
	b = append(b, '{')
	if errText != "" {
		b = append(b, `"error":`...)
		b = appendJSONString(b, errText)
		b = append(b, ',')
	}
	b = appendLocationFields(b, loc)
	b = append(b, "}\n"...)
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	_, _ = w.Write(b)
	*bp = b
	answerBufs.Put(bp)
}

// jsonContentType is the Content-Type header value of JSON answers, shared
// so hot paths do not allocate it.
var jsonContentType = []string{"application/json; charset=utf-8"}

// appendLocation appends loc as the JSON object json.Marshal would write.
func appendLocation(b []byte, loc *spatial.Location) []byte {
	b = append(b, '{')
	b = appendLocationFields(b, loc)
	return append(b, '}')
}

// appendLocationFields appends the members of loc's JSON object, without
// the braces, following its struct tags (omitzero parts left out).
func appendLocationFields(b []byte, loc *spatial.Location) []byte {
	b = append(b, `"point":[`...)
	b = appendJSONFloat(b, loc.Point[0])
	b = append(b, ',')
	b = appendJSONFloat(b, loc.Point[1])
	b = append(b, `],"crs":`...)
	b = appendJSONString(b, string(loc.CRS))
	b = append(b, `,"covered":`...)
	b = strconv.AppendBool(b, loc.Covered)
	if g := loc.UnitGrid; g != (spatial.UnitGridRef{}) {
		b = append(b, `,"unit_grid":{"code":`...)
		b = appendJSONString(b, g.Code)
		if g.Community != "" {
			b = append(b, `,"community":`...)
			b = appendJSONString(b, g.Community)
		}
		if g.AreaM2 != 0 {
			b = append(b, `,"area_m2":`...)
			b = appendJSONFloat(b, g.AreaM2)
		}
		b = append(b, '}')
	}
	for _, a := range [3]struct {
		key string
		ref spatial.AdminRef
	}{{`,"community":`, loc.Community}, {`,"street":`, loc.Street}, {`,"district":`, loc.District}} {
		if a.ref == (spatial.AdminRef{}) {
			continue
		}
		b = append(b, a.key...)
		b = append(b, `{"code":`...)
		b = appendJSONString(b, a.ref.Code)
		if a.ref.Name != "" {
			b = append(b, `,"name":`...)
			b = appendJSONString(b, a.ref.Name)
		}
		b = append(b, '}')
	}
	if loc.ManagementGrids == nil {
		b = append(b, `,"management_grids":null`...)
	} else {
		b = append(b, `,"management_grids":[`...)
		for i, m := range loc.ManagementGrids {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"kind":`...)
			b = appendJSONString(b, m.Kind)
			b = append(b, `,"code":`...)
			b = appendJSONString(b, m.Code)
			if m.Name != "" {
				b = append(b, `,"name":`...)
				b = appendJSONString(b, m.Name)
			}
			if m.Unit != "" {
				b = append(b, `,"unit":`...)
				b = appendJSONString(b, m.Unit)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if n := loc.Nearest; n != (spatial.NearestGrid{}) {
		b = append(b, `,"nearest_unit_grid":{"code":`...)
		b = appendJSONString(b, n.Code)
		b = append(b, `,"distance_m":`...)
		b = appendJSONFloat(b, n.DistanceM)
		b = append(b, '}')
	}
	return b
}

// appendJSONFloat formats f as encoding/json does: the shortest decimal
// that round-trips, in exponent form only for very small or very large
// magnitudes, with a two-digit negative exponent shortened ("1e-07" →
// "1e-7"). NaN and infinities cannot occur in answers (inputs are checked)
// and are written as null.
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
