// Package httpx holds what every HTTP handler of citygrid shares: reading
// query parameters and JSON bodies, writing JSON answers, and StatusOf, the
// one function that maps domain errors to HTTP status codes.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"syscall"

	"citygrid/data"
)

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Error  string                  `json:"error"`
	Field  string                  `json:"field,omitempty"`
	Errors []*data.ValidationError `json:"errors,omitempty"`
	// Details carries what a data.Detailer error adds (current version,
	// current state and allowed transitions, ...).
	Details any `json:"details,omitempty"`
}

// RequestError is an error in the request itself (a parameter, a body).
type RequestError struct {
	Field, Reason string
}

// Error names the field and the reason.
func (e *RequestError) Error() string { return e.Field + ": " + e.Reason }

// ErrPreconditionRequired: a conditional write came without If-Match (428).
var ErrPreconditionRequired = errors.New("precondition required")

// ErrMethodNotAllowed answers a known path asked with the wrong method.
var ErrMethodNotAllowed = errors.New("method not allowed")

// BadRequest makes an error that maps to 400 naming the field.
func BadRequest(field, reason string) error { return &RequestError{field, reason} }

// StatusOf maps an error to its HTTP status. It is the only place that
// knows which domain error means which status.
func StatusOf(err error) int {
	var br *RequestError
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
	case errors.Is(err, ErrPreconditionRequired):
		return http.StatusPreconditionRequired
	case errors.Is(err, data.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, data.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, data.ErrTooManyRequests):
		return http.StatusTooManyRequests
	case errors.Is(err, data.ErrUnavailable), errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		// A full disk or quota passes once an operator makes room.
		return http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		// The handler ran out of its time budget (api timeouts middleware).
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrMethodNotAllowed):
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

// RetryAfterUnavailable is the Retry-After of a 503 answer, in seconds.
const RetryAfterUnavailable = "30"

// WriteError answers err as JSON with the status StatusOf gives.
func WriteError(w http.ResponseWriter, err error) {
	status := StatusOf(err)
	body := ErrorBody{Error: err.Error()}
	var br *RequestError
	var ve *data.ValidationError
	var ves data.ValidationErrors
	switch {
	case errors.As(err, &br):
		body.Field = br.Field
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
	if status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		// Every 503 is temporary: a full disk, a busy store, a
		// request past its deadline, a server still loading.
		w.Header().Set("Retry-After", RetryAfterUnavailable)
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
	WriteJSON(w, status, body)
}

// errorLog is where WriteError logs the causes of 500 answers: the logger
// of the server built last (api.New sets it with SetErrorLog).
var errorLog atomic.Pointer[slog.Logger]

// SetErrorLog makes l the logger of the causes of 500 answers.
func SetErrorLog(l *slog.Logger) { errorLog.Store(l) }

// WriteJSON answers v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
