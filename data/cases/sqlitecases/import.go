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
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("import cases: %w", err)
	}
	defer tx.Rollback()
	if err := caserow.Allot(ctx, sqlDB{tx}, h, mode, nextIDs); err != nil {
		return err
	}
	tables, err := caserow.Tables(h)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if err := insertAll(ctx, tx, t); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("import cases: %w", err)
	}
	return nil
}

// nextIDs are the n ids after the largest.
func nextIDs(ctx context.Context, db caserow.DB, n int) ([]int64, error) {
	var last int64
	if err := db.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM case_cases`).Scan(&last); err != nil {
		return nil, err
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = last + int64(i) + 1
	}
	return ids, nil
}

// insertAll inserts a table's rows through one prepared statement.
func insertAll(ctx context.Context, tx *sql.Tx, t caserow.Table) error {
	if len(t.Rows) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO `+t.Name+`(`+caserow.Columns(t.Columns)+`) VALUES (`+caserow.Placeholders(len(t.Columns))+`)`)
	if err != nil {
		return fmt.Errorf("import %s: %w", t.Name, err)
	}
	defer st.Close()
	for i, row := range t.Rows {
		_, err := st.ExecContext(ctx, row...)
		if isUnique(err) {
			return fmt.Errorf("import %s row %d: %v: %w", t.Name, i+1, err, data.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("import %s row %d: %w", t.Name, i+1, err)
		}
	}
	return nil
}

// isUnique reports whether err is a violated UNIQUE constraint (a case
// number taken already).
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
