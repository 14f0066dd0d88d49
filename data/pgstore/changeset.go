package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"citygrid/data"
)

// planned is one changeset item resolved against the store.
type planned struct {
	op            data.ChangesetOp
	before, after *data.Component
}

// Changeset status values in the changesets table.
const (
	csPending = "pending"
	csApplied = "applied"
)

// PlanChangeset checks a survey batch against the store without writing:
// the dry run (see data.Editor). It reads one repeatable-read snapshot.
func (s *Store) PlanChangeset(ctx context.Context, cs *data.Changeset) (*data.ChangesetReport, error) {
	var rep *data.ChangesetReport
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		key, err := readKey(ctx, tx)
		if err != nil {
			return err
		}
		w := &writeTx{ctx: ctx, tx: tx, at: time.Now().UTC().Truncate(time.Millisecond)}
		if w.ref, err = s.reference(ctx, tx, key); err != nil {
			return err
		}
		rep, _, err = w.plan(cs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: plan changeset: %w", err)
	}
	return rep, nil
}

// ApplyChangeset applies a survey batch in one transaction (see
// data.Editor). A stored changeset (cs.ID names a row of changesets) is
// marked applied in the same transaction; applying it twice fails with
// ErrConflict.
func (s *Store) ApplyChangeset(ctx context.Context, cs *data.Changeset, m data.EditMeta) (*data.ChangesetReport, []data.Change, error) {
	var rep *data.ChangesetReport
	changes, err := s.write(ctx, m, cs.ID, func(w *writeTx) error {
		if cs.ID != "" {
			var status string
			err := w.tx.QueryRow(ctx, `SELECT status FROM changesets WHERE id = $1 FOR UPDATE`, cs.ID).Scan(&status)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
			case err != nil:
				return err
			case status == csApplied:
				return fmt.Errorf("changeset %s is already applied: %w", cs.ID, data.ErrConflict)
			}
		}
		r, plan, err := w.plan(cs)
		rep = r
		if err != nil {
			return err
		}
		if len(r.Invalid) > 0 {
			return r.Invalid
		}
		if len(r.Conflicts) > 0 {
			c := r.Conflicts[0]
			return fmt.Errorf("changeset: %d features changed in the store since the survey (first: %s %s: %s): %w",
				len(r.Conflicts), c.Where, c.Code, c.Reason, data.ErrConflict)
		}
		for _, p := range plan {
			var err error
			switch p.op {
			case data.CSAdd:
				err = w.insertComponent(p.after)
			case data.CSModify:
				err = w.updateComponent(p.before, p.after)
			case data.CSDelete:
				err = w.deleteComponent(p.before)
			}
			if err != nil {
				return err
			}
		}
		if cs.ID != "" {
			w.batch.Queue(`UPDATE changesets SET status = $1, applied_at = $2 WHERE id = $3`, csApplied, w.at, cs.ID)
		}
		r.Applied = true
		return nil
	})
	if err != nil {
		if rep != nil {
			rep.Applied = false
		}
		return rep, nil, err
	}
	return rep, changes, nil
}

// plan resolves every item: its op, the stored component it replaces, the
// component it stores, conflicts and invalid features.
func (w *writeTx) plan(cs *data.Changeset) (*data.ChangesetReport, []planned, error) {
	rep := &data.ChangesetReport{ID: cs.ID, Features: len(cs.Items), Conflicts: []data.ChangesetConflict{}, Invalid: data.ValidationErrors{}}
	codes := make([]string, 0, len(cs.Items))
	for i := range cs.Items {
		if c := cs.Items[i].Component.Code; c != "" {
			codes = append(codes, c)
		}
	}
	stored, err := w.storedMany(codes)
	if err != nil {
		return nil, nil, err
	}
	var since map[string]historyMark
	if !cs.BaseTime.IsZero() {
		if since, err = w.changedSince(cs.BaseTime); err != nil {
			return nil, nil, err
		}
	}
	seen := map[string]string{}
	taken := map[string]int{}
	var plan []planned
	invalid := func(where, field, format string, args ...any) {
		rep.Invalid = append(rep.Invalid, &data.ValidationError{Where: where, Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	for i := range cs.Items {
		it := &cs.Items[i]
		where := it.Where
		if where == "" {
			where = fmt.Sprintf("feature %d", i)
		}
		code := it.Component.Code
		if code != "" {
			if first, dup := seen[code]; dup {
				invalid(where, "code", "%s is given twice (also at %s)", code, first)
				continue
			}
			seen[code] = where
		}
		cur := stored[code]
		op := it.Op
		if op == "" {
			op = data.CSAdd
			if cur != nil {
				op = data.CSModify
			}
		}
		conflict := func(reason string) bool {
			if cur == nil {
				return false
			}
			c := data.ChangesetConflict{Where: where, Code: code, Op: string(op), BaseVersion: it.BaseVersion, CurrentVersion: cur.Version}
			if it.BaseVersion > 0 && cur.Version != it.BaseVersion {
				c.Reason = fmt.Sprintf("the survey started from version %d, the store holds version %d", it.BaseVersion, cur.Version)
			} else if h, ok := since[code]; ok && it.BaseVersion == 0 {
				c.Reason = fmt.Sprintf("changed in the store at %s by %s, after the survey's base time", h.at.Format(time.RFC3339), h.user)
				c.ChangedAt, c.ChangedBy = h.at, h.user
			} else {
				return false
			}
			if reason != "" {
				c.Reason = reason + ": " + c.Reason
			}
			rep.Conflicts = append(rep.Conflicts, c)
			return true
		}
		switch op {
		case data.CSDelete:
			if code == "" {
				invalid(where, "code", "is missing: a deletion names the component by code")
				continue
			}
			if cur == nil {
				invalid(where, "code", "component %s is not stored, so it cannot be deleted", code)
				continue
			}
			if conflict("") {
				continue
			}
			rep.Deletes++
			plan = append(plan, planned{op: op, before: cur})
		case data.CSModify, data.CSAdd:
			var next data.Component
			if op == data.CSModify {
				if code == "" {
					invalid(where, "code", "is missing: a modification names the component by code")
					continue
				}
				if cur == nil {
					invalid(where, "code", "component %s is not stored, so it cannot be modified", code)
					continue
				}
				if conflict("") {
					continue
				}
				next = overlay(*cur, it.Component, it.Fields)
			} else {
				if cur != nil {
					if !conflict("added in the store since the survey") {
						invalid(where, "code", "component %s is already stored (version %d); modify it instead", code, cur.Version)
					}
					continue
				}
				next = it.Component
			}
			if err := w.prepare(&next, where, taken); err != nil {
				var ves data.ValidationErrors
				if !errors.As(err, &ves) {
					return nil, nil, err
				}
				rep.Invalid = append(rep.Invalid, ves...)
				continue
			}
			if op == data.CSModify {
				if sameComponent(cur, &next) {
					rep.Unchanged++
					continue
				}
				next.Version = cur.Version + 1
				rep.Modifies++
			} else {
				// Codes given were looked up by storedMany; codes assigned
				// by nextCode were never used.
				next.Version = w.lastVersions[next.Code] + 1
				rep.Adds++
			}
			n := next
			plan = append(plan, planned{op: op, before: cur, after: &n})
		default:
			invalid(where, "_op", "unknown operation %q (add, modify, delete)", op)
		}
	}
	rep.Applicable = len(rep.Invalid) == 0 && len(rep.Conflicts) == 0
	return rep, plan, nil
}

// overlay is cur with the fields the changeset feature gives.
func overlay(cur, in data.Component, fields map[string]bool) data.Component {
	has := func(f string) bool { return fields == nil || fields[f] }
	if has("geometry") && in.Geometry != nil {
		cur.Geometry = in.Geometry
	}
	if has("category") {
		cur.Category = in.Category
	}
	if has("name") {
		cur.Name = in.Name
	}
	if has("department") {
		cur.Department = in.Department
	}
	if has("owner") {
		cur.Owner = in.Owner
	}
	if has("maintainer") {
		cur.Maintainer = in.Maintainer
	}
	if has("status") {
		cur.Status = in.Status
	}
	if has("survey_date") {
		cur.SurveyDate = in.SurveyDate
	}
	if has("note") {
		cur.Note = in.Note
	}
	return cur
}

// sameComponent compares what a survey can change.
func sameComponent(a, b *data.Component) bool {
	if a.Category != b.Category || a.Name != b.Name || a.Department != b.Department || a.Owner != b.Owner ||
		a.Maintainer != b.Maintainer || a.Status != b.Status || a.Note != b.Note || a.UnitGrid != b.UnitGrid ||
		!a.SurveyDate.Equal(b.SurveyDate) {
		return false
	}
	ga, err1 := componentJSON(&data.Component{Geometry: a.Geometry})
	gb, err2 := componentJSON(&data.Component{Geometry: b.Geometry})
	return err1 == nil && err2 == nil && string(ga) == string(gb)
}

// storedMany reads the stored components among codes, and the last
// version every code among them ever had (w.lastVersions), in two queries.
func (w *writeTx) storedMany(codes []string) (map[string]*data.Component, error) {
	out := make(map[string]*data.Component, len(codes))
	if err := scanComponentsErr(w.ctx, w.tx, `WHERE code = ANY($1)`, []any{codes}, func(c *data.Component) error {
		cc := *c
		out[c.Code] = &cc
		return nil
	}); err != nil {
		return nil, err
	}
	w.lastVersions = make(map[string]int64)
	rows, err := w.tx.Query(w.ctx, `SELECT code, max(version) FROM changes WHERE layer = 'components' AND code = ANY($1) GROUP BY code`, codes)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var v int64
		if err := rows.Scan(&c, &v); err != nil {
			return nil, err
		}
		w.lastVersions[c] = v
	}
	return out, rows.Err()
}

type historyMark struct {
	at   time.Time
	user string
}

// changedSince maps the components changed after t to their first change.
func (w *writeTx) changedSince(t time.Time) (map[string]historyMark, error) {
	rows, err := w.tx.Query(w.ctx, `SELECT DISTINCT ON (code) code, at, "user" FROM changes
WHERE layer = 'components' AND at > $1 ORDER BY code, seq`, t.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]historyMark{}
	for rows.Next() {
		var code string
		var h historyMark
		if err := rows.Scan(&code, &h.at, &h.user); err != nil {
			return nil, err
		}
		h.at = h.at.UTC()
		out[code] = h
	}
	return out, rows.Err()
}

// changesetDoc is how a stored changeset keeps its items.
type changesetDoc struct {
	BaseTime string    `json:"base_time,omitempty"`
	Items    []itemDoc `json:"items"`
}

type itemDoc struct {
	Op          string          `json:"op,omitempty"`
	Where       string          `json:"where,omitempty"`
	BaseVersion int64           `json:"base_version,omitempty"`
	Fields      []string        `json:"fields,omitempty"`
	AllFields   bool            `json:"all_fields,omitempty"`
	Component   json.RawMessage `json:"component"`
}

// SaveChangeset stores an uploaded changeset under a new ID (set in cs.ID)
// so it can be applied later.
func (s *Store) SaveChangeset(ctx context.Context, cs *data.Changeset, m data.EditMeta) error {
	var buf [12]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return err
	}
	id := "cs_" + hex.EncodeToString(buf[:])
	doc := changesetDoc{Items: make([]itemDoc, len(cs.Items))}
	if !cs.BaseTime.IsZero() {
		doc.BaseTime = cs.BaseTime.UTC().Format(time.RFC3339Nano)
	}
	for i := range cs.Items {
		it := &cs.Items[i]
		c, err := componentJSON(&it.Component)
		if err != nil {
			return err
		}
		d := itemDoc{Op: string(it.Op), Where: it.Where, BaseVersion: it.BaseVersion, Component: c, AllFields: it.Fields == nil}
		for f := range it.Fields {
			d.Fields = append(d.Fields, f)
		}
		doc.Items[i] = d
	}
	blob, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO changesets (id, created_at, "user", base_time, status, items) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
		id, time.Now().UTC(), m.User, doc.BaseTime, csPending, string(blob)); err != nil {
		return fmt.Errorf("pgstore: save changeset: %w", err)
	}
	cs.ID = id
	return nil
}

// LoadChangeset reads a stored changeset and its status ("pending",
// "applied").
func (s *Store) LoadChangeset(ctx context.Context, id string) (*data.Changeset, string, error) {
	var status string
	var blob []byte
	err := s.pool.QueryRow(ctx, `SELECT status, items FROM changesets WHERE id = $1`, id).Scan(&status, &blob)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", fmt.Errorf("changeset %s: %w", id, data.ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("pgstore: changeset %s: %w", id, err)
	}
	var doc changesetDoc
	if err := json.Unmarshal(blob, &doc); err != nil {
		return nil, "", fmt.Errorf("pgstore: changeset %s: %w", id, err)
	}
	cs := &data.Changeset{ID: id, Items: make([]data.ChangesetItem, len(doc.Items))}
	if doc.BaseTime != "" {
		if cs.BaseTime, err = time.Parse(time.RFC3339Nano, doc.BaseTime); err != nil {
			return nil, "", fmt.Errorf("pgstore: changeset %s: %w", id, err)
		}
	}
	for i, d := range doc.Items {
		c, err := parseComponentJSON(d.Component)
		if err != nil {
			return nil, "", fmt.Errorf("pgstore: changeset %s: %w", id, err)
		}
		it := data.ChangesetItem{Op: data.ChangesetOp(d.Op), Where: d.Where, BaseVersion: d.BaseVersion, Component: *c}
		if !d.AllFields {
			it.Fields = map[string]bool{}
			for _, f := range d.Fields {
				it.Fields[f] = true
			}
		}
		cs.Items[i] = it
	}
	return cs, status, nil
}
