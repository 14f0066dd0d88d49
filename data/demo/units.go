package demo

import (
	"math"
	"math/rand/v2"
)

// unitGraph groups lattice cells into units — single cells, or blocks of
// cells bounded by roads — and records which units touch. Regions grown
// over blocks have borders that follow roads, as real community and street
// borders do; regions grown over single cells are used where blocks are
// too coarse (small scales).
type unitGraph struct {
	of     []int32 // per lattice cell: unit id, -1 when not in the graph
	cells  [][]int // per unit: its cells in lattice order
	adj    [][]int32
	cx, cy []float64 // unit centres in local metres
}

// newUnitGraph builds units over domain cells. With barrier nil every
// cell is its own unit; otherwise a unit is a 4-connected set of cells
// not separated by barrier(a, b) (a, b neighbouring cells).
func newUnitGraph(l *lattice, domain []int, barrier func(a, b int) bool) *unitGraph {
	g := &unitGraph{of: make([]int32, l.nx*l.ny)}
	for k := range g.of {
		g.of[k] = -2 // not in the domain
	}
	for _, k := range domain {
		g.of[k] = -1 // in the domain, no unit yet
	}
	var queue []int
	for _, k := range domain {
		if g.of[k] != -1 {
			continue
		}
		id := int32(len(g.cells))
		g.of[k] = id
		members := []int{k}
		if barrier != nil {
			queue = append(queue[:0], k)
			for len(queue) > 0 {
				a := queue[len(queue)-1]
				queue = queue[:len(queue)-1]
				l.neighbours4(a, func(b int) {
					if g.of[b] == -1 && !barrier(a, b) {
						g.of[b] = id
						members = append(members, b)
						queue = append(queue, b)
					}
				})
			}
		}
		g.cells = append(g.cells, members)
	}
	n := len(g.cells)
	g.adj = make([][]int32, n)
	g.cx, g.cy = make([]float64, n), make([]float64, n)
	for u, members := range g.cells {
		seen := map[int32]bool{}
		for _, a := range members {
			x, y := l.centre(a)
			g.cx[u] += x / float64(len(members))
			g.cy[u] += y / float64(len(members))
			l.neighbours4(a, func(b int) {
				if v := g.of[b]; v >= 0 && v != int32(u) && !seen[v] {
					seen[v] = true
					g.adj[u] = append(g.adj[u], v)
				}
			})
		}
	}
	for k := range g.of {
		if g.of[k] < 0 {
			g.of[k] = -1
		}
	}
	return g
}

// grow partitions the units of g into len(seeds) connected regions by
// seeded random growth (Eden growth): repeatedly the region furthest below
// its target size (in cells) takes one random unit from its frontier. It
// returns each unit's region. Seeds must be distinct units.
func (g *unitGraph) grow(rng *rand.Rand, seeds []int, targets []float64) []int32 {
	n := len(seeds)
	label := make([]int32, len(g.cells))
	for k := range label {
		label[k] = -1
	}
	size := make([]float64, n)
	frontier := make([][]int32, n)
	take := func(r, u int) {
		label[u] = int32(r)
		size[r] += float64(len(g.cells[u]))
		for _, v := range g.adj[u] {
			if label[v] < 0 {
				frontier[r] = append(frontier[r], v)
			}
		}
	}
	for r, s := range seeds {
		take(r, s)
	}
	for {
		best, bestRatio := -1, math.Inf(1)
		for r := 0; r < n; r++ {
			if len(frontier[r]) == 0 {
				continue
			}
			if ratio := size[r] / targets[r]; ratio < bestRatio {
				best, bestRatio = r, ratio
			}
		}
		if best < 0 {
			return label
		}
		f := frontier[best]
		for len(f) > 0 {
			k := rng.IntN(len(f))
			u := int(f[k])
			f[k] = f[len(f)-1]
			f = f[:len(f)-1]
			if label[u] >= 0 {
				continue
			}
			frontier[best] = f
			take(best, u)
			f = frontier[best]
			break
		}
		frontier[best] = f
	}
}

// spreadSeeds picks k distinct units, spread out: each next seed is the
// best of a few random candidates by distance to the seeds so far. Units
// of at least minCells cells are preferred as candidates, so a region
// does not start in a sliver at the district's edge.
func (g *unitGraph) spreadSeeds(rng *rand.Rand, k, minCells int) []int {
	var cand []int
	for u, c := range g.cells {
		if len(c) >= minCells {
			cand = append(cand, u)
		}
	}
	if len(cand) < 2*k {
		cand = cand[:0]
		for u := range g.cells {
			cand = append(cand, u)
		}
	}
	used := make(map[int]bool, k)
	seeds := make([]int, 0, k)
	for len(seeds) < k {
		best, bestD := -1, -1.0
		for t := 0; t < 24; t++ {
			u := cand[rng.IntN(len(cand))]
			if used[u] {
				continue
			}
			d := math.Inf(1)
			for _, s := range seeds {
				d = math.Min(d, (g.cx[s]-g.cx[u])*(g.cx[s]-g.cx[u])+(g.cy[s]-g.cy[u])*(g.cy[s]-g.cy[u]))
			}
			if d > bestD {
				best, bestD = u, d
			}
		}
		if best < 0 {
			for u := range g.cells {
				if !used[u] {
					best = u
					break
				}
			}
		}
		used[best] = true
		seeds = append(seeds, best)
	}
	return seeds
}
