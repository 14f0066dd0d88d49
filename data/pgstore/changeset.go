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
			switch p.Op {
			case data.CSAdd:
				err = w.insertComponent(p.After)
			case data.CSModify:
				err = w.updateComponent(p.Before, p.After)
			case data.CSDelete:
				err = w.deleteComponent(p.Before)
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

// plan resolves every item against the store (see data.PlanChangeset).
func (w *writeTx) plan(cs *data.Changeset) (*data.ChangesetReport, []data.PlannedChange, error) {
	return data.PlanChangeset(cs, changesetBase{w})
}

// changesetBase is a transaction as data.PlanChangeset reads it.
type changesetBase struct{ w *writeTx }

func (b changesetBase) StoredComponents(codes []string) (map[string]*data.Component, error) {
	return b.w.storedMany(codes)
}

func (b changesetBase) ChangedSince(t time.Time) (map[string]data.ChangeMark, error) {
	return b.w.changedSince(t)
}

func (b changesetBase) Prepare(c *data.Component, where string, taken map[string]int) error {
	return b.w.prepare(c, where, taken)
}

// LastVersion answers from what storedMany read for the codes given; a
// code assigned by nextCode was never used.
func (b changesetBase) LastVersion(code string) (int64, error) {
	return b.w.lastVersions[code], nil
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

// changedSince maps the components changed after t to their first change.
func (w *writeTx) changedSince(t time.Time) (map[string]data.ChangeMark, error) {
	rows, err := w.tx.Query(w.ctx, `SELECT DISTINCT ON (code) code, at, "user" FROM changes
WHERE layer = 'components' AND at > $1 ORDER BY code, seq`, t.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]data.ChangeMark{}
	for rows.Next() {
		var code string
		var h data.ChangeMark
		if err := rows.Scan(&code, &h.At, &h.User); err != nil {
			return nil, err
		}
		h.At = h.At.UTC()
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
