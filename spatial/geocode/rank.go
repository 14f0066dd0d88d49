package geocode

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"citygrid/spatial"
	"citygrid/spatial/geocode/addrtext"

	"github.com/paulmach/orb"
)

// candidate is one interpretation of a query before unit grids are filled.
type candidate struct {
	res   Result
	score float64
	cover int16 // characters the main name spans: more is better on ties
	rank  int
	why   explain
}

// kindNumber marks the door number's span in an explanation.
const kindNumber kind = 100

// note says how a span was read or why it was ignored.
type note uint8

const (
	noteNone note = iota
	noteNotIn
	notePartly
	notePastLast
	noteBeforeFirst
	noteBetween
	noteMainNumber
	noteNoMeet
	noteCompound
	noteConnector
)

var noteText = [...]string{
	noteNone:        "",
	noteNotIn:       "the answer does not lie in it",
	notePartly:      "the road runs through it, the door plate does not",
	notePastLast:    "past the last surveyed plate: placed along the road",
	noteBeforeFirst: "before the first surveyed plate: placed along the road",
	noteBetween:     "not surveyed: placed between the neighbouring plates",
	noteMainNumber:  "sub-number not surveyed: the main number's plate",
	noteNoMeet:      "the roads do not meet: the middle of their nearest approach",
	noteCompound:    "the compound (号院) at this door number",
	noteConnector:   "",
}

// span is one piece of the query a reading uses or sets aside.
type span struct {
	start, end int16
	kind       kind
	ignored    bool
	note       note
}

// explain records the spans of a reading, without allocating: the
// parts of an answer are written out only for the results returned.
type explain struct {
	spans [8]span
	n     uint8
}

func (x *explain) add(s span) {
	if int(x.n) < len(x.spans) {
		x.spans[x.n] = s
		x.n++
	}
}

// ignoreCost is what an administrative name the place does not lie in
// costs beyond the characters it explains: callers often name the street
// they think a place is in, so the name still reads as a name (and is
// reported as ignored), and a road and number that match exactly outrank
// a near-miss road inside the named street, which pays an edit.
const ignoreCost = 0.6

// partlyCost is what a name the road runs through but the door plate does
// not lie in costs: most likely a boundary the caller misremembers.
const partlyCost = 0.3

// forward ranks interpretations of a parsed query. Each indexed name found
// in the query that can stand for a place (road, POI, community, street,
// district) is a primary reading; the administrative names found elsewhere
// in the query add to its score, fully when the place lies in them and
// less a little when it does not; a door number after a road makes a
// door-plate or interpolated reading, and two road names with crossing
// words make an intersection. The score is the share of the query's
// characters explained, less edits and penalties.
func (g *Geocoder) forward(p addrtext.Parsed, limit int) []Result {
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	L := float64(len(p.Q))
	if L == 0 {
		return []Result{}
	}
	sc := g.scratch.Get().(*scratch)
	defer g.scratch.Put(sc)
	ms := g.findMatches(p.Q, sc)
	// Administrative matches, best first: the candidates for the levels a
	// query names around its main place.
	admins := sc.admins[:0]
	defer func() { sc.admins = admins[:0] }()
	roads := 0
	for _, m := range ms {
		switch g.ents[m.ent].kind {
		case kindDistrict, kindStreet, kindCommunity, kindRegion:
			admins = append(admins, m)
		case kindRoad:
			roads++
		}
	}
	slices.SortFunc(admins, func(a, b match) int {
		if c := cmp.Compare(b.value(), a.value()); c != 0 {
			return c
		}
		return int(a.ent - b.ent)
	})
	cands := sc.cands[:0]
	defer func() {
		clear(cands) // drop references into results handed out
		sc.cands = cands[:0]
	}()
	add := func(res Result, credit float64, cover int16, why *explain) {
		s := math.Max(0, math.Min(1, credit/L))
		res.Score = math.Round(s*1e4) / 1e4
		cands = append(cands, candidate{res: res, score: s, cover: cover, rank: res.Level.rank(), why: *why})
	}
	noSpan := addrtext.DoorNumber{Start: -1}
	for _, pm := range ms {
		cover := pm.end - pm.start
		e := &g.ents[pm.ent]
		if e.kind == kindRegion {
			continue
		}
		base := float64(pm.value())
		var why explain
		why.add(span{start: pm.start, end: pm.end, kind: e.kind})
		switch e.kind {
		case kindRoad:
			if p.Num.Start >= 0 && !overlaps(int(pm.start), int(pm.end), p.Num.Start, p.Num.End) {
				if res, numCredit, nt, ok := g.doorPlate(e, p.Num); ok {
					w := why
					if p.Compound && nt == noteNone {
						nt = noteCompound
					}
					w.add(span{start: int16(p.Num.Start), end: int16(p.Num.End), kind: kindNumber, note: nt})
					credit := base + numCredit + g.adminCredit(pm, admins, res.Community, e.comms, e.streets, p.Num, &w)
					add(res, credit, cover+int16(p.Num.End-p.Num.Start), &w)
				}
			}
			res, ctx := g.roadResult(e, pm, admins, p.Num, &why)
			add(res, base+ctx, cover, &why)
		default:
			res := Result{Label: e.label, Level: e.level, Code: e.code, Geometry: Point(e.point), UnitGrid: e.grid, District: e.district}
			if len(e.streets) == 1 {
				res.Street = e.streets[0]
			}
			if len(e.comms) == 1 {
				res.Community = e.comms[0]
			}
			add(res, base+g.adminCredit(pm, admins, "", e.comms, e.streets, noSpan, &why), cover, &why)
		}
	}
	if roads >= 2 {
		best := 0.0
		for i := range cands {
			best = math.Max(best, cands[i].score*L)
		}
		g.crossings(p, ms, admins, best, add)
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
		r.Precision = r.Level.precision()
		g.explainParts(&r, p, &c.why)
		out = append(out, r)
	}
	return out
}

// crossings adds the intersection readings: two road names with nothing
// but connectors (与, 和, 交) between them, in a query that names a
// crossing (交叉口, 路口) or writes a connector. Two road names side by
// side with neither still read as a crossing, a little less surely.
//
// A pair that could not outscore the best reading so far (bestCredit),
// even with every other character of the query explained, is not
// computed: a full address often holds two road-like names side by side.
func (g *Geocoder) crossings(p addrtext.Parsed, ms []match, admins []match, bestCredit float64, add func(Result, float64, int16, *explain)) {
	// Each pair of roads is computed once, however many name forms of
	// the two the query matches.
	type met struct {
		a, b int32
		pt   orb.Point
		gapM float64
		ok   bool
	}
	var cache [16]met
	nc := 0
	meet := func(ra, rb int32) (orb.Point, float64, bool) {
		for _, m := range cache[:nc] {
			if m.a == ra && m.b == rb {
				return m.pt, m.gapM, m.ok
			}
		}
		pt, gapM, ok := g.crossing(ra, rb)
		if nc < len(cache) {
			cache[nc] = met{ra, rb, pt, gapM, ok}
			nc++
		}
		return pt, gapM, ok
	}
	var loc spatial.Location
	for _, a := range ms {
		ea := &g.ents[a.ent]
		if ea.kind != kindRoad || int(a.end) >= len(p.Q) {
			continue
		}
		for _, b := range ms {
			if b.start < a.end || !onlyConnectors(p.Q[a.end:b.start]) {
				continue
			}
			eb := &g.ents[b.ent]
			if eb.kind != kindRoad || eb.ref == ea.ref {
				continue
			}
			gap := p.Q[a.end:b.start]
			credit := float64(a.value()) + float64(b.value()) + float64(len(gap))
			if !p.Cross && len(gap) == 0 {
				credit -= 0.5
			}
			if rest := len(p.Q) - int(b.end-a.start); credit+float64(rest) < bestCredit {
				continue
			}
			pt, gapM, ok := meet(ea.ref, eb.ref)
			if !ok {
				continue
			}
			var why explain
			why.add(span{start: a.start, end: a.end, kind: kindRoad})
			if len(gap) > 0 {
				why.add(span{start: a.end, end: b.start, kind: kindRoad, note: noteConnector})
			}
			bs := span{start: b.start, end: b.end, kind: kindRoad}
			if gapM > 30 {
				credit -= math.Min(2, 0.5+gapM/200)
				bs.note = noteNoMeet
			}
			why.add(bs)
			first, second := ea, eb
			if second.code < first.code {
				first, second = second, first
			}
			res := Result{
				Label: ea.label + "与" + eb.label + "交叉口", Level: LevelIntersection, Geometry: Point(pt),
				Code: first.code + "&" + second.code, Road: ea.code, District: ea.district,
			}
			// Administrative names count as for any place: by where the
			// crossing lies.
			var comms, streets []string
			if g.ix != nil && g.ix.LocateInto(pt, &loc) == nil {
				comms, streets = []string{loc.Community.Code}, []string{loc.Street.Code}
			}
			credit += g.adminCredit(a, admins, "", comms, streets, addrtext.DoorNumber{Start: int(b.start), End: int(b.end)}, &why)
			add(res, credit, a.end-a.start+b.end-b.start, &why)
		}
	}
}

// roleOf names what an entity kind stands for in a query.
func roleOf(k kind) string {
	switch k {
	case kindDistrict:
		return "district"
	case kindStreet:
		return "street"
	case kindCommunity:
		return "community"
	case kindRegion:
		return "region"
	case kindRoad:
		return "road"
	case kindPOI:
		return "poi"
	case kindNumber:
		return "number"
	}
	return "text"
}

// explainParts writes the matched and ignored parts of a result: the
// spans its reading used, the position words stripped, and the runs of
// the query no span covers.
func (g *Geocoder) explainParts(r *Result, p addrtext.Parsed, why *explain) {
	spans := why.spans[:why.n]
	slices.SortFunc(spans, func(a, b span) int { return int(a.start - b.start) })
	text := func(s, e int16) string { return string(p.Q[s:e]) }
	covered := 0
	for _, s := range spans {
		if int(s.start) > covered {
			r.Ignored = append(r.Ignored, Part{Text: text(int16(covered), s.start), Role: "text"})
		}
		covered = max(covered, int(s.end))
		role := roleOf(s.kind)
		if s.note == noteConnector {
			role = "connector"
		}
		pt := Part{Text: text(s.start, s.end), Role: role, Note: noteText[s.note]}
		if s.ignored {
			r.Ignored = append(r.Ignored, pt)
		} else {
			r.Matched = append(r.Matched, pt)
		}
	}
	if covered < len(p.Q) {
		r.Ignored = append(r.Ignored, Part{Text: string(p.Q[covered:]), Role: "text"})
	}
	if p.Near != "" {
		r.Matched = append(r.Matched, Part{Text: p.Near, Role: "position"})
	}
}

func overlaps(a0, a1, b0, b1 int) bool { return a0 < b1 && b0 < a1 }

// adminCredit scores the administrative names of a query around a primary
// match: each level named once, spans not overlapping the primary, the
// other span (a door number, a crossing's second road) or each other. A
// name the place lies in adds its length; one the road runs through but
// the plate does not lie in adds its length less partlyCost; an exact name
// the place does not lie in adds its length less ignoreCost and is
// recorded as ignored. Names are taken best credit first, so a misspelt
// name the place lies in does not crowd out a longer exact one it does not.
// The place is given by its community (door plates) or by the communities
// and streets it lies in (other entities).
func (g *Geocoder) adminCredit(pm match, admins []match, comm string, comms, streets []string, other addrtext.DoorNumber, why *explain) float64 {
	var spans [6][2]int
	ns := 0
	spans[ns] = [2]int{int(pm.start), int(pm.end)}
	ns++
	if other.Start >= 0 {
		spans[ns] = [2]int{other.Start, other.End}
		ns++
	}
	var taken [4]bool
	pk := g.ents[pm.ent].kind
	if pk.admin() {
		taken[pk] = true
	}
	// A door plate lies in its own community; the road it is on may run
	// through others.
	var plateComms, plateStreets []string
	if comm != "" {
		plateComms = []string{comm}
		plateStreets = []string{g.parent[comm]}
	}
	// Each name's credit and reading, then the best free one, repeatedly.
	type option struct {
		credit float64
		s      span
	}
	var opts [16]option
	no := 0
	for _, am := range admins {
		if no == len(opts) {
			break
		}
		a := &g.ents[am.ent]
		if am.ent == pm.ent || (pk.admin() && a.kind != kindRegion && a.kind > pk) {
			// A finer unit named with a coarser one is the finer one's
			// reading to explain, not the coarser one's.
			continue
		}
		if overlaps(int(am.start), int(am.end), int(pm.start), int(pm.end)) ||
			(other.Start >= 0 && overlaps(int(am.start), int(am.end), other.Start, other.End)) {
			continue
		}
		o := option{credit: float64(am.value()), s: span{start: am.start, end: am.end, kind: a.kind}}
		switch {
		case !g.consistent(a, comms, streets, pm.ent):
			if am.edits > 0 {
				continue // a misspelt name the place is not in: no evidence
			}
			o.credit -= ignoreCost
			o.s.ignored, o.s.note = true, noteNotIn
		case comm != "" && !g.consistent(a, plateComms, plateStreets, pm.ent):
			o.credit -= partlyCost
			o.s.note = notePartly
		}
		if o.credit <= 0 {
			continue
		}
		opts[no] = o
		no++
	}
	var credit float64
	for ns < len(spans) {
		best := -1
		for i, o := range opts[:no] {
			if o.s.kind != kindRegion && taken[o.s.kind] {
				continue
			}
			free := true
			for _, s := range spans[:ns] {
				if overlaps(int(o.s.start), int(o.s.end), s[0], s[1]) {
					free = false
					break
				}
			}
			if free && (best < 0 || o.credit > opts[best].credit) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		o := opts[best] // its span, now taken, keeps it from being chosen again
		spans[ns] = [2]int{int(o.s.start), int(o.s.end)}
		ns++
		if o.s.kind != kindRegion {
			taken[o.s.kind] = true
		}
		credit += o.credit
		why.add(o.s)
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
