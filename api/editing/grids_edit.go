package editing

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"citygrid/api/httpx"
	"citygrid/data"
)

// Unit-grid edits:
//
//	POST /api/v1/unit_grids/{code}/split  {"parts": [GeoJSON (Multi)Polygon | Feature, ...]}
//	POST /api/v1/unit_grids/merge         {"codes": ["...", "..."]}
//	GET  /api/v1/unit_grids/{code}/history
//	GET  /api/v1/unit_grids[/{code}]          (grids_asof.go)
//
// Both writes answer the new grids and the components that moved.

func (s *editService) mountGrids(r, w chi.Router) {
	w.Post("/api/v1/unit_grids/{code}/split", s.split)
	w.Post("/api/v1/unit_grids/merge", s.merge)
	r.Get("/api/v1/unit_grids/{code}/history", s.gridChanges)
	r.Get("/api/v1/unit_grids", s.listGrids)
	r.Get("/api/v1/unit_grids/{code}", s.getGrid)
}

// gridFeature is a unit grid as a GeoJSON Feature.
type gridFeature struct {
	Type       string            `json:"type"`
	ID         string            `json:"id"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties gridProps         `json:"properties"`
}

type gridProps struct {
	Code      string  `json:"code"`
	Community string  `json:"community"`
	AreaM2    float64 `json:"area_m2"`
}

func gridFeatureOf(g *data.UnitGrid) *gridFeature {
	return &gridFeature{Type: "Feature", ID: g.Code, Geometry: geojson.NewGeometry(g.Geometry),
		Properties: gridProps{Code: g.Code, Community: g.Community, AreaM2: g.AreaM2}}
}

// gridEditAnswer is the answer of split and merge.
type gridEditAnswer struct {
	Retired []string       `json:"retired"`
	Grids   []*gridFeature `json:"grids"`
	// Moved maps each re-attributed component to its new unit grid.
	Moved map[string]string `json:"moved"`
}

func gridAnswer(changes []data.Change) gridEditAnswer {
	a := gridEditAnswer{Retired: []string{}, Grids: []*gridFeature{}, Moved: map[string]string{}}
	for _, c := range changes {
		switch {
		case c.Layer == "unit_grids" && c.Op == data.OpDelete:
			a.Retired = append(a.Retired, c.Code)
		case c.Layer == "unit_grids" && c.AfterUnitGrid != nil:
			a.Grids = append(a.Grids, gridFeatureOf(c.AfterUnitGrid))
		case c.Layer == "components" && c.AfterComponent != nil:
			a.Moved[c.Code] = c.AfterComponent.UnitGrid
		}
	}
	return a
}

func (s *editService) split(w http.ResponseWriter, r *http.Request) {
	if s.ed == nil {
		httpx.WriteError(w, errNoEditor)
		return
	}
	var body struct {
		Parts []json.RawMessage `json:"parts"`
	}
	if err := httpx.DecodeJSON(r, &body); err != nil {
		httpx.WriteError(w, err)
		return
	}
	parts := make([]orb.MultiPolygon, len(body.Parts))
	for i, raw := range body.Parts {
		mp, err := polygonOf(raw)
		if err != nil {
			httpx.WriteError(w, httpx.BadRequest(fmt.Sprintf("parts[%d]", i), err.Error()))
			return
		}
		parts[i] = mp
	}
	changes, err := s.commitBulk(func() ([]data.Change, error) {
		return s.ed.SplitUnitGrid(r.Context(), chi.URLParam(r, "code"), parts, s.meta(r))
	})
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, gridAnswer(changes))
}

// polygonOf reads a GeoJSON Polygon, MultiPolygon or a Feature holding one.
func polygonOf(raw json.RawMessage) (orb.MultiPolygon, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("want a GeoJSON object")
	}
	var g orb.Geometry
	if head.Type == "Feature" {
		f, err := geojson.UnmarshalFeature(raw)
		if err != nil {
			return nil, err
		}
		g = f.Geometry
	} else {
		gg, err := geojson.UnmarshalGeometry(raw)
		if err != nil {
			return nil, err
		}
		g = gg.Geometry()
	}
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	case orb.MultiPolygon:
		return g, nil
	}
	return nil, fmt.Errorf("want a Polygon or MultiPolygon")
}

func (s *editService) merge(w http.ResponseWriter, r *http.Request) {
	if s.ed == nil {
		httpx.WriteError(w, errNoEditor)
		return
	}
	var body struct {
		Codes []string `json:"codes"`
	}
	if err := httpx.DecodeJSON(r, &body); err != nil {
		httpx.WriteError(w, err)
		return
	}
	changes, err := s.commitBulk(func() ([]data.Change, error) { return s.ed.MergeUnitGrids(r.Context(), body.Codes, s.meta(r)) })
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, gridAnswer(changes))
}

func (s *editService) gridChanges(w http.ResponseWriter, r *http.Request) {
	s.writeHistory(w, r, "unit_grids")
}
