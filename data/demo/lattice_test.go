package demo

import (
	"math/rand/v2"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// squareLattice is an n × n lattice of exact 100 m squares (no jitter).
func squareLattice(n int) *lattice {
	rng := rand.New(rand.NewPCG(1, 2))
	return newLattice(rng, newLocalProjection(centreLon, centreLat), n, n, 100, 100, 0)
}

func cellSet(l *lattice, ij ...[2]int) ([]int, func(int) bool) {
	in := map[int]bool{}
	var cells []int
	for _, p := range ij {
		k := l.cell(p[0], p[1])
		cells = append(cells, k)
		in[k] = true
	}
	return cells, func(k int) bool { return in[k] }
}

// ringIsSimple: closed, and no vertex visited twice.
func ringIsSimple(r orb.Ring) bool {
	if len(r) < 4 || r[0] != r[len(r)-1] {
		return false
	}
	seen := map[orb.Point]bool{}
	for _, p := range r[:len(r)-1] {
		if seen[p] {
			return false
		}
		seen[p] = true
	}
	return true
}

func TestTrace(t *testing.T) {
	l := squareLattice(5)
	cellArea := data.AreaM2(orb.MultiPolygon{{l.cellRing(l.cell(2, 2))}})
	tests := []struct {
		name      string
		cells     [][2]int
		polygons  int
		holes     int
		areaCells float64
		inside    [][2]float64 // cell-relative points (cell i, j + fraction) that must be inside
		outside   [][2]float64
	}{
		{
			name: "a single cell is one square ring", cells: [][2]int{{1, 1}},
			polygons: 1, areaCells: 1,
			inside: [][2]float64{{1.5, 1.5}}, outside: [][2]float64{{2.5, 1.5}},
		},
		{
			name:     "a ring of eight cells has the middle cell as a hole",
			cells:    [][2]int{{1, 1}, {2, 1}, {3, 1}, {1, 2}, {3, 2}, {1, 3}, {2, 3}, {3, 3}},
			polygons: 1, holes: 1, areaCells: 8,
			inside: [][2]float64{{1.5, 2.5}, {3.5, 3.5}}, outside: [][2]float64{{2.5, 2.5}, {0.5, 0.5}},
		},
		{
			// The hole (1,1) touches the outside (0,2) at vertex (1,2),
			// where the set meets itself diagonally: the outer ring and
			// the hole share that vertex, and neither ring visits it twice.
			name:     "a hole touching the outer ring at one vertex stays a separate ring",
			cells:    [][2]int{{0, 0}, {1, 0}, {2, 0}, {0, 1}, {2, 1}, {1, 2}, {2, 2}},
			polygons: 1, holes: 1, areaCells: 7,
			inside: [][2]float64{{0.5, 1.5}, {1.5, 2.5}}, outside: [][2]float64{{1.5, 1.5}, {0.5, 2.5}},
		},
		{
			name:     "an L shape is one ring",
			cells:    [][2]int{{0, 0}, {1, 0}, {2, 0}, {0, 1}, {0, 2}},
			polygons: 1, areaCells: 5,
			inside: [][2]float64{{0.5, 2.5}, {2.5, 0.5}}, outside: [][2]float64{{1.5, 1.5}},
		},
		{
			name:     "two holes that touch each other diagonally are two rings",
			cells:    [][2]int{{0, 0}, {1, 0}, {2, 0}, {3, 0}, {0, 1}, {2, 1}, {3, 1}, {0, 2}, {1, 2}, {3, 2}, {0, 3}, {1, 3}, {2, 3}, {3, 3}},
			polygons: 1, holes: 2, areaCells: 14,
			inside: [][2]float64{{2.5, 1.5}, {1.5, 2.5}}, outside: [][2]float64{{1.5, 1.5}, {2.5, 2.5}},
		},
	}
	at := func(p [2]float64) orb.Point {
		i, j := int(p[0]), int(p[1])
		return l.at(l.cell(i, j), p[0]-float64(i), p[1]-float64(j))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cells, member := cellSet(l, tc.cells...)
			mp := l.trace(cells, member)
			if len(mp) != tc.polygons {
				t.Fatalf("%d polygons, want %d", len(mp), tc.polygons)
			}
			holes := 0
			for _, p := range mp {
				holes += len(p) - 1
				for k, r := range p {
					if !ringIsSimple(r) {
						t.Errorf("ring %d is not simple: %v", k, r)
					}
					if (k == 0) != data.RingIsCCW(r) {
						t.Errorf("ring %d has the wrong orientation (outer rings run counter-clockwise, holes clockwise)", k)
					}
				}
			}
			if holes != tc.holes {
				t.Errorf("%d holes, want %d", holes, tc.holes)
			}
			// cells further north are a little smaller: allow 0.01 %
			if got := data.AreaM2(mp) / cellArea; got < tc.areaCells*(1-1e-4) || got > tc.areaCells*(1+1e-4) {
				t.Errorf("area is %.6f cells, want %v", got, tc.areaCells)
			}
			for _, p := range tc.inside {
				if !planar.MultiPolygonContains(mp, at(p)) {
					t.Errorf("%v is not inside", p)
				}
			}
			for _, p := range tc.outside {
				if planar.MultiPolygonContains(mp, at(p)) {
					t.Errorf("%v is inside", p)
				}
			}
		})
	}
}

func TestGrowMakesConnectedRegionsNearTheirTargets(t *testing.T) {
	l := squareLattice(30)
	var cells []int
	for k := range l.inside {
		l.inside[k] = true
		cells = append(cells, k)
	}
	g := newUnitGraph(l, cells, nil)
	rng := rand.New(rand.NewPCG(5, 6))
	targets := []float64{1, 2, 1, 3, 1}
	seeds := g.spreadSeeds(rng, len(targets), 1)
	label := g.grow(rng, seeds, targets)
	size := make([]int, len(targets))
	for u, r := range label {
		if r < 0 {
			t.Fatalf("unit %d was not assigned", u)
		}
		size[r]++
	}
	for r := range targets {
		// flood the region from its seed; it must reach all its cells
		seen := map[int]bool{seeds[r]: true}
		queue := []int{seeds[r]}
		for len(queue) > 0 {
			u := queue[0]
			queue = queue[1:]
			for _, v := range g.adj[u] {
				if label[v] == int32(r) && !seen[int(v)] {
					seen[int(v)] = true
					queue = append(queue, int(v))
				}
			}
		}
		if len(seen) != size[r] {
			t.Errorf("region %d: %d cells but only %d connected to its seed", r, size[r], len(seen))
		}
		want := 900 * targets[r] / 8
		if float64(size[r]) < 0.5*want || float64(size[r]) > 1.5*want {
			t.Errorf("region %d has %d cells, target %.0f", r, size[r], want)
		}
	}
}
