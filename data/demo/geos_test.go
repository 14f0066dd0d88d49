package demo_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"citygrid/data/demo"
	"citygrid/data/gpkg"
)

// TestGEOSAgreesWithTheTiling stores a small city and asks GDAL's SQLite
// dialect (SpatiaLite on GEOS, an implementation independent of ours)
// whether every polygon is valid, whether the unit grids of each community
// union exactly to the community (and communities to streets, streets to
// the district), and whether every component lies within its unit grid.
// It is skipped where ogrinfo (Debian gdal-bin) is not installed.
func TestGEOSAgreesWithTheTiling(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Skip("ogrinfo not installed")
	}
	ctx := context.Background()
	ds, err := demo.Generate(ctx, demo.Options{Seed: 5, Scale: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "citygrid.gpkg")
	st, err := gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, ds); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	query := func(sql string) map[string]float64 {
		t.Helper()
		out, err := exec.Command("ogrinfo", "-q", "-dialect", "SQLITE", "-sql", sql, path).CombinedOutput()
		if err != nil || strings.Contains(string(out), "ERROR") {
			t.Fatalf("ogrinfo %q: %v\n%s", sql, err, out)
		}
		got := map[string]float64{}
		for _, m := range regexp.MustCompile(`(?m)^\s+(\w+) \(\w+\) = (\S+)`).FindAllStringSubmatch(string(out), -1) {
			v, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				v = -1 // (null)
			}
			got[m[1]] = v
		}
		return got
	}
	probe, err := exec.Command("ogrinfo", "-q", "-dialect", "SQLITE", "-sql", "SELECT ST_IsValid(ST_GeomFromText('POINT(0 0)')) AS ok", path).CombinedOutput()
	if err != nil || strings.Contains(string(probe), "ERROR") {
		t.Skipf("this GDAL has no SpatiaLite functions: %s", probe)
	}
	for _, layer := range []string{"districts", "streets", "communities", "unit_grids", "management_grids"} {
		r := query("SELECT count(*) AS n, sum(ST_IsValid(geom)) AS valid FROM " + layer)
		if r["n"] == 0 || r["valid"] != r["n"] {
			t.Errorf("%s: %v of %v polygons valid according to GEOS", layer, r["valid"], r["n"])
		}
	}
	unions := []struct{ name, sql string }{
		{"unit grids → communities", "WITH g AS (SELECT community AS p, ST_Union(geom) AS u FROM unit_grids GROUP BY community) " +
			"SELECT count(*) AS n, sum(ST_Equals(g.u, c.geom)) AS equal FROM g JOIN communities c ON c.code = g.p"},
		{"communities → streets", "WITH g AS (SELECT parent AS p, ST_Union(geom) AS u FROM communities GROUP BY parent) " +
			"SELECT count(*) AS n, sum(ST_Equals(g.u, c.geom)) AS equal FROM g JOIN streets c ON c.code = g.p"},
		{"streets → district", "WITH g AS (SELECT parent AS p, ST_Union(geom) AS u FROM streets GROUP BY parent) " +
			"SELECT count(*) AS n, sum(ST_Equals(g.u, c.geom)) AS equal FROM g JOIN districts c ON c.code = g.p"},
	}
	for _, u := range unions {
		r := query(u.sql)
		if r["n"] == 0 || r["equal"] != r["n"] {
			t.Errorf("%s: %v of %v unions equal their parent according to GEOS", u.name, r["equal"], r["n"])
		}
	}
	// Overlap: the grids' areas add up to the area of their union.
	r := query("SELECT sum(a) AS parts, ST_Area(ST_Union(geom)) AS whole FROM (SELECT geom, ST_Area(geom) AS a FROM unit_grids)")
	if d := r["parts"] - r["whole"]; d > 1e-9*r["whole"] || d < -1e-9*r["whole"] {
		t.Errorf("unit grid areas add up to %v, their union has %v: they overlap", r["parts"], r["whole"])
	}
	r = query("SELECT count(*) AS n, sum(ST_Within(c.geom, g.geom)) AS within FROM components c JOIN unit_grids g ON g.code = c.unit_grid")
	if r["n"] != float64(len(ds.Components)) || r["within"] != r["n"] {
		t.Errorf("%v of %v components lie within their unit grid according to GEOS (%d generated)", r["within"], r["n"], len(ds.Components))
	}
}
