package spatial

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// oracleDir holds the node oracle (test/oracle, installed with npm ci).
const oracleDir = "../test/oracle"

// requireOracle skips the test when node or the oracle's node_modules are
// missing, unless CI=true, where a missing oracle is a failure.
func requireOracle(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(oracleDir, "node_modules", "@turf", "turf"))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("turf oracle unavailable (run npm ci in test/oracle): %v", err)
		}
		t.Skipf("turf oracle unavailable (run npm ci in test/oracle): %v", err)
	}
	return node
}

type oraclePoly struct {
	Code        string           `json:"code"`
	Coordinates orb.MultiPolygon `json:"coordinates"`
}

// runTurf asks @turf/turf which polygons of each layer cover each point.
func runTurf(t *testing.T, node string, layers map[string][]oraclePoly, pts []orb.Point) map[string][][]string {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json")
	b, err := json.Marshal(map[string]any{"layers": layers, "points": pts})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, b, 0o600); err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs(filepath.Join(oracleDir, "turf-oracle.js"))
	cmd := exec.Command(node, script, in, out)
	cmd.Dir = oracleDir
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("turf oracle: %v\n%s", err, msg)
	}
	b, err = os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Turf     string                `json:"turf"`
		Covering map[string][][]string `json:"covering"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	t.Logf("@turf/turf %s answered for %d points", res.Turf, len(pts))
	return res.Covering
}

// oracleLayers exports a dataset's polygon layers for the oracle.
func oracleLayers(ds *data.Dataset) map[string][]oraclePoly {
	layers := map[string][]oraclePoly{}
	for _, g := range ds.UnitGrids {
		layers["unit_grid"] = append(layers["unit_grid"], oraclePoly{g.Code, g.Geometry})
	}
	for _, u := range ds.AdminUnits {
		layers[string(u.Level)] = append(layers[string(u.Level)], oraclePoly{u.Code, u.Geometry})
	}
	for _, g := range ds.ManagementGrids {
		layers["mgmt:"+g.Kind] = append(layers["mgmt:"+g.Kind], oraclePoly{g.Code, g.Geometry})
	}
	return layers
}

// oraclePoints is n points over the city's bounding box (with a margin so
// that some fall outside), a twentieth of them snapped exactly onto unit
// grid vertices — points every implementation must call covered by all the
// grids sharing the vertex.
func oraclePoints(ds *data.Dataset, n int) []orb.Point {
	pts := cityPoints(ds, n, 42)
	b := orb.Bound{Min: pts[0], Max: pts[0]}
	for _, p := range pts {
		b = b.Extend(p)
	}
	for i := range pts {
		p := pts[i]
		pts[i] = orb.Point{b.Min[0] - 0.01 + (p[0]-b.Min[0])/(b.Max[0]-b.Min[0])*(b.Max[0]-b.Min[0]+0.02),
			b.Min[1] - 0.01 + (p[1]-b.Min[1])/(b.Max[1]-b.Min[1])*(b.Max[1]-b.Min[1]+0.02)}
	}
	for i := 0; i < n; i += 20 {
		g := ds.UnitGrids[(i*7919)%len(ds.UnitGrids)]
		ring := g.Geometry[0][0]
		pts[i] = ring[(i/20)%(len(ring)-1)]
	}
	return pts
}

// TestLocateAgreesWithTurf compares Locate with @turf/turf on 100,000
// points over the full demo city: every point must be covered (or not)
// alike in every layer, and each polygon Locate picks must be among those
// turf says cover the point.
func TestLocateAgreesWithTurf(t *testing.T) {
	node := requireOracle(t)
	scale, n := 1.0, 100000
	if testing.Short() {
		scale, n = 0.05, 10000
	}
	ds := demoCity(t, scale)
	ix, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	pts := oraclePoints(ds, n)
	turf := runTurf(t, node, oracleLayers(ds), pts)
	covered, onVertex := 0, 0
	for i, p := range pts {
		loc, _ := ix.Locate(p)
		picks := map[string]string{
			"unit_grid":                 loc.UnitGrid.Code,
			string(data.LevelCommunity): loc.Community.Code,
			string(data.LevelStreet):    loc.Street.Code,
			string(data.LevelDistrict):  loc.District.Code,
		}
		for _, kind := range ix.ManagementGridKinds() {
			picks["mgmt:"+kind] = ""
		}
		for _, m := range loc.ManagementGrids {
			picks["mgmt:"+m.Kind] = m.Code
		}
		for layer, pick := range picks {
			want := turf[layer][i]
			if (pick != "") != (len(want) > 0) {
				t.Fatalf("point %d %v, layer %s: Locate picked %q, turf says covered by %v", i, p, layer, pick, want)
			}
			if pick != "" && !slices.Contains(want, pick) {
				t.Fatalf("point %d %v, layer %s: Locate picked %q, turf's covering set is %v", i, p, layer, pick, want)
			}
			if pick != "" && pick != slices.Min(want) {
				t.Fatalf("point %d %v, layer %s: Locate picked %q, not the lowest of turf's %v", i, p, layer, pick, want)
			}
		}
		if loc.Covered {
			covered++
			if len(turf["unit_grid"][i]) > 1 {
				onVertex++
			}
		}
	}
	t.Logf("%d of %d points covered, %d of them by several grids", covered, len(pts), onVertex)
	if covered < n/4 || onVertex < n/100 {
		t.Fatalf("test setup: %d covered, %d on shared vertices", covered, onVertex)
	}
}

// TestTurfOracleSeesTheHandBuiltCases runs the oracle itself on the
// hand-built holes, shared edges and multipolygon, so that a broken oracle
// cannot pass silently.
func TestTurfOracleSeesTheHandBuiltCases(t *testing.T) {
	node := requireOracle(t)
	hole := square(1, 1, 3, 3)
	hole.Reverse()
	layers := map[string][]oraclePoly{"unit_grid": {
		{"A", orb.MultiPolygon{{square(0, 0, 4, 4), hole}}},
		{"B", orb.MultiPolygon{{square(1, 1, 3, 3)}}},
		{"C", orb.MultiPolygon{{square(4, 0, 8, 4)}}},
		{"D", orb.MultiPolygon{{square(0, 4, 4, 6)}, {square(5, 4, 8, 6)}}},
	}}
	pts := []orb.Point{at(0.5, 0.5), at(2, 2), at(1, 2), at(4, 2), at(6, 5), at(4.5, 5), at(-1, 2)}
	want := [][]string{{"A"}, {"B"}, {"A", "B"}, {"A", "C"}, {"D"}, nil, nil}
	got := runTurf(t, node, layers, pts)["unit_grid"]
	for i := range pts {
		g := slices.Clone(got[i])
		slices.Sort(g)
		if !slices.Equal(g, want[i]) {
			t.Errorf("turf says point %d is covered by %v, want %v", i, g, want[i])
		}
	}
}
