package topology

import "math"

// Orient reports on which side of the directed line a→b the point c lies:
// +1 left (counter-clockwise), -1 right, 0 exactly on the line. The answer
// is exact for all finite float64 inputs: a fast floating-point evaluation
// decides whenever its error bound allows (almost always), and the rare
// near-degenerate cases are settled with error-free expansion arithmetic
// (Shewchuk, "Adaptive precision floating-point arithmetic and fast robust
// geometric predicates", 1997). Exactness is what makes "a point on a
// shared edge is covered by both grids" a fact rather than a coin toss.
func Orient(ax, ay, bx, by, cx, cy float64) int {
	detLeft := (ax - cx) * (by - cy)
	detRight := (ay - cy) * (bx - cx)
	det := detLeft - detRight
	// ccwerrboundA = (3 + 16ε)ε with ε = 2^-53.
	const errBound = (3.0 + 16.0*0x1p-53) * 0x1p-53
	bound := errBound * (math.Abs(detLeft) + math.Abs(detRight))
	if det > bound {
		return 1
	}
	if -det > bound {
		return -1
	}
	return orientExact(ax, ay, bx, by, cx, cy)
}

// twoSum returns s = fl(a+b) and the rounding error e, so a+b = s+e exactly.
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bv := s - a
	av := s - bv
	return s, (a - av) + (b - bv)
}

// twoProduct returns p = fl(a·b) and the rounding error e, so a·b = p+e
// exactly (fused multiply-add computes the error without rounding).
func twoProduct(a, b float64) (p, e float64) {
	p = a * b
	return p, math.FMA(a, b, -p)
}

// orientExact evaluates the sign of (a−c)×(b−c) exactly. Each difference is
// split into two floats whose sum is exact, each product of two-float sums
// into eight floats, and the sixteen terms are summed into a nonoverlapping
// expansion whose largest component carries the sign.
func orientExact(ax, ay, bx, by, cx, cy float64) int {
	acx, acxe := twoSum(ax, -cx)
	bcy, bcye := twoSum(by, -cy)
	acy, acye := twoSum(ay, -cy)
	bcx, bcxe := twoSum(bx, -cx)
	var terms [16]float64
	n := 0
	add := func(x, y float64, neg bool) {
		p, e := twoProduct(x, y)
		if neg {
			p, e = -p, -e
		}
		terms[n], terms[n+1] = p, e
		n += 2
	}
	add(acx, bcy, false)
	add(acx, bcye, false)
	add(acxe, bcy, false)
	add(acxe, bcye, false)
	add(acy, bcx, true)
	add(acy, bcxe, true)
	add(acye, bcx, true)
	add(acye, bcxe, true)
	// Grow a nonoverlapping expansion one term at a time (Shewchuk's
	// Grow-Expansion with zero elimination).
	var exp [32]float64
	m := 0
	for _, b := range terms {
		q := b
		k := 0
		for i := 0; i < m; i++ {
			var h float64
			q, h = twoSum(q, exp[i])
			if h != 0 {
				exp[k] = h
				k++
			}
		}
		exp[k] = q
		m = k + 1
	}
	for i := m - 1; i >= 0; i-- {
		switch {
		case exp[i] > 0:
			return 1
		case exp[i] < 0:
			return -1
		}
	}
	return 0
}
