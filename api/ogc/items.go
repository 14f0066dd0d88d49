package ogc

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"citygrid/data"
	"citygrid/spatial/cql2"
	"citygrid/spatial/crs"
	"citygrid/spatial/features"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// itemParams are the query parameters of items besides the property
// filters: Part 1 (limit, bbox, datetime), Part 2 (crs, bbox-crs), Part 3
// (filter, filter-lang, filter-crs), the paging cursor after and the
// as_of extension (the layer as it was at a past time).
var itemParams = map[string]bool{
	"limit": true, "bbox": true, "bbox-crs": true, "crs": true, "datetime": true,
	"filter": true, "filter-lang": true, "filter-crs": true, "after": true, "as_of": true,
}

// feature is one GeoJSON feature of an answer.
type feature struct {
	Type       string            `json:"type"`
	ID         string            `json:"id"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties map[string]any    `json:"properties"`
	Links      []link            `json:"links,omitempty"`
}

func featureOf(it features.Item, out crs.OGC) feature {
	f := feature{Type: "Feature", ID: it.ID, Properties: it.Properties}
	if it.Geometry != nil {
		f.Geometry = geojson.NewGeometry(out.FromStorage(it.Geometry))
	}
	return f
}

// featureCollection is a page of items.
type featureCollection struct {
	Type           string    `json:"type"`
	Features       []feature `json:"features"`
	NumberMatched  int       `json:"numberMatched"`
	NumberReturned int       `json:"numberReturned"`
	TimeStamp      string    `json:"timeStamp"`
	Links          []link    `json:"links"`
}

// itemsQuery decodes the parameters of an items request.
func itemsQuery(r *http.Request, c *features.Collection) (features.Query, crs.OGC, error) {
	q := r.URL.Query()
	fq := features.Query{Limit: features.DefaultLimit, After: q.Get("after")}
	err := checkParams(r, func(name string) bool {
		t, ok := c.Queryables[name]
		return itemParams[name] || ok && t != cql2.TypeGeometry
	})
	if err != nil {
		return fq, crs.OGC{}, err
	}
	out, err := crs.ParseOGC(q.Get("crs"))
	if err != nil {
		return fq, out, badParam("crs", err.Error())
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > features.MaxLimit {
			return fq, out, badParam("limit", "want an integer from 1 to "+strconv.Itoa(features.MaxLimit))
		}
		fq.Limit = n
	}
	var conds []*cql2.Expr
	if v := q.Get("bbox"); v != "" {
		b, err := parseBBox(v, q.Get("bbox-crs"))
		if err != nil {
			return fq, out, err
		}
		conds = append(conds, c.BBox(b))
	} else if q.Has("bbox-crs") {
		return fq, out, badParam("bbox-crs", "given without bbox")
	}
	if v := q.Get("datetime"); v != "" {
		e, err := c.Datetime(v)
		if err != nil {
			return fq, out, cqlParam("datetime", err)
		}
		conds = append(conds, e)
	}
	for name := range q {
		if itemParams[name] || name == "f" {
			continue
		}
		e, err := c.PropertyFilter(name, q.Get(name))
		if err != nil {
			return fq, out, cqlParam(name, err)
		}
		conds = append(conds, e)
	}
	if v := q.Get("filter"); v != "" {
		e, err := parseFilter(v, q.Get("filter-lang"), q.Get("filter-crs"))
		if err != nil {
			return fq, out, err
		}
		conds = append(conds, e)
	} else if q.Has("filter-lang") || q.Has("filter-crs") {
		return fq, out, badParam("filter-lang", "given without filter")
	}
	if fq.Filter, err = c.Filter(conds...); err != nil {
		return fq, out, cqlParam("filter", err)
	}
	return fq, out, nil
}

// cqlParam is a parameter error carrying a CQL2 error's position.
func cqlParam(param string, err error) error {
	pe := &paramError{param: param, reason: err.Error()}
	var ce *cql2.Error
	if errors.As(err, &ce) {
		pe.cql = ce
	}
	return pe
}

// parseBBox reads bbox (4 numbers, or 6 with heights) in bbox-crs.
func parseBBox(v, bboxCRS string) (orb.Bound, error) {
	in, err := crs.ParseOGC(bboxCRS)
	if err != nil {
		return orb.Bound{}, badParam("bbox-crs", err.Error())
	}
	parts := strings.Split(v, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return orb.Bound{}, badParam("bbox", "want 4 numbers (or 6 with heights), comma-separated")
	}
	var f []float64
	for _, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return orb.Bound{}, badParam("bbox", strconv.Quote(p)+" is not a number")
		}
		f = append(f, x)
	}
	if len(f) == 6 {
		f = []float64{f[0], f[1], f[3], f[4]}
	}
	b, err := in.BoundToStorage([4]float64{f[0], f[1], f[2], f[3]})
	if err != nil {
		return orb.Bound{}, badParam("bbox", err.Error())
	}
	return b, nil
}

// parseFilter reads a filter in filter-lang, with geometry literals in
// filter-crs converted to the stored lon/lat.
func parseFilter(v, lang, filterCRS string) (*cql2.Expr, error) {
	var e *cql2.Expr
	var err error
	switch lang {
	case "", "cql2-text":
		e, err = cql2.ParseText(v)
	case "cql2-json":
		e, err = cql2.ParseJSON([]byte(v))
	default:
		return nil, badParam("filter-lang", "want cql2-text or cql2-json, not "+strconv.Quote(lang))
	}
	if err != nil {
		return nil, cqlParam("filter", err)
	}
	in, err := crs.ParseOGC(filterCRS)
	if err != nil {
		return nil, badParam("filter-crs", err.Error())
	}
	if !in.Storage() {
		if err := e.MapGeometries(func(g orb.Geometry) (orb.Geometry, error) { return in.ToStorage(g), nil }); err != nil {
			return nil, cqlParam("filter", err)
		}
	}
	return e, nil
}

func (s *Server) items(w http.ResponseWriter, r *http.Request) {
	c, err := s.lookup(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	fq, out, err := itemsQuery(r, c)
	if err != nil {
		s.fail(w, err)
		return
	}
	h, past, err := s.history(r, c)
	if err != nil {
		s.fail(w, err)
		return
	}
	var res features.Page
	if past {
		res, err = c.ItemsAsOf(h, fq)
	} else {
		res, err = c.Items(s.cfg.Index(), fq)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	here := s.base(r) + "/collections/" + c.ID + "/items"
	fc := featureCollection{
		Type: "FeatureCollection", Features: make([]feature, len(res.Items)),
		NumberMatched: res.Matched, NumberReturned: len(res.Items),
		TimeStamp: time.Now().UTC().Format(time.RFC3339),
		Links: []link{
			{Href: withQuery(here, r.URL.Query(), "", ""), Rel: "self", Type: typeGeoJSON, Title: "本页"},
			{Href: s.base(r) + "/collections/" + c.ID, Rel: "collection", Type: typeJSON, Title: c.Title},
		},
	}
	for i, it := range res.Items {
		fc.Features[i] = featureOf(it, out)
	}
	if res.Next != "" {
		fc.Links = append(fc.Links, link{Href: withQuery(here, r.URL.Query(), "after", res.Next), Rel: "next", Type: typeGeoJSON, Title: "下一页"})
	}
	if wantsHTML(r) {
		p := page{Base: s.base(r), Title: c.Title, Matched: res.Matched}
		if res.Next != "" {
			p.Next = withQuery(here, r.URL.Query(), "after", res.Next)
		}
		writeHTML(w, featuresPage(p, fc.Features, func(id string) string { return here + "/" + url.PathEscape(id) + "?f=html" }))
		return
	}
	w.Header().Set("Content-Crs", "<"+out.URI+">")
	writeJSONAs(w, http.StatusOK, typeGeoJSON, fc)
}

// withQuery is u with the query q, key set to value when key is given.
func withQuery(u string, q url.Values, key, value string) string {
	if key != "" {
		q = cloneValues(q)
		q.Set(key, value)
	}
	if len(q) == 0 {
		return u
	}
	return u + "?" + q.Encode()
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func (s *Server) item(w http.ResponseWriter, r *http.Request) {
	c, err := s.lookup(r)
	if err == nil {
		err = checkParams(r, func(name string) bool { return name == "crs" || name == "as_of" })
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	out, err := crs.ParseOGC(r.URL.Query().Get("crs"))
	if err != nil {
		s.fail(w, badParam("crs", err.Error()))
		return
	}
	id := chi.URLParam(r, "item")
	it, ok, err := s.itemAt(r, c, id)
	if err != nil {
		s.fail(w, err)
		return
	}
	if !ok {
		s.fail(w, &notFound{"feature " + id + " of " + c.ID})
		return
	}
	f := featureOf(it, out)
	self := s.base(r) + "/collections/" + c.ID + "/items/" + url.PathEscape(it.ID)
	f.Links = []link{
		{Href: self, Rel: "self", Type: typeGeoJSON},
		{Href: s.base(r) + "/collections/" + c.ID, Rel: "collection", Type: typeJSON, Title: c.Title},
	}
	if it.Version > 0 {
		w.Header().Set("ETag", data.ETag(it.ID, it.Version))
	}
	if wantsHTML(r) {
		p := page{Base: s.base(r), Title: c.Title + " " + it.ID, Matched: 1, Links: htmlLinks(f.Links)}
		writeHTML(w, featuresPage(p, []feature{f}, func(string) string { return self + "?f=html" }))
		return
	}
	w.Header().Set("Content-Crs", "<"+out.URI+">")
	writeJSONAs(w, http.StatusOK, typeGeoJSON, f)
}

// history reads the layer as it was at as_of, when the request gives one
// (past is then true).
func (s *Server) history(r *http.Request, c *features.Collection) (h features.History, past bool, err error) {
	v := r.URL.Query().Get("as_of")
	if v == "" {
		return h, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return h, false, badParam("as_of", "want an RFC 3339 time such as 2026-01-31T12:00:00Z")
	}
	if s.cfg.AsOf == nil || !c.Editable {
		return h, false, badParam("as_of", c.ID+" keep no history on this server")
	}
	h, err = s.cfg.AsOf(r.Context(), c.ID, t)
	if errors.Is(err, features.ErrNoHistory) {
		return h, false, badParam("as_of", c.ID+" keep no history on this server")
	}
	return h, true, err
}

// itemAt finds one item now, or as it was at as_of.
func (s *Server) itemAt(r *http.Request, c *features.Collection, id string) (features.Item, bool, error) {
	h, past, err := s.history(r, c)
	if err != nil || !past {
		it, ok := c.Item(s.cfg.Index(), id)
		return it, ok, err
	}
	f, err := c.PropertyFilter("code", id)
	if err != nil {
		return features.Item{}, false, err
	}
	flt, err := c.Filter(f)
	if err != nil {
		return features.Item{}, false, err
	}
	page, err := c.ItemsAsOf(h, features.Query{Filter: flt, Limit: 1})
	if err != nil || len(page.Items) == 0 {
		return features.Item{}, false, err
	}
	return page.Items[0], true, nil
}
