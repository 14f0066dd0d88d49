package httpx

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// DecodePolygon reads a GeoJSON Polygon or MultiPolygon from the request
// body, bare or as the geometry of a Feature (a FeatureCollection of
// exactly one such Feature is accepted too, as drawing tools export it).
func DecodePolygon(r *http.Request) (orb.MultiPolygon, error) {
	var raw json.RawMessage
	if err := DecodeJSON(r, &raw); err != nil {
		return nil, err
	}
	var head struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, BadRequest("body", "want a GeoJSON object")
	}
	var g orb.Geometry
	switch head.Type {
	case "Polygon", "MultiPolygon":
		gg, err := geojson.UnmarshalGeometry(raw)
		if err != nil {
			return nil, BadRequest("body", "invalid GeoJSON "+head.Type+": "+err.Error())
		}
		g = gg.Geometry()
	case "Feature":
		f, err := geojson.UnmarshalFeature(raw)
		if err != nil {
			return nil, BadRequest("body", "invalid GeoJSON Feature: "+err.Error())
		}
		g = f.Geometry
	case "FeatureCollection":
		if len(head.Features) != 1 {
			return nil, BadRequest("body", fmt.Sprintf("a FeatureCollection must hold exactly one polygon feature, not %d", len(head.Features)))
		}
		f, err := geojson.UnmarshalFeature(head.Features[0])
		if err != nil {
			return nil, BadRequest("body", "invalid GeoJSON Feature: "+err.Error())
		}
		g = f.Geometry
	case "":
		return nil, BadRequest("type", "missing GeoJSON type")
	default:
		return nil, BadRequest("type", fmt.Sprintf("GeoJSON %s: want Polygon, MultiPolygon or a Feature holding one", head.Type))
	}
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}, CheckVertices(orb.MultiPolygon{g})
	case orb.MultiPolygon:
		return g, CheckVertices(g)
	case nil:
		return nil, BadRequest("geometry", "missing geometry")
	default:
		return nil, BadRequest("geometry", fmt.Sprintf("geometry is a %s: want Polygon or MultiPolygon", g.GeoJSONType()))
	}
}

// MaxPolygonVertices caps the vertices of a query polygon: the work of an
// area query grows with vertices × candidates, and a 16 MiB body holds
// 300,000 vertices, which kept a core busy for 4 s per request. City
// districts drawn by hand have a few hundred.
const MaxPolygonVertices = 20_000

// CheckVertices refuses a query polygon with more than MaxPolygonVertices
// vertices (400 naming the geometry).
func CheckVertices(mp orb.MultiPolygon) error {
	n := 0
	for _, p := range mp {
		for _, r := range p {
			n += len(r)
		}
	}
	if n > MaxPolygonVertices {
		return BadRequest("geometry", fmt.Sprintf("%d vertices; a query polygon may have at most %d (simplify it)", n, MaxPolygonVertices))
	}
	return nil
}

// Quote writes s in double quotes, shortened to keep error answers small.
func Quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return `"` + s + `"`
}

// BaseURL is the scheme and host the client reached us by.
func BaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	} else if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	host := r.Host
	if fh := r.Header.Get("X-Forwarded-Host"); fh != "" && validHost(fh) {
		host = fh
	}
	if !validHost(host) {
		host = "localhost"
	}
	return scheme + "://" + host
}

// validHost accepts host[:port] names and IP literals, nothing that could
// break out of a URL.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, c := range h {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == ':', c == '[', c == ']', c == '_':
		default:
			return false
		}
	}
	return true
}
