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

// geoBoxLowerBound is a lower bound of the great-circle distance in metres
// from p to any point of the lon/lat box. Clamping p into the box gives the
// closest point up to a second-order term (meridians bend towards the pole
// by ~Δλ²·sinφ·cosφ/2), which at city distances is below 1e-5 relative; the
// 0.999 factor keeps the bound valid out to hundreds of kilometres.
func geoBoxLowerBound(p orb.Point, minX, minY, maxX, maxY float64) float64 {
	c := orb.Point{math.Min(math.Max(p[0], minX), maxX), math.Min(math.Max(p[1], minY), maxY)}
	if c == p {
		return 0
	}
	return HaversineM(p, c) * 0.999
}
