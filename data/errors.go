package data

import (
	"errors"
	"fmt"
)

// Sentinel errors of the domain. The api package maps them to HTTP status
// codes; everything else wraps them with context.
var (
	// ErrNotFound: the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the write collides with stored data (duplicate code,
	// stale version).
	ErrConflict = errors.New("conflict")
	// ErrPrecondition: a conditional write (If-Match) named a version that
	// is no longer current.
	ErrPrecondition = errors.New("precondition failed")
	// ErrUnauthorized: the request carries no valid credentials.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the credentials are valid but their role or unit may
	// not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrTooManyRequests: a rate limit refused the request.
	ErrTooManyRequests = errors.New("too many requests")
	// ErrUnavailable: the store cannot take writes now (read-only, disk
	// full, shutting down).
	ErrUnavailable = errors.New("unavailable")
	// ErrGone: what was asked for existed once but is no longer kept (a
	// pruned stretch of the change log).
	ErrGone = errors.New("gone")
)

// Detailer is an error that carries structured details for the client
// (the current version after a 412, the current state and allowed
// transitions after a 409). The api package puts ErrorDetails() into the
// "details" member of the error body.
type Detailer interface {
	error
	ErrorDetails() any
}

// ValidationError says which input field is wrong and why. Where names the
// feature, line or record the field belongs to ("feature 12", "line 40"), or
// is empty.
type ValidationError struct {
	Where  string `json:"where,omitempty"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e *ValidationError) Error() string {
	if e.Where != "" {
		return fmt.Sprintf("%s: %s: %s", e.Where, e.Field, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Reason)
}

// ValidationErrors collects every problem found in one input, so a user can
// fix a bad file in one pass instead of one error at a time.
type ValidationErrors []*ValidationError

func (es ValidationErrors) Error() string {
	switch len(es) {
	case 0:
		return "no validation errors"
	case 1:
		return es[0].Error()
	}
	return fmt.Sprintf("%s (and %d more)", es[0].Error(), len(es)-1)
}

// Err returns es as an error, or nil when it is empty.
func (es ValidationErrors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
