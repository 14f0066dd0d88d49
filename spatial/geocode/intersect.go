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

// crossing returns where roads ra and rb meet: the first crossing along
// ra's centre line, with gap 0; or, when they do not meet, the middle of
// their nearest approach and its length in metres. ok is false when a road
// has no geometry. Segment pairs whose boxes lie further apart than the
// nearest approach found so far are not measured.
func (g *Geocoder) crossing(ra, rb int32) (pt orb.Point, gapM float64, ok bool) {
	sa, sb := g.roadSegs[ra], g.roadSegs[rb]
	if sa[0] == sa[1] || sb[0] == sb[1] {
		return orb.Point{}, 0, false
	}
	pl := newPlane(g.segs[sa[0]].a)
	bs := make([][2]xy, 0, sb[1]-sb[0])
	for j := sb[0]; j < sb[1]; j++ {
		bs = append(bs, [2]xy{pl.project(g.segs[j].a), pl.project(g.segs[j].b)})
	}
	best := math.Inf(1)
	var mid xy
	for i := sa[0]; i < sa[1]; i++ {
		a, b := pl.project(g.segs[i].a), pl.project(g.segs[i].b)
		ax0, ax1 := math.Min(a.x, b.x), math.Max(a.x, b.x)
		ay0, ay1 := math.Min(a.y, b.y), math.Max(a.y, b.y)
		for _, cd := range bs {
			c, d := cd[0], cd[1]
			// The gap between the two segments' boxes bounds their distance
			// from below.
			dx := math.Max(0, math.Max(math.Min(c.x, d.x)-ax1, ax0-math.Max(c.x, d.x)))
			dy := math.Max(0, math.Max(math.Min(c.y, d.y)-ay1, ay0-math.Max(c.y, d.y)))
			if dx*dx+dy*dy > best {
				continue
			}
			if p, hit := segCrossXY(a, b, c, d); hit {
				return pl.unproject(p), 0, true
			}
			// Segments that do not cross come nearest at an end of one.
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
