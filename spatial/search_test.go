package spatial

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// TestSearchMethodsAgreeWithBruteForce checks every bound search the tiles
// package relies on against a scan of the dataset: the same set of items,
// whose bounds intersect the query box, and an early stop when fn says so.
func TestSearchMethodsAgreeWithBruteForce(t *testing.T) {
	sc := newSynthCity(31, 16, 12, 3)
	ds := sc.ds
	r := rand.New(rand.NewPCG(2, 3))
	for i := 0; i < 40; i++ {
		ds.Roads = append(ds.Roads, data.Road{Code: string(rune('A'+i%26)) + string(rune('a'+i/26)), Geometry: orb.MultiLineString{{randIn(r, sc.bound), randIn(r, sc.bound)}}})
		ds.Addresses = append(ds.Addresses, data.Address{Code: ds.Roads[i].Code, Point: randIn(r, sc.bound)})
		ds.POIs = append(ds.POIs, data.POI{Code: ds.Roads[i].Code, Point: randIn(r, sc.bound)})
	}
	ix, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	type search struct {
		name  string
		run   func(b orb.Bound, stopAfter int) []string
		brute func(b orb.Bound) []string
	}
	collect := func(stopAfter int, out *[]string) func(code string) bool {
		return func(code string) bool {
			*out = append(*out, code)
			return stopAfter <= 0 || len(*out) < stopAfter
		}
	}
	var searches []search
	for _, level := range []data.AdminLevel{data.LevelDistrict, data.LevelStreet, data.LevelCommunity} {
		searches = append(searches, search{"admin units " + string(level),
			func(b orb.Bound, n int) (out []string) {
				f := collect(n, &out)
				ix.AdminUnits(level, b, func(u *data.AdminUnit) bool { return f(u.Code) })
				return
			},
			func(b orb.Bound) (out []string) {
				for _, u := range ds.AdminUnits {
					if u.Level == level && u.Geometry.Bound().Intersects(b) {
						out = append(out, u.Code)
					}
				}
				return
			}})
	}
	searches = append(searches,
		search{"unit grids", func(b orb.Bound, n int) (out []string) {
			f := collect(n, &out)
			ix.UnitGrids(b, func(g *data.UnitGrid) bool { return f(g.Code) })
			return
		}, func(b orb.Bound) (out []string) {
			for _, g := range ds.UnitGrids {
				if g.Geometry.Bound().Intersects(b) {
					out = append(out, g.Code)
				}
			}
			return
		}},
		search{"management grids of all kinds", func(b orb.Bound, n int) (out []string) {
			f := collect(n, &out)
			ix.ManagementGrids("", b, func(g *data.ManagementGrid) bool { return f(g.Kind + g.Code) })
			return
		}, func(b orb.Bound) (out []string) {
			for _, g := range ds.ManagementGrids {
				if g.Geometry.Bound().Intersects(b) {
					out = append(out, g.Kind+g.Code)
				}
			}
			return
		}},
		search{"inspector grids", func(b orb.Bound, n int) (out []string) {
			f := collect(n, &out)
			ix.ManagementGrids(data.KindInspector, b, func(g *data.ManagementGrid) bool { return f(g.Code) })
			return
		}, func(b orb.Bound) (out []string) {
			for _, g := range ds.ManagementGrids {
				if g.Kind == data.KindInspector && g.Geometry.Bound().Intersects(b) {
					out = append(out, g.Code)
				}
			}
			return
		}},
		search{"components", func(b orb.Bound, n int) (out []string) {
			f := collect(n, &out)
			ix.Components(b, func(c *data.Component) bool { return f(c.Code) })
			return
		}, func(b orb.Bound) (out []string) {
			for _, c := range ds.Components {
				if c.Geometry.Bound().Intersects(b) {
					out = append(out, c.Code)
				}
			}
			return
		}},
		search{"roads", func(b orb.Bound, n int) (out []string) {
			f := collect(n, &out)
			ix.Roads(b, func(r *data.Road) bool { return f(r.Code) })
			return
		}, func(b orb.Bound) (out []string) {
			for _, r := range ds.Roads {
				if r.Geometry.Bound().Intersects(b) {
					out = append(out, r.Code)
				}
			}
			return
		}},
		search{"addresses", func(b orb.Bound, n int) (out []string) {
			f := collect(n, &out)
			ix.Addresses(b, func(a *data.Address) bool { return f(a.Code) })
			return
		}, func(b orb.Bound) (out []string) {
			for _, a := range ds.Addresses {
				if b.Contains(a.Point) {
					out = append(out, a.Code)
				}
			}
			return
		}},
		search{"POIs", func(b orb.Bound, n int) (out []string) {
			f := collect(n, &out)
			ix.POIs(b, func(p *data.POI) bool { return f(p.Code) })
			return
		}, func(b orb.Bound) (out []string) {
			for _, p := range ds.POIs {
				if b.Contains(p.Point) {
					out = append(out, p.Code)
				}
			}
			return
		}},
	)
	for _, s := range searches {
		t.Run(s.name+" find what a scan finds", func(t *testing.T) {
			nonEmpty := 0
			for i := 0; i < 200; i++ {
				a, c := randIn(r, sc.bound.Pad(0.001)), randIn(r, sc.bound.Pad(0.001))
				b := orb.Bound{Min: orb.Point{math.Min(a[0], c[0]), math.Min(a[1], c[1])}, Max: orb.Point{math.Max(a[0], c[0]), math.Max(a[1], c[1])}}
				if i%4 == 0 { // degenerate: a point
					b = orb.Bound{Min: a, Max: a}
				}
				got, want := s.run(b, 0), s.brute(b)
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("box %v: %d found, scan finds %d", b, len(got), len(want))
				}
				if len(want) > 0 {
					nonEmpty++
				}
				if len(want) > 2 {
					if stopped := s.run(b, 2); len(stopped) != 2 {
						t.Fatalf("asked to stop after 2, got %d", len(stopped))
					}
				}
			}
			if nonEmpty < 20 {
				t.Fatalf("test setup: only %d non-empty boxes", nonEmpty)
			}
		})
	}
	if got := ix.ManagementGridKinds(); !slices.Equal(got, []string{data.KindInspector, data.KindResponsibility}) {
		t.Fatalf("kinds %v", got)
	}
	if ix.Dataset() != ds {
		t.Fatal("Dataset() is not the indexed dataset")
	}
}

func randIn(r *rand.Rand, b orb.Bound) orb.Point {
	return orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
}

func TestLookupsByCode(t *testing.T) {
	sc, ix := buildSynth(t, 4, 8, 8, 1)
	ds := sc.ds
	if g, ok := ix.UnitGrid(ds.UnitGrids[3].Code); !ok || g != &ds.UnitGrids[3] {
		t.Fatal("UnitGrid by code")
	}
	if u, ok := ix.AdminUnit(data.LevelStreet, "320114001"); !ok || u.Level != data.LevelStreet {
		t.Fatal("AdminUnit by code")
	}
	if _, ok := ix.AdminUnit(data.LevelCommunity, "320114001"); ok {
		t.Fatal("a street code found among communities")
	}
	m := ds.ManagementGrids[2]
	if g, ok := ix.ManagementGrid(m.Kind, m.Code); !ok || g.Code != m.Code {
		t.Fatal("ManagementGrid by code")
	}
	if _, ok := ix.ManagementGrid("nope", m.Code); ok {
		t.Fatal("unknown kind found")
	}
	if c, ok := ix.Component(ds.Components[5].Code); !ok || c != &ds.Components[5] {
		t.Fatal("Component by code")
	}
	if _, ok := ix.UnitGrid("nope"); ok {
		t.Fatal("unknown grid found")
	}
}

func TestPolygonComponentsInNearestAndWithin(t *testing.T) {
	// A 2×2 (unit = 0.001°) square component with a 1×1 hole, and a point
	// component far away.
	hole := square(0.5, 0.5, 1.5, 1.5)
	hole.Reverse()
	ds := &data.Dataset{
		Categories: []data.Category{{Code: "0501", Kind: data.KindComponent}, {Code: "0101", Kind: data.KindComponent}},
		Components: []data.Component{
			{Code: "3201140501000001", Category: "0501", Geometry: orb.Polygon{square(0, 0, 2, 2), hole}},
			{Code: "3201140101000001", Category: "0101", Geometry: at(10, 10)},
		},
	}
	ix, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    orb.Point
		want float64
	}{
		{"a point inside the polygon is at distance zero", at(0.25, 1), 0},
		{"a point on its outer edge is at distance zero", at(0, 1), 0},
		{"a point in its hole is as far as the hole's nearest edge (east-west is shorter here)", at(1, 1), data.HaversineM(at(1, 1), at(1.5, 1))},
		{"a point outside is as far as the nearest edge", at(-0.5, 1), data.HaversineM(at(-0.5, 1), at(0, 1))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ix.Nearest(tc.p, 1, 1000, []string{"0501"})
			if err != nil || res.Count != 1 {
				t.Fatalf("%v %+v", err, res)
			}
			if d := res.Components[0].DistanceM; math.Abs(d-tc.want) > 0.01 {
				t.Fatalf("distance %.3f, want %.3f", d, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		area orb.Bound
		want int
	}{
		{"a box inside the polygon's hole does not meet it", orb.Bound{Min: at(0.8, 0.8), Max: at(1.2, 1.2)}, 0},
		{"a box inside the polygon's body meets it", orb.Bound{Min: at(0.1, 0.1), Max: at(0.3, 0.3)}, 1},
		{"a box around the polygon meets it", orb.Bound{Min: at(-1, -1), Max: at(3, 3)}, 1},
		{"a box crossing one edge meets it", orb.Bound{Min: at(1.8, -1), Max: at(2.2, 3)}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ix.WithinBound(tc.area, []string{"0501"}, 10)
			if err != nil || res.Count != tc.want {
				t.Fatalf("count %d (%v), want %d", res.Count, err, tc.want)
			}
		})
	}
}
