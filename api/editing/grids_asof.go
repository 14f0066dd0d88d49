package editing

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"citygrid/api/httpx"
	"citygrid/data"
)

// Unit-grid reads, now or as of a past time (the history of splits and
// merges):
//
//	GET /api/v1/unit_grids[?as_of=&community=&limit=&after=]
//	GET /api/v1/unit_grids/{code}[?as_of=]

// gridCollection is the answer of GET /api/v1/unit_grids: one page of
// grids in code order.
type gridCollection struct {
	Type     string         `json:"type"`
	Features []*gridFeature `json:"features"`
	// Next is the code to pass as after= for the next page ("" at the
	// end); NextLink is that page's relative URL, also in the Link header.
	Next     string `json:"next,omitempty"`
	NextLink string `json:"next_link,omitempty"`
}

// Pages of the unit-grid list: a demo city's 3,000 grids are 5 MB of
// GeoJSON, which a slow or stalled reader kept in the server's memory.
const (
	defaultGridPage = 500
	maxGridPage     = 2000
)

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
	q := r.URL.Query()
	community, after := q.Get("community"), q.Get("after")
	if community != "" && !isCommunityCode(community) {
		httpx.WriteError(w, httpx.BadRequest("community", "want a 12-digit community code"))
		return
	}
	limit, err := httpx.QueryInt(q, "limit", defaultGridPage, 1, maxGridPage)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	gs, err := h.UnitGridsAsOf(r.Context(), t)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	slices.SortFunc(gs, func(a, b data.UnitGrid) int { return strings.Compare(a.Code, b.Code) })
	out := gridCollection{Type: "FeatureCollection", Features: []*gridFeature{}}
	for i := range gs {
		if gs[i].Code <= after || community != "" && gs[i].Community != community {
			continue
		}
		if len(out.Features) == limit {
			out.Next = out.Features[limit-1].ID
			out.NextLink = httpx.SetNextLink(w, r, out.Next)
			break
		}
		out.Features = append(out.Features, gridFeatureOf(&gs[i]))
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
