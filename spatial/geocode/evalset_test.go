package geocode

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"citygrid/data"

	"github.com/longbridgeapp/opencc"
	"github.com/paulmach/orb"
)

// The written-as-people-write evaluation set. Every query is made from the
// demo city's store by string operations on its names and numbers, and
// every expected answer is a code or a point taken from the store's
// geometry: nothing here asks the geocoder, its name forms or its
// normaliser what the answer should be.

var midCity = &testCity{seed: 7, scale: 0.4}

// writtenCity is a mid-size demo city (seed 7, scale 0.4: about 250 roads,
// 11,700 door plates, 570 POIs) and its geocoder.
func writtenCity(t testing.TB) (*data.Dataset, *Geocoder) { return midCity.get(t) }

// writtenQuery is one query with what a right first answer is.
type writtenQuery struct {
	category string
	text     string
	query    *Query // a structured query instead of text
	// want is the code of the right answer; with road set, the answer
	// must instead be a number on that road; with crossing set, a
	// crossing within 30 m of one of the points.
	want     string
	road     string
	crossing []orb.Point
}

// chineseNumber writes n as people write a door number in Chinese
// characters: 105 一百零五, 20 二十, 15 十五, 1010 一千零一十.
func chineseNumber(n int) string {
	digits := []rune("零一二三四五六七八九")
	if n == 0 {
		return "零"
	}
	units := []string{"千", "百", "十", ""}
	var b strings.Builder
	zero := false
	started := false
	for i, p := range []int{1000, 100, 10, 1} {
		d := n / p % 10
		if n >= 10000 && i == 0 {
			d = n / 1000
		}
		if d == 0 {
			if started {
				zero = true
			}
			continue
		}
		if zero {
			b.WriteRune('零')
			zero = false
		}
		if !(d == 1 && p == 10 && !started) {
			b.WriteRune(digits[d])
		}
		b.WriteString(units[i])
		started = true
	}
	return b.String()
}

// digitByDigit writes each digit as its Chinese character: 105 一零五.
func digitByDigit(s string) string {
	digits := []rune("零一二三四五六七八九")
	var b strings.Builder
	for _, c := range s {
		b.WriteRune(digits[c-'0'])
	}
	return b.String()
}

// segCross returns where segments ab and cd cross (planar, in degrees:
// straight at city size), if they do.
func segCross(a, b, c, d orb.Point) (orb.Point, bool) {
	rx, ry := b[0]-a[0], b[1]-a[1]
	sx, sy := d[0]-c[0], d[1]-c[1]
	den := rx*sy - ry*sx
	if math.Abs(den) < 1e-18 {
		return orb.Point{}, false
	}
	t := ((c[0]-a[0])*sy - (c[1]-a[1])*sx) / den
	u := ((c[0]-a[0])*ry - (c[1]-a[1])*rx) / den
	const eps = 1e-9
	if t < -eps || t > 1+eps || u < -eps || u > 1+eps {
		return orb.Point{}, false
	}
	return orb.Point{a[0] + t*rx, a[1] + t*ry}, true
}

// crossings lists where two roads' centre lines cross at an angle of at
// least 30°, by checking every pair of segments.
func crossings(a, b *data.Road) []orb.Point {
	var out []orb.Point
	for _, la := range a.Geometry {
		for i := 1; i < len(la); i++ {
			for _, lb := range b.Geometry {
				for j := 1; j < len(lb); j++ {
					p, ok := segCross(la[i-1], la[i], lb[j-1], lb[j])
					if !ok {
						continue
					}
					ax, ay := la[i][0]-la[i-1][0], la[i][1]-la[i-1][1]
					bx, by := lb[j][0]-lb[j-1][0], lb[j][1]-lb[j-1][1]
					sin := math.Abs(ax*by-ay*bx) / (math.Hypot(ax, ay) * math.Hypot(bx, by))
					if sin >= 0.5 {
						out = append(out, p)
					}
				}
			}
		}
	}
	return out
}

// buildWrittenSet draws perCategory queries of each kind people write.
func buildWrittenSet(t testing.TB, ds *data.Dataset, perCategory int) []writtenQuery {
	rng := rand.New(rand.NewPCG(2026, 25))
	s2t, err := opencc.New("s2t")
	if err != nil {
		t.Fatal(err)
	}
	admin, roads := byCode(ds)
	var streets, comms []*data.AdminUnit
	for i := range ds.AdminUnits {
		switch ds.AdminUnits[i].Level {
		case data.LevelStreet:
			streets = append(streets, &ds.AdminUnits[i])
		case data.LevelCommunity:
			comms = append(comms, &ds.AdminUnits[i])
		}
	}
	var plain []*data.Address // plates numbered with digits only
	byRoad := map[string][]*data.Address{}
	for i := range ds.Addresses {
		a := &ds.Addresses[i]
		if _, err := strconv.Atoi(a.Number); err == nil {
			plain = append(plain, a)
			byRoad[a.Road] = append(byRoad[a.Road], a)
		}
	}
	pick := func() *data.Address { return plain[rng.IntN(len(plain))] }
	// A typo that makes another name of the store is no typo: draw again.
	names := map[string]bool{}
	for _, r := range ds.Roads {
		names[r.Name] = true
	}
	for _, p := range ds.POIs {
		names[p.Name] = true
	}
	for _, u := range ds.AdminUnits {
		names[u.Name] = true
	}
	mistype := func(s string) string {
		for range 20 {
			if t := typo(rng, s); !names[t] {
				return t
			}
		}
		return s
	}
	streetOf := func(a *data.Address) *data.AdminUnit { return admin[admin[a.Community].Parent] }
	short := func(u *data.AdminUnit) string {
		n := strings.TrimSuffix(u.Name, "街道")
		n = strings.TrimSuffix(strings.TrimSuffix(n, "居委会"), "社区")
		return n
	}
	var out []writtenQuery
	add := func(n int, gen func() (writtenQuery, bool)) {
		for k, tries := 0, 0; k < n && tries < 50*n; tries++ {
			if q, ok := gen(); ok {
				out = append(out, q)
				k++
			}
		}
	}
	plateQ := func(cat, text string, a *data.Address) (writtenQuery, bool) {
		return writtenQuery{category: cat, text: text, want: a.Code}, true
	}

	// Door plates as standard systems write them.
	add(perCategory, func() (writtenQuery, bool) {
		a := pick()
		r := roads[a.Road].Name
		switch rng.IntN(4) {
		case 0:
			return plateQ("plate", a.FullAddress, a)
		case 1:
			return plateQ("plate", r+a.Number+"号", a)
		case 2:
			return plateQ("plate", "雨花台区"+r+a.Number+"号", a)
		}
		return plateQ("plate", streetOf(a).Name+" "+r+" "+a.Number+"号", a)
	})
	// Road crossings.
	type pair struct {
		a, b *data.Road
		at   []orb.Point
	}
	var pairs []pair
	for i := range ds.Roads {
		for j := i + 1; j < len(ds.Roads); j++ {
			if at := crossings(&ds.Roads[i], &ds.Roads[j]); len(at) > 0 {
				pairs = append(pairs, pair{&ds.Roads[i], &ds.Roads[j], at})
			}
		}
	}
	if len(pairs) == 0 {
		t.Fatal("the demo city has no crossing roads")
	}
	add(perCategory, func() (writtenQuery, bool) {
		p := pairs[rng.IntN(len(pairs))]
		a, b := p.a.Name, p.b.Name
		if rng.IntN(2) == 0 {
			a, b = b, a
		}
		forms := []string{a + "与" + b + "交叉口", a + "和" + b + "路口", a + b + "交叉口", a + "与" + b + "交汇处",
			a + "交" + b, a + "、" + b + "交叉口附近", a + "与" + b + "十字路口", a + " " + b + " 路口",
			mistype(a) + "与" + b + "交叉口", "在" + a + "和" + b + "交叉口东北角", "雨花台区" + a + "与" + b + "路口",
			a + b + "交叉口西南角", a + "近" + b, a + "与" + b + "路口往北50米"}
		if strings.ContainsAny(string([]rune(b)[len([]rune(b))-1:]), "路街道") {
			forms = append(forms, a+b+"口")
		}
		return writtenQuery{category: "intersection", text: forms[rng.IntN(len(forms))], crossing: p.at}, true
	})
	// Door numbers in Chinese numerals, in the text and in the structured
	// number field.
	add(perCategory, func() (writtenQuery, bool) {
		a := pick()
		n, _ := strconv.Atoi(a.Number)
		r := roads[a.Road].Name
		switch rng.IntN(4) {
		case 0:
			return plateQ("chinese_numeral", r+chineseNumber(n)+"号", a)
		case 1:
			return plateQ("chinese_numeral", streetOf(a).Name+r+digitByDigit(a.Number)+"号", a)
		case 2:
			if rng.IntN(2) == 0 {
				return plateQ("chinese_numeral", r+chineseNumber(n)+"号三栋二单元", a)
			}
			return plateQ("chinese_numeral", r+chineseNumber(n), a)
		}
		return writtenQuery{category: "chinese_numeral", query: &Query{Road: r, Number: chineseNumber(n)}, want: a.Code}, true
	})
	// Ordinal roads (一路, 二路) written with digits, and the other way.
	var ordinal []*data.Address
	for _, a := range plain {
		if n := roads[a.Road].Name; strings.Contains(n, "一路") || strings.Contains(n, "二路") {
			ordinal = append(ordinal, a)
		}
	}
	if len(ordinal) == 0 {
		t.Fatal("the demo city has no ordinal roads")
	}
	add(perCategory, func() (writtenQuery, bool) {
		a := ordinal[rng.IntN(len(ordinal))]
		r := strings.NewReplacer("一路", "1路", "二路", "2路").Replace(roads[a.Road].Name)
		switch rng.IntN(3) {
		case 0:
			return plateQ("ordinal_road", r+a.Number+"号", a)
		case 1:
			return plateQ("ordinal_road", fullWidth(r+a.Number)+"号", a)
		}
		return plateQ("ordinal_road", streetOf(a).Name+r+a.Number+"号", a)
	})
	// A street or community the plate does not lie in.
	add(perCategory, func() (writtenQuery, bool) {
		a := pick()
		st := streetOf(a)
		r := roads[a.Road].Name + a.Number + "号"
		if rng.IntN(2) == 0 {
			o := streets[rng.IntN(len(streets))]
			if o.Code == st.Code {
				return writtenQuery{}, false
			}
			return plateQ("wrong_admin", o.Name+r, a)
		}
		o := comms[rng.IntN(len(comms))]
		if o.Code == a.Community {
			return writtenQuery{}, false
		}
		if v, ok := strings.CutSuffix(o.Name, "村委会"); ok {
			return plateQ("wrong_admin", v+r, a) // 丁墙村
		}
		return plateQ("wrong_admin", short(o)+"社区"+r, a)
	})
	// Streets whose name is also a road's: the street, alone or as the
	// hint of a plate on another road.
	var twin []*data.AdminUnit
	for _, s := range streets {
		for _, r := range ds.Roads {
			if strings.HasPrefix(r.Name, short(s)) {
				twin = append(twin, s)
				break
			}
		}
	}
	if len(twin) == 0 {
		t.Fatal("no street shares its name with a road")
	}
	inStreet := map[string][]*data.Address{}
	for _, a := range plain {
		inStreet[streetOf(a).Code] = append(inStreet[streetOf(a).Code], a)
	}
	add(perCategory, func() (writtenQuery, bool) {
		s := twin[rng.IntN(len(twin))]
		switch rng.IntN(3) {
		case 0:
			return writtenQuery{category: "street_named_like_road", text: s.Name, want: s.Code}, true
		case 1:
			return writtenQuery{category: "street_named_like_road", text: s.Name + "附近", want: s.Code}, true
		}
		ps := inStreet[s.Code]
		if len(ps) == 0 {
			return writtenQuery{}, false
		}
		a := ps[rng.IntN(len(ps))]
		if strings.HasPrefix(roads[a.Road].Name, short(s)) {
			return writtenQuery{}, false
		}
		return plateQ("street_named_like_road", short(s)+roads[a.Road].Name+a.Number+"号", a)
	})
	// POIs by their short and generic names.
	type poiForm struct {
		poi   *data.POI
		forms []string
	}
	var poiForms []poiForm
	for i := range ds.POIs {
		p := &ds.POIs[i]
		n := p.Name
		var f []string
		switch p.Kind {
		case "market":
			core := strings.TrimSuffix(n, "农贸市场")
			f = []string{core + "菜场", core + "菜市场", core + "农贸市场"}
		case "police":
			if _, after, ok := strings.Cut(n, "分局"); ok {
				f = []string{after, "雨花台分局" + after}
				core := strings.TrimSuffix(after, "派出所")
				for _, st := range streets {
					if strings.TrimSuffix(st.Name, "街道") == core && st.Name != core {
						f = append(f, st.Name+"派出所") // 铁心桥街道派出所
					}
				}
			}
		case "supermarket":
			core := strings.TrimSuffix(n, "生活超市")
			f = []string{core + "超市", core + "生活超市"}
		case "gas_station":
			core := strings.TrimSuffix(strings.TrimPrefix(n, "中国石化"), "加油站")
			f = []string{core + "加油站", "中石化" + core + "加油站", "石化" + core + "加油站"}
		case "hospital":
			core := strings.TrimSuffix(strings.TrimPrefix(n, "南京市雨花"), "医院")
			f = []string{core + "医院", "雨花" + core + "医院"}
		case "office":
			if after, ok := strings.CutPrefix(n, "软件谷"); ok {
				f = []string{after}
			}
		case "bank":
			for long, abbr := range map[string]string{"中国工商银行": "工行", "中国建设银行": "建行", "中国农业银行": "农行", "中国银行": "中行", "交通银行": "交行"} {
				if after, ok := strings.CutPrefix(n, long); ok {
					f = []string{abbr + after, strings.TrimPrefix(long, "中国") + after}
				}
			}
		case "clinic":
			core := strings.TrimSuffix(n, "社区卫生服务站")
			f = []string{core + "卫生服务站", core + "社区卫生站"}
		}
		if len(f) > 0 {
			poiForms = append(poiForms, poiForm{p, f})
		}
	}
	add(perCategory, func() (writtenQuery, bool) {
		pf := poiForms[rng.IntN(len(poiForms))]
		text := pf.forms[rng.IntN(len(pf.forms))]
		switch rng.IntN(4) {
		case 0:
			text += "附近"
		case 1:
			text = "雨花台区" + text
		}
		return writtenQuery{category: "poi_alias", text: text, want: pf.poi.Code}, true
	})
	// Compounds by door number.
	add(perCategory, func() (writtenQuery, bool) {
		a := pick()
		r := roads[a.Road].Name
		switch rng.IntN(3) {
		case 0:
			return plateQ("compound", r+a.Number+"号院", a)
		case 1:
			return plateQ("compound", r+a.Number+"号院"+strconv.Itoa(1+rng.IntN(9))+"栋", a)
		}
		return plateQ("compound", streetOf(a).Name+r+a.Number+"号院附近", a)
	})
	// Numbers just past the last plate of a road, or before the first.
	add(perCategory, func() (writtenQuery, bool) {
		r := &ds.Roads[rng.IntN(len(ds.Roads))]
		ps := byRoad[r.Code]
		if len(ps) < 4 {
			return writtenQuery{}, false
		}
		last := 0
		have := map[int]bool{}
		for _, a := range ps {
			n, _ := strconv.Atoi(a.Number)
			last = max(last, n)
			have[n] = true
		}
		n := last + 2*(1+rng.IntN(10))
		if have[n] {
			return writtenQuery{}, false
		}
		text := r.Name + strconv.Itoa(n) + "号"
		if rng.IntN(3) == 0 {
			text = "雨花台区" + text + "附近"
		}
		return writtenQuery{category: "past_last_plate", text: text, road: r.Code}, true
	})
	// Traditional characters.
	add(perCategory, func() (writtenQuery, bool) {
		var text, want string
		if rng.IntN(3) == 0 {
			p := &ds.POIs[rng.IntN(len(ds.POIs))]
			if p.Kind == "government" {
				return writtenQuery{}, false // a committee's name is its community's
			}
			text, want = p.Name, p.Code
		} else {
			a := pick()
			text, want = a.FullAddress, a.Code
			if rng.IntN(2) == 0 {
				text = roads[a.Road].Name + a.Number + "號"
			}
		}
		tr, err := s2t.Convert(text)
		if err != nil || tr == text {
			return writtenQuery{}, false
		}
		return writtenQuery{category: "traditional", text: tr, want: want}, true
	})
	// Abbreviations: 居委, 村委, 街办, numbered park communities.
	var offices []*data.POI
	for i := range ds.POIs {
		if strings.HasSuffix(ds.POIs[i].Name, "街道办事处") {
			offices = append(offices, &ds.POIs[i])
		}
	}
	add(perCategory, func() (writtenQuery, bool) {
		switch rng.IntN(4) {
		case 0:
			o := offices[rng.IntN(len(offices))]
			return writtenQuery{category: "abbreviation", text: strings.TrimSuffix(o.Name, "街道办事处") + "街办", want: o.Code}, true
		case 1:
			c := comms[rng.IntN(len(comms))]
			n := c.Name
			if v, ok := strings.CutSuffix(n, "村村委会"); ok {
				return writtenQuery{category: "abbreviation", text: v + "村委", want: c.Code}, true
			}
			if strings.HasPrefix(n, "中国") {
				return writtenQuery{}, false
			}
			return writtenQuery{category: "abbreviation", text: short(c) + "居委", want: c.Code}, true
		}
		c := comms[rng.IntN(len(comms))]
		rest, ok := strings.CutPrefix(c.Name, "中国（南京）软件谷")
		if !ok {
			return writtenQuery{}, false
		}
		rest = strings.TrimSuffix(rest, "社区")
		forms := []string{rest, "软件谷" + rest, rest + "社区"}
		if num, ok := strings.CutSuffix(rest, "号园区"); ok {
			forms = append(forms, strconv.Itoa(arabic(num))+"号园区")
		}
		return writtenQuery{category: "abbreviation", text: forms[rng.IntN(len(forms))], want: c.Code}, true
	})
	// Text around the address.
	add(perCategory, func() (writtenQuery, bool) {
		var place, want string
		if rng.IntN(3) == 0 {
			p := &ds.POIs[rng.IntN(len(ds.POIs))]
			if p.Kind == "government" || p.Kind == "bus_stop" {
				return writtenQuery{}, false
			}
			place, want = p.Name, p.Code
		} else {
			a := pick()
			place, want = roads[a.Road].Name+a.Number+"号", a.Code
		}
		pre := []string{"", "", "在", "位于", "地址：", "事发地点：", "我在"}[rng.IntN(7)]
		post := []string{"附近", "对面", "旁边", "门口", "门口有垃圾", "东侧约50米", "西南角", "北面", "周边", "门口占道经营",
			"门前", "楼下", "斜对面", "后面", "往东100米", "附近的路灯不亮"}[rng.IntN(16)]
		return writtenQuery{category: "around_text", text: pre + place + post, want: want}, true
	})
	return out
}

// arabic reads the Chinese numbers 一 to 十三 the park communities use.
func arabic(s string) int {
	v := map[string]int{"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11, "十二": 12, "十三": 13}
	return v[s]
}

// onRoadM is the distance from p to a road's centre line, in metres.
func onRoadM(r *data.Road, p orb.Point) float64 {
	best := math.Inf(1)
	for _, ls := range r.Geometry {
		for i := 1; i < len(ls); i++ {
			best = math.Min(best, arcDistM(p, ls[i-1], ls[i]))
		}
	}
	return best
}

// judge reports whether r is a right first answer to q.
func judge(ds *data.Dataset, q writtenQuery, r Result) bool {
	switch {
	case q.crossing != nil:
		if r.Level != LevelIntersection {
			return false
		}
		for _, c := range q.crossing {
			if data.HaversineM(c, orb.Point(r.Geometry)) <= 30 {
				return true
			}
		}
		return false
	case q.road != "":
		if r.Road != q.road || r.Level != LevelInterpolated {
			return false
		}
		for i := range ds.Roads {
			if ds.Roads[i].Code == q.road {
				return onRoadM(&ds.Roads[i], orb.Point(r.Geometry)) < 60
			}
		}
		return false
	}
	return r.Code == q.want
}

// TestWrittenEvaluationSet is the acceptance test of forward geocoding on
// text written the way operators, citizens' apps and other systems write
// it: at least 95 % right first overall and 85 % in every category, with
// crossings within 30 m of where the centre lines cross.
func TestWrittenEvaluationSet(t *testing.T) {
	ds, g := writtenCity(t)
	set := buildWrittenSet(t, ds, 250)
	type tally struct{ n, top1, top5 int }
	by := map[string]*tally{}
	var misses []string
	var durs []time.Duration
	right := 0
	for _, q := range set {
		t0 := time.Now()
		var res []Result
		var err error
		if q.query != nil {
			res, err = g.ForwardQuery(*q.query, 5)
		} else {
			res, err = g.Forward(q.text, 5)
		}
		durs = append(durs, time.Since(t0))
		if err != nil {
			t.Fatalf("%q: %v", q.text, err)
		}
		c := by[q.category]
		if c == nil {
			c = &tally{}
			by[q.category] = c
		}
		c.n++
		for i, r := range res {
			if judge(ds, q, r) {
				if i == 0 {
					c.top1++
					right++
				}
				c.top5++
				break
			}
		}
		if len(res) == 0 || !judge(ds, q, res[0]) {
			text := q.text
			if q.query != nil {
				text = fmt.Sprintf("%+v", *q.query)
			}
			got := "nothing"
			if len(res) > 0 {
				got = fmt.Sprintf("%s %s %s %.3f", res[0].Level, res[0].Code, res[0].Label, res[0].Score)
			}
			misses = append(misses, fmt.Sprintf("[%s] %q want %s%s, got %s", q.category, text, q.want, q.road, got))
		}
	}
	cats := make([]string, 0, len(by))
	for k := range by {
		cats = append(cats, k)
	}
	sort.Strings(cats)
	failed := false
	for _, k := range cats {
		c := by[k]
		p := 100 * float64(c.top1) / float64(c.n)
		t.Logf("%-24s %4d queries: top-1 %5.1f %%, top-5 %5.1f %%", k, c.n, p, 100*float64(c.top5)/float64(c.n))
		if p < 85 {
			failed = true
			t.Errorf("category %s: top-1 %.1f %%, want ≥ 85 %%", k, p)
		}
	}
	slices.Sort(durs)
	overall := 100 * float64(right) / float64(len(set))
	t.Logf("%d queries: top-1 %.2f %%; latency median %v, p99 %v", len(set), overall, durs[len(durs)/2], durs[len(durs)*99/100])
	if overall < 95 {
		failed = true
		t.Errorf("top-1 %.2f %% overall, want ≥ 95 %%", overall)
	}
	if failed || testing.Verbose() {
		for i, m := range misses {
			if i == 60 {
				break
			}
			t.Log("miss:", m)
		}
	}
}

func TestChineseNumberWriter(t *testing.T) {
	for n, want := range map[int]string{1: "一", 10: "十", 15: "十五", 20: "二十", 35: "三十五", 105: "一百零五", 110: "一百一十", 1001: "一千零一", 1010: "一千零一十", 999: "九百九十九"} {
		if got := chineseNumber(n); got != want {
			t.Errorf("chineseNumber(%d) = %s, want %s", n, got, want)
		}
	}
}
