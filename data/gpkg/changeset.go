package gpkg

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"citygrid/data"
)

// Changeset status values in citygrid_changesets.
const (
	csPending = "pending"
	csApplied = "applied"
)

// PlanChangeset checks a survey batch against the store without writing:
// the dry run (see data.Editor).
func (s *Store) PlanChangeset(ctx context.Context, cs *data.Changeset) (*data.ChangesetReport, error) {
	ref, err := s.reference(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	e := &editTx{ctx: ctx, tx: tx, ref: ref, at: s.now(), stmts: map[string]*sql.Stmt{}, touched: map[string]bool{}}
	defer e.close()
	rep, _, err := e.plan(cs)
	return rep, err
}

// ApplyChangeset applies a survey batch in one transaction (see
// data.Editor). A stored changeset (cs.ID names a row of
// citygrid_changesets) is marked applied in the same transaction, and
// applying it twice fails with ErrConflict.
func (s *Store) ApplyChangeset(ctx context.Context, cs *data.Changeset, m data.EditMeta) (*data.ChangesetReport, []data.Change, error) {
	var rep *data.ChangesetReport
	changes, err := s.write(ctx, m, cs.ID, func(e *editTx) error {
		if cs.ID != "" {
			var status string
			err := e.tx.QueryRowContext(ctx, `SELECT status FROM citygrid_changesets WHERE id = ?`, cs.ID).Scan(&status)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			case status == csApplied:
				return fmt.Errorf("changeset %s is already applied: %w", cs.ID, data.ErrConflict)
			}
		}
		r, plan, err := e.plan(cs)
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
			switch p.Op {
			case data.CSAdd:
				err = e.insertComponent(p.After)
			case data.CSModify:
				err = e.updateComponent(p.Before, p.After)
			case data.CSDelete:
				err = e.deleteComponent(p.Before)
			}
			if err != nil {
				return err
			}
		}
		if cs.ID != "" {
			if _, err := e.tx.ExecContext(ctx, `UPDATE citygrid_changesets SET status = ?, applied_at = ? WHERE id = ?`,
				csApplied, e.at.Format(timestampFormat), cs.ID); err != nil {
				return err
			}
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

// plan resolves every item against the store (see data.PlanChangeset).
func (e *editTx) plan(cs *data.Changeset) (*data.ChangesetReport, []data.PlannedChange, error) {
	return data.PlanChangeset(cs, changesetBase{e})
}

// changesetBase is a transaction as data.PlanChangeset reads it.
type changesetBase struct{ e *editTx }

func (b changesetBase) StoredComponents(codes []string) (map[string]*data.Component, error) {
	return b.e.storedMany(codes)
}

func (b changesetBase) ChangedSince(t time.Time) (map[string]data.ChangeMark, error) {
	return b.e.changedSince(t)
}

func (b changesetBase) Prepare(c *data.Component, where string, taken map[string]int) error {
	return b.e.prepare(c, where, taken)
}

func (b changesetBase) LastVersion(code string) (int64, error) { return b.e.lastVersion(code) }

// storedMany reads the stored components among codes.
func (e *editTx) storedMany(codes []string) (map[string]*data.Component, error) {
	out := make(map[string]*data.Component, len(codes))
	l := loader{tx: e.tx, intern: map[string]string{}}
	const chunk = 20000
	for i := 0; i < len(codes); i += chunk {
		b, _ := json.Marshal(codes[i:min(i+chunk, len(codes))])
		err := l.scanComponents(e.ctx, `WHERE code IN (SELECT value FROM json_each(?))`, []any{string(b)}, func(c *data.Component) {
			cc := *c
			out[cc.Code] = &cc
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// changedSince maps the components changed after t to their first change.
func (e *editTx) changedSince(t time.Time) (map[string]data.ChangeMark, error) {
	rows, err := e.tx.QueryContext(e.ctx, `SELECT code, at, user FROM citygrid_history
		WHERE layer = 'components' AND at > ? ORDER BY id`, t.UTC().Format(timestampFormat))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]data.ChangeMark{}
	for rows.Next() {
		var code, at, user string
		if err := rows.Scan(&code, &at, &user); err != nil {
			return nil, err
		}
		if _, ok := out[code]; ok {
			continue
		}
		ts, err := parseTimestamp([]byte(at))
		if err != nil {
			return nil, err
		}
		out[code] = data.ChangeMark{At: ts, User: user}
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
	if _, err := s.db.ExecContext(ctx, `INSERT INTO citygrid_changesets (id, created_at, user, base_time, status, items)
		VALUES (?, ?, ?, ?, ?, ?)`, id, time.Now().UTC().Format(timestampFormat), m.User, doc.BaseTime, csPending, blob); err != nil {
		return WriteError(fmt.Errorf("save changeset: %w", err))
	}
	cs.ID = id
	return nil
}

// LoadChangeset reads a stored changeset and its status ("pending",
// "applied").
func (s *Store) LoadChangeset(ctx context.Context, id string) (*data.Changeset, string, error) {
	var status string
	var blob []byte
	err := s.db.QueryRowContext(ctx, `SELECT status, items FROM citygrid_changesets WHERE id = ?`, id).Scan(&status, &blob)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", fmt.Errorf("changeset %s: %w", id, data.ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("changeset %s: %w", id, err)
	}
	var doc changesetDoc
	if err := json.Unmarshal(blob, &doc); err != nil {
		return nil, "", fmt.Errorf("changeset %s: %w", id, err)
	}
	cs := &data.Changeset{ID: id, Items: make([]data.ChangesetItem, len(doc.Items))}
	if doc.BaseTime != "" {
		if cs.BaseTime, err = time.Parse(time.RFC3339Nano, doc.BaseTime); err != nil {
			return nil, "", err
		}
	}
	for i, d := range doc.Items {
		c, err := parseComponentJSON(sql.NullString{String: string(d.Component), Valid: true})
		if err != nil {
			return nil, "", err
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
