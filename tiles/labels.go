package tiles

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// LabelPoint is where a polygon's label goes: the middle of the widest
// horizontal run through the interior of its largest part, tried at a few
// heights. Unlike the centroid it always lies inside the polygon, also for
// L-shaped grids and polygons with holes. It is a function of the geometry
// alone, so the point (and the one tile holding it) never depends on the
// tile being drawn. ok is false for an empty geometry.
func LabelPoint(mp orb.MultiPolygon) (p orb.Point, ok bool) {
	best, bestArea := -1, 0.0
	for i, poly := range mp {
		if len(poly) == 0 || len(poly[0]) < 3 {
			continue
		}
		a := math.Abs(planar.Area(poly))
		if best < 0 || a > bestArea {
			best, bestArea = i, a
		}
	}
	if best < 0 {
		return orb.Point{}, false
	}
	poly := mp[best]
	b := poly[0].Bound()
	bestWidth := -1.0
	var xs []float64
	for _, f := range [...]float64{0.5, 0.375, 0.625, 0.25, 0.75} {
		y := b.Min[1] + f*(b.Max[1]-b.Min[1])
		xs = xs[:0]
		for _, r := range poly {
			xs = crossings(r, y, xs)
		}
		sort.Float64s(xs)
		for i := 0; i+1 < len(xs); i += 2 {
			if w := xs[i+1] - xs[i]; w > bestWidth {
				bestWidth = w
				p = orb.Point{(xs[i] + xs[i+1]) / 2, y}
			}
		}
	}
	if bestWidth < 0 {
		return b.Center(), true
	}
	return p, true
}

// crossings appends the x of every edge of r crossing the horizontal line
// at y (half-open in y, so a vertex on the line counts once).
func crossings(r orb.Ring, y float64, xs []float64) []float64 {
	n := len(r)
	for i := 0; i < n; i++ {
		a, c := r[i], r[(i+1)%n]
		if (a[1] <= y) == (c[1] <= y) {
			continue
		}
		t := (y - a[1]) / (c[1] - a[1])
		xs = append(xs, a[0]+t*(c[0]-a[0]))
	}
	return xs
}
