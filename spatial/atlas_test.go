package spatial

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"citygrid/test/pgtest"

	"github.com/paulmach/orb"
)

// The real-outline test set: administrative outlines nobody here drew, from
// the public-domain us-atlas and world-atlas packages (U.S. Census county
// and state boundaries and Natural Earth countries as TopoJSON, 1:10m),
// fetched with npm on first use and kept in the user's cache directory.
// Nothing derived from them is committed.

var atlasPackages = []string{"us-atlas@3.0.1", "world-atlas@2.0.2"}

const (
	countiesFile  = "node_modules/us-atlas/counties-10m.json"
	countriesFile = "node_modules/world-atlas/countries-10m.json"
)

// atlasDir returns a directory holding the atlas packages, installing them
// with npm when missing. Without npm or network the test is skipped, or
// fails in CI.
func atlasDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CITYGRID_ATLAS_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir = filepath.Join(cache, "citygrid-test", "atlas")
	}
	_, err1 := os.Stat(filepath.Join(dir, countiesFile))
	_, err2 := os.Stat(filepath.Join(dir, countriesFile))
	if err1 == nil && err2 == nil {
		return dir
	}
	fail := t.Skipf
	if pgtest.InCI() {
		fail = t.Fatalf
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		fail("npm is needed to fetch %s: %v", atlasPackages, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(npm, append([]string{"install", "--no-save", "--no-audit", "--no-fund", "--prefix", dir}, atlasPackages...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		fail("npm install %s: %v\n%s", atlasPackages, err, out)
	}
	return dir
}

// topoDocument is the part of a TopoJSON document the test reads.
type topoDocument struct {
	Transform *struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Arcs    [][][2]float64 `json:"arcs"`
	Objects map[string]struct {
		Geometries []topoGeometry `json:"geometries"`
	} `json:"objects"`
}

type topoGeometry struct {
	Type       string          `json:"type"`
	ID         any             `json:"id"`
	Arcs       json.RawMessage `json:"arcs"`
	Properties struct {
		Name string `json:"name"`
	} `json:"properties"`
}

// atlasFeature is one decoded polygon feature.
type atlasFeature struct {
	ID, Name string
	Geometry orb.MultiPolygon
}

// decodeTopology reads a TopoJSON file: it undoes the quantisation and
// delta encoding of the arcs and stitches rings from arc references (~i is
// arc i reversed).
func decodeTopology(t *testing.T, path string) (objects map[string][]atlasFeature, arcs []orb.LineString) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var topo topoDocument
	if err := json.Unmarshal(b, &topo); err != nil {
		t.Fatal(err)
	}
	arcs = make([]orb.LineString, len(topo.Arcs))
	for i, a := range topo.Arcs {
		var x, y float64
		ls := make(orb.LineString, len(a))
		for k, d := range a {
			if tr := topo.Transform; tr != nil {
				x, y = x+d[0], y+d[1]
				ls[k] = orb.Point{x*tr.Scale[0] + tr.Translate[0], y*tr.Scale[1] + tr.Translate[1]}
			} else {
				ls[k] = orb.Point{d[0], d[1]}
			}
		}
		arcs[i] = ls
	}
	ring := func(refs []int) orb.Ring {
		var r orb.Ring
		for _, ref := range refs {
			a := arcs[max(ref, ^ref)]
			if ref < 0 {
				a = slices.Clone(a)
				slices.Reverse(a)
			}
			if len(r) > 0 {
				a = a[1:]
			}
			r = append(r, a...)
		}
		return r
	}
	polygon := func(rings [][]int) orb.Polygon {
		var p orb.Polygon
		for k, refs := range rings {
			// Quantisation collapses some tiny islands and holes below the
			// four positions a ring needs: drop them (a part with them).
			r := ring(refs)
			if len(r) < 4 {
				if k == 0 {
					return nil
				}
				continue
			}
			p = append(p, r)
		}
		return p
	}
	objects = map[string][]atlasFeature{}
	for name, obj := range topo.Objects {
		for _, g := range obj.Geometries {
			f := atlasFeature{ID: fmt.Sprint(g.ID), Name: g.Properties.Name}
			switch g.Type {
			case "Polygon":
				var rings [][]int
				if err := json.Unmarshal(g.Arcs, &rings); err != nil {
					t.Fatal(err)
				}
				if q := polygon(rings); q != nil {
					f.Geometry = orb.MultiPolygon{q}
				}
			case "MultiPolygon":
				var polys [][][]int
				if err := json.Unmarshal(g.Arcs, &polys); err != nil {
					t.Fatal(err)
				}
				for _, p := range polys {
					if q := polygon(p); q != nil {
						f.Geometry = append(f.Geometry, q)
					}
				}
			default:
				continue
			}
			if len(f.Geometry) == 0 {
				continue
			}
			objects[name] = append(objects[name], f)
		}
	}
	return objects, arcs
}
