package spatial

import (
	"math"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// haversineFrom computes great-circle distances from one point, with that
// point's trigonometry done once; to(q) equals data.HaversineM(p, q).
type haversineFrom struct {
	lon, latRad, cosLat float64
}

func newHaversineFrom(p orb.Point) haversineFrom {
	la := p[1] * math.Pi / 180
	return haversineFrom{lon: p[0], latRad: la, cosLat: math.Cos(la)}
}

func (h haversineFrom) to(q orb.Point) float64 {
	la2 := q[1] * math.Pi / 180
	sLat := math.Sin((la2 - h.latRad) / 2)
	sLon := math.Sin((q[0] - h.lon) * math.Pi / 360)
	v := sLat*sLat + h.cosLat*math.Cos(la2)*sLon*sLon
	if v > 1 {
		v = 1
	}
	return 2 * data.EarthRadiusM * math.Asin(math.Sqrt(v))
}

// boundAround is a lon/lat box containing every point within r metres of p
// (with a margin), for turning a radius into an R-tree query.
func boundAround(p orb.Point, r float64) orb.Bound {
	dLat := r / (data.EarthRadiusM * math.Pi / 180) * 1.01
	c := math.Cos(math.Min(89.9, math.Abs(p[1])+dLat) * math.Pi / 180)
	dLon := dLat / c
	if dLon > 180 {
		dLon = 180
	}
	return orb.Bound{Min: orb.Point{p[0] - dLon, p[1] - dLat}, Max: orb.Point{p[0] + dLon, p[1] + dLat}}
}
