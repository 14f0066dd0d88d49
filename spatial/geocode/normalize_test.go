package geocode

import (
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"full-width digits and 號 become ASCII digits and 号", "软件大道１０１號", "软件大道101号"},
		{"spaces and the ideographic space are dropped", "雨花台区 软件大道\u3000101号", "雨花台区软件大道101号"},
		{"full-width letters fold to lower-case ASCII", "ＡＢＣ栋Xy", "abc栋xy"},
		{"a full-width dash between digits is kept as a hyphen", "101－1号", "101-1号"},
		{"a dash between digits survives spaces around it", "101 - 1号", "101-1号"},
		{"a dash not between digits is dropped", "软件大道-101", "软件大道101"},
		{"a hash after a number reads as 号", "软件大道12#", "软件大道12号"},
		{"a hash elsewhere is dropped", "#软件大道", "软件大道"},
		{"full-width brackets and punctuation are dropped", "中国（南京）软件谷，雨花", "中国南京软件谷雨花"},
		{"traditional forms are simplified", "雨花臺區軟件大道", "雨花台区软件大道"},
		{"invalid UTF-8 is dropped", "软件\xff大道", "软件大道"},
		{"an empty text stays empty", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Normalize(c.in)
			if got != c.want {
				t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
			}
			if again := Normalize(got); again != got {
				t.Errorf("Normalize is not idempotent: %q → %q", got, again)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		name, in string
		q        string
		num      string
		base     int
		near     bool
	}{
		{"a door number ends with 号", "软件大道101号", "软件大道101号", "101", 101, false},
		{"a door number may end the text without 号", "软件大道101", "软件大道101", "101", 101, false},
		{"a number before 号路 is part of the road name", "雨花12号路101号", "雨花12号路101号", "101", 101, false},
		{"a sub-number is kept with its main number", "软件大道101-1号", "软件大道101-1号", "101-1", 101, false},
		{"the building and room part is dropped", "软件大道101号3栋2单元501室", "软件大道101号", "101", 101, false},
		{"a building number alone is no door number", "康盛花园3号楼", "康盛花园3号楼", "", 0, false},
		{"a near tail is stripped and noted", "软件大道101号附近", "软件大道101号", "101", 101, true},
		{"a position description is stripped", "雨花客厅东侧约50米", "雨花客厅", "", 0, true},
		{"a distance alone is stripped", "雨花客厅北200m", "雨花客厅", "", 0, true},
		{"a road's own compass word stays", "雨花东路", "雨花东路", "", 0, false},
		{"stacked tails are all stripped", "雨花客厅对面附近", "雨花客厅", "", 0, true},
		{"a name with no number has none", "丁墙社区", "丁墙社区", "", 0, false},
		{"a tail alone is not stripped to nothing", "附近", "附近", "", 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := parse(c.in)
			if string(p.q) != c.q || p.num.text != c.num || p.num.base != c.base || p.near != c.near {
				t.Errorf("parse(%q) = q %q num %q base %d near %v; want q %q num %q base %d near %v",
					c.in, string(p.q), p.num.text, p.num.base, p.near, c.q, c.num, c.base, c.near)
			}
			if c.num != "" && string(p.q[p.num.start:p.num.start+utf8.RuneCountInString(c.num)]) != c.num {
				t.Errorf("number span %d-%d does not cover %q in %q", p.num.start, p.num.end, c.num, string(p.q))
			}
		})
	}
}

func TestAdminNameForms(t *testing.T) {
	has := func(forms []nameForm, s string) bool {
		for _, f := range forms {
			if f.name == s {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		name, unit string
		level      string
		want, not  []string
	}{
		{"a 社区居委会 is also written 社区, 居委会 and bare", "丁墙社区居委会", "community", []string{"丁墙社区", "丁墙居委会", "丁墙"}, nil},
		{"a village committee is written as the village, never bare", "丁墙村村委会", "community", []string{"丁墙村"}, []string{"丁墙"}},
		{"a 街道 is also written bare", "雨花街道", "street", []string{"雨花"}, nil},
		{"the 中国（南京） prefix may be left out", "中国（南京）软件谷", "street", []string{"中国南京软件谷", "软件谷"}, nil},
		{"a district is also written without 区", "雨花台区", "district", []string{"雨花台"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			forms := adminNameForms(levelOf(c.level), c.unit)
			for _, w := range c.want {
				if !has(forms, w) {
					t.Errorf("forms of %s lack %q: %v", c.unit, w, forms)
				}
			}
			for _, w := range c.not {
				if has(forms, w) {
					t.Errorf("forms of %s include %q: %v", c.unit, w, forms)
				}
			}
		})
	}
}
