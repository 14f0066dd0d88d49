package data

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Dissolve merges polygons that share edges into one geometry: every edge
// two rings share (same vertices, opposite directions once rings are
// oriented alike) is removed and the remaining edges are walked into rings.
// Polygons that only touch along edges whose vertices differ (T-junctions)
// cannot be dissolved this way; then the polygons are returned side by side
// (a multipolygon with the same area), which the area check detects.
func Dissolve(mp orb.MultiPolygon) orb.MultiPolygon {
	type edge struct{ a, b orb.Point }
	count := map[edge]int{}
	var order []edge
	for _, p := range mp {
		for i, r := range p {
			r = append(orb.Ring(nil), r...)
			if len(r) < 4 {
				continue
			}
			if (i == 0) != RingIsCCW(r) {
				r.Reverse()
			}
			for k := 0; k+1 < len(r); k++ {
				e := edge{r[k], r[k+1]}
				if e.a == e.b {
					continue
				}
				rev := edge{e.b, e.a}
				if count[rev] > 0 {
					count[rev]--
					continue
				}
				if count[e] == 0 {
					order = append(order, e)
				}
				count[e]++
			}
		}
	}
	next := map[orb.Point][]orb.Point{}
	var starts []orb.Point
	for _, e := range order {
		for n := count[e]; n > 0; n-- {
			next[e.a] = append(next[e.a], e.b)
			starts = append(starts, e.a)
		}
	}
	var rings []orb.Ring
	for _, s := range starts {
		if len(next[s]) == 0 {
			continue
		}
		ring := orb.Ring{s}
		cur := s
		for {
			outs := next[cur]
			if len(outs) == 0 {
				break
			}
			nx := outs[len(outs)-1]
			next[cur] = outs[:len(outs)-1]
			ring = append(ring, nx)
			cur = nx
			if cur == s {
				break
			}
		}
		if len(ring) >= 4 && ring[0] == ring[len(ring)-1] {
			rings = append(rings, ring)
		}
	}
	// Outer rings run counter-clockwise, holes clockwise.
	var out orb.MultiPolygon
	var holes []orb.Ring
	for _, r := range rings {
		if RingIsCCW(r) {
			out = append(out, orb.Polygon{r})
		} else {
			holes = append(holes, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return math.Abs(planar.Area(out[i])) > math.Abs(planar.Area(out[j])) })
	for _, h := range holes {
		placed := false
		for i := len(out) - 1; i >= 0 && !placed; i-- { // the smallest outer containing it
			if planar.RingContains(out[i][0], h[0]) || onRing(out[i][0], h[0]) {
				if planar.RingContains(out[i][0], midpoint(h)) {
					out[i] = append(out[i], h)
					placed = true
				}
			}
		}
	}
	total, got := 0.0, 0.0
	for _, p := range mp {
		total += math.Abs(planar.Area(p))
	}
	for _, p := range out {
		got += math.Abs(planar.Area(p))
	}
	if len(out) == 0 || math.Abs(got-total) > 1e-9*math.Max(total, 1e-12)+1e-15 {
		return OrientRFC7946(append(orb.MultiPolygon(nil), mp...))
	}
	return OrientRFC7946(out)
}

func onRing(r orb.Ring, p orb.Point) bool {
	for _, q := range r {
		if q == p {
			return true
		}
	}
	return false
}

func midpoint(r orb.Ring) orb.Point {
	return orb.Point{(r[0][0] + r[1][0]) / 2, (r[0][1] + r[1][1]) / 2}
}
