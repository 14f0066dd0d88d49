package soak

import (
	"math"
	"net/url"
)

// asinhTan is the Web Mercator y of a latitude in radians-free form:
// ln(tan φ + sec φ).
func asinhTan(latDeg float64) float64 {
	φ := latDeg * math.Pi / 180
	return math.Log(math.Tan(φ) + 1/math.Cos(φ))
}

func urlEscape(s string) string { return url.QueryEscape(s) }
