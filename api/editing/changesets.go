package editing

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"citygrid/api/httpx"
	"citygrid/data"
	"citygrid/data/geoio"
)

// Survey changesets over HTTP:
//
//	POST /api/v1/changesets[?base_time=RFC3339][&apply=true]
//	    body: a GeoJSON FeatureCollection (application/geo+json or
//	    application/json) or a GeoPackage (application/geopackage+sqlite3).
//	    The batch is stored and checked (dry run): 201 with its id and the
//	    report. With apply=true it is applied at once (atomically).
//	GET  /api/v1/changesets/{id}          the report, checked again now
//	POST /api/v1/changesets/{id}/apply    apply: all or nothing
//
// The feature format (_op, _base_version, base_time) is described in
// data/geoio/changeset.go and the OpenAPI document.

// changesetAnswer is the body of the changeset routes.
type changesetAnswer struct {
	ID     string                `json:"id"`
	Status string                `json:"status"`
	Report *data.ChangesetReport `json:"report"`
}

// changesetError carries the report of a refused apply in the error
// details.
type changesetError struct {
	err error
	rep *data.ChangesetReport
}

func (e *changesetError) Error() string     { return e.err.Error() }
func (e *changesetError) Unwrap() error     { return e.err }
func (e *changesetError) ErrorDetails() any { return e.rep }

func (s *editService) mountChangesets(r, w chi.Router) {
	w.Post("/api/v1/changesets", s.uploadChangeset)
	r.Get("/api/v1/changesets/{id}", s.getChangeset)
	w.Post("/api/v1/changesets/{id}/apply", s.applyChangeset)
}

// readChangeset reads the upload body in the format its Content-Type names.
func (s *editService) readChangeset(r *http.Request) (*data.Changeset, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Body == nil || r.Body == http.NoBody {
		return nil, httpx.BadRequest("body", "required: a GeoJSON FeatureCollection or a GeoPackage")
	}
	switch ct {
	case "", "application/json", "application/geo+json":
		cs, err := geoio.ReadChangesetGeoJSON(r.Body)
		return cs, bodyError(err)
	case "application/geopackage+sqlite3", "application/x-sqlite3", "application/octet-stream":
		f, err := os.CreateTemp("", "citygrid-changeset-*.gpkg")
		if err != nil {
			return nil, err
		}
		defer os.Remove(f.Name())
		_, err = io.Copy(f, r.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				return nil, err
			}
			return nil, httpx.BadRequest("body", err.Error())
		}
		cs, err := geoio.ReadChangesetGeoPackage(r.Context(), f.Name())
		return cs, bodyError(err)
	}
	return nil, httpx.BadRequest("Content-Type", fmt.Sprintf("%q: send application/geo+json or application/geopackage+sqlite3", ct))
}

// bodyError makes an unreadable file a 400 naming the body.
func bodyError(err error) error {
	if err != nil && errors.Is(err, geoio.ErrSyntax) {
		return httpx.BadRequest("body", err.Error())
	}
	return err
}

func (s *editService) uploadChangeset(w http.ResponseWriter, r *http.Request) {
	if s.ed == nil {
		httpx.WriteError(w, errNoEditor)
		return
	}
	cs, err := s.readChangeset(r)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	q := r.URL.Query()
	if v := q.Get("base_time"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			httpx.WriteError(w, httpx.BadRequest("base_time", "want an RFC 3339 time"))
			return
		}
		cs.BaseTime = t
	}
	apply := false
	switch strings.ToLower(q.Get("apply")) {
	case "", "false", "0":
	case "true", "1":
		apply = true
	default:
		httpx.WriteError(w, httpx.BadRequest("apply", "want true or false"))
		return
	}
	if err := s.ed.SaveChangeset(r.Context(), cs, s.meta(r)); err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("Location", "/api/v1/changesets/"+cs.ID)
	if apply {
		s.apply(w, r, cs, http.StatusCreated)
		return
	}
	rep, err := s.ed.PlanChangeset(r.Context(), cs)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, changesetAnswer{ID: cs.ID, Status: "pending", Report: rep})
}

func (s *editService) getChangeset(w http.ResponseWriter, r *http.Request) {
	if s.ed == nil {
		httpx.WriteError(w, errNoEditor)
		return
	}
	cs, status, err := s.ed.LoadChangeset(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	ans := changesetAnswer{ID: cs.ID, Status: status}
	if status != "applied" {
		if ans.Report, err = s.ed.PlanChangeset(r.Context(), cs); err != nil {
			httpx.WriteError(w, err)
			return
		}
	}
	httpx.WriteJSON(w, http.StatusOK, ans)
}

func (s *editService) applyChangeset(w http.ResponseWriter, r *http.Request) {
	if s.ed == nil {
		httpx.WriteError(w, errNoEditor)
		return
	}
	cs, _, err := s.ed.LoadChangeset(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	s.apply(w, r, cs, http.StatusOK)
}

// apply applies cs; a refusal answers 409 (conflicts, already applied) or
// 400 (invalid features) with the report in the error details.
func (s *editService) apply(w http.ResponseWriter, r *http.Request, cs *data.Changeset, status int) {
	var rep *data.ChangesetReport
	_, err := s.commitBulk(func() ([]data.Change, error) {
		r2, changes, err := s.ed.ApplyChangeset(r.Context(), cs, s.meta(r))
		rep = r2
		return changes, err
	})
	if err != nil {
		if rep != nil {
			err = &changesetError{err: err, rep: rep}
		}
		httpx.WriteError(w, err)
		return
	}
	httpx.WriteJSON(w, status, changesetAnswer{ID: cs.ID, Status: "applied", Report: rep})
}
