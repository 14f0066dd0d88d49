package lookups

import (
	"net/http"
	"strings"

	"citygrid/api/city"
	"citygrid/api/httpx"
	"citygrid/spatial/crs"
	"citygrid/spatial/geocode"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
)

// geocodeService serves address search (地理编码), reverse geocoding and
// suggestions for dispatcher forms over the city's geocoder, which the
// live applier rebuilds after unit-grid edits.
type geocodeService struct {
	geo *city.Geocoder
}

// current is the geocoder requests use now.
func (s *geocodeService) current() *geocode.Geocoder { return s.geo.Current() }

// mount registers the routes as api/openapi/*.json documents them.
// /api/v1/suggest and /api/v1/reverse are the paths issue 10 names; they
// serve the same handlers as their /api/v1/geocode/... forms.
func (s *geocodeService) mount(r chi.Router) {
	r.Get("/api/v1/geocode", s.forward)
	r.Get("/api/v1/geocode/suggest", s.suggest)
	r.Get("/api/v1/geocode/reverse", s.reverse)
	r.Get("/api/v1/suggest", s.suggest)
	r.Get("/api/v1/reverse", s.reverse)
}

// geocodeAnswer is the answer of forward geocoding and suggestions.
type geocodeAnswer struct {
	CRS     crs.CRS          `json:"crs"`
	Query   string           `json:"query"`
	Count   int              `json:"count"`
	Results []geocode.Result `json:"results"`
}

// reverseAnswer is the answer of reverse geocoding.
type reverseAnswer struct {
	CRS crs.CRS `json:"crs"`
	geocode.ReverseResult
}

// resultsToCRS converts the results' points from storage to c.
func resultsToCRS(c crs.CRS, rs []geocode.Result) {
	if c.Geographic() {
		return
	}
	for i := range rs {
		rs[i].Geometry = geocode.Point(crs.FromStorage(c, orb.Point(rs[i].Geometry)))
	}
}

// structuredFields are the query parameters of a structured forward query.
var structuredFields = []string{"district", "street", "community", "road", "number", "poi"}

// forward answers GET /api/v1/geocode?q=TEXT and the structured form
// ?district=&street=&community=&road=&number=&poi= (both may be given: the
// fields then complete the text).
func (s *geocodeService) forward(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sq := geocode.Query{
		District: q.Get("district"), Street: q.Get("street"), Community: q.Get("community"),
		Road: q.Get("road"), Number: q.Get("number"), POI: q.Get("poi"),
	}
	text := q.Get("q")
	structured := sq != (geocode.Query{})
	if strings.TrimSpace(text) == "" && !structured {
		httpx.WriteError(w, httpx.BadRequest("q", "required (or one of "+strings.Join(structuredFields, ", ")+")"))
		return
	}
	s.answer(w, q, text, func(limit int) ([]geocode.Result, error) {
		switch {
		case !structured:
			return s.current().Forward(text, limit)
		case strings.TrimSpace(text) == "":
			return s.current().ForwardQuery(sq, limit)
		}
		return s.current().Forward(text+" "+sq.Text(), limit)
	}, geocode.DefaultLimit)
}

// suggest answers GET /api/v1/geocode/suggest?q=PREFIX.
func (s *geocodeService) suggest(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	text := q.Get("q")
	if strings.TrimSpace(text) == "" {
		httpx.WriteError(w, httpx.BadRequest("q", "required"))
		return
	}
	s.answer(w, q, text, func(limit int) ([]geocode.Result, error) { return s.current().Suggest(text, limit) }, 10)
}

// answer reads crs and limit, runs find and writes the results.
func (s *geocodeService) answer(w http.ResponseWriter, q httpx.Getter, text string, find func(limit int) ([]geocode.Result, error), defLimit int) {
	c, err := queryCRS(q)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	limit, err := httpx.QueryInt(q, "limit", defLimit, 1, geocode.MaxLimit)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	rs, err := find(limit)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	if rs == nil {
		rs = []geocode.Result{}
	}
	resultsToCRS(c, rs)
	httpx.WriteJSON(w, http.StatusOK, geocodeAnswer{CRS: c, Query: text, Count: len(rs), Results: rs})
}

// reverse answers GET /api/v1/geocode/reverse?lon=&lat=[&crs=].
func (s *geocodeService) reverse(w http.ResponseWriter, r *http.Request) {
	p, c, err := queryPoint(httpx.RawQuery(r.URL.RawQuery))
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	res, err := s.current().Reverse(p)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	res.Point = geocode.Point(crs.FromStorage(c, p))
	resultsToCRS(c, res.Results)
	if res.Location != nil {
		res.Location.ToCRS(c)
	}
	if res.Results == nil {
		res.Results = []geocode.Result{}
	}
	httpx.WriteJSON(w, http.StatusOK, reverseAnswer{CRS: c, ReverseResult: res})
}
