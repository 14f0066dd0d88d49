package api

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"citygrid/spatial"
	"citygrid/spatial/crs"
	"citygrid/spatial/geocode"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
)

// geocodeService serves address search (地理编码), reverse geocoding and
// suggestions for dispatcher forms over package spatial/geocode.
//
// The geocoder places door plates, POIs and admin names in unit grids when
// it is built, so unit-grid edits (split, merge, redraw) rebuild it: the
// live updater calls gridsChanged, then refresh before the edit's answer,
// and later requests use the new geocoder (read-your-writes). Component
// edits do not concern it: it indexes no components.
type geocodeService struct {
	ix *spatial.Index
	g  atomic.Pointer[geocode.Geocoder]

	want  atomic.Int64 // bumped by every applied unit-grid change
	mu    sync.Mutex   // one rebuild at a time
	built int64        // the want the current geocoder reflects, under mu
}

// newGeocodeService indexes the city's names once at start-up, over the
// dataset of the spatial index, which also gives the unit grids and the
// locate answers.
func newGeocodeService(ix *spatial.Index) (*geocodeService, error) {
	if ix == nil {
		return nil, fmt.Errorf("geocode: no spatial index")
	}
	g, err := geocode.BuildWithIndex(ix)
	if err != nil {
		return nil, fmt.Errorf("geocode: %w", err)
	}
	s := &geocodeService{ix: ix}
	s.g.Store(g)
	return s, nil
}

// current is the geocoder requests use now.
func (s *geocodeService) current() *geocode.Geocoder { return s.g.Load() }

// gridsChanged records that unit grids were edited (after the index has
// them); refresh then rebuilds.
func (s *geocodeService) gridsChanged() {
	if s != nil {
		s.want.Add(1)
	}
}

// refresh rebuilds the geocoder over the index when unit grids changed
// since it was built, and returns once requests use a geocoder that
// reflects every change recorded before the call. Concurrent callers share
// one rebuild. On failure the previous geocoder stays in use and the next
// refresh tries again.
func (s *geocodeService) refresh() error {
	if s == nil {
		return nil
	}
	target := s.want.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.built >= target {
		return nil
	}
	target = s.want.Load()
	g, err := geocode.BuildWithIndex(s.ix)
	if err != nil {
		return fmt.Errorf("geocode: rebuild after unit-grid edits: %w", err)
	}
	s.g.Store(g)
	s.built = target
	return nil
}

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
		writeError(w, errBadRequest("q", "required (or one of "+strings.Join(structuredFields, ", ")+")"))
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
		writeError(w, errBadRequest("q", "required"))
		return
	}
	s.answer(w, q, text, func(limit int) ([]geocode.Result, error) { return s.current().Suggest(text, limit) }, 10)
}

// answer reads crs and limit, runs find and writes the results.
func (s *geocodeService) answer(w http.ResponseWriter, q getter, text string, find func(limit int) ([]geocode.Result, error), defLimit int) {
	c, err := queryCRS(q)
	if err != nil {
		writeError(w, err)
		return
	}
	limit, err := queryInt(q, "limit", defLimit, 1, geocode.MaxLimit)
	if err != nil {
		writeError(w, err)
		return
	}
	rs, err := find(limit)
	if err != nil {
		writeError(w, err)
		return
	}
	if rs == nil {
		rs = []geocode.Result{}
	}
	resultsToCRS(c, rs)
	writeJSON(w, http.StatusOK, geocodeAnswer{CRS: c, Query: text, Count: len(rs), Results: rs})
}

// reverse answers GET /api/v1/geocode/reverse?lon=&lat=[&crs=].
func (s *geocodeService) reverse(w http.ResponseWriter, r *http.Request) {
	p, c, err := queryPoint(rawQuery(r.URL.RawQuery))
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := s.current().Reverse(p)
	if err != nil {
		writeError(w, err)
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
	writeJSON(w, http.StatusOK, reverseAnswer{CRS: c, ReverseResult: res})
}
