package city

import (
	"fmt"
	"strings"
	"testing"

	"citygrid/data"
)

// TestAppliedSeqsFilter: changes without a Seq always pass; a Seq'd change
// passes when it is newer than the newest applied one of its feature.
func TestAppliedSeqsFilter(t *testing.T) {
	a := newAppliedSeqs()
	ch := func(layer, code string, seq int64) data.Change {
		return data.Change{Layer: layer, Code: code, Seq: seq}
	}
	codes := func(chs []data.Change) string {
		var s []string
		for _, c := range chs {
			s = append(s, fmt.Sprintf("%s/%s@%d", c.Layer[:1], c.Code, c.Seq))
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		in   []data.Change
		want string
	}{
		{[]data.Change{ch("components", "x", 5), ch("components", "y", 6)}, "c/x@5 c/y@6"},
		{[]data.Change{ch("components", "x", 5), ch("components", "x", 7)}, "c/x@7"},
		{[]data.Change{ch("components", "x", 6), ch("unit_grids", "x", 6), ch("components", "z", 0)}, "u/x@6 c/z@0"},
		{[]data.Change{ch("components", "z", 0)}, "c/z@0"},
		{[]data.Change{ch("components", "y", 6)}, ""},
	} {
		if got := codes(a.filter(tc.in)); got != tc.want {
			t.Errorf("filter(%s) = %q, want %q", codes(tc.in), got, tc.want)
		}
	}
	var none *appliedSeqs
	if got := none.filter([]data.Change{ch("components", "x", 1)}); len(got) != 1 {
		t.Error("a nil filter dropped a change")
	}
}
