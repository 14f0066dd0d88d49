package geocode

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"citygrid/data"
	"citygrid/spatial/geocode/addrtext"
)

// Vocabulary is what the geocoder knows of how people name places beyond
// the names in the store: the category words of each POI kind (菜场 for a
// 农贸市场), abbreviations (工行, 街办, 居委) and organisation words after
// which a name may be cut (…分局铁心桥派出所 → 铁心桥派出所). The default
// ships with the package; a city extends it from a file.
type Vocabulary struct {
	kinds map[string][]string // POI kind → category words, longest first
	abbrs [][]string          // full word, then its short forms
	orgs  []string
}

//go:embed vocabulary.txt
var defaultVocabulary string

// DefaultVocabulary returns the vocabulary that ships with the package.
func DefaultVocabulary() *Vocabulary {
	v, err := ParseVocabulary(strings.NewReader(defaultVocabulary))
	if err != nil {
		panic("geocode: the embedded vocabulary does not parse: " + err.Error())
	}
	return v
}

// LoadVocabulary reads a vocabulary file and returns the default
// vocabulary extended with it.
func LoadVocabulary(path string) (*Vocabulary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geocode: vocabulary: %w", err)
	}
	defer f.Close()
	v, err := ParseVocabulary(f)
	if err != nil {
		return nil, fmt.Errorf("geocode: vocabulary %s: %w", path, err)
	}
	return DefaultVocabulary().Extend(v), nil
}

// ParseVocabulary reads lines "kind <POI kind> <word>…", "abbr <full>
// <short>…" and "org <word>…"; blank lines and lines starting with # are
// skipped. A malformed line is a *data.ValidationError naming it.
func ParseVocabulary(r io.Reader) (*Vocabulary, error) {
	v := &Vocabulary{kinds: map[string][]string{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !utf8.ValidString(line) {
			return nil, &data.ValidationError{Field: fmt.Sprintf("line %d", n), Reason: "is not valid UTF-8"}
		}
		f := strings.Fields(line)
		words := make([]string, 0, len(f))
		start := 1
		if f[0] == "kind" {
			start = 2
		}
		for _, w := range f[min(start, len(f)):] {
			if nw := addrtext.Normalize(w); nw != "" {
				words = append(words, nw)
			}
		}
		bad := func(reason string) error {
			return &data.ValidationError{Field: fmt.Sprintf("line %d", n), Reason: reason}
		}
		switch f[0] {
		case "kind":
			if len(f) < 3 || len(words) == 0 {
				return nil, bad("a kind line names a POI kind and at least one word")
			}
			v.kinds[f[1]] = append(v.kinds[f[1]], words...)
		case "abbr":
			if len(words) < 2 {
				return nil, bad("an abbr line names a word and at least one short form")
			}
			v.abbrs = append(v.abbrs, words)
		case "org":
			if len(words) == 0 {
				return nil, bad("an org line names at least one word")
			}
			v.orgs = append(v.orgs, words...)
		default:
			return nil, bad(fmt.Sprintf("starts with %q, not kind, abbr or org", f[0]))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	v.sort()
	return v, nil
}

// Extend returns a vocabulary with the entries of both.
func (v *Vocabulary) Extend(o *Vocabulary) *Vocabulary {
	out := &Vocabulary{kinds: map[string][]string{}}
	for _, src := range []*Vocabulary{v, o} {
		if src == nil {
			continue
		}
		for k, ws := range src.kinds {
			out.kinds[k] = append(out.kinds[k], ws...)
		}
		out.abbrs = append(out.abbrs, src.abbrs...)
		out.orgs = append(out.orgs, src.orgs...)
	}
	out.sort()
	return out
}

// sort orders category words longest first (so 社区卫生服务站 is cut before
// 卫生服务站) and drops repeats.
func (v *Vocabulary) sort() {
	byLen := func(a, b string) int {
		if c := utf8.RuneCountInString(b) - utf8.RuneCountInString(a); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	}
	for k, ws := range v.kinds {
		slices.SortFunc(ws, byLen)
		v.kinds[k] = slices.Compact(ws)
	}
	slices.SortFunc(v.orgs, byLen)
	v.orgs = slices.Compact(v.orgs)
}

// isCategoryWord reports whether s is nothing but a category word: a form
// of a name that says what, not which.
func (v *Vocabulary) isCategoryWord(s string) bool {
	for _, ws := range v.kinds {
		if slices.Contains(ws, s) {
			return true
		}
	}
	return false
}

// maxPOIForms bounds the name forms one POI gets from the vocabulary.
const maxPOIForms = 24

// poiForms lists the forms people write a POI name in, from its forms so
// far (the name and the name without leading region and area names): cut
// after an organisation word, with abbreviations, and with each other
// category word of its kind. Each form carries its penalty.
func (v *Vocabulary) poiForms(kind string, base []nameForm) []nameForm {
	out := slices.Clone(base)
	has := func(s string) bool {
		return slices.ContainsFunc(out, func(f nameForm) bool { return f.name == s })
	}
	add := func(s string, p float32) {
		if len(out) < maxPOIForms && utf8.RuneCountInString(s) >= 2 && !v.isCategoryWord(s) && !has(s) {
			out = append(out, nameForm{s, p})
		}
	}
	for i := 0; i < len(out); i++ {
		f := out[i]
		for _, w := range v.orgs {
			if k := strings.LastIndex(f.name, w); k >= 0 {
				add(f.name[k+len(w):], f.penalty+0.2)
			}
		}
		for _, a := range v.abbrs {
			if strings.Contains(f.name, a[0]) {
				for _, s := range a[1:] {
					add(strings.Replace(f.name, a[0], s, 1), f.penalty+0.1)
				}
			}
		}
		for _, w := range v.kinds[kind] {
			if core, ok := strings.CutSuffix(f.name, w); ok && core != "" {
				for _, w2 := range v.kinds[kind] {
					if w2 != w {
						add(core+w2, f.penalty+0.1)
					}
				}
				break
			}
		}
	}
	return out
}

// abbrForms adds the abbreviated forms of administrative name forms
// (丁墙居委会 → 丁墙居委).
func (v *Vocabulary) abbrForms(base []nameForm) []nameForm {
	out := base
	for _, f := range base {
		for _, a := range v.abbrs {
			if strings.HasSuffix(f.name, a[0]) {
				for _, s := range a[1:] {
					out = append(out, nameForm{strings.TrimSuffix(f.name, a[0]) + s, f.penalty + 0.1})
				}
			}
		}
	}
	return out
}
