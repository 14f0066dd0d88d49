package editing

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"citygrid/api/httpx"
	"citygrid/data"
)

// Unit-grid reads, now or as of a past time (the history of splits and
// merges):
//
//	GET /api/v1/unit_grids[?as_of=&community=]
//	GET /api/v1/unit_grids/{code}[?as_of=]

// gridCollection is the answer of GET /api/v1/unit_grids.
type gridCollection struct {
	Type     string         `json:"type"`
	Features []*gridFeature `json:"features"`
}

// gridHistory is the store's unit-grid history, or an error saying the
// store keeps none.
func (s *editService) gridHistory() (data.UnitGridHistory, error) {
	if h, ok := s.ed.(data.UnitGridHistory); ok && s.ed != nil {
		return h, nil
	}
	return nil, errNoEditor
}

// gridsAt reads the as_of parameter; without it the answer is the grids
// as stored now.
func gridsAt(r *http.Request) (time.Time, error) {
	t, has, err := asOf(r)
	if err != nil || has {
		return t, err
	}
	return time.Now().Add(time.Hour), nil
}

func (s *editService) listGrids(w http.ResponseWriter, r *http.Request) {
	h, err := s.gridHistory()
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	t, err := gridsAt(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	community := r.URL.Query().Get("community")
	if community != "" && !isCommunityCode(community) {
		httpx.WriteError(w, httpx.BadRequest("community", "want a 12-digit community code"))
		return
	}
	gs, err := h.UnitGridsAsOf(r.Context(), t)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	out := gridCollection{Type: "FeatureCollection", Features: []*gridFeature{}}
	for i := range gs {
		if community == "" || gs[i].Community == community {
			out.Features = append(out.Features, gridFeatureOf(&gs[i]))
		}
	}
	writeGeoJSON(w, out)
}

func (s *editService) getGrid(w http.ResponseWriter, r *http.Request) {
	h, err := s.gridHistory()
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	t, err := gridsAt(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	g, err := h.UnitGridAsOf(r.Context(), chi.URLParam(r, "code"), t)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	writeGeoJSON(w, gridFeatureOf(&g))
}

// isCommunityCode reports whether s has the shape of a community code (12
// digits, GB/T 30428.1).
func isCommunityCode(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// writeGeoJSON answers v as GeoJSON with status 200.
func writeGeoJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/geo+json")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
