package ogc_test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// gdal finds ogrinfo and ogr2ogr; without them the test is skipped,
// except on CI (CI=true), where it fails.
func gdal(t *testing.T) (ogrinfo, ogr2ogr string) {
	t.Helper()
	info, err1 := exec.LookPath("ogrinfo")
	o2o, err2 := exec.LookPath("ogr2ogr")
	if err := cmpErr(err1, err2); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("GDAL missing (apt-get install gdal-bin): %v", err)
		}
		t.Skipf("GDAL missing (apt-get install gdal-bin): %v", err)
	}
	return info, o2o
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=60", "CPL_DEBUG=OFF")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// copyLayer copies a collection with ogr2ogr (GDAL's OAPIF driver, paging
// followed) into GeoJSON and reads it back.
func copyLayer(t *testing.T, o2o, url, layer string, extra ...string) *geojson.FeatureCollection {
	t.Helper()
	out := filepath.Join(t.TempDir(), layer+".geojson")
	args := append([]string{"-f", "GeoJSON", out, "OAPIF:" + url, layer}, extra...)
	run(t, o2o, args...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	return fc
}

// TestGDALListsEveryCollectionAndCopiesEachLayerWhole is the acceptance
// check with a client nobody here wrote: ogrinfo lists the collections,
// ogr2ogr copies the components and unit grids whole and the copies equal
// the store; a bbox (-spat) and an attribute filter (-where) give the
// store's answers.
func TestGDALListsEveryCollectionAndCopiesEachLayerWhole(t *testing.T) {
	info, o2o := gdal(t)
	c := newCity(t)
	url := c.srv.URL + "/ogc"
	listing := run(t, info, "-ro", "-q", "OAPIF:"+url)
	for _, id := range []string{"components", "unit_grids", "districts", "streets", "communities", "management_grids"} {
		if !strings.Contains(listing, id) {
			t.Errorf("ogrinfo does not list %s:\n%s", id, listing)
		}
	}

	comps := copyLayer(t, o2o, url, "components")
	if len(comps.Features) != len(c.ds.Components) {
		t.Fatalf("ogr2ogr copied %d components, the store has %d", len(comps.Features), len(c.ds.Components))
	}
	byCode := map[string]*data.Component{}
	for i := range c.ds.Components {
		byCode[c.ds.Components[i].Code] = &c.ds.Components[i]
	}
	for _, f := range comps.Features {
		code, _ := f.Properties["code"].(string)
		s := byCode[code]
		if s == nil {
			t.Fatalf("copied component %q not in the store", code)
		}
		if f.Properties["category"] != s.Category || f.Properties["status"] != string(s.Status) ||
			f.Properties["version"] != float64(s.Version) || f.Properties["name"] != nilIfEmpty(s.Name) {
			t.Fatalf("component %s: copied %v, stored %+v", code, f.Properties, s)
		}
		if d := maxDistance(f.Geometry, s.Geometry); d > 1e-9 {
			t.Fatalf("component %s: geometry off by %g°", code, d)
		}
	}
	grids := copyLayer(t, o2o, url, "unit_grids")
	if len(grids.Features) != len(c.ds.UnitGrids) {
		t.Fatalf("ogr2ogr copied %d unit grids, the store has %d", len(grids.Features), len(c.ds.UnitGrids))
	}
	gridBy := map[string]*data.UnitGrid{}
	for i := range c.ds.UnitGrids {
		gridBy[c.ds.UnitGrids[i].Code] = &c.ds.UnitGrids[i]
	}
	for _, f := range grids.Features {
		g := gridBy[fmt.Sprint(f.Properties["code"])]
		if g == nil || maxDistance(f.Geometry, g.Geometry) > 1e-9 || math.Abs(f.Properties["area_m2"].(float64)-g.AreaM2) > 1e-6 {
			t.Fatalf("unit grid %v differs from the store", f.Properties["code"])
		}
	}

	// The other layers: whole, each feature's code and geometry as stored.
	type stored struct {
		code string
		geom orb.Geometry
	}
	others := map[string][]stored{}
	for _, u := range c.ds.AdminUnits {
		id := map[data.AdminLevel]string{data.LevelDistrict: "districts", data.LevelStreet: "streets", data.LevelCommunity: "communities"}[u.Level]
		others[id] = append(others[id], stored{u.Code, u.Geometry})
	}
	for _, g := range c.ds.ManagementGrids {
		others["management_grids"] = append(others["management_grids"], stored{g.Kind + "/" + g.Code, g.Geometry})
	}
	for layer, want := range others {
		fc := copyLayer(t, o2o, url, layer)
		byKey := map[string]orb.Geometry{}
		for _, f := range fc.Features {
			key := fmt.Sprint(f.Properties["code"])
			if layer == "management_grids" {
				key = fmt.Sprint(f.Properties["kind"]) + "/" + key
			}
			byKey[key] = f.Geometry
		}
		if len(fc.Features) != len(want) || len(byKey) != len(want) {
			t.Fatalf("%s: copied %d features, the store has %d", layer, len(fc.Features), len(want))
		}
		for _, w := range want {
			if g, ok := byKey[w.code]; !ok || maxDistance(g, w.geom) > 1e-9 {
				t.Fatalf("%s %s differs from the store", layer, w.code)
			}
		}
	}

	// -spat: the components whose geometry meets the box.
	b := gridBound(c, 4)
	spat := copyLayer(t, o2o, url, "components", "-spat", ftoa(b.Min[0]), ftoa(b.Min[1]), ftoa(b.Max[0]), ftoa(b.Max[1]))
	want := countWhere(c, func(x *data.Component) bool { return meets(x.Geometry, b) })
	if len(spat.Features) != want || want == 0 {
		t.Errorf("-spat: %d components, %d meet the box", len(spat.Features), want)
	}
	// -where: an attribute filter.
	cat := c.ds.Components[9].Category
	where := copyLayer(t, o2o, url, "components", "-where", "category = '"+cat+"' AND version >= 1")
	codes := []string{}
	for _, f := range where.Features {
		codes = append(codes, fmt.Sprint(f.Properties["code"]))
	}
	var wantCodes []string
	for _, x := range c.ds.Components {
		if x.Category == cat && x.Version >= 1 {
			wantCodes = append(wantCodes, x.Code)
		}
	}
	slices.Sort(codes)
	slices.Sort(wantCodes)
	if !slices.Equal(codes, wantCodes) || len(codes) == 0 {
		t.Errorf("-where: %d components, the store has %d", len(codes), len(wantCodes))
	}
	t.Logf("GDAL copied %d components and %d unit grids; -spat %d, -where %d", len(comps.Features), len(grids.Features), want, len(codes))
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// maxDistance is the largest coordinate difference between two geometries
// of the same shape, +Inf when the shapes differ.
func maxDistance(a, b orb.Geometry) float64 {
	pa, pb := points(a), points(b)
	if len(pa) != len(pb) || len(pa) == 0 {
		return math.Inf(1)
	}
	d := 0.0
	for i := range pa {
		d = math.Max(d, math.Max(math.Abs(pa[i][0]-pb[i][0]), math.Abs(pa[i][1]-pb[i][1])))
	}
	return d
}

func points(g orb.Geometry) []orb.Point {
	var out []orb.Point
	switch x := g.(type) {
	case orb.Point:
		out = append(out, x)
	case orb.LineString:
		out = append(out, x...)
	case orb.Polygon:
		for _, r := range x {
			out = append(out, r...)
		}
	case orb.MultiPolygon:
		for _, p := range x {
			out = append(out, points(p)...)
		}
	}
	return out
}
