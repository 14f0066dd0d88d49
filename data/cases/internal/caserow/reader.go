package caserow

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
)

// DB is what the shared reads need of a store's database. Statements are
// written with ? parameters; pgcases numbers them for PostgreSQL.
type DB interface {
	Query(ctx context.Context, q string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, q string, args ...any) Row
}

// Rows are the rows of a query (pgx.Rows as they are; *sql.Rows with a
// Close that drops its error).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is one row of a query.
type Row interface {
	Scan(dest ...any) error
}

// Reader is the read half of a case store, the same on both dialects: a
// store embeds it and adds its writes.
type Reader struct {
	DB DB
	// Doc selects the case document as text: "doc", or "doc::text" where
	// the column is json.
	Doc string
	// NoRows is the driver's error for a query that found no row.
	NoRows error
}

// Get returns one case.
func (r *Reader) Get(ctx context.Context, id int64) (*cases.Case, error) {
	var row CaseRow
	err := r.DB.QueryRow(ctx, `SELECT `+r.Doc+`, lon, lat FROM case_cases WHERE id = ?`, id).Scan(row.Dest()...)
	if errors.Is(err, r.NoRows) {
		return nil, fmt.Errorf("case %d: %w", id, data.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("case %d: %w", id, err)
	}
	return row.Case()
}

// List returns one page of matching cases.
func (r *Reader) List(ctx context.Context, f cases.Filter) (cases.Page, error) {
	if f.Limit <= 0 {
		f.Limit = cases.DefaultPageSize
	}
	f.Limit = min(f.Limit, cases.MaxPageSize)
	f.Offset = max(f.Offset, 0)
	where, args := Where(&f)
	order := " ORDER BY id DESC"
	if f.Sort == cases.SortDue {
		order = " ORDER BY due_at IS NULL, due_at, id"
	}
	p := cases.Page{Cases: []*cases.Case{}, Offset: f.Offset, Limit: f.Limit, Total: -1}
	q := `SELECT ` + r.Doc + `, lon, lat FROM case_cases` + where + order + ` LIMIT ? OFFSET ?`
	rows, err := r.DB.Query(ctx, q, append(append([]any{}, args...), f.Limit, f.Offset)...)
	if err != nil {
		return p, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var row CaseRow
		if err := rows.Scan(row.Dest()...); err != nil {
			return p, fmt.Errorf("list cases: %w", err)
		}
		c, err := row.Case()
		if err != nil {
			return p, err
		}
		p.Cases = append(p.Cases, c)
	}
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("list cases: %w", err)
	}
	if !f.NoTotal {
		if err := r.DB.QueryRow(ctx, `SELECT COUNT(*) FROM case_cases`+where, args...).Scan(&p.Total); err != nil {
			return p, fmt.Errorf("count cases: %w", err)
		}
	}
	return p, nil
}

// selectTransitions reads transitions in TransitionColumns order.
var selectTransitions = `SELECT ` + Columns(TransitionColumns) + ` FROM case_transitions`

// Transitions returns a case's transitions in order.
func (r *Reader) Transitions(ctx context.Context, id int64) ([]cases.Transition, error) {
	out, err := r.transitions(ctx, selectTransitions+` WHERE case_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("transitions of case %d: %w", id, err)
	}
	if len(out) == 0 {
		if _, err := r.Get(ctx, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Transition returns transition seq of a case; data.ErrNotFound when the
// case has none such.
func (r *Reader) Transition(ctx context.Context, id int64, seq int) (cases.Transition, error) {
	out, err := r.transitions(ctx, selectTransitions+` WHERE case_id = ? AND seq = ?`, id, seq)
	if err == nil && len(out) == 0 {
		err = data.ErrNotFound
	}
	if err != nil {
		return cases.Transition{}, fmt.Errorf("transition %d of case %d: %w", seq, id, err)
	}
	return out[0], nil
}

// TransitionsBetween returns the transitions recorded in [from, to),
// ordered by time, case and seq, at most limit (the Open311 updates feed).
func (r *Reader) TransitionsBetween(ctx context.Context, from, to time.Time, limit int) ([]cases.Transition, error) {
	out, err := r.transitions(ctx, selectTransitions+` WHERE at >= ? AND at < ? ORDER BY at, case_id, seq LIMIT ?`, MS(from), MS(to), limit)
	if err != nil {
		return nil, fmt.Errorf("transitions: %w", err)
	}
	return out, nil
}

func (r *Reader) transitions(ctx context.Context, q string, args ...any) ([]cases.Transition, error) {
	return collect(ctx, r.DB, q, args, func(row *TransitionRow) []any { return row.Dest() }, (*TransitionRow).Transition)
}

// collect reads every row of a query through a scanner R.
func collect[R, T any](ctx context.Context, db DB, q string, args []any, dest func(*R) []any, value func(*R) T) ([]T, error) {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var row R
		if err := rows.Scan(dest(&row)...); err != nil {
			return nil, err
		}
		out = append(out, value(&row))
	}
	return out, rows.Err()
}

// Attachments lists a case's files in id order.
func (r *Reader) Attachments(ctx context.Context, caseID int64) ([]cases.Attachment, error) {
	out, err := collect(ctx, r.DB, `SELECT `+Columns(AttachmentColumns)+` FROM case_attachments WHERE case_id = ? ORDER BY id`, []any{caseID},
		func(row *AttachmentRow) []any { return row.Dest() }, (*AttachmentRow).Attachment)
	if err != nil {
		return nil, fmt.Errorf("attachments of case %d: %w", caseID, err)
	}
	return out, nil
}

// UploadsSince counts the attachments user uploaded since a time, and
// their bytes (cases.UploadUsage).
func (r *Reader) UploadsSince(ctx context.Context, user string, since time.Time) (int, int64, error) {
	var n, size int64
	err := r.DB.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(size), 0) FROM case_attachments WHERE "user" = ? AND uploaded >= ?`, user, MS(since)).Scan(&n, &size)
	if err != nil {
		return 0, 0, fmt.Errorf("uploads of %s: %w", user, err)
	}
	return int(n), size, nil
}

// Config returns the named document at version (0: the latest); a missing
// one wraps data.ErrNotFound.
func (r *Reader) Config(ctx context.Context, name string, version int64) (cases.ConfigDoc, error) {
	q := `SELECT version, body, "user", at FROM case_config WHERE name = ? ORDER BY version DESC LIMIT 1`
	args := []any{name}
	if version > 0 {
		q = `SELECT version, body, "user", at FROM case_config WHERE name = ? AND version = ?`
		args = append(args, version)
	}
	var row ConfigRow
	err := r.DB.QueryRow(ctx, q, args...).Scan(row.Dest()...)
	if errors.Is(err, r.NoRows) {
		return cases.ConfigDoc{Name: name}, fmt.Errorf("config %s: %w", name, data.ErrNotFound)
	}
	if err != nil {
		return cases.ConfigDoc{Name: name}, fmt.Errorf("config %s: %w", name, err)
	}
	return row.Config(name), nil
}

// ConfigVersions lists the stored versions of a document, newest first,
// without their bodies.
func (r *Reader) ConfigVersions(ctx context.Context, name string) ([]cases.ConfigDoc, error) {
	out, err := collect(ctx, r.DB, `SELECT version, "user", at FROM case_config WHERE name = ? ORDER BY version DESC`, []any{name},
		func(row *ConfigRow) []any { return row.DestNoBody() }, func(row *ConfigRow) cases.ConfigDoc { return row.Config(name) })
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	return out, nil
}

// Notified reports whether a notification of kind for the case's deadline
// dueAt was recorded by MarkNotified.
func (r *Reader) Notified(ctx context.Context, caseID int64, kind string, dueAt time.Time) (bool, error) {
	var n int
	if err := r.DB.QueryRow(ctx, `SELECT COUNT(*) FROM case_notifications WHERE case_id = ? AND kind = ? AND due_at = ?`, caseID, kind, MS(dueAt)).Scan(&n); err != nil {
		return false, fmt.Errorf("notification of case %d: %w", caseID, err)
	}
	return n > 0, nil
}

// CaseIDByNumber finds a case by its number.
func (r *Reader) CaseIDByNumber(ctx context.Context, number string) (int64, error) {
	var id int64
	err := r.DB.QueryRow(ctx, `SELECT id FROM case_cases WHERE number = ?`, number).Scan(&id)
	if errors.Is(err, r.NoRows) {
		return 0, fmt.Errorf("case number %q: %w", number, data.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("case number %q: %w", number, err)
	}
	return id, nil
}

// Conflict reads, from row (`SELECT state, version` of the case), why an
// update of c read at version old changed no row: the case is gone
// (data.ErrNotFound) or moved on (*cases.ConflictError).
func (r *Reader) Conflict(row Row, c *cases.Case, t *cases.Transition, old int64) error {
	var st cases.State
	var v int64
	err := row.Scan(&st, &v)
	if errors.Is(err, r.NoRows) {
		return fmt.Errorf("case %d: %w", c.ID, data.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	return &cases.ConflictError{ID: c.ID, Action: t.Action, State: st, Version: v, Reason: fmt.Sprintf("changed by someone else (version %d, not %d)", v, old)}
}

// Scan calls fn for the cases reported in [from, to), in id order.
func (r *Reader) Scan(ctx context.Context, from, to time.Time, fn func(*cases.Case) bool) error {
	return r.scan(ctx, &cases.Filter{ReportedFrom: from, ReportedTo: to}, fn)
}

// All calls fn for every case, in id order.
func (r *Reader) All(ctx context.Context, fn func(*cases.Case) bool) error {
	return r.scan(ctx, &cases.Filter{}, fn)
}

// scanPage is how many cases one query of a scan reads.
const scanPage = 10000

// scan pages by id so that no read transaction stays open across a long
// scan (in SQLite it would hold the WAL back); each page's JSON is decoded
// on every core, then handed to fn in id order.
func (r *Reader) scan(ctx context.Context, f *cases.Filter, fn func(*cases.Case) bool) error {
	where, args := Where(f)
	q := `SELECT id, ` + r.Doc + `, lon, lat FROM case_cases` + AndWhere(where, "id > ?") + fmt.Sprintf(` ORDER BY id LIMIT %d`, scanPage)
	var after int64
	page := make([]CaseRow, 0, scanPage)
	out := make([]*cases.Case, scanPage)
	for {
		rows, err := r.DB.Query(ctx, q, append(args, after)...)
		if err != nil {
			return fmt.Errorf("scan cases: %w", err)
		}
		page = page[:0]
		for rows.Next() {
			var row CaseRow
			if err := rows.Scan(append([]any{&after}, row.Dest()...)...); err != nil {
				rows.Close()
				return fmt.Errorf("scan cases: %w", err)
			}
			page = append(page, row)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("scan cases: %w", err)
		}
		if err := decodePage(page, out); err != nil {
			return err
		}
		for i := range page {
			if !fn(out[i]) {
				return nil
			}
			out[i] = nil
		}
		if len(page) < scanPage {
			return nil
		}
	}
}

// decodePage decodes page into out on every core.
func decodePage(page []CaseRow, out []*cases.Case) error {
	workers := max(1, runtime.GOMAXPROCS(0))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	chunk := (len(page) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min(len(page), (w+1)*chunk)
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				c, err := page[i].Case()
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = c
			}
		}(w, lo, hi)
	}
	wg.Wait()
	return errors.Join(errs...)
}
