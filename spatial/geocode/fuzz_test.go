package geocode

import (
	"strings"
	"testing"
	"unicode/utf8"

	"citygrid/spatial/geocode/addrtext"
)

// FuzzParse checks the normaliser and parser on arbitrary text: no panic,
// Normalize idempotent and free of spaces, the door number's span inside
// the query and equal to its text, and Forward and Suggest on a small city
// answering without error for any text that is not empty.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"雨花台区雨花街道软件大道101号", "软件大道１０１號", "雨花12号路101-1号3栋", "丁墙社区附近",
		"雨花街道 康盛社区附近", "#-－ 　", "101", "号号号", "东侧约50米", "\xff\xfe",
		"软件大道与翠竹路交叉口", "翠竹路软件大道口", "软件大道一百零五号院三栋", "十十号", "軟件大道貳拾號", "路口口口",
		"一-1号", "软件大道11号楼下", "〇〇号", "二十-1号",
	} {
		f.Add(s)
	}
	g := handCity(f)
	f.Fuzz(func(t *testing.T, s string) {
		n := addrtext.Normalize(s)
		if addrtext.Normalize(n) != n {
			t.Fatalf("Normalize not idempotent on %q: %q → %q", s, n, addrtext.Normalize(n))
		}
		if strings.ContainsAny(n, " \t\n\u3000") || !utf8.ValidString(n) {
			t.Fatalf("addrtext.Normalize(%q) = %q keeps spaces or invalid UTF-8", s, n)
		}
		p := addrtext.Parse(s)
		if p.Num.Start >= 0 {
			if p.Num.Start > p.Num.End || p.Num.End > len(p.Q) {
				t.Fatalf("parse(%q): number span %d-%d outside %d runes", s, p.Num.Start, p.Num.End, len(p.Q))
			}
			if !strings.HasPrefix(string(p.Q[p.Num.Start:p.Num.End]), p.Num.Text) {
				t.Fatalf("parse(%q): span %q does not start with number %q", s, string(p.Q[p.Num.Start:p.Num.End]), p.Num.Text)
			}
		}
		if checkQuery("q", s) == nil {
			if _, err := g.Forward(s, 5); err != nil {
				t.Fatalf("Forward(%q): %v", s, err)
			}
			if _, err := g.Suggest(s, 5); err != nil {
				t.Fatalf("Suggest(%q): %v", s, err)
			}
		}
	})
}
