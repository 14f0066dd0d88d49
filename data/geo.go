package data

import (
	"math"

	"github.com/paulmach/orb"
)

// CGCS2000 ellipsoid (identical to GRS80 in a and f; the difference in f from
// WGS84 is far below anything an area in square metres can show).
const (
	// EllipsoidA is the semi-major axis of the CGCS2000 ellipsoid in metres.
	EllipsoidA = 6378137.0
	// EllipsoidF is the flattening of the CGCS2000 ellipsoid.
	EllipsoidF = 1 / 298.257222101
)

// EarthRadiusM is the mean Earth radius (IUGG R1) of great-circle
// distances. On the CGCS2000 ellipsoid the great-circle distance differs
// from the geodesic by at most about 0.5 %, and uniformly for all points
// around one query, so orderings by it are the geodesic orderings for
// anything inside a city.
const EarthRadiusM = 6371008.8

// HaversineM is the great-circle distance in metres between two lon/lat
// points: the one distance of nearest searches, duplicate reports and
// reverse geocoding.
func HaversineM(a, b orb.Point) float64 {
	la1, la2 := a[1]*math.Pi/180, b[1]*math.Pi/180
	sLat := math.Sin((la2 - la1) / 2)
	sLon := math.Sin((b[0] - a[0]) * math.Pi / 360)
	h := sLat*sLat + math.Cos(la1)*math.Cos(la2)*sLon*sLon
	return 2 * EarthRadiusM * math.Asin(math.Sqrt(min(h, 1)))
}

var (
	ellipsoidE2 = EllipsoidF * (2 - EllipsoidF) // first eccentricity squared
	ellipsoidE  = math.Sqrt(ellipsoidE2)
)

// authalicQ is the q(φ) function of the authalic latitude (Snyder, Map
// Projections — A Working Manual, eq. 3-12). The ellipsoidal Lambert
// cylindrical equal-area projection maps φ to y = a·q(φ)/2, so the planar
// area of projected coordinates is the true area on the ellipsoid.
func authalicQ(sinPhi float64) float64 {
	es := ellipsoidE * sinPhi
	return (1 - ellipsoidE2) * (sinPhi/(1-es*es) - math.Log((1-es)/(1+es))/(2*ellipsoidE))
}

// equalArea projects lon/lat degrees onto the ellipsoidal Lambert
// cylindrical equal-area projection (standard parallel at the equator).
func equalArea(p orb.Point) (x, y float64) {
	lam := p[0] * math.Pi / 180
	phi := p[1] * math.Pi / 180
	return EllipsoidA * lam, EllipsoidA * authalicQ(math.Sin(phi)) / 2
}

// RingAreaM2 is the signed area in square metres of a lon/lat ring on the
// CGCS2000 ellipsoid: positive when the ring runs counter-clockwise. The ring
// may be closed (first point repeated) or not.
func RingAreaM2(r orb.Ring) float64 {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	if n < 3 {
		return 0
	}
	// Shoelace relative to the first vertex keeps the products small, so
	// the cancellation of terms of size 10^13 does not eat the precision of
	// a 10,000 m² cell.
	x0, y0 := equalArea(r[0])
	var sum float64
	px, py := 0.0, 0.0
	for i := 1; i < n; i++ {
		x, y := equalArea(r[i])
		x, y = x-x0, y-y0
		sum += px*y - x*py
		px, py = x, y
	}
	// closing edge back to the origin vertex contributes px*0 - 0*py = 0
	return sum / 2
}

// PolygonAreaM2 is the area of a polygon in square metres: the outer ring's
// area minus its holes', whatever the orientation of each ring.
func PolygonAreaM2(p orb.Polygon) float64 {
	if len(p) == 0 {
		return 0
	}
	a := math.Abs(RingAreaM2(p[0]))
	for _, h := range p[1:] {
		a -= math.Abs(RingAreaM2(h))
	}
	return a
}

// AreaM2 is the area of a multipolygon on the CGCS2000 ellipsoid in square
// metres, holes subtracted. It is exact up to the straight-edge convention:
// edges are taken as straight in the equal-area projection, which for edges
// of a few hundred metres differs from a geodesic by far less than a
// millimetre.
func AreaM2(mp orb.MultiPolygon) float64 {
	var a float64
	for _, p := range mp {
		a += PolygonAreaM2(p)
	}
	return a
}

// RingIsCCW reports whether a ring runs counter-clockwise (lon east, lat
// north), the orientation RFC 7946 asks of outer rings.
func RingIsCCW(r orb.Ring) bool {
	return ringSignedPlanar(r) > 0
}

// ringSignedPlanar is twice the signed planar area of r in degree units,
// enough to decide orientation.
func ringSignedPlanar(r orb.Ring) float64 {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	if n < 3 {
		return 0
	}
	var s float64
	x0, y0 := r[0][0], r[0][1]
	for i := 1; i+1 < n; i++ {
		s += (r[i][0]-x0)*(r[i+1][1]-y0) - (r[i+1][0]-x0)*(r[i][1]-y0)
	}
	return s
}

// OrientRFC7946 returns mp with every outer ring counter-clockwise and every
// hole clockwise, reversing rings in place where needed.
func OrientRFC7946(mp orb.MultiPolygon) orb.MultiPolygon {
	for _, p := range mp {
		for i, r := range p {
			if (i == 0) != RingIsCCW(r) {
				r.Reverse()
			}
		}
	}
	return mp
}
