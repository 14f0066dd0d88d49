package ogc_test

import (
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"citygrid/api/ogc"
	"citygrid/data"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Each conformance class the landing page declares is checked by one of
// these tests, which follow the abstract test suite of its standard
// (the test ids are named in each). A class declared without a test
// fails TestEveryDeclaredClassHasATest.
var classTests = map[string]func(*testing.T, *city){
	"ogcapi-common-1/1.0/conf/core":                          testCommonCore,
	"ogcapi-common-1/1.0/conf/landing-page":                  testLandingPage,
	"ogcapi-common-1/1.0/conf/json":                          testJSON,
	"ogcapi-common-1/1.0/conf/html":                          testHTML,
	"ogcapi-features-1/1.0/conf/html":                        testHTML,
	"ogcapi-common-1/1.0/conf/oas30":                         testOAS30,
	"ogcapi-features-1/1.0/conf/core":                        testFeaturesCore,
	"ogcapi-features-1/1.0/conf/geojson":                     testGeoJSON,
	"ogcapi-features-1/1.0/conf/oas30":                       testOAS30,
	"ogcapi-features-2/1.0/conf/crs":                         testCRS,
	"ogcapi-features-3/1.0/conf/queryables":                  testQueryables,
	"ogcapi-features-3/1.0/conf/queryables-query-parameters": testQueryablesParameters,
	"ogcapi-features-3/1.0/conf/filter":                      testFilter,
	"ogcapi-features-3/1.0/conf/features-filter":             testFilter,
	"cql2/1.0/conf/basic-cql2":                               testBasicCQL2,
	"cql2/1.0/conf/cql2-text":                                testBasicCQL2,
	"cql2/1.0/conf/cql2-json":                                testBasicCQL2,
	"cql2/1.0/conf/advanced-comparison-operators":            testAdvancedComparison,
	"cql2/1.0/conf/case-insensitive-comparison":              testCaseInsensitive,
	"cql2/1.0/conf/basic-spatial-functions":                  testBasicSpatial,
	"cql2/1.0/conf/basic-spatial-functions-plus":             testBasicSpatial,
	"cql2/1.0/conf/property-property":                        testPropertyProperty,
	"ogcapi-tiles-1/1.0/conf/core":                           testTiles,
	"ogcapi-tiles-1/1.0/conf/tileset":                        testTiles,
	"ogcapi-tiles-1/1.0/conf/tilesets-list":                  testTiles,
	"ogcapi-tiles-1/1.0/conf/dataset-tilesets":               testTiles,
	"ogcapi-tiles-1/1.0/conf/mvt":                            testTiles,
	"tms/2.0/conf/tilematrixset":                             testTileMatrixSet,
	"tms/2.0/conf/json-tilematrixset":                        testTileMatrixSet,
}

func TestEveryDeclaredClassHasATest(t *testing.T) {
	c := newCity(t)
	var got struct{ ConformsTo []string }
	c.get(t, "/ogc/conformance", 200, &got)
	if !slices.Equal(got.ConformsTo, ogc.Conformance) {
		t.Fatalf("conformsTo %v", got.ConformsTo)
	}
	for _, class := range got.ConformsTo {
		name := strings.TrimPrefix(class, "http://www.opengis.net/spec/")
		test, ok := classTests[name]
		if !ok {
			t.Errorf("class %s has no test", class)
			continue
		}
		t.Run(name, func(t *testing.T) { test(t, c) })
	}
}

// /conf/core (Common): the API answers its operations with 200 and bad
// requests with 4xx and an exception body (code, description).
func testCommonCore(t *testing.T, c *city) {
	var e exception
	c.get(t, "/ogc/collections/nope", 404, &e)
	if e.Code != "NotFound" || e.Description == "" {
		t.Errorf("404 body %+v", e)
	}
	c.get(t, "/ogc/conformance?foo=1", 400, &e)
	if e.Code != "InvalidParameterValue" {
		t.Errorf("400 body %+v", e)
	}
}

// /conf/landing-page: root-op, root-success (links to service-desc,
// conformance and data).
func testLandingPage(t *testing.T, c *city) {
	var lp struct {
		Title string
		Links []link
	}
	c.get(t, "/ogc", 200, &lp)
	for _, rel := range []string{"self", "service-desc", "conformance", "data"} {
		if href := linkOf(t, lp.Links, rel); href == "" {
			t.Errorf("landing page has no %s link", rel)
		} else if rel != "self" {
			c.get(t, href, 200, nil)
		}
	}
}

// /conf/json: landing page and conformance are application/json.
func testJSON(t *testing.T, c *city) {
	for _, p := range []string{"/ogc", "/ogc/conformance", "/ogc/collections"} {
		if ct := c.get(t, p, 200, nil).Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %s", p, ct)
		}
	}
}

// /conf/oas30: the service-desc is an OpenAPI 3.0 document describing
// the routes.
func testOAS30(t *testing.T, c *city) {
	var doc struct {
		OpenAPI string
		Paths   map[string]any
	}
	h := c.get(t, "/ogc/api", 200, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.0") || doc.Paths["/collections/{collectionId}/items"] == nil ||
		!strings.Contains(h.Get("Content-Type"), "openapi") {
		t.Errorf("openapi %s, %d paths, %s", doc.OpenAPI, len(doc.Paths), h.Get("Content-Type"))
	}
}

type collectionDoc struct {
	ID     string
	Links  []link
	CRS    []string
	Extent struct {
		Spatial struct {
			BBox [][]float64
			CRS  string
		}
	}
}

// Features Part 1 /conf/core: fc-md-op, fc-md-items (each collection with
// id, items link, extent), sfc-md-op, fc-op, fc-limit-definition and
// -response, fc-bbox-definition and -response, fc-response (links,
// numberMatched, numberReturned), f-op and f-success, query-param-unknown.
func testFeaturesCore(t *testing.T, c *city) {
	var cs struct {
		Links       []link
		Collections []collectionDoc
	}
	c.get(t, "/ogc/collections", 200, &cs)
	if linkOf(t, cs.Links, "self") == "" || len(cs.Collections) != 6 {
		t.Fatalf("collections %+v", cs)
	}
	for _, col := range cs.Collections {
		var one collectionDoc
		c.get(t, "/ogc/collections/"+col.ID, 200, &one)
		b := one.Extent.Spatial.BBox
		if one.ID != col.ID || linkOf(t, one.Links, "items") == "" || len(b) != 1 || len(b[0]) != 4 || b[0][0] > b[0][2] {
			t.Errorf("collection %s: %+v", col.ID, one)
		}
	}
	// Paging the whole components collection visits each exactly once.
	seen := map[string]bool{}
	next := "/ogc/collections/components/items?limit=1000"
	pages := 0
	for next != "" {
		var page fc
		c.get(t, next, 200, &page)
		if page.NumberMatched != len(c.ds.Components) || page.NumberReturned != len(page.Features) || page.NumberReturned > 1000 {
			t.Fatalf("page %d: matched %d returned %d of %d", pages, page.NumberMatched, page.NumberReturned, len(c.ds.Components))
		}
		for _, f := range page.Features {
			if seen[f.ID] {
				t.Fatalf("%s on two pages", f.ID)
			}
			seen[f.ID] = true
		}
		next = linkOf(t, page.Links, "next")
		pages++
	}
	if len(seen) != len(c.ds.Components) || pages < 2 {
		t.Fatalf("paged %d of %d components in %d pages", len(seen), len(c.ds.Components), pages)
	}
	var def fc
	c.get(t, "/ogc/collections/components/items", 200, &def)
	if def.NumberReturned != 100 {
		t.Errorf("default limit gave %d", def.NumberReturned)
	}
	for _, bad := range []string{"limit=0", "limit=10001", "limit=x", "bbox=1,2,3", "bbox=2,0,1,1", "bbox=a,b,c,d", "colour=red", "datetime=yesterday"} {
		var e exception
		c.get(t, "/ogc/collections/components/items?"+bad, 400, &e)
		if e.Code != "InvalidParameterValue" {
			t.Errorf("%s: %+v", bad, e)
		}
	}
	// bbox: exactly the components whose geometry meets it.
	b := gridBound(c, 3)
	var got fc
	c.get(t, "/ogc/collections/components/items?limit=10000&bbox="+bboxParam(b), 200, &got)
	want := 0
	for i := range c.ds.Components {
		if meets(c.ds.Components[i].Geometry, b) {
			want++
		}
	}
	if got.NumberMatched != want || want == 0 {
		t.Errorf("bbox: %d matched, %d meet it", got.NumberMatched, want)
	}
	// datetime on changed_at.
	at := c.ds.Components[0].ChangedAt
	var dt fc
	c.get(t, "/ogc/collections/components/items?datetime="+q(at.Format("2006-01-02T15:04:05Z07:00")), 200, &dt)
	wantDT := 0
	for _, comp := range c.ds.Components {
		if comp.ChangedAt.Equal(at) {
			wantDT++
		}
	}
	if dt.NumberMatched != wantDT || wantDT == 0 {
		t.Errorf("datetime: %d, want %d", dt.NumberMatched, wantDT)
	}
	// Single features.
	comp := c.ds.Components[len(c.ds.Components)/2]
	var f struct {
		Type       string
		ID         string
		Properties map[string]any
		Links      []link
	}
	h := c.get(t, "/ogc/collections/components/items/"+comp.Code, 200, &f)
	if f.ID != comp.Code || f.Properties["category"] != comp.Category || h.Get("ETag") != data.ETag(comp.Code, comp.Version) {
		t.Errorf("feature %+v etag %s", f, h.Get("ETag"))
	}
	c.get(t, "/ogc/collections/components/items/nope", 404, nil)
	mg := c.ds.ManagementGrids[0]
	c.get(t, "/ogc/collections/management_grids/items/"+mg.Kind+":"+mg.Code, 200, nil)
}

// gridBound is the bound of the k-th unit grid, grown a little.
func gridBound(c *city, k int) orb.Bound {
	b := c.ds.UnitGrids[k*len(c.ds.UnitGrids)/10].Geometry.Bound()
	return b.Pad(0.0003)
}

func bboxParam(b orb.Bound) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return f(b.Min[0]) + "," + f(b.Min[1]) + "," + f(b.Max[0]) + "," + f(b.Max[1])
}

// meets tells whether a component's geometry meets a box, by vertices
// and box corners; random boxes cross no edge without either.
func meets(g orb.Geometry, b orb.Bound) bool {
	switch x := g.(type) {
	case orb.Point:
		return b.Contains(x)
	case orb.LineString:
		for i := range x {
			if b.Contains(x[i]) || i > 0 && segmentMeetsBound(x[i-1], x[i], b) {
				return true
			}
		}
		return false
	case orb.Polygon:
		for _, p := range x[0] {
			if b.Contains(p) {
				return true
			}
		}
		for _, p := range []orb.Point{b.Min, b.Max, {b.Min[0], b.Max[1]}, {b.Max[0], b.Min[1]}} {
			if planar.PolygonContains(x, p) {
				return true
			}
		}
		for i := 1; i < len(x[0]); i++ {
			if segmentMeetsBound(x[0][i-1], x[0][i], b) {
				return true
			}
		}
	}
	return false
}

// segmentMeetsBound clips a segment to a box (Liang–Barsky).
func segmentMeetsBound(a, z orb.Point, b orb.Bound) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := z[0]-a[0], z[1]-a[1]
	for _, pq := range [][2]float64{{-dx, a[0] - b.Min[0]}, {dx, b.Max[0] - a[0]}, {-dy, a[1] - b.Min[1]}, {dy, b.Max[1] - a[1]}} {
		p, qq := pq[0], pq[1]
		if p == 0 {
			if qq < 0 {
				return false
			}
			continue
		}
		r := qq / p
		if p < 0 {
			t0 = math.Max(t0, r)
		} else {
			t1 = math.Min(t1, r)
		}
	}
	return t0 <= t1
}

// /conf/geojson: items and features are GeoJSON with the geo+json type.
func testGeoJSON(t *testing.T, c *city) {
	var page fc
	h := c.get(t, "/ogc/collections/unit_grids/items?limit=5", 200, &page)
	if h.Get("Content-Type") != "application/geo+json" || page.Type != "FeatureCollection" || len(page.Features) != 5 {
		t.Fatalf("%s %+v", h.Get("Content-Type"), page.Type)
	}
	for _, f := range page.Features {
		var g struct{ Type string }
		if err := jsonUnmarshal(f.Geometry, &g); err != nil || g.Type != "MultiPolygon" || f.Properties["code"] != f.ID {
			t.Errorf("feature %s: geometry %s", f.ID, f.Geometry)
		}
	}
}

// /conf/html (Common and Features): landing page, collections, a
// collection, items and an item as text/html, by f=html and by a
// browser's Accept header, with the content of the JSON answers.
func testHTML(t *testing.T, c *city) {
	comp := c.ds.Components[2]
	for path, want := range map[string]string{
		"/ogc?f=html":                                                "要素集合",
		"/ogc/collections?f=html":                                    "单元网格（unit_grids）",
		"/ogc/collections/components?f=html":                         "可查询属性",
		"/ogc/collections/components/items?f=html&limit=3":           "下一页",
		"/ogc/collections/components/items/" + comp.Code + "?f=html": comp.Category,
	} {
		resp, err := http.Get(c.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d %s, want a page with %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
	}
	req, _ := http.NewRequest("GET", c.srv.URL+"/ogc/collections", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("a browser got %s", resp.Header.Get("Content-Type"))
	}
}
