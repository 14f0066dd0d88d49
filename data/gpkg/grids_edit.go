package gpkg

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/paulmach/orb"

	"citygrid/data"
)

// SplitUnitGrid replaces the unit grid code by parts, in one transaction:
// the old grid is retired (its code is never reused), the parts get the
// next unused sequences of the community, numbered in GB/T 30428.1 order
// (north→south by rows, west→east inside a row), and every component of
// the old grid moves to the part containing it (its representative point;
// a component on no part goes to whatever grid contains it). The parts
// must lie inside the old grid and cover it: their areas must sum to its
// area within 0.5 %.
func (s *Store) SplitUnitGrid(ctx context.Context, code string, parts []orb.MultiPolygon, m data.EditMeta) ([]data.Change, error) {
	return s.write(ctx, m, "", func(e *editTx) error { return data.SplitUnitGridIn(e, code, parts) })
}

// MergeUnitGrids replaces grids of one community by their union (shared
// edges dissolved) under the next unused sequence of the community, and
// moves their components to it, in one transaction.
func (s *Store) MergeUnitGrids(ctx context.Context, codes []string, m data.EditMeta) ([]data.Change, error) {
	return s.write(ctx, m, "", func(e *editTx) error { return data.MergeUnitGridsIn(e, codes) })
}

// UnitGrid reads one unit grid inside the transaction.
func (e *editTx) UnitGrid(code string) (*data.UnitGrid, error) {
	var blob []byte
	g := &data.UnitGrid{Code: code}
	err := e.tx.QueryRowContext(e.ctx, `SELECT geom, community, area_m2 FROM unit_grids WHERE code = ?`, code).Scan(&blob, &g.Community, &g.AreaM2)
	if err != nil {
		if isNoRows(err) {
			return nil, fmt.Errorf("unit grid %s: %w", code, data.ErrNotFound)
		}
		return nil, err
	}
	if g.Geometry, err = multiPolygon(blob); err != nil {
		return nil, fmt.Errorf("unit grid %s: %w", code, err)
	}
	return g, nil
}

// LastGridCode is the largest code a unit grid of the community ever
// had, stored or retired.
func (e *editTx) LastGridCode(community string) (string, error) {
	var a, b string
	if err := e.tx.QueryRowContext(e.ctx, `SELECT coalesce(max(code), '') FROM unit_grids WHERE community = ?`, community).Scan(&a); err != nil {
		return "", err
	}
	if err := e.tx.QueryRowContext(e.ctx, `SELECT coalesce(max(code), '') FROM citygrid_history WHERE layer = 'unit_grids' AND code LIKE ? || '%'`, community).Scan(&b); err != nil {
		return "", err
	}
	return max(a, b), nil
}

func (e *editTx) DeleteUnitGrid(g *data.UnitGrid) error {
	if err := e.exec(`DELETE FROM unit_grids WHERE code = ?`, g.Code); err != nil {
		return WriteError(err)
	}
	e.touched[data.LayerUnitGrids] = true
	return e.record(data.Change{Layer: data.LayerUnitGrids, Op: data.OpDelete, Code: g.Code, Version: 1, BeforeUnitGrid: g})
}

func (e *editTx) InsertUnitGrid(g *data.UnitGrid) error {
	if err := e.exec(`INSERT INTO unit_grids (geom, code, community, area_m2) VALUES (?, ?, ?, ?)`,
		AppendGeometry(nil, g.Geometry, SRSCGCS2000), g.Code, g.Community, g.AreaM2); err != nil {
		if isConstraint(err) {
			return fmt.Errorf("unit grid %s is already stored: %w", g.Code, data.ErrConflict)
		}
		return WriteError(err)
	}
	e.touched[data.LayerUnitGrids] = true
	return e.record(data.Change{Layer: data.LayerUnitGrids, Op: data.OpInsert, Code: g.Code, Version: 1, AfterUnitGrid: g})
}

// Reattribute moves the components of the retired grids to the new grids
// (data.ReattributeComponents).
func (e *editTx) Reattribute(retired []string, news []*data.UnitGrid) error {
	b, _ := json.Marshal(retired)
	l := loader{tx: e.tx, intern: map[string]string{}}
	var comps []data.Component
	if err := l.scanComponents(e.ctx, `WHERE unit_grid IN (SELECT value FROM json_each(?)) ORDER BY code`, []any{string(b)}, func(c *data.Component) {
		comps = append(comps, *c)
	}); err != nil {
		return err
	}
	return data.ReattributeComponents(comps, retired, news, e.ref, e.at, e.UpdateComponent)
}

// DefaultReason sets the history reason when the editor gave none.
func (e *editTx) DefaultReason(reason string) {
	if e.meta.Reason == "" {
		e.meta.Reason = reason
	}
}

var _ data.GridWriter = (*editTx)(nil)
