package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"citygrid/data"
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
		rep, _, err = data.PlanChangeset(cs, w)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: plan changeset: %w", err)
	}
	return rep, nil
}

// ApplyChangeset applies a survey batch in one transaction (see
// data.Editor and data.ApplyChangeset).
func (s *Store) ApplyChangeset(ctx context.Context, cs *data.Changeset, m data.EditMeta) (*data.ChangesetReport, []data.Change, error) {
	return data.ApplyChangeset(cs, func(fn func(data.ChangesetTx) error) ([]data.Change, error) {
		return s.write(ctx, m, cs.ID, func(w *writeTx) error { return fn(w) })
	})
}

// ChangesetStatus reads a stored changeset's status ("" when not stored),
// locking its row until the transaction ends.
func (w *writeTx) ChangesetStatus(id string) (string, error) {
	var status string
	err := w.tx.QueryRow(w.ctx, `SELECT status FROM changesets WHERE id = $1 FOR UPDATE`, id).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return status, err
}

// MarkChangesetApplied records that a stored changeset is applied.
func (w *writeTx) MarkChangesetApplied(id string) error {
	w.batch.Queue(`UPDATE changesets SET status = $1, applied_at = $2 WHERE id = $3`, data.ChangesetApplied, w.at, id)
	return nil
}

// StoredComponents reads the stored components among codes, and the last
// version every code among them ever had (w.lastVersions), in two queries.
func (w *writeTx) StoredComponents(codes []string) (map[string]*data.Component, error) {
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

// ChangedSince maps the components changed after t to their first change.
func (w *writeTx) ChangedSince(t time.Time) (map[string]data.ChangeMark, error) {
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

// SaveChangeset stores an uploaded changeset under a new ID (set in cs.ID)
// so it can be applied later.
func (s *Store) SaveChangeset(ctx context.Context, cs *data.Changeset, m data.EditMeta) error {
	sc, err := data.EncodeChangeset(cs)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO changesets (id, created_at, "user", base_time, status, items) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
		sc.ID, time.Now().UTC(), m.User, sc.BaseTime, data.ChangesetPending, string(sc.Items)); err != nil {
		return fmt.Errorf("pgstore: save changeset: %w", err)
	}
	cs.ID = sc.ID
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
	cs, err := data.DecodeChangeset(id, blob)
	if err != nil {
		return nil, "", fmt.Errorf("pgstore: %w", err)
	}
	return cs, status, nil
}
