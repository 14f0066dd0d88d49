package caserow

import (
	"context"
	"fmt"

	"citygrid/data"
	"citygrid/data/cases"
)

// Allot readies h for writing in mode within the transaction db: it checks
// the history; a restore needs a store without cases and configuration;
// appended cases take the ids next allots for n cases.
func Allot(ctx context.Context, db DB, h *cases.History, mode cases.ImportMode, next func(ctx context.Context, db DB, n int) ([]int64, error)) error {
	if err := h.Check(mode); err != nil {
		return err
	}
	if mode == cases.RestoreHistory {
		var n int
		if err := db.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM case_cases) + (SELECT COUNT(*) FROM case_config)`).Scan(&n); err != nil {
			return fmt.Errorf("import cases: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("import cases: the store already holds cases or configuration: %w", data.ErrConflict)
		}
		return nil
	}
	ids, err := next(ctx, db, len(h.Cases))
	if err != nil {
		return fmt.Errorf("import cases: %w", err)
	}
	h.Renumber(ids)
	return nil
}

// Table is the rows of one case table a history writes.
type Table struct {
	Name    string
	Columns []string
	Rows    [][]any
}

// Tables are h's rows, table by table, in the order they can be written.
func Tables(h *cases.History) ([]Table, error) {
	caseRows := make([][]any, len(h.Cases))
	for i := range h.Cases {
		vals, err := CaseValues(&h.Cases[i])
		if err != nil {
			return nil, fmt.Errorf("import cases: %w", err)
		}
		caseRows[i] = vals
	}
	return []Table{
		{"case_cases", CaseColumns, caseRows},
		{"case_transitions", TransitionColumns, rowsOf(h.Transitions, TransitionValues)},
		{"case_attachments", AttachmentColumns, rowsOf(h.Attachments, AttachmentValues)},
		{"case_config", ConfigColumns, rowsOf(h.Configs, ConfigValues)},
	}, nil
}

// rowsOf is the rows of xs.
func rowsOf[T any](xs []T, values func(*T) []any) [][]any {
	out := make([][]any, len(xs))
	for i := range xs {
		out[i] = values(&xs[i])
	}
	return out
}
