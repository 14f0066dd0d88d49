package gpkg

import (
	"context"
	"database/sql"
	"fmt"

	"citygrid/data"
)

var _ data.ChangeLog = (*Store)(nil)

// The GeoPackage store's change log is its edit history: citygrid_history
// ids are its Seqs. Writers are serialised (one write transaction at a
// time, BEGIN IMMEDIATE across processes) and a rolled-back transaction
// gives its AUTOINCREMENT ids back, so ids follow commit order without
// gaps. The history is never pruned.

// LastChangeSeq is the Seq (history id) of the newest committed change.
func (s *Store) LastChangeSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM citygrid_history`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("gpkg: last change: %w", err)
	}
	return seq, nil
}

// ChangesSince returns at most limit committed changes with Seq > after,
// in commit order. after beyond the last Seq (the file was replaced since
// the follower read it) fails wrapping data.ErrGone.
func (s *Store) ChangesSince(ctx context.Context, after int64, limit int) ([]data.Change, error) {
	if limit <= 0 {
		limit = 1000
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("gpkg: changes since %d: %w", after, err)
	}
	defer tx.Rollback()
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM citygrid_history`).Scan(&last); err != nil {
		return nil, fmt.Errorf("gpkg: changes since %d: %w", after, err)
	}
	if after > last {
		return nil, fmt.Errorf("gpkg: change %d is beyond the store's last change %d (store replaced): %w", after, last, data.ErrGone)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, layer, code, op, version, at, user, reason, changeset, before, after
		FROM citygrid_history WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("gpkg: changes since %d: %w", after, err)
	}
	hs, err := historyRows(rows)
	if err != nil {
		return nil, fmt.Errorf("gpkg: changes since %d: %w", after, err)
	}
	out := make([]data.Change, len(hs))
	for i, h := range hs {
		out[i] = data.Change{Layer: h.Layer, Op: h.Op, Code: h.Code, Version: h.Version, At: h.At, User: h.User, Reason: h.Reason,
			BeforeComponent: h.BeforeComponent, AfterComponent: h.AfterComponent,
			BeforeUnitGrid: h.BeforeUnitGrid, AfterUnitGrid: h.AfterUnitGrid, Seq: h.ID}
	}
	return out, nil
}

// historyRows reads history rows (id, layer, code, op, version, at, user,
// reason, changeset, before, after).
func historyRows(rows *sql.Rows) ([]data.HistoryEntry, error) {
	defer rows.Close()
	var out []data.HistoryEntry
	for rows.Next() {
		var h data.HistoryEntry
		var op, at string
		var before, after sql.NullString
		if err := rows.Scan(&h.ID, &h.Layer, &h.Code, &op, &h.Version, &at, &h.User, &h.Reason, &h.Changeset, &before, &after); err != nil {
			return nil, err
		}
		h.Op = data.ChangeOp(op)
		var err error
		if h.At, err = parseTimestamp([]byte(at)); err != nil {
			return nil, err
		}
		if err := h.DecodeDocs(nullBytes(before), nullBytes(after)); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// numberChanges gives the changes of a write transaction, just before it
// commits, the history ids of their rows as Seqs: under the write lock the
// transaction's rows are the last len(changes) ids.
func (e *editTx) numberChanges() error {
	if len(e.changes) == 0 {
		return nil
	}
	var last int64
	if err := e.tx.QueryRowContext(e.ctx, `SELECT max(id) FROM citygrid_history`).Scan(&last); err != nil {
		return err
	}
	first := last - int64(len(e.changes)) + 1
	for i := range e.changes {
		e.changes[i].Seq = first + int64(i)
	}
	return nil
}
