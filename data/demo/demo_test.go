package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// small caches one small city for the invariant tests.
var small = sync.OnceValues(func() (*data.Dataset, error) {
	return Generate(context.Background(), Options{Seed: 7, Scale: 0.02})
})

// full caches the full-size city for the invariant tests outside -short.
var full = sync.OnceValues(func() (*data.Dataset, error) {
	return Generate(context.Background(), Options{Seed: 11, Scale: 1})
})

// eachCity runs an invariant check on the small city and, unless -short,
// on the full-size one.
func eachCity(t *testing.T, check func(t *testing.T, ds *data.Dataset)) {
	t.Run("small city", func(t *testing.T) { check(t, smallCity(t)) })
	if testing.Short() {
		return
	}
	t.Run("full city", func(t *testing.T) {
		ds, err := full()
		if err != nil {
			t.Fatal(err)
		}
		check(t, ds)
	})
}

func smallCity(t *testing.T) *data.Dataset {
	t.Helper()
	ds, err := small()
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// hashDataset digests every record of a dataset in slice order.
func hashDataset(ds *data.Dataset) string {
	h := sha256.New()
	for _, a := range ds.AdminUnits {
		fmt.Fprintf(h, "A%v%s%s%s%v\n", a.Level, a.Code, a.Name, a.Parent, a.Geometry)
	}
	for _, g := range ds.UnitGrids {
		fmt.Fprintf(h, "U%s%s%v%.6f\n", g.Code, g.Community, g.Geometry, g.AreaM2)
	}
	for _, g := range ds.ManagementGrids {
		fmt.Fprintf(h, "M%s%s%s%s%v\n", g.Kind, g.Code, g.Name, g.Unit, g.Geometry)
	}
	for _, c := range ds.Categories {
		fmt.Fprintf(h, "C%+v\n", c)
	}
	for _, d := range ds.Departments {
		fmt.Fprintf(h, "D%+v\n", d)
	}
	for _, c := range ds.Components {
		fmt.Fprintf(h, "P%+v\n", c)
	}
	for _, r := range ds.Roads {
		fmt.Fprintf(h, "R%+v\n", r)
	}
	for _, a := range ds.Addresses {
		fmt.Fprintf(h, "N%+v\n", a)
	}
	for _, p := range ds.POIs {
		fmt.Fprintf(h, "I%+v\n", p)
	}
	for _, r := range ds.Rules {
		fmt.Fprintf(h, "L%+v\n", r)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestGenerateIsDeterministic(t *testing.T) {
	gen := func(seed int64) string {
		ds, err := Generate(context.Background(), Options{Seed: seed, Scale: 0.01})
		if err != nil {
			t.Fatal(err)
		}
		return hashDataset(ds)
	}
	a, b, c := gen(1), gen(1), gen(2)
	if a != b {
		t.Error("the same seed gave two different cities")
	}
	if a == c {
		t.Error("seeds 1 and 2 gave the same city")
	}
}

func TestCodesAreValidAndConsistent(t *testing.T) {
	eachCity(t, func(t *testing.T, ds *data.Dataset) {
		units := map[string]data.AdminUnit{}
		for _, a := range ds.AdminUnits {
			if err := data.CheckAdminCode(a.Level, a.Code, a.Parent); err != nil {
				t.Errorf("admin unit %s: %v", a.Code, err)
			}
			if _, dup := units[a.Code]; dup {
				t.Errorf("admin code %s twice", a.Code)
			}
			units[a.Code] = a
		}
		levels := map[data.AdminLevel]int{}
		for _, a := range ds.AdminUnits {
			levels[a.Level]++
			if a.Level != data.LevelDistrict && units[a.Parent].Code == "" {
				t.Errorf("%s %s: parent %s missing", a.Level, a.Code, a.Parent)
			}
		}
		if levels[data.LevelDistrict] != 1 || levels[data.LevelStreet] != 9 || levels[data.LevelCommunity] != 98 {
			t.Errorf("levels = %v, want 1 district, 9 streets, 98 communities", levels)
		}
		if units["320114001001"].Name != "雨花社区居委会" || units["320114"].Name != "雨花台区" {
			t.Error("real names are not used")
		}
		grids := map[string]bool{}
		for _, g := range ds.UnitGrids {
			code, err := data.NormalizeUnitGridCode(g.Code, g.Community)
			if err != nil || code != g.Code {
				t.Errorf("unit grid %s: %v", g.Code, err)
			}
			if units[g.Community].Level != data.LevelCommunity {
				t.Errorf("unit grid %s: community %s unknown", g.Code, g.Community)
			}
			if grids[g.Code] {
				t.Errorf("unit grid code %s twice", g.Code)
			}
			grids[g.Code] = true
		}
		cats := map[string]data.Category{}
		for _, c := range ds.Categories {
			if c.Kind == data.KindComponent {
				cats[c.Code] = c
			}
		}
		depts := map[string]bool{}
		for _, d := range ds.Departments {
			depts[d.Code] = true
			if d.CreditCode != "" && !validCreditCode(d.CreditCode) {
				t.Errorf("department %s: credit code %s fails its check", d.Code, d.CreditCode)
			}
		}
		comps := map[string]bool{}
		for _, c := range ds.Components {
			if err := data.CheckComponentCode(c.Code, DistrictCode, c.Category); err != nil {
				t.Fatalf("component %s: %v", c.Code, err)
			}
			if comps[c.Code] {
				t.Fatalf("component code %s twice", c.Code)
			}
			comps[c.Code] = true
			if _, ok := cats[c.Category]; !ok {
				t.Fatalf("component %s: category %s unknown", c.Code, c.Category)
			}
			if !grids[c.UnitGrid] {
				t.Fatalf("component %s: unit grid %s unknown", c.Code, c.UnitGrid)
			}
			if !depts[c.Department] || !depts[c.Owner] || !depts[c.Maintainer] {
				t.Fatalf("component %s: department/owner/maintainer %s/%s/%s unknown", c.Code, c.Department, c.Owner, c.Maintainer)
			}
		}
		for _, m := range ds.ManagementGrids {
			if !depts[m.Unit] {
				t.Errorf("management grid %s: unit %s unknown", m.Code, m.Unit)
			}
			if len(m.Code) != 20 || units[m.Code[6:15]].Level != data.LevelStreet {
				t.Errorf("management grid code %s is not 6 + street + 5", m.Code)
			}
		}
		for _, r := range ds.Rules {
			if !depts[r.Unit] {
				t.Errorf("rule %d: unit %s unknown", r.ID, r.Unit)
			}
		}
	})
}

// validCreditCode checks a 统一社会信用代码 against GB 32100's check
// character, written independently of the generator.
func validCreditCode(s string) bool {
	const alpha = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	if len(s) != 18 {
		return false
	}
	w := 1
	sum := 0
	for k := 0; k < 17; k++ {
		v := strings.IndexByte(alpha, s[k])
		if v < 0 {
			return false
		}
		sum += v * w
		w = w * 3 % 31
	}
	return alpha[(31-sum%31)%31] == s[17]
}

func TestUnitGridsPartitionCommunities(t *testing.T) {
	eachCity(t, func(t *testing.T, ds *data.Dataset) {
		byComm := map[string][]*data.UnitGrid{}
		for k := range ds.UnitGrids {
			g := &ds.UnitGrids[k]
			byComm[g.Community] = append(byComm[g.Community], g)
			if g.AreaM2 < 5000 || g.AreaM2 > 20000 {
				t.Errorf("unit grid %s has %.0f m², outside 5,000–20,000", g.Code, g.AreaM2)
			}
			if math.Abs(g.AreaM2-data.AreaM2(g.Geometry)) > 1e-6 {
				t.Errorf("unit grid %s: recorded area %.3f differs from its geometry's", g.Code, g.AreaM2)
			}
		}
		var district float64
		for _, a := range ds.AdminUnits {
			if a.Level == data.LevelDistrict {
				district = data.AreaM2(a.Geometry)
			}
			if a.Level != data.LevelCommunity {
				continue
			}
			gs := byComm[a.Code]
			if len(gs) == 0 {
				t.Errorf("community %s has no unit grids", a.Code)
				continue
			}
			var sum float64
			for _, g := range gs {
				sum += g.AreaM2
			}
			want := data.AreaM2(a.Geometry)
			if math.Abs(sum-want) > 0.001*want {
				t.Errorf("community %s: unit grids cover %.0f m², community has %.0f m²", a.Code, sum, want)
			}
			// Sample points: every point of the community lies in exactly one
			// of its grids (points are kept off the lattice lines by taking
			// them at random).
			for _, g := range gs {
				for _, p := range samplePoints(g.Geometry, 3) {
					if !planar.MultiPolygonContains(a.Geometry, p) {
						t.Fatalf("grid %s reaches outside community %s at %v", g.Code, a.Code, p)
					}
					n := 0
					for _, h := range gs {
						if h.Geometry.Bound().Contains(p) && planar.MultiPolygonContains(h.Geometry, p) {
							n++
						}
					}
					if n != 1 {
						t.Fatalf("point %v of grid %s lies in %d grids of its community", p, g.Code, n)
					}
				}
			}
		}
		var all float64
		for _, g := range ds.UnitGrids {
			all += g.AreaM2
		}
		if math.Abs(all-district) > 0.001*district {
			t.Errorf("unit grids cover %.0f m², the district %.0f m²", all, district)
		}
		// Sequences run west→east, north→south.
		for comm, gs := range byComm {
			sort.Slice(gs, func(a, b int) bool { return gs[a].Code < gs[b].Code })
			for k := 1; k < len(gs); k++ {
				pa, pb := gs[k-1].Geometry.Bound().Center(), gs[k].Geometry.Bound().Center()
				// next grid is either further east in the same row or in a row
				// further south (rows are ~100 m apart, centres jitter ≤ 10 m)
				if !(pb[1] < pa[1]-0.0003 || (math.Abs(pb[1]-pa[1]) < 0.0004 && pb[0] > pa[0])) {
					t.Fatalf("community %s: grid %s at %v follows %s at %v against west→east, north→south", comm, gs[k].Code, pb, gs[k-1].Code, pa)
				}
			}
		}
	})
}

// samplePoints draws n pseudo-random points inside a (convex-celled)
// multipolygon by rejection from its bound.
func samplePoints(mp orb.MultiPolygon, n int) []orb.Point {
	b := mp.Bound()
	var out []orb.Point
	x := uint64(len(mp[0][0])*7919 + 1)
	next := func() float64 { x = x*6364136223846793005 + 1442695040888963407; return float64(x>>11) / (1 << 53) }
	for tries := 0; len(out) < n && tries < 100*n; tries++ {
		p := orb.Point{b.Min[0] + next()*(b.Max[0]-b.Min[0]), b.Min[1] + next()*(b.Max[1]-b.Min[1])}
		if planar.MultiPolygonContains(mp, p) {
			out = append(out, p)
		}
	}
	return out
}

func TestUnitGridsDoNotOverlap(t *testing.T) {
	// Grids are polygons whose shared borders use identical vertices, so
	// two grids overlap exactly when a vertex, an edge midpoint or an
	// interior sample of one lies strictly inside the other. Check every
	// pair whose bounds meet (found by a sweep along longitude).
	eachCity(t, func(t *testing.T, ds *data.Dataset) {
		gs := ds.UnitGrids
		probes := make([][]orb.Point, len(gs))
		bounds := make([]orb.Bound, len(gs))
		order := make([]int, len(gs))
		for a := range gs {
			order[a] = a
			bounds[a] = gs[a].Geometry.Bound()
			r := gs[a].Geometry[0][0]
			for k := 0; k+1 < len(r); k++ {
				probes[a] = append(probes[a], r[k], orb.Point{(r[k][0] + r[k+1][0]) / 2, (r[k][1] + r[k+1][1]) / 2})
			}
			probes[a] = append(probes[a], samplePoints(gs[a].Geometry, 4)...)
		}
		sort.Slice(order, func(x, y int) bool { return bounds[order[x]].Min[0] < bounds[order[y]].Min[0] })
		inside := func(a, b int) {
			for _, p := range probes[a] {
				if planar.MultiPolygonContains(gs[b].Geometry, p) && distanceToBoundary(gs[b].Geometry, p) > 1e-9 {
					t.Fatalf("grid %s's point %v lies inside grid %s", gs[a].Code, p, gs[b].Code)
				}
			}
		}
		pairs := 0
		for x, a := range order {
			for _, b := range order[x+1:] {
				if bounds[b].Min[0] > bounds[a].Max[0] {
					break
				}
				if bounds[a].Intersects(bounds[b]) {
					pairs++
					inside(a, b)
					inside(b, a)
				}
			}
		}
		if pairs < len(gs) {
			t.Fatalf("only %d neighbouring pairs among %d grids", pairs, len(gs))
		}
	})
}

// distanceToBoundary is the planar distance in degrees from p to the
// nearest edge of mp.
func distanceToBoundary(mp orb.MultiPolygon, p orb.Point) float64 {
	best := math.Inf(1)
	for _, poly := range mp {
		for _, r := range poly {
			for k := 0; k+1 < len(r); k++ {
				a, b := r[k], r[k+1]
				dx, dy := b[0]-a[0], b[1]-a[1]
				t := math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/(dx*dx+dy*dy)))
				best = math.Min(best, math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy))
			}
		}
	}
	return best
}

func TestComponentsLieInTheirUnitGrid(t *testing.T) {
	eachCity(t, func(t *testing.T, ds *data.Dataset) {
		grid := map[string]orb.MultiPolygon{}
		for _, g := range ds.UnitGrids {
			grid[g.Code] = g.Geometry
		}
		for _, c := range ds.Components {
			mp := grid[c.UnitGrid]
			var pts []orb.Point
			switch g := c.Geometry.(type) {
			case orb.Point:
				pts = []orb.Point{g}
			case orb.LineString:
				pts = g
			case orb.Polygon:
				pts = g[0]
			default:
				t.Fatalf("component %s has geometry %T", c.Code, c.Geometry)
			}
			for _, p := range pts {
				if !planar.MultiPolygonContains(mp, p) || distanceToBoundary(mp, p) < 1e-7 {
					t.Fatalf("component %s (%s) at %v is not strictly inside unit grid %s", c.Code, c.Name, p, c.UnitGrid)
				}
			}
		}
	})
}

func TestManagementGridsAreUnionsOfUnitGrids(t *testing.T) {
	eachCity(t, func(t *testing.T, ds *data.Dataset) {
		kinds := map[string][]data.ManagementGrid{}
		for _, m := range ds.ManagementGrids {
			kinds[m.Kind] = append(kinds[m.Kind], m)
		}
		// A unit grid's bound centre lies inside it (cells are convex;
		// merged pairs are two convex cells side by side).
		bounds := make([]orb.Bound, len(ds.UnitGrids))
		centres := make([]orb.Point, len(ds.UnitGrids))
		for k, g := range ds.UnitGrids {
			bounds[k] = g.Geometry.Bound()
			centres[k] = bounds[k].Center()
			if !planar.MultiPolygonContains(g.Geometry, centres[k]) {
				t.Fatalf("unit grid %s does not contain its bound's centre", g.Code)
			}
		}
		var district float64
		for _, a := range ds.AdminUnits {
			if a.Level == data.LevelDistrict {
				district = data.AreaM2(a.Geometry)
			}
		}
		for _, kind := range []string{data.KindResponsibility, data.KindInspector} {
			ms := kinds[kind]
			if len(ms) == 0 {
				t.Fatalf("no %s grids", kind)
			}
			var total float64
			for _, m := range ms {
				if len(m.Geometry) != 1 {
					t.Errorf("%s grid %s has %d parts, want one contiguous polygon", kind, m.Code, len(m.Geometry))
				}
				area := data.AreaM2(m.Geometry)
				total += area
				// Every unit grid is either wholly inside or wholly outside:
				// its centre decides, and the inside ones add up to the area.
				var sum float64
				mb := m.Geometry.Bound()
				for k, g := range ds.UnitGrids {
					if mb.Intersects(bounds[k]) && planar.MultiPolygonContains(m.Geometry, centres[k]) {
						sum += g.AreaM2
					}
				}
				if math.Abs(sum-area) > 1e-6*area+1e-3 {
					t.Errorf("%s grid %s: %.1f m² but its unit grids add up to %.1f m²", kind, m.Code, area, sum)
				}
			}
			if math.Abs(total-district) > 0.001*district {
				t.Errorf("%s grids cover %.0f m² of %.0f m²", kind, total, district)
			}
		}
	})
}

func TestFullScaleCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("full-scale city takes a second")
	}
	ds, err := full()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ds.Components); n < 400000 {
		t.Errorf("%d components, want at least 400,000", n)
	}
	perCat := map[string]int{}
	for _, c := range ds.Components {
		perCat[c.Category]++
	}
	if len(perCat) < 60 {
		t.Errorf("components cover %d small categories, want at least 60", len(perCat))
	}
	var resp, insp int
	for _, m := range ds.ManagementGrids {
		switch m.Kind {
		case data.KindResponsibility:
			resp++
		case data.KindInspector:
			insp++
		}
	}
	checks := []struct {
		name   string
		got    int
		lo, hi int
	}{
		{"unit grids", len(ds.UnitGrids), 12000, 15000},
		{"responsibility grids", resp, 60, 80},
		{"inspector grids", insp, 85, 115},
		{"departments", len(ds.Departments), 35, 55},
		{"POIs", len(ds.POIs), 800, 1500},
		{"roads", len(ds.Roads), 100, 1000},
		{"addresses", len(ds.Addresses), 10000, 60000},
	}
	for _, c := range checks {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%d %s, want %d–%d", c.got, c.name, c.lo, c.hi)
		}
	}
	var area float64
	for _, a := range ds.AdminUnits {
		if a.Level == data.LevelDistrict {
			area = data.AreaM2(a.Geometry) / 1e6
		}
	}
	if area < 120 || area > 150 {
		t.Errorf("district area %.1f km², want about 134", area)
	}
	t.Logf("%d components in %d categories, %d unit grids, district %.1f km²", len(ds.Components), len(perCat), len(ds.UnitGrids), area)
}

// BenchmarkGenerate measures generation alone, at full scale and at the
// benchmark scale of about 1.3 million components.
//
//	go test ./data/demo/ -run '^$' -bench 'Generate$' -benchtime 1x
func BenchmarkGenerate(b *testing.B) {
	for _, scale := range []float64{1, 3} {
		b.Run(fmt.Sprintf("scale=%g", scale), func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				ds, err := Generate(context.Background(), Options{Seed: 1, Scale: scale})
				if err != nil {
					b.Fatal(err)
				}
				n = len(ds.Components)
			}
			b.ReportMetric(float64(n), "components")
		})
	}
}

func TestAreaPolygonsAreValidAndNest(t *testing.T) {
	eachCity(t, func(t *testing.T, ds *data.Dataset) {
		check := func(what string, mp orb.MultiPolygon) {
			if len(mp) == 0 {
				t.Errorf("%s has no polygon", what)
			}
			for _, p := range mp {
				for k, r := range p {
					if !ringIsSimple(r) {
						t.Errorf("%s: ring %d is not a simple closed ring", what, k)
					}
					if (k == 0) != data.RingIsCCW(r) {
						t.Errorf("%s: ring %d is wrongly oriented", what, k)
					}
				}
			}
		}
		area := map[string]float64{}
		childArea := map[string]float64{}
		geom := map[string]orb.MultiPolygon{}
		for _, a := range ds.AdminUnits {
			check(string(a.Level)+" "+a.Code, a.Geometry)
			area[a.Code] = data.AreaM2(a.Geometry)
			childArea[a.Parent] += area[a.Code]
			geom[a.Code] = a.Geometry
			if a.Level == data.LevelCommunity && len(a.Geometry) != 1 {
				t.Errorf("community %s has %d parts, want one contiguous polygon", a.Code, len(a.Geometry))
			}
		}
		for _, m := range ds.ManagementGrids {
			check(m.Kind+" "+m.Code, m.Geometry)
		}
		// Streets are the unions of their communities, the district of its
		// streets: areas add up, and every community's sample points lie in
		// its street.
		for _, a := range ds.AdminUnits {
			if a.Level == data.LevelCommunity {
				for _, p := range samplePoints(a.Geometry, 20) {
					if !planar.MultiPolygonContains(geom[a.Parent], p) {
						t.Fatalf("community %s reaches outside its street %s at %v", a.Code, a.Parent, p)
					}
				}
				continue
			}
			if math.Abs(childArea[a.Code]-area[a.Code]) > 1e-6*area[a.Code] {
				t.Errorf("%s %s: %.1f m², its children add up to %.1f m²", a.Level, a.Code, area[a.Code], childArea[a.Code])
			}
		}
	})
}

// sideOf says on which side of a line a point lies, seen along the line:
// +1 left, -1 right; and how far along the line its foot is.
func sideOf(ls orb.LineString, p orb.Point) (side int, along float64) {
	best := math.Inf(1)
	var walked float64
	for k := 0; k+1 < len(ls); k++ {
		a, b := ls[k], ls[k+1]
		dx, dy := b[0]-a[0], b[1]-a[1]
		l2 := dx*dx + dy*dy
		t := math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l2))
		fx, fy := a[0]+t*dx, a[1]+t*dy
		if d := math.Hypot(p[0]-fx, p[1]-fy); d < best {
			best = d
			along = walked + t*math.Sqrt(l2)
			side = -1
			if dx*(p[1]-a[1])-dy*(p[0]-a[0]) > 0 {
				side = 1
			}
		}
		walked += math.Sqrt(l2)
	}
	return side, along
}

func TestAddressesAreNumberedBySide(t *testing.T) {
	eachCity(t, func(t *testing.T, ds *data.Dataset) {
		roads := map[string]data.Road{}
		for _, r := range ds.Roads {
			roads[r.Code] = r
		}
		comms := map[string]data.AdminUnit{}
		for _, a := range ds.AdminUnits {
			comms[a.Code] = a
		}
		if len(ds.Addresses) == 0 {
			t.Fatal("no addresses")
		}
		type key struct {
			road string
			odd  bool
		}
		last := map[key]float64{}
		lastNum := map[key]int{}
		for _, a := range ds.Addresses {
			r, ok := roads[a.Road]
			if !ok {
				t.Fatalf("address %s: road %s unknown", a.Code, a.Road)
			}
			base, _, _ := strings.Cut(a.Number, "-")
			var n int
			if _, err := fmt.Sscanf(base, "%d", &n); err != nil || n <= 0 {
				t.Fatalf("address %s: number %q", a.Code, a.Number)
			}
			side, along := sideOf(r.Geometry[0], a.Point)
			if odd := n%2 == 1; odd != (side == 1) {
				t.Errorf("address %s %s: number %s is on the %s of the road", a.Code, a.FullAddress, a.Number, map[int]string{1: "left", -1: "right"}[side])
			}
			k := key{a.Road, n%2 == 1}
			if a.Number == base && n > lastNum[k] {
				if along < last[k] {
					t.Errorf("address %s: number %d stands before number %d along %s", a.Code, n, lastNum[k], r.Name)
				}
				last[k], lastNum[k] = along, n
			}
			comm := comms[a.Community]
			street := comms[comm.Parent]
			want := "雨花台区" + street.Name + r.Name + a.Number + "号"
			if a.FullAddress != want {
				t.Errorf("address %s: full address %q, want %q", a.Code, a.FullAddress, want)
			}
			if !planar.MultiPolygonContains(comm.Geometry, a.Point) {
				t.Errorf("address %s lies outside its community %s", a.Code, a.Community)
			}
		}
	})
}

func TestRulesRouteEventsSensibly(t *testing.T) {
	eachCity(t, func(t *testing.T, ds *data.Dataset) {
		events := map[string]bool{}
		for _, c := range ds.Categories {
			if c.Kind == data.KindEvent {
				events[c.Code] = true
			}
		}
		refs := map[string]bool{}
		for _, a := range ds.AdminUnits {
			refs[a.Code] = true
		}
		for _, m := range ds.ManagementGrids {
			refs[m.Code] = true
		}
		var fallback, street, grid int
		for _, r := range ds.Rules {
			if r.Category != "" && !events[r.Category] {
				t.Errorf("rule %d names category %s, not an event category", r.ID, r.Category)
			}
			if r.Category != "" && r.Kind != data.KindEvent {
				t.Errorf("rule %d names code %s with kind %q: event and component codes overlap, so it must say event", r.ID, r.Category, r.Kind)
			}
			switch r.Scope {
			case data.ScopeCity:
				fallback++
				if r.Category != "" || r.Priority != 0 {
					t.Errorf("rule %d: the city-wide rule should be the lowest-priority catch-all", r.ID)
				}
			case data.ScopeStreet:
				street++
				if r.Unit != streetOfficeCode(r.ScopeRef) {
					t.Errorf("rule %d: street-order event in %s goes to %s, not the street office", r.ID, r.ScopeRef, r.Unit)
				}
			case data.ScopeManagementGrid:
				grid++
			}
			if r.Scope != data.ScopeCity && !refs[r.ScopeRef] {
				t.Errorf("rule %d: scope %s %s does not exist", r.ID, r.Scope, r.ScopeRef)
			}
		}
		if fallback != 1 || street == 0 || grid == 0 {
			t.Errorf("rules: %d fallbacks, %d street rules, %d grid rules", fallback, street, grid)
		}
	})
}

func TestGenerateRejectsBadOptionsAndStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, Options{Seed: 1, Scale: 0.01}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}
	for _, o := range []Options{{Scale: -1}, {Scale: math.NaN()}, {Scale: math.Inf(1)}, {Scale: 0.01, Scheme: "CJ/T 214-2007"}} {
		if _, err := Generate(context.Background(), o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}

func TestProgressReportsEveryPhase(t *testing.T) {
	var buf strings.Builder
	if _, err := Generate(context.Background(), Options{Seed: 1, Scale: 0.01, Progress: &buf}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	for k, line := range lines {
		var step, steps int
		if _, err := fmt.Sscanf(line, "demo: %d/%d", &step, &steps); err != nil || step != k+1 || steps != len(lines) {
			t.Errorf("line %d %q does not read as step %d of %d", k, line, k+1, len(lines))
		}
	}
	if len(lines) < 5 {
		t.Errorf("only %d progress lines", len(lines))
	}
}

func TestManySeedsAndScalesGenerate(t *testing.T) {
	seeds := int64(20)
	if testing.Short() {
		seeds = 4
	}
	for seed := int64(-3); seed < seeds; seed++ {
		for _, scale := range []float64{0.001, 0.05} {
			ds, err := Generate(context.Background(), Options{Seed: seed, Scale: scale})
			if err != nil {
				t.Fatalf("seed %d scale %v: %v", seed, scale, err)
			}
			comms := map[string]int{}
			for _, g := range ds.UnitGrids {
				comms[g.Community]++
				if g.AreaM2 < 5000 || g.AreaM2 > 20000 {
					t.Errorf("seed %d scale %v: grid %s has %.0f m²", seed, scale, g.Code, g.AreaM2)
				}
			}
			if len(comms) != 98 {
				t.Errorf("seed %d scale %v: %d communities have unit grids, want 98", seed, scale, len(comms))
			}
		}
	}
}

func TestUtilitiesOwnTheirNetworks(t *testing.T) {
	ds := smallCity(t)
	deptName := map[string]string{}
	kind := map[string]data.DepartmentKind{}
	for _, d := range ds.Departments {
		deptName[d.Code], kind[d.Code] = d.Name, d.Kind
	}
	tests := []struct {
		category, name, owner string // owner: a word of the owner's name
	}{
		{"0101", "上水井盖", "水务"},
		{"0102", "污水井盖", "排水"},
		{"0105", "电力井盖", "供电"},
		{"0107", "通讯井盖", "电信"},
		{"0108", "电视井盖", "有线"},
		{"0111", "燃气井盖", "燃气"},
		{"0118", "路灯", "照明"},
		{"0123", "邮筒", "邮政"},
	}
	for _, tc := range tests {
		t.Run(tc.name+" belongs to the "+tc.owner+" company", func(t *testing.T) {
			n := 0
			for _, c := range ds.Components {
				if c.Category != tc.category {
					continue
				}
				n++
				if c.Name != tc.name || !strings.Contains(deptName[c.Owner], tc.owner) || kind[c.Owner] != data.DeptUtility || c.Owner != c.Department {
					t.Fatalf("component %s %s is owned by %s %s (competent %s)", c.Code, c.Name, c.Owner, deptName[c.Owner], c.Department)
				}
			}
			if n == 0 {
				t.Fatalf("no %s in the small city", tc.name)
			}
		})
	}
	kinds := map[data.DepartmentKind]int{}
	for _, d := range ds.Departments {
		kinds[d.Kind]++
	}
	if kinds[data.DeptStreet] != 9 || kinds[data.DeptUtility] < 8 || kinds[data.DeptBureau] < 10 || kinds[data.DeptCentre] != 1 {
		t.Errorf("department kinds %v", kinds)
	}
}
