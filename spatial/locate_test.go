package spatial

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// checkAgainstBrute compares Locate with the brute-force answer at p.
func checkAgainstBrute(t *testing.T, ix *Index, ds *data.Dataset, p orb.Point, what string) {
	t.Helper()
	want := bruteLocate(ds, p)
	got, err := ix.Locate(p)
	if (want.grid == "") != errors.Is(err, ErrOutside) {
		t.Fatalf("%s %v: Locate error %v, brute-force grid %q", what, p, err, want.grid)
	}
	if got.UnitGrid.Code != want.grid || got.Community.Code != want.community || got.Street.Code != want.street || got.District.Code != want.district {
		t.Fatalf("%s %v: got grid %q community %q street %q district %q; brute force %q %q %q %q (covering %v)",
			what, p, got.UnitGrid.Code, got.Community.Code, got.Street.Code, got.District.Code,
			want.grid, want.community, want.street, want.district, want.coveringGrids)
	}
	if want.grid == "" {
		code, d := bruteNearestGrid(ds, p)
		if math.Abs(got.Nearest.DistanceM-d) > 0.01 || got.Nearest.Code != code && math.Abs(got.Nearest.DistanceM-d) > 1e-6 {
			t.Fatalf("%s %v: nearest grid %s at %.3f m, scan finds %s at %.3f m", what, p, got.Nearest.Code, got.Nearest.DistanceM, code, d)
		}
	}
	if len(got.ManagementGrids) != len(want.mgmt) {
		t.Fatalf("%s %v: management grids %v, brute force %v", what, p, got.ManagementGrids, want.mgmt)
	}
	for _, m := range got.ManagementGrids {
		if want.mgmt[m.Kind] != m.Code {
			t.Fatalf("%s %v: %s grid %q, brute force %q", what, p, m.Kind, m.Code, want.mgmt[m.Kind])
		}
	}
}

func TestLocateAgreesWithBruteForceScan(t *testing.T) {
	sc := newSynthCity(7, 30, 24, 0)
	ix, err := Build(sc.ds)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(11, 12))
	b := sc.bound.Pad(0.0005)
	// Uniform random points over the city and a margin outside it.
	for i := 0; i < 3000; i++ {
		p := orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
		checkAgainstBrute(t, ix, sc.ds, p, "random point")
	}
	// Every vertex of every grid: shared by up to four grids.
	seen := map[orb.Point]bool{}
	for _, g := range sc.ds.UnitGrids {
		for _, poly := range g.Geometry {
			for _, ring := range poly {
				for k, v := range ring {
					if !seen[v] {
						seen[v] = true
						checkAgainstBrute(t, ix, sc.ds, v, "vertex")
					}
					// Points snapped onto the edge: exact midpoints of
					// axis-parallel edges lie on them; on diagonal edges the
					// rounded point falls on either side or exactly on it —
					// the brute force decides which.
					if k+1 < len(ring) {
						w := ring[k+1]
						for _, tt := range []float64{0.5, r.Float64(), 0.25} {
							q := orb.Point{v[0] + tt*(w[0]-v[0]), v[1] + tt*(w[1]-v[1])}
							checkAgainstBrute(t, ix, sc.ds, q, "edge point")
						}
					}
				}
			}
		}
	}
	if len(seen) < 500 {
		t.Fatalf("only %d distinct vertices tested", len(seen))
	}
}

func TestSharedEdgesResolveToTheLowestCode(t *testing.T) {
	sc := newSynthCity(3, 12, 8, 0)
	ix, err := Build(sc.ds)
	if err != nil {
		t.Fatal(err)
	}
	// Column 3 of the lattice is straight (a meridian), so the midpoint of
	// its edge between rows 5 and 6 is exactly on the edge shared by the
	// grids of cells (2,5) and (3,5).
	a, b := sc.verts[3][5], sc.verts[3][6]
	mid := orb.Point{a[0], (a[1] + b[1]) / 2}
	want := bruteLocate(sc.ds, mid)
	if len(want.coveringGrids) != 2 {
		t.Fatalf("test setup: %v covered by %v, want two grids", mid, want.coveringGrids)
	}
	got, err := ix.Locate(mid)
	if err != nil {
		t.Fatal(err)
	}
	low := min(want.coveringGrids[0], want.coveringGrids[1])
	if got.UnitGrid.Code != low {
		t.Fatalf("shared edge resolved to %s, want the lowest of %v", got.UnitGrid.Code, want.coveringGrids)
	}
	// The interior vertex (2,5) is shared by four grids.
	v := sc.verts[2][5]
	want = bruteLocate(sc.ds, v)
	if len(want.coveringGrids) != 4 {
		t.Fatalf("test setup: vertex covered by %v, want four grids", want.coveringGrids)
	}
	got, _ = ix.Locate(v)
	for _, c := range want.coveringGrids {
		if c < got.UnitGrid.Code {
			t.Fatalf("shared vertex resolved to %s, but %s also covers it and is lower", got.UnitGrid.Code, c)
		}
	}
}

// square is a closed counter-clockwise ring of the box [x0,x1]×[y0,y1]
// around the demo city's longitude and latitude.
func square(x0, y0, x1, y1 float64) orb.Ring {
	const lon, lat, s = 118.78, 31.99, 0.001
	return orb.Ring{{lon + x0*s, lat + y0*s}, {lon + x1*s, lat + y0*s}, {lon + x1*s, lat + y1*s}, {lon + x0*s, lat + y1*s}, {lon + x0*s, lat + y0*s}}
}

func at(x, y float64) orb.Point { return orb.Point{118.78 + x*0.001, 31.99 + y*0.001} }

func TestLocateHandBuiltCases(t *testing.T) {
	hole := square(1, 1, 3, 3)
	hole.Reverse()
	ds := &data.Dataset{
		UnitGrids: []data.UnitGrid{
			// A: 4×4 square with a 2×2 hole.
			{Code: "320114001001002", Community: "320114001001", Geometry: orb.MultiPolygon{{square(0, 0, 4, 4), hole}}},
			// B: the island filling A's hole.
			{Code: "320114001001003", Community: "320114001001", Geometry: orb.MultiPolygon{{square(1, 1, 3, 3)}}},
			// C: east neighbour of A sharing the edge x=4.
			{Code: "320114001001001", Community: "320114001001", Geometry: orb.MultiPolygon{{square(4, 0, 8, 4)}}},
			// D: a two-part grid north of A and C, with a gap at x∈(4,5).
			{Code: "320114001001004", Community: "320114001001", Geometry: orb.MultiPolygon{{square(0, 4, 4, 6)}, {square(5, 4, 8, 6)}}},
			// E: touches D's second part and C only at the vertex (8,4)... and
			// shares the vertex (8,4) with C and D.
			{Code: "320114001001005", Community: "320114001001", Geometry: orb.MultiPolygon{{square(8, 2, 9, 4)}, {square(8, 4, 10, 5)}}},
		},
	}
	ix, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    orb.Point
		want string // "" = outside
	}{
		{"a point in a polygon's interior is in it", at(0.5, 0.5), "320114001001002"},
		{"a point in a hole belongs to the island filling it", at(2, 2), "320114001001003"},
		{"a point on a hole's edge is covered by both and goes to the lower code", at(1, 2), "320114001001002"},
		{"a point on a hole's corner is covered by both and goes to the lower code", at(3, 3), "320114001001002"},
		{"a point on a shared edge goes to the lower code", at(4, 2), "320114001001001"},
		{"a point on the outer corner of one grid only is covered", at(0, 0), "320114001001002"},
		{"a point on an outer edge is covered", at(2, 0), "320114001001002"},
		{"a point in the second part of a multipolygon is in it", at(6, 5), "320114001001004"},
		{"a point in the gap between multipolygon parts is outside", at(4.5, 5), ""},
		{"a vertex shared by three grids goes to the lowest code", at(8, 4), "320114001001001"},
		{"a point just outside the city is outside", at(-0.001, 2), ""},
		{"a point far outside the city is outside", at(-500, -500), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ix.Locate(tc.p)
			if tc.want == "" {
				if !errors.Is(err, ErrOutside) || !errors.Is(err, data.ErrNotFound) || got.Covered {
					t.Fatalf("Locate(%v) = %+v, %v; want outside", tc.p, got.UnitGrid, err)
				}
				if got.Nearest.Code == "" || got.Nearest.DistanceM <= 0 {
					t.Fatalf("outside point names no nearest grid: %+v", got.Nearest)
				}
				return
			}
			if err != nil || got.UnitGrid.Code != tc.want || !got.Covered {
				t.Fatalf("Locate(%v) = %q, %v; want %q", tc.p, got.UnitGrid.Code, err, tc.want)
			}
			if bl := bruteLocate(ds, tc.p); bl.grid != tc.want {
				t.Fatalf("the brute force disagrees with the hand-computed answer: %q", bl.grid)
			}
		})
	}
}

func TestOutsidePointsNameTheNearestGridAndDistance(t *testing.T) {
	ds := &data.Dataset{UnitGrids: []data.UnitGrid{
		{Code: "320114001001001", Geometry: orb.MultiPolygon{{square(0, 0, 1, 1)}}},
		{Code: "320114001001002", Geometry: orb.MultiPolygon{{square(1, 0, 2, 1)}}},
		{Code: "320114001001003", Geometry: orb.MultiPolygon{{square(5, 5, 6, 6)}}},
	}}
	ix, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	// 0.5 units (0.0005°) due south of the first grid: 55.6 m.
	p := at(0.5, -0.5)
	got, err := ix.Locate(p)
	if !errors.Is(err, ErrOutside) {
		t.Fatalf("want outside, got %v", err)
	}
	wantD := data.HaversineM(p, at(0.5, 0))
	if got.Nearest.Code != "320114001001001" || math.Abs(got.Nearest.DistanceM-wantD) > 0.01 {
		t.Fatalf("nearest = %+v, want 320114001001001 at %.2f m", got.Nearest, wantD)
	}
	// Equidistant from both grids (below their shared corner): lower code.
	got, _ = ix.Locate(at(1, -0.5))
	if got.Nearest.Code != "320114001001001" {
		t.Fatalf("tie resolved to %s, want the lower code", got.Nearest.Code)
	}
	// Near the far grid: its distance, not the bounding box's.
	got, _ = ix.Locate(at(7, 7))
	if want := data.HaversineM(at(7, 7), at(6, 6)); got.Nearest.Code != "320114001001003" || math.Abs(got.Nearest.DistanceM-want) > 0.5 {
		t.Fatalf("nearest = %+v, want 320114001001003 at %.1f m", got.Nearest, want)
	}
}

func TestLocateRejectsInvalidCoordinates(t *testing.T) {
	ix, _ := Build(&data.Dataset{})
	for _, p := range []orb.Point{{181, 0}, {0, 90.5}, {math.NaN(), 0}, {0, math.Inf(1)}} {
		_, err := ix.Locate(p)
		var ve *data.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("Locate(%v) error %v, want a validation error", p, err)
		}
	}
}

func TestOrientIsExactOnNearlyCollinearPoints(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ratSign := func(ax, ay, bx, by, cx, cy float64) int {
		return ratOrient(ax, ay, bx, by, cx, cy)
	}
	for i := 0; i < 20000; i++ {
		ax, ay := 118.7+r.Float64()*0.1, 31.9+r.Float64()*0.1
		bx, by := 118.7+r.Float64()*0.1, 31.9+r.Float64()*0.1
		tt := r.Float64()
		cx, cy := ax+tt*(bx-ax), ay+tt*(by-ay)
		// nudge by a few ulps
		for k := r.IntN(3); k > 0; k-- {
			cx = math.Nextafter(cx, math.Inf(2*r.IntN(2)-1))
		}
		if got, want := orient(ax, ay, bx, by, cx, cy), ratSign(ax, ay, bx, by, cx, cy); got != want {
			t.Fatalf("orient(%v,%v,%v,%v,%v,%v) = %d, exact %d", ax, ay, bx, by, cx, cy, got, want)
		}
	}
}

func TestLocateAgreesWithBruteForceOnTheDemoCity(t *testing.T) {
	ds := demoCity(t, 0.02)
	ix, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cityPoints(ds, 1500, 17) {
		checkAgainstBrute(t, ix, ds, p, "random point")
	}
	for i := 0; i < len(ds.UnitGrids); i += 3 {
		for _, v := range ds.UnitGrids[i].Geometry[0][0] {
			checkAgainstBrute(t, ix, ds, v, "vertex")
		}
	}
}

func TestHilbertKeysKeepNeighboursClose(t *testing.T) {
	ext := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}
	// Along the curve, consecutive keys are adjacent cells: walking all
	// keys of a 2^k grid must visit each cell once. Check on the order-16
	// curve that the four quadrants get the four quarters of the key range.
	q := []orb.Point{{0.25, 0.25}, {0.25, 0.75}, {0.75, 0.75}, {0.75, 0.25}}
	for i, p := range q {
		k := hilbertKey(ext, p)
		if k>>30 != uint32(i) {
			t.Errorf("quadrant %v has key quarter %d, want %d", p, k>>30, i)
		}
	}
	seen := map[uint32]bool{}
	for x := 0; x < 64; x++ {
		for y := 0; y < 64; y++ {
			k := hilbertKey(ext, orb.Point{(float64(x) + 0.5) / 64, (float64(y) + 0.5) / 64})
			if seen[k] {
				t.Fatalf("key %d repeated", k)
			}
			seen[k] = true
		}
	}
}

// FuzzLocate checks Locate against the brute-force scan at arbitrary
// points over (and around) a synthetic city, including lattice vertices
// and edge points the fuzzer reaches through the snap argument.
func FuzzLocate(f *testing.F) {
	sc := newSynthCity(7, 12, 10, 0)
	ix, err := Build(sc.ds)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(0.5, 0.5, uint8(0))
	f.Add(0.0, 0.0, uint8(1))
	f.Add(0.25, 0.75, uint8(2))
	f.Add(-0.1, 1.1, uint8(0))
	f.Fuzz(func(t *testing.T, u, v float64, snap uint8) {
		if math.IsNaN(u) || math.IsNaN(v) || math.IsInf(u, 0) || math.IsInf(v, 0) || math.Abs(u) > 2 || math.Abs(v) > 2 {
			return
		}
		b := sc.bound
		p := orb.Point{b.Min[0] + u*(b.Max[0]-b.Min[0]), b.Min[1] + v*(b.Max[1]-b.Min[1])}
		switch snap % 3 {
		case 1: // nearest lattice vertex
			i := min(sc.nx, max(0, int(math.Round(u*float64(sc.nx)))))
			j := min(sc.ny, max(0, int(math.Round(v*float64(sc.ny)))))
			p = sc.verts[i][j]
		case 2: // a point on the lattice edge to the east of that vertex
			i := min(sc.nx-1, max(0, int(u*float64(sc.nx))))
			j := min(sc.ny, max(0, int(v*float64(sc.ny))))
			a, c := sc.verts[i][j], sc.verts[i+1][j]
			t := math.Mod(math.Abs(u*997), 1)
			p = orb.Point{a[0] + t*(c[0]-a[0]), a[1] + t*(c[1]-a[1])}
		}
		checkAgainstBrute(t, ix, sc.ds, p, "fuzzed point")
	})
}

func TestPolygonsCanBeRemovedAndReaddedInPlace(t *testing.T) {
	sc := newSynthCity(8, 10, 8, 0)
	ix, err := Build(sc.ds)
	if err != nil {
		t.Fatal(err)
	}
	g := sc.ds.UnitGrids[sc.gridIndex(5, 5)]
	c := centroid(g.Geometry[0][0])
	before, err := ix.Locate(c)
	if err != nil || before.UnitGrid.Code != g.Code {
		t.Fatalf("before: %q, %v; want %s", before.UnitGrid.Code, err, g.Code)
	}
	if !ix.grids.remove(g.Code) {
		t.Fatal("remove failed")
	}
	if got, err := ix.Locate(c); !IsOutside(err) {
		t.Fatalf("after removal the point is still in %q (%v)", got.UnitGrid.Code, err)
	}
	comm := before.Community.Code
	if !ix.admin[2].remove(comm) {
		t.Fatal("community remove failed")
	}
	if got, _ := ix.Locate(c); got.Community.Code != "" {
		t.Fatalf("after removing its community the point is still in %q", got.Community.Code)
	}
	if err := ix.grids.add(g.Code, sc.gridIndex(5, 5), g.Geometry); err != nil {
		t.Fatal(err)
	}
	if got, err := ix.Locate(c); err != nil || got.UnitGrid.Code != g.Code {
		t.Fatalf("after re-adding: %q, %v", got.UnitGrid.Code, err)
	}
	if err := ix.grids.add(g.Code, 0, g.Geometry); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("adding a duplicate: %v", err)
	}
	// A point at (0, 0) must not trip over the removed polygons.
	if _, err := ix.Locate(orb.Point{0, 0}); !IsOutside(err) {
		t.Fatalf("(0,0): %v", err)
	}
}

// bruteNearestGrid scans every ring segment of every unit grid for the one
// closest to p (planar in a local projection, ties to the lower code) and
// returns the great-circle distance to the closest point found.
func bruteNearestGrid(ds *data.Dataset, p orb.Point) (string, float64) {
	lp := newLocalPlane(p)
	best, bestD := "", math.Inf(1)
	var bestQ orb.Point
	for _, g := range ds.UnitGrids {
		for _, poly := range g.Geometry {
			for _, ring := range poly {
				for k := 0; k+1 < len(ring); k++ {
					ax, ay := lp.project(ring[k][0], ring[k][1])
					bx, by := lp.project(ring[k+1][0], ring[k+1][1])
					x, y := nearestOnSegment(ax, ay, bx, by)
					d := math.Sqrt(x*x + y*y)
					if d < bestD || d == bestD && g.Code < best {
						best, bestD, bestQ = g.Code, d, lp.unproject(x, y)
					}
				}
			}
		}
	}
	return best, data.HaversineM(p, bestQ)
}

func TestRadixSortSorts(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	keys := make([]uint64, 10000)
	for i := range keys {
		keys[i] = r.Uint64()
		if i%3 == 0 {
			keys[i] &= 0xffff0000ffff // repeated zero digits
		}
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	radixSort64(keys)
	if !slices.Equal(keys, want) {
		t.Fatal("radixSort64 did not sort")
	}
}
