package crs

import (
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
)

// OGC is a coordinate reference system as OGC API – Features Part 2 names
// it, by URI, with the axis order its definition fixes: CRS84 is
// longitude, latitude; EPSG:4490 and EPSG:4326 are latitude, longitude;
// EPSG:3857 is easting, northing in metres. Clients such as GDAL follow
// the definition, so answers in EPSG:4490 swap the stored lon/lat.
type OGC struct {
	URI string
	// latLon: coordinates are written latitude first.
	latLon bool
	// mercator: spherical Web Mercator metres instead of degrees.
	mercator bool
}

// The CRSs citygrid's OGC API offers.
var (
	CRS84    = OGC{URI: "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
	EPSG4490 = OGC{URI: "http://www.opengis.net/def/crs/EPSG/0/4490", latLon: true}
	EPSG4326 = OGC{URI: "http://www.opengis.net/def/crs/EPSG/0/4326", latLon: true}
	EPSG3857 = OGC{URI: "http://www.opengis.net/def/crs/EPSG/0/3857", mercator: true}
)

// OGCList lists the OGC CRSs, CRS84 (the default) first.
var OGCList = []OGC{CRS84, EPSG4490, EPSG4326, EPSG3857}

// ParseOGC reads a CRS URI; "" is CRS84. The safe-CURIE form [EPSG:4490]
// and the short EPSG:4490 are accepted too.
func ParseOGC(s string) (OGC, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return CRS84, nil
	}
	short := strings.ToUpper(strings.Trim(s, "[]"))
	for _, c := range OGCList {
		if s == c.URI || strings.TrimPrefix(s, "https://") == strings.TrimPrefix(c.URI, "http://") {
			return c, nil
		}
		code := c.URI[strings.LastIndexByte(c.URI, '/')+1:]
		if short == "EPSG:"+code || short == "OGC:"+code {
			return c, nil
		}
	}
	return OGC{}, fmt.Errorf("unsupported crs %q (supported: %s)", s, strings.Join(OGCURIs(), ", "))
}

// OGCURIs lists the URIs of OGCList.
func OGCURIs() []string {
	out := make([]string, len(OGCList))
	for i, c := range OGCList {
		out[i] = c.URI
	}
	return out
}

// Storage reports whether c's coordinates are the stored lon/lat as is.
func (c OGC) Storage() bool { return !c.latLon && !c.mercator }

// earthRadius is the sphere Web Mercator projects (EPSG:3857).
const earthRadius = 6378137.0

// maxMercatorLat is the latitude at which Web Mercator's square ends.
const maxMercatorLat = 85.0511287798066

// PointFromStorage converts a stored lon/lat point to c's axes.
func (c OGC) PointFromStorage(p orb.Point) orb.Point {
	switch {
	case c.mercator:
		lat := math.Max(-maxMercatorLat, math.Min(maxMercatorLat, p[1]))
		return orb.Point{earthRadius * p[0] * math.Pi / 180,
			earthRadius * math.Log(math.Tan(math.Pi/4+lat*math.Pi/360))}
	case c.latLon:
		return orb.Point{p[1], p[0]}
	}
	return p
}

// PointToStorage converts a point in c's axes to stored lon/lat.
func (c OGC) PointToStorage(p orb.Point) orb.Point {
	switch {
	case c.mercator:
		return orb.Point{p[0] / earthRadius * 180 / math.Pi,
			(2*math.Atan(math.Exp(p[1]/earthRadius)) - math.Pi/2) * 180 / math.Pi}
	case c.latLon:
		return orb.Point{p[1], p[0]}
	}
	return p
}

// FromStorage returns g in c's axes: g itself for CRS84, else a copy.
func (c OGC) FromStorage(g orb.Geometry) orb.Geometry {
	if c.Storage() || g == nil {
		return g
	}
	return mapGeometry(orb.Clone(g), c.PointFromStorage)
}

// ToStorage returns g, given in c's axes, as stored lon/lat: g itself for
// CRS84, else a copy. A bound stays a bound.
func (c OGC) ToStorage(g orb.Geometry) orb.Geometry {
	if c.Storage() || g == nil {
		return g
	}
	return mapGeometry(orb.Clone(g), c.PointToStorage)
}

// BoundToStorage reads a bbox given in c's axes as (minx, miny, maxx,
// maxy) of that CRS and returns it as a stored lon/lat bound.
func (c OGC) BoundToStorage(v [4]float64) (orb.Bound, error) {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return orb.Bound{}, fmt.Errorf("bbox numbers must be finite")
		}
	}
	if v[0] > v[2] || v[1] > v[3] {
		return orb.Bound{}, fmt.Errorf("bbox minimum above maximum (an antimeridian-crossing bbox is not supported)")
	}
	lo := c.PointToStorage(orb.Point{v[0], v[1]})
	hi := c.PointToStorage(orb.Point{v[2], v[3]})
	return orb.MultiPoint{lo, hi}.Bound(), nil
}

// BoundFromStorage returns a stored lon/lat bound as (minx, miny, maxx,
// maxy) in c's axes.
func (c OGC) BoundFromStorage(b orb.Bound) [4]float64 {
	lo, hi := c.PointFromStorage(b.Min), c.PointFromStorage(b.Max)
	out := orb.MultiPoint{lo, hi}.Bound()
	return [4]float64{out.Min[0], out.Min[1], out.Max[0], out.Max[1]}
}
