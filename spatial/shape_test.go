package spatial

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// randomWalk is a line of n vertices wandering from p in steps of up to
// step degrees.
func randomWalk(r *rand.Rand, p orb.Point, n int, step float64) orb.LineString {
	ls := orb.LineString{p}
	for range n - 1 {
		p = orb.Point{p[0] + (r.Float64()-0.5)*step, p[1] + (r.Float64()-0.5)*step}
		ls = append(ls, p)
	}
	return ls
}

// TestShapeIndexDistanceMatchesTheScan is the property test of the shape
// index: on random many-vertex lines, multilines and polygons (with holes
// and repeated vertices), the indexed distance equals the every-edge scan of
// componentDistance at random points near and far.
func TestShapeIndexDistanceMatchesTheScan(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := range 300 {
		c := orb.Point{118.7 + r.Float64()*0.1, 32 + r.Float64()*0.1}
		var g orb.Geometry
		switch trial % 4 {
		case 0:
			g = randomWalk(r, c, 50+r.IntN(2000), 0.0005)
		case 1:
			g = orb.MultiLineString{randomWalk(r, c, 60, 0.001), randomWalk(r, c, 30, 0.001), {c, c}}
		case 2, 3:
			// A star-shaped polygon of many vertices with a hole.
			n := 60 + r.IntN(1500)
			var shell, hole orb.Ring
			for k := range n {
				a := 2 * math.Pi * float64(k) / float64(n)
				rad := 0.002 + r.Float64()*0.003
				shell = append(shell, orb.Point{c[0] + rad*math.Cos(a), c[1] + rad*math.Sin(a)})
				if k%20 == 0 {
					shell = append(shell, shell[len(shell)-1]) // a repeated vertex
				}
			}
			shell = append(shell, shell[0])
			for k := range 12 {
				a := -2 * math.Pi * float64(k) / 12
				hole = append(hole, orb.Point{c[0] + 0.001*math.Cos(a), c[1] + 0.001*math.Sin(a)})
			}
			hole = append(hole, hole[0])
			g = orb.MultiPolygon{{shell, hole}}
			if trial%4 == 3 {
				g = orb.Polygon{shell, hole}
			}
		}
		s := newShapeIndex(g)
		if s == nil {
			t.Fatalf("trial %d: no shape index for a geometry of many vertices", trial)
		}
		for range 40 {
			spread := []float64{0.0005, 0.005, 0.05}[r.IntN(3)]
			p := orb.Point{c[0] + (r.Float64()-0.5)*spread, c[1] + (r.Float64()-0.5)*spread}
			got, want := s.distance(p), componentDistance(p, g)
			if math.Abs(got-want) > 1e-9*want+1e-9 {
				t.Fatalf("trial %d at %v: indexed distance %.12f m, scan %.12f m", trial, p, got, want)
			}
		}
	}
	if newShapeIndex(orb.LineString{{0, 0}, {1, 1}}) != nil {
		t.Fatal("a two-vertex line got a shape index")
	}
}

// TestNearestOnManyVertexLinesMatchesTheScan checks Nearest over lines of
// hundreds of vertices, mixed with points, against a scan of every
// component: the same components in the same order at the same distances.
func TestNearestOnManyVertexLinesMatchesTheScan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ds := &data.Dataset{Categories: []data.Category{{Kind: data.KindComponent, Code: "0101"}, {Kind: data.KindComponent, Code: "0201"}}}
	for i := range 600 {
		p := orb.Point{118.7 + r.Float64()*0.05, 32 + r.Float64()*0.05}
		var g orb.Geometry = p
		cat := "0101"
		if i%3 > 0 {
			g, cat = randomWalk(r, p, 20+r.IntN(800), 0.0003), "0201"
		}
		ds.Components = append(ds.Components, data.Component{Code: fmt.Sprintf("C%04d", i), Category: cat, Geometry: g})
	}
	ix, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	for range 300 {
		p := orb.Point{118.69 + r.Float64()*0.07, 31.99 + r.Float64()*0.07}
		k := 1 + r.IntN(12)
		radius := []float64{50, 500, 5000}[r.IntN(3)]
		var cats []string
		if r.IntN(2) == 0 {
			cats = []string{"0201"}
		}
		got, err := ix.Nearest(p, k, radius, cats)
		if err != nil {
			t.Fatal(err)
		}
		type cd struct {
			code string
			d    float64
		}
		var all []cd
		for _, c := range ds.Components {
			if cats != nil && c.Category != cats[0] {
				continue
			}
			if d := componentDistance(p, c.Geometry); d <= radius {
				all = append(all, cd{c.Code, d})
			}
		}
		slices.SortFunc(all, func(a, b cd) int { return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.code, b.code)) })
		all = all[:min(k, len(all))]
		if len(got.Components) != len(all) {
			t.Fatalf("at %v k=%d r=%v: %d components, scan %d", p, k, radius, len(got.Components), len(all))
		}
		for j, n := range got.Components {
			if n.Code != all[j].code || math.Abs(n.DistanceM-all[j].d) > 1e-9*all[j].d+1e-9 {
				t.Fatalf("at %v k=%d r=%v: #%d %s at %.9f m, scan %s at %.9f m", p, k, radius, j, n.Code, n.DistanceM, all[j].code, all[j].d)
			}
		}
	}
}

// TestSmallestSortedIsTheHeadOfTheSortedSlice checks the bounded selection
// within lists its first components with, against a full sort.
func TestSmallestSortedIsTheHeadOfTheSortedSlice(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		s := make([]int, r.IntN(400))
		for i := range s {
			s[i] = r.IntN(100)
		}
		n := r.IntN(len(s) + 2)
		want := slices.Sorted(slices.Values(s))[:min(n, len(s))]
		if got := smallestSorted(slices.Clone(s), n, cmp.Compare[int]); !slices.Equal(got, want) {
			t.Fatalf("smallest %d of %v: %v, want %v", n, s, got, want)
		}
	}
}
