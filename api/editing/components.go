// Package editing serves the writes to a city's data: components (one at a
// time, with optimistic concurrency), changesets, unit-grid splits and
// merges, and the history and as-of reads of both. Every committed write
// is applied to the running city (City.Live) before it is answered.
package editing

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/httpx"
	"citygrid/data"
)

// editService serves surveyor editing (issue 5): single component edits
// with ETags and If-Match, history and as-of reads (this file), survey
// changesets (changesets.go) and unit-grid split and merge (grids_edit.go).
// Every committed write is replayed on the live index and tiles through
// live.Apply before the answer is written, so the client reads its write
// back at once.
type editService struct {
	ed   data.Editor // nil when the store cannot edit: every route answers 503
	live *city.Live
	dir  string
	// The live index must replay the changes of one feature in the order
	// the store committed them (two edits of one component replayed out of
	// order would leave the index on the older version), while edits of
	// different components run concurrently so the live updater can
	// group their replays. A single-component write holds bulk for reading
	// and its code's stripe across write and replay; a write of many
	// features (changeset, split, merge) holds bulk for writing.
	bulk    sync.RWMutex
	stripes [64]sync.Mutex
}

// Mount adds the editing routes over the city c and returns the Committer
// through which other write APIs (OGC API – Features Part 4) edit
// components with the same editor, ordering and live replay.
func Mount(r chi.Router, c *city.City) Committer {
	s := newEditService(c)
	s.mount(r)
	return s.commitFor
}

// Committer commits a write of component code ("" for a new one) with the
// store's editor and the request's user and reason, and replays its
// changes on the running city before returning them.
type Committer func(r *http.Request, code string, write func(ed data.Editor, m data.EditMeta) ([]data.Change, error)) ([]data.Change, error)

func (s *editService) commitFor(r *http.Request, code string, write func(data.Editor, data.EditMeta) ([]data.Change, error)) ([]data.Change, error) {
	if s.ed == nil {
		return nil, errNoEditor
	}
	return s.commit(code, func() ([]data.Change, error) { return write(s.ed, s.meta(r)) })
}

func newEditService(c *city.City) *editService {
	ed, _ := c.Store.(data.Editor)
	return &editService{ed: ed, live: c.Live, dir: c.Dir}
}

// errNoEditor: the store behind this server does not support editing.
var errNoEditor = fmt.Errorf("this server's store does not support editing: %w", data.ErrUnavailable)

func (s *editService) mount(r chi.Router) {
	w := r.With(auth.Require(data.RoleSurveyor))
	r.Get("/api/v1/components", s.list)
	w.Post("/api/v1/components", s.create)
	r.Get("/api/v1/components/{code}", s.get)
	w.Put("/api/v1/components/{code}", s.put)
	w.Patch("/api/v1/components/{code}", s.patch)
	w.Delete("/api/v1/components/{code}", s.delete)
	r.Get("/api/v1/components/{code}/history", s.history)
	s.mountChangesets(r, w)
	s.mountGrids(r, w)
}

// commit runs a store write of the component code ("" for a new code the
// store assigns) and replays the changes it committed on the live index and
// tiles before returning, in commit order for that component.
func (s *editService) commit(code string, write func() ([]data.Change, error)) ([]data.Change, error) {
	s.bulk.RLock()
	defer s.bulk.RUnlock()
	if code != "" {
		m := &s.stripes[fnv32(code)%uint32(len(s.stripes))]
		m.Lock()
		defer m.Unlock()
	}
	return s.writeAndReplay(write)
}

// commitBulk is commit for writes of many features: nothing else runs.
func (s *editService) commitBulk(write func() ([]data.Change, error)) ([]data.Change, error) {
	s.bulk.Lock()
	defer s.bulk.Unlock()
	return s.writeAndReplay(write)
}

func (s *editService) writeAndReplay(write func() ([]data.Change, error)) ([]data.Change, error) {
	changes, err := write()
	if err != nil {
		return nil, err
	}
	if s.live != nil {
		s.live.Apply(changes)
	}
	return changes, nil
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

func (s *editService) meta(r *http.Request) data.EditMeta {
	p := auth.PrincipalOf(r)
	return data.EditMeta{User: p.User, Reason: strings.TrimSpace(r.URL.Query().Get("reason"))}
}

// componentFeature is a component as a GeoJSON Feature.
type componentFeature struct {
	Type       string            `json:"type"`
	ID         string            `json:"id"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties componentProps    `json:"properties"`
}

type componentProps struct {
	Code       string `json:"code"`
	Category   string `json:"category"`
	Name       string `json:"name"`
	Department string `json:"department"`
	Owner      string `json:"owner"`
	Maintainer string `json:"maintainer"`
	Status     string `json:"status"`
	UnitGrid   string `json:"unit_grid"`
	SurveyDate string `json:"survey_date,omitempty"`
	ChangedAt  string `json:"changed_at,omitempty"`
	Version    int64  `json:"version"`
	Note       string `json:"note"`
}

func featureOf(c *data.Component) *componentFeature {
	if c == nil {
		return nil
	}
	f := &componentFeature{Type: "Feature", ID: c.Code, Properties: componentProps{
		Code: c.Code, Category: c.Category, Name: c.Name, Department: c.Department, Owner: c.Owner,
		Maintainer: c.Maintainer, Status: string(c.Status), UnitGrid: c.UnitGrid, Version: c.Version, Note: c.Note,
	}}
	if c.Geometry != nil {
		f.Geometry = geojson.NewGeometry(c.Geometry)
	}
	if !c.SurveyDate.IsZero() {
		f.Properties.SurveyDate = c.SurveyDate.Format("2006-01-02")
	}
	if !c.ChangedAt.IsZero() {
		f.Properties.ChangedAt = c.ChangedAt.UTC().Format(time.RFC3339Nano)
	}
	return f
}

// editableProps are the properties a body may set; version, unit_grid and
// changed_at are the store's and are ignored when sent back.
var editableProps = map[string]bool{"code": true, "category": true, "name": true, "department": true, "owner": true,
	"maintainer": true, "status": true, "survey_date": true, "note": true,
	"version": false, "unit_grid": false, "changed_at": false}

// featureBody is a decoded request Feature: the geometry when given (or
// explicitly null), and the properties present.
type featureBody struct {
	geometry    orb.Geometry
	hasGeometry bool
	props       map[string]*string // nil value: the property is null
}

// readFeature decodes a GeoJSON Feature body, naming the field of any
// problem: unknown properties and non-string values are refused. A merge
// patch (merge true) may leave out "type": RFC 7396 clients send only what
// changes, whether as application/merge-patch+json or plain JSON.
func readFeature(r *http.Request, merge bool) (*featureBody, error) {
	var raw struct {
		Type       string                     `json:"type"`
		Geometry   json.RawMessage            `json:"geometry"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := httpx.DecodeJSON(r, &raw); err != nil {
		return nil, err
	}
	if raw.Type != "Feature" && !(merge && raw.Type == "") {
		return nil, httpx.BadRequest("type", fmt.Sprintf("want a GeoJSON Feature, not %q", raw.Type))
	}
	fb := &featureBody{props: map[string]*string{}}
	if raw.Geometry != nil {
		fb.hasGeometry = true
		if string(raw.Geometry) != "null" {
			g, err := geojson.UnmarshalGeometry(raw.Geometry)
			if err != nil {
				return nil, httpx.BadRequest("geometry", "invalid GeoJSON geometry: "+err.Error())
			}
			fb.geometry = g.Geometry()
		}
	}
	names := make([]string, 0, len(raw.Properties))
	for k := range raw.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		editable, known := editableProps[k]
		if !known {
			return nil, httpx.BadRequest("properties."+k, "unknown property")
		}
		if !editable {
			continue
		}
		v := raw.Properties[k]
		if string(v) == "null" {
			fb.props[k] = nil
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, httpx.BadRequest("properties."+k, "must be a string")
		}
		fb.props[k] = &s
	}
	return fb, nil
}

// apply sets the fields the body gives on c (null clears a field).
func (fb *featureBody) apply(c *data.Component) error {
	if fb.hasGeometry {
		c.Geometry = fb.geometry
	}
	if err := data.ApplyComponentFields(c, fb.props); err != nil {
		var ve *data.ValidationError
		if errors.As(err, &ve) {
			return httpx.BadRequest("properties."+ve.Field, ve.Reason)
		}
		return err
	}
	return nil
}

// ifMatch reads the expected version from If-Match (httpx.IfMatch); of
// several tags naming versions of this component, the stored version's is
// chosen.
func (s *editService) ifMatch(r *http.Request, code string) (int64, error) {
	return httpx.IfMatchCurrent(r, code, func() (int64, bool) {
		st, ok := s.ed.(data.Store)
		if !ok {
			return 0, false
		}
		c, err := st.Component(r.Context(), code)
		return c.Version, err == nil
	})
}

// asOf reads the optional as_of parameter.
func asOf(r *http.Request) (time.Time, bool, error) {
	v := r.URL.Query().Get("as_of")
	if v == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false, httpx.BadRequest("as_of", "want an RFC 3339 time such as 2026-01-31T12:00:00Z")
	}
	return t, true, nil
}

func writeFeature(w http.ResponseWriter, status int, c *data.Component) {
	w.Header().Set("ETag", data.ETag(c.Code, c.Version))
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", "application/geo+json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(featureOf(c))
}

func (s *editService) get(w http.ResponseWriter, r *http.Request) {
	if s.ed == nil {
		httpx.WriteError(w, errNoEditor)
		return
	}
	code := chi.URLParam(r, "code")
	t, has, err := asOf(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	var c data.Component
	if has {
		c, err = s.ed.ComponentAsOf(r.Context(), code, t)
	} else {
		c, err = s.ed.(data.Store).Component(r.Context(), code)
	}
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.TrimSpace(inm) == data.ETag(c.Code, c.Version) {
		w.Header().Set("ETag", data.ETag(c.Code, c.Version))
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeFeature(w, http.StatusOK, &c)
}

// componentList is the answer of GET /api/v1/components.
type componentList struct {
	Type     string              `json:"type"`
	Features []*componentFeature `json:"features"`
	// Next is the code to pass as after= for the next page ("" at the end);
	// NextLink is that page's relative URL, also in the Link header.
	Next     string `json:"next,omitempty"`
	NextLink string `json:"next_link,omitempty"`
}

// list answers the components (as of a time, or now) filtered by bbox,
// unit grid and category, in code order, a page at a time.
func (s *editService) list(w http.ResponseWriter, r *http.Request) {
	if s.ed == nil {
		httpx.WriteError(w, errNoEditor)
		return
	}
	q := r.URL.Query()
	t, has, err := asOf(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	limit := 1000
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			httpx.WriteError(w, httpx.BadRequest("limit", "want 1 to 10000"))
			return
		}
		limit = n
	}
	var bbox *orb.Bound
	if v := q.Get("bbox"); v != "" {
		p := strings.Split(v, ",")
		var f [4]float64
		ok := len(p) == 4
		for i := 0; ok && i < 4; i++ {
			f[i], err = strconv.ParseFloat(strings.TrimSpace(p[i]), 64)
			ok = err == nil
		}
		if !ok || f[0] > f[2] || f[1] > f[3] {
			httpx.WriteError(w, httpx.BadRequest("bbox", "want minLon,minLat,maxLon,maxLat"))
			return
		}
		bbox = &orb.Bound{Min: orb.Point{f[0], f[1]}, Max: orb.Point{f[2], f[3]}}
	}
	grid, category, after := q.Get("unit_grid"), q.Get("category"), q.Get("after")
	out := componentList{Type: "FeatureCollection", Features: []*componentFeature{}}
	take := func(c *data.Component) bool {
		if c.Code <= after || (grid != "" && c.UnitGrid != grid) || (category != "" && c.Category != category) {
			return true
		}
		if bbox != nil && (c.Geometry == nil || !bbox.Intersects(c.Geometry.Bound())) {
			return true
		}
		if len(out.Features) == limit {
			out.Next = out.Features[limit-1].ID
			out.NextLink = httpx.SetNextLink(w, r, out.Next)
			return false
		}
		out.Features = append(out.Features, featureOf(c))
		return true
	}
	if has {
		all, err := s.ed.ComponentsAsOf(r.Context(), t)
		if err != nil {
			httpx.WriteError(w, err)
			return
		}
		for i := range all {
			if !take(&all[i]) {
				break
			}
		}
	} else if err := s.ed.ScanComponents(r.Context(), after, grid, category, func(c *data.Component) bool {
		cc := *c
		return take(&cc)
	}); err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(out)
}

func (s *editService) create(w http.ResponseWriter, r *http.Request) {
	if s.ed == nil {
		httpx.WriteError(w, errNoEditor)
		return
	}
	fb, err := readFeature(r, false)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	var c data.Component
	if err := fb.apply(&c); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if c.Status == "" {
		c.Status = data.StatusIntact
	}
	changes, err := s.commit(c.Code, func() ([]data.Change, error) { return s.ed.CreateComponent(r.Context(), c, s.meta(r)) })
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	after := changes[len(changes)-1].AfterComponent
	w.Header().Set("Location", "/api/v1/components/"+after.Code)
	writeFeature(w, http.StatusCreated, after)
}

func (s *editService) put(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, true)
}

func (s *editService) patch(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, false)
}

// update replaces (PUT: every editable property from the body, absent ones
// empty) or merges (PATCH, RFC 7396 on the Feature: absent properties
// kept, null ones cleared) the component.
func (s *editService) update(w http.ResponseWriter, r *http.Request, replace bool) {
	if s.ed == nil {
		httpx.WriteError(w, errNoEditor)
		return
	}
	code := chi.URLParam(r, "code")
	expected, err := s.ifMatch(r, code)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	fb, err := readFeature(r, !replace)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	if replace && !fb.hasGeometry {
		httpx.WriteError(w, httpx.BadRequest("geometry", "is missing: PUT replaces the whole component"))
		return
	}
	changes, err := s.commit(code, func() ([]data.Change, error) {
		return s.ed.PatchComponent(r.Context(), code, expected, func(c *data.Component) error {
			if replace {
				*c = data.Component{Code: c.Code, Version: c.Version}
			}
			return fb.apply(c)
		}, s.meta(r))
	})
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	writeFeature(w, http.StatusOK, changes[len(changes)-1].AfterComponent)
}

func (s *editService) delete(w http.ResponseWriter, r *http.Request) {
	if s.ed == nil {
		httpx.WriteError(w, errNoEditor)
		return
	}
	code := chi.URLParam(r, "code")
	expected, err := s.ifMatch(r, code)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	_, err = s.commit(code, func() ([]data.Change, error) { return s.ed.DeleteComponent(r.Context(), code, expected, s.meta(r)) })
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// historyEntry is one change in a history answer.
type historyEntry struct {
	data.HistoryEntry
	Before any `json:"before"`
	After  any `json:"after"`
}

// historyAnswer is the answer of the history routes.
type historyAnswer struct {
	Layer   string         `json:"layer"`
	Code    string         `json:"code"`
	History []historyEntry `json:"history"`
}

func (s *editService) history(w http.ResponseWriter, r *http.Request) {
	s.writeHistory(w, r, "components")
}

func (s *editService) writeHistory(w http.ResponseWriter, r *http.Request, layer string) {
	if s.ed == nil {
		httpx.WriteError(w, errNoEditor)
		return
	}
	code := chi.URLParam(r, "code")
	hs, err := s.ed.History(r.Context(), layer, code)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	out := historyAnswer{Layer: layer, Code: code, History: make([]historyEntry, len(hs))}
	for i, h := range hs {
		e := historyEntry{HistoryEntry: h}
		if layer == "components" {
			if h.BeforeComponent != nil {
				e.Before = featureOf(h.BeforeComponent)
			}
			if h.AfterComponent != nil {
				e.After = featureOf(h.AfterComponent)
			}
		} else {
			if h.BeforeUnitGrid != nil {
				e.Before = gridFeatureOf(h.BeforeUnitGrid)
			}
			if h.AfterUnitGrid != nil {
				e.After = gridFeatureOf(h.AfterUnitGrid)
			}
		}
		out.History[i] = e
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
