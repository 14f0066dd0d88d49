package geocode

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// traditional maps the traditional forms that turn up in typed addresses to
// the simplified forms the standard names use.
var traditional = map[rune]rune{
	'號': '号', '區': '区', '門': '门', '園': '园', '東': '东', '廣': '广', '橋': '桥',
	'鳳': '凤', '龍': '龙', '華': '华', '寧': '宁', '臺': '台', '處': '处', '學': '学',
	'醫': '医', '國': '国', '陽': '阳', '場': '场', '軟': '软', '體': '体', '鎮': '镇',
	'鄉': '乡', '縣': '县', '電': '电', '長': '长', '灣': '湾', '雲': '云', '裏': '里',
	'莊': '庄', '樓': '楼', '單': '单', '層': '层', '館': '馆', '廠': '厂', '濱': '滨',
}

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
// space become ASCII, ASCII letters lower case, common traditional forms
// simplified (號 → 号), "#" after a digit read as 号, dashes between digits
// kept as "-", and every space, punctuation mark and symbol dropped. It is
// idempotent.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	var prev rune // last rune written
	pendingDash := false
	for _, r := range s {
		r = foldRune(r)
		switch {
		case r >= '0' && r <= '9':
			if pendingDash && prev >= '0' && prev <= '9' {
				b.WriteByte('-')
			}
			pendingDash = false
			b.WriteRune(r)
			prev = r
		case isDash(r):
			pendingDash = prev >= '0' && prev <= '9'
		case r == '#' && prev >= '0' && prev <= '9':
			pendingDash = false
			b.WriteRune('号')
			prev = '号'
		case unicode.IsLetter(r) || unicode.Is(unicode.Han, r):
			pendingDash = false
			b.WriteRune(r)
			prev = r
		default:
			// Spaces, punctuation and symbols separate nothing in a
			// Chinese address; a dash survives only between digits.
			if !isDash(r) && !(r == ' ' && pendingDash) {
				pendingDash = false
			}
		}
	}
	return b.String()
}

// foldRune maps one rune: full-width ASCII to ASCII, upper-case ASCII to
// lower case, traditional to simplified.
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
	if t, ok := traditional[r]; ok {
		return t
	}
	return r
}

// tails are words after a place that say "near it" rather than name it.
var tails = []string{
	"附近的", "附近", "旁边", "周边", "周围", "一带", "对面", "门口", "路口", "交叉口", "这里", "那里",
	"边上", "旁", "里面",
}

// directions are the compass words of a position description (方位).
var directions = []string{"东北", "东南", "西北", "西南", "东", "南", "西", "北"}

// stripTails removes trailing "near" words and position descriptions
// ("东侧约50米", "南200m") from a normalised text and reports whether it
// removed any. The place before them is what the text locates.
func stripTails(q []rune) ([]rune, bool) {
	near := false
	for {
		n := len(q)
		q = stripDistance(q)
		q = stripDirection(q)
		for _, t := range tails {
			if hasRuneSuffix(q, t) && len(q) > utf8.RuneCountInString(t)+1 {
				q = q[:len(q)-utf8.RuneCountInString(t)]
				break
			}
		}
		if len(q) == n {
			return q, near
		}
		near = true
	}
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
	// A bare compass word before a distance is a direction ("北200m").
	for _, d := range directions {
		if hasRuneSuffix(q[:j], d) && j > utf8.RuneCountInString(d)+1 {
			return q[:j-utf8.RuneCountInString(d)]
		}
	}
	return q[:j]
}

// stripDirection removes a trailing "东侧", "西南方向", "北面" — only with the
// marker after it, since a bare 东/南/西/北 usually ends a name (雨花东路 is
// not 雨花 + 东).
func stripDirection(q []rune) []rune {
	for _, m := range []string{"方向", "侧", "面", "边", "方"} {
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

// roadWords after "N号" make the number part of a road name ("雨花12号路").
var roadWords = []string{"路", "街", "巷", "大道", "线", "弄", "院"}

// doorNumber is the door number a query names.
type doorNumber struct {
	start, end int    // rune span in the query, including 号
	text       string // "101", "101-1", "12甲"
	base       int    // leading integer, for interpolation
}

// parsed is a normalised, tail-stripped query.
type parsed struct {
	q    []rune
	near bool
	num  doorNumber // start < 0 when the query names no door number
}

// maxQueryRunes bounds a query; no real address is longer.
const maxQueryRunes = 128

// parse normalises a free-text query, strips "near" tails and the building
// part, and finds its door number: the first run of digits (with an
// optional "-sub" number or 甲乙丙丁) followed by 号 — not 号路 or 号楼 — or
// ending the text.
func parse(s string) parsed {
	r := []rune(Normalize(s))
	if len(r) > maxQueryRunes {
		r = r[:maxQueryRunes]
	}
	p := parsed{num: doorNumber{start: -1}}
	p.q, p.near = stripTails(r)
	q := p.q
	for i := 0; i < len(q); {
		if !isDigit(q[i]) {
			i++
			continue
		}
		j := i
		for j < len(q) && isDigit(q[j]) {
			j++
		}
		k := j
		if k+1 < len(q) && q[k] == '-' && isDigit(q[k+1]) {
			k++
			for k < len(q) && isDigit(q[k]) {
				k++
			}
		}
		if k < len(q) && strings.ContainsRune("甲乙丙丁", q[k]) {
			k++
		}
		switch {
		case k == len(q):
			p.num = doorNumber{start: i, end: k, text: string(q[i:k]), base: atoi(q[i:j])}
		case q[k] == '号' && !startsWithAny(q[k+1:], roadWords) && !startsWithAny(q[k:], buildingWords):
			p.num = doorNumber{start: i, end: k + 1, text: string(q[i:k]), base: atoi(q[i:j])}
		default:
			i = k
			continue
		}
		// What follows a door number and starts with a building word is
		// the building part: drop it.
		rest := q[p.num.end:]
		for t := 0; t < len(rest); t++ {
			if !isDigit(rest[t]) {
				if t > 0 && startsWithAny(rest[t:], buildingWords) {
					p.q = q[:p.num.end]
				}
				break
			}
		}
		return p
	}
	return p
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func atoi(ds []rune) int {
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
