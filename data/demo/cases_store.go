package demo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"citygrid/data/cases"
)

// CaseImporter is a case store that takes a generated history in bulk,
// in one transaction, with its own SQL (the server's board uses it to
// store the demo history in a case store other than the GeoPackage's
// SQLite tables, which StoreCases writes). Like StoreCases it renumbers
// the ids to follow the store's largest, updating cs and trs in place,
// and writes nothing on error; it assigns no new Number, Version or Seq
// and calls no change listener.
type CaseImporter interface {
	ImportCases(ctx context.Context, cs []cases.Case, trs []cases.Transition) error
}

// StoreCases writes a generated case history into the workflow's case
// tables (the schema of cases.NewSQLStore, which it applies first) in one
// transaction with prepared statements: tens of thousands of cases and
// their transitions in a second or two, where one Create per case would
// take minutes. Ids are renumbered to follow the store's largest (the
// slices are updated in place), so a history added to a store that already
// took live cases does not collide with them. Nothing is written on error.
func StoreCases(ctx context.Context, db *sql.DB, cs []cases.Case, trs []cases.Transition) error {
	if _, err := cases.NewSQLStore(ctx, db); err != nil {
		return fmt.Errorf("store demo cases: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store demo cases: %w", err)
	}
	defer tx.Rollback()
	var maxID int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM case_cases`).Scan(&maxID); err != nil {
		return fmt.Errorf("store demo cases: %w", err)
	}
	newID := make(map[int64]int64, len(cs))
	for i := range cs {
		newID[cs[i].ID] = maxID + int64(i) + 1
	}
	insCase, err := tx.PrepareContext(ctx, `INSERT INTO case_cases(id, number, state, kind, category, source, unit, street, community,
		unit_grid, dispatcher, reporter, lon, lat, reported_at, updated_at, due_at, version, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store demo cases: %w", err)
	}
	defer insCase.Close()
	insTr, err := tx.PrepareContext(ctx, `INSERT INTO case_transitions(case_id, seq, at, action, from_state, to_state, user, role, unit, note, step_due_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store demo cases: %w", err)
	}
	defer insTr.Close()
	for i := range cs {
		c := &cs[i]
		c.ID = newID[c.ID]
		c.Lon, c.Lat = c.Point[0], c.Point[1]
		doc, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("store demo case %s: %w", c.Number, err)
		}
		var due any
		if c.DueAt != nil {
			due = c.DueAt.UnixMilli()
		}
		if _, err := insCase.ExecContext(ctx, c.ID, c.Number, c.State, c.Kind, c.Category, c.Source, c.Unit, c.Street, c.Community,
			c.UnitGrid, c.Dispatcher, c.Reporter, c.Point[0], c.Point[1], c.ReportedAt.UnixMilli(), c.UpdatedAt.UnixMilli(), due,
			c.Version, string(doc)); err != nil {
			return fmt.Errorf("store demo case %s: %w", c.Number, err)
		}
	}
	for i := range trs {
		t := &trs[i]
		id, ok := newID[t.CaseID]
		if !ok {
			return fmt.Errorf("store demo cases: transition of unknown case %d", t.CaseID)
		}
		t.CaseID = id
		var stepDue any
		if t.StepDueAt != nil {
			stepDue = t.StepDueAt.UnixMilli()
		}
		if _, err := insTr.ExecContext(ctx, t.CaseID, t.Seq, t.At.UnixMilli(), t.Action, t.From, t.To, t.User, t.Role, t.Unit, t.Note, stepDue); err != nil {
			return fmt.Errorf("store transition %d of demo case %d: %w", t.Seq, t.CaseID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store demo cases: %w", err)
	}
	return nil
}
