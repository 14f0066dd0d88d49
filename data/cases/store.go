package cases

import (
	"context"
	"fmt"
	"time"

	"citygrid/data"
)

// Store keeps cases, their transitions and attachments. Every write is one
// transaction; Update is optimistic on Case.Version.
type Store interface {
	// Create stores a new case with its first transition, assigns ID,
	// Number, Version (1) and the transition's Seq, and notifies the
	// listeners.
	Create(ctx context.Context, c *Case, t *Transition) error
	// Get returns one case; a missing one wraps data.ErrNotFound.
	Get(ctx context.Context, id int64) (*Case, error)
	// List returns one page of the cases matching f, with the total.
	List(ctx context.Context, f Filter) (Page, error)
	// Update stores c — read at version c.Version — together with the
	// transition t, atomically: when the stored version moved on in the
	// meantime nothing is written and the error is a *ConflictError
	// (wrapping data.ErrConflict). On success c.Version is incremented,
	// t.Seq assigned and the listeners called.
	Update(ctx context.Context, c *Case, t *Transition) error
	// Transitions returns a case's transitions in order.
	Transitions(ctx context.Context, id int64) ([]Transition, error)
	// Scan calls fn for every case reported in [from, to) (a zero bound
	// is open), in ID order, until fn returns false.
	Scan(ctx context.Context, from, to time.Time, fn func(*Case) bool) error
	// All calls fn for every case, in ID order, until fn returns false.
	All(ctx context.Context, fn func(*Case) bool) error
	// OnChange registers a listener called after every committed create
	// or update, with the case as stored and the transition recorded. Listeners
	// run synchronously on the writer's goroutine: they must be quick.
	OnChange(fn func(c *Case, t *Transition))
}

// Sort orders a listing.
type Sort string

// Sorts.
const (
	SortNewest Sort = ""    // by ID, newest first (default)
	SortDue    Sort = "due" // by DueAt, soonest first (queues); cases without one last
)

// Filter selects cases for List. Zero fields do not filter.
type Filter struct {
	IDs       []int64
	States    []State
	Category  string
	Kind      data.CategoryKind
	Source    Source
	Unit      string
	Street    string
	Community string
	UnitGrid  string
	// Dispatcher: cases last dispatched by this user.
	Dispatcher string
	// ReportedFrom/ReportedTo bound ReportedAt to [from, to).
	ReportedFrom, ReportedTo time.Time
	// UpdatedFrom/UpdatedTo bound UpdatedAt to [from, to).
	UpdatedFrom, UpdatedTo time.Time
	// Overdue: only cases with the unit (dispatched; not suspended, not
	// yet handled) whose DueAt is before Now.
	Overdue bool
	// DueBefore: only cases with a deadline before this time.
	DueBefore time.Time
	// Open: only cases in a non-terminal state.
	Open bool
	// Reporter: only this reporter's cases (citizens follow their own).
	Reporter string
	// Now is the time Overdue is measured at; zero: time.Now().
	Now  time.Time
	Sort Sort
	// Offset and Limit page the listing; Limit 0 means DefaultPageSize,
	// and at most MaxPageSize.
	Offset, Limit int
	// NoTotal skips counting the matches (Page.Total is -1).
	NoTotal bool
}

// Paging limits.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// Page is one page of a listing.
type Page struct {
	Cases  []*Case `json:"cases"`
	Total  int     `json:"total"`
	Offset int     `json:"offset"`
	Limit  int     `json:"limit"`
}

// ConflictError is a transition that cannot happen: the case is in another
// state (or version) than the caller thought, or the action is not allowed
// from its state. It wraps data.ErrConflict; its details name the current
// state, version and the actions allowed from it.
type ConflictError struct {
	ID      int64    `json:"id"`
	Action  string   `json:"action,omitempty"`
	State   State    `json:"state"`
	Version int64    `json:"version"`
	Allowed []string `json:"allowed"`
	Reason  string   `json:"reason"`
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("case %d: %s (state %s, version %d)", e.ID, e.Reason, e.State, e.Version)
}

// Unwrap makes errors.Is(err, data.ErrConflict) true.
func (e *ConflictError) Unwrap() error { return data.ErrConflict }

// ErrorDetails is what the api puts into the error body's "details".
func (e *ConflictError) ErrorDetails() any {
	return map[string]any{"state": e.State, "version": e.Version, "allowed_actions": e.Allowed, "action": e.Action}
}

var _ data.Detailer = (*ConflictError)(nil)

// Attachment is a stored file of a case (photo of the report or of the
// unit's feedback).
type Attachment struct {
	ID       int64     `json:"id"`
	CaseID   int64     `json:"case_id"`
	Name     string    `json:"name"` // generated file name under the uploads directory
	Type     string    `json:"type"` // sniffed MIME type
	Size     int64     `json:"size"`
	SHA256   string    `json:"sha256"`
	Stage    State     `json:"stage"` // the case's state when it was attached
	User     string    `json:"user"`
	Uploaded time.Time `json:"uploaded"`
}

// UploadUsage is a store that can tell what a user uploaded since a time,
// for the citizens' daily attachment quota.
type UploadUsage interface {
	UploadsSince(ctx context.Context, user string, since time.Time) (count int, bytes int64, err error)
}

// ConfigDoc is one version of a configuration document (deadline table,
// calendar, workflow settings).
type ConfigDoc struct {
	Name    string    `json:"name"`
	Version int64     `json:"version"`
	Body    []byte    `json:"-"`
	User    string    `json:"user"`
	At      time.Time `json:"at"`
}

// ServerStore is a Store with everything the API server keeps next to the
// cases: attachments, versioned configuration documents, the record of
// sent notifications and the transition feed. sqlitecases.Store (SQLite, in the
// GeoPackage) and pgcases.Store (PostgreSQL, shared by replicas) implement it;
// data/cases/casestest runs one suite against both.
type ServerStore interface {
	Store
	// AddAttachment records a stored file of a case and assigns its ID.
	AddAttachment(ctx context.Context, a *Attachment) error
	// Attachments lists a case's files in ID order.
	Attachments(ctx context.Context, caseID int64) ([]Attachment, error)
	// PutConfig stores a new version of a configuration document; a
	// non-zero ifVersion that is not current fails with *VersionError.
	PutConfig(ctx context.Context, name string, body []byte, user string, ifVersion int64) (ConfigDoc, error)
	// Config returns a document at version (0: the latest).
	Config(ctx context.Context, name string, version int64) (ConfigDoc, error)
	// ConfigVersions lists a document's versions, newest first.
	ConfigVersions(ctx context.Context, name string) ([]ConfigDoc, error)
	// MarkNotified records a sent notification; false when it was
	// recorded already.
	MarkNotified(ctx context.Context, caseID int64, kind string, dueAt time.Time) (bool, error)
	// Notified reports whether MarkNotified recorded this notification.
	Notified(ctx context.Context, caseID int64, kind string, dueAt time.Time) (bool, error)
	// TransitionsBetween returns the transitions recorded in [from, to),
	// ordered by time, case and seq, at most limit.
	TransitionsBetween(ctx context.Context, from, to time.Time, limit int) ([]Transition, error)
	// CaseIDByNumber finds a case by its number (data.ErrNotFound if none).
	CaseIDByNumber(ctx context.Context, number string) (int64, error)
}

// RemoteFollower is a case store shared by several processes that can
// report the case writes committed by the others.
type RemoteFollower interface {
	// ListenRemote calls fn, on one goroutine and in notification order,
	// for every case write committed by another process: the case as
	// stored when read and the transition that write recorded. It returns
	// when ctx ends (nil), or with an error when the connection is lost
	// or another process wrote in bulk (pgcases: ErrReload): the caller
	// reloads what it shows and calls again.
	ListenRemote(ctx context.Context, fn func(c *Case, t *Transition)) error
}

// ConfigFollower is a case store shared by several processes that reports
// configuration documents stored by the others, so that every replica
// works with the same deadline table, calendar and settings.
type ConfigFollower interface {
	// OnRemoteConfig registers fn, called (on the ListenRemote goroutine)
	// with the name of a document another process stored a new version
	// of. It is called only while ListenRemote runs.
	OnRemoteConfig(fn func(name string))
}

// AttachmentContent is a case store that keeps the attachments' bytes
// itself (pgcases: replicas share no disk, so a photo uploaded through one
// must be served by every other). The server then writes no upload file.
type AttachmentContent interface {
	// AddAttachmentContent records a and its bytes in one statement and
	// assigns a.ID.
	AddAttachmentContent(ctx context.Context, a *Attachment, body []byte) error
	// AttachmentContent returns the bytes of a case's attachment by its
	// stored name; data.ErrNotFound when the store does not hold them.
	AttachmentContent(ctx context.Context, caseID int64, name string) ([]byte, error)
}

// VersionError is a configuration write against a version that is not
// current; it wraps data.ErrPrecondition.
type VersionError struct {
	Name    string
	Current int64
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("config %s: version %d is current", e.Name, e.Current)
}

// Unwrap makes errors.Is(err, data.ErrPrecondition) true.
func (e *VersionError) Unwrap() error { return data.ErrPrecondition }

// ErrorDetails names the current version.
func (e *VersionError) ErrorDetails() any { return map[string]any{"version": e.Current} }
