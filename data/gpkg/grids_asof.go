package gpkg

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"citygrid/data"
)

var _ data.UnitGridHistory = (*Store)(nil)

// UnitGridsAsOf reads the unit-grid layer as it was at t: the current
// grids, with every grid changed after t (split, merged, or created by a
// split or merge) put back as it was before its first change after t —
// retired grids come back, grids created since are left out. Grids
// imported (not edited) count as present since the store began. The
// answer is in code order.
func (s *Store) UnitGridsAsOf(ctx context.Context, t time.Time) ([]data.UnitGrid, error) {
	return s.gridsAsOf(ctx, t, "")
}

// UnitGridAsOf reads one unit grid as it was at t (ErrNotFound when it
// did not exist then).
func (s *Store) UnitGridAsOf(ctx context.Context, code string, t time.Time) (data.UnitGrid, error) {
	gs, err := s.gridsAsOf(ctx, t, code)
	if err != nil {
		return data.UnitGrid{}, err
	}
	if len(gs) == 0 {
		return data.UnitGrid{}, fmt.Errorf("unit grid %s as of %s: %w", code, t.UTC().Format(time.RFC3339), data.ErrNotFound)
	}
	return gs[0], nil
}

func (s *Store) gridsAsOf(ctx context.Context, t time.Time, code string) ([]data.UnitGrid, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	before, err := firstBefore(ctx, tx, "unit_grids", code, t)
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
	var out []data.UnitGrid
	for _, g := range now.UnitGrids {
		if _, changed := then[g.Code]; changed || (code != "" && g.Code != code) {
			continue
		}
		out = append(out, g)
	}
	for _, g := range then {
		if g != nil {
			out = append(out, *g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
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
