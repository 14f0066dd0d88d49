// Package caserow is the row codec the two case stores share. A case,
// a transition, an attachment record and a configuration version become
// the column values of the case tables here, and rows become them again
// here, so sqlitecases and pgcases keep only the SQL of their dialect.
// Times are epoch milliseconds in every table of both stores; a case row
// keeps its filter columns beside the whole case as JSON.
package caserow

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"citygrid/data/cases"

	"github.com/paulmach/orb"
)

// MS is t as the epoch milliseconds the tables keep.
func MS(t time.Time) int64 { return t.UnixMilli() }

// MSPtr is MS of an optional time: NULL when t is nil.
func MSPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// FromMS reads a time the tables keep, in UTC.
func FromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// fromMSPtr reads an optional time.
func fromMSPtr(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := FromMS(*v)
	return &t
}

// Columns joins column names for a statement, each quoted: "user" is a
// reserved word in PostgreSQL, and SQLite takes quoted names as well.
func Columns(cols []string) string {
	return `"` + strings.Join(cols, `", "`) + `"`
}

// Placeholders is n question-mark parameters separated by commas.
func Placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// CaseIndexes are the indexes of case_cases, the same in both dialects:
// the queues (state, unit, dispatcher by deadline), the time ranges and the
// filters of the listings.
const CaseIndexes = `CREATE INDEX case_cases_state_due ON case_cases(state, due_at);
	CREATE INDEX case_cases_unit_state_due ON case_cases(unit, state, due_at);
	CREATE INDEX case_cases_dispatcher_state_due ON case_cases(dispatcher, state, due_at);
	CREATE INDEX case_cases_reported ON case_cases(reported_at);
	CREATE INDEX case_cases_updated ON case_cases(updated_at);
	CREATE INDEX case_cases_category_reported ON case_cases(category, reported_at);
	CREATE INDEX case_cases_street ON case_cases(street, state);
	CREATE INDEX case_cases_community ON case_cases(community, state);
	CREATE INDEX case_cases_grid ON case_cases(unit_grid, state);
	CREATE INDEX case_cases_reporter ON case_cases(reporter) WHERE reporter <> '';`

// CaseColumns are the columns of case_cases in the order of CaseValues.
var CaseColumns = []string{"id", "number", "state", "kind", "category", "source", "unit", "street", "community", "unit_grid",
	"dispatcher", "reporter", "lon", "lat", "reported_at", "updated_at", "due_at", "version", "doc"}

// CaseValues is c as a row of case_cases (CaseColumns). It first copies
// the point into Lon and Lat, which the JSON document carries.
func CaseValues(c *cases.Case) ([]any, error) {
	c.Lon, c.Lat = c.Point[0], c.Point[1]
	doc, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode case %d: %w", c.ID, err)
	}
	return []any{c.ID, c.Number, string(c.State), string(c.Kind), c.Category, string(c.Source), c.Unit, c.Street, c.Community, c.UnitGrid,
		c.Dispatcher, c.Reporter, c.Point[0], c.Point[1], MS(c.ReportedAt), MS(c.UpdatedAt), MSPtr(c.DueAt), c.Version, string(doc)}, nil
}

// CaseRow is what the stores read of a case: the document and the point
// columns. Its fields are the scan destinations.
type CaseRow struct {
	Doc      string
	Lon, Lat float64
}

// Dest are the scan destinations of `doc, lon, lat`.
func (r *CaseRow) Dest() []any { return []any{&r.Doc, &r.Lon, &r.Lat} }

// Case decodes the row.
func (r *CaseRow) Case() (*cases.Case, error) {
	c := new(cases.Case)
	if err := json.Unmarshal([]byte(r.Doc), c); err != nil {
		return nil, fmt.Errorf("decode case: %w", err)
	}
	c.Point = orb.Point{r.Lon, r.Lat}
	c.Lon, c.Lat = r.Lon, r.Lat
	return c, nil
}

// NewCase fills in what a store sets on a case it creates: the report and
// update times when unset, version 1 and the coordinates.
func NewCase(c *cases.Case) {
	if c.ReportedAt.IsZero() {
		c.ReportedAt = time.Now().UTC()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.ReportedAt
	}
	c.Version = 1
	c.Lon, c.Lat = c.Point[0], c.Point[1]
}

// Number is the case number a store gives a case without one
// (cases.CaseNumber with the id): ids are unique across replicas, and
// after a demo history they are above any day's demo sequence, so the
// two never meet.
func Number(c *cases.Case) string { return cases.CaseNumber(cases.NumberPrefix, c.ReportedAt, c.ID) }

// TransitionColumns are the columns of case_transitions in the order of
// TransitionValues and TransitionRow.Dest.
var TransitionColumns = []string{"case_id", "seq", "at", "action", "from_state", "to_state", "user", "role", "unit", "note", "step_due_at"}

// TransitionValues is t as a row of case_transitions; a zero time is now.
func TransitionValues(t *cases.Transition) []any {
	if t.At.IsZero() {
		t.At = time.Now().UTC()
	}
	return []any{t.CaseID, int32(t.Seq), MS(t.At), t.Action, string(t.From), string(t.To), t.User, string(t.Role), t.Unit, t.Note, MSPtr(t.StepDueAt)}
}

// TransitionRow scans a row of TransitionColumns.
type TransitionRow struct {
	t   cases.Transition
	at  int64
	due *int64
}

// Dest are the scan destinations, in TransitionColumns order.
func (r *TransitionRow) Dest() []any {
	t := &r.t
	return []any{&t.CaseID, &t.Seq, &r.at, &t.Action, &t.From, &t.To, &t.User, &t.Role, &t.Unit, &t.Note, &r.due}
}

// Transition is the scanned transition.
func (r *TransitionRow) Transition() cases.Transition {
	t := r.t
	t.At = FromMS(r.at)
	t.StepDueAt = fromMSPtr(r.due)
	return t
}

// AttachmentColumns are the columns of case_attachments in the order of
// AttachmentValues and AttachmentRow.Dest.
var AttachmentColumns = []string{"id", "case_id", "name", "type", "size", "sha256", "stage", "user", "uploaded"}

// AttachmentValues is a as a row of case_attachments.
func AttachmentValues(a *cases.Attachment) []any {
	return []any{a.ID, a.CaseID, a.Name, a.Type, a.Size, a.SHA256, string(a.Stage), a.User, MS(a.Uploaded)}
}

// AttachmentRow scans a row of AttachmentColumns.
type AttachmentRow struct {
	a  cases.Attachment
	at int64
}

// Dest are the scan destinations, in AttachmentColumns order.
func (r *AttachmentRow) Dest() []any {
	a := &r.a
	return []any{&a.ID, &a.CaseID, &a.Name, &a.Type, &a.Size, &a.SHA256, &a.Stage, &a.User, &r.at}
}

// Attachment is the scanned record.
func (r *AttachmentRow) Attachment() cases.Attachment {
	a := r.a
	a.Uploaded = FromMS(r.at)
	return a
}

// ConfigColumns are the columns of case_config in the order of
// ConfigValues.
var ConfigColumns = []string{"name", "version", "body", "user", "at"}

// ConfigValues is d as a row of case_config.
func ConfigValues(d *cases.ConfigDoc) []any {
	return []any{d.Name, d.Version, string(d.Body), d.User, MS(d.At)}
}

// ConfigRow scans `version, body, user, at` (body optional: see DestNoBody).
type ConfigRow struct {
	d        cases.ConfigDoc
	body     string
	at       int64
	withBody bool
}

// Dest are the scan destinations of `version, body, user, at`.
func (r *ConfigRow) Dest() []any {
	r.withBody = true
	return []any{&r.d.Version, &r.body, &r.d.User, &r.at}
}

// DestNoBody are the scan destinations of `version, user, at`.
func (r *ConfigRow) DestNoBody() []any { return []any{&r.d.Version, &r.d.User, &r.at} }

// Config is the scanned version of document name.
func (r *ConfigRow) Config(name string) cases.ConfigDoc {
	d := r.d
	d.Name, d.At = name, FromMS(r.at)
	if r.withBody {
		d.Body = []byte(r.body)
	}
	return d
}

// handlingStates are the states in which a handling deadline runs and
// the unit still owes the work (a handled case waits for the check; a
// suspended one has no running deadline).
var handlingStates = []cases.State{cases.StateDispatched}

// Where is the WHERE clause of f over case_cases, with ? parameters
// (pgcases numbers them), and its arguments; "" when f selects all.
func Where(f *cases.Filter) (string, []any) {
	var w []string
	var args []any
	in := func(col string, vals []any) {
		if len(vals) > 0 {
			w = append(w, col+" IN ("+Placeholders(len(vals))+")")
			args = append(args, vals...)
		}
	}
	eq := func(col, v string) {
		if v != "" {
			w = append(w, col+" = ?")
			args = append(args, v)
		}
	}
	ids := make([]any, len(f.IDs))
	for i, id := range f.IDs {
		ids[i] = id
	}
	in("id", ids)
	states := f.States
	if f.Overdue {
		states = overdueStates(states)
		if len(states) == 0 {
			w = append(w, "1 = 0")
		}
	}
	if f.Open && len(states) == 0 {
		w = append(w, "state NOT IN ('closed', 'not_registered', 'cancelled')")
	}
	ss := make([]any, len(states))
	for i, s := range states {
		ss[i] = string(s)
	}
	in("state", ss)
	eq("category", f.Category)
	eq("kind", string(f.Kind))
	eq("source", string(f.Source))
	eq("unit", f.Unit)
	eq("street", f.Street)
	eq("community", f.Community)
	eq("unit_grid", f.UnitGrid)
	eq("dispatcher", f.Dispatcher)
	eq("reporter", f.Reporter)
	before := func(col string, t time.Time) {
		if !t.IsZero() {
			w = append(w, col+" < ?")
			args = append(args, MS(t))
		}
	}
	rng := func(col string, from, to time.Time) {
		if !from.IsZero() {
			w = append(w, col+" >= ?")
			args = append(args, MS(from))
		}
		before(col, to)
	}
	before("due_at", f.DueBefore)
	rng("reported_at", f.ReportedFrom, f.ReportedTo)
	rng("updated_at", f.UpdatedFrom, f.UpdatedTo)
	if f.Overdue {
		now := f.Now
		if now.IsZero() {
			now = time.Now()
		}
		before("due_at", now)
	}
	if len(w) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(w, " AND "), args
}

// overdueStates narrows the asked states to those a deadline runs in (all
// of them when none is asked).
func overdueStates(states []cases.State) []cases.State {
	if len(states) == 0 {
		return handlingStates
	}
	var keep []cases.State
	for _, s := range states {
		for _, h := range handlingStates {
			if s == h {
				keep = append(keep, s)
			}
		}
	}
	return keep
}

// AndWhere adds cond to a clause from Where.
func AndWhere(where, cond string) string {
	if where == "" {
		return " WHERE " + cond
	}
	return where + " AND " + cond
}

// Listeners are the change listeners of a store (cases.Store.OnChange).
type Listeners struct {
	mu  sync.RWMutex
	fns []func(*cases.Case, *cases.Transition)
}

// Add registers fn.
func (l *Listeners) Add(fn func(*cases.Case, *cases.Transition)) {
	l.mu.Lock()
	l.fns = append(l.fns, fn)
	l.mu.Unlock()
}

// Notify calls every listener with its own copy of c and t, so that none
// can change what the writer or the others see.
func (l *Listeners) Notify(c *cases.Case, t *cases.Transition) {
	l.mu.RLock()
	fns := l.fns
	l.mu.RUnlock()
	for _, fn := range fns {
		cc, tt := *c, *t
		fn(&cc, &tt)
	}
}
