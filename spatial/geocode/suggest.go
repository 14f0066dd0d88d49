package geocode

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"

	"citygrid/spatial"
	"citygrid/spatial/geocode/addrtext"
)

// suggestKey is one sorted key of the suggest index: a name form.
type suggestKey struct {
	key     string
	ent     int32
	penalty float32
}

// buildSuggest sorts every name form's text for prefix search; pinyin is
// matched by buildPinyin's index.
func (g *Geocoder) buildSuggest() {
	for _, a := range g.aliases {
		e := &g.ents[a.ent]
		if e.kind == kindRegion || a.penalty > 0.3 {
			continue
		}
		g.sugg = append(g.sugg, suggestKey{string(a.text), a.ent, a.penalty})
	}
	slices.SortFunc(g.sugg, func(a, b suggestKey) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return int(a.ent - b.ent)
	})
}

// maxSuggestScan bounds the keys one suggest query looks at, so that a
// one-letter prefix costs no more than a long one.
const maxSuggestScan = 20000

// Suggest completes a prefix typed into a dispatcher form: names of roads,
// landmarks, POIs, communities, streets and districts that start with it,
// or whose pinyin or pinyin initials do ("rjdd" → 软件大道); and, after a
// road name and the first digits of a number, the door plates of that
// road ("软件大道10" → 软件大道10号, 软件大道101号, …). Up to limit results,
// best first (limit <= 0 means 10).
func (g *Geocoder) Suggest(prefix string, limit int) ([]Result, error) {
	if err := checkQuery("q", prefix); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, MaxLimit)
	n := addrtext.Normalize(prefix)
	if n == "" {
		return []Result{}, nil
	}
	if out := g.suggestPlates(n, limit); len(out) > 0 {
		return out, nil
	}
	lo := sort.Search(len(g.sugg), func(i int) bool { return g.sugg[i].key >= n })
	type hit struct {
		ent   int32
		score float64
	}
	best := map[int32]float64{}
	for i := lo; i < len(g.sugg) && i-lo < maxSuggestScan && strings.HasPrefix(g.sugg[i].key, n); i++ {
		k := &g.sugg[i]
		// Closer to a whole word, spelt as the name rather than as pinyin,
		// in its main form: better.
		s := 0.5 + 0.5*float64(len(n))/float64(len(k.key))
		s -= 0.1 * float64(k.penalty)
		if k.key == n {
			s += 0.05
		}
		if e := &g.ents[k.ent]; e.level == LevelLandmark || e.kind == kindRoad {
			s += 0.02 // what dispatchers mostly type
		}
		if s > best[k.ent] {
			best[k.ent] = s
		}
	}
	g.suggestPinyin(n, best)
	hits := make([]hit, 0, len(best))
	for e, s := range best {
		hits = append(hits, hit{e, s})
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.score != b.score {
			return cmp.Compare(b.score, a.score)
		}
		ea, eb := &g.ents[a.ent], &g.ents[b.ent]
		if c := len(ea.label) - len(eb.label); c != 0 {
			return c
		}
		return strings.Compare(ea.code, eb.code)
	})
	out := make([]Result, 0, min(limit, len(hits)))
	var loc spatial.Location
	for _, h := range hits[:min(limit, len(hits))] {
		e := &g.ents[h.ent]
		r := Result{Label: e.label, Score: math.Round(math.Min(1, h.score)*1e4) / 1e4, Level: e.level, Geometry: Point(e.point), UnitGrid: e.grid, Code: e.code, District: e.district}
		if e.kind == kindRoad {
			r.Road = e.code
		}
		if len(e.comms) == 1 {
			r.Community = e.comms[0]
		}
		r.Precision = r.Level.precision()
		g.fillAdmin(&r, &loc)
		out = append(out, r)
	}
	return out, nil
}

// suggestPlates lists the door plates of a road whose number starts with
// the digits after the road's name, in number order.
func (g *Geocoder) suggestPlates(n string, limit int) []Result {
	rs := []rune(n)
	i := len(rs)
	for i > 0 && addrtext.IsDigit(rs[i-1]) {
		i--
	}
	if i == len(rs) || i < 2 {
		return nil
	}
	name, digits := string(rs[:i]), string(rs[i:])
	var out []Result
	var loc spatial.Location
	for _, a := range g.aliasesNamed(name) {
		e := &g.ents[a.ent]
		if e.kind != kindRoad {
			continue
		}
		var ps []platePos
		for par := range 2 {
			for _, pp := range g.roadPlates[e.ref][par] {
				if strings.HasPrefix(g.ds.Addresses[pp.addr].Number, digits) {
					ps = append(ps, pp)
				}
			}
		}
		slices.SortFunc(ps, func(a, b platePos) int { return a.n - b.n })
		for _, pp := range ps {
			if len(out) == limit {
				break
			}
			r := g.plateResult(pp.addr, e)
			r.Score = math.Round(1e4*(0.5+0.5*float64(len(digits))/float64(len(r.Number)))) / 1e4
			r.Precision = PrecisionPlate
			g.fillAdmin(&r, &loc)
			out = append(out, r)
		}
	}
	return out
}

// aliasesNamed finds the name forms equal to s.
func (g *Geocoder) aliasesNamed(s string) []alias {
	lo := sort.Search(len(g.sugg), func(i int) bool { return g.sugg[i].key >= s })
	var out []alias
	for i := lo; i < len(g.sugg) && g.sugg[i].key == s; i++ {
		out = append(out, alias{ent: g.sugg[i].ent})
	}
	return out
}
