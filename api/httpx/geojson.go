package httpx

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

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

// urlPolicyKey carries how the request's absolute URLs are built.
type urlPolicyKey struct{}

type urlPolicy struct {
	public      string // the configured public URL, or ""
	trustedPeer bool   // the peer is a trusted reverse proxy
	anyTrusted  bool   // some reverse proxy is trusted at all
}

// WithURLPolicy returns ctx telling BaseURL how to build absolute URLs:
// from publicURL when it is set; else from the Host header, and from
// X-Forwarded-Host and X-Forwarded-Proto only when trustedPeer (the
// connection comes from a trusted reverse proxy). anyTrusted says that
// some proxy is trusted, so that answers vary by the forwarded headers.
func WithURLPolicy(ctx context.Context, publicURL string, trustedPeer, anyTrusted bool) context.Context {
	return context.WithValue(ctx, urlPolicyKey{}, urlPolicy{public: strings.TrimRight(publicURL, "/"), trustedPeer: trustedPeer, anyTrusted: anyTrusted})
}

// BaseURL is the scheme and host of the absolute URLs in an answer (tile
// URLs in TileJSON and styles, Open311 discovery, OGC links): the
// configured public URL when there is one; else what the client reached
// us by, where the forwarded headers count only from a trusted proxy
// (anyone may send them, and a shared cache would keep a poisoned answer
// for everyone). VaryForwarded says when answers vary by those headers.
func BaseURL(r *http.Request) string {
	pol, _ := r.Context().Value(urlPolicyKey{}).(urlPolicy)
	if pol.public != "" {
		return pol.public
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if pol.trustedPeer {
		if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
			scheme = p
		}
		if fh := r.Header.Get("X-Forwarded-Host"); fh != "" && validHost(fh) {
			host = fh
		}
	}
	if !validHost(host) {
		host = "localhost"
	}
	return scheme + "://" + host
}

// VaryForwarded reports whether the absolute URLs BaseURL builds for r
// depend on the forwarded headers: some proxy is trusted and no public
// URL is configured. The server then names them in Vary.
func VaryForwarded(r *http.Request) bool {
	pol, _ := r.Context().Value(urlPolicyKey{}).(urlPolicy)
	return pol.public == "" && pol.anyTrusted
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
