package geocode

import (
	"slices"
	"strings"

	"github.com/mozillazg/go-pinyin"

	"citygrid/spatial/geocode/addrtext"
)

// Pinyin completion for dispatcher forms. Each name is kept as the list of
// readings of its characters — every reading of a polyphonic character
// (行: xing, hang, heng; 长: chang, zhang), from go-pinyin's heteronym
// table — and a typed prefix is matched syllable by syllable, each
// syllable written in full, by its initial (rjdd), or cut short at the
// end. The fuzzy pairs southern speakers merge (n/l, zh/z, ch/c, sh/s,
// in/ing, en/eng, an/ang) match at a small cost.

// syllable is one reading with its fuzzy variants (the reading itself
// first) and its initial.
type syllable struct {
	forms   []string
	initial string
}

// pinyinName is a suggest entry spelt as readings: syllable ids by
// character.
type pinyinName struct {
	ent     int32
	penalty float32
	chars   [][]uint16
}

// pinyinIndex holds the readings and the names by the first letters their
// first character can be typed with.
type pinyinIndex struct {
	sylls  []syllable
	byText map[string]uint16
	first  [26][]int32 // letter → names
	names  []pinyinName
}

// fuzzyInitials and fuzzyFinals are the pairs a fuzzy reading may swap
// (a final's ending: jiang and jian, xing and xin).
var (
	fuzzyInitials = map[string]string{"zh": "z", "z": "zh", "ch": "c", "c": "ch", "sh": "s", "s": "sh", "n": "l", "l": "n"}
	fuzzyFinals   = [][2]string{{"ang", "an"}, {"eng", "en"}, {"ing", "in"}, {"an", "ang"}, {"en", "eng"}, {"in", "ing"}}
)

// pinyinInitial is the initial of a reading: zh, ch, sh or its first
// consonant; a reading with no initial (an, e) starts with its final and
// is typed by its first letter.
func pinyinInitial(s string) string {
	if len(s) >= 2 && (s[:2] == "zh" || s[:2] == "ch" || s[:2] == "sh") {
		return s[:2]
	}
	return s[:1]
}

// syllableOf interns a reading with its fuzzy forms: every other initial
// and final ending it may be typed with, the reading itself first.
func (ix *pinyinIndex) syllableOf(s string) uint16 {
	if id, ok := ix.byText[s]; ok {
		return id
	}
	in := pinyinInitial(s)
	final := s[len(in):]
	if strings.ContainsRune("aeiouv", rune(s[0])) {
		in, final = "", s
	}
	inits := []string{in}
	if alt, ok := fuzzyInitials[in]; ok {
		inits = append(inits, alt)
	}
	finals := []string{final}
	for _, q := range fuzzyFinals {
		if stem, ok := strings.CutSuffix(final, q[0]); ok {
			finals = append(finals, stem+q[1])
			break // the longer ending first: jiang is not jia + ng
		}
	}
	sy := syllable{initial: pinyinInitial(s)}
	for _, i := range inits {
		for _, f := range finals {
			if v := i + f; !slices.Contains(sy.forms, v) {
				sy.forms = append(sy.forms, v)
			}
		}
	}
	id := uint16(len(ix.sylls))
	ix.sylls = append(ix.sylls, sy)
	ix.byText[s] = id
	return id
}

// hanDigits are the characters digits are read as in names (翠竹1路 is
// read cuizhu yi lu, 13号园区 shi san hao yuanqu).
var hanDigits = []rune("零一二三四五六七八九")

// spokenNumber writes a run of digits as it is read: 13 十三, 105 一百零五;
// long runs and runs with leading zeros digit by digit.
func spokenNumber(ds []rune) []rune {
	if len(ds) > 4 || (len(ds) > 1 && ds[0] == '0') {
		out := make([]rune, len(ds))
		for i, d := range ds {
			out[i] = hanDigits[d-'0']
		}
		return out
	}
	n := addrtext.Atoi(ds)
	if n == 0 {
		return []rune{'零'}
	}
	var out []rune
	units := []rune{'千', '百', '十', 0}
	zero, started := false, false
	for i, p := range []int{1000, 100, 10, 1} {
		d := n / p % 10
		if d == 0 {
			zero = started
			continue
		}
		if zero {
			out = append(out, '零')
			zero = false
		}
		if !(d == 1 && p == 10 && !started) {
			out = append(out, hanDigits[d])
		}
		if units[i] != 0 {
			out = append(out, units[i])
		}
		started = true
	}
	return out
}

// spoken turns a name form's digits back into the characters people say.
func spoken(t []rune) []rune {
	var out []rune
	for i := 0; i < len(t); {
		if !addrtext.IsDigit(t[i]) {
			out = append(out, t[i])
			i++
			continue
		}
		j := i
		for j < len(t) && addrtext.IsDigit(t[j]) {
			j++
		}
		out = append(out, spokenNumber(t[i:j])...)
		i = j
	}
	return out
}

// buildPinyin spells every suggest-worthy name form as readings.
func (g *Geocoder) buildPinyin() {
	ix := &pinyinIndex{byText: map[string]uint16{}}
	args := pinyin.NewArgs()
	args.Heteronym = true
	cache := map[rune][]uint16{}
	readings := func(r rune) []uint16 {
		if v, ok := cache[r]; ok {
			return v
		}
		var v []uint16
		if r >= 'a' && r <= 'z' {
			v = []uint16{ix.syllableOf(string(r))}
		} else {
			for _, p := range pinyin.SinglePinyin(r, args) {
				p = strings.ReplaceAll(p, "ü", "v")
				if p == "" || p[0] < 'a' || p[0] > 'z' {
					continue
				}
				if id := ix.syllableOf(p); !slices.Contains(v, id) {
					v = append(v, id)
				}
			}
		}
		cache[r] = v
		return v
	}
	for _, a := range g.aliases {
		e := &g.ents[a.ent]
		if e.kind == kindRegion || a.penalty > 0.3 {
			continue
		}
		n := pinyinName{ent: a.ent, penalty: a.penalty}
		for _, r := range spoken(a.text) {
			if rs := readings(r); len(rs) > 0 {
				n.chars = append(n.chars, rs)
			}
		}
		if len(n.chars) < 2 {
			continue
		}
		id := int32(len(ix.names))
		ix.names = append(ix.names, n)
		var letters [26]bool
		for _, s := range n.chars[0] {
			for _, f := range ix.sylls[s].forms {
				letters[f[0]-'a'] = true
			}
		}
		for l, ok := range letters {
			if ok {
				ix.first[l] = append(ix.first[l], id)
			}
		}
	}
	g.py = ix
}

// pinyinMatch is how a typed prefix spells a name.
type pinyinMatch struct {
	chars    int  // characters of the name the prefix reaches into
	fuzzy    int  // fuzzy syllables used
	initials int  // syllables typed by their initial only
	whole    bool // the prefix spells the whole name, its last syllable complete
}

// match spells q against name n from character k, preferring exact over
// fuzzy syllables and full syllables over initials. The depth of the
// search is bounded by the name's length; each step consumes at least one
// letter.
func (ix *pinyinIndex) match(q string, n *pinyinName, k int, m pinyinMatch) (pinyinMatch, bool) {
	if q == "" {
		m.chars = k
		m.whole = k == len(n.chars)
		return m, k > 0
	}
	if k == len(n.chars) {
		return m, false
	}
	for pass := range 2 { // full syllables, then initials and cut-short ones
		for _, s := range n.chars[k] {
			sy := &ix.sylls[s]
			for fi, f := range sy.forms {
				mm := m
				if fi > 0 {
					mm.fuzzy++
				}
				if pass == 0 {
					if strings.HasPrefix(q, f) {
						if r, ok := ix.match(q[len(f):], n, k+1, mm); ok {
							return r, true
						}
					}
					continue
				}
				if len(q) < len(f) && strings.HasPrefix(f, q) {
					mm.chars, mm.whole = k+1, false
					return mm, true // the last syllable, cut short
				}
				if fi == 0 && strings.HasPrefix(q, sy.initial) && len(sy.initial) < len(f) {
					mm.initials++
					if r, ok := ix.match(q[len(sy.initial):], n, k+1, mm); ok {
						return r, true
					}
				}
			}
		}
	}
	// A fuzzy initial typed alone (z for zh).
	for _, s := range n.chars[k] {
		sy := &ix.sylls[s]
		for _, f := range sy.forms[1:] {
			if in := pinyinInitial(f); in != sy.initial && strings.HasPrefix(q, in) {
				mm := m
				mm.initials++
				mm.fuzzy++
				if r, ok := ix.match(q[len(in):], n, k+1, mm); ok {
					return r, true
				}
			}
		}
	}
	return m, false
}

// isPinyinQuery reports whether a normalised prefix is letters only.
func isPinyinQuery(q string) bool {
	if q == "" {
		return false
	}
	for i := 0; i < len(q); i++ {
		if q[i] < 'a' || q[i] > 'z' {
			return false
		}
	}
	return true
}

// suggestPinyin scores the names a letters-only prefix spells, into best
// (entity → score).
func (g *Geocoder) suggestPinyin(q string, best map[int32]float64) {
	ix := g.py
	if ix == nil || !isPinyinQuery(q) {
		return
	}
	for _, id := range ix.first[q[0]-'a'] {
		n := &ix.names[id]
		m, ok := ix.match(q, n, 0, pinyinMatch{})
		if !ok {
			continue
		}
		s := 0.5 + 0.5*float64(m.chars)/float64(len(n.chars))
		s *= 0.95
		if m.initials > 0 {
			s *= 0.95
		}
		s -= 0.05*float64(m.fuzzy) + 0.1*float64(n.penalty)
		if m.whole {
			s += 0.05
		}
		if e := &g.ents[n.ent]; e.level == LevelLandmark || e.kind == kindRoad {
			s += 0.02 // what dispatchers mostly type
		}
		if s > best[n.ent] {
			best[n.ent] = s
		}
	}
}
