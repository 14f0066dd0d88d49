package tiles

import (
	"context"
	"errors"
	"math"
	"math/rand"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
)

func decode(t *testing.T, b []byte) map[string]*mvt.Layer {
	t.Helper()
	ls, err := mvt.UnmarshalGzipped(b)
	if err != nil {
		t.Fatalf("decode tile: %v", err)
	}
	out := map[string]*mvt.Layer{}
	for _, l := range ls {
		if out[l.Name] != nil {
			t.Fatalf("layer %s appears twice", l.Name)
		}
		out[l.Name] = l
	}
	return out
}

func mustTileset(t testing.TB, ds *data.Dataset, opt Options) *Tileset {
	t.Helper()
	ts, err := New(fakeSource{ds}, opt)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// lat66 is the latitude whose Web Mercator y is a quarter of the world.
var lat66 = math.Atan(math.Sinh(math.Pi/2)) * 180 / math.Pi

func ringPoints(r orb.Ring) []orb.Point {
	if len(r) > 1 && r[0] == r[len(r)-1] {
		return r[:len(r)-1]
	}
	return r
}

func TestPolygonsComeOutClockwiseOnScreen(t *testing.T) {
	ccw := rect(0, 0, 90, lat66)
	cw := orb.MultiPolygon{{ringPoints(ccw[0][0])}}
	cw[0][0] = append(orb.Ring{}, cw[0][0]...)
	cw[0][0].Reverse()
	withHole := orb.MultiPolygon{{ccw[0][0], rect(10, 10, 20, 20)[0][0]}}
	// At z0 lon 0..90 is x 2048..3072 and lat 0..66.51° is y 2048..1024;
	// clockwise on screen (y down) from the first vertex (2048,2048) runs
	// up first.
	want := []orb.Point{{2048, 2048}, {2048, 1024}, {3072, 1024}, {3072, 2048}}
	tests := []struct {
		name string
		mp   orb.MultiPolygon
	}{
		{"a counter-clockwise lon/lat ring is reversed", ccw},
		{"a clockwise lon/lat ring is kept as it is", cw},
		{"a polygon with a hole keeps its exterior clockwise", withHole},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newTileFrame(0, 0, 0)
			got := f.polygonInTile(tc.mp)
			if len(got) != 1 {
				t.Fatalf("got %d polygons, want 1", len(got))
			}
			ext := ringPoints(got[0][0])
			if ringArea(ext) <= 0 {
				t.Errorf("exterior area %v, want positive", ringArea(ext))
			}
			if ext[0] == want[0] {
				for i := range want {
					if ext[i] != want[i] {
						t.Fatalf("exterior %v, want %v", ext, want)
					}
				}
			} else if ringArea(ext) != ringArea(want) {
				t.Fatalf("exterior %v, want %v", ext, want)
			}
			for _, h := range got[0][1:] {
				if ringArea(h) >= 0 {
					t.Errorf("hole area %v, want negative", ringArea(h))
				}
			}
			if len(tc.mp[0]) != len(got[0]) {
				t.Errorf("got %d rings, want %d", len(got[0]), len(tc.mp[0]))
			}
		})
	}
}

func TestPolygonsAreClippedToTheBuffer(t *testing.T) {
	tile := maptile.At(orb.Point{118.78, 31.99}, 14)
	f := newTileFrame(14, tile.X, tile.Y)
	big := rect(118.7, 31.9, 118.9, 32.1)
	got := f.polygonInTile(big)
	if len(got) != 1 || len(got[0]) != 1 {
		t.Fatalf("got %v", got)
	}
	want := orb.Bound{Min: orb.Point{-Buffer, -Buffer}, Max: orb.Point{Extent + Buffer, Extent + Buffer}}
	if b := got[0][0].Bound(); b != want {
		t.Errorf("clipped bound %v, want the buffered tile %v", b, want)
	}
	if n := len(ringPoints(got[0][0])); n != 4 {
		t.Errorf("clipped ring has %d corners, want 4", n)
	}
	far := rect(100, 10, 101, 11)
	if g := f.polygonInTile(far); g != nil {
		t.Errorf("a polygon far away gave %v, want nothing", g)
	}
}

// TestSharedEdgesStayShared snaps a jittered lattice of grids: the grid
// areas must add up exactly to the area of the lattice's outline, which
// only holds when no gap or overlap opens between neighbours.
func TestSharedEdgesStayShared(t *testing.T) {
	const n = 12
	rng := rand.New(rand.NewSource(3))
	step := 0.0011
	var corner [n + 1][n + 1]orb.Point
	for i := 0; i <= n; i++ {
		for j := 0; j <= n; j++ {
			jx, jy := 0.0, 0.0
			if i > 0 && i < n && j > 0 && j < n {
				jx, jy = (rng.Float64()-0.5)*step*0.3, (rng.Float64()-0.5)*step*0.3
			}
			corner[i][j] = orb.Point{118.775 + float64(i)*step + jx, 31.985 + float64(j)*step + jy}
		}
	}
	mid := func(i, j int) orb.Point {
		a, b := corner[i][j], corner[i+1][j]
		return orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
	}
	var outline orb.Ring
	for i := 0; i < n; i++ {
		outline = append(outline, corner[i][0], mid(i, 0))
	}
	for j := 0; j < n; j++ {
		outline = append(outline, corner[n][j])
	}
	for i := n; i > 0; i-- {
		outline = append(outline, corner[i][n], mid(i-1, n))
	}
	for j := n; j > 0; j-- {
		outline = append(outline, corner[0][j])
	}
	outline = append(outline, outline[0])
	for _, z := range []int{11, 12, 13, 14, 15, 16} {
		tile := maptile.At(orb.Point{118.78, 31.99}, maptile.Zoom(z))
		f := newTileFrame(z, tile.X, tile.Y)
		total := 0.0
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				// the middle of each horizontal edge is a vertex of both
				// grids it separates, so collinear-point removal is
				// exercised too
				a, b, c, d := corner[i][j], corner[i+1][j], corner[i+1][j+1], corner[i][j+1]
				g := orb.MultiPolygon{{{a, mid(i, j), b, c, mid(i, j+1), d, a}}}
				for _, p := range f.polygonInTile(g) {
					total += planar.Area(p) // rings oriented: exterior minus holes
				}
			}
		}
		whole := f.polygonInTile(orb.MultiPolygon{{outline}})
		want := 0.0
		for _, p := range whole {
			want += planar.Area(p)
		}
		if total != want {
			t.Errorf("z%d: grids add up to %v tile units², outline is %v: gaps or overlaps", z, total, want)
		}
	}
}

func TestLinesAreSimplifiedWithoutZeroLengthSteps(t *testing.T) {
	var ls orb.LineString
	for i := 0; i <= 200; i++ {
		ls = append(ls, orb.Point{118.77 + 0.0001*float64(i), 31.99 + 0.0000001*float64(i%2)})
	}
	for _, z := range []int{10, 14, 17} {
		tile := maptile.At(orb.Point{118.78, 31.99}, maptile.Zoom(z))
		f := newTileFrame(z, tile.X, tile.Y)
		got := f.lineInTile(orb.MultiLineString{ls})
		if got == nil {
			t.Fatalf("z%d: line vanished", z)
		}
		for _, l := range got {
			for i := 1; i < len(l); i++ {
				if l[i] == l[i-1] {
					t.Fatalf("z%d: zero-length step at %v", z, l[i])
				}
			}
		}
		if z == 10 && (len(got) != 1 || len(got[0]) != 2) {
			t.Errorf("z10: a nearly straight line kept %v, want its two ends", got)
		}
	}
}

func TestLabelPointsLieInsideTheirPolygon(t *testing.T) {
	tests := []struct {
		name string
		mp   orb.MultiPolygon
	}{
		{"an L-shaped grid whose centroid is outside it", orb.MultiPolygon{{{{0, 0}, {10, 0}, {10, 1}, {1, 1}, {1, 10}, {0, 10}, {0, 0}}}}},
		{"a square with a hole in its middle", orb.MultiPolygon{{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}, {{2, 2}, {8, 2}, {8, 8}, {2, 8}, {2, 2}}}}},
		{"a multipolygon labels its largest part", orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}, {{{5, 5}, {9, 5}, {9, 9}, {5, 9}, {5, 5}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := LabelPoint(tc.mp)
			if !ok || !planar.MultiPolygonContains(tc.mp, p) {
				t.Errorf("label point %v (ok %v) is outside", p, ok)
			}
		})
	}
	if tc := (orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}, {{{5, 5}, {9, 5}, {9, 9}, {5, 9}, {5, 5}}}}); true {
		if p, _ := LabelPoint(tc); p[0] < 5 {
			t.Errorf("label %v not in the largest part", p)
		}
	}
}

func TestTileAddressesOutsideTheTilesetAreRejected(t *testing.T) {
	ts := mustTileset(t, testCity(10, 1), Options{})
	tests := []struct {
		name    string
		z, x, y int
	}{
		{"a zoom past the maximum", 18, 0, 0},
		{"a negative zoom", -1, 0, 0},
		{"x of 2^z", 3, 8, 0},
		{"a negative y", 3, 0, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ts.Tile(context.Background(), tc.z, tc.x, tc.y); !errors.Is(err, ErrOutOfRange) {
				t.Errorf("err = %v, want ErrOutOfRange", err)
			}
		})
	}
}

func TestATileAwayFromTheCityIsEmpty(t *testing.T) {
	ts := mustTileset(t, testCity(10, 1), Options{})
	b, err := ts.Tile(context.Background(), 14, 0, 0)
	if err != nil || b != nil {
		t.Fatalf("got %d bytes, %v; want none", len(b), err)
	}
}

func TestTilesHoldEveryLayerWithTheAttributesOfTheirZoom(t *testing.T) {
	ds := testCity(400, 1)
	ts := mustTileset(t, ds, Options{})
	at := orb.Point{cityW + 0.0045, cityS + 0.0055} // inside a unit grid and landmark P001 nearby
	tests := []struct {
		z      int
		layers []string
		absent []string
	}{
		{10, []string{data.LayerDistricts, data.LayerStreets, data.LayerRoads, LayerComponentClusters, LayerLabels}, []string{data.LayerUnitGrids, data.LayerComponents, data.LayerCommunities}},
		{14, []string{data.LayerDistricts, data.LayerCommunities, data.LayerUnitGrids, data.LayerManagementGrids, data.LayerComponents}, []string{data.LayerAddresses}},
		{17, []string{data.LayerUnitGrids, data.LayerComponents, data.LayerPOIs, LayerLabels}, []string{LayerComponentClusters}},
	}
	for _, tc := range tests {
		tile := maptile.At(at, maptile.Zoom(tc.z))
		b, err := ts.Tile(context.Background(), tc.z, int(tile.X), int(tile.Y))
		if err != nil || b == nil {
			t.Fatalf("z%d: %v, %d bytes", tc.z, err, len(b))
		}
		ls := decode(t, b)
		for _, name := range tc.layers {
			l := ls[name]
			if l == nil {
				t.Errorf("z%d: layer %s missing", tc.z, name)
				continue
			}
			if l.Version != 2 || l.Extent != Extent {
				t.Errorf("z%d %s: version %d extent %d, want 2 and 4096", tc.z, name, l.Version, l.Extent)
			}
			ids := map[any]bool{}
			for _, f := range l.Features {
				if ids[f.ID] {
					t.Errorf("z%d %s: id %v repeats", tc.z, name, f.ID)
				}
				ids[f.ID] = true
			}
		}
		for _, name := range tc.absent {
			if ls[name] != nil {
				t.Errorf("z%d: layer %s should not be there yet", tc.z, name)
			}
		}
		if l := ls[data.LayerUnitGrids]; l != nil {
			areas := map[string]float64{}
			for _, g := range ds.UnitGrids {
				areas[g.Code] = g.AreaM2
			}
			for _, f := range l.Features {
				a, hasArea := f.Properties["area_m2"]
				if hasArea != (tc.z >= 16) {
					t.Errorf("z%d: unit grid area attribute present=%v", tc.z, hasArea)
				}
				if hasArea && math.Abs(a.(float64)-areas[f.Properties.MustString("code")]) > 0.05 {
					t.Errorf("z%d: area_m2 %v, store %v", tc.z, a, areas[f.Properties.MustString("code")])
				}
			}
		}
		if l := ls[data.LayerPOIs]; l != nil {
			for _, f := range l.Features {
				if lm, ok := f.Properties["landmark"].(bool); !ok || lm != (f.Properties["code"] == "P001") {
					t.Errorf("z%d: POI %v landmark %#v", tc.z, f.Properties["code"], f.Properties["landmark"])
				}
			}
		}
		if l := ls[LayerComponentClusters]; l != nil {
			for _, f := range l.Features {
				if n, ok := f.Properties["count"].(float64); !ok || n < 1 || n != math.Trunc(n) {
					t.Errorf("z%d: cluster count %#v", tc.z, f.Properties["count"])
				}
			}
		}
	}
}

// TestComponentsAreDrawnOnceOrCounted checks at every zoom that each
// component of the city is either one feature of the components layer in
// exactly one tile or counted once in component_clusters.
func TestComponentsAreDrawnOnceOrCounted(t *testing.T) {
	ds := testCity(3000, 7)
	ts := mustTileset(t, ds, Options{})
	if ts.componentAll <= ts.componentMin {
		t.Fatalf("every category starts at z%d: the per-zoom buckets go untested", ts.componentMin)
	}
	byCode := map[string]*data.Component{}
	for i := range ds.Components {
		byCode[ds.Components[i].Code] = &ds.Components[i]
	}
	for _, z := range []int{11, 13, 14, 15, 16, 17} {
		b := ts.Bounds()
		lo, hi := maptile.At(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z)), maptile.At(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
		seen := map[string]int{}
		counted := int64(0)
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				raw, err := ts.Tile(context.Background(), z, int(x), int(y))
				if err != nil {
					t.Fatal(err)
				}
				if raw == nil {
					continue
				}
				ls := decode(t, raw)
				if l := ls[data.LayerComponents]; l != nil {
					for _, f := range l.Features {
						code := f.Properties.MustString("code")
						c := byCode[code]
						if c == nil {
							t.Fatalf("unknown component %s", code)
						}
						if f.Properties.MustString("category") != c.Category {
							t.Errorf("%s: category %v", code, f.Properties["category"])
						}
						if _, isPoint := c.Geometry.(orb.Point); isPoint {
							seen[code]++
						} else if seen[code] == 0 {
							seen[code] = 1 // shapes repeat in the buffer of neighbours
						}
						if id, _ := f.ID.(float64); uint64(id) != featureID(data.LayerComponents, code) {
							t.Errorf("%s: id %v is not stable", code, f.ID)
						}
					}
				}
				if l := ls[LayerComponentClusters]; l != nil {
					for _, f := range l.Features {
						counted += int64(f.Properties.MustFloat64("count"))
					}
				}
			}
		}
		drawn := 0
		for code, n := range seen {
			if n != 1 {
				t.Errorf("z%d: component %s drawn %d times", z, code, n)
			}
			drawn++
			if ts.CategoryMinZoom(byCode[code].Category) > z {
				t.Errorf("z%d: %s drawn below its category's zoom", z, code)
			}
		}
		if int64(drawn)+counted != int64(len(ds.Components)) {
			t.Errorf("z%d: %d drawn + %d counted, want %d", z, drawn, counted, len(ds.Components))
		}
	}
}

func TestTilesAreTheSameBytesWhateverTheDatasetOrder(t *testing.T) {
	a := testCity(2000, 5)
	b := testCity(2000, 5)
	rng := rand.New(rand.NewSource(9))
	rng.Shuffle(len(b.Components), func(i, j int) { b.Components[i], b.Components[j] = b.Components[j], b.Components[i] })
	rng.Shuffle(len(b.UnitGrids), func(i, j int) { b.UnitGrids[i], b.UnitGrids[j] = b.UnitGrids[j], b.UnitGrids[i] })
	ta, tb := mustTileset(t, a, Options{Version: "x"}), mustTileset(t, b, Options{Version: "x"})
	for _, z := range []int{12, 14, 16, 17} {
		tile := maptile.At(orb.Point{cityW + 0.011, cityS + 0.009}, maptile.Zoom(z))
		x, y := int(tile.X), int(tile.Y)
		ba, err1 := ta.Tile(context.Background(), z, x, y)
		bb, err2 := tb.Tile(context.Background(), z, x, y)
		if err1 != nil || err2 != nil || ba == nil {
			t.Fatalf("z%d: %v %v", z, err1, err2)
		}
		if string(ba) != string(bb) {
			t.Errorf("z%d: tiles differ (%d and %d bytes)", z, len(ba), len(bb))
		}
	}
}

func TestTheDataVersionFollowsTheData(t *testing.T) {
	a, b := testCity(50, 1), testCity(50, 1)
	if DataVersion(a) != DataVersion(b) {
		t.Fatal("equal datasets give different versions")
	}
	b.Components[3].Status = data.StatusDamaged
	if DataVersion(a) == DataVersion(b) {
		t.Error("a changed status left the version unchanged")
	}
	b = testCity(50, 1)
	b.UnitGrids[0].Geometry[0][0][1][0] += 1e-7
	if DataVersion(a) == DataVersion(b) {
		t.Error("a moved vertex left the version unchanged")
	}
}

func TestCleanRingDropsRepeatsSpikesAndStraightCorners(t *testing.T) {
	tests := []struct {
		name string
		in   orb.Ring
		snap float64
		want []orb.Point // nil: the ring collapses
	}{
		{"a square stays a square", orb.Ring{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}, 1,
			[]orb.Point{{0, 0}, {10, 0}, {10, 10}, {0, 10}}},
		{"a repeated point goes", orb.Ring{{0, 0}, {10, 0}, {10, 0}, {10, 10}, {0, 10}}, 1,
			[]orb.Point{{0, 0}, {10, 0}, {10, 10}, {0, 10}}},
		{"a point on a straight edge goes", orb.Ring{{0, 0}, {5, 0}, {10, 0}, {10, 10}, {0, 10}}, 1,
			[]orb.Point{{0, 0}, {10, 0}, {10, 10}, {0, 10}}},
		{"a spike out of an edge goes", orb.Ring{{0, 0}, {5, 0}, {5, -7}, {5, 0}, {10, 0}, {10, 10}, {0, 10}}, 1,
			[]orb.Point{{0, 0}, {10, 0}, {10, 10}, {0, 10}}},
		{"coordinates round to the grid", orb.Ring{{0.4, 0.2}, {9.6, 0.4}, {10.2, 9.7}, {-0.3, 10.4}}, 1,
			[]orb.Point{{0, 0}, {10, 0}, {10, 10}, {0, 10}}},
		{"a coarse grid snaps to its multiples", orb.Ring{{1, 1}, {30, 2}, {31, 29}, {2, 31}}, 8,
			[]orb.Point{{0, 0}, {32, 0}, {32, 32}, {0, 32}}},
		{"a ring thinner than the grid collapses", orb.Ring{{0, 0}, {30, 1}, {30, 2}, {0, 1}}, 8, nil},
		{"a line of points collapses", orb.Ring{{0, 0}, {5, 5}, {10, 10}, {0, 0}}, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := cleanRing(tc.in, tc.snap)
			if tc.want == nil {
				if got != nil {
					t.Fatalf("got %v, want nothing", got)
				}
				return
			}
			if got == nil || got[0] != got[len(got)-1] {
				t.Fatalf("got %v, want a closed ring", got)
			}
			pts := ringPoints(got)
			if len(pts) != len(tc.want) {
				t.Fatalf("got %v, want %v", pts, tc.want)
			}
			// same cyclic sequence, whatever the start
			for s := range pts {
				if pts[s] != tc.want[0] {
					continue
				}
				for i := range tc.want {
					if pts[(s+i)%len(pts)] != tc.want[i] {
						t.Fatalf("got %v, want %v", pts, tc.want)
					}
				}
				return
			}
			t.Fatalf("got %v, want %v", pts, tc.want)
		})
	}
}
