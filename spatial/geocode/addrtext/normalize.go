// Package addrtext reads Chinese address texts as people and systems write
// them: it folds a text into the form an address index holds (half-width,
// simplified through OpenCC's tables, numerals as digits, no spaces or
// punctuation) and parses a query into the text to match, its door
// number, and the words around it that say "near", "at the corner of" or
// "at the crossing" rather than name a place. It knows nothing of the
// names of a city.
package addrtext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// isDash reports whether r is one of the dashes people type between a door
// number and its sub-number ("101-1", "101－1", "101—1").
func isDash(r rune) bool {
	switch r {
	case '-', '‐', '‑', '‒', '–', '—', '―', '－', '−', '~', '～':
		return true
	}
	return false
}

// Normalize folds an address text into the form the index holds: the
// full-width ASCII block (digits, letters, punctuation) and the ideographic
// space become ASCII, ASCII letters lower case, traditional and variant
// characters simplified (號 → 号, 楓 → 枫), Chinese numerals written where a
// number stands become digits (一百零五号 → 105号, 翠竹一路 → 翠竹1路), "#"
// after a digit is read as 号, dashes between digits are kept as "-", and
// every space, punctuation mark and symbol is dropped. It is idempotent.
func Normalize(s string) string {
	return string(NormalizeRunes(s, true))
}

// NormalizeRunes is Normalize as runes; numerals false keeps Chinese
// numerals as they are (for the pinyin of a name).
func NormalizeRunes(s string, numerals bool) []rune {
	out := make([]rune, 0, len(s)/2+1)
	var prev rune // last rune written
	pendingDash := false
	for _, r := range s {
		r = foldRune(r)
		switch {
		case r >= '0' && r <= '9':
			if pendingDash && prev >= '0' && prev <= '9' {
				out = append(out, '-')
			}
			pendingDash = false
			out = append(out, r)
			prev = r
		case isDash(r):
			pendingDash = prev >= '0' && prev <= '9'
		case r == '#' && prev >= '0' && prev <= '9':
			pendingDash = false
			out = append(out, '号')
			prev = '号'
		case unicode.IsLetter(r) || unicode.Is(unicode.Han, r):
			pendingDash = false
			out = append(out, r)
			prev = r
		default:
			// Spaces, punctuation and symbols separate nothing in a
			// Chinese address; a dash survives only between digits.
			if !isDash(r) && !(r == ' ' && pendingDash) {
				pendingDash = false
			}
		}
	}
	if numerals {
		out = convertNumerals(out)
	}
	return out
}

// foldRune maps one rune: full-width ASCII to ASCII, upper-case ASCII to
// lower case, traditional and variant Chinese to simplified.
func foldRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0x3000:
		r = ' '
	case r == utf8.RuneError:
		return ' '
	}
	if r >= 'A' && r <= 'Z' {
		return r + ('a' - 'A')
	}
	if r >= 0x3400 {
		return foldHan(r)
	}
	return r
}

// tails are words after a place that say "near it" rather than name it.
var tails = []string{
	"附近的", "附近", "旁边", "周边", "周围", "一带", "对面", "门口", "这里", "那里",
	"边上", "旁", "里面",
}

// directions are the compass words of a position description (方位).
var directions = []string{"东北", "东南", "西北", "西南", "东", "南", "西", "北"}

// crossMarkers end a text that names a road crossing ("…与…交叉口").
// "路口" and a bare "口" after a road name are read in stripCross.
var crossMarkers = []string{"交叉路口", "十字路口", "丁字路口", "交叉口", "交汇处", "交界处", "交汇口", "交口"}

// stripTails removes trailing "near" words, position descriptions
// ("东侧约50米", "南200m") and crossing markers from a normalised text. It
// returns the text left, the position words removed, in text order, and
// whether a crossing marker was among them. The place before them is what
// the text locates.
func stripTails(q []rune) ([]rune, string, bool) {
	end := len(q)
	cross := false
	for {
		n := len(q)
		q = stripDistance(q)
		q = stripDirection(q)
		var c bool
		if q, c = stripCross(q); c {
			cross = true
		}
		for _, t := range tails {
			if hasRuneSuffix(q, t) && len(q) > utf8.RuneCountInString(t)+1 {
				q = q[:len(q)-utf8.RuneCountInString(t)]
				break
			}
		}
		if len(q) == n {
			return q, string(q[len(q):end]), cross
		}
	}
}

// stripCross removes a crossing marker: 交叉口 and its kin, "路口" after a
// road name ("A路与B路路口"), or the "口" of "A路B路口".
func stripCross(q []rune) ([]rune, bool) {
	for _, m := range crossMarkers {
		if n := utf8.RuneCountInString(m); hasRuneSuffix(q, m) && len(q) > n+1 {
			return q[:len(q)-n], true
		}
	}
	if hasRuneSuffix(q, "口") && len(q) > 3 {
		rest := q[:len(q)-1]
		if hasRuneSuffix(rest, "路") && containsRune(roadEnds, rest[len(rest)-2]) {
			return rest[:len(rest)-1], true // …B路路口
		}
		if containsRune(roadEnds, rest[len(rest)-1]) {
			return rest, true // …B路口
		}
	}
	return q, false
}

// stripDistance removes a trailing "约50米", "50m", "1公里".
func stripDistance(q []rune) []rune {
	end := len(q)
	unit := 0
	switch {
	case hasRuneSuffix(q, "公里"):
		unit = 2
	case hasRuneSuffix(q, "米"), hasRuneSuffix(q, "m"):
		unit = 1
	default:
		return q
	}
	i := end - unit
	j := i
	for j > 0 && q[j-1] >= '0' && q[j-1] <= '9' {
		j--
	}
	if j == i {
		return q
	}
	if j > 0 && q[j-1] == '约' {
		j--
	}
	if j == 0 {
		return q
	}
	// A bare compass word before a distance is a direction ("北200m"),
	// and a heading word may stand before it ("往北50米").
	for _, d := range directions {
		if hasRuneSuffix(q[:j], d) && j > utf8.RuneCountInString(d)+1 {
			j -= utf8.RuneCountInString(d)
			if j > 2 && containsRune("往向朝", q[j-1]) {
				j--
			}
			return q[:j]
		}
	}
	return q[:j]
}

// stripDirection removes a trailing "东侧", "西南方向", "北面", "东北角" — only with the
// marker after it, since a bare 东/南/西/北 usually ends a name (雨花东路 is
// not 雨花 + 东).
func stripDirection(q []rune) []rune {
	for _, m := range []string{"方向", "侧", "面", "边", "方", "角"} {
		if !hasRuneSuffix(q, m) {
			continue
		}
		rest := q[:len(q)-utf8.RuneCountInString(m)]
		for _, d := range directions {
			if hasRuneSuffix(rest, d) && len(rest) > utf8.RuneCountInString(d)+1 {
				return rest[:len(rest)-utf8.RuneCountInString(d)]
			}
		}
	}
	return q
}

func hasRuneSuffix(q []rune, s string) bool {
	n := utf8.RuneCountInString(s)
	if len(q) < n {
		return false
	}
	i := len(q) - n
	for _, r := range s {
		if q[i] != r {
			return false
		}
		i++
	}
	return true
}

// buildingWords start the building, unit and room part after a door
// number ("3栋2单元501室"), which locates nothing finer than the door plate.
var buildingWords = []string{"号楼", "栋", "幢", "单元", "室", "层", "楼", "座"}

// besideBuilding are the words after "N号楼" that place something by the
// building rather than name a building of a compound.
var besideBuilding = []string{"下", "前", "后", "旁", "门口", "门前", "对面", "附近", "边"}

// roadWords after "N号" make the number part of a road name ("雨花12号路").
var roadWords = []string{"路", "街", "巷", "大道", "线", "弄", "园区", "地块"}

// DoorNumber is the door number a query names.
type DoorNumber struct {
	Start, End int    // rune span in the query, including 号
	Text       string // "101", "101-1", "12甲"
	Base       int    // leading integer, for interpolation
}

// Parsed is a normalised, tail-stripped query.
type Parsed struct {
	// Q is the text left to match: normalised, without position words
	// and the building part.
	Q []rune
	// Near holds the position words removed from the text ("附近",
	// "东侧50米", "门口有垃圾" after a door number), "" when none.
	Near string
	// Cross is set when a crossing marker (交叉口, 路口, A路B路口) ended
	// the text.
	Cross bool
	// Compound is set for "N号院": the compound at door number N.
	Compound bool
	// Num is the door number; Num.Start < 0 when the text names none.
	Num DoorNumber
}

// MaxQueryRunes bounds a query; no real address is longer.
const MaxQueryRunes = 128

// Parse normalises a free-text query, strips "near" tails and the building
// part, and finds its door number: the first run of digits (with an
// optional "-sub" number or 甲乙丙丁) followed by 号 — not 号路 or 号楼 — or
// ending the text.
func Parse(s string) Parsed {
	r := []rune(Normalize(s))
	if len(r) > MaxQueryRunes {
		r = r[:MaxQueryRunes]
	}
	p := Parsed{Num: DoorNumber{Start: -1}}
	p.Q, p.Near, p.Cross = stripTails(r)
	q := p.Q
	for i := 0; i < len(q); {
		if !IsDigit(q[i]) {
			i++
			continue
		}
		j := i
		for j < len(q) && IsDigit(q[j]) {
			j++
		}
		k := j
		if k+1 < len(q) && q[k] == '-' && IsDigit(q[k+1]) {
			k++
			for k < len(q) && IsDigit(q[k]) {
				k++
			}
		}
		if k < len(q) && strings.ContainsRune("甲乙丙丁", q[k]) {
			k++
		}
		switch {
		case k == len(q):
			p.Num = DoorNumber{Start: i, End: k, Text: string(q[i:k]), Base: Atoi(q[i:j])}
		case q[k] == '号' && !startsWithAny(q[k+1:], roadWords) && !startsWithAny(q[k:], buildingWords):
			p.Num = DoorNumber{Start: i, End: k + 1, Text: string(q[i:k]), Base: Atoi(q[i:j])}
		case q[k] == '号' && k+2 < len(q) && q[k+1] == '楼' && i > 0 && !IsDigit(q[i-1]) && startsWithAny(q[k+2:], besideBuilding):
			// "软件大道11号楼下": the building of door number 11.
			p.Num = DoorNumber{Start: i, End: k + 1, Text: string(q[i:k]), Base: Atoi(q[i:j])}
			p.Near = string(q[k+1:]) + p.Near
			p.Q = q[:k+1]
			return p
		default:
			i = k
			continue
		}
		// What follows a door number and starts with a building word is
		// the building part, and 院 makes the number a compound's: drop
		// them. A position word after the number ("门口", "对面") starts
		// the description of what is there: drop it too.
		rest := q[p.Num.End:]
		if len(rest) > 0 && rest[0] == '院' {
			p.Compound = true
			p.Q = q[:p.Num.End]
			return p
		}
		if startsWithAny(rest, tails) || startsWithAny(rest, directions) {
			p.Near = string(rest) + p.Near
			p.Q = q[:p.Num.End]
			return p
		}
		for t := 0; t < len(rest); t++ {
			if !IsDigit(rest[t]) {
				if t > 0 && startsWithAny(rest[t:], buildingWords) {
					p.Q = q[:p.Num.End]
				}
				break
			}
		}
		return p
	}
	return p
}

// IsDigit reports whether r is an ASCII digit.
func IsDigit(r rune) bool { return r >= '0' && r <= '9' }

// Atoi reads a run of ASCII digits, saturating past nine digits.
func Atoi(ds []rune) int {
	n := 0
	for _, d := range ds {
		if n > 1e8 {
			return n
		}
		n = n*10 + int(d-'0')
	}
	return n
}

func startsWithAny(q []rune, words []string) bool {
	for _, w := range words {
		i := 0
		ok := true
		for _, r := range w {
			if i >= len(q) || q[i] != r {
				ok = false
				break
			}
			i++
		}
		if ok {
			return true
		}
	}
	return false
}
