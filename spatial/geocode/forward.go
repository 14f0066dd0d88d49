package geocode

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"citygrid/data"
	"citygrid/spatial"

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
	if n := utf8.RuneCountInString(s); n > 2*maxQueryRunes {
		return &data.ValidationError{Field: field, Reason: fmt.Sprintf("has %d characters, more than %d", n, 2*maxQueryRunes)}
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
	return g.forward(parse(text), limit), nil
}

// ForwardQuery geocodes a structured query. Its fields are joined in the
// standard order and matched like free text, so each field gets the same
// normalisation and typo tolerance, and a field in the wrong box still
// counts.
func (g *Geocoder) ForwardQuery(q Query, limit int) ([]Result, error) {
	if err := checkQuery("query", q.Text()); err != nil {
		return nil, err
	}
	return g.forward(parse(q.Text()), limit), nil
}

// candidate is one interpretation of a query before unit grids are filled.
type candidate struct {
	res   Result
	score float64
	cover int16 // characters the main name spans: more is better on ties
	rank  int
}

// forward ranks interpretations of a parsed query. Each indexed name found
// in the query that can stand for a place (road, POI, community, street,
// district) is a primary reading; the administrative names found elsewhere
// in the query add to its score when the place lies in them and subtract
// when it does not; a door number after a road makes a door-plate or
// interpolated reading. The score is the share of the query's characters
// explained, less edits and penalties.
func (g *Geocoder) forward(p parsed, limit int) []Result {
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	L := float64(len(p.q))
	if L == 0 {
		return []Result{}
	}
	sc := g.scratch.Get().(*scratch)
	defer g.scratch.Put(sc)
	ms := g.findMatches(p.q, sc)
	// Administrative matches, best first: the candidates for the levels a
	// query names around its main place.
	admins := sc.admins[:0]
	defer func() { sc.admins = admins[:0] }()
	for _, m := range ms {
		if g.ents[m.ent].kind.admin() {
			admins = append(admins, m)
		}
	}
	slices.SortFunc(admins, func(a, b match) int {
		if c := cmpF32(b.value(), a.value()); c != 0 {
			return c
		}
		return int(a.ent - b.ent)
	})
	cands := sc.cands[:0]
	defer func() {
		clear(cands) // drop references into results handed out
		sc.cands = cands[:0]
	}()
	var cover int16
	add := func(res Result, credit float64) {
		s := math.Max(0, math.Min(1, credit/L))
		res.Score = math.Round(s*1e4) / 1e4
		cands = append(cands, candidate{res: res, score: s, cover: cover, rank: res.Level.rank()})
	}
	for _, pm := range ms {
		cover = pm.end - pm.start
		e := &g.ents[pm.ent]
		if e.kind == kindRegion {
			continue
		}
		base := float64(pm.value())
		switch e.kind {
		case kindRoad:
			if p.num.start >= 0 && !overlaps(int(pm.start), int(pm.end), p.num.start, p.num.end) {
				if res, numCredit, ok := g.doorPlate(e, p.num); ok {
					credit := base + numCredit + g.adminCredit(pm, admins, res.Community, e.comms, e.streets, p.num)
					cover += int16(p.num.end - p.num.start)
					add(res, credit)
					cover = pm.end - pm.start
				}
			}
			res, ctx := g.roadResult(e, pm, admins, p.num)
			add(res, base+ctx)
		default:
			res := Result{Label: e.label, Level: e.level, Code: e.code, Geometry: Point(e.point), UnitGrid: e.grid, District: e.district}
			if len(e.streets) == 1 {
				res.Street = e.streets[0]
			}
			if len(e.comms) == 1 {
				res.Community = e.comms[0]
			}
			add(res, base+g.adminCredit(pm, admins, "", e.comms, e.streets, doorNumber{start: -1}))
		}
	}
	order := sc.order[:0]
	for i := range cands {
		order = append(order, int32(i))
	}
	defer func() { sc.order = order[:0] }()
	slices.SortFunc(order, func(i, j int32) int {
		a, b := &cands[i], &cands[j]
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		if a.cover != b.cover {
			return int(b.cover - a.cover)
		}
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		return strings.Compare(a.res.Code, b.res.Code)
	})
	out := make([]Result, 0, min(limit, len(cands)))
	seen := make(map[string]bool, limit)
	var loc spatial.Location
	for _, i := range order {
		c := &cands[i]
		if len(out) == limit {
			break
		}
		key := string(c.res.Level) + "\x00" + c.res.Code + "\x00" + c.res.Number
		if seen[key] {
			continue
		}
		seen[key] = true
		r := c.res
		g.fillAdmin(&r, &loc)
		out = append(out, r)
	}
	return out
}

func cmpF32(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func overlaps(a0, a1, b0, b1 int) bool { return a0 < b1 && b0 < a1 }

// adminCredit scores the administrative names of a query around a primary
// match: each level named once, best match first, spans not overlapping
// the primary, the door number or each other. A name the place lies in
// adds its length; one it does not lie in earns nothing (contradictionWeight). The place
// is given by its community (door plates) or by the communities and
// streets it lies in (other entities).
func (g *Geocoder) adminCredit(pm match, admins []match, comm string, comms, streets []string, num doorNumber) float64 {
	var credit float64
	var spans [6][2]int
	ns := 0
	spans[ns] = [2]int{int(pm.start), int(pm.end)}
	ns++
	if num.start >= 0 {
		spans[ns] = [2]int{num.start, num.end}
		ns++
	}
	var taken [4]bool
	pk := g.ents[pm.ent].kind
	if pk.admin() {
		taken[pk] = true
	}
	// A door plate lies in its own community; the road it is on may run
	// through others. A name the road runs through but the plate does not
	// lie in is most likely a street boundary the caller misremembers: it
	// counts, less one character.
	var plateComms, plateStreets []string
	if comm != "" {
		plateComms = []string{comm}
		plateStreets = []string{g.parent[comm]}
	}
	// First the names the place lies in, then, in what is left of the
	// query, exact names it does not lie in.
	for pass := range 2 {
		for _, am := range admins {
			if ns == len(spans) {
				break
			}
			if am.ent == pm.ent || (pass == 1 && am.edits > 0) {
				continue
			}
			a := &g.ents[am.ent]
			if a.kind != kindRegion && taken[a.kind] {
				continue
			}
			if pk.admin() && a.kind != kindRegion && a.kind > pk {
				// A finer unit named with a coarser one is the finer
				// one's reading to explain, not the coarser one's.
				continue
			}
			ok := g.consistent(a, comms, streets, pm.ent)
			partial := false
			if ok && comm != "" && !g.consistent(a, plateComms, plateStreets, pm.ent) {
				partial = true
			}
			if ok != (pass == 0) {
				continue
			}
			free := true
			for _, s := range spans[:ns] {
				if overlaps(int(am.start), int(am.end), s[0], s[1]) {
					free = false
					break
				}
			}
			if !free {
				continue
			}
			spans[ns] = [2]int{int(am.start), int(am.end)}
			ns++
			if a.kind != kindRegion {
				taken[a.kind] = true
			}
			switch {
			case partial:
				credit += float64(am.value()) - 1
			case ok:
				credit += float64(am.value())
			default:
				credit -= contradictionWeight * float64(am.end-am.start)
			}
		}
	}
	return credit
}

// consistent reports whether a place lying in comms and streets (or being
// entity self) lies in administrative entity a.
func (g *Geocoder) consistent(a *entity, comms, streets []string, self int32) bool {
	s := &g.ents[self]
	switch a.kind {
	case kindRegion:
		return true
	case kindDistrict:
		return s.district == "" || s.district == a.code || (len(comms) > 0 && g.parent[g.parent[comms[0]]] == a.code)
	case kindStreet:
		if len(streets) == 0 {
			return s.kind != kindStreet || s.code == a.code
		}
		return slices.Contains(streets, a.code)
	case kindCommunity:
		if len(comms) > 0 {
			return slices.Contains(comms, a.code)
		}
		if len(streets) > 0 {
			return slices.Contains(streets, g.parent[a.code])
		}
		return true
	}
	return false
}

// doorPlate resolves a door number on a road: the surveyed plate, the
// surveyed main number of a sub-number, or a point interpolated between
// the neighbouring plates of the same parity. numCredit is what the number
// explains of the query.
func (g *Geocoder) doorPlate(e *entity, num doorNumber) (Result, float64, bool) {
	ri := e.ref
	span := float64(num.end - num.start)
	if ai, ok := g.plates[plateKey{ri, num.text}]; ok {
		return g.plateResult(ai, e), span, true
	}
	if i := strings.IndexAny(num.text, "-甲乙丙丁"); i > 0 {
		if ai, ok := g.plates[plateKey{ri, num.text[:i]}]; ok {
			return g.plateResult(ai, e), span - 0.5, true
		}
	}
	n := num.base
	ps := g.roadPlates[ri][n%2]
	if len(ps) == 0 {
		return Result{}, 0, false
	}
	k, _ := slices.BinarySearchFunc(ps, n, func(a platePos, n int) int { return a.n - n })
	var pt orb.Point
	var near int32
	credit := span - 0.3
	switch {
	case k == 0:
		near = ps[0].addr
		pt = g.ds.Addresses[near].Point
		credit -= 0.5 // before the first plate: placed at it
	case k == len(ps):
		near = ps[k-1].addr
		pt = g.ds.Addresses[near].Point
		credit -= 0.5 // past the last plate
	default:
		lo, hi := ps[k-1], ps[k]
		t := float64(n-lo.n) / float64(hi.n-lo.n)
		a, b := g.ds.Addresses[lo.addr].Point, g.ds.Addresses[hi.addr].Point
		pt = orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
		near = lo.addr
		if t > 0.5 {
			near = hi.addr
		}
	}
	comm := g.plateComm[near]
	res := Result{
		Label: g.plateLabel(comm, e.label, num.text), Level: LevelInterpolated, Geometry: Point(pt),
		Code: e.code + "#" + num.text, Road: e.code, Number: num.text, Community: comm,
	}
	return res, credit, true
}

func (g *Geocoder) plateResult(ai int32, e *entity) Result {
	a := &g.ds.Addresses[ai]
	label := a.FullAddress
	if label == "" {
		label = g.plateLabel(g.plateComm[ai], e.label, a.Number)
	}
	return Result{Label: label, Level: LevelDoorPlate, Geometry: Point(a.Point), Code: a.Code, Road: a.Road, Number: a.Number, Community: g.plateComm[ai], UnitGrid: g.plateGrid[ai]}
}

// plateLabel writes a door plate's standard text: district, street, road
// and number.
func (g *Geocoder) plateLabel(comm, road, number string) string {
	var b strings.Builder
	st := g.parent[comm]
	if id, ok := g.admin[g.parent[st]]; ok {
		b.WriteString(g.ents[id].label)
	}
	if id, ok := g.admin[st]; ok {
		b.WriteString(g.ents[id].label)
	}
	b.WriteString(road)
	b.WriteString(number)
	if !strings.HasSuffix(number, "号") {
		b.WriteString("号")
	}
	return b.String()
}

// roadResult is the road reading of a match. When the query names a
// community or street the road runs through, the point is the middle door
// plate of the road there; otherwise the middle of the road.
func (g *Geocoder) roadResult(e *entity, pm match, admins []match, num doorNumber) (Result, float64) {
	res := Result{Label: e.label, Level: LevelRoad, Code: e.code, Road: e.code, Geometry: Point(e.point), District: e.district}
	ctx := g.adminCredit(pm, admins, "", e.comms, e.streets, num)
	// Narrow to the smallest named unit the road runs through.
	var in *entity
	for _, am := range admins {
		a := &g.ents[am.ent]
		if overlaps(int(am.start), int(am.end), int(pm.start), int(pm.end)) {
			continue
		}
		if (a.kind == kindCommunity && slices.Contains(e.comms, a.code)) || (a.kind == kindStreet && slices.Contains(e.streets, a.code)) {
			if in == nil || a.kind > in.kind {
				in = a
			}
		}
	}
	if in != nil {
		if ai, ok := g.roadMiddle[roadUnit{e.ref, in.code}]; ok {
			res.Geometry = Point(g.ds.Addresses[ai].Point)
			res.Label = in.label + e.label
			if in.kind == kindCommunity {
				res.Community = in.code
			}
		}
	}
	return res, ctx
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
