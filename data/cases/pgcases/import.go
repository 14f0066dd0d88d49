package pgcases

import (
	"context"
	"fmt"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/internal/caserow"

	"github.com/jackc/pgx/v5"
)

// ImportHistory writes h in one transaction with COPY. Appended cases take
// their ids from the case sequence, so they never collide with other
// replicas' cases; a restore keeps the ids and moves the sequences past
// them. One NOTIFY 'reload' tells other processes' ListenRemote to end
// with ErrReload.
func (s *Store) ImportHistory(ctx context.Context, h *cases.History, mode cases.ImportMode) error {
	if len(h.Cases) == 0 && len(h.Configs) == 0 {
		return h.Check(mode) // nothing to write, nobody to make reload
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := caserow.Allot(ctx, pgDB{tx}, h, mode, nextIDs); err != nil {
			return err
		}
		tables, err := caserow.Tables(h)
		if err != nil {
			return err
		}
		for _, t := range tables {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.Name}, t.Columns, pgx.CopyFromRows(t.Rows)); err != nil {
				if isUnique(err) {
					return fmt.Errorf("import %s: %v: %w", t.Name, err, data.ErrConflict)
				}
				return fmt.Errorf("import %s: %w", t.Name, err)
			}
		}
		if mode == cases.RestoreHistory {
			if _, err := tx.Exec(ctx, `SELECT setval('case_cases_id_seq', COALESCE((SELECT MAX(id) FROM case_cases), 0) + 1, false),
				setval('case_attachments_id_seq', COALESCE((SELECT MAX(id) FROM case_attachments), 0) + 1, false)`); err != nil {
				return fmt.Errorf("import cases: %w", err)
			}
		}
		// Followers reload (ListenRemote ends with ErrReload).
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, 'reload')`, s.channel); err != nil {
			return fmt.Errorf("import cases: %w", err)
		}
		return nil
	})
}

// nextIDs takes n ids from the case sequence.
func nextIDs(ctx context.Context, db caserow.DB, n int) ([]int64, error) {
	rows, err := db.Query(ctx, `SELECT nextval('case_cases_id_seq') FROM generate_series(1, ?) ORDER BY 1`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
