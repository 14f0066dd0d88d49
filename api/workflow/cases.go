// Package workflow serves the case workflow under /api/v1/cases: report,
// read, list and queue cases, act on them through the state machine,
// attach photos, and version the workflow's configuration documents.
package workflow

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/httpx"
	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/spatial"

	"github.com/go-chi/chi/v5"
)

// caseService serves the case workflow under /api/v1/cases over the
// city's Workflow.
type caseService struct {
	wf      *city.Workflow    // nil: no case store (every route answers 503)
	svc     *cases.Service    // wf.Service
	st      cases.ServerStore // wf.Store
	ix      *spatial.Index
	uploads string
}

// Mount adds the case routes over the city c's workflow (each answers 503
// when the city has none).
func Mount(r chi.Router, c *city.City) { newCaseService(c).mount(r) }

func newCaseService(c *city.City) *caseService {
	cs := &caseService{wf: c.Workflow, ix: c.Index}
	if c.Workflow != nil {
		cs.svc, cs.st = c.Workflow.Service, c.Workflow.Store
	}
	if c.Dir != "" {
		cs.uploads = filepath.Join(c.Dir, "uploads", "cases")
	}
	return cs
}

// caseWriteRoles may call the action route: every role the machine names
// (the service checks the action's own roles).
var caseWriteRoles = []data.Role{data.RoleInspector, data.RoleOperator, data.RoleSupervisor, data.RoleDispatcher, data.RoleUnit}

// caseReadRoles may read cases; citizens read only their own reports, and
// units only their own unit's cases.
var caseReadRoles = []data.Role{data.RoleViewer, data.RoleInspector, data.RoleOperator, data.RoleSupervisor, data.RoleDispatcher, data.RoleUnit, data.RoleCitizen}

func (s *caseService) mount(r chi.Router) {
	read := r.With(auth.Require(caseReadRoles...))
	read.Get("/api/v1/cases", s.list)
	r.With(auth.Require(cases.ReportRoles...)).Post("/api/v1/cases", s.create)
	read.Get("/api/v1/cases/queue", s.queue)
	read.Get("/api/v1/cases/workflow", s.workflow)
	read.Get("/api/v1/cases/calendar/arrangements", s.arrangements)
	read.Get("/api/v1/cases/calendar/warnings", s.calendarWarnings)
	r.With(auth.Require(data.RoleAdmin)).Post("/api/v1/cases/calendar/arrangements", s.loadArrangement)
	r.With(auth.Require(data.RoleInspector, data.RoleOperator, data.RoleSupervisor)).Get("/api/v1/cases/tasks", s.inspectorTasks)
	read.Get("/api/v1/cases/config/{name}", s.getConfig)
	read.Get("/api/v1/cases/config/{name}/versions", s.configVersions)
	r.With(auth.Require(data.RoleAdmin)).Put("/api/v1/cases/config/{name}", s.putConfig)
	read.Get("/api/v1/cases/{id}", s.get)
	read.Get("/api/v1/cases/{id}/transitions", s.transitions)
	r.With(auth.Require(caseWriteRoles...)).Post("/api/v1/cases/{id}/actions/{action}", s.action)
	r.With(auth.Require(cases.ReportRoles...)).Post("/api/v1/cases/{id}/attachments", s.attach)
	read.Get("/api/v1/cases/{id}/attachments", s.attachments)
	read.Get("/api/v1/cases/{id}/attachments/{aid}", s.attachment)
}

// caseView is a case with its deadline progress.
type caseView struct {
	*cases.Case
	Progress cases.Progress `json:"progress"`
	Allowed  []string       `json:"allowed_actions"`
	// Original is the open case a duplicate was linked to, so that its
	// reporter can follow that one (single-case answers only).
	Original *originalCase `json:"original,omitempty"`
}

// originalCase is what a duplicate's reporter sees of the original.
type originalCase struct {
	ID     int64       `json:"id"`
	Number string      `json:"number"`
	State  cases.State `json:"state"`
}

func (s *caseService) view(c *cases.Case, p data.Principal, now time.Time) caseView {
	return caseView{Case: c, Progress: s.svc.Progress(c, now), Allowed: cases.AllowedOn(c, p.Role)}
}

// viewOne is view with the original of a duplicate.
func (s *caseService) viewOne(ctx context.Context, c *cases.Case, p data.Principal, now time.Time) caseView {
	v := s.view(c, p, now)
	if c.DuplicateOf != 0 {
		if o, err := s.st.Get(ctx, c.DuplicateOf); err == nil {
			v.Original = &originalCase{ID: o.ID, Number: o.Number, State: o.State}
		}
	}
	return v
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
		return 0, httpx.BadRequest("id", "a positive case id")
	}
	return id, nil
}

func (s *caseService) create(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		httpx.WriteError(w, city.ErrNoWorkflow)
		return
	}
	var in struct {
		cases.NewCase
		// CRS is the system lon and lat are in (default CGCS2000).
		CRS string `json:"crs,omitempty"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if err := httpx.LonLatToStorage("crs", in.CRS, in.Lon, in.Lat); err != nil {
		httpx.WriteError(w, err)
		return
	}
	p := auth.PrincipalOf(r)
	c, err := s.svc.Report(r.Context(), p, in.NewCase)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/cases/%d", c.ID))
	httpx.WriteJSON(w, http.StatusCreated, s.viewOne(r.Context(), c, p, time.Now()))
}

func (s *caseService) get(w http.ResponseWriter, r *http.Request) {
	c, ok := s.load(w, r)
	if !ok {
		return
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, c.Version))
	httpx.WriteJSON(w, http.StatusOK, s.viewOne(r.Context(), c, auth.PrincipalOf(r), time.Now()))
}

// load reads the case of the path, answering the error itself.
func (s *caseService) load(w http.ResponseWriter, r *http.Request) (*cases.Case, bool) {
	if s.svc == nil {
		httpx.WriteError(w, city.ErrNoWorkflow)
		return nil, false
	}
	id, err := s.caseID(r)
	if err != nil {
		httpx.WriteError(w, err)
		return nil, false
	}
	c, err := s.st.Get(r.Context(), id)
	if err == nil && !mayRead(auth.PrincipalOf(r), c) {
		err = fmt.Errorf("case %d: %w", id, data.ErrNotFound) // do not reveal others' cases
	}
	if err != nil {
		httpx.WriteError(w, err)
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
		httpx.WriteError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"case_id": c.ID, "transitions": ts})
}

// filterOf reads the listing filters of the query string.
func filterOf(r *http.Request) (cases.Filter, error) {
	q := r.URL.Query()
	var f cases.Filter
	for _, s := range httpx.QueryList(q, "state") {
		st := cases.State(s)
		if !slices.Contains(allCaseStates, st) {
			return f, httpx.BadRequest("state", fmt.Sprintf("unknown state %q", s))
		}
		f.States = append(f.States, st)
	}
	for _, s := range httpx.QueryList(q, "id") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return f, httpx.BadRequest("id", "case ids are integers")
		}
		f.IDs = append(f.IDs, id)
	}
	f.Category, f.Unit, f.Street, f.Community, f.UnitGrid, f.Dispatcher = q.Get("category"), q.Get("unit"), q.Get("street"), q.Get("community"), q.Get("grid"), q.Get("dispatcher")
	if k := q.Get("kind"); k != "" {
		if k != string(data.KindComponent) && k != string(data.KindEvent) {
			return f, httpx.BadRequest("kind", "component or event")
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
				return f, httpx.BadRequest(tf.name, "an RFC 3339 time, e.g. 2026-03-01T00:00:00+08:00")
			}
		}
	}
	if v := q.Get("due_before"); v != "" {
		if f.DueBefore, err = time.Parse(time.RFC3339, v); err != nil {
			return f, httpx.BadRequest("due_before", "an RFC 3339 time")
		}
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"overdue", &f.Overdue}, {"open", &f.Open}} {
		if v := q.Get(b.name); v != "" {
			if *b.dst, err = strconv.ParseBool(v); err != nil {
				return f, httpx.BadRequest(b.name, "true or false")
			}
		}
	}
	switch q.Get("sort") {
	case "", "newest":
	case "due":
		f.Sort = cases.SortDue
	default:
		return f, httpx.BadRequest("sort", "newest or due")
	}
	if f.Offset, err = httpx.QueryInt(q, "offset", 0, 0, 1<<30); err != nil {
		return f, err
	}
	if f.Limit, err = httpx.QueryInt(q, "limit", cases.DefaultPageSize, 1, cases.MaxPageSize); err != nil {
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
		httpx.WriteError(w, city.ErrNoWorkflow)
		return cases.Filter{}, data.Principal{}, false
	}
	f, err := filterOf(r)
	if err != nil {
		httpx.WriteError(w, err)
		return f, data.Principal{}, false
	}
	p := auth.PrincipalOf(r)
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
		httpx.WriteError(w, err)
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
	httpx.WriteJSON(w, http.StatusOK, out)
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
	cases.ActionRequest
	// CRS is the system of lon and lat (verify with a position).
	CRS string `json:"crs,omitempty"`
}

func (s *caseService) action(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		httpx.WriteError(w, city.ErrNoWorkflow)
		return
	}
	id, err := s.caseID(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	var b actionBody
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		if err := httpx.DecodeJSON(r, &b); err != nil {
			httpx.WriteError(w, err)
			return
		}
	}
	p := auth.PrincipalOf(r)
	cur, err := s.st.Get(r.Context(), id)
	if err == nil && !mayRead(p, cur) {
		httpx.WriteError(w, fmt.Errorf("case %d is not with unit %q: %w", id, p.Unit, data.ErrForbidden))
		return
	}
	if im := r.Header.Get("If-Match"); strings.TrimSpace(im) != "" {
		var current int64
		if cur != nil {
			current = cur.Version
		}
		v, err := caseIfMatch(im, current)
		if err != nil {
			httpx.WriteError(w, err)
			return
		}
		b.Version = v
	}
	if err := httpx.LonLatToStorage("crs", b.CRS, b.Lon, b.Lat); err != nil {
		httpx.WriteError(w, err)
		return
	}
	b.Action = chi.URLParam(r, "action")
	c, t, err := s.svc.Act(r.Context(), p, id, b.ActionRequest)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, c.Version))
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"case": s.view(c, p, time.Now()), "transition": t})
}

func (s *caseService) workflow(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"actions": cases.Machine, "states": allCaseStates, "report_roles": cases.ReportRoles})
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
		httpx.WriteError(w, fmt.Errorf("no data directory for uploads: %w", data.ErrUnavailable))
		return
	}
	if c.State.Terminal() {
		httpx.WriteError(w, &cases.ConflictError{ID: c.ID, State: c.State, Version: c.Version, Allowed: []string{}, Reason: "no attachments to a finished case"})
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
				httpx.WriteError(w, httpx.BadRequest("body", "a multipart form with one image file part"))
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
		httpx.WriteError(w, err)
		return
	}
	if int64(len(body)) > max {
		httpx.WriteError(w, &http.MaxBytesError{Limit: max})
		return
	}
	typ, ext := sniffImage(body)
	if typ == "" {
		httpx.WriteError(w, httpx.BadRequest("body", "a JPEG, PNG or WebP image"))
		return
	}
	if body, typ, ext, err = cleanPhoto(body, typ); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if err := s.checkPhotoQuota(r, c, int64(len(body))); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if inStore {
		// A store shared by replicas keeps the bytes: every replica
		// serves the photo, whichever took it.
		a := newAttachment(r, c, body, typ, ext)
		if err := blobs.AddAttachmentContent(r.Context(), a, body); err != nil {
			httpx.WriteError(w, err)
			return
		}
		w.Header().Set("Location", fmt.Sprintf("/api/v1/cases/%d/attachments/%d", c.ID, a.ID))
		httpx.WriteJSON(w, http.StatusCreated, a)
		return
	}
	if err := os.MkdirAll(s.uploads, 0o750); err != nil {
		httpx.WriteError(w, err)
		return
	}
	a := newAttachment(r, c, body, typ, ext)
	name := a.Name
	if err := writeUpload(s.uploads, name, body); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if err := s.st.AddAttachment(r.Context(), a); err != nil {
		os.Remove(filepath.Join(s.uploads, name))
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/cases/%d/attachments/%d", c.ID, a.ID))
	httpx.WriteJSON(w, http.StatusCreated, a)
}

// checkPhotoQuota refuses a photo of size bytes that would take case c
// past its quota (409), or a citizen past the daily one (429).
func (s *caseService) checkPhotoQuota(r *http.Request, c *cases.Case, size int64) error {
	q := s.svc.Settings().PhotoQuota()
	as, err := s.st.Attachments(r.Context(), c.ID)
	if err != nil {
		return err
	}
	total := size
	for _, a := range as {
		total += a.Size
	}
	if len(as)+1 > q.PerCase || total > q.BytesPerCase {
		return fmt.Errorf("case %d holds %d photos (%d bytes with this one): at most %d photos and %d bytes a case: %w",
			c.ID, len(as), total, q.PerCase, q.BytesPerCase, data.ErrConflict)
	}
	p := auth.PrincipalOf(r)
	usage, ok := s.st.(cases.UploadUsage)
	if p.Role != data.RoleCitizen || !ok {
		return nil
	}
	n, bytes, err := usage.UploadsSince(r.Context(), p.User, time.Now().Add(-24*time.Hour))
	if err != nil {
		return err
	}
	if n+1 > q.PerCitizenDay || bytes+size > q.BytesPerCitizenDay {
		return fmt.Errorf("%d photos (%d bytes) uploaded in 24 hours: at most %d photos and %d bytes a day: %w",
			n, bytes, q.PerCitizenDay, q.BytesPerCitizenDay, data.ErrTooManyRequests)
	}
	return nil
}

// writeUpload stores body as dir/name through a temporary file renamed
// into place, so that a reader never sees half a photo. On any failure
// (a full disk above all, which fails the write half-way) the temporary
// file is removed: failed uploads leave nothing behind.
func writeUpload(dir, name string, body []byte) (err error) {
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return fmt.Errorf("store photo: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o640); err != nil {
		return fmt.Errorf("store photo: %w", err)
	}
	if _, err = f.Write(body); err != nil {
		return fmt.Errorf("store photo: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("store photo: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("store photo: %w", err)
	}
	if err = os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("store photo: %w", err)
	}
	return nil
}

// newAttachment describes an uploaded image of case c under a generated
// name (the client's file name is never used).
func newAttachment(r *http.Request, c *cases.Case, body []byte, typ, ext string) *cases.Attachment {
	var rnd [16]byte
	rand.Read(rnd[:])
	sum := sha256.Sum256(body)
	return &cases.Attachment{CaseID: c.ID, Name: hex.EncodeToString(rnd[:]) + ext, Type: typ, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:]),
		Stage: c.State, User: auth.PrincipalOf(r).User, Uploaded: time.Now().UTC()}
}

func (s *caseService) attachments(w http.ResponseWriter, r *http.Request) {
	c, ok := s.load(w, r)
	if !ok {
		return
	}
	as, err := s.st.Attachments(r.Context(), c.ID)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"attachments": as})
}

func (s *caseService) attachment(w http.ResponseWriter, r *http.Request) {
	c, ok := s.load(w, r)
	if !ok {
		return
	}
	aid, err := strconv.ParseInt(chi.URLParam(r, "aid"), 10, 64)
	if err != nil {
		httpx.WriteError(w, httpx.BadRequest("aid", "an attachment id"))
		return
	}
	as, err := s.st.Attachments(r.Context(), c.ID)
	if err != nil {
		httpx.WriteError(w, err)
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
					httpx.WriteError(w, err)
					return
				}
			}
			f, err := os.Open(filepath.Join(s.uploads, a.Name))
			if err != nil {
				httpx.WriteError(w, fmt.Errorf("attachment %d: %w", aid, data.ErrNotFound))
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
	httpx.WriteError(w, fmt.Errorf("attachment %d of case %d: %w", aid, c.ID, data.ErrNotFound))
}

// Configuration: calendar, deadlines and settings documents, versioned.

// configError names the field of a configuration document's JSON error;
// the workflow's own errors (validation, unknown name) pass unchanged.
func configError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return httpx.JSONError(err)
	}
	return err
}

func (s *caseService) getConfig(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		httpx.WriteError(w, city.ErrNoWorkflow)
		return
	}
	name := chi.URLParam(r, "name")
	cur, err := s.wf.CurrentConfig(name)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	var version int64
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			httpx.WriteError(w, httpx.BadRequest("version", "a positive version"))
			return
		}
		d, err := s.st.Config(r.Context(), name, n)
		if err != nil {
			httpx.WriteError(w, err)
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
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"name": name, "version": version, "config": cur})
}

func (s *caseService) configVersions(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		httpx.WriteError(w, city.ErrNoWorkflow)
		return
	}
	name := chi.URLParam(r, "name")
	if _, err := s.wf.CurrentConfig(name); err != nil {
		httpx.WriteError(w, err)
		return
	}
	vs, err := s.st.ConfigVersions(r.Context(), name)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"name": name, "versions": vs})
}

// putConfig stores a new version of a configuration document (admin);
// If-Match with the current version guards against lost updates.
func (s *caseService) putConfig(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		httpx.WriteError(w, city.ErrNoWorkflow)
		return
	}
	name := chi.URLParam(r, "name")
	if _, err := s.wf.CurrentConfig(name); err != nil {
		httpx.WriteError(w, err)
		return
	}
	var raw json.RawMessage
	if err := httpx.DecodeJSON(r, &raw); err != nil {
		httpx.WriteError(w, err)
		return
	}
	// Check on a scratch service first so a bad document changes nothing.
	if err := s.wf.CheckConfig(name, raw); err != nil {
		httpx.WriteError(w, configError(err))
		return
	}
	var ifv int64
	if im := strings.Trim(r.Header.Get("If-Match"), `"W/`); im != "" {
		v, err := strconv.ParseInt(im, 10, 64)
		if err != nil {
			httpx.WriteError(w, httpx.BadRequest("If-Match", "the configuration version"))
			return
		}
		ifv = v
		if v == 0 {
			ifv = -1 // "0": nothing stored yet
		}
	}
	if ifv == -1 {
		if d, err := s.st.Config(r.Context(), name, 0); err == nil {
			httpx.WriteError(w, &cases.VersionError{Name: name, Current: d.Version})
			return
		}
		ifv = 0
	}
	d, err := s.st.PutConfig(r.Context(), name, raw, auth.PrincipalOf(r).User, ifv)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	if err := s.wf.ApplyConfig(name, raw); err != nil {
		httpx.WriteError(w, configError(err))
		return
	}
	cur, _ := s.wf.CurrentConfig(name)
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, d.Version))
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"name": name, "version": d.Version, "config": cur})
}

// caseIfMatch reads If-Match on a case: "*" checks nothing (0); a list of
// entity tags checks the version among them that is current, or a version
// no case has (-1) when none is, so that any well-formed tag that does not
// match answers 412 rather than 400.
func caseIfMatch(h string, current int64) (int64, error) {
	tags, any, err := httpx.EntityTags(h)
	if err != nil || any {
		return 0, err
	}
	for _, tag := range tags {
		if v, err := strconv.ParseInt(tag, 10, 64); err == nil && v > 0 && v == current {
			return v, nil
		}
	}
	return -1, nil
}
