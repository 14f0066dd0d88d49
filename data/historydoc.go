package data

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// The edit history (and the change log replicas follow) keeps the feature
// before and after each change as a JSON document: the attributes under
// their GeoJSON property names and the geometry as GeoJSON. Both stores
// write and read these documents with the functions below, so a history
// copied from one store to the other reads the same.

// componentDoc is how the history keeps a component.
type componentDoc struct {
	Code       string            `json:"code"`
	Category   string            `json:"category"`
	Name       string            `json:"name"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Department string            `json:"department"`
	Owner      string            `json:"owner"`
	Maintainer string            `json:"maintainer"`
	Status     string            `json:"status"`
	UnitGrid   string            `json:"unit_grid"`
	SurveyDate string            `json:"survey_date,omitempty"`
	ChangedAt  string            `json:"changed_at,omitempty"` // RFC 3339, UTC
	Version    int64             `json:"version"`
	Note       string            `json:"note,omitempty"`
}

// unitGridDoc is how the history keeps a unit grid.
type unitGridDoc struct {
	Code      string            `json:"code"`
	Community string            `json:"community"`
	AreaM2    float64           `json:"area_m2"`
	Geometry  *geojson.Geometry `json:"geometry"`
}

const historyDateFormat = "2006-01-02"

// MarshalComponentDoc encodes c as a history document (nil for nil).
func MarshalComponentDoc(c *Component) ([]byte, error) {
	if c == nil {
		return nil, nil
	}
	d := componentDoc{Code: c.Code, Category: c.Category, Name: c.Name, Department: c.Department, Owner: c.Owner,
		Maintainer: c.Maintainer, Status: string(c.Status), UnitGrid: c.UnitGrid, Version: c.Version, Note: c.Note}
	if c.Geometry != nil {
		d.Geometry = geojson.NewGeometry(c.Geometry)
	}
	if !c.SurveyDate.IsZero() {
		d.SurveyDate = c.SurveyDate.Format(historyDateFormat)
	}
	if !c.ChangedAt.IsZero() {
		d.ChangedAt = c.ChangedAt.UTC().Format(time.RFC3339Nano)
	}
	return json.Marshal(d)
}

// UnmarshalComponentDoc decodes a history document (nil for nil: the side
// of an insert or delete that has no feature).
func UnmarshalComponentDoc(b []byte) (*Component, error) {
	if b == nil {
		return nil, nil
	}
	var d componentDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("history document: %w", err)
	}
	c := &Component{Code: d.Code, Category: d.Category, Name: d.Name, Department: d.Department, Owner: d.Owner,
		Maintainer: d.Maintainer, Status: ComponentStatus(d.Status), UnitGrid: d.UnitGrid, Version: d.Version, Note: d.Note}
	if d.Geometry != nil {
		c.Geometry = d.Geometry.Geometry()
	}
	var err error
	if d.SurveyDate != "" {
		if c.SurveyDate, err = time.Parse(historyDateFormat, d.SurveyDate); err != nil {
			return nil, fmt.Errorf("history document: survey_date: %w", err)
		}
	}
	if d.ChangedAt != "" {
		// RFC 3339 with any fraction: also the GeoPackage store's older
		// millisecond form.
		if c.ChangedAt, err = time.Parse(time.RFC3339Nano, d.ChangedAt); err != nil {
			return nil, fmt.Errorf("history document: changed_at: %w", err)
		}
		c.ChangedAt = c.ChangedAt.UTC()
	}
	return c, nil
}

// MarshalUnitGridDoc encodes g as a history document (nil for nil).
func MarshalUnitGridDoc(g *UnitGrid) ([]byte, error) {
	if g == nil {
		return nil, nil
	}
	d := unitGridDoc{Code: g.Code, Community: g.Community, AreaM2: g.AreaM2}
	if g.Geometry != nil {
		d.Geometry = geojson.NewGeometry(g.Geometry)
	}
	return json.Marshal(d)
}

// UnmarshalUnitGridDoc decodes a history document of a unit grid (nil for
// nil).
func UnmarshalUnitGridDoc(b []byte) (*UnitGrid, error) {
	if b == nil {
		return nil, nil
	}
	var d unitGridDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("history document: %w", err)
	}
	g := &UnitGrid{Code: d.Code, Community: d.Community, AreaM2: d.AreaM2}
	if d.Geometry != nil {
		switch x := d.Geometry.Geometry().(type) {
		case orb.MultiPolygon:
			g.Geometry = x
		case orb.Polygon:
			g.Geometry = orb.MultiPolygon{x}
		default:
			return nil, errors.New("history document: a unit grid that is not a polygon")
		}
	}
	return g, nil
}

// DecodeDocs fills h's features from the history documents of its layer
// (nil for NULL: the side of an insert or delete that has no feature).
func (h *HistoryEntry) DecodeDocs(before, after []byte) error {
	var err error
	switch h.Layer {
	case LayerComponents:
		if h.BeforeComponent, err = UnmarshalComponentDoc(before); err == nil {
			h.AfterComponent, err = UnmarshalComponentDoc(after)
		}
	case LayerUnitGrids:
		if h.BeforeUnitGrid, err = UnmarshalUnitGridDoc(before); err == nil {
			h.AfterUnitGrid, err = UnmarshalUnitGridDoc(after)
		}
	}
	return err
}
