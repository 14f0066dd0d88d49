package ogc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"citygrid/api/httpx"
	"citygrid/data"
	"citygrid/spatial/crs"
	"citygrid/spatial/features"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb/geojson"
)

// OGC API – Features Part 4 on the components collection: POST creates,
// PUT replaces, PATCH merges (RFC 7396 on the Feature) and DELETE
// removes, each through the editor the components API uses (Config.Edit),
// so validation, history, versions, If-Match/ETag and the live replay on
// the index and tiles are the same. Unit grids are edited by split and
// merge only, which Part 4 has no operation for.

// Part4 lists the Part 4 conformance classes, declared when editing is
// configured.
var Part4 = []string{
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
}

// maxBody bounds a written feature.
const maxBody = 1 << 20

// statusError is an error this package answers with its own status.
type statusError struct {
	status int
	code   string
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// readOnly are the properties the store sets; a body may carry them (a
// client sending back what it read) and they are ignored, except that
// version stands for If-Match when the request has none (precondition).
var readOnly = map[string]bool{"unit_grid": true, "changed_at": true, "version": true}

// body is a decoded Feature of a write.
type body struct {
	hasGeometry bool
	geometry    *geojson.Geometry
	props       map[string]*string // nil value: null (clear)
	version     int64              // properties.version; 0 when absent or null
}

// readBody decodes a GeoJSON Feature whose geometry is in the
// Content-Crs of the request (CRS84 when none). A merge patch (PATCH) may
// leave out "type", as RFC 7396 lets any member be left out and QGIS
// sends just "properties" or "geometry".
func readBody(r *http.Request, patch bool) (*body, crs.OGC, error) {
	in := crs.CRS84
	if h := strings.TrimSpace(r.Header.Get("Content-Crs")); h != "" {
		c, err := crs.ParseOGC(strings.Trim(h, "<>"))
		if err != nil {
			return nil, in, badParam("Content-Crs", err.Error())
		}
		in = c
	}
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return nil, in, &statusError{http.StatusRequestEntityTooLarge, "PayloadTooLarge", "body larger than 1 MiB"}
	}
	var raw struct {
		Type       string                     `json:"type"`
		Geometry   json.RawMessage            `json:"geometry"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, in, badParam("body", "not JSON: "+err.Error())
	}
	if raw.Type != "Feature" && !(patch && raw.Type == "") {
		return nil, in, badParam("body", fmt.Sprintf("want a GeoJSON Feature, not %q", raw.Type))
	}
	out := &body{props: map[string]*string{}}
	if raw.Geometry != nil {
		out.hasGeometry = true
		if string(raw.Geometry) != "null" {
			g, err := geojson.UnmarshalGeometry(raw.Geometry)
			if err != nil {
				return nil, in, badParam("geometry", "invalid GeoJSON geometry: "+err.Error())
			}
			out.geometry = g
		}
	}
	for k, v := range raw.Properties {
		if k == "version" {
			if out.version, err = bodyVersion(v); err != nil {
				return nil, in, err
			}
		}
		if readOnly[k] {
			continue
		}
		if !slices.Contains(data.ComponentFields, k) {
			return nil, in, badParam("properties."+k, "not a property of components")
		}
		if string(v) == "null" {
			out.props[k] = nil
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, in, badParam("properties."+k, "must be a string or null")
		}
		out.props[k] = &s
	}
	return out, in, nil
}

// bodyVersion reads properties.version: a positive integer, as items
// give it, or the same in a string; null is no version.
func bodyVersion(v json.RawMessage) (int64, error) {
	if string(v) == "null" {
		return 0, nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		v = json.RawMessage(s)
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || n <= 0 {
		return 0, badParam("properties.version", fmt.Sprintf("%s is not a version: want the positive integer the feature was read with", v))
	}
	return n, nil
}

// precondition is the version a PUT or PATCH of code expects: If-Match
// when the request has one; else the version property of the body, which
// QGIS sends back as it read it and which is the same claim ("I edited
// this version"); with neither, 428.
func precondition(r *http.Request, code string, b *body) (int64, error) {
	if strings.TrimSpace(r.Header.Get("If-Match")) != "" || b.version == 0 {
		expected, err := httpx.IfMatch(r, code)
		if errors.Is(err, httpx.ErrPreconditionRequired) {
			err = fmt.Errorf("If-Match: required: send the ETag of the version you edited (or * to overwrite whatever is stored), or that version as properties.version: %w", httpx.ErrPreconditionRequired)
		}
		return expected, err
	}
	return b.version, nil
}

// apply sets the body's fields on c, the geometry converted from in.
func (b *body) apply(c *data.Component, in crs.OGC) error {
	if b.hasGeometry {
		c.Geometry = nil
		if b.geometry != nil {
			c.Geometry = in.ToStorage(b.geometry.Geometry())
		}
	}
	if err := data.ApplyComponentFields(c, b.props); err != nil {
		var ve *data.ValidationError
		if errors.As(err, &ve) {
			return badParam("properties."+ve.Field, ve.Reason)
		}
		return err
	}
	return nil
}

// options answers OPTIONS on items and on an item with the methods this
// client may use there (Part 4 /req/create-replace-delete/options): QGIS
// offers editing only when they include the writes.
func (s *Server) options(w http.ResponseWriter, r *http.Request) {
	c, err := s.lookup(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	allow := "GET, OPTIONS"
	if s.cfg.Edit != nil && !s.cfg.ReadOnly && c.ID == "components" && (s.cfg.CanWrite == nil || s.cfg.CanWrite(r)) {
		if chi.URLParam(r, "item") == "" {
			allow = "GET, POST, OPTIONS"
		} else {
			allow = "GET, PUT, PATCH, DELETE, OPTIONS"
		}
	}
	h := w.Header()
	h.Set("Allow", allow)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", allow)
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Crs, If-Match")
	h.Set("Access-Control-Expose-Headers", "ETag, Location, Content-Crs")
	w.WriteHeader(http.StatusNoContent)
}

// editable finds the collection of a write: only components take them.
func (s *Server) editable(r *http.Request) error {
	c, err := s.lookup(r)
	if err != nil {
		return err
	}
	if !c.Editable || c.ID != "components" {
		return &statusError{http.StatusMethodNotAllowed, "MethodNotAllowed", c.ID + " are not edited through OGC API – Features"}
	}
	return checkParams(r, noParams)
}

// answer writes the component a write left, as items/{id} gives it.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, status int, changes []data.Change) {
	if len(changes) == 0 || changes[len(changes)-1].AfterComponent == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	c := changes[len(changes)-1].AfterComponent
	coll, _ := features.Lookup("components")
	it, ok := coll.Item(s.cfg.Index(), c.Code)
	if !ok {
		s.fail(w, fmt.Errorf("component %s written but not in the index", c.Code))
		return
	}
	self := s.base(r) + "/collections/components/items/" + url.PathEscape(c.Code)
	f := featureOf(it, crs.CRS84)
	f.Links = []link{{Href: self, Rel: "self", Type: typeGeoJSON}}
	if status == http.StatusCreated {
		w.Header().Set("Location", self)
	}
	w.Header().Set("ETag", data.ETag(c.Code, c.Version))
	w.Header().Set("Content-Crs", "<"+crs.CRS84.URI+">")
	writeJSONAs(w, status, typeGeoJSON, f)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	if err := s.editable(r); err != nil {
		s.fail(w, err)
		return
	}
	b, in, err := readBody(r, false)
	if err != nil {
		s.fail(w, err)
		return
	}
	var c data.Component
	if err := b.apply(&c, in); err != nil {
		s.fail(w, err)
		return
	}
	if c.Status == "" {
		c.Status = data.StatusIntact
	}
	changes, err := s.cfg.Edit(r, c.Code, func(ed data.Editor, m data.EditMeta) ([]data.Change, error) {
		return ed.CreateComponent(r.Context(), c, m)
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	s.answer(w, r, http.StatusCreated, changes)
}

// target is the feature a DELETE removes and the version it expects
// (If-Match, required: a DELETE has no body to carry a version); on
// failure it has answered.
func (s *Server) target(w http.ResponseWriter, r *http.Request) (string, int64, bool) {
	if err := s.editable(r); err != nil {
		s.fail(w, err)
		return "", 0, false
	}
	code := chi.URLParam(r, "item")
	expected, err := httpx.IfMatch(r, code)
	if err != nil {
		s.fail(w, err)
		return "", 0, false
	}
	return code, expected, true
}

// update replaces (PUT: absent properties empty, geometry required) or
// merges (PATCH: absent properties kept, null ones cleared).
func (s *Server) update(w http.ResponseWriter, r *http.Request, replace bool) {
	if err := s.editable(r); err != nil {
		s.fail(w, err)
		return
	}
	code := chi.URLParam(r, "item")
	b, in, err := readBody(r, !replace)
	if err != nil {
		s.fail(w, err)
		return
	}
	expected, err := precondition(r, code, b)
	if err != nil {
		s.fail(w, err)
		return
	}
	if replace && !b.hasGeometry {
		s.fail(w, badParam("geometry", "is missing: PUT replaces the whole feature"))
		return
	}
	if p := b.props["code"]; p != nil && *p != code {
		s.fail(w, badParam("properties.code", "differs from the feature's id "+code))
		return
	}
	changes, err := s.cfg.Edit(r, code, func(ed data.Editor, m data.EditMeta) ([]data.Change, error) {
		return ed.PatchComponent(r.Context(), code, expected, func(c *data.Component) error {
			if replace {
				*c = data.Component{Code: c.Code, Version: c.Version}
			}
			return b.apply(c, in)
		}, m)
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	s.answer(w, r, http.StatusOK, changes)
}

func (s *Server) replace(w http.ResponseWriter, r *http.Request) { s.update(w, r, true) }

func (s *Server) patch(w http.ResponseWriter, r *http.Request) { s.update(w, r, false) }

func (s *Server) remove(w http.ResponseWriter, r *http.Request) {
	code, expected, ok := s.target(w, r)
	if !ok {
		return
	}
	if _, err := s.cfg.Edit(r, code, func(ed data.Editor, m data.EditMeta) ([]data.Change, error) {
		return ed.DeleteComponent(r.Context(), code, expected, m)
	}); err != nil {
		s.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
