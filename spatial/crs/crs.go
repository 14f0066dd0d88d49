// Package crs converts lon/lat coordinates between the coordinate reference
// systems citygrid meets: CGCS2000 (EPSG:4490, the national datum citygrid
// stores), WGS84 (EPSG:4326, treated as identical to CGCS2000 — the two differ
// by centimetres), and the two obfuscated systems of Chinese commercial
// basemaps, GCJ-02 (高德, 腾讯) and BD-09 (百度).
//
// The forward transforms (WGS84 → GCJ-02 → BD-09) are the published
// closed formulas; their inverses have no closed form and are solved here by
// fixed-point iteration to well under a centimetre.
package crs

import (
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
)

// CRS names a coordinate reference system of lon/lat input or output.
type CRS string

// The coordinate reference systems citygrid accepts. The string values are
// what API answers report in their "crs" field.
const (
	// CGCS2000 is the China Geodetic Coordinate System 2000 (EPSG:4490),
	// the storage CRS and the default of every answer.
	CGCS2000 CRS = "EPSG:4490"
	// WGS84 is EPSG:4326; treated as identical to CGCS2000.
	WGS84 CRS = "EPSG:4326"
	// GCJ02 is the GCJ-02 obfuscated system (火星坐标) of 高德/腾讯 maps.
	GCJ02 CRS = "GCJ-02"
	// BD09 is Baidu's BD-09, GCJ-02 obfuscated once more.
	BD09 CRS = "BD-09"
)

// Default is the CRS of answers when a request names none.
const Default = CGCS2000

// Parse reads a CRS name as clients write it: "" (the default), "cgcs2000",
// "epsg:4490", "wgs84", "epsg:4326", "gcj02", "gcj-02", "bd09", "bd-09",
// case-insensitive. Anything else is an error.
func Parse(s string) (CRS, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "cgcs2000", "epsg:4490", "4490":
		return CGCS2000, nil
	case "wgs84", "epsg:4326", "4326":
		return WGS84, nil
	case "gcj02", "gcj-02", "gcj":
		return GCJ02, nil
	case "bd09", "bd-09", "bd09ll", "baidu":
		return BD09, nil
	}
	return "", fmt.Errorf("unknown crs %q (want cgcs2000, wgs84, gcj02 or bd09)", s)
}

// Geographic reports whether c is (to within centimetres) the storage datum,
// so that conversions to and from it are the identity.
func (c CRS) Geographic() bool { return c == CGCS2000 || c == WGS84 || c == "" }

// ToStorage converts a point given in c to CGCS2000/WGS84.
func ToStorage(c CRS, p orb.Point) orb.Point {
	switch c {
	case GCJ02:
		return GCJ02ToWGS84(p)
	case BD09:
		return BD09ToWGS84(p)
	}
	return p
}

// FromStorage converts a CGCS2000/WGS84 point to c.
func FromStorage(c CRS, p orb.Point) orb.Point {
	switch c {
	case GCJ02:
		return WGS84ToGCJ02(p)
	case BD09:
		return WGS84ToBD09(p)
	}
	return p
}

// GeometryFromStorage returns a copy of g with every coordinate converted
// from CGCS2000/WGS84 to c; g itself is left untouched. For a geographic c
// it returns g unchanged (no copy).
func GeometryFromStorage(c CRS, g orb.Geometry) orb.Geometry {
	if c.Geographic() || g == nil {
		return g
	}
	return mapGeometry(orb.Clone(g), func(p orb.Point) orb.Point { return FromStorage(c, p) })
}

func mapGeometry(g orb.Geometry, f func(orb.Point) orb.Point) orb.Geometry {
	mapPoints := func(ps []orb.Point) {
		for i := range ps {
			ps[i] = f(ps[i])
		}
	}
	switch g := g.(type) {
	case orb.Point:
		return f(g)
	case orb.MultiPoint:
		mapPoints(g)
	case orb.LineString:
		mapPoints(g)
	case orb.MultiLineString:
		for _, l := range g {
			mapPoints(l)
		}
	case orb.Ring:
		mapPoints(g)
	case orb.Polygon:
		for _, r := range g {
			mapPoints(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				mapPoints(r)
			}
		}
	case orb.Collection:
		for i := range g {
			g[i] = mapGeometry(g[i], f)
		}
	case orb.Bound:
		return orb.MultiPoint{f(g.Min), f(g.Max)}.Bound()
	}
	return g
}

// Krasovsky 1940 ellipsoid, which the GCJ-02 formulas are written against.
const (
	krasovskyA  = 6378245.0
	krasovskyE2 = 0.00669342162296594323
)

// InChina reports whether GCJ-02 obfuscation applies at p. Outside the
// rough national bounding box the published transform is the identity,
// and every commercial implementation agrees on this box.
func InChina(p orb.Point) bool {
	return p[0] >= 72.004 && p[0] <= 137.8347 && p[1] >= 0.8293 && p[1] <= 55.8271
}

// gcjOffset is the GCJ-02 shift in degrees (dLon, dLat) at WGS84 point p.
func gcjOffset(lon, lat float64) (dLon, dLat float64) {
	x, y := lon-105, lat-35
	common := (20*math.Sin(6*x*math.Pi) + 20*math.Sin(2*x*math.Pi)) * 2 / 3
	dLat = -100 + 2*x + 3*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x)) + common +
		(20*math.Sin(y*math.Pi)+40*math.Sin(y/3*math.Pi))*2/3 +
		(160*math.Sin(y/12*math.Pi)+320*math.Sin(y/30*math.Pi))*2/3
	dLon = 300 + x + 2*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x)) + common +
		(20*math.Sin(x*math.Pi)+40*math.Sin(x/3*math.Pi))*2/3 +
		(150*math.Sin(x/12*math.Pi)+300*math.Sin(x/30*math.Pi))*2/3
	rad := lat * math.Pi / 180
	s := math.Sin(rad)
	m := 1 - krasovskyE2*s*s
	sm := math.Sqrt(m)
	dLat = dLat * 180 / ((krasovskyA * (1 - krasovskyE2)) / (m * sm) * math.Pi)
	dLon = dLon * 180 / (krasovskyA / sm * math.Cos(rad) * math.Pi)
	return dLon, dLat
}

// WGS84ToGCJ02 applies the GCJ-02 obfuscation to a WGS84 point.
func WGS84ToGCJ02(p orb.Point) orb.Point {
	if !InChina(p) {
		return p
	}
	dLon, dLat := gcjOffset(p[0], p[1])
	return orb.Point{p[0] + dLon, p[1] + dLat}
}

// inverseTolerance is the convergence threshold of the iterative inverses in
// degrees: 1e-9° is about 0.1 mm.
const inverseTolerance = 1e-9

// invert solves forward(w) = target for w by fixed-point iteration starting
// from the target itself. The forward transforms are shifts that vary slowly
// (their Jacobian is within 1e-3 of the identity), so each step gains about
// three decimal digits and a handful of steps reach 0.1 mm.
func invert(target orb.Point, forward func(orb.Point) orb.Point) orb.Point {
	w := target
	for i := 0; i < 30; i++ {
		f := forward(w)
		dx, dy := f[0]-target[0], f[1]-target[1]
		w = orb.Point{w[0] - dx, w[1] - dy}
		if math.Abs(dx) < inverseTolerance && math.Abs(dy) < inverseTolerance {
			break
		}
	}
	return w
}

// GCJ02ToWGS84 removes the GCJ-02 obfuscation by iteration, to about
// 0.1 mm.
func GCJ02ToWGS84(p orb.Point) orb.Point {
	if !InChina(p) {
		return p
	}
	return invert(p, WGS84ToGCJ02)
}

// bdPi is the constant Baidu's published formulas use (π·3000/180).
const bdPi = math.Pi * 3000.0 / 180.0

// GCJ02ToBD09 applies Baidu's BD-09 transform to a GCJ-02 point.
func GCJ02ToBD09(p orb.Point) orb.Point {
	x, y := p[0], p[1]
	z := math.Sqrt(x*x+y*y) + 0.00002*math.Sin(y*bdPi)
	theta := math.Atan2(y, x) + 0.000003*math.Cos(x*bdPi)
	return orb.Point{z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006}
}

// BD09ToGCJ02 inverts GCJ02ToBD09 by iteration, to about 0.1 mm.
func BD09ToGCJ02(p orb.Point) orb.Point {
	return invert(p, GCJ02ToBD09)
}

// WGS84ToBD09 converts a WGS84 point to BD-09 (via GCJ-02).
func WGS84ToBD09(p orb.Point) orb.Point { return GCJ02ToBD09(WGS84ToGCJ02(p)) }

// BD09ToWGS84 converts a BD-09 point to WGS84 (via GCJ-02).
func BD09ToWGS84(p orb.Point) orb.Point { return GCJ02ToWGS84(BD09ToGCJ02(p)) }
