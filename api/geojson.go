package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// decodePolygon reads a GeoJSON Polygon or MultiPolygon from the request
// body, bare or as the geometry of a Feature (a FeatureCollection of
// exactly one such Feature is accepted too, as drawing tools export it).
func decodePolygon(r *http.Request) (orb.MultiPolygon, error) {
	var raw json.RawMessage
	if err := decodeJSON(r, &raw); err != nil {
		return nil, err
	}
	var head struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, errBadRequest("body", "want a GeoJSON object")
	}
	var g orb.Geometry
	switch head.Type {
	case "Polygon", "MultiPolygon":
		gg, err := geojson.UnmarshalGeometry(raw)
		if err != nil {
			return nil, errBadRequest("body", "invalid GeoJSON "+head.Type+": "+err.Error())
		}
		g = gg.Geometry()
	case "Feature":
		f, err := geojson.UnmarshalFeature(raw)
		if err != nil {
			return nil, errBadRequest("body", "invalid GeoJSON Feature: "+err.Error())
		}
		g = f.Geometry
	case "FeatureCollection":
		if len(head.Features) != 1 {
			return nil, errBadRequest("body", fmt.Sprintf("a FeatureCollection must hold exactly one polygon feature, not %d", len(head.Features)))
		}
		f, err := geojson.UnmarshalFeature(head.Features[0])
		if err != nil {
			return nil, errBadRequest("body", "invalid GeoJSON Feature: "+err.Error())
		}
		g = f.Geometry
	case "":
		return nil, errBadRequest("type", "missing GeoJSON type")
	default:
		return nil, errBadRequest("type", fmt.Sprintf("GeoJSON %s: want Polygon, MultiPolygon or a Feature holding one", head.Type))
	}
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}, checkVertices(orb.MultiPolygon{g})
	case orb.MultiPolygon:
		return g, checkVertices(g)
	case nil:
		return nil, errBadRequest("geometry", "missing geometry")
	default:
		return nil, errBadRequest("geometry", fmt.Sprintf("geometry is a %s: want Polygon or MultiPolygon", g.GeoJSONType()))
	}
}
