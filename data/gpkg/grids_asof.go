package gpkg

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"citygrid/data"
)

var _ data.UnitGridHistory = (*Store)(nil)

// gridsAsOf reads the unit-grid layer (or only code) as it was at t (see
// data.AsOf).
func (s *Store) gridsAsOf(ctx context.Context, t time.Time, code string) ([]data.UnitGrid, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	before, err := firstBefore(ctx, tx, data.LayerUnitGrids, code, t)
	if err != nil {
		return nil, fmt.Errorf("unit grids as of %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	then := make(map[string]*data.UnitGrid, len(before))
	for c, doc := range before {
		g, err := parseUnitGridJSON(doc)
		if err != nil {
			return nil, err
		}
		then[c] = g
	}
	l := loader{tx: tx, intern: map[string]string{}}
	var now data.Dataset
	if err := l.unitGrids(ctx, &now); err != nil {
		return nil, fmt.Errorf("unit grids as of %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return data.FeaturesAsOf(then, gridCode, func(keep func(*data.UnitGrid)) error {
		for i := range now.UnitGrids {
			if code == "" || now.UnitGrids[i].Code == code {
				keep(&now.UnitGrids[i])
			}
		}
		return nil
	})
}

// firstBefore reads, for every feature of layer (or only code, when not
// empty) changed after t, its state before the first of those changes:
// the history row's before column, NULL when that change created it.
func firstBefore(ctx context.Context, tx *sql.Tx, layer, code string, t time.Time) (map[string]sql.NullString, error) {
	q := `SELECT code, before FROM citygrid_history WHERE layer = ? AND at > ?`
	args := []any{layer, t.UTC().Format(timestampFormat)}
	if code != "" {
		q += ` AND code = ?`
		args = append(args, code)
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]sql.NullString{}
	for rows.Next() {
		var c string
		var before sql.NullString
		if err := rows.Scan(&c, &before); err != nil {
			return nil, err
		}
		if _, seen := out[c]; !seen {
			out[c] = before
		}
	}
	return out, rows.Err()
}

func gridCode(g *data.UnitGrid) string { return g.Code }
