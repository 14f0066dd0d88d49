package ogc

import (
	"net/http"
	"slices"
	"sync"
	"time"

	"citygrid/spatial/cql2"
	"citygrid/spatial/crs"
	"citygrid/spatial/features"

	"github.com/go-chi/chi/v5"
)

// Conformance lists the conformance classes the server declares; each is
// checked by a test following the class's abstract test suite
// (conformance_test.go).
var Conformance = []string{
	"http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/landing-page",
	"http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/json",
	"http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
	"http://www.opengis.net/spec/cql2/1.0/conf/property-property",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
	"http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
	"http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
}

func (s *Server) landing(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r, noParams); err != nil {
		s.fail(w, err)
		return
	}
	b := s.base(r)
	const title = "citygrid 数字城管空间数据服务"
	const desc = "城市部件、单元网格、行政区划和管理网格（OGC API – Features），以及城市矢量瓦片（OGC API – Tiles）"
	links := []link{
		{Href: b, Rel: "self", Type: typeJSON, Title: "本页"},
		{Href: b + "/api", Rel: "service-desc", Type: typeOpenAPI, Title: "OpenAPI 3.0 接口定义"},
		{Href: b + "/conformance", Rel: "conformance", Type: typeJSON, Title: "符合的标准类"},
		{Href: b + "/collections", Rel: "data", Type: typeJSON, Title: "要素集合"},
		{Href: b + "/tiles", Rel: "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", Type: typeJSON, Title: "矢量瓦片集"},
		{Href: b + "/tileMatrixSets", Rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", Type: typeJSON, Title: "瓦片矩阵集"},
	}
	if wantsHTML(r) {
		writeHTML(w, page{Base: b, Title: title, Description: desc, Links: htmlLinks(links)})
		return
	}
	links = append(links, link{Href: b + "?f=html", Rel: "alternate", Type: "text/html", Title: "网页"})
	writeJSON(w, http.StatusOK, map[string]any{"title": title, "description": desc, "links": links})
}

func (s *Server) conformance(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r, noParams); err != nil {
		s.fail(w, err)
		return
	}
	classes := Conformance
	if s.cfg.Edit != nil && !s.cfg.ReadOnly {
		classes = slices.Concat(Conformance, Part4)
	}
	writeJSON(w, http.StatusOK, map[string]any{"conformsTo": classes})
}

// collectionDoc is one collection's description.
type collectionDoc struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Links       []link   `json:"links"`
	Extent      *extent  `json:"extent,omitempty"`
	ItemType    string   `json:"itemType"`
	CRS         []string `json:"crs"`
	StorageCRS  string   `json:"storageCrs"`
}

type extent struct {
	Spatial struct {
		BBox [][4]float64 `json:"bbox"`
		CRS  string       `json:"crs"`
	} `json:"spatial"`
	Temporal *temporalExtent `json:"temporal,omitempty"`
}

type temporalExtent struct {
	Interval [][2]*string `json:"interval"`
	TRS      string       `json:"trs"`
}

// extentCache keeps each collection's extent for one data version: the
// extent takes a scan of the layer, and edits change the version.
type extentCache struct {
	mu      sync.Mutex
	version string
	byID    map[string]*extent
}

func (s *Server) extentOf(c *features.Collection) *extent {
	v := s.cfg.Tiles().Tileset().Version()
	s.extents.mu.Lock()
	if s.extents.version != v {
		s.extents.version, s.extents.byID = v, map[string]*extent{}
	}
	if e, ok := s.extents.byID[c.ID]; ok {
		s.extents.mu.Unlock()
		return e
	}
	s.extents.mu.Unlock()
	b, first, last, ok := c.Extent(s.cfg.Index())
	if !ok {
		return nil
	}
	e := &extent{}
	e.Spatial.BBox = [][4]float64{{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}}
	e.Spatial.CRS = crs.CRS84.URI
	if c.Temporal != "" && !last.IsZero() {
		f, l := first.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339)
		e.Temporal = &temporalExtent{Interval: [][2]*string{{&f, &l}}, TRS: "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
	}
	s.extents.mu.Lock()
	if s.extents.version == v {
		s.extents.byID[c.ID] = e
	}
	s.extents.mu.Unlock()
	return e
}

func (s *Server) collectionDoc(r *http.Request, c *features.Collection) collectionDoc {
	b := s.base(r) + "/collections/" + c.ID
	return collectionDoc{
		ID: c.ID, Title: c.Title, Description: c.Description,
		Links: []link{
			{Href: b, Rel: "self", Type: typeJSON, Title: c.Title},
			{Href: b + "/items", Rel: "items", Type: typeGeoJSON, Title: c.Title + "要素"},
			{Href: b + "/queryables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: typeSchema, Title: "可查询属性"},
		},
		Extent: s.extentOf(c), ItemType: "feature", CRS: crs.OGCURIs(), StorageCRS: crs.CRS84.URI,
	}
}

func (s *Server) lookup(r *http.Request) (*features.Collection, error) {
	id := chi.URLParam(r, "collection")
	c, ok := features.Lookup(id)
	if !ok {
		return nil, &notFound{"collection " + id}
	}
	return c, nil
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r, noParams); err != nil {
		s.fail(w, err)
		return
	}
	b := s.base(r)
	var docs []collectionDoc
	for _, c := range features.Collections() {
		docs = append(docs, s.collectionDoc(r, c))
	}
	if wantsHTML(r) {
		p := page{Base: b, Title: "要素集合"}
		for _, d := range docs {
			p.Links = append(p.Links, link{Href: b + "/collections/" + d.ID + "?f=html", Title: d.Title + "（" + d.ID + "）"})
		}
		writeHTML(w, p)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"links":       []link{{Href: b + "/collections", Rel: "self", Type: typeJSON}},
		"collections": docs,
		"crs":         crs.OGCURIs(),
	})
}

// collectionOnly finds the collection of a request that takes no query
// parameters, answering the error itself when it fails.
func (s *Server) collectionOnly(w http.ResponseWriter, r *http.Request) (*features.Collection, bool) {
	c, err := s.lookup(r)
	if err == nil {
		err = checkParams(r, noParams)
	}
	if err != nil {
		s.fail(w, err)
		return nil, false
	}
	return c, true
}

func (s *Server) collection(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collectionOnly(w, r)
	if !ok {
		return
	}
	doc := s.collectionDoc(r, c)
	if wantsHTML(r) {
		writeHTML(w, page{Base: s.base(r), Title: doc.Title, Description: doc.Description, Links: htmlLinks(doc.Links)})
		return
	}
	writeJSON(w, http.StatusOK, doc)
}

// queryableSchema is the JSON Schema of one queryable.
func queryableSchema(t cql2.Type) map[string]any {
	switch t {
	case cql2.TypeGeometry:
		return map[string]any{"format": "geometry-any"}
	case cql2.TypeDate:
		return map[string]any{"type": "string", "format": "date"}
	case cql2.TypeTimestamp:
		return map[string]any{"type": "string", "format": "date-time"}
	}
	return map[string]any{"type": string(t)}
}

func (s *Server) queryables(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collectionOnly(w, r)
	if !ok {
		return
	}
	props := map[string]any{}
	names := make([]string, 0, len(c.Queryables))
	for name, t := range c.Queryables {
		props[name] = queryableSchema(t)
		names = append(names, name)
	}
	slices.Sort(names)
	writeJSONAs(w, http.StatusOK, typeSchema, map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  s.base(r) + "/collections/" + c.ID + "/queryables",
		"type":                 "object",
		"title":                c.Title,
		"properties":           props,
		"additionalProperties": false,
	})
}
