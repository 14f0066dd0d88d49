package geoio_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"citygrid/data/geoio"
	"citygrid/data/gpkg/gpkgtest"
	"citygrid/spatial"
	"citygrid/tiles"
)

// copyBlock is one COPY ... FROM stdin block of a script, its rows split
// into decoded fields (nil = NULL).
type copyBlock struct {
	table string
	cols  []string
	rows  [][]*string
}

var copyLine = regexp.MustCompile(`^COPY (\w+) \(([^)]*)\) FROM stdin;$`)

// parseCopy reads the COPY blocks of a script with the COPY text format's
// rules (tab-separated, \N is NULL, backslash escapes), independently of
// the writer.
func parseCopy(t *testing.T, script []byte) map[string]*copyBlock {
	t.Helper()
	out := map[string]*copyBlock{}
	sc := bufio.NewScanner(bytes.NewReader(script))
	sc.Buffer(nil, 64<<20)
	var cur *copyBlock
	for sc.Scan() {
		line := sc.Text()
		if cur == nil {
			if m := copyLine.FindStringSubmatch(line); m != nil {
				cur = &copyBlock{table: m[1], cols: strings.Split(m[2], ", ")}
				out[cur.table] = cur
			}
			continue
		}
		if line == `\.` {
			cur = nil
			continue
		}
		var row []*string
		for _, f := range strings.Split(line, "\t") {
			if f == `\N` {
				row = append(row, nil)
				continue
			}
			var b strings.Builder
			for i := 0; i < len(f); i++ {
				if f[i] == '\\' && i+1 < len(f) {
					i++
					switch f[i] {
					case 't':
						b.WriteByte('\t')
					case 'n':
						b.WriteByte('\n')
					case 'r':
						b.WriteByte('\r')
					default:
						b.WriteByte(f[i])
					}
					continue
				}
				b.WriteByte(f[i])
			}
			s := b.String()
			row = append(row, &s)
		}
		if len(row) != len(cur.cols) {
			t.Fatalf("%s: row has %d fields for %d columns: %q", cur.table, len(row), len(cur.cols), line)
		}
		cur.rows = append(cur.rows, row)
	}
	if cur != nil {
		t.Fatalf("COPY %s not terminated by \\.", cur.table)
	}
	return out
}

func (b *copyBlock) col(t *testing.T, row []*string, name string) string {
	t.Helper()
	for i, c := range b.cols {
		if c == name {
			if row[i] == nil {
				return `\N`
			}
			return *row[i]
		}
	}
	t.Fatalf("%s has no column %s", b.table, name)
	return ""
}

func TestWritePostGIS(t *testing.T) {
	ds := gpkgtest.City()
	// Text that COPY must escape.
	ds.Components[0].Note = "tab\there\nnew line \\ backslash\r"
	var buf bytes.Buffer
	if err := geoio.WritePostGIS(context.Background(), &buf, ds, geoio.PostGISOptions{}); err != nil {
		t.Fatal(err)
	}
	script := buf.Bytes()
	blocks := parseCopy(t, script)
	want := map[string]int{"admin_units": len(ds.AdminUnits), "unit_grids": len(ds.UnitGrids), "management_grids": len(ds.ManagementGrids),
		"categories": len(ds.Categories), "departments": len(ds.Departments), "components": len(ds.Components), "roads": len(ds.Roads),
		"addresses": len(ds.Addresses), "pois": len(ds.POIs), "rules": len(ds.Rules)}
	for table, n := range want {
		b := blocks[table]
		if b == nil {
			t.Fatalf("no COPY block for %s", table)
		}
		if len(b.rows) != n {
			t.Errorf("%s: %d rows, want %d", table, len(b.rows), n)
		}
		// Every COPY names columns its CREATE TABLE declares.
		create := regexp.MustCompile(`(?s)CREATE TABLE ` + table + ` \((.*?)\n\);`).FindSubmatch(script)
		if create == nil {
			t.Fatalf("no CREATE TABLE %s", table)
		}
		for _, c := range b.cols {
			if !regexp.MustCompile(`(?m)^  ` + c + ` `).Match(create[1]) {
				t.Errorf("%s: COPY column %s not declared", table, c)
			}
		}
	}
	// The escaped note comes back as written.
	comps := blocks["components"]
	for _, row := range comps.rows {
		if comps.col(t, row, "code") == ds.Components[0].Code {
			if got := comps.col(t, row, "note"); got != ds.Components[0].Note {
				t.Errorf("note %q, want %q", got, ds.Components[0].Note)
			}
		}
	}
	// Geometry: hex EWKB with SRID 4326 that decodes to the stored geometry.
	ug := blocks["unit_grids"]
	for i, row := range ug.rows {
		raw, err := hex.DecodeString(ug.col(t, row, "geom"))
		if err != nil {
			t.Fatal(err)
		}
		g, srid, err := ewkb.Unmarshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		if srid != 4326 || !orb.Equal(g, ds.UnitGrids[i].Geometry) {
			t.Fatalf("unit grid %d: SRID %d geometry %v, want 4326 %v", i, srid, g, ds.UnitGrids[i].Geometry)
		}
	}
	// Indexes a PostGIS user needs for citygrid's questions.
	for _, stmt := range []string{
		"CREATE INDEX unit_grids_geom_idx ON unit_grids USING gist (geom);",
		"CREATE INDEX components_geog_idx ON components USING gist (geog);",
		"CREATE INDEX components_category_idx ON components USING btree (category);",
		"CREATE INDEX components_geom_3857_idx ON components USING gist (geom_3857);",
		"CLUSTER unit_grids USING unit_grids_geom_idx;",
		"ANALYZE;",
		"geom_3857 geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED",
		"geog geography GENERATED ALWAYS AS (geom::geography) STORED",
	} {
		if !bytes.Contains(script, []byte(stmt)) {
			t.Errorf("script lacks %q", stmt)
		}
	}
	if err := geoio.WritePostGIS(context.Background(), &buf, ds, geoio.PostGISOptions{Schema: "x; DROP TABLE y"}); err == nil {
		t.Error("a schema name that is not an identifier was accepted")
	}
}

// TestPostGISFeatureIDs checks the exported mvt_id against the ids in
// tiles drawn by citygrid's own tile encoder: ST_AsMVT with mvt_id as the
// feature id then gives the same ids.
func TestPostGISFeatureIDs(t *testing.T) {
	ds := gpkgtest.City()
	var buf bytes.Buffer
	if err := geoio.WritePostGIS(context.Background(), &buf, ds, geoio.PostGISOptions{}); err != nil {
		t.Fatal(err)
	}
	blocks := parseCopy(t, buf.Bytes())
	ids := map[string]map[string]bool{} // layer -> mvt_id set
	add := func(layer, id string) {
		if ids[layer] == nil {
			ids[layer] = map[string]bool{}
		}
		ids[layer][id] = true
	}
	au := blocks["admin_units"]
	for _, row := range au.rows {
		add(map[string]string{"district": "districts", "street": "streets", "community": "communities"}[au.col(t, row, "level")], au.col(t, row, "mvt_id"))
	}
	for _, table := range []string{"unit_grids", "management_grids", "components", "roads"} {
		b := blocks[table]
		for _, row := range b.rows {
			add(table, b.col(t, row, "mvt_id"))
		}
	}
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tiles.New(ix, tiles.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	center := ds.UnitGrids[0].Geometry.Bound().Center()
	for z := 12; z <= 17; z++ {
		tl := maptile.At(center, maptile.Zoom(z))
		raw, err := ts.Tile(context.Background(), z, int(tl.X), int(tl.Y))
		if err != nil {
			t.Fatal(err)
		}
		if raw == nil {
			continue
		}
		layers, err := mvt.UnmarshalGzipped(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range layers {
			set, ok := ids[l.Name]
			if !ok {
				continue
			}
			for _, f := range l.Features {
				id := idString(f.ID)
				if !set[id] {
					t.Fatalf("z%d layer %s: tile feature id %s is no exported mvt_id", z, l.Name, id)
				}
				seen[l.Name]++
			}
		}
	}
	for _, l := range []string{"districts", "unit_grids", "components"} {
		if seen[l] == 0 {
			t.Errorf("no %s feature checked", l)
		}
	}
	if got, want := geoio.TileFeatureID("unit_grids", "x"), fnv1a53("unit_grids\x00x"); got != want {
		t.Errorf("TileFeatureID = %d, want %d", got, want)
	}
}

// fnv1a53 is FNV-1a 64 cut to 53 bits, written out from its definition.
func fnv1a53(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h & (1<<53 - 1)
}

// idString is a decoded MVT feature id as decimal text.
func idString(v any) string {
	switch v := v.(type) {
	case uint64:
		return strconv.FormatUint(v, 10)
	case float64:
		return strconv.FormatUint(uint64(v), 10)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(v)
}
