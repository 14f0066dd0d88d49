// Package ogc serves citygrid through the OGC APIs desktop GIS and other
// servers speak: OGC API – Features (Part 1 core and GeoJSON, Part 2 CRS
// by reference, Part 3 filtering with CQL2) over the layers, and OGC API –
// Tiles over the vector tileset. The handlers are thin: they decode
// parameters, call the cores (spatial/features, spatial/cql2,
// spatial/crs, tiles) and encode JSON.
//
// The package is mounted under /ogc by package api, which hands in the
// live index, the tile provider and the tile handler it already has, so
// OGC clients see the same data, edits and tiles as every other client.
package ogc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"citygrid/api/httpx"
	"citygrid/data"
	"citygrid/spatial"
	"citygrid/spatial/cql2"
	"citygrid/spatial/features"
	"citygrid/tiles"

	"github.com/go-chi/chi/v5"
)

// Config is what the OGC APIs are served from.
type Config struct {
	// Index is the live spatial index.
	Index func() *spatial.Index
	// Tiles is the current tile provider.
	Tiles func() *tiles.Provider
	// ServeTile answers one tile (z/x/y) as the /tiles routes do:
	// compression, ETag and 204 for an empty tile.
	ServeTile func(w http.ResponseWriter, r *http.Request, z, x, y int)

	// Edit commits a write of component code ("" for a new one) with the
	// components API's editor and replays its changes on the live index
	// and tiles before returning; nil keeps the collections read-only.
	Edit func(r *http.Request, code string, write func(ed data.Editor, m data.EditMeta) ([]data.Change, error)) ([]data.Change, error)
	// Writers wraps the write routes: authentication and the editing
	// role. Required with Edit.
	Writers func(http.Handler) http.Handler
	// ReadOnly: the store behind Edit cannot edit. The write routes stay
	// (answering Edit's error) but Part 4 is not declared.
	ReadOnly bool
	// CanWrite tells whether the request's principal may write, for the
	// methods OPTIONS advertises (QGIS enables editing by them); nil:
	// anyone, the write routes' own check deciding.
	CanWrite func(*http.Request) bool
	// AsOf reads an edited layer ("components" or "unit_grids") as it
	// was at a past time, for the as_of extension; nil: not offered.
	AsOf func(ctx context.Context, layer string, t time.Time) (features.History, error)
}

// Server serves the OGC APIs.
type Server struct {
	cfg     Config
	extents extentCache
}

// New makes a server. Edit without Writers is a wiring mistake that would
// open writes to anyone, so it panics.
func New(cfg Config) *Server {
	if cfg.Edit != nil && cfg.Writers == nil {
		panic("ogc: Config.Edit needs Config.Writers")
	}
	return &Server{cfg: cfg}
}

// Handler routes the OGC APIs, relative to where it is mounted (/ogc).
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Get("/", s.landing)
	r.Get("/conformance", s.conformance)
	r.Get("/api", s.openAPI)
	r.Get("/collections", s.collections)
	r.Get("/collections/{collection}", s.collection)
	r.Get("/collections/{collection}/queryables", s.queryables)
	r.Get("/collections/{collection}/items", s.items)
	r.Get("/collections/{collection}/items/{item}", s.item)
	r.Options("/collections/{collection}/items", s.options)
	r.Options("/collections/{collection}/items/{item}", s.options)
	if s.cfg.Edit != nil {
		r.Group(func(r chi.Router) {
			r.Use(s.cfg.Writers)
			r.Post("/collections/{collection}/items", s.create)
			r.Put("/collections/{collection}/items/{item}", s.replace)
			r.Patch("/collections/{collection}/items/{item}", s.patch)
			r.Delete("/collections/{collection}/items/{item}", s.remove)
		})
	}
	r.Get("/tileMatrixSets", s.tileMatrixSets)
	r.Get("/tileMatrixSets/{tms}", s.tileMatrixSet)
	r.Get("/tiles", s.tilesets)
	r.Get("/tiles/{tms}", s.tileset)
	r.Get("/tiles/{tms}/{z}/{y}/{x}", s.tile)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, exception{Code: "NotFound", Description: "no such resource: " + r.URL.Path})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, exception{Code: "MethodNotAllowed", Description: r.Method + " is not allowed on " + r.URL.Path})
	})
	return r
}

// base is the URL the OGC APIs answer under.
func (s *Server) base(r *http.Request) string { return httpx.BaseURL(r) + "/ogc" }

// exception is the error body of the OGC APIs (OGC API – Common): a code
// clients switch on and a description people read.
type exception struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	// Position is where in a CQL2-Text filter the problem is (byte
	// offset), or the JSON pointer in a CQL2-JSON filter.
	Position any `json:"position,omitempty"`
	// Details carries what a domain error adds (a write's current ETag).
	Details any `json:"details,omitempty"`
}

// paramError is a bad query parameter or body member (400
// InvalidParameterValue).
type paramError struct {
	param, reason string
	cql           *cql2.Error
}

func (e *paramError) Error() string { return e.param + ": " + e.reason }

func badParam(param, reason string) error { return &paramError{param: param, reason: reason} }

// notFound is an unknown collection, item or tile matrix set.
type notFound struct{ what string }

func (e *notFound) Error() string { return e.what + " not found" }

// fail answers an error as an OGC exception: this package's own errors
// with their status, the others with httpx.StatusOf's (api's single
// error → status mapping).
func (s *Server) fail(w http.ResponseWriter, err error) {
	var pe *paramError
	var nf *notFound
	var se *statusError
	switch {
	case errors.As(err, &pe):
		body := exception{Code: "InvalidParameterValue", Description: pe.Error()}
		if pe.cql != nil {
			if pe.cql.Path != "" {
				body.Position = pe.cql.Path
			} else if pe.cql.Pos >= 0 {
				body.Position = pe.cql.Pos
			}
		}
		writeJSON(w, http.StatusBadRequest, body)
	case errors.As(err, &nf):
		writeJSON(w, http.StatusNotFound, exception{Code: "NotFound", Description: nf.Error()})
	case errors.As(err, &se):
		writeJSON(w, se.status, exception{Code: se.code, Description: se.msg})
	default:
		status := httpx.StatusOf(err)
		body := exception{Code: strings.ReplaceAll(http.StatusText(status), " ", ""), Description: err.Error()}
		if status == http.StatusBadRequest {
			body.Code = "InvalidParameterValue"
		}
		var d data.Detailer
		if errors.As(err, &d) {
			body.Details = d.ErrorDetails()
		}
		writeJSON(w, status, body)
	}
}

// writeJSON answers v as JSON with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONAs(w, status, "application/json; charset=utf-8", v)
}

func writeJSONAs(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// checkParams answers 400 for a query parameter the operation does not
// define (Part 1 /req/core/query-param-unknown); allowed tells the
// defined ones, and f is allowed everywhere.
func checkParams(r *http.Request, allowed func(string) bool) error {
	for name, vs := range r.URL.Query() {
		if name == "f" {
			if f := vs[0]; f != "json" && f != "geojson" && f != "html" && f != "" {
				return badParam("f", "json, geojson or html, not "+f)
			}
			continue
		}
		if !allowed(name) {
			return badParam(name, "unknown query parameter")
		}
		if len(vs) > 1 {
			return badParam(name, "given more than once")
		}
	}
	return nil
}

func noParams(string) bool { return false }

// link is a link of an OGC API document.
type link struct {
	Href      string `json:"href"`
	Rel       string `json:"rel"`
	Type      string `json:"type,omitempty"`
	Title     string `json:"title,omitempty"`
	Templated bool   `json:"templated,omitempty"`
}

const (
	typeJSON    = "application/json"
	typeGeoJSON = "application/geo+json"
	typeOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
	typeSchema  = "application/schema+json"
	typeMVT     = "application/vnd.mapbox-vector-tile"
)

// joinPath joins URL path parts.
func joinPath(parts ...string) string { return strings.Join(parts, "/") }
