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
	if err := h.Check(mode); err != nil {
		return err
	}
	if len(h.Cases) == 0 && len(h.Configs) == 0 {
		return nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := allot(ctx, tx, h, mode); err != nil {
			return err
		}
		caseRows := make([][]any, len(h.Cases))
		for i := range h.Cases {
			vals, err := caserow.CaseValues(&h.Cases[i])
			if err != nil {
				return err
			}
			caseRows[i] = vals
		}
		copies := []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"case_cases", caserow.CaseColumns, caseRows},
			{"case_transitions", caserow.TransitionColumns, rowsOf(h.Transitions, caserow.TransitionValues)},
			{"case_attachments", caserow.AttachmentColumns, rowsOf(h.Attachments, caserow.AttachmentValues)},
			{"case_config", caserow.ConfigColumns, rowsOf(h.Configs, caserow.ConfigValues)},
		}
		for _, c := range copies {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
				if isUnique(err) {
					return fmt.Errorf("%s: %v: %w", c.table, err, data.ErrConflict)
				}
				return fmt.Errorf("%s: %w", c.table, err)
			}
		}
		if mode == cases.RestoreHistory {
			if _, err := tx.Exec(ctx, `SELECT setval('case_cases_id_seq', COALESCE((SELECT MAX(id) FROM case_cases), 0) + 1, false),
				setval('case_attachments_id_seq', COALESCE((SELECT MAX(id) FROM case_attachments), 0) + 1, false)`); err != nil {
				return err
			}
		}
		// Followers reload (ListenRemote ends with ErrReload).
		_, err := tx.Exec(ctx, `SELECT pg_notify($1, 'reload')`, s.channel)
		return err
	})
	if err != nil {
		return fmt.Errorf("import cases: %w", err)
	}
	return nil
}

// allot takes ids for appended cases from the case sequence; a restore
// keeps them but needs a store without cases and configuration.
func allot(ctx context.Context, tx pgx.Tx, h *cases.History, mode cases.ImportMode) error {
	if mode == cases.RestoreHistory {
		var n int
		if err := tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM case_cases) + (SELECT COUNT(*) FROM case_config)`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("the store already holds cases or configuration: %w", data.ErrConflict)
		}
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT nextval('case_cases_id_seq') FROM generate_series(1, $1) ORDER BY 1`, len(h.Cases))
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	h.Renumber(ids)
	return nil
}

// rowsOf is the rows of xs for COPY.
func rowsOf[T any](xs []T, values func(*T) []any) [][]any {
	out := make([][]any, len(xs))
	for i := range xs {
		out[i] = values(&xs[i])
	}
	return out
}
