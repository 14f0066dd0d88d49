package cases

import (
	"context"
	"encoding/json"
	"fmt"

	"citygrid/data"

	"github.com/jackc/pgx/v5"
)

// ConfigNames are the configuration documents the workflow keeps
// (deadline table, working-time calendar, settings).
var ConfigNames = []string{"calendar", "deadlines", "settings"}

// CopyStats counts what CopyFrom copied.
type CopyStats struct {
	Cases, Transitions, Attachments, ConfigVersions int
}

// CopyFrom copies every case of src (e.g. the SQLite case tables of a
// GeoPackage moving to PostgreSQL) into s, which must hold no case: cases
// keep their ids, numbers and versions, with their transitions (step
// deadlines included), attachment records (the files stay in the
// uploads directory, which moves with --dir) and every version of the
// configuration documents names (nil: ConfigNames). One transaction; the
// id sequences continue after the copied ids. Notification records are
// not copied (a due notification may be sent once more) and neither are
// API tokens (only their hashes are stored: issue new ones).
func (s *PGStore) CopyFrom(ctx context.Context, src ServerStore, names []string) (CopyStats, error) {
	if names == nil {
		names = ConfigNames
	}
	var st CopyStats
	var caseRows, trRows, attRows [][]any
	err := src.All(ctx, func(c *Case) bool {
		doc, err := json.Marshal(c)
		if err != nil {
			return false
		}
		caseRows = append(caseRows, []any{c.ID, c.Number, string(c.State), string(c.Kind), c.Category, string(c.Source), c.Unit, c.Street, c.Community, c.UnitGrid, c.Dispatcher, c.Reporter,
			c.Point[0], c.Point[1], ms(c.ReportedAt), ms(c.UpdatedAt), msPtr(c.DueAt), c.Version, string(doc)})
		return true
	})
	if err != nil {
		return st, fmt.Errorf("copy cases: %w", err)
	}
	for _, r := range caseRows {
		id := r[0].(int64)
		ts, err := src.Transitions(ctx, id)
		if err != nil {
			return st, fmt.Errorf("copy cases: %w", err)
		}
		for _, t := range ts {
			trRows = append(trRows, []any{t.CaseID, int32(t.Seq), ms(t.At), t.Action, string(t.From), string(t.To), t.User, string(t.Role), t.Unit, t.Note, msPtr(t.StepDueAt)})
		}
		as, err := src.Attachments(ctx, id)
		if err != nil {
			return st, fmt.Errorf("copy cases: %w", err)
		}
		for _, a := range as {
			attRows = append(attRows, []any{a.ID, a.CaseID, a.Name, a.Type, a.Size, a.SHA256, string(a.Stage), a.User, ms(a.Uploaded)})
		}
	}
	var cfgRows [][]any
	for _, name := range names {
		vs, err := src.ConfigVersions(ctx, name)
		if err != nil {
			return st, fmt.Errorf("copy config %s: %w", name, err)
		}
		for _, v := range vs {
			d, err := src.Config(ctx, name, v.Version)
			if err != nil {
				return st, fmt.Errorf("copy config %s: %w", name, err)
			}
			cfgRows = append(cfgRows, []any{name, d.Version, string(d.Body), d.User, ms(d.At)})
		}
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM case_cases) + (SELECT COUNT(*) FROM case_config)`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("the destination already holds cases or configuration: %w", data.ErrConflict)
		}
		copies := []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"case_cases", []string{"id", "number", "state", "kind", "category", "source", "unit", "street", "community", "unit_grid", "dispatcher", "reporter",
				"lon", "lat", "reported_at", "updated_at", "due_at", "version", "doc"}, caseRows},
			{"case_transitions", []string{"case_id", "seq", "at", "action", "from_state", "to_state", "user", "role", "unit", "note", "step_due_at"}, trRows},
			{"case_attachments", []string{"id", "case_id", "name", "type", "size", "sha256", "stage", "user", "uploaded"}, attRows},
			{"case_config", []string{"name", "version", "body", "user", "at"}, cfgRows},
		}
		for _, c := range copies {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
				return fmt.Errorf("%s: %w", c.table, err)
			}
		}
		_, err := tx.Exec(ctx, `SELECT setval('case_cases_id_seq', COALESCE((SELECT MAX(id) FROM case_cases), 0) + 1, false),
			setval('case_attachments_id_seq', COALESCE((SELECT MAX(id) FROM case_attachments), 0) + 1, false)`)
		return err
	})
	if err != nil {
		return st, fmt.Errorf("copy cases: %w", err)
	}
	st = CopyStats{Cases: len(caseRows), Transitions: len(trRows), Attachments: len(attRows), ConfigVersions: len(cfgRows)}
	return st, nil
}
