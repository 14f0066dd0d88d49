package ogc_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// count asks the components collection with a query and returns
// numberMatched.
func count(t *testing.T, c *city, query string) int {
	t.Helper()
	var page fc
	c.get(t, "/ogc/collections/components/items?limit=1&"+query, 200, &page)
	return page.NumberMatched
}

func countWhere(c *city, keep func(*data.Component) bool) int {
	n := 0
	for i := range c.ds.Components {
		if keep(&c.ds.Components[i]) {
			n++
		}
	}
	return n
}

// Part 2 /conf/crs: crs lists (collection), crs-action (coordinates in
// the CRS asked, Content-Crs header), bbox-crs-action, invalid crs 400.
func testCRS(t *testing.T, c *city) {
	var col collectionDoc
	c.get(t, "/ogc/collections/components", 200, &col)
	if len(col.CRS) != 4 || col.CRS[0] != "http://www.opengis.net/def/crs/OGC/1.3/CRS84" {
		t.Fatalf("crs list %v", col.CRS)
	}
	g := c.ds.UnitGrids[0]
	first := g.Geometry[0][0][0]
	type one struct {
		Geometry struct{ Coordinates [][][][2]float64 }
	}
	for uri, want := range map[string][2]float64{
		"": first, "http://www.opengis.net/def/crs/EPSG/0/4490": {first[1], first[0]},
		"http://www.opengis.net/def/crs/EPSG/0/3857": {6378137 * first[0] * math.Pi / 180,
			6378137 * math.Log(math.Tan(math.Pi/4+first[1]*math.Pi/360))},
	} {
		var f one
		path := "/ogc/collections/unit_grids/items/" + g.Code
		if uri != "" {
			path += "?crs=" + q(uri)
		}
		h := c.get(t, path, 200, &f)
		got := f.Geometry.Coordinates[0][0][0]
		if math.Abs(got[0]-want[0]) > 1e-6 || math.Abs(got[1]-want[1]) > 1e-6 {
			t.Errorf("crs %q: first vertex %v, want %v", uri, got, want)
		}
		if wantURI := map[bool]string{true: "http://www.opengis.net/def/crs/OGC/1.3/CRS84", false: uri}[uri == ""]; h.Get("Content-Crs") != "<"+wantURI+">" {
			t.Errorf("crs %q: Content-Crs %s", uri, h.Get("Content-Crs"))
		}
	}
	// The same box in CRS84 and in EPSG:4490 (lat,lon) selects the same.
	b := gridBound(c, 5)
	swapped := strings.Join([]string{ftoa(b.Min[1]), ftoa(b.Min[0]), ftoa(b.Max[1]), ftoa(b.Max[0])}, ",")
	n84 := count(t, c, "bbox="+bboxParam(b))
	n4490 := count(t, c, "bbox="+swapped+"&bbox-crs="+q("http://www.opengis.net/def/crs/EPSG/0/4490"))
	if n84 == 0 || n84 != n4490 {
		t.Errorf("bbox in CRS84 %d, in EPSG:4490 %d", n84, n4490)
	}
	c.get(t, "/ogc/collections/components/items?crs=EPSG:9999", 400, nil)
	c.get(t, "/ogc/collections/components/items?bbox-crs=EPSG:4490", 400, nil)
}

func ftoa(v float64) string { return strings.TrimRight(strings.TrimRight(jsonNum(v), "0"), ".") }

func jsonNum(v float64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Part 3 /conf/queryables: the queryables resource is a JSON Schema
// object of the collection's properties, linked from the collection.
func testQueryables(t *testing.T, c *city) {
	var col collectionDoc
	c.get(t, "/ogc/collections/components", 200, &col)
	href := linkOf(t, col.Links, "http://www.opengis.net/def/rel/ogc/1.0/queryables")
	var qs struct {
		Schema     string `json:"$schema"`
		Type       string
		Properties map[string]map[string]any
	}
	h := c.get(t, href, 200, &qs)
	if qs.Type != "object" || qs.Properties["status"]["type"] != "string" || qs.Properties["changed_at"]["format"] != "date-time" ||
		qs.Properties["geometry"]["format"] != "geometry-any" || h.Get("Content-Type") != "application/schema+json" {
		t.Errorf("queryables %+v (%s)", qs, h.Get("Content-Type"))
	}
}

// Part 3 /conf/queryables-query-parameters: a queryable as a query
// parameter filters by equality; a wrongly typed value is 400.
func testQueryablesParameters(t *testing.T, c *city) {
	comp := c.ds.Components[7]
	got := count(t, c, "category="+comp.Category+"&status="+string(comp.Status))
	want := countWhere(c, func(x *data.Component) bool { return x.Category == comp.Category && x.Status == comp.Status })
	if got != want || want == 0 {
		t.Errorf("category&status: %d, want %d", got, want)
	}
	c.get(t, "/ogc/collections/components/items?version=abc", 400, nil)
}

// Part 3 /conf/filter and /conf/features-filter: filter with filter-lang
// applies to items; a bad filter is 400 with the position.
func testFilter(t *testing.T, c *city) {
	comp := c.ds.Components[3]
	want := countWhere(c, func(x *data.Component) bool { return x.Category == comp.Category })
	if got := count(t, c, "filter="+q("category = '"+comp.Category+"'")); got != want {
		t.Errorf("text filter: %d, want %d", got, want)
	}
	js := `{"op":"=","args":[{"property":"category"},"` + comp.Category + `"]}`
	if got := count(t, c, "filter-lang=cql2-json&filter="+q(js)); got != want {
		t.Errorf("json filter: %d, want %d", got, want)
	}
	var e exception
	c.get(t, "/ogc/collections/components/items?filter="+q("category = "), 400, &e)
	if e.Code != "InvalidParameterValue" || e.Position != 11.0 {
		t.Errorf("bad filter: %+v", e)
	}
	c.get(t, "/ogc/collections/components/items?filter="+q("colour = 'red'"), 400, &e)
	if !strings.Contains(e.Description, "unknown queryable") {
		t.Errorf("unknown queryable: %+v", e)
	}
	c.get(t, "/ogc/collections/components/items?filter-lang=cql2-json&filter="+q(`{"op":"=","args":[]}`), 400, &e)
	if e.Position != "/args" {
		t.Errorf("bad json filter: %+v", e)
	}
	c.get(t, "/ogc/collections/components/items?filter-lang=ecql&filter=x", 400, nil)
	// filter-crs: the same box given in EPSG:3857.
	b := gridBound(c, 2)
	m := func(p orb.Point) (float64, float64) {
		return 6378137 * p[0] * math.Pi / 180, 6378137 * math.Log(math.Tan(math.Pi/4+p[1]*math.Pi/360))
	}
	x0, y0 := m(b.Min)
	x1, y1 := m(b.Max)
	f84 := "S_INTERSECTS(geometry, BBOX(" + strings.ReplaceAll(bboxParam(b), ",", ", ") + "))"
	f3857 := "S_INTERSECTS(geometry, BBOX(" + strings.Join([]string{jsonNum(x0), jsonNum(y0), jsonNum(x1), jsonNum(y1)}, ", ") + "))"
	n84 := count(t, c, "filter="+q(f84))
	n3857 := count(t, c, "filter-crs="+q("http://www.opengis.net/def/crs/EPSG/0/3857")+"&filter="+q(f3857))
	if n84 == 0 || n84 != n3857 {
		t.Errorf("filter-crs: %d in CRS84, %d in EPSG:3857", n84, n3857)
	}
}

// CQL2 basic-cql2, cql2-text, cql2-json: comparisons, AND/OR/NOT and IS
// NULL, each in both encodings, against the dataset.
func testBasicCQL2(t *testing.T, c *city) {
	comp := c.ds.Components[11]
	for _, tc := range []struct {
		text, json string
		keep       func(*data.Component) bool
	}{
		{"version > 1", `{"op":">","args":[{"property":"version"},1]}`, func(x *data.Component) bool { return x.Version > 1 }},
		{"status <> 'intact' AND NOT category = '" + comp.Category + "'",
			`{"op":"and","args":[{"op":"<>","args":[{"property":"status"},"intact"]},{"op":"not","args":[{"op":"=","args":[{"property":"category"},"` + comp.Category + `"]}]}]}`,
			func(x *data.Component) bool { return x.Status != data.StatusIntact && x.Category != comp.Category }},
		{"owner IS NULL OR version <= 1", `{"op":"or","args":[{"op":"isNull","args":[{"property":"owner"}]},{"op":"<=","args":[{"property":"version"},1]}]}`,
			func(x *data.Component) bool { return x.Owner == "" || x.Version <= 1 }},
	} {
		want := countWhere(c, tc.keep)
		if got := count(t, c, "filter="+q(tc.text)); got != want {
			t.Errorf("%s: %d, want %d", tc.text, got, want)
		}
		if got := count(t, c, "filter-lang=cql2-json&filter="+q(tc.json)); got != want {
			t.Errorf("%s: %d, want %d", tc.json, got, want)
		}
	}
}

// CQL2 advanced-comparison-operators: LIKE, BETWEEN, IN.
func testAdvancedComparison(t *testing.T, c *city) {
	comp := c.ds.Components[5]
	prefix := string([]rune(comp.Name)[:2])
	for _, tc := range []struct {
		filter string
		keep   func(*data.Component) bool
	}{
		{"name LIKE '" + prefix + "%'", func(x *data.Component) bool { return strings.HasPrefix(x.Name, prefix) }},
		{"version BETWEEN 1 AND 2", func(x *data.Component) bool { return x.Version >= 1 && x.Version <= 2 }},
		{"status IN ('damaged', 'lost')", func(x *data.Component) bool { return x.Status == data.StatusDamaged || x.Status == data.StatusLost }},
	} {
		if got, want := count(t, c, "filter="+q(tc.filter)), countWhere(c, tc.keep); got != want || want == 0 {
			t.Errorf("%s: %d, want %d", tc.filter, got, want)
		}
	}
}

// CQL2 case-insensitive-comparison: CASEI.
func testCaseInsensitive(t *testing.T, c *city) {
	got := count(t, c, "filter="+q("CASEI(status) = CASEI('DAMAGED')"))
	if want := countWhere(c, func(x *data.Component) bool { return x.Status == data.StatusDamaged }); got != want || want == 0 {
		t.Errorf("CASEI: %d, want %d", got, want)
	}
}

// CQL2 basic-spatial-functions(-plus): S_INTERSECTS with a BBOX, a point
// and a polygon.
func testBasicSpatial(t *testing.T, c *city) {
	b := c.ds.Components[len(c.ds.Components)/3].Geometry.Bound().Pad(0.001)
	want := countWhere(c, func(x *data.Component) bool { return meets(x.Geometry, b) })
	r := b
	poly := "POLYGON((" + strings.Join([]string{pt(r.Min[0], r.Min[1]), pt(r.Max[0], r.Min[1]), pt(r.Max[0], r.Max[1]), pt(r.Min[0], r.Max[1]), pt(r.Min[0], r.Min[1])}, ", ") + "))"
	for _, f := range []string{"S_INTERSECTS(geometry, BBOX(" + bboxParam(b) + "))", "S_INTERSECTS(geometry, " + poly + ")"} {
		if got := count(t, c, "filter="+q(f)); got != want || want == 0 {
			t.Errorf("%s: %d, want %d", f, got, want)
		}
	}
	var p orb.Point
	for _, x := range c.ds.Components {
		if pp, ok := x.Geometry.(orb.Point); ok {
			p = pp
			break
		}
	}
	if got := count(t, c, "filter="+q("S_INTERSECTS(geometry, POINT("+pt(p[0], p[1])+"))")); got < 1 {
		t.Errorf("a component's own point: %d", got)
	}
}

func pt(x, y float64) string { return jsonNum(x) + " " + jsonNum(y) }

// CQL2 property-property: two properties compared.
func testPropertyProperty(t *testing.T, c *city) {
	got := count(t, c, "filter="+q("department = maintainer"))
	if want := countWhere(c, func(x *data.Component) bool { return x.Department != "" && x.Department == x.Maintainer }); got != want {
		t.Errorf("department = maintainer: %d, want %d", got, want)
	}
}

// OGC API Tiles core, tileset, tilesets-list, dataset-tilesets, mvt: the
// list links the tileset; its metadata links the tiling scheme and a
// templated tile URL; tiles answer with MVT, outside the matrix 404.
func testTiles(t *testing.T, c *city) {
	var list struct {
		Tilesets []struct {
			DataType string
			Links    []link
		}
	}
	c.get(t, "/ogc/tiles", 200, &list)
	if len(list.Tilesets) != 1 || list.Tilesets[0].DataType != "vector" {
		t.Fatalf("tilesets %+v", list)
	}
	var ts struct {
		TileMatrixSetURI    string
		TileMatrixSetLimits []struct {
			TileMatrix                                     string
			MinTileRow, MaxTileRow, MinTileCol, MaxTileCol int
		}
		Links []link
	}
	c.get(t, linkOf(t, list.Tilesets[0].Links, "self"), 200, &ts)
	tmpl := linkOf(t, ts.Links, "item")
	c.get(t, linkOf(t, ts.Links, "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"), 200, nil)
	lim := ts.TileMatrixSetLimits[len(ts.TileMatrixSetLimits)-3]
	row, col := (lim.MinTileRow+lim.MaxTileRow)/2, (lim.MinTileCol+lim.MaxTileCol)/2
	u := strings.NewReplacer("{tileMatrix}", lim.TileMatrix, "{tileRow}", itoa(row), "{tileCol}", itoa(col)).Replace(tmpl)
	resp := c.get(t, u, 200, nil)
	z := 0
	for _, ch := range lim.TileMatrix {
		z = 10*z + int(ch-'0')
	}
	want, _ := c.p.Tile(t.Context(), z, col, row)
	if resp.Get("ETag") != `"`+want.Hash+`"` || want.Hash == "" {
		t.Errorf("tile %s: ETag %s, the provider's %s", u, resp.Get("ETag"), want.Hash)
	}
	c.get(t, "/ogc/tiles/WebMercatorQuad/3/9/1", 404, nil)
	c.get(t, "/ogc/tiles/WebMercatorQuad/30/0/0", 404, nil)
	c.get(t, "/ogc/tiles/WorldCRS84Quad/3/1/1", 404, nil)
}

func itoa(n int) string { return jsonNum(float64(n)) }

// TMS tilematrixset, json-tilematrixset: the set's definition, listed.
func testTileMatrixSet(t *testing.T, c *city) {
	var list struct {
		TileMatrixSets []struct {
			ID    string
			Links []link
		}
	}
	c.get(t, "/ogc/tileMatrixSets", 200, &list)
	var tms struct {
		ID, URI, CRS string
		TileMatrices []struct {
			ID                        string
			MatrixWidth, MatrixHeight int
			PointOfOrigin             [2]float64
		}
	}
	c.get(t, linkOf(t, list.TileMatrixSets[0].Links, "self"), 200, &tms)
	if tms.ID != "WebMercatorQuad" || tms.CRS != "http://www.opengis.net/def/crs/EPSG/0/3857" || len(tms.TileMatrices) < 18 ||
		tms.TileMatrices[10].MatrixWidth != 1024 {
		t.Errorf("tms %+v", tms.ID)
	}
	c.get(t, "/ogc/tileMatrixSets/Other", 404, nil)
}
