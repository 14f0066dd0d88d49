package spatial

import (
	"math/big"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// ratCovers is the brute-force second implementation of ST_Covers: exact
// rational arithmetic, polygon by polygon (shell covers and no hole's
// interior contains), boundary found by exact collinearity and the interior
// by comparing the exact x of each crossing with the point's x — a
// different algorithm from the production orientation-sign slab test.
func ratCovers(mp orb.MultiPolygon, p orb.Point) bool {
	px, py := new(big.Rat).SetFloat64(p[0]), new(big.Rat).SetFloat64(p[1])
	for _, poly := range mp {
		if len(poly) == 0 {
			continue
		}
		onB, in := ratRing(poly[0], px, py)
		if onB {
			return true
		}
		if !in {
			continue
		}
		inHole := false
		for _, h := range poly[1:] {
			hb, hin := ratRing(h, px, py)
			if hb {
				return true
			}
			if hin {
				inHole = true
			}
		}
		if !inHole {
			return true
		}
	}
	return false
}

// ratRing reports whether (px, py) is on the ring's boundary and, if not,
// whether it is strictly inside.
func ratRing(r orb.Ring, px, py *big.Rat) (onBoundary, inside bool) {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	for i := 0; i < n; i++ {
		a, b := r[i], r[(i+1)%n]
		ax, ay := new(big.Rat).SetFloat64(a[0]), new(big.Rat).SetFloat64(a[1])
		bx, by := new(big.Rat).SetFloat64(b[0]), new(big.Rat).SetFloat64(b[1])
		// collinear: (bx-ax)(py-ay) == (by-ay)(px-ax)
		l := new(big.Rat).Mul(new(big.Rat).Sub(bx, ax), new(big.Rat).Sub(py, ay))
		rr := new(big.Rat).Mul(new(big.Rat).Sub(by, ay), new(big.Rat).Sub(px, ax))
		if l.Cmp(rr) == 0 && between(px, ax, bx) && between(py, ay, by) {
			return true, false
		}
		// crossing of the ray to +x, half-open in y
		if (ay.Cmp(py) > 0) != (by.Cmp(py) > 0) {
			// x = ax + (py-ay)(bx-ax)/(by-ay)
			t := new(big.Rat).Quo(new(big.Rat).Sub(py, ay), new(big.Rat).Sub(by, ay))
			x := new(big.Rat).Add(ax, t.Mul(t, new(big.Rat).Sub(bx, ax)))
			if x.Cmp(px) > 0 {
				inside = !inside
			}
		}
	}
	return false, inside
}

func between(v, a, b *big.Rat) bool {
	if a.Cmp(b) > 0 {
		a, b = b, a
	}
	return v.Cmp(a) >= 0 && v.Cmp(b) <= 0
}

// bruteLocation is what Locate must answer, found by scanning every polygon
// of every layer (bounds first, then the exact test) and applying the
// lowest-code rule.
type bruteLocation struct {
	grid, community, street, district string
	mgmt                              map[string]string
	coveringGrids                     []string
}

func bruteLocate(ds *data.Dataset, p orb.Point) bruteLocation {
	var bl bruteLocation
	bl.mgmt = map[string]string{}
	lowest := func(cur *string, code string) {
		if *cur == "" || code < *cur {
			*cur = code
		}
	}
	for _, g := range ds.UnitGrids {
		if g.Geometry.Bound().Contains(p) && ratCovers(g.Geometry, p) {
			bl.coveringGrids = append(bl.coveringGrids, g.Code)
			lowest(&bl.grid, g.Code)
		}
	}
	for _, u := range ds.AdminUnits {
		if !u.Geometry.Bound().Contains(p) || !ratCovers(u.Geometry, p) {
			continue
		}
		switch u.Level {
		case data.LevelCommunity:
			lowest(&bl.community, u.Code)
		case data.LevelStreet:
			lowest(&bl.street, u.Code)
		case data.LevelDistrict:
			lowest(&bl.district, u.Code)
		}
	}
	for _, g := range ds.ManagementGrids {
		if g.Geometry.Bound().Contains(p) && ratCovers(g.Geometry, p) {
			cur := bl.mgmt[g.Kind]
			lowest(&cur, g.Code)
			bl.mgmt[g.Kind] = cur
		}
	}
	return bl
}

// ratOrient is the sign of (a−c)×(b−c) in exact rational arithmetic.
func ratOrient(ax, ay, bx, by, cx, cy float64) int {
	r := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
	acx := new(big.Rat).Sub(r(ax), r(cx))
	bcy := new(big.Rat).Sub(r(by), r(cy))
	acy := new(big.Rat).Sub(r(ay), r(cy))
	bcx := new(big.Rat).Sub(r(bx), r(cx))
	return new(big.Rat).Mul(acx, bcy).Cmp(new(big.Rat).Mul(acy, bcx))
}
