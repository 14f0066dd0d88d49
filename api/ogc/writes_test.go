package ogc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"citygrid/api/internal/apitest"
	"citygrid/api/ogc"
	"citygrid/data"
	"citygrid/data/demo"
	"citygrid/data/gpkg"
	"citygrid/spatial"
	"citygrid/spatial/features"
	"citygrid/tiles"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// editCity is a demo city in a GeoPackage store, served with writes: the
// store's editor commits, the index and tiles replay, as package api
// wires it.
type editCity struct {
	st  *gpkg.Store
	ix  *spatial.Index
	p   *tiles.Provider
	srv *httptest.Server
}

func newEditCity(t *testing.T) *editCity {
	t.Helper()
	ctx := context.Background()
	ds, err := demo.Generate(ctx, demo.Options{Seed: 6, Scale: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	st, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Insert(ctx, ds); err != nil {
		t.Fatal(err)
	}
	if ds, err = st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	ix, p := apitest.IndexAndTiles(t, ds)
	c := &editCity{st: st, ix: ix, p: p}
	s := ogc.New(ogc.Config{
		Index:     func() *spatial.Index { return ix },
		Tiles:     func() *tiles.Provider { return p },
		ServeTile: func(w http.ResponseWriter, r *http.Request, z, x, y int) {},
		Edit: func(r *http.Request, code string, write func(data.Editor, data.EditMeta) ([]data.Change, error)) ([]data.Change, error) {
			changes, err := write(st, data.EditMeta{User: r.Header.Get("X-User")})
			if err != nil {
				return nil, err
			}
			_, err = p.Apply(changes, ix.Apply)
			return changes, err
		},
		Writers: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-User") == "" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				next.ServeHTTP(w, r)
			})
		},
		AsOf: func(ctx context.Context, layer string, at time.Time) (features.History, error) {
			if layer != "components" {
				return features.History{}, data.ErrNotFound
			}
			comps, err := st.ComponentsAsOf(ctx, at)
			return features.History{Components: comps}, err
		},
	})
	r := chi.NewRouter()
	r.Mount("/ogc", s.Handler())
	c.srv = httptest.NewServer(r)
	t.Cleanup(c.srv.Close)
	return c
}

// do sends a request as a surveyor and returns the status, headers and
// decoded body.
func (c *editCity) do(t *testing.T, method, path, ifMatch, body string, headers ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-User", "surveyor1")
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode, resp.Header, out
}

// tileChanged reports whether the feed lists the z17 tile at p since seq,
// and returns the next sequence number.
func (c *editCity) tileChanged(t *testing.T, p orb.Point, seq int64) (bool, int64) {
	t.Helper()
	tl := maptile.At(p, 17)
	listed, next, err := c.p.Changes(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}
	return slices.Contains(listed, tiles.TileAddress{Z: 17, X: int(tl.X), Y: int(tl.Y)}), next
}

// TestAPart4RoundTripGoesThroughTheEditor: POST a component, GET it with
// its ETag, PATCH with a stale ETag (412) and the current one (200),
// DELETE; each write is in the history and in the next tile.
func TestAPart4RoundTripGoesThroughTheEditor(t *testing.T) {
	c := newEditCity(t)
	var conf struct{ ConformsTo []string }
	resp, _ := http.Get(c.srv.URL + "/ogc/conformance")
	json.NewDecoder(resp.Body).Decode(&conf)
	resp.Body.Close()
	if !slices.Contains(conf.ConformsTo, ogc.Part4[0]) {
		t.Fatalf("Part 4 not declared: %v", conf.ConformsTo)
	}
	var api struct {
		Paths map[string]map[string]any
	}
	resp, _ = http.Get(c.srv.URL + "/ogc/api")
	json.NewDecoder(resp.Body).Decode(&api)
	resp.Body.Close()
	if api.Paths["/collections/{collectionId}/items"]["post"] == nil || api.Paths["/collections/{collectionId}/items/{featureId}"]["patch"] == nil {
		t.Fatalf("the OpenAPI document does not describe the writes")
	}
	ds := c.ix.Dataset()
	tmpl := ds.Components[len(ds.Components)/2]
	p := tmpl.Geometry.Bound().Center()
	pt := orb.Point{p[0] + 0.00003, p[1] + 0.00002}
	seq := c.p.ChangesSeq()

	// Without a user the write route refuses; a bad body is 400.
	req, _ := http.NewRequest("POST", c.srv.URL+"/ogc/collections/components/items", strings.NewReader("{}"))
	if r, _ := http.DefaultClient.Do(req); r.StatusCode != 401 {
		t.Fatalf("anonymous POST: %d", r.StatusCode)
	}
	if st, _, body := c.do(t, "POST", "/ogc/collections/components/items", "", `{"type":"Feature","properties":{"colour":"red"}}`); st != 400 || body["code"] != "InvalidParameterValue" {
		t.Fatalf("unknown property: %d %v", st, body)
	}
	if st, _, _ := c.do(t, "POST", "/ogc/collections/unit_grids/items", "", `{"type":"Feature"}`); st != 405 {
		t.Fatalf("POST to unit grids: %d", st)
	}

	// POST, in EPSG:4490 (lat, lon) to check Content-Crs.
	post := `{"type":"Feature","geometry":{"type":"Point","coordinates":[` + jsonNum(pt[1]) + `,` + jsonNum(pt[0]) + `]},` +
		`"properties":{"category":"` + tmpl.Category + `","name":"新井盖","department":"` + tmpl.Department + `","status":"intact"}}`
	st, h, body := c.do(t, "POST", "/ogc/collections/components/items", "", post, "Content-Crs", "<http://www.opengis.net/def/crs/EPSG/0/4490>")
	if st != 201 || h.Get("Location") == "" || h.Get("ETag") == "" {
		t.Fatalf("POST: %d %v %v", st, h, body)
	}
	code := body["id"].(string)
	etag1 := h.Get("ETag")
	if etag1 != data.ETag(code, 1) {
		t.Fatalf("ETag %s for %s", etag1, code)
	}
	got := body["geometry"].(map[string]any)["coordinates"].([]any)
	if got[0].(float64) != pt[0] || got[1].(float64) != pt[1] {
		t.Fatalf("stored at %v, posted %v", got, pt)
	}
	changed, seq2 := c.tileChanged(t, pt, seq)
	if !changed {
		t.Fatal("the POST does not show in the next tile")
	}

	// GET with its ETag.
	st, h, _ = c.do(t, "GET", "/ogc/collections/components/items/"+code, "", "")
	if st != 200 || h.Get("ETag") != etag1 {
		t.Fatalf("GET: %d %s", st, h.Get("ETag"))
	}
	// PATCH without If-Match: 428; stale: 412 with the current ETag.
	patch := `{"type":"Feature","properties":{"status":"damaged","note":"井盖破损"}}`
	if st, _, body := c.do(t, "PATCH", "/ogc/collections/components/items/"+code, "", patch); st != 428 || body["code"] != "PreconditionRequired" {
		t.Fatalf("PATCH without If-Match: %d %v", st, body)
	}
	st, _, body = c.do(t, "PATCH", "/ogc/collections/components/items/"+code, data.ETag(code, 7), patch)
	if st != 412 || body["details"].(map[string]any)["etag"] != etag1 {
		t.Fatalf("PATCH with a stale ETag: %d %v", st, body)
	}
	st, h, body = c.do(t, "PATCH", "/ogc/collections/components/items/"+code, etag1, patch)
	props := body["properties"].(map[string]any)
	if st != 200 || h.Get("ETag") != data.ETag(code, 2) || props["status"] != "damaged" || props["name"] != "新井盖" {
		t.Fatalf("PATCH: %d %s %v", st, h.Get("ETag"), props)
	}
	if changed, seq2 = c.tileChanged(t, pt, seq2); !changed {
		t.Fatal("the PATCH does not show in the next tile")
	}
	// as_of: before the PATCH the component was intact, now damaged.
	time.Sleep(10 * time.Millisecond)
	between := time.Now().UTC()
	time.Sleep(10 * time.Millisecond)
	// PUT replaces: absent properties are cleared.
	put := `{"type":"Feature","geometry":{"type":"Point","coordinates":[` + jsonNum(pt[0]) + `,` + jsonNum(pt[1]) + `]},` +
		`"properties":{"category":"` + tmpl.Category + `","department":"` + tmpl.Department + `","status":"lost","version":99}}`
	st, h, body = c.do(t, "PUT", "/ogc/collections/components/items/"+code, data.ETag(code, 2), put)
	props = body["properties"].(map[string]any)
	if st != 200 || h.Get("ETag") != data.ETag(code, 3) || props["name"] != nil || props["status"] != "lost" {
		t.Fatalf("PUT: %d %v", st, props)
	}
	// DELETE.
	if st, _, _ := c.do(t, "DELETE", "/ogc/collections/components/items/"+code, data.ETag(code, 3), ""); st != 204 {
		t.Fatalf("DELETE: %d", st)
	}
	if changed, _ = c.tileChanged(t, pt, seq2); !changed {
		t.Fatal("the DELETE does not show in the next tile")
	}
	if st, _, _ := c.do(t, "GET", "/ogc/collections/components/items/"+code, "", ""); st != 404 {
		t.Fatalf("GET after DELETE: %d", st)
	}
	// as_of reads the past: between the PATCH and the PUT it was damaged.
	asOf := "?as_of=" + q(between.Format(time.RFC3339Nano))
	st, _, body = c.do(t, "GET", "/ogc/collections/components/items/"+code+asOf, "", "")
	if st != 200 || body["properties"].(map[string]any)["status"] != "damaged" {
		t.Fatalf("as_of single item: %d %v", st, body)
	}
	st, _, body = c.do(t, "GET", "/ogc/collections/components/items"+asOf+"&filter="+q("code = '"+code+"'"), "", "")
	if st != 200 || body["numberMatched"] != 1.0 {
		t.Fatalf("as_of items: %d %v", st, body)
	}
	if st, _, _ := c.do(t, "GET", "/ogc/collections/districts/items"+asOf, "", ""); st != 400 {
		t.Fatalf("as_of on districts: %d", st)
	}
	hist, err := c.st.History(context.Background(), "components", code)
	if err != nil || len(hist) != 4 {
		t.Fatalf("history: %d entries, %v; want create, patch, replace, delete", len(hist), err)
	}
	for _, e := range hist {
		if e.User != "surveyor1" {
			t.Errorf("history entry by %q", e.User)
		}
	}
}

// TestPutAndPatchWithoutIfMatchTakeTheVersionFromTheBody: QGIS sends no
// If-Match, but sends back the version property it read. Without If-Match
// that property is the precondition (the current version: 200; a stale
// one: 412 naming the current ETag); with neither, 428; If-Match, when
// sent, wins over the property; a DELETE still needs If-Match. PATCH
// bodies may leave out "type", as QGIS's do.
func TestPutAndPatchWithoutIfMatchTakeTheVersionFromTheBody(t *testing.T) {
	c := newEditCity(t)
	ds := c.ix.Dataset()
	tmpl := ds.Components[len(ds.Components)/3]
	p := tmpl.Geometry.Bound().Center()
	pt := orb.Point{p[0] + 0.00002, p[1] - 0.00003}
	geom := `{"type":"Point","coordinates":[` + jsonNum(pt[0]) + `,` + jsonNum(pt[1]) + `]}`
	props := `"category":"` + tmpl.Category + `","department":"` + tmpl.Department + `","status":"intact"`
	st, _, body := c.do(t, "POST", "/ogc/collections/components/items", "", `{"type":"Feature","geometry":`+geom+`,"properties":{`+props+`,"name":"旧名"}}`)
	if st != 201 {
		t.Fatalf("POST: %d %v", st, body)
	}
	code := body["id"].(string)
	item := "/ogc/collections/components/items/" + code
	if got := body["properties"].(map[string]any)["version"]; got != 1.0 {
		t.Fatalf("a new component reads version %v, want 1", got)
	}
	put := func(version, name string) string {
		return `{"type":"Feature","geometry":` + geom + `,"properties":{` + props + `,"name":"` + name + `","version":` + version + `}}`
	}
	steps := []struct {
		name, method, ifMatch, body string
		status                      int
		etag                        string // ETag of a 200, the current ETag in a 412's details
	}{
		{"PUT with the version it read", "PUT", "", put("1", "新名"), 200, data.ETag(code, 2)},
		{"PUT with the version as a string", "PUT", "", put(`"2"`, "新名2"), 200, data.ETag(code, 3)},
		{"PUT with a stale version", "PUT", "", put("2", "迟到"), 412, data.ETag(code, 3)},
		{"PATCH as QGIS sends it, with the version", "PATCH", "", `{"properties":{"status":"damaged","version":3}}`, 200, data.ETag(code, 4)},
		{"PATCH with a stale version", "PATCH", "", `{"properties":{"status":"lost","version":3}}`, 412, data.ETag(code, 4)},
		{"PATCH with neither If-Match nor version", "PATCH", "", `{"properties":{"status":"lost"}}`, 428, ""},
		{"PATCH with a null version", "PATCH", "", `{"properties":{"status":"lost","version":null}}`, 428, ""},
		{"PUT with neither If-Match nor version", "PUT", "", `{"type":"Feature","geometry":` + geom + `,"properties":{` + props + `}}`, 428, ""},
		{"If-Match wins over a stale version", "PATCH", data.ETag(code, 4), `{"properties":{"note":"复核","version":1}}`, 200, data.ETag(code, 5)},
		{"a stale If-Match wins over the current version", "PATCH", data.ETag(code, 4), `{"properties":{"note":"x","version":5}}`, 412, data.ETag(code, 5)},
		{"a geometry-only PATCH as QGIS sends it", "PATCH", data.ETag(code, 5), `{"geometry":` + geom + `}`, 200, data.ETag(code, 6)},
		{"a version that is no integer", "PATCH", "", `{"properties":{"version":1.5}}`, 400, ""},
		{"a version of 0", "PATCH", "", `{"properties":{"version":0}}`, 400, ""},
		{"a version that is no number", "PATCH", "", `{"properties":{"version":"v6"}}`, 400, ""},
		{"a PUT still needs type Feature", "PUT", "", `{"geometry":` + geom + `,"properties":{"version":6}}`, 400, ""},
		{"DELETE without If-Match", "DELETE", "", "", 428, ""},
	}
	for _, s := range steps {
		st, h, body := c.do(t, s.method, item, s.ifMatch, s.body)
		if st != s.status {
			t.Fatalf("%s: %d %v, want %d", s.name, st, body, s.status)
		}
		switch st {
		case 200:
			if h.Get("ETag") != s.etag {
				t.Fatalf("%s: ETag %s, want %s", s.name, h.Get("ETag"), s.etag)
			}
		case 412:
			if body["details"].(map[string]any)["etag"] != s.etag {
				t.Fatalf("%s: details %v, want the current ETag %s", s.name, body["details"], s.etag)
			}
		case 428:
			if body["code"] != "PreconditionRequired" || !strings.Contains(body["description"].(string), "version") {
				t.Fatalf("%s: %v, want PreconditionRequired naming the version property", s.name, body)
			}
		case 400:
			if body["code"] != "InvalidParameterValue" {
				t.Fatalf("%s: %v", s.name, body)
			}
		}
	}
	st, _, body = c.do(t, "GET", item, "", "")
	got := body["properties"].(map[string]any)
	if st != 200 || got["name"] != "新名2" || got["status"] != "damaged" || got["note"] != "复核" || got["version"] != 6.0 {
		t.Fatalf("after the writes: %d %v, want name 新名2, status damaged, note 复核, version 6", st, got)
	}
	if st, _, _ := c.do(t, "DELETE", item, data.ETag(code, 6), ""); st != 204 {
		t.Fatalf("DELETE with If-Match: %d", st)
	}
	hist, err := c.st.History(context.Background(), "components", code)
	if err != nil || len(hist) != 7 {
		t.Fatalf("history: %d entries, %v; want create, five updates, delete", len(hist), err)
	}
}
