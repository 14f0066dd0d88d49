// Package admin serves the administrators' API (应用维护) under
// /api/v1/admin: the responsibility rule table with its what-if check and
// replay audit, the category catalogue as a file, automatic-dispatch
// proposals, the audit log of every configuration change and its
// rollback, and arbitration rulings saved as precedent rules. Every
// change is a version of a configuration document in the case store
// (api/city's ConfigNames): attributed, listed and reversible.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/httpx"
	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/stats"
	"citygrid/spatial"

	"github.com/go-chi/chi/v5"
)

// service serves the admin routes over a city.
type service struct {
	c  *city.City
	wf *city.Workflow // nil: no case store (every route answers 503)
	ix *spatial.Index
}

// Mount adds the admin routes over the city c. Every route needs the
// admin role, except saving an arbitration as precedent, which the shift
// supervisor who ruled may do too.
func Mount(r chi.Router, c *city.City) {
	s := &service{c: c, wf: c.Workflow, ix: c.Index}
	a := r.With(auth.Require(data.RoleAdmin))
	a.Get("/api/v1/admin/rules", s.getRules)
	a.Put("/api/v1/admin/rules", s.putRules)
	a.Post("/api/v1/admin/rules/what-if", s.whatIf)
	a.Post("/api/v1/admin/rules/replay", s.replay)
	a.Get("/api/v1/admin/catalogue", s.getCatalogue)
	a.Put("/api/v1/admin/catalogue", s.putCatalogue)
	a.Get("/api/v1/admin/auto-dispatch/proposals", s.proposals)
	a.Get("/api/v1/admin/audit", s.audit)
	a.Post("/api/v1/admin/config/{name}/rollback", s.rollback)
	r.With(auth.Require(data.RoleSupervisor)).Post("/api/v1/cases/{id}/precedent", s.precedent)
}

// ready answers 503 when the city has no case store or no index.
func (s *service) ready(w http.ResponseWriter) bool {
	if s.wf == nil {
		httpx.WriteError(w, city.ErrNoWorkflow)
		return false
	}
	if s.ix == nil {
		httpx.WriteError(w, fmt.Errorf("this server has no city index: %w", data.ErrUnavailable))
		return false
	}
	return true
}

// ifMatch reads If-Match: the configuration version the client read (0
// when absent).
func ifMatch(r *http.Request) (int64, error) {
	im := strings.Trim(r.Header.Get("If-Match"), `"W/`)
	if im == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(im, 10, 64)
	if err != nil || v < 0 {
		return 0, httpx.BadRequest("If-Match", "the configuration version")
	}
	return v, nil
}

// store checks, stores and applies a new version of a configuration
// document by user; ifVersion 0 does not guard.
func (s *service) store(ctx context.Context, name string, body []byte, user string, ifVersion int64) (cases.ConfigDoc, error) {
	if err := s.wf.CheckConfig(name, body); err != nil {
		return cases.ConfigDoc{}, err
	}
	d, err := s.wf.Store.PutConfig(ctx, name, body, user, ifVersion)
	if err != nil {
		return d, err
	}
	return d, s.wf.ApplyConfig(name, body)
}

// version is the stored version of a document (0: none stored yet).
func (s *service) version(ctx context.Context, name string) int64 {
	if d, err := s.wf.Store.Config(ctx, name, 0); err == nil {
		return d.Version
	}
	return 0
}

// rulesAnswer is the rule table with its version.
type rulesAnswer struct {
	Version int64          `json:"version"`
	Rules   []data.RuleDoc `json:"rules"`
}

// getRules answers GET /api/v1/admin/rules: the rule table in use, with
// the version to send back in If-Match (0: the table imported with the
// city, never edited).
func (s *service) getRules(w http.ResponseWriter, r *http.Request) {
	if !s.ready(w) {
		return
	}
	v := s.version(r.Context(), city.ConfigRules)
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, v))
	httpx.WriteJSON(w, http.StatusOK, rulesAnswer{Version: v, Rules: city.RulesDocOf(s.ix.Rules()).Rules})
}

// putRules answers PUT /api/v1/admin/rules: a whole new rule table (rows
// added, edited, reordered by priority, removed), checked against the
// city, stored as a new version and served at once.
func (s *service) putRules(w http.ResponseWriter, r *http.Request) {
	if !s.ready(w) {
		return
	}
	ifv, err := ifMatch(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	var doc city.RulesDoc
	if err := httpx.DecodeJSON(r, &doc); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if doc.Rules == nil {
		httpx.WriteError(w, httpx.BadRequest("rules", "required (an empty list removes every rule)"))
		return
	}
	body, _ := json.Marshal(doc)
	d, err := s.store(r.Context(), city.ConfigRules, body, auth.PrincipalOf(r).User, ifv)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, d.Version))
	httpx.WriteJSON(w, http.StatusOK, rulesAnswer{Version: d.Version, Rules: city.RulesDocOf(s.ix.Rules()).Rules})
}

// proposedRules decodes and checks a proposed rule table (nil: none).
func (s *service) proposedRules(doc *city.RulesDoc) (*spatial.RuleSet, error) {
	if doc == nil {
		return nil, nil
	}
	rules := make([]data.Rule, len(doc.Rules))
	for i, r := range doc.Rules {
		rules[i] = r.Rule()
	}
	if err := s.ix.CheckRules(rules); err != nil {
		return nil, err
	}
	return spatial.NewRuleSet(rules), nil
}

// whatIfRequest is a point and a category to decide, and optionally a
// proposed rule table to decide it under.
type whatIfRequest struct {
	Lon       *float64          `json:"lon"`
	Lat       *float64          `json:"lat"`
	Kind      data.CategoryKind `json:"kind"`
	Category  string            `json:"category"`
	Component string            `json:"component,omitempty"`
	Proposed  *city.RulesDoc    `json:"proposed,omitempty"`
}

// whatIf answers POST /api/v1/admin/rules/what-if: which unit the rules
// in use decide for this point and category, with the reason chain, and
// — given a proposed table — which unit it would decide, before saving.
func (s *service) whatIf(w http.ResponseWriter, r *http.Request) {
	if !s.ready(w) {
		return
	}
	var in whatIfRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if in.Lon == nil || in.Lat == nil {
		httpx.WriteError(w, httpx.BadRequest("lon", "lon and lat are required"))
		return
	}
	if err := httpx.CheckLonLat("lon", "lat", *in.Lon, *in.Lat); err != nil {
		httpx.WriteError(w, err)
		return
	}
	rs, err := s.proposedRules(in.Proposed)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	p := [2]float64{*in.Lon, *in.Lat}
	cur, err := s.ix.Responsible(p, in.Kind, in.Category, in.Component)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	ans := map[string]any{"current": cur}
	if rs != nil {
		prop, err := s.ix.ResponsibleUnder(rs, p, in.Kind, in.Category, in.Component)
		if err != nil {
			httpx.WriteError(w, err)
			return
		}
		ans["proposed"] = prop
		ans["changed"] = prop.Unit.Code != cur.Unit.Code
	}
	httpx.WriteJSON(w, http.StatusOK, ans)
}

// replayRequest bounds the past cases (report time) and optionally
// proposes a rule table.
type replayRequest struct {
	From     time.Time      `json:"from"`
	To       time.Time      `json:"to"`
	Proposed *city.RulesDoc `json:"proposed,omitempty"`
	// Limit caps the cases listed (default 1000); the count is always whole.
	Limit int `json:"limit,omitempty"`
}

// replay answers POST /api/v1/admin/rules/replay: the replay audit. With
// a proposed table, the past cases whose unit it would change; without,
// the past cases today's rules and data decide for another unit than the
// one decided then, each with why.
func (s *service) replay(w http.ResponseWriter, r *http.Request) {
	if !s.ready(w) {
		return
	}
	var in replayRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if !in.From.IsZero() && !in.To.IsZero() && !in.To.After(in.From) {
		httpx.WriteError(w, httpx.BadRequest("to", "must be after from"))
		return
	}
	if in.Limit == 0 {
		in.Limit = 1000
	}
	if in.Limit < 1 || in.Limit > 100000 {
		httpx.WriteError(w, httpx.BadRequest("limit", "1 to 100000"))
		return
	}
	rs, err := s.proposedRules(in.Proposed)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	start := time.Now()
	past, err := ReplayCases(r.Context(), s.wf.Store, in.From, in.To)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	var diffs []spatial.ReplayDiff
	mode := "today"
	if rs != nil {
		diffs, mode = s.ix.ReplayRules(past, rs), "proposed"
	} else {
		diffs = s.ix.ReplayToday(past)
	}
	n := len(diffs)
	if len(diffs) > in.Limit {
		diffs = diffs[:in.Limit]
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"mode": mode, "replayed": len(past), "changed": n,
		"took_ms": time.Since(start).Milliseconds(), "cases": diffs})
}

// ReplayCases reads the past cases reported in [from, to) (zero bounds
// are open) that were decided for a unit, as the replay audit takes them:
// the unit the lookup decided then (kept in the resolution), else the
// unit of the first dispatch.
func ReplayCases(ctx context.Context, st cases.Store, from, to time.Time) ([]spatial.ReplayCase, error) {
	var out []spatial.ReplayCase
	err := st.Scan(ctx, from, to, func(c *cases.Case) bool {
		rc := spatial.ReplayCase{ID: c.ID, Number: c.Number, ReportedAt: c.ReportedAt, Point: c.Point, Kind: c.Kind,
			Category: c.Category, Component: c.Component, UnitGrid: c.UnitGrid, ManagementGrids: c.ManagementGrids}
		if len(c.Resolution) > 0 {
			var res cases.Resolution
			if json.Unmarshal(c.Resolution, &res) == nil && res.Unit != "" {
				rc.Unit, rc.Rule = res.Unit, res.Rule
				for _, st := range res.Reasons {
					if st.Decided {
						rc.RuleID = st.RuleID
					}
				}
			}
		}
		if rc.Unit == "" {
			if f, ok := stats.FirstDispatchOf(c); ok {
				rc.Unit = f.Unit
			}
		}
		if rc.Unit != "" {
			out = append(out, rc)
		}
		return true
	})
	return out, err
}

// getCatalogue answers GET /api/v1/admin/catalogue: the category
// catalogue in use as a catalogue file (download), to edit and import.
func (s *service) getCatalogue(w http.ResponseWriter, r *http.Request) {
	if !s.ready(w) {
		return
	}
	b, err := data.CatalogueJSON(s.ix.Dataset().Categories)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	v := s.version(r.Context(), city.ConfigCatalogue)
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, v))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="catalogue-v%d.json"`, v))
	_, _ = w.Write(b)
}

// putCatalogue answers PUT /api/v1/admin/catalogue: a catalogue file
// (names, default units, deadline classes: the time limit and urgency
// of each class follow from the deadline table) replaces the one in use.
func (s *service) putCatalogue(w http.ResponseWriter, r *http.Request) {
	if !s.ready(w) {
		return
	}
	ifv, err := ifMatch(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	var raw json.RawMessage
	if err := httpx.DecodeJSON(r, &raw); err != nil {
		httpx.WriteError(w, err)
		return
	}
	d, err := s.store(r.Context(), city.ConfigCatalogue, raw, auth.PrincipalOf(r).User, ifv)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, d.Version))
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"version": d.Version, "categories": len(s.ix.Dataset().Categories)})
}

// proposals answers GET /api/v1/admin/auto-dispatch/proposals: each small
// class's first-time accuracy over its last N dispatches against the
// auto_dispatch document's threshold — classes to switch on, classes on
// that fell below it.
func (s *service) proposals(w http.ResponseWriter, r *http.Request) {
	if !s.ready(w) {
		return
	}
	a := s.wf.Service.AutoDispatch()
	ps := s.c.Board.Accuracy().Proposals(a, time.Time{})
	for i := range ps {
		ps[i].Window.Name = s.c.Board.Name(stats.DimCategory, ps[i].Class)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"window": a.Window, "threshold": a.Threshold, "min_cases": a.MinCases, "classes": ps})
}

// auditEntry is one configuration change.
type auditEntry struct {
	Name    string    `json:"name"`
	Version int64     `json:"version"`
	User    string    `json:"user"`
	At      time.Time `json:"at"`
}

// audit answers GET /api/v1/admin/audit: every version of every
// configuration document (name= one of them), newest first: who changed
// what when.
func (s *service) audit(w http.ResponseWriter, r *http.Request) {
	if s.wf == nil {
		httpx.WriteError(w, city.ErrNoWorkflow)
		return
	}
	names := city.ConfigNames
	if n := r.URL.Query().Get("name"); n != "" {
		if !slices.Contains(names, n) {
			httpx.WriteError(w, httpx.BadRequest("name", "one of "+strings.Join(names, ", ")))
			return
		}
		names = []string{n}
	}
	out := []auditEntry{}
	for _, n := range names {
		vs, err := s.wf.Store.ConfigVersions(r.Context(), n)
		if err != nil {
			httpx.WriteError(w, err)
			return
		}
		for _, v := range vs {
			out = append(out, auditEntry{Name: n, Version: v.Version, User: v.User, At: v.At})
		}
	}
	slices.SortStableFunc(out, func(a, b auditEntry) int { return b.At.Compare(a.At) })
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"changes": out})
}

// rollback answers POST /api/v1/admin/config/{name}/rollback with
// {"version": n}: version n's body is stored again as a new version (so
// the rollback itself is in the audit log) and applied.
func (s *service) rollback(w http.ResponseWriter, r *http.Request) {
	if s.wf == nil {
		httpx.WriteError(w, city.ErrNoWorkflow)
		return
	}
	name := chi.URLParam(r, "name")
	if !slices.Contains(city.ConfigNames, name) {
		httpx.WriteError(w, fmt.Errorf("configuration %q: %w", name, data.ErrNotFound))
		return
	}
	var in struct {
		Version int64 `json:"version"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if in.Version < 1 {
		httpx.WriteError(w, httpx.BadRequest("version", "the version to go back to"))
		return
	}
	old, err := s.wf.Store.Config(r.Context(), name, in.Version)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	cur := s.version(r.Context(), name)
	d, err := s.store(r.Context(), name, old.Body, auth.PrincipalOf(r).User, cur)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"name": name, "version": d.Version, "restored": in.Version})
}

// precedentRequest says where a ruling applies.
type precedentRequest struct {
	// Scope is unit_grid (the case's unit grid, the default),
	// management_grid (ScopeRef, one of the case's management grids) or
	// area (Area, a polygon).
	Scope    data.ScopeKind `json:"scope"`
	ScopeRef string         `json:"scope_ref,omitempty"`
	Area     [][][2]float64 `json:"area,omitempty"`
	// Priority defaults to one above every row of the table, so the
	// ruling decides the place and class from now on.
	Priority *int   `json:"priority,omitempty"`
	Note     string `json:"note,omitempty"`
}

// precedent answers POST /api/v1/cases/{id}/precedent: the arbitration
// ruling of the case (its last arbitrate transition: the unit, when and
// by whom) becomes a rule of the responsibility table for the case's class
// at this place, cited in the reason chain of the cases it decides.
func (s *service) precedent(w http.ResponseWriter, r *http.Request) {
	if !s.ready(w) {
		return
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		httpx.WriteError(w, httpx.BadRequest("id", "a positive case id"))
		return
	}
	var in precedentRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		httpx.WriteError(w, err)
		return
	}
	ctx := r.Context()
	c, err := s.wf.Store.Get(ctx, id)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	trs, err := s.wf.Store.Transitions(ctx, id)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	ruling := -1
	for i := range trs {
		if trs[i].Action == cases.ActArbitrate {
			ruling = i
		}
	}
	if ruling < 0 {
		httpx.WriteError(w, &cases.ConflictError{ID: c.ID, Action: "precedent", State: c.State, Version: c.Version,
			Allowed: cases.AllowedFor(c.State, auth.PrincipalOf(r).Role), Reason: "the case has no arbitration ruling"})
		return
	}
	t := trs[ruling]
	rule := data.Rule{Kind: c.Kind, Category: c.Category, Scope: in.Scope, ScopeRef: in.ScopeRef, Unit: t.Unit, Note: in.Note,
		Precedent: &data.Precedent{CaseID: c.ID, CaseNumber: c.Number, RuledAt: t.At, RuledBy: t.User}}
	switch in.Scope {
	case "", data.ScopeUnitGrid:
		rule.Scope = data.ScopeUnitGrid
		if rule.ScopeRef == "" {
			rule.ScopeRef = c.UnitGrid
		}
	case data.ScopeManagementGrid:
		if !slices.Contains(c.ManagementGrids, in.ScopeRef) {
			httpx.WriteError(w, httpx.BadRequest("scope_ref", fmt.Sprintf("one of the case's management grids %v", c.ManagementGrids)))
			return
		}
	case data.ScopeArea:
		rule.Area = data.RuleDoc{Area: in.Area}.Rule().Area
	default:
		httpx.WriteError(w, httpx.BadRequest("scope", "unit_grid, management_grid or area"))
		return
	}
	if rule.Note == "" {
		rule.Note = "仲裁先例：案卷 " + c.Number
	}
	for range 3 { // another admin editing the table meanwhile: read again
		v := s.version(ctx, city.ConfigRules)
		rules := s.ix.Rules()
		top, prio := int64(0), 0
		for _, x := range rules {
			top, prio = max(top, x.ID), max(prio, x.Priority)
		}
		rule.ID = top + 1
		rule.Priority = min(prio+1, 1000)
		if in.Priority != nil {
			rule.Priority = *in.Priority
		}
		body, _ := json.Marshal(city.RulesDocOf(append(rules, rule)))
		d, err := s.store(ctx, city.ConfigRules, body, auth.PrincipalOf(r).User, v)
		if errors.Is(err, data.ErrPrecondition) && v > 0 {
			continue
		}
		if err != nil {
			httpx.WriteError(w, err)
			return
		}
		httpx.WriteJSON(w, http.StatusCreated, map[string]any{"version": d.Version, "rule": data.DocOf(rule)})
		return
	}
	httpx.WriteError(w, fmt.Errorf("the rule table kept changing: %w", data.ErrConflict))
}
