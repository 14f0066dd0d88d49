package maps_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"citygrid/api"
	"citygrid/api/city"
	"citygrid/api/internal/routertest"
	"citygrid/api/internal/testcity"
	"citygrid/data"
	"citygrid/data/demo"
	"citygrid/spatial"
	"citygrid/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
)

// decodedLayer is a layer as @mapbox/vector-tile reads it.
type decodedLayer struct {
	Version  int
	Extent   int
	Features []struct {
		ID         float64
		Type       int
		Properties map[string]any
		Geometry   struct {
			Type        string
			Coordinates json.RawMessage
		}
		RingAreas []float64
	}
}

// nodeDecoder finds node and test/browser's packages; without them the
// test is skipped, except on CI (CI=true), where it fails.
func nodeDecoder(t *testing.T) (node, script string) {
	t.Helper()
	dir, _ := filepath.Abs(filepath.Join("..", "..", "test", "browser"))
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "@mapbox", "vector-tile"))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node or test/browser/node_modules missing (npm ci --prefix test/browser): %v", err)
		}
		t.Skipf("node or test/browser/node_modules missing (npm ci --prefix test/browser): %v", err)
	}
	return node, filepath.Join(dir, "decode-tile.mjs")
}

// TestServedTilesDecodeWithMapboxVectorTile fetches tiles of a small demo
// city from the server, decodes them with the JavaScript client maps use,
// and checks layers, attributes and geometry against the dataset.
func TestServedTilesDecodeWithMapboxVectorTile(t *testing.T) {
	node, script := nodeDecoder(t)
	ds, err := demo.Generate(context.Background(), demo.Options{Seed: 3, Scale: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	h, err := routertest.Server(t, city.Config{Index: ix}, api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tiles.New(ix, tiles.Options{})
	if err != nil {
		t.Fatal(err)
	}
	grids := map[string]*data.UnitGrid{}
	for i := range ds.UnitGrids {
		grids[ds.UnitGrids[i].Code] = &ds.UnitGrids[i]
	}
	comps := map[string]*data.Component{}
	for i := range ds.Components {
		comps[ds.Components[i].Code] = &ds.Components[i]
	}
	// Pick a component in the middle of the city: its tiles are busy.
	c := ds.Components[len(ds.Components)/2]
	at := c.Geometry.Bound().Center()
	for _, z := range []int{14, 16, 17} {
		tile := maptile.At(at, maptile.Zoom(z))
		url := "/tiles/city/" + strconv.Itoa(z) + "/" + strconv.Itoa(int(tile.X)) + "/" + strconv.Itoa(int(tile.Y)) + ".mvt"
		rec := testcity.Get(t, h, url) // no Accept-Encoding: the body is the raw tile
		if rec.Code != 200 {
			t.Fatalf("%s: %d", url, rec.Code)
		}
		file := filepath.Join(t.TempDir(), "tile.mvt")
		if err := os.WriteFile(file, rec.Body.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(node, script, file, strconv.Itoa(z), strconv.Itoa(int(tile.X)), strconv.Itoa(int(tile.Y))).Output()
		if err != nil {
			t.Fatalf("decode %s: %v", url, err)
		}
		var layers map[string]decodedLayer
		if err := json.Unmarshal(out, &layers); err != nil {
			t.Fatal(err)
		}
		tb := tile.Bound()
		unit := (tb.Max[0] - tb.Min[0]) / tiles.Extent // one tile unit in degrees of longitude
		for name, l := range layers {
			if l.Version != 2 || l.Extent != tiles.Extent {
				t.Errorf("z%d %s: version %d extent %d", z, name, l.Version, l.Extent)
			}
			for _, f := range l.Features {
				if f.ID <= 0 || f.ID > 1<<53 || f.ID != math.Trunc(f.ID) {
					t.Errorf("z%d %s: id %v is not a safe integer", z, name, f.ID)
				}
				for i, a := range f.RingAreas {
					if i == 0 && a <= 0 {
						t.Errorf("z%d %s %v: first ring not clockwise on screen (area %v)", z, name, f.Properties["code"], a)
					}
				}
			}
		}
		// Unit grids: every grid crossing the tile is there, with its
		// community, and its geometry covers the same part of the tile.
		ug, ok := layers["unit_grids"]
		if !ok {
			t.Fatalf("z%d: no unit_grids layer (layers %v)", z, keys(layers))
		}
		seen := map[string]bool{}
		decoded := map[string]orb.MultiPolygon{}
		for _, f := range ug.Features {
			code, _ := f.Properties["code"].(string)
			g := grids[code]
			if g == nil {
				t.Fatalf("z%d: unit grid %q not in the store", z, code)
			}
			seen[code] = true
			if f.Properties["community"] != g.Community {
				t.Errorf("z%d %s: community %v, store %s", z, code, f.Properties["community"], g.Community)
			}
			decoded[code] = geoPolygons(t, f.Geometry.Type, f.Geometry.Coordinates)
		}
		// Geometry: at sample points of the tile away from grid edges, the
		// decoded grid holding the point is the stored one holding it.
		sampled := 0
		cosLat := math.Cos(at[1] * math.Pi / 180)
		for i := 0; i < 24; i++ {
			for j := 0; j < 24; j++ {
				p := orb.Point{tb.Min[0] + (float64(i)+0.5)/24*(tb.Max[0]-tb.Min[0]), tb.Min[1] + (float64(j)+0.5)/24*(tb.Max[1]-tb.Min[1])}
				var want string
				for code, g := range grids {
					if g.Geometry.Bound().Contains(p) && planar.MultiPolygonContains(g.Geometry, p) {
						if edgeDistance(g.Geometry, p, unit, unit*cosLat) > 3 {
							want = code
						}
						break
					}
				}
				if want == "" {
					continue
				}
				sampled++
				var got []string
				for code, mp := range decoded {
					if planar.MultiPolygonContains(mp, p) {
						got = append(got, code)
					}
				}
				if len(got) != 1 || got[0] != want {
					t.Errorf("z%d: at %v the tile has grids %v, the store %s", z, p, got, want)
				}
			}
		}
		if sampled < 100 {
			t.Errorf("z%d: only %d sample points checked", z, sampled)
		}
		for code, g := range grids {
			b := g.Geometry.Bound()
			inner := orb.Bound{Min: orb.Point{b.Min[0] + unit, b.Min[1] + unit}, Max: orb.Point{b.Max[0] - unit, b.Max[1] - unit}}
			if inner.Intersects(tb) && !seen[code] {
				t.Errorf("z%d: unit grid %s crosses the tile but is missing", z, code)
			}
		}
		// Components: each one drawn at this zoom whose point is in the
		// tile is there once, at its place, with its category.
		got := map[string]int{}
		if cl, ok := layers["components"]; ok {
			for _, f := range cl.Features {
				code, _ := f.Properties["code"].(string)
				sc := comps[code]
				if sc == nil {
					t.Fatalf("z%d: component %q not in the store", z, code)
				}
				got[code]++
				if f.Properties["category"] != sc.Category {
					t.Errorf("z%d %s: category %v, store %s", z, code, f.Properties["category"], sc.Category)
				}
				if (f.Properties["status"] != nil) != (z >= 15) {
					t.Errorf("z%d %s: status attribute %v", z, code, f.Properties["status"])
				}
				if p, isPoint := sc.Geometry.(orb.Point); isPoint {
					var xy [2]float64
					if f.Geometry.Type != "Point" || json.Unmarshal(f.Geometry.Coordinates, &xy) != nil {
						t.Fatalf("z%d %s: geometry %s", z, code, f.Geometry.Type)
					}
					if math.Abs(xy[0]-p[0]) > 2*unit || math.Abs(xy[1]-p[1]) > 2*unit {
						t.Errorf("z%d %s: decoded at %v, store %v", z, code, xy, p)
					}
				}
			}
		}
		want := 0
		for code, sc := range comps {
			p, isPoint := sc.Geometry.(orb.Point)
			if !isPoint || ts.CategoryMinZoom(sc.Category) > z || !strictlyIn(p, tb, unit) {
				continue
			}
			want++
			if got[code] != 1 {
				t.Errorf("z%d: component %s (%s) drawn %d times, want once", z, code, sc.Category, got[code])
			}
		}
		if z >= 16 && want == 0 {
			t.Errorf("z%d: no component expected: the check proves nothing", z)
		}
	}
}

func keys(m map[string]decodedLayer) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func strictlyIn(p orb.Point, b orb.Bound, margin float64) bool {
	return p[0] > b.Min[0]+margin && p[0] < b.Max[0]-margin && p[1] > b.Min[1]+margin && p[1] < b.Max[1]-margin
}

// geoPolygons reads GeoJSON Polygon or MultiPolygon coordinates.
func geoPolygons(t *testing.T, typ string, raw json.RawMessage) orb.MultiPolygon {
	t.Helper()
	var polys [][][][2]float64
	switch typ {
	case "Polygon":
		var p [][][2]float64
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		polys = append(polys, p)
	case "MultiPolygon":
		if err := json.Unmarshal(raw, &polys); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("geometry %s, want a polygon", typ)
	}
	var mp orb.MultiPolygon
	for _, p := range polys {
		var poly orb.Polygon
		for _, r := range p {
			var ring orb.Ring
			for _, c := range r {
				ring = append(ring, orb.Point{c[0], c[1]})
			}
			poly = append(poly, ring)
		}
		mp = append(mp, poly)
	}
	return mp
}

// edgeDistance is the distance from p to the nearest edge of mp in tile
// units, given the size of a unit in degrees of longitude and latitude.
func edgeDistance(mp orb.MultiPolygon, p orb.Point, ux, uy float64) float64 {
	best := math.Inf(1)
	for _, poly := range mp {
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				ax, ay := (r[i][0]-p[0])/ux, (r[i][1]-p[1])/uy
				bx, by := (r[i+1][0]-p[0])/ux, (r[i+1][1]-p[1])/uy
				dx, dy := bx-ax, by-ay
				t := 0.0
				if l := dx*dx + dy*dy; l > 0 {
					t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l))
				}
				best = math.Min(best, math.Hypot(ax+t*dx, ay+t*dy))
			}
		}
	}
	return best
}
