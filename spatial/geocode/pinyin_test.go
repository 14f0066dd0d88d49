package geocode

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mozillazg/go-pinyin"
)

func TestSpokenNumbers(t *testing.T) {
	for in, want := range map[string]string{"翠竹1路": "翠竹一路", "13号园区": "十三号园区", "105号": "一百零五号", "20": "二十", "010": "零一零", "12345": "一二三四五"} {
		if got := string(spoken([]rune(in))); got != want {
			t.Errorf("spoken(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestSyllableFuzzyForms(t *testing.T) {
	ix := &pinyinIndex{byText: map[string]uint16{}}
	for in, want := range map[string][]string{
		"zhang": {"zhang", "zhan", "zang", "zan"},
		"ning":  {"ning", "nin", "ling", "lin"},
		"lu":    {"lu", "nu"},
		"an":    {"an", "ang"},
		"jian":  {"jian", "jiang"},
		"da":    {"da"},
	} {
		got := ix.sylls[ix.syllableOf(in)].forms
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("forms of %s = %v, want %v", in, got, want)
		}
	}
}

func TestSuggestPinyinOnTheDemoCity(t *testing.T) {
	ds, g := writtenCity(t)
	has := func(name string) bool {
		for _, r := range ds.Roads {
			if r.Name == name {
				return true
			}
		}
		for _, p := range ds.POIs {
			if p.Name == name {
				return true
			}
		}
		return false
	}
	// A bank of 中国工商银行: 行 read hang twice, as people say it.
	bank, core := "", ""
	for _, p := range ds.POIs {
		if rest, ok := strings.CutPrefix(p.Name, "中国工商银行"); ok && strings.HasSuffix(rest, "支行") {
			bank, core = p.Name, strings.Join(pinyin.LazyPinyin(strings.TrimSuffix(rest, "支行"), pinyin.NewArgs()), "")
			break
		}
	}
	if bank == "" {
		t.Fatal("the demo city has no 中国工商银行 branch")
	}
	for _, c := range []struct{ name, q, want string }{
		{"a polyphone read in its second reading (行 hang)", "gongshangyinhang" + core + "zhihang", bank},
		{"initials of a polyphonic name", "gsyh" + core[:1], bank},
		{"n typed as l", "lanjinglanzhan", "南京南站"},
		{"sh typed as s", "huasendadao", "花神大道"},
		{"ing typed as in", "nindanlu", "宁丹路"},
		{"an typed as ang", "ruanjiangdadao", "软件大道"},
		{"a cut-short last syllable", "ruanjiangu", "中国（南京）软件谷"},
		{"full pinyin mixed with initials", "ruanjdd", "软件大道"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !has(c.want) && c.want != "中国（南京）软件谷" {
				t.Fatalf("the demo city has no %s", c.want)
			}
			res, err := g.Suggest(c.q, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) == 0 || res[0].Label != c.want {
				t.Errorf("Suggest(%q) = %v, want %s first", c.q, labels(res), c.want)
			}
		})
	}
}

// fuzzify swaps one fuzzy pair in a pinyin spelling, if it has one.
func fuzzify(rng *rand.Rand, sylls []string) ([]string, bool) {
	order := rng.Perm(len(sylls))
	for _, i := range order {
		s := sylls[i]
		for _, p := range [][2]string{{"zh", "z"}, {"ch", "c"}, {"sh", "s"}, {"n", "l"}, {"l", "n"}} {
			if strings.HasPrefix(s, p[0]) && (len(p[0]) == 2 || len(s) < 2 || s[1] != 'h') {
				out := append([]string(nil), sylls...)
				out[i] = p[1] + s[len(p[0]):]
				return out, true
			}
		}
		for _, p := range [][2]string{{"ing", "in"}, {"eng", "en"}, {"ang", "an"}} {
			if strings.HasSuffix(s, p[0]) {
				out := append([]string(nil), sylls...)
				out[i] = s[:len(s)-len(p[0])] + p[1]
				return out, true
			}
		}
	}
	return nil, false
}

// TestSuggestPinyinEvaluation types the names of the demo city's roads and
// POIs in pinyin as dispatchers do — in full, by initials, with one fuzzy
// syllable — each spelt by go-pinyin's most common reading of every
// character; the name must be among the first five suggestions.
func TestSuggestPinyinEvaluation(t *testing.T) {
	ds, g := writtenCity(t)
	rng := rand.New(rand.NewPCG(26, 26))
	var names []string
	for _, r := range ds.Roads {
		names = append(names, r.Name)
	}
	for _, p := range ds.POIs {
		if p.Kind != "government" && p.Kind != "bus_stop" {
			names = append(names, p.Name)
		}
	}
	type tally struct{ n, top1, top5 int }
	by := map[string]*tally{}
	for range 600 {
		name := names[rng.IntN(len(names))]
		sylls := pinyin.LazyPinyin(name, pinyin.NewArgs())
		var cat, q string
		switch rng.IntN(3) {
		case 0:
			cat, q = "full", strings.Join(sylls, "")
		case 1:
			cat = "initials"
			for _, s := range sylls {
				q += s[:1]
			}
		default:
			f, ok := fuzzify(rng, sylls)
			if !ok {
				continue
			}
			cat, q = "fuzzy", strings.Join(f, "")
		}
		res, err := g.Suggest(q, 5)
		if err != nil {
			t.Fatal(err)
		}
		c := by[cat]
		if c == nil {
			c = &tally{}
			by[cat] = c
		}
		c.n++
		for i, r := range res {
			if r.Label == name {
				if i == 0 {
					c.top1++
				}
				c.top5++
				break
			}
		}
		if cat != "initials" && (len(res) == 0 || !strings.Contains(strings.Join(labels(res), ","), name)) {
			t.Logf("miss [%s] %q (%s): %v", cat, q, name, labels(res))
		}
	}
	for _, cat := range []string{"full", "initials", "fuzzy"} {
		c := by[cat]
		p1, p5 := 100*float64(c.top1)/float64(c.n), 100*float64(c.top5)/float64(c.n)
		t.Logf("%-8s %3d prefixes: top-1 %.1f %%, top-5 %.1f %%", cat, c.n, p1, p5)
		// Initials are ambiguous by nature (many names share them): only
		// full and fuzzy spellings are held to a bar.
		if cat != "initials" && p5 < 95 {
			t.Errorf("%s pinyin: top-5 %.1f %%, want ≥ 95 %%", cat, p5)
		}
	}
}
