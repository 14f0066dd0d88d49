package workflow

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/httpx"
	"citygrid/data"
	"citygrid/data/cases"
)

// maxArrangementBytes caps an uploaded arrangement: a notice is a few
// hundred bytes of JSON.
const maxArrangementBytes = 64 << 10

// loadArrangement answers POST /api/v1/cases/calendar/arrangements
// (admin): a year's national holiday arrangement as the JSON body or as
// the first file of a multipart form. It is checked (cases.ReadArrangement),
// stored with the calendar, used at once, and the provisional deadlines
// of open cases are recomputed.
func (s *caseService) loadArrangement(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		httpx.WriteError(w, city.ErrNoWorkflow)
		return
	}
	body, err := arrangementBody(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	a, err := cases.ReadArrangement(body)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	res, err := s.wf.LoadArrangement(r.Context(), *a, auth.PrincipalOf(r).User)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

// arrangementBody is the request's arrangement document: the body, or
// the first file part of a multipart form.
func arrangementBody(r *http.Request) (io.Reader, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxArrangementBytes)
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return r.Body, nil
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, httpx.BadRequest("file", "the form has no file part")
		}
		if err != nil {
			return nil, httpx.BadRequest("body", "a multipart form: "+err.Error())
		}
		if part.FileName() != "" || strings.EqualFold(part.FormName(), "file") {
			return part, nil
		}
	}
}

// arrangements answers GET /api/v1/cases/calendar/arrangements: the years
// the calendar has an arrangement for, and the warnings.
func (s *caseService) arrangements(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		httpx.WriteError(w, city.ErrNoWorkflow)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"years": s.wf.Arrangements(), "warnings": s.svc.ArrangementWarnings()})
}

// calendarWarnings answers GET /api/v1/cases/calendar/warnings: the
// banner the work screens show while a year's arrangement is missing.
func (s *caseService) calendarWarnings(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		httpx.WriteError(w, city.ErrNoWorkflow)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"warnings": s.svc.ArrangementWarnings(), "at": time.Now().UTC()})
}

// inspectorTasks answers GET /api/v1/cases/tasks: the open 核实 and 核查
// tasks assigned to the inspector asking (others name one with
// inspector=).
func (s *caseService) inspectorTasks(w http.ResponseWriter, r *http.Request) {
	if s.svc == nil {
		httpx.WriteError(w, city.ErrNoWorkflow)
		return
	}
	p := auth.PrincipalOf(r)
	who := p.User
	if q := strings.TrimSpace(r.URL.Query().Get("inspector")); q != "" && q != p.User {
		if p.Role == data.RoleInspector {
			httpx.WriteError(w, httpx.BadRequest("inspector", "an inspector lists their own tasks"))
			return
		}
		who = q
	}
	cs, err := s.svc.InspectorTasks(r.Context(), who)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	now := time.Now()
	out := make([]caseView, len(cs))
	for i, c := range cs {
		out[i] = s.view(c, p, now)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"inspector": who, "cases": out})
}
