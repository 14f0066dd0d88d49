package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/sqlitecases"
	"citygrid/spatial"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
)

// indexResolver adapts *spatial.Index to cases.Resolver.
type indexResolver struct{ ix *spatial.Index }

func (r indexResolver) Locate(p orb.Point) (cases.Place, error) {
	loc, err := r.ix.Locate(p)
	if err != nil {
		return cases.Place{}, err
	}
	pl := cases.Place{Covered: loc.Covered, UnitGrid: loc.UnitGrid.Code, Community: loc.Community.Code, Street: loc.Street.Code, District: loc.District.Code}
	for _, mg := range loc.ManagementGrids {
		pl.ManagementGrids = append(pl.ManagementGrids, mg.Code)
	}
	return pl, nil
}

func (r indexResolver) Responsible(p orb.Point, kind data.CategoryKind, category, component string) (cases.Decision, error) {
	res, err := r.ix.Responsible(p, kind, category, component)
	if err != nil {
		return cases.Decision{}, err
	}
	d := cases.Decision{Unit: res.Unit.Code, Rule: res.Rule, Reasons: []cases.Step{}, Candidates: []cases.Candidate{}}
	if res.Component != nil {
		d.Component = res.Component.Code
	}
	for _, rs := range res.Reasons {
		d.Reasons = append(d.Reasons, cases.Step{Rule: rs.Rule, Decided: rs.Decided, Detail: rs.Detail})
	}
	seen := map[string]bool{}
	add := func(unit, name, why string) {
		if unit == "" || seen[unit] {
			return
		}
		seen[unit] = true
		d.Candidates = append(d.Candidates, cases.Candidate{Unit: unit, Name: name, Rank: len(d.Candidates) + 1, Why: why})
	}
	add(res.Unit.Code, res.Unit.Name, "decided by "+res.Rule)
	if res.Component != nil {
		add(res.Component.Owner, "", "owner of component "+res.Component.Code)
	}
	for _, mg := range res.Location.ManagementGrids {
		add(mg.Unit, "", "responsible for "+mg.Kind+" grid "+mg.Code)
	}
	return d, nil
}

// caseService serves the case workflow (issue 6) under /api/v1/cases.
type caseService struct {
	svc      *cases.Service // nil: no case store (every route answers 503)
	st       cases.ServerStore
	ix       *spatial.Index
	uploads  string
	log      *slog.Logger
	notifier *cases.Notifier
	sweepMu  sync.Mutex
	stop     func(context.Context) error // ends followRemote; nil when not following
	sweeping bool
}

// errNoCases: the server's store cannot hold cases.
var errNoCases = fmt.Errorf("this server has no case store: %w", data.ErrUnavailable)

// newCaseService opens the case tables in the server's GeoPackage, loads
// the stored workflow configuration, feeds the case board (statistics,
// case map) and registers the board as the store's change listener.
func newCaseService(cfg Config, board *caseBoard, gs *geocodeService) *caseService {
	cs := &caseService{log: cfg.Logger, ix: cfg.Index}
	ctx := context.Background()
	st := cfg.Cases
	if st == nil {
		dbs, ok := cfg.Store.(interface{ DB() *sql.DB })
		if !ok || dbs.DB() == nil {
			return cs
		}
		sq, err := sqlitecases.New(ctx, dbs.DB())
		if err != nil {
			cfg.Logger.Error("case store unavailable", "err", err)
			return cs
		}
		st = sq
	}
	var ix cases.Resolver
	if cfg.Index != nil {
		ix = indexResolver{cfg.Index}
	}
	cs.st, cs.svc = st, cases.NewService(st, ix)
	if cfg.Index != nil {
		ix := cfg.Index
		cs.svc.UnitExists = func(code string) bool {
			for _, d := range ix.Dataset().Departments {
				if d.Code == code {
					return true
				}
			}
			return false
		}
	}
	if gs != nil {
		cs.svc.Geocode = func(addr string) (orb.Point, bool) {
			rs, err := gs.current().Forward(addr, 1)
			if err != nil || len(rs) == 0 || rs[0].Score < 0.5 {
				return orb.Point{}, false
			}
			return orb.Point(rs[0].Geometry), true
		}
	}
	if cfg.Dir != "" {
		cs.uploads = filepath.Join(cfg.Dir, "uploads", "cases")
	}
	for _, name := range configNames {
		if d, err := st.Config(ctx, name, 0); err == nil {
			if err := cs.applyConfig(name, d.Body); err != nil {
				cfg.Logger.Error("stored case configuration refused; defaults kept", "name", name, "version", d.Version, "err", err)
			}
		}
	}
	if cf, ok := st.(cases.ConfigFollower); ok {
		// Another replica stored a new configuration version: apply it.
		cf.OnRemoteConfig(func(name string) {
			d, err := st.Config(ctx, name, 0)
			if err == nil {
				err = cs.applyConfig(name, d.Body)
			}
			if err != nil {
				cfg.Logger.Error("case configuration stored by another replica not applied", "name", name, "err", err)
			}
		})
	}
	cs.notifier = &cases.Notifier{Service: cs.svc, Store: st}
	if board != nil {
		cs.feedBoard(ctx, cfg, board)
	}
	cs.startSweeps()
	return cs
}

// feedBoard connects the case board to the store (the board decides what
// an empty store means for its demo history). A full store is loaded in
// the background (a million cases take seconds): changes committed
// meanwhile are held and replayed after the load, so none is lost and the
// server is ready at once.
func (s *caseService) feedBoard(ctx context.Context, cfg Config, board *caseBoard) {
	st := s.st
	n := 0
	if p, err := st.List(ctx, cases.Filter{Limit: 1}); err == nil {
		n = p.Total
	}
	var mu sync.Mutex
	loaded := false
	var held []func()
	// load (re)reads the board from the store. Changes committed while it
	// reads are held and replayed after it, so a reload never drops a
	// write that lands during it; reloads run one at a time.
	var loadMu sync.Mutex
	load := func() {
		loadMu.Lock()
		defer loadMu.Unlock()
		mu.Lock()
		loaded = false
		mu.Unlock()
		t0 := time.Now()
		if err := board.attach(ctx, st); err != nil {
			cfg.Logger.Error("case board not fed from the case store", "err", err)
		} else {
			cfg.Logger.Info("case board loaded from the case store", "took", time.Since(t0).Round(time.Millisecond))
		}
		// Replay what was held, in commit order; changes keep being held
		// until the backlog is drained.
		for {
			mu.Lock()
			h := held
			held = nil
			if len(h) == 0 {
				loaded = true
				mu.Unlock()
				return
			}
			mu.Unlock()
			for _, f := range h {
				f()
			}
		}
	}
	apply := func(c *cases.Case, t *cases.Transition) {
		mu.Lock()
		if !loaded {
			held = append(held, func() { board.Apply(c, t) })
			mu.Unlock()
			return
		}
		mu.Unlock()
		board.Apply(c, t)
	}
	st.OnChange(apply)
	if rf, ok := st.(cases.RemoteFollower); ok {
		// Another replica's write committed after the board's load and
		// before the LISTEN would never reach the board: the load waits
		// (a while) until the follow is in place, and a re-established
		// follow reloads the board.
		ready := make(chan struct{})
		if rr, ok := st.(interface{ OnRemoteReady(func()) }); ok {
			var first sync.Once
			rr.OnRemoteReady(func() {
				again := true
				first.Do(func() { close(ready); again = false })
				if again {
					load()
				}
			})
		} else {
			close(ready)
		}
		s.followRemote(cfg, rf, load, apply)
		select {
		case <-ready:
		case <-time.After(remoteReadyWait):
			cfg.Logger.Warn("not yet following other replicas' case writes; loading the case board anyway", "waited", remoteReadyWait)
		}
	}
	if n == 0 {
		load()
		return
	}
	go load()
}

// remoteReadyWait is how long the case board's load waits for the follow
// of other replicas' writes to be in place.
const remoteReadyWait = 5 * time.Second

// followRemote feeds the board with the case writes other replicas commit
// to a shared case store, until Close. When the follow connection is lost
// the board is reloaded from the store (writes may have been missed) and
// the follow starts again.
func (s *caseService) followRemote(cfg Config, rf cases.RemoteFollower, reload func(), apply func(*cases.Case, *cases.Transition)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.stop = func(context.Context) error {
		cancel()
		<-done
		return nil
	}
	go func() {
		defer close(done)
		for {
			err := rf.ListenRemote(ctx, apply)
			if ctx.Err() != nil {
				return
			}
			cfg.Logger.Warn("following other replicas' case writes failed; retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			reload()
		}
	}()
}

// close stops the case service's background work (the remote follow).
func (s *caseService) close(ctx context.Context) error {
	if s.stop == nil {
		return nil
	}
	return s.stop(ctx)
}

// startSweeps starts the notification loop once a webhook is configured.
func (s *caseService) startSweeps() {
	if s.svc == nil || s.svc.Settings().WebhookURL == "" {
		return
	}
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	if s.sweeping {
		return
	}
	s.sweeping = true
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for range t.C {
			url := s.svc.Settings().WebhookURL
			if n, err := s.notifier.Sweep(context.Background(), url, time.Now()); err != nil {
				s.log.Warn("case notifications", "sent", n, "err", err)
			}
		}
	}()
}

// caseWriteRoles may call the action route: every role the machine names
// (the service checks the action's own roles).
var caseWriteRoles = []data.Role{data.RoleInspector, data.RoleOperator, data.RoleSupervisor, data.RoleDispatcher, data.RoleUnit}

// caseReadRoles may read cases; citizens read only their own reports, and
// units only their own unit's cases.
var caseReadRoles = []data.Role{data.RoleViewer, data.RoleInspector, data.RoleOperator, data.RoleSupervisor, data.RoleDispatcher, data.RoleUnit, data.RoleCitizen}

func (s *caseService) mount(r chi.Router) {
	read := r.With(requireRole(caseReadRoles...))
	read.Get("/api/v1/cases", s.list)
	r.With(requireRole(cases.ReportRoles...)).Post("/api/v1/cases", s.create)
	read.Get("/api/v1/cases/queue", s.queue)
	read.Get("/api/v1/cases/workflow", s.workflow)
	read.Get("/api/v1/cases/config/{name}", s.getConfig)
	read.Get("/api/v1/cases/config/{name}/versions", s.configVersions)
	r.With(requireRole(data.RoleAdmin)).Put("/api/v1/cases/config/{name}", s.putConfig)
	read.Get("/api/v1/cases/{id}", s.get)
	read.Get("/api/v1/cases/{id}/transitions", s.transitions)
	r.With(requireRole(caseWriteRoles...)).Post("/api/v1/cases/{id}/actions/{action}", s.action)
	r.With(requireRole(cases.ReportRoles...)).Post("/api/v1/cases/{id}/attachments", s.attach)
	read.Get("/api/v1/cases/{id}/attachments", s.attachments)
	read.Get("/api/v1/cases/{id}/attachments/{aid}", s.attachment)
	s.mountOpen311(r)
}

// caseView is a case with its deadline progress.
type caseView struct {
	*cases.Case
	Progress cases.Progress `json:"progress"`
	Allowed  []string       `json:"allowed_actions"`
}

func (s *caseService) view(c *cases.Case, p data.Principal, now time.Time) caseView {
	return caseView{Case: c, Progress: s.svc.Progress(c, now), Allowed: cases.AllowedFor(c.State, p.Role)}
}

// mayRead reports whether p may see c.
func mayRead(p data.Principal, c *cases.Case) bool {
	switch p.Role {
	case data.RoleCitizen:
		return c.Reporter == p.User
	case data.RoleUnit:
		return p.Unit != "" && (c.Unit == p.Unit || slices.Contains(c.ReturnedBy, p.Unit))
	}
	return true
}

func (s *caseService) caseID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errBadRequest("id", "a positive case id")
	}
	return id, nil
}

func (s *caseService) create(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		writeError(w, errNoCases)
		return
	}
	var in cases.NewCase
	if err := decodeJSON(r, &in); err != nil {
		writeError(w, err)
		return
	}
	p := principalOf(r)
	c, err := s.svc.Report(r.Context(), p, in)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/cases/%d", c.ID))
	writeJSON(w, http.StatusCreated, s.view(c, p, time.Now()))
}

func (s *caseService) get(w http.ResponseWriter, r *http.Request) {
	c, ok := s.load(w, r)
	if !ok {
		return
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, c.Version))
	writeJSON(w, http.StatusOK, s.view(c, principalOf(r), time.Now()))
}

// load reads the case of the path, answering the error itself.
func (s *caseService) load(w http.ResponseWriter, r *http.Request) (*cases.Case, bool) {
	if s.svc == nil {
		writeError(w, errNoCases)
		return nil, false
	}
	id, err := s.caseID(r)
	if err != nil {
		writeError(w, err)
		return nil, false
	}
	c, err := s.st.Get(r.Context(), id)
	if err == nil && !mayRead(principalOf(r), c) {
		err = fmt.Errorf("case %d: %w", id, data.ErrNotFound) // do not reveal others' cases
	}
	if err != nil {
		writeError(w, err)
		return nil, false
	}
	return c, true
}

func (s *caseService) transitions(w http.ResponseWriter, r *http.Request) {
	c, ok := s.load(w, r)
	if !ok {
		return
	}
	ts, err := s.st.Transitions(r.Context(), c.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"case_id": c.ID, "transitions": ts})
}

// filterOf reads the listing filters of the query string.
func filterOf(r *http.Request) (cases.Filter, error) {
	q := r.URL.Query()
	var f cases.Filter
	for _, s := range queryList(q, "state") {
		st := cases.State(s)
		if !slices.Contains(allCaseStates, st) {
			return f, errBadRequest("state", fmt.Sprintf("unknown state %q", s))
		}
		f.States = append(f.States, st)
	}
	for _, s := range queryList(q, "id") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return f, errBadRequest("id", "case ids are integers")
		}
		f.IDs = append(f.IDs, id)
	}
	f.Category, f.Unit, f.Street, f.Community, f.UnitGrid, f.Dispatcher = q.Get("category"), q.Get("unit"), q.Get("street"), q.Get("community"), q.Get("grid"), q.Get("dispatcher")
	if k := q.Get("kind"); k != "" {
		if k != string(data.KindComponent) && k != string(data.KindEvent) {
			return f, errBadRequest("kind", "component or event")
		}
		f.Kind = data.CategoryKind(k)
	}
	if src := q.Get("source"); src != "" {
		f.Source = cases.Source(src)
	}
	var err error
	for _, tf := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.ReportedFrom}, {"to", &f.ReportedTo}, {"updated_from", &f.UpdatedFrom}, {"updated_to", &f.UpdatedTo}} {
		if v := q.Get(tf.name); v != "" {
			if *tf.dst, err = time.Parse(time.RFC3339, v); err != nil {
				return f, errBadRequest(tf.name, "an RFC 3339 time, e.g. 2026-03-01T00:00:00+08:00")
			}
		}
	}
	if v := q.Get("due_before"); v != "" {
		if f.DueBefore, err = time.Parse(time.RFC3339, v); err != nil {
			return f, errBadRequest("due_before", "an RFC 3339 time")
		}
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"overdue", &f.Overdue}, {"open", &f.Open}} {
		if v := q.Get(b.name); v != "" {
			if *b.dst, err = strconv.ParseBool(v); err != nil {
				return f, errBadRequest(b.name, "true or false")
			}
		}
	}
	switch q.Get("sort") {
	case "", "newest":
	case "due":
		f.Sort = cases.SortDue
	default:
		return f, errBadRequest("sort", "newest or due")
	}
	if f.Offset, err = queryInt(q, "offset", 0, 0, 1<<30); err != nil {
		return f, err
	}
	if f.Limit, err = queryInt(q, "limit", cases.DefaultPageSize, 1, cases.MaxPageSize); err != nil {
		return f, err
	}
	return f, nil
}

var allCaseStates = []cases.State{cases.StateReported, cases.StateVerified, cases.StateRegistered, cases.StateNotRegistered, cases.StateDispatched,
	cases.StateHandled, cases.StateChecked, cases.StateClosed, cases.StateReturned, cases.StateArbitration, cases.StateSuspended, cases.StateCancelled}

// scope narrows a filter to what p may see.
func scope(p data.Principal, f *cases.Filter) {
	switch p.Role {
	case data.RoleCitizen:
		f.Reporter = p.User
	case data.RoleUnit:
		f.Unit = p.Unit
		if p.Unit == "" {
			f.Unit = "\x00none"
		}
	}
}

// listRequest reads a listing's filters narrowed to what the caller may
// see, answering the error itself.
func (s *caseService) listRequest(w http.ResponseWriter, r *http.Request) (cases.Filter, data.Principal, bool) {
	if s.svc == nil {
		writeError(w, errNoCases)
		return cases.Filter{}, data.Principal{}, false
	}
	f, err := filterOf(r)
	if err != nil {
		writeError(w, err)
		return f, data.Principal{}, false
	}
	p := principalOf(r)
	scope(p, &f)
	return f, p, true
}

func (s *caseService) list(w http.ResponseWriter, r *http.Request) {
	if f, p, ok := s.listRequest(w, r); ok {
		s.writePage(w, r, f, p)
	}
}

func (s *caseService) writePage(w http.ResponseWriter, r *http.Request, f cases.Filter, p data.Principal) {
	now := time.Now()
	f.Now = now
	page, err := s.st.List(r.Context(), f)
	if err != nil {
		writeError(w, err)
		return
	}
	out := struct {
		Cases  []caseView `json:"cases"`
		Total  int        `json:"total"`
		Offset int        `json:"offset"`
		Limit  int        `json:"limit"`
	}{Cases: make([]caseView, len(page.Cases)), Total: page.Total, Offset: page.Offset, Limit: page.Limit}
	for i, c := range page.Cases {
		out.Cases[i] = s.view(c, p, now)
	}
	writeJSON(w, http.StatusOK, out)
}

// queue lists the cases waiting on a unit (?unit=) or a dispatcher
// (?dispatcher=), soonest deadline first, each with its traffic light.
// Units see their own queue; without unit or dispatcher it is the
// dispatch queue: registered, returned and arbitration cases.
func (s *caseService) queue(w http.ResponseWriter, r *http.Request) {
	f, p, ok := s.listRequest(w, r)
	if !ok {
		return
	}
	f.Sort = cases.SortDue
	if len(f.States) == 0 {
		switch {
		case f.Unit != "":
			f.States = []cases.State{cases.StateDispatched}
		case f.Dispatcher != "":
			f.States = []cases.State{cases.StateDispatched, cases.StateHandled, cases.StateSuspended}
		default:
			f.States = []cases.State{cases.StateRegistered, cases.StateReturned, cases.StateArbitration}
		}
	}
	s.writePage(w, r, f, p)
}

// actionBody is the body of an action (all optional but what the action
// needs).
type actionBody struct {
	Note    string  `json:"note"`
	Unit    string  `json:"unit"`
	Amount  float64 `json:"amount"`
	Version int64   `json:"version"`
}

func (s *caseService) action(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		writeError(w, errNoCases)
		return
	}
	id, err := s.caseID(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var b actionBody
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		if err := decodeJSON(r, &b); err != nil {
			writeError(w, err)
			return
		}
	}
	if im := strings.Trim(r.Header.Get("If-Match"), `"W/`); im != "" {
		v, err := strconv.ParseInt(im, 10, 64)
		if err != nil {
			writeError(w, errBadRequest("If-Match", "the case version, as the ETag gives it"))
			return
		}
		b.Version = v
	}
	p := principalOf(r)
	if cur, err := s.st.Get(r.Context(), id); err == nil && !mayRead(p, cur) {
		writeError(w, fmt.Errorf("case %d is not with unit %q: %w", id, p.Unit, data.ErrForbidden))
		return
	}
	c, t, err := s.svc.Act(r.Context(), p, id, cases.ActionRequest{Action: chi.URLParam(r, "action"), Note: b.Note, Unit: b.Unit, Amount: b.Amount, Version: b.Version})
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, c.Version))
	writeJSON(w, http.StatusOK, map[string]any{"case": s.view(c, p, time.Now()), "transition": t})
}

func (s *caseService) workflow(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"actions": cases.Machine, "states": allCaseStates, "report_roles": cases.ReportRoles})
}

// Attachments.

// sniffImage returns the MIME type and file extension of a JPEG, PNG or
// WebP image, or "" for anything else.
func sniffImage(b []byte) (string, string) {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "image/jpeg", ".jpg"
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return "image/png", ".png"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp", ".webp"
	}
	return "", ""
}

// attach stores the request body (one JPEG, PNG or WebP image) as a file
// of the case under a generated name; the client's file name is never
// used.
func (s *caseService) attach(w http.ResponseWriter, r *http.Request) {
	c, ok := s.load(w, r)
	if !ok {
		return
	}
	blobs, inStore := s.st.(cases.AttachmentContent)
	if s.uploads == "" && !inStore {
		writeError(w, fmt.Errorf("no data directory for uploads: %w", data.ErrUnavailable))
		return
	}
	if c.State.Terminal() {
		writeError(w, &cases.ConflictError{ID: c.ID, State: c.State, Version: c.Version, Allowed: []string{}, Reason: "no attachments to a finished case"})
		return
	}
	max := s.svc.Settings().MaxPhotoBytes
	src := io.Reader(r.Body)
	if mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		// A browser form: the first file part is the photo.
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				writeError(w, errBadRequest("body", "a multipart form with one image file part"))
				return
			}
			if part.FileName() != "" || part.FormName() == "file" {
				src = part
				break
			}
		}
	}
	body, err := io.ReadAll(io.LimitReader(src, max+1))
	if err != nil {
		writeError(w, err)
		return
	}
	if int64(len(body)) > max {
		writeError(w, &http.MaxBytesError{Limit: max})
		return
	}
	typ, ext := sniffImage(body)
	if typ == "" {
		writeError(w, errBadRequest("body", "a JPEG, PNG or WebP image"))
		return
	}
	if inStore {
		// A store shared by replicas keeps the bytes: every replica
		// serves the photo, whichever took it.
		a := newAttachment(r, c, body, typ, ext)
		if err := blobs.AddAttachmentContent(r.Context(), a, body); err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("Location", fmt.Sprintf("/api/v1/cases/%d/attachments/%d", c.ID, a.ID))
		writeJSON(w, http.StatusCreated, a)
		return
	}
	if err := os.MkdirAll(s.uploads, 0o750); err != nil {
		writeError(w, err)
		return
	}
	a := newAttachment(r, c, body, typ, ext)
	name := a.Name
	tmp := filepath.Join(s.uploads, "."+name+".tmp")
	if err := os.WriteFile(tmp, body, 0o640); err != nil {
		writeError(w, err)
		return
	}
	if err := os.Rename(tmp, filepath.Join(s.uploads, name)); err != nil {
		os.Remove(tmp)
		writeError(w, err)
		return
	}
	if err := s.st.AddAttachment(r.Context(), a); err != nil {
		os.Remove(filepath.Join(s.uploads, name))
		writeError(w, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/cases/%d/attachments/%d", c.ID, a.ID))
	writeJSON(w, http.StatusCreated, a)
}

// newAttachment describes an uploaded image of case c under a generated
// name (the client's file name is never used).
func newAttachment(r *http.Request, c *cases.Case, body []byte, typ, ext string) *cases.Attachment {
	var rnd [16]byte
	rand.Read(rnd[:])
	sum := sha256.Sum256(body)
	return &cases.Attachment{CaseID: c.ID, Name: hex.EncodeToString(rnd[:]) + ext, Type: typ, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:]),
		Stage: c.State, User: principalOf(r).User, Uploaded: time.Now().UTC()}
}

func (s *caseService) attachments(w http.ResponseWriter, r *http.Request) {
	c, ok := s.load(w, r)
	if !ok {
		return
	}
	as, err := s.st.Attachments(r.Context(), c.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"attachments": as})
}

func (s *caseService) attachment(w http.ResponseWriter, r *http.Request) {
	c, ok := s.load(w, r)
	if !ok {
		return
	}
	aid, err := strconv.ParseInt(chi.URLParam(r, "aid"), 10, 64)
	if err != nil {
		writeError(w, errBadRequest("aid", "an attachment id"))
		return
	}
	as, err := s.st.Attachments(r.Context(), c.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	for _, a := range as {
		if a.ID == aid {
			w.Header().Set("X-Content-Type-Options", "nosniff")
			if blobs, ok := s.st.(cases.AttachmentContent); ok {
				// Kept by a shared store; older ones may be files.
				if body, err := blobs.AttachmentContent(r.Context(), c.ID, a.Name); err == nil {
					w.Header().Set("Content-Type", a.Type)
					w.Header().Set("Cache-Control", "private, max-age=86400, immutable")
					http.ServeContent(w, r, "", a.Uploaded, bytes.NewReader(body))
					return
				} else if !errors.Is(err, data.ErrNotFound) {
					writeError(w, err)
					return
				}
			}
			f, err := os.Open(filepath.Join(s.uploads, a.Name))
			if err != nil {
				writeError(w, fmt.Errorf("attachment %d: %w", aid, data.ErrNotFound))
				return
			}
			defer f.Close()
			w.Header().Set("Content-Type", a.Type)
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Header().Set("Cache-Control", "private, max-age=86400, immutable")
			http.ServeContent(w, r, "", a.Uploaded, f)
			return
		}
	}
	writeError(w, fmt.Errorf("attachment %d of case %d: %w", aid, c.ID, data.ErrNotFound))
}

// Configuration: calendar, deadlines and settings documents, versioned.

var configNames = []string{"calendar", "deadlines", "settings"}

func (s *caseService) applyConfig(name string, body []byte) error {
	dec := func(v any) error {
		if err := json.Unmarshal(body, v); err != nil {
			return jsonError(err)
		}
		return nil
	}
	switch name {
	case "calendar":
		var c cases.Calendar
		if err := dec(&c); err != nil {
			return err
		}
		return s.svc.SetCalendar(&c)
	case "deadlines":
		var t cases.DeadlineTable
		if err := dec(&t); err != nil {
			return err
		}
		return s.svc.SetDeadlines(&t)
	case "settings":
		var st cases.Settings
		if err := dec(&st); err != nil {
			return err
		}
		if err := s.svc.SetSettings(&st); err != nil {
			return err
		}
		s.startSweeps()
		return nil
	}
	return fmt.Errorf("configuration %q: %w", name, data.ErrNotFound)
}

func (s *caseService) currentConfig(name string) (any, error) {
	switch name {
	case "calendar":
		return s.svc.Calendar(), nil
	case "deadlines":
		return s.svc.Deadlines(), nil
	case "settings":
		return s.svc.Settings(), nil
	}
	return nil, fmt.Errorf("configuration %q (calendar, deadlines or settings): %w", name, data.ErrNotFound)
}

func (s *caseService) getConfig(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		writeError(w, errNoCases)
		return
	}
	name := chi.URLParam(r, "name")
	cur, err := s.currentConfig(name)
	if err != nil {
		writeError(w, err)
		return
	}
	var version int64
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			writeError(w, errBadRequest("version", "a positive version"))
			return
		}
		d, err := s.st.Config(r.Context(), name, n)
		if err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("ETag", fmt.Sprintf(`"%d"`, d.Version))
		w.Header().Set("Content-Type", "application/json")
		w.Write(d.Body)
		return
	}
	if d, err := s.st.Config(r.Context(), name, 0); err == nil {
		version = d.Version
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, version))
	writeJSON(w, http.StatusOK, map[string]any{"name": name, "version": version, "config": cur})
}

func (s *caseService) configVersions(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		writeError(w, errNoCases)
		return
	}
	name := chi.URLParam(r, "name")
	if _, err := s.currentConfig(name); err != nil {
		writeError(w, err)
		return
	}
	vs, err := s.st.ConfigVersions(r.Context(), name)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": name, "versions": vs})
}

// putConfig stores a new version of a configuration document (admin);
// If-Match with the current version guards against lost updates.
func (s *caseService) putConfig(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		writeError(w, errNoCases)
		return
	}
	name := chi.URLParam(r, "name")
	if _, err := s.currentConfig(name); err != nil {
		writeError(w, err)
		return
	}
	var raw json.RawMessage
	if err := decodeJSON(r, &raw); err != nil {
		writeError(w, err)
		return
	}
	// Check on a scratch service first so a bad document changes nothing.
	scratch := &caseService{svc: cases.NewService(nil, nil), log: s.log}
	if err := scratch.applyConfig(name, raw); err != nil {
		writeError(w, err)
		return
	}
	var ifv int64
	if im := strings.Trim(r.Header.Get("If-Match"), `"W/`); im != "" {
		v, err := strconv.ParseInt(im, 10, 64)
		if err != nil {
			writeError(w, errBadRequest("If-Match", "the configuration version"))
			return
		}
		ifv = v
		if v == 0 {
			ifv = -1 // "0": nothing stored yet
		}
	}
	if ifv == -1 {
		if d, err := s.st.Config(r.Context(), name, 0); err == nil {
			writeError(w, &cases.VersionError{Name: name, Current: d.Version})
			return
		}
		ifv = 0
	}
	d, err := s.st.PutConfig(r.Context(), name, raw, principalOf(r).User, ifv)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.applyConfig(name, raw); err != nil {
		writeError(w, err)
		return
	}
	cur, _ := s.currentConfig(name)
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, d.Version))
	writeJSON(w, http.StatusOK, map[string]any{"name": name, "version": d.Version, "config": cur})
}
