package geocode

import (
	"math"

	"github.com/paulmach/orb"
)

// Road crossings (路口) are computed from the road network when a query
// names two roads: the point where their centre lines cross or touch, or,
// for roads that do not meet, the middle of their nearest approach.

// xy is a point in metres on a plane around a reference point.
type xy struct{ x, y float64 }

func (pl plane) project(p orb.Point) xy { return xy{(p[0] - pl.x) * pl.kx, (p[1] - pl.y) * pl.ky} }

func (pl plane) unproject(q xy) orb.Point { return orb.Point{pl.x + q.x/pl.kx, pl.y + q.y/pl.ky} }

// segCrossXY returns where segments ab and cd cross or touch.
func segCrossXY(a, b, c, d xy) (xy, bool) {
	rx, ry := b.x-a.x, b.y-a.y
	sx, sy := d.x-c.x, d.y-c.y
	den := rx*sy - ry*sx
	if math.Abs(den) < 1e-9 {
		return xy{}, false // parallel: a touching end is found as a nearest approach of 0 m
	}
	t := ((c.x-a.x)*sy - (c.y-a.y)*sx) / den
	u := ((c.x-a.x)*ry - (c.y-a.y)*rx) / den
	const eps = 1e-9
	if t < -eps || t > 1+eps || u < -eps || u > 1+eps {
		return xy{}, false
	}
	return xy{a.x + t*rx, a.y + t*ry}, true
}

// footXY is the point of segment ab nearest p and its squared distance.
func footXY(p, a, b xy) (xy, float64) {
	dx, dy := b.x-a.x, b.y-a.y
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, ((p.x-a.x)*dx+(p.y-a.y)*dy)/l2))
	}
	f := xy{a.x + t*dx, a.y + t*dy}
	return f, (p.x-f.x)*(p.x-f.x) + (p.y-f.y)*(p.y-f.y)
}

// roadPair is two roads, the lower index first.
type roadPair struct{ a, b int32 }

func pairOf(ra, rb int32) roadPair { return roadPair{min(ra, rb), max(ra, rb)} }

// buildCrossings finds, once, where every two roads cross or touch: the
// segments sharing a cell of the segment grid are tested pair by pair. Of
// several crossings of the same two roads the one on the earliest segment
// of the lower road is kept.
func (g *Geocoder) buildCrossings() {
	g.meets = map[roadPair]orb.Point{}
	at := map[roadPair]int32{} // the lower road's segment the kept crossing lies on
	sg := &g.segGrid
	for c := 0; c+1 < len(sg.start); c++ {
		items := sg.items[sg.start[c]:sg.start[c+1]]
		for x, i := range items {
			for _, j := range items[x+1:] {
				si, sj := &g.segs[i], &g.segs[j]
				if si.road == sj.road {
					continue
				}
				if si.road > sj.road {
					si, sj = sj, si
					i, j = j, i
				}
				k := pairOf(si.road, sj.road)
				if prev, ok := at[k]; ok && prev <= i {
					continue
				}
				pl := newPlane(si.a)
				p, hit := segCrossXY(pl.project(si.a), pl.project(si.b), pl.project(sj.a), pl.project(sj.b))
				if !hit {
					continue
				}
				at[k] = i
				g.meets[k] = pl.unproject(p)
			}
		}
	}
}

// crossing returns where roads ra and rb meet, with gap 0; or, when they
// do not meet, the middle of their nearest approach and its length in
// metres. ok is false when a road has no geometry. Segment pairs whose
// boxes lie further apart than the nearest approach found so far are not
// measured.
func (g *Geocoder) crossing(ra, rb int32) (pt orb.Point, gapM float64, ok bool) {
	if p, met := g.meets[pairOf(ra, rb)]; met {
		return p, 0, true
	}
	sa, sb := g.roadSegs[ra], g.roadSegs[rb]
	if sa[0] == sa[1] || sb[0] == sb[1] {
		return orb.Point{}, 0, false
	}
	pl := newPlane(g.segs[sa[0]].a)
	type box struct {
		c, d                   xy
		minX, maxX, minY, maxY float64
	}
	bs := make([]box, 0, sb[1]-sb[0])
	for j := sb[0]; j < sb[1]; j++ {
		c, d := pl.project(g.segs[j].a), pl.project(g.segs[j].b)
		bx := box{c: c, d: d, minX: c.x, maxX: d.x, minY: c.y, maxY: d.y}
		if bx.minX > bx.maxX {
			bx.minX, bx.maxX = bx.maxX, bx.minX
		}
		if bx.minY > bx.maxY {
			bx.minY, bx.maxY = bx.maxY, bx.minY
		}
		bs = append(bs, bx)
	}
	best := math.Inf(1)
	var mid xy
	for i := sa[0]; i < sa[1]; i++ {
		a, b := pl.project(g.segs[i].a), pl.project(g.segs[i].b)
		ax0, ax1, ay0, ay1 := a.x, b.x, a.y, b.y
		if ax0 > ax1 {
			ax0, ax1 = ax1, ax0
		}
		if ay0 > ay1 {
			ay0, ay1 = ay1, ay0
		}
		for k := range bs {
			bx := &bs[k]
			// The gap between the two segments' boxes bounds their distance
			// from below.
			var dx, dy float64
			if bx.minX > ax1 {
				dx = bx.minX - ax1
			} else if ax0 > bx.maxX {
				dx = ax0 - bx.maxX
			}
			if bx.minY > ay1 {
				dy = bx.minY - ay1
			} else if ay0 > bx.maxY {
				dy = ay0 - bx.maxY
			}
			if dx*dx+dy*dy > best {
				continue
			}
			c, d := bx.c, bx.d
			// Roads that met would be in g.meets: these segments do not
			// cross, and come nearest at an end of one.
			for k, e := range [4]xy{a, b, c, d} {
				var f xy
				var d2 float64
				if k < 2 {
					f, d2 = footXY(e, c, d)
				} else {
					f, d2 = footXY(e, a, b)
				}
				if d2 < best {
					best, mid = d2, xy{(e.x + f.x) / 2, (e.y + f.y) / 2}
				}
			}
		}
	}
	return pl.unproject(mid), math.Sqrt(best), true
}

// onlyConnectors reports whether q holds nothing but the words written
// between the two roads of a crossing ("A路与B路", "A路交B路", "A路近B路").
func onlyConnectors(q []rune) bool {
	for _, r := range q {
		switch r {
		case '与', '和', '及', '跟', '同', '交', '至', '近', '靠':
		default:
			return false
		}
	}
	return true
}
