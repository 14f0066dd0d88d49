package tiles

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/simplify"
)

// Extent is the tile coordinate range of every layer (MVT default).
const Extent = 4096

// Buffer is how far, in tile units, polygons and lines reach past the tile
// edge. 64 units are 8 CSS pixels on a 512-pixel tile: wider than any line
// the styles draw, so clip edges never show as seams.
const Buffer = 64

// tileFrame projects lon/lat onto the integer grid of one tile.
type tileFrame struct {
	z          int
	x, y       uint32
	scale      float64 // 2^z * Extent
	minX, minY float64 // tile origin in world tile units
	clipBox    orb.Bound
}

func newTileFrame(z int, x, y uint32) tileFrame {
	return tileFrame{
		z: z, x: x, y: y,
		scale: math.Ldexp(Extent, z),
		minX:  float64(x) * Extent, minY: float64(y) * Extent,
		clipBox: orb.Bound{
			Min: orb.Point{-Buffer, -Buffer},
			Max: orb.Point{Extent + Buffer, Extent + Buffer},
		},
	}
}

// mercator gives the Web Mercator position of lon/lat in [0,1)².
func mercator(p orb.Point) (mx, my float64) {
	lat := p[1]
	if lat > 85.05112878 {
		lat = 85.05112878
	} else if lat < -85.05112878 {
		lat = -85.05112878
	}
	s := math.Sin(lat * math.Pi / 180)
	return p[0]/360 + 0.5, 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
}

// project maps lon/lat to unrounded tile units (y down).
func (f *tileFrame) project(p orb.Point) orb.Point {
	mx, my := mercator(p)
	return orb.Point{mx*f.scale - f.minX, my*f.scale - f.minY}
}

// pointIn reports the rounded tile position of p and whether it lies in
// the tile itself (half-open, so a point belongs to exactly one tile).
func (f *tileFrame) pointIn(p orb.Point) (orb.Point, bool) {
	q := f.project(p)
	if q[0] < 0 || q[1] < 0 || q[0] >= Extent || q[1] >= Extent {
		return q, false
	}
	return orb.Point{math.Floor(q[0]), math.Floor(q[1])}, true
}

// snapGrid is the polygon snapping step at zoom z: 1 unit (no
// simplification beyond the integer grid) from z14, coarser below, at most
// one CSS pixel. Snapping is a function of the vertex alone, so two grids
// sharing an edge still share it after simplification: no gaps, no slivers.
func snapGrid(z int) float64 {
	if z >= 14 {
		return 1
	}
	s := math.Ldexp(1, 14-z)
	if s > 8 {
		s = 8
	}
	return s
}

// lineTolerance is the Douglas-Peucker tolerance for lines at zoom z, in
// tile units (8 units = 1 CSS pixel).
func lineTolerance(z int) float64 {
	if z >= 16 {
		return 2
	}
	return 6
}

func snap(v, s float64) float64 {
	if s == 1 {
		return math.Round(v)
	}
	return math.Round(v/s) * s
}

// polygonInTile projects, clips, snaps and orients a multipolygon for the
// tile; nil when nothing of it is left.
func (f *tileFrame) polygonInTile(mp orb.MultiPolygon) orb.MultiPolygon {
	proj := make(orb.MultiPolygon, 0, len(mp))
	for _, p := range mp {
		pp := make(orb.Polygon, 0, len(p))
		for _, r := range p {
			rr := make(orb.Ring, len(r))
			for i, pt := range r {
				rr[i] = f.project(pt)
			}
			pp = append(pp, rr)
		}
		proj = append(proj, pp)
	}
	if b := proj.Bound(); !b.Intersects(f.clipBox) {
		return nil
	}
	proj = clipPolygons(f.clipBox, proj)
	s := snapGrid(f.z)
	out := proj[:0]
	for _, p := range proj {
		var keep orb.Polygon
		for i, r := range p {
			r = cleanRing(r, s)
			if r == nil {
				if i == 0 {
					break // exterior collapsed: the whole polygon goes
				}
				continue
			}
			area := ringArea(r)
			// MVT: exterior rings have positive area in tile coordinates
			// (clockwise on screen, y down), holes negative.
			if (i == 0) != (area > 0) {
				r.Reverse()
			}
			keep = append(keep, r)
		}
		if len(keep) > 0 {
			out = append(out, keep)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// clipPolygons clips polygons to the box as areas. Clipping ring by ring
// is right for an exterior and for holes wholly inside or outside the box,
// but a hole crossing the box's edge would come out sharing that edge with
// the clipped exterior (an invalid MVT polygon), and a box lying wholly in
// a hole would give an exterior and a hole that are both the box (an empty
// area drawn as a feature). So: a polygon whose hole covers the whole box
// is left out; otherwise the box is widened for that polygon until every
// hole lies strictly inside it or wholly outside it, and the polygon is
// clipped to the widened box — it reaches a little further past the tile
// than the buffer, which MVT allows and renderers clip.
func clipPolygons(box orb.Bound, mp orb.MultiPolygon) orb.MultiPolygon {
	var out orb.MultiPolygon
	for _, p := range mp {
		if len(p) == 0 || !p[0].Bound().Intersects(box) {
			continue
		}
		inHole := false
		for _, h := range p[1:] {
			if hb := h.Bound(); hb.Intersects(box) && !strictlyInside(hb, box) && ringCoversBox(h, box) {
				inHole = true
				break
			}
		}
		if inHole {
			continue
		}
		b := box
		for changed := true; changed; {
			changed = false
			for _, h := range p[1:] {
				if hb := h.Bound(); hb.Intersects(b) && !strictlyInside(hb, b) {
					b = b.Union(hb.Pad(1))
					changed = true
				}
			}
		}
		if q := clip.Polygon(b, p); q != nil {
			out = append(out, q)
		}
	}
	return out
}

func strictlyInside(in, b orb.Bound) bool {
	return in.Min[0] > b.Min[0] && in.Min[1] > b.Min[1] && in.Max[0] < b.Max[0] && in.Max[1] < b.Max[1]
}

// ringCoversBox reports whether the ring's area holds the whole box: the
// ring clipped to the box is the box.
func ringCoversBox(r orb.Ring, box orb.Bound) bool {
	c := clip.Ring(box, slices.Clone(r))
	if c == nil {
		return false
	}
	w, h := box.Max[0]-box.Min[0], box.Max[1]-box.Min[1]
	return math.Abs(math.Abs(ringArea(c))-w*h) <= 1e-9*w*h
}

// cleanRing snaps a ring to grid s and drops repeated points and points on
// a straight line (spikes included); nil when fewer than three corners or
// no area are left. The result is closed.
func cleanRing(r orb.Ring, s float64) orb.Ring {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	pts := make([]orb.Point, 0, n+1)
	for i := 0; i < n; i++ {
		p := orb.Point{snap(r[i][0], s), snap(r[i][1], s)}
		if len(pts) > 0 && pts[len(pts)-1] == p {
			continue
		}
		pts = append(pts, p)
	}
	for len(pts) > 1 && pts[0] == pts[len(pts)-1] {
		pts = pts[:len(pts)-1]
	}
	// Remove collinear corners until none is left; each pass is linear.
	for changed := true; changed && len(pts) >= 3; {
		changed = false
		m := len(pts)
		kept := pts[:0:0]
		for i := 0; i < m; i++ {
			a, b, c := pts[(i+m-1)%m], pts[i], pts[(i+1)%m]
			if cross(a, b, c) == 0 {
				changed = true
				continue
			}
			kept = append(kept, b)
		}
		if changed {
			// Removing several corners at once can leave a new collinear
			// triple or a repeated point; another pass settles it.
			pts = dedupe(kept)
		}
	}
	if len(pts) < 3 || ringArea(pts) == 0 {
		return nil
	}
	return append(orb.Ring(pts), pts[0])
}

func dedupe(pts []orb.Point) []orb.Point {
	out := pts[:0]
	for _, p := range pts {
		if len(out) > 0 && out[len(out)-1] == p {
			continue
		}
		out = append(out, p)
	}
	for len(out) > 1 && out[0] == out[len(out)-1] {
		out = out[:len(out)-1]
	}
	return out
}

func cross(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-b[1]) - (b[1]-a[1])*(c[0]-b[0])
}

// ringArea is the shoelace sum of a ring in tile coordinates, positive when
// the ring runs clockwise on screen (the MVT exterior orientation). The
// ring may be closed or open.
func ringArea(r []orb.Point) float64 {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	var s float64
	for i := 0; i < n; i++ {
		j := (i + 1) % n
		s += r[i][0]*r[j][1] - r[j][0]*r[i][1]
	}
	return s / 2
}

// lineInTile projects, clips, simplifies and rounds lines for the tile;
// nil when nothing is left.
func (f *tileFrame) lineInTile(mls orb.MultiLineString) orb.MultiLineString {
	proj := make(orb.MultiLineString, 0, len(mls))
	for _, ls := range mls {
		l := make(orb.LineString, len(ls))
		for i, p := range ls {
			l[i] = f.project(p)
		}
		proj = append(proj, l)
	}
	if b := proj.Bound(); !b.Intersects(f.clipBox) {
		return nil
	}
	proj = clip.MultiLineString(f.clipBox, proj)
	dp := simplify.DouglasPeucker(lineTolerance(f.z))
	out := proj[:0]
	for _, ls := range proj {
		ls = dp.LineString(ls)
		l := ls[:0]
		for _, p := range ls {
			q := orb.Point{math.Round(p[0]), math.Round(p[1])}
			if len(l) > 0 && l[len(l)-1] == q {
				continue // MVT forbids zero-length LineTo steps
			}
			l = append(l, q)
		}
		if len(l) >= 2 {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
