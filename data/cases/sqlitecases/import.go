package sqlitecases

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/internal/caserow"
)

// ImportHistory writes h in one transaction with prepared statements:
// tens of thousands of cases and their transitions in a second or two.
// Appended cases take the ids after the store's largest.
func (s *Store) ImportHistory(ctx context.Context, h *cases.History, mode cases.ImportMode) error {
	if err := h.Check(mode); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("import cases: %w", err)
	}
	defer tx.Rollback()
	if err := allot(ctx, tx, h, mode); err != nil {
		return err
	}
	tables := []struct {
		table string
		cols  []string
		n     int
		row   func(i int) ([]any, error)
	}{
		{"case_cases", caserow.CaseColumns, len(h.Cases), func(i int) ([]any, error) { return caserow.CaseValues(&h.Cases[i]) }},
		{"case_transitions", caserow.TransitionColumns, len(h.Transitions), func(i int) ([]any, error) { return caserow.TransitionValues(&h.Transitions[i]), nil }},
		{"case_attachments", caserow.AttachmentColumns, len(h.Attachments), func(i int) ([]any, error) { return caserow.AttachmentValues(&h.Attachments[i]), nil }},
		{"case_config", caserow.ConfigColumns, len(h.Configs), func(i int) ([]any, error) { return caserow.ConfigValues(&h.Configs[i]), nil }},
	}
	for _, t := range tables {
		if err := insertAll(ctx, tx, t.table, t.cols, t.n, t.row); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("import cases: %w", err)
	}
	return nil
}

// allot gives appended cases the ids after the store's largest; a restore
// keeps them but needs a store without cases and configuration.
func allot(ctx context.Context, tx *sql.Tx, h *cases.History, mode cases.ImportMode) error {
	if mode == cases.RestoreHistory {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM case_cases) + (SELECT COUNT(*) FROM case_config)`).Scan(&n); err != nil {
			return fmt.Errorf("import cases: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("import cases: the store already holds cases or configuration: %w", data.ErrConflict)
		}
		return nil
	}
	var maxID int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM case_cases`).Scan(&maxID); err != nil {
		return fmt.Errorf("import cases: %w", err)
	}
	ids := make([]int64, len(h.Cases))
	for i := range ids {
		ids[i] = maxID + int64(i) + 1
	}
	h.Renumber(ids)
	return nil
}

// insertAll inserts n rows into table through one prepared statement.
func insertAll(ctx context.Context, tx *sql.Tx, table string, cols []string, n int, row func(i int) ([]any, error)) error {
	if n == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO `+table+`(`+caserow.Columns(cols)+`) VALUES (`+caserow.Placeholders(len(cols))+`)`)
	if err != nil {
		return fmt.Errorf("import %s: %w", table, err)
	}
	defer st.Close()
	for i := range n {
		vals, err := row(i)
		if err == nil {
			_, err = st.ExecContext(ctx, vals...)
		}
		if err != nil && strings.Contains(err.Error(), "UNIQUE") {
			return fmt.Errorf("import %s row %d: %v: %w", table, i+1, err, data.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("import %s row %d: %w", table, i+1, err)
		}
	}
	return nil
}
