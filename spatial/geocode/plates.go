package geocode

import (
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"citygrid/spatial/geocode/addrtext"
)

// defaultMetresPerNumber is how far apart consecutive door numbers stand
// along a road with a single surveyed plate of a parity: plates of one
// side stand 25–70 m apart and numbers on a side step by 2.
const defaultMetresPerNumber = 20

// buildMeasures places every door plate along its road: its measure (the
// distance along the centre line, in metres, to the foot of the plate) and
// its offset from that foot, and the measure at the start of every road
// segment. Numbers beyond the surveyed ones are then placed along the road
// instead of at the last plate.
func (g *Geocoder) buildMeasures() {
	g.segM = make([]float64, len(g.segs)+1)
	g.roadLen = make([]float64, len(g.roadSegs))
	for ri, rs := range g.roadSegs {
		if rs[0] == rs[1] {
			continue
		}
		pl := newPlane(g.segs[rs[0]].a)
		m := 0.0
		for i := rs[0]; i < rs[1]; i++ {
			g.segM[i] = m
			a, b := pl.project(g.segs[i].a), pl.project(g.segs[i].b)
			m += math.Hypot(b.x-a.x, b.y-a.y)
		}
		g.roadLen[ri] = m
	}
	g.plateM = make([]float64, len(g.ds.Addresses))
	g.plateOff = make([]orb.Point, len(g.ds.Addresses))
	for ri := range g.roadPlates {
		rs := g.roadSegs[ri]
		if rs[0] == rs[1] {
			continue
		}
		pl := newPlane(g.segs[rs[0]].a)
		for par := range 2 {
			for _, pp := range g.roadPlates[ri][par] {
				pt := g.ds.Addresses[pp.addr].Point
				p := pl.project(pt)
				best, bestM := math.Inf(1), 0.0
				var foot xy
				for i := rs[0]; i < rs[1]; i++ {
					a, b := pl.project(g.segs[i].a), pl.project(g.segs[i].b)
					f, d2 := footXY(p, a, b)
					if d2 < best {
						best, foot = d2, f
						bestM = g.segM[i] + math.Hypot(f.x-a.x, f.y-a.y)
					}
				}
				g.plateM[pp.addr] = bestM
				fp := pl.unproject(foot)
				g.plateOff[pp.addr] = orb.Point{pt[0] - fp[0], pt[1] - fp[1]}
			}
		}
	}
}

// along is the point at measure m of road ri, clamped to its ends.
func (g *Geocoder) along(ri int32, m float64) orb.Point {
	rs := g.roadSegs[ri]
	m = math.Max(0, math.Min(g.roadLen[ri], m))
	i := rs[0]
	for i+1 < rs[1] && g.segM[i+1] <= m {
		i++
	}
	s := &g.segs[i]
	l := g.segM[i+1] - g.segM[i]
	if i+1 == rs[1] {
		l = g.roadLen[ri] - g.segM[i]
	}
	t := 0.0
	if l > 0 {
		t = math.Min(1, (m-g.segM[i])/l)
	}
	return orb.Point{s.a[0] + t*(s.b[0]-s.a[0]), s.a[1] + t*(s.b[1]-s.a[1])}
}

// beyond places number n before the first or past the last surveyed plate
// of ps (one parity of road ri, sorted by number): along the road from the
// nearest end plate by the road's own spacing of numbers, clamped to the
// road's ends, at that plate's distance from the centre line. clamped
// reports that the road ended first.
func (g *Geocoder) beyond(ri int32, ps []platePos, n int) (pt orb.Point, near int32, clamped bool) {
	first, last := ps[0], ps[len(ps)-1]
	per := float64(defaultMetresPerNumber)
	if last.n != first.n {
		per = (g.plateM[last.addr] - g.plateM[first.addr]) / float64(last.n-first.n)
	}
	end := last
	if n < first.n {
		end = first
	}
	m := g.plateM[end.addr] + per*float64(n-end.n)
	clamped = m < 0 || m > g.roadLen[ri]
	foot := g.along(ri, m)
	off := g.plateOff[end.addr]
	return orb.Point{foot[0] + off[0], foot[1] + off[1]}, end.addr, clamped
}

// doorPlate resolves a door number on a road: the surveyed plate, the
// surveyed main number of a sub-number, a point interpolated between the
// neighbouring plates of the same parity, or one placed along the road
// beyond the surveyed numbers. numCredit is what the number explains of
// the query; nt says how the number was read.
func (g *Geocoder) doorPlate(e *entity, num addrtext.DoorNumber) (res Result, numCredit float64, nt note, ok bool) {
	ri := e.ref
	span := float64(num.End - num.Start)
	if ai, ok := g.plates[plateKey{ri, num.Text}]; ok {
		return g.plateResult(ai, e), span, noteNone, true
	}
	if i := strings.IndexAny(num.Text, "-甲乙丙丁"); i > 0 {
		if ai, ok := g.plates[plateKey{ri, num.Text[:i]}]; ok {
			return g.plateResult(ai, e), span - 0.5, noteMainNumber, true
		}
	}
	n := num.Base
	ps := g.roadPlates[ri][n%2]
	if len(ps) == 0 {
		ps = g.roadPlates[ri][1-n%2] // a road numbered on one side only
	}
	if len(ps) == 0 {
		return Result{}, 0, noteNone, false
	}
	k, _ := slices.BinarySearchFunc(ps, n, func(a platePos, n int) int { return a.n - n })
	var pt orb.Point
	var near int32
	credit := span - 0.3
	nt = noteBetween
	switch {
	case k == 0 || k == len(ps):
		var clamped bool
		pt, near, clamped = g.beyond(ri, ps, n)
		credit -= 0.1 // outside the surveyed numbers: less sure
		if clamped {
			credit -= 0.2 // and past the road's end
		}
		nt = notePastLast
		if k == 0 {
			nt = noteBeforeFirst
		}
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
	res = Result{
		Label: g.plateLabel(comm, e.label, num.Text), Level: LevelInterpolated, Geometry: Point(pt),
		Code: e.code + "#" + num.Text, Road: e.code, Number: num.Text, Community: comm,
	}
	return res, credit, nt, true
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
func (g *Geocoder) roadResult(e *entity, pm match, admins []match, num addrtext.DoorNumber, why *explain) (Result, float64) {
	res := Result{Label: e.label, Level: LevelRoad, Code: e.code, Road: e.code, Geometry: Point(e.point), District: e.district}
	ctx := g.adminCredit(pm, admins, "", e.comms, e.streets, num, why)
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
