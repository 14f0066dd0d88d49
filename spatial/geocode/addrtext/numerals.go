package addrtext

// Chinese numerals in addresses: door numbers (一百零五号), ordinal roads
// (翠竹一路), numbered compounds and park areas (十三号园区), building parts
// (三栋二单元). They are rewritten as digits where a number stands, so that
// 105号 and 一百零五号, 翠竹1路 and 翠竹一路 are the same text to the index.

// numeralDigit is the value of a Chinese digit, -1 for other runes.
func numeralDigit(r rune) int {
	switch r {
	case '零', '〇', '0':
		return 0
	case '一', '壹', '幺':
		return 1
	case '二', '两', '贰':
		return 2
	case '三', '叁':
		return 3
	case '四', '肆':
		return 4
	case '五', '伍':
		return 5
	case '六', '陆':
		return 6
	case '七', '柒':
		return 7
	case '八', '捌':
		return 8
	case '九', '玖':
		return 9
	}
	return -1
}

// numeralUnit is the value of a Chinese unit numeral, 0 for other runes.
func numeralUnit(r rune) int {
	switch r {
	case '十', '拾':
		return 10
	case '百', '佰':
		return 100
	case '千', '仟':
		return 1000
	}
	return 0
}

func isNumeral(r rune) bool { return r != '0' && (numeralDigit(r) >= 0 || numeralUnit(r) > 0) }

// numberUnits are the words a number stands before: door numbers, roads
// numbered in a series, compounds, buildings, units, rooms, floors.
var numberUnits = []string{"号", "路", "街", "巷", "弄", "栋", "幢", "单元", "室", "层", "楼", "座", "组", "期", "支路", "院"}

// roadEnds are the last characters of road names, after which a bare
// number at the end of a text is a door number (软件大道一百零五).
const roadEnds = "路街道巷弄"

// convertNumerals rewrites in place every run of Chinese numerals that
// stands before a number unit, or ends the text after a road name, as
// digits; runs whose value cannot be read (十十, 百一千) are left alone.
func convertNumerals(q []rune) []rune {
	for i := 0; i < len(q); i++ {
		if !isNumeral(q[i]) {
			continue
		}
		j := i
		for j < len(q) && isNumeral(q[j]) {
			j++
		}
		stands := startsWithAny(q[j:], numberUnits) ||
			(j == len(q) && i > 0 && containsRune(roadEnds, q[i-1]))
		if !stands {
			i = j - 1
			continue
		}
		v, ok := numeralValue(q[i:j])
		if !ok {
			i = j - 1
			continue
		}
		ds := appendDigits(nil, v, q[i:j])
		q = append(q[:i], append(ds, q[j:]...)...)
		i += len(ds) - 1
	}
	return q
}

// numeralValue reads a run of Chinese numerals: with units (三十五, 一百零五,
// 两千零一) as a number, without (一零五) digit by digit.
func numeralValue(run []rune) (int, bool) {
	hasUnit := false
	for _, r := range run {
		if numeralUnit(r) > 0 {
			hasUnit = true
		}
	}
	if !hasUnit {
		if len(run) > 9 {
			return 0, false
		}
		v := 0
		for _, r := range run {
			v = v*10 + numeralDigit(r)
		}
		return v, true
	}
	total, cur, last := 0, -1, 10000
	for _, r := range run {
		if u := numeralUnit(r); u > 0 {
			if u >= last {
				return 0, false // units fall: 十百 is not a number
			}
			if cur < 0 {
				cur = 1 // 十五: one ten
			}
			total += cur * u
			cur, last = -1, u
			continue
		}
		d := numeralDigit(r)
		if d == 0 {
			cur = -1 // 零 only marks a skipped place
			continue
		}
		if cur >= 0 {
			return 0, false // two digits in a row within a unit number
		}
		cur = d
	}
	if cur > 0 {
		total += cur
	}
	return total, total > 0
}

// appendDigits writes v in decimal; a digit-by-digit run keeps its leading
// zeros (零五 → 05), as a door plate written that way reads.
func appendDigits(dst []rune, v int, run []rune) []rune {
	lead := 0
	for _, r := range run {
		if numeralUnit(r) > 0 || numeralDigit(r) != 0 {
			break
		}
		lead++
	}
	if lead == len(run) {
		lead = len(run) - 1
	}
	for range lead {
		dst = append(dst, '0')
	}
	if v == 0 && lead > 0 {
		return dst[:len(dst)]
	}
	var buf [20]rune
	n := len(buf)
	for {
		n--
		buf[n] = rune('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, buf[n:]...)
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}
