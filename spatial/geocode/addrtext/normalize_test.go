package addrtext

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
		{"traditional forms outside a hand table are simplified too", "楓林雙橋豐盛路", "枫林双桥丰盛路"},
		{"a Taiwan variant folds through its traditional form", "裡", "里"},
		{"a Chinese door number becomes digits", "软件大道一百零五号", "软件大道105号"},
		{"tens with and without a leading one", "二十号十五号三十五号", "20号15号35号"},
		{"a digit-by-digit number keeps its digits", "一零五号", "105号"},
		{"a number ending the text after a road is a door number", "软件大道三十五", "软件大道35"},
		{"an ordinal road becomes a numbered road", "翠竹一路", "翠竹1路"},
		{"building, unit and room numbers become digits", "三栋二单元五零一室", "3栋2单元501室"},
		{"a numbered park area becomes digits", "软件谷十三号园区", "软件谷13号园区"},
		{"numerals inside a name stay", "三山社区九龙湖一带", "三山社区九龙湖一带"},
		{"a numeral run that is no number stays", "十十号", "十十号"},
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
		near     string
		cross    bool
		compound bool
	}{
		{"a door number ends with 号", "软件大道101号", "软件大道101号", "101", 101, "", false, false},
		{"a door number may end the text without 号", "软件大道101", "软件大道101", "101", 101, "", false, false},
		{"a number before 号路 is part of the road name", "雨花12号路101号", "雨花12号路101号", "101", 101, "", false, false},
		{"a sub-number is kept with its main number", "软件大道101-1号", "软件大道101-1号", "101-1", 101, "", false, false},
		{"the building and room part is dropped", "软件大道101号3栋2单元501室", "软件大道101号", "101", 101, "", false, false},
		{"a building number alone is no door number", "康盛花园3号楼", "康盛花园3号楼", "", 0, "", false, false},
		{"a near tail is stripped and noted", "软件大道101号附近", "软件大道101号", "101", 101, "附近", false, false},
		{"a position description is stripped", "雨花客厅东侧约50米", "雨花客厅", "", 0, "东侧约50米", false, false},
		{"a distance alone is stripped", "雨花客厅北200m", "雨花客厅", "", 0, "北200m", false, false},
		{"a road's own compass word stays", "雨花东路", "雨花东路", "", 0, "", false, false},
		{"stacked tails are all stripped", "雨花客厅对面附近", "雨花客厅", "", 0, "对面附近", false, false},
		{"a name with no number has none", "丁墙社区", "丁墙社区", "", 0, "", false, false},
		{"a tail alone is not stripped to nothing", "附近", "附近", "", 0, "", false, false},
		{"what follows 门口 after a number is a description", "软件大道101号门口有垃圾", "软件大道101号", "101", 101, "门口有垃圾", false, false},
		{"N号楼下 after a road is by the building of door number N", "软件大道11号楼下", "软件大道11号", "11", 11, "楼下", false, false},
		{"a Chinese door number is read", "软件大道一百零五号", "软件大道105号", "105", 105, "", false, false},
		{"号院 is the compound at a door number", "软件大道12号院3栋", "软件大道12号", "12", 12, "", false, true},
		{"a numbered park area is no door number", "软件谷十三号园区", "软件谷13号园区", "", 0, "", false, false},
		{"交叉口 marks a crossing", "软件大道与花神大道交叉口", "软件大道与花神大道", "", 0, "交叉口", true, false},
		{"路口 after a road name marks a crossing", "软件大道和花神大道路口", "软件大道和花神大道", "", 0, "路口", true, false},
		{"the 口 of A路B路口 marks a crossing", "宁丹路花神大道口", "宁丹路花神大道", "", 0, "口", true, false},
		{"a corner of a crossing", "宁丹路软件大道交叉口东北角", "宁丹路软件大道", "", 0, "交叉口东北角", true, false},
		{"a heading and distance from a crossing", "宁丹路与软件大道路口往北50米", "宁丹路与软件大道", "", 0, "路口往北50米", true, false},
		{"a crossing with a near tail", "宁丹路与软件大道交叉口附近", "宁丹路与软件大道", "", 0, "交叉口附近", true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := Parse(c.in)
			if string(p.Q) != c.q || p.Num.Text != c.num || p.Num.Base != c.base || p.Near != c.near || p.Cross != c.cross || p.Compound != c.compound {
				t.Errorf("Parse(%q) = q %q num %q base %d near %q cross %v compound %v; want q %q num %q base %d near %q cross %v compound %v",
					c.in, string(p.Q), p.Num.Text, p.Num.Base, p.Near, p.Cross, p.Compound, c.q, c.num, c.base, c.near, c.cross, c.compound)
			}
			if c.num != "" && string(p.Q[p.Num.Start:p.Num.Start+utf8.RuneCountInString(c.num)]) != c.num {
				t.Errorf("number span %d-%d does not cover %q in %q", p.Num.Start, p.Num.End, c.num, string(p.Q))
			}
		})
	}
}
