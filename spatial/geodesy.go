package spatial

import (
	"math"

	"github.com/paulmach/orb"
)

// earthRadiusM is the mean Earth radius (IUGG R1) used for great-circle
// distances. On the CGCS2000 ellipsoid the great-circle distance differs
// from the geodesic by at most about 0.5 %, and uniformly for all points
// around one query, so orderings by it are the geodesic orderings for
// anything inside a city.
const earthRadiusM = 6371008.8

// HaversineM is the great-circle distance in metres between two lon/lat
// points.
func HaversineM(a, b orb.Point) float64 {
	la1, la2 := a[1]*math.Pi/180, b[1]*math.Pi/180
	sLat := math.Sin((la2 - la1) / 2)
	sLon := math.Sin((b[0] - a[0]) * math.Pi / 360)
	h := sLat*sLat + math.Cos(la1)*math.Cos(la2)*sLon*sLon
	if h > 1 {
		h = 1
	}
	return 2 * earthRadiusM * math.Asin(math.Sqrt(h))
}

// haversineFrom computes great-circle distances from one point, with that
// point's trigonometry done once; to(q) equals HaversineM(p, q).
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
	return 2 * earthRadiusM * math.Asin(math.Sqrt(v))
}

// boundAround is a lon/lat box containing every point within r metres of p
// (with a margin), for turning a radius into an R-tree query.
func boundAround(p orb.Point, r float64) orb.Bound {
	dLat := r / (earthRadiusM * math.Pi / 180) * 1.01
	c := math.Cos(math.Min(89.9, math.Abs(p[1])+dLat) * math.Pi / 180)
	dLon := dLat / c
	if dLon > 180 {
		dLon = 180
	}
	return orb.Bound{Min: orb.Point{p[0] - dLon, p[1] - dLat}, Max: orb.Point{p[0] + dLon, p[1] + dLat}}
}
