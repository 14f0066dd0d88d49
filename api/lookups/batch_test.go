package lookups

import (
	"citygrid/api/httpx"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "320114001001001", `a"b\c`, "tab\there\n", "雨花台区", "\x01\x1f", "bad\xffutf8"} {
		got := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%q encodes to invalid JSON %s: %v", s, got, err)
			continue
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if back != want {
			t.Errorf("%q round-trips to %q", s, back)
		}
	}
}

// FuzzParseBatch checks the hand-written batch parser against
// encoding/json: whatever it accepts, encoding/json reads as the same
// points, and it never panics.
func FuzzParseBatch(f *testing.F) {
	for _, s := range []string{
		`{"points":[[118.7,31.9]]}`, `{"crs":"gcj02","points":[[1,2],[3,4]]}`, `{"points":[]}`,
		`{"points":[[1e3,-2.5E-3]]}`, `{"points":[[1,2,3]]}`, `{ "crs" : "a\"b" , "points" : [ [ 0 , 0 ] ] }`,
		`{"points":[[01,2]]}`, `{"points":[[-,2]]}`, `{}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := parseBatch(b, 1000)
		if err != nil {
			if httpx.StatusOf(err) != http.StatusBadRequest {
				t.Fatalf("error %v maps to %d, want 400", err, httpx.StatusOf(err))
			}
			return
		}
		var v struct {
			CRS    string      `json:"crs"`
			Points [][]float64 `json:"points"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("parseBatch accepted %q, encoding/json rejects it: %v", b, err)
		}
		if v.CRS != req.crs || len(v.Points) != len(req.points) {
			t.Fatalf("parseBatch read crs %q and %d points, encoding/json %q and %d", req.crs, len(req.points), v.CRS, len(v.Points))
		}
		for i, p := range v.Points {
			if len(p) != 2 || p[0] != req.points[i][0] || p[1] != req.points[i][1] {
				t.Fatalf("point %d: parseBatch %v, encoding/json %v", i, req.points[i], p)
			}
		}
	})
}
