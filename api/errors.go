package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"

	"citygrid/data"
)

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Error  string                  `json:"error"`
	Field  string                  `json:"field,omitempty"`
	Errors []*data.ValidationError `json:"errors,omitempty"`
	// Details carries what a data.Detailer error adds (current version,
	// current state and allowed transitions, ...).
	Details any `json:"details,omitempty"`
}

// badRequest is an error in the request itself (a parameter, a body).
type badRequest struct {
	field, reason string
}

func (e *badRequest) Error() string { return e.field + ": " + e.reason }

// errMethodNotAllowed answers a known path asked with the wrong method.
var errMethodNotAllowed = errors.New("method not allowed")

// errBadRequest makes an error that maps to 400 naming the field.
func errBadRequest(field, reason string) error { return &badRequest{field, reason} }

// statusOf maps an error to its HTTP status. It is the only place that
// knows which domain error means which status.
func statusOf(err error) int {
	var br *badRequest
	var ve *data.ValidationError
	var ves data.ValidationErrors
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &br), errors.As(err, &ve), errors.As(err, &ves):
		return http.StatusBadRequest
	case errors.As(err, &mb):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, data.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, data.ErrGone):
		return http.StatusGone
	case errors.Is(err, data.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, data.ErrPrecondition):
		return http.StatusPreconditionFailed
	case errors.Is(err, errPreconditionRequired):
		return http.StatusPreconditionRequired
	case errors.Is(err, data.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, data.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, data.ErrTooManyRequests):
		return http.StatusTooManyRequests
	case errors.Is(err, data.ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		// The handler ran out of its time budget (api timeouts middleware).
		return http.StatusServiceUnavailable
	case errors.Is(err, errMethodNotAllowed):
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

// writeError answers err as JSON with the status statusOf gives.
func writeError(w http.ResponseWriter, err error) {
	status := statusOf(err)
	body := errorBody{Error: err.Error()}
	var br *badRequest
	var ve *data.ValidationError
	var ves data.ValidationErrors
	switch {
	case errors.As(err, &br):
		body.Field = br.field
	case errors.As(err, &ve):
		body.Field = ve.Field
		body.Errors = []*data.ValidationError{ve}
	case errors.As(err, &ves):
		body.Errors = ves
		if len(ves) > 0 {
			body.Field = ves[0].Field
		}
	}
	var d data.Detailer
	if errors.As(err, &d) {
		body.Details = d.ErrorDetails()
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		body.Field = "body"
		body.Error = "request body larger than " + strconv.FormatInt(mb.Limit, 10) + " bytes"
	}
	if status == http.StatusInternalServerError {
		// The client learns nothing of the cause; the log keeps it.
		body.Error = "internal error"
		logger := errorLog.Load()
		if logger == nil {
			logger = slog.Default()
		}
		logger.Error("internal error", "err", err)
	}
	writeJSON(w, status, body)
}

// errorLog is where writeError logs the causes of 500 answers: the logger
// of the server built last (New sets it).
var errorLog atomic.Pointer[slog.Logger]

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
