package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"citygrid/data"
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
	rep, _, err := data.PlanChangeset(cs, e)
	return rep, err
}

// ApplyChangeset applies a survey batch in one transaction (see
// data.Editor and data.ApplyChangeset).
func (s *Store) ApplyChangeset(ctx context.Context, cs *data.Changeset, m data.EditMeta) (*data.ChangesetReport, []data.Change, error) {
	return data.ApplyChangeset(cs, func(fn func(data.ChangesetTx) error) ([]data.Change, error) {
		return s.write(ctx, m, cs.ID, func(e *editTx) error { return fn(e) })
	})
}

// ChangesetStatus reads a stored changeset's status ("" when not stored).
func (e *editTx) ChangesetStatus(id string) (string, error) {
	var status string
	err := e.tx.QueryRowContext(e.ctx, `SELECT status FROM citygrid_changesets WHERE id = ?`, id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return status, err
}

// MarkChangesetApplied records that a stored changeset is applied.
func (e *editTx) MarkChangesetApplied(id string) error {
	_, err := e.tx.ExecContext(e.ctx, `UPDATE citygrid_changesets SET status = ?, applied_at = ? WHERE id = ?`,
		data.ChangesetApplied, e.at.Format(timestampFormat), id)
	return err
}

// StoredComponents reads the stored components among codes.
func (e *editTx) StoredComponents(codes []string) (map[string]*data.Component, error) {
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

// ChangedSince maps the components changed after t to their first change.
func (e *editTx) ChangedSince(t time.Time) (map[string]data.ChangeMark, error) {
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

// SaveChangeset stores an uploaded changeset under a new ID (set in cs.ID)
// so it can be applied later.
func (s *Store) SaveChangeset(ctx context.Context, cs *data.Changeset, m data.EditMeta) error {
	sc, err := data.EncodeChangeset(cs)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO citygrid_changesets (id, created_at, user, base_time, status, items)
		VALUES (?, ?, ?, ?, ?, ?)`, sc.ID, time.Now().UTC().Format(timestampFormat), m.User, sc.BaseTime, data.ChangesetPending, sc.Items); err != nil {
		return WriteError(fmt.Errorf("save changeset: %w", err))
	}
	cs.ID = sc.ID
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
	cs, err := data.DecodeChangeset(id, blob)
	return cs, status, err
}
