// Package lookups serves the spatial questions a centre asks of its city:
// locate, responsible, nearest and within, one at a time or in batches,
// and address search (geocode, reverse, suggest).
package lookups

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"citygrid/api/city"
	"citygrid/api/httpx"
	"citygrid/data"
	"citygrid/spatial"
	"citygrid/spatial/crs"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
)

// Mount adds the lookup routes over the city c; maxBatch caps the points
// of one batch request.
func Mount(r chi.Router, c *city.City, maxBatch int) {
	(&spatialService{ix: c.Index, maxBatch: maxBatch}).mount(r)
	(&geocodeService{geo: c.Geocoder}).mount(r)
}

// spatialService serves the lookups of package spatial under /api/v1.
// Handlers are thin: parse and check the input, call the index, encode.
type spatialService struct {
	ix       *spatial.Index
	maxBatch int
	locs     sync.Pool // *spatial.Location, reused by locate
}

func (s *spatialService) mount(r chi.Router) {
	r.Get("/api/v1/locate", s.locate)
	r.Post("/api/v1/locate/batch", s.locateBatch)
	r.Post("/api/v1/responsible/batch", s.responsibleBatch)
	r.Get("/api/v1/responsible", s.responsible)
	r.Get("/api/v1/nearest", s.nearest)
	r.Get("/api/v1/within", s.withinBBox)
	r.Post("/api/v1/within", s.withinPolygon)
}

// Defaults and caps of the component queries.
const (
	defaultNearestK = 10
	defaultRadiusM  = 100
	defaultLimit    = 1000
	maxLimit        = 10000
)

// queryCRS reads the optional crs parameter.
func queryCRS(q httpx.Getter) (crs.CRS, error) {
	return httpx.ParseCRS("crs", q.Get("crs"))
}

// queryPoint reads lon, lat and crs and returns the point in storage
// coordinates together with the CRS the answer must use.
func queryPoint(q httpx.Getter) (orb.Point, crs.CRS, error) {
	lon, lat, err := httpx.QueryLonLat(q)
	if err != nil {
		return orb.Point{}, "", err
	}
	c, err := queryCRS(q)
	if err != nil {
		return orb.Point{}, "", err
	}
	return crs.ToStorage(c, orb.Point{lon, lat}), c, nil
}

// locate answers GET /api/v1/locate.
func (s *spatialService) locate(w http.ResponseWriter, r *http.Request) {
	p, c, err := queryPoint(httpx.RawQuery(r.URL.RawQuery))
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	loc, _ := s.locs.Get().(*spatial.Location)
	if loc == nil {
		loc = &spatial.Location{ManagementGrids: make([]spatial.ManagementGridRef, 0, 8)}
	}
	defer s.locs.Put(loc)
	err = s.ix.LocateInto(p, loc)
	loc.ToCRS(c)
	switch {
	case err == nil:
		writeLocation(w, http.StatusOK, loc, "")
	case spatial.IsOutside(err):
		writeLocation(w, httpx.StatusOf(err), loc, err.Error())
	default:
		httpx.WriteError(w, err)
	}
}

// responsible answers GET /api/v1/responsible.
func (s *spatialService) responsible(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	component := q.Get("component")
	c, err := queryCRS(q)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	var p orb.Point
	// A case about a named component may leave out the point: the
	// component's own position is used.
	if component == "" || q.Get("lon") != "" || q.Get("lat") != "" {
		if p, _, err = queryPoint(q); err != nil {
			httpx.WriteError(w, err)
			return
		}
	}
	category := q.Get("category")
	if category == "" && component == "" {
		httpx.WriteError(w, httpx.BadRequest("category", "required (or give component)"))
		return
	}
	res, err := s.ix.Responsible(p, data.CategoryKind(q.Get("kind")), category, component)
	res.ToCRS(c)
	switch {
	case err == nil:
		httpx.WriteJSON(w, http.StatusOK, &res)
	case spatial.IsOutside(err):
		httpx.WriteJSON(w, httpx.StatusOf(err), outsideResponsibility{Error: err.Error(), CRS: res.CRS, Location: &res.Location})
	default:
		httpx.WriteError(w, err)
	}
}

// responsibleBatchRequest is the body of POST /api/v1/responsible/batch.
type responsibleBatchRequest struct {
	CRS   string                     `json:"crs"`
	Cases []spatial.ResponsibleQuery `json:"cases"`
}

// responsibleBatchAnswer is its answer: one result per case, in order.
type responsibleBatchAnswer struct {
	CRS     crs.CRS                       `json:"crs"`
	Count   int                           `json:"count"`
	Results []spatial.BatchResponsibility `json:"results"`
}

// responsibleBatch answers POST /api/v1/responsible/batch: Responsible for
// many cases at once. Invalid input in any case rejects the whole batch
// with 400 naming the case; a case outside the city gets an error and its
// location in its result.
func (s *spatialService) responsibleBatch(w http.ResponseWriter, r *http.Request) {
	var req responsibleBatchRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.WriteError(w, err)
		return
	}
	c, err := crs.Parse(req.CRS)
	if err != nil {
		httpx.WriteError(w, httpx.BadRequest("crs", "unknown CRS "+httpx.Quote(req.CRS)+": want cgcs2000, wgs84, gcj02 or bd09"))
		return
	}
	if limit := s.batchLimit(r); len(req.Cases) > limit {
		httpx.WriteError(w, httpx.BadRequest("cases", fmt.Sprintf("%d cases exceed the batch limit of %d", len(req.Cases), limit)))
		return
	}
	if len(req.Cases) == 0 {
		httpx.WriteError(w, httpx.BadRequest("cases", "required: at least one case"))
		return
	}
	for i := range req.Cases {
		q := &req.Cases[i]
		if q.Point != (orb.Point{}) {
			field := "cases[" + strconv.Itoa(i) + "].point"
			if err := httpx.CheckLonLat(field, field, q.Point[0], q.Point[1]); err != nil {
				httpx.WriteError(w, err)
				return
			}
			q.Point = crs.ToStorage(c, q.Point)
		}
	}
	res, err := s.ix.ResponsibleBatch(req.Cases)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	if err := r.Context().Err(); err != nil {
		httpx.WriteError(w, err)
		return
	}
	for i := range res {
		res[i].ToCRS(c)
	}
	httpx.WriteJSON(w, http.StatusOK, responsibleBatchAnswer{CRS: c, Count: len(res), Results: res})
}

// outsideResponsibility is the 404 answer of responsible for a point
// outside the city: the error and the location with the nearest grid.
type outsideResponsibility struct {
	Error    string            `json:"error"`
	CRS      crs.CRS           `json:"crs"`
	Location *spatial.Location `json:"location"`
}

// nearest answers GET /api/v1/nearest.
func (s *spatialService) nearest(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, c, err := queryPoint(q)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	k, err := httpx.QueryInt(q, "k", defaultNearestK, 1, spatial.MaxNearestK)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	radius, err := httpx.QueryPositive(q, "radius", defaultRadiusM, spatial.MaxRadiusM)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	res, err := s.ix.Nearest(p, k, radius, httpx.QueryList(q, "category"))
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	res.ToCRS(c)
	httpx.WriteJSON(w, http.StatusOK, &res)
}

// withinBBox answers GET /api/v1/within?bbox=.
func (s *spatialService) withinBBox(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, err := queryCRS(q)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	b, err := httpx.ParseBBox("bbox", q.Get("bbox"))
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	limit, err := httpx.QueryInt(q, "limit", defaultLimit, 0, maxLimit)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	cats := httpx.QueryList(q, "category")
	var res spatial.WithinResult
	if c.Geographic() {
		res, err = s.ix.WithinBound(orb.Bound{Min: orb.Point{b.MinLon, b.MinLat}, Max: orb.Point{b.MaxLon, b.MaxLat}}, cats, limit)
	} else {
		// A box drawn on a GCJ-02 or BD-09 basemap is not a box in
		// CGCS2000: convert its outline and query the polygon.
		ring := orb.Ring{{b.MinLon, b.MinLat}, {b.MaxLon, b.MinLat}, {b.MaxLon, b.MaxLat}, {b.MinLon, b.MaxLat}, {b.MinLon, b.MinLat}}
		res, err = s.ix.WithinPolygon(toStorage(c, orb.MultiPolygon{{ring}}), cats, limit)
	}
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	res.ToCRS(c)
	httpx.WriteJSON(w, http.StatusOK, &res)
}

// withinPolygon answers POST /api/v1/within with a GeoJSON Polygon or
// MultiPolygon (bare, or as a Feature's geometry) in the body.
func (s *spatialService) withinPolygon(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, err := queryCRS(q)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	limit, err := httpx.QueryInt(q, "limit", defaultLimit, 0, maxLimit)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	mp, err := httpx.DecodePolygon(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	res, err := s.ix.WithinPolygon(toStorage(c, mp), httpx.QueryList(q, "category"), limit)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	res.ToCRS(c)
	httpx.WriteJSON(w, http.StatusOK, &res)
}

// toStorage converts every coordinate of mp from c to storage coordinates
// (in place; mp was decoded for this request).
func toStorage(c crs.CRS, mp orb.MultiPolygon) orb.MultiPolygon {
	if c.Geographic() {
		return mp
	}
	for _, poly := range mp {
		for _, ring := range poly {
			for i := range ring {
				ring[i] = crs.ToStorage(c, ring[i])
			}
		}
	}
	return mp
}
