package geocode

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"citygrid/data"
	"citygrid/spatial"
	"citygrid/spatial/geocode/addrtext"

	"github.com/paulmach/orb"
)

// gramKey packs two runes and whether they are adjacent (a bigram) or one
// apart (a skip-bigram). A substitution destroys at most two bigrams and
// two skip-bigrams of a name, and always leaves the skip-bigram around it,
// so even a three-character name with its middle character mistyped is
// still found.
func gramKey(a, b rune, skip bool) uint64 {
	k := uint64(a)<<22 | uint64(b)<<1
	if skip {
		k |= 1
	}
	return k
}

func (g *Geocoder) indexAlias(id int32) {
	t := g.aliases[id].text
	seen := make(map[uint64]bool, 2*len(t))
	for i := 0; i+1 < len(t); i++ {
		keys := [2]uint64{gramKey(t[i], t[i+1], false), 0}
		if i+2 < len(t) {
			keys[1] = gramKey(t[i], t[i+2], true)
		}
		for _, k := range keys {
			if k != 0 && !seen[k] {
				seen[k] = true
				g.grams[k] = append(g.grams[k], id)
			}
		}
	}
	g.aliases[id].grams = uint16(min(len(seen), math.MaxUint16))
}

// minShared is how many of its distinct grams (bigrams and skip-bigrams) a
// name of m characters keeps after e edits, at least: one substitution,
// insertion or deletion destroys at most four grams (the two bigrams and
// two skip-bigrams through the position), and at most m-1 in a name
// shorter than five. Names sharing fewer grams with the query cannot match
// within their edit budget and are not aligned.
func minShared(distinct, m, e int) int {
	return max(1, distinct-e*min(4, max(1, m-1)))
}

// maxEdits is how many edits a name of m characters may differ by and
// still match: none for two characters, one up to four, two beyond.
func maxEdits(m int) int {
	switch {
	case m <= 2:
		return 0
	case m <= 5:
		return 1
	}
	return 2
}

// scratch is per-query working memory, pooled.
type scratch struct {
	counts  []uint16
	touched []int32
	row     [2][]int32
	start   [2][]int32
	matches []match
	best    map[bestKey]int
	admins  []match
	cands   []candidate
	order   []int32
}

type bestKey struct {
	ent        int32
	start, end int16
}

// match is one occurrence of an entity's name in a query.
type match struct {
	ent        int32
	start, end int16
	edits      int16
	cost       float32 // edits plus the alias form's penalty
}

func (m match) value() float32 { return float32(m.end-m.start) - m.cost - editWeight*float32(m.edits) }

// contradictionWeight is what each character of an administrative name
// the place does not lie in costs. Nothing beyond the credit it does not
// earn: callers often misplace street and community boundaries, and a road
// with a door number is the stronger evidence, so such a plate ties with the
// bare street and wins on its finer level.
const contradictionWeight = 0

// editWeight is what an edit costs beyond the character it fails to
// explain: a mistyped character is evidence against the reading, not
// just silence.
const editWeight = 1

// findMatches lists every entity whose name (in any form) occurs in q
// within its edit budget, best occurrence per entity and span.
func (g *Geocoder) findMatches(q []rune, sc *scratch) []match {
	sc.touched = sc.touched[:0]
	for i := 0; i+1 < len(q); i++ {
		g.countGram(gramKey(q[i], q[i+1], false), sc)
		if i+2 < len(q) {
			g.countGram(gramKey(q[i], q[i+2], true), sc)
		}
	}
	sc.matches = sc.matches[:0]
	if sc.best == nil {
		sc.best = map[bestKey]int{}
	}
	clear(sc.best)
	for _, id := range sc.touched {
		c := int(sc.counts[id])
		sc.counts[id] = 0
		a := &g.aliases[id]
		m := len(a.text)
		e := maxEdits(m)
		if c < minShared(int(a.grams), m, e) {
			continue
		}
		d, s, end := sc.align(a.text, q, e)
		if d > e {
			continue
		}
		mt := match{ent: a.ent, start: int16(s), end: int16(end), edits: int16(d), cost: float32(d) + a.penalty}
		k := bestKey{a.ent, mt.start, mt.end}
		if j, ok := sc.best[k]; ok {
			if mt.cost < sc.matches[j].cost {
				sc.matches[j] = mt
			}
			continue
		}
		sc.best[k] = len(sc.matches)
		sc.matches = append(sc.matches, mt)
	}
	return sc.matches
}

func (g *Geocoder) countGram(k uint64, sc *scratch) {
	for _, id := range g.grams[k] {
		if sc.counts[id] == 0 {
			sc.touched = append(sc.touched, id)
		}
		if sc.counts[id] < math.MaxUint16 {
			sc.counts[id]++
		}
	}
}

// align finds the substring of q closest to name in edit distance
// (semi-global alignment: free start and end in q) and returns the
// distance and the span [start, end); among equally close substrings the
// longest wins. It gives up early (returning limit+1) once every cell of a
// row exceeds limit.
func (sc *scratch) align(name, q []rune, limit int) (dist, start, end int) {
	n := len(q)
	for k := range 2 {
		if cap(sc.row[k]) < n+1 {
			sc.row[k] = make([]int32, n+1)
			sc.start[k] = make([]int32, n+1)
		}
		sc.row[k] = sc.row[k][:n+1]
		sc.start[k] = sc.start[k][:n+1]
	}
	prev, cur := sc.row[0], sc.row[1]
	ps, cs := sc.start[0], sc.start[1]
	for j := 0; j <= n; j++ {
		prev[j], ps[j] = 0, int32(j)
	}
	for i := 1; i <= len(name); i++ {
		cur[0], cs[0] = int32(i), 0
		rowMin := cur[0]
		c := name[i-1]
		for j := 1; j <= n; j++ {
			best, bs := prev[j-1], ps[j-1]
			if q[j-1] != c {
				best++
			}
			if v := prev[j] + 1; v < best {
				best, bs = v, ps[j]
			}
			if v := cur[j-1] + 1; v < best {
				best, bs = v, cs[j-1]
			}
			cur[j], cs[j] = best, bs
			rowMin = min(rowMin, best)
		}
		if int(rowMin) > limit {
			return limit + 1, 0, 0
		}
		prev, cur = cur, prev
		ps, cs = cs, ps
	}
	dist, start, end = math.MaxInt32, 0, 0
	for j := 0; j <= n; j++ {
		d := int(prev[j])
		s := int(ps[j])
		if d < dist || (d == dist && j-s > end-start) {
			dist, start, end = d, s, j
		}
	}
	return dist, start, end
}

// Query is a structured forward query: the address levels of GB/T 37149
// as separate fields, any of which may be empty.
type Query struct {
	District  string `json:"district,omitempty"`
	Street    string `json:"street,omitempty"`
	Community string `json:"community,omitempty"`
	Road      string `json:"road,omitempty"`
	Number    string `json:"number,omitempty"`
	POI       string `json:"poi,omitempty"`
}

// Text joins the fields in the standard order of an address
// (district, street, community, road, number, POI).
func (q Query) Text() string {
	num := strings.TrimSpace(q.Number)
	if num != "" && !strings.HasSuffix(num, "号") && !strings.HasSuffix(num, "號") {
		num += "号"
	}
	return strings.Join([]string{q.District, q.Street, q.Community, q.Road, num, q.POI}, " ")
}

// DefaultLimit and MaxLimit bound the number of results.
const (
	DefaultLimit = 5
	MaxLimit     = 50
)

// checkQuery validates a query text.
func checkQuery(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return &data.ValidationError{Field: field, Reason: "is empty"}
	}
	if !utf8.ValidString(s) {
		return &data.ValidationError{Field: field, Reason: "is not valid UTF-8"}
	}
	if n := utf8.RuneCountInString(s); n > 2*addrtext.MaxQueryRunes {
		return &data.ValidationError{Field: field, Reason: fmt.Sprintf("has %d characters, more than %d", n, 2*addrtext.MaxQueryRunes)}
	}
	return nil
}

// Forward geocodes a free-text address, place or area name and returns up
// to limit candidates, best first (limit <= 0 means DefaultLimit). An empty
// or oversized text is a *data.ValidationError; a text nothing matches
// gives no results and no error.
func (g *Geocoder) Forward(text string, limit int) ([]Result, error) {
	if err := checkQuery("q", text); err != nil {
		return nil, err
	}
	return g.forward(addrtext.Parse(text), limit), nil
}

// ForwardQuery geocodes a structured query. Its fields are joined in the
// standard order and matched like free text, so each field gets the same
// normalisation and typo tolerance, and a field in the wrong box still
// counts.
func (g *Geocoder) ForwardQuery(q Query, limit int) ([]Result, error) {
	if err := checkQuery("query", q.Text()); err != nil {
		return nil, err
	}
	return g.forward(addrtext.Parse(q.Text()), limit), nil
}

// fillAdmin completes a result's unit grid, community, street and district
// by locating its point.
func (g *Geocoder) fillAdmin(r *Result, loc *spatial.Location) {
	if g.ix == nil {
		return
	}
	if r.UnitGrid != "" && r.Community != "" {
		// Known at build time: the rest follows from the hierarchy.
		if r.Street == "" {
			r.Street = g.parent[r.Community]
		}
		if r.District == "" {
			r.District = g.parent[r.Street]
		}
		return
	}
	if err := g.ix.LocateInto(orb.Point(r.Geometry), loc); err == nil || loc.UnitGrid.Code != "" {
		if r.UnitGrid == "" {
			r.UnitGrid = loc.UnitGrid.Code
		}
		if r.Community == "" {
			r.Community = loc.Community.Code
		}
		if r.Street == "" {
			r.Street = loc.Street.Code
		}
		if r.District == "" {
			r.District = loc.District.Code
		}
	}
	if r.Street == "" && r.Community != "" {
		r.Street = g.parent[r.Community]
	}
	if r.District == "" && r.Street != "" {
		r.District = g.parent[r.Street]
	}
}

func appendNum(b []byte, f float64) []byte { return strconv.AppendFloat(b, f, 'f', -1, 64) }
