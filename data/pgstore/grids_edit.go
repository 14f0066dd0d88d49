package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"citygrid/data"
)

var _ data.UnitGridHistory = (*Store)(nil)

// SplitUnitGrid replaces the unit grid code by parts in one transaction,
// as the GeoPackage store does: the old grid is retired (its code never
// reused), the parts take the next unused sequences of the community in
// GB/T 30428.1 order (north→south by rows, west→east in a row), and every
// component of the old grid moves to the part containing it. The parts
// must lie inside the old grid and cover it (areas summing to its area
// within 0.5 %).
func (s *Store) SplitUnitGrid(ctx context.Context, code string, parts []orb.MultiPolygon, m data.EditMeta) ([]data.Change, error) {
	return s.write(ctx, m, "", func(w *writeTx) error { return data.SplitUnitGridIn(w, code, parts) })
}

// MergeUnitGrids replaces grids of one community by their union (shared
// edges dissolved) under the next unused sequence of the community and
// moves their components to it, in one transaction.
func (s *Store) MergeUnitGrids(ctx context.Context, codes []string, m data.EditMeta) ([]data.Change, error) {
	return s.write(ctx, m, "", func(w *writeTx) error { return data.MergeUnitGridsIn(w, codes) })
}

// UnitGrid reads one unit grid inside the transaction.
func (w *writeTx) UnitGrid(code string) (*data.UnitGrid, error) {
	if err := w.flush(); err != nil {
		return nil, err
	}
	g := &data.UnitGrid{Code: code}
	var b []byte
	err := w.tx.QueryRow(w.ctx, `SELECT community, area_m2, ST_AsBinary(geom) FROM unit_grids WHERE code = $1`, code).Scan(&g.Community, &g.AreaM2, &b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("unit grid %s: %w", code, data.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	geom, err := decodeGeom(b)
	if err != nil {
		return nil, fmt.Errorf("unit grid %s: %w", code, err)
	}
	mp, ok := geom.(orb.MultiPolygon)
	if !ok {
		return nil, fmt.Errorf("unit grid %s: geometry is not a MultiPolygon", code)
	}
	g.Geometry = mp
	return g, nil
}

// LastGridCode is the largest code a unit grid of the community ever
// had, stored or retired.
func (w *writeTx) LastGridCode(community string) (string, error) {
	var last string
	err := w.tx.QueryRow(w.ctx, `SELECT greatest(
  (SELECT coalesce(max(code), '') FROM unit_grids WHERE community = $1),
  (SELECT coalesce(max(code), '') FROM changes WHERE layer = 'unit_grids' AND starts_with(code, $1)))`, community).Scan(&last)
	return last, err
}

func (w *writeTx) DeleteUnitGrid(g *data.UnitGrid) error {
	w.batch.Queue(`DELETE FROM unit_grids WHERE code = $1`, g.Code)
	w.grids = true
	return w.record(data.Change{Layer: data.LayerUnitGrids, Op: data.OpDelete, Code: g.Code, Version: 1, BeforeUnitGrid: g})
}

func (w *writeTx) InsertUnitGrid(g *data.UnitGrid) error {
	b, err := geomArg(g.Geometry)
	if err != nil {
		return fmt.Errorf("unit grid %s: %w", g.Code, err)
	}
	w.batch.Queue(`INSERT INTO unit_grids (code, community, area_m2, geom) VALUES ($1, $2, $3, ST_GeomFromWKB($4, 4490))`,
		g.Code, g.Community, g.AreaM2, b)
	w.grids = true
	return w.record(data.Change{Layer: data.LayerUnitGrids, Op: data.OpInsert, Code: g.Code, Version: 1, AfterUnitGrid: g})
}

// Reattribute moves the components of the retired grids to the new grids
// (data.ReattributeComponents).
func (w *writeTx) Reattribute(retired []string, news []*data.UnitGrid) error {
	if err := w.flush(); err != nil {
		return err
	}
	var comps []data.Component
	if err := scanComponentsErr(w.ctx, w.tx, `WHERE unit_grid = ANY($1) ORDER BY code`, []any{retired}, func(c *data.Component) error {
		comps = append(comps, *c)
		return nil
	}); err != nil {
		return err
	}
	return data.ReattributeComponents(comps, retired, news, w.ref, w.at, w.UpdateComponent)
}

// gridsAsOf reads the unit-grid layer (or only code) as it was at t (see
// data.AsOf).
func (s *Store) gridsAsOf(ctx context.Context, t time.Time, code string) ([]data.UnitGrid, error) {
	var out []data.UnitGrid
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		before, err := firstBefore(ctx, tx, data.LayerUnitGrids, code, t)
		if err != nil {
			return err
		}
		then := make(map[string]*data.UnitGrid, len(before))
		for c, doc := range before {
			if then[c], err = parseUnitGridJSON(doc); err != nil {
				return err
			}
		}
		q, args := `SELECT code, community, area_m2, ST_AsBinary(geom) FROM unit_grids`, []any(nil)
		if code != "" {
			q, args = q+` WHERE code = $1`, []any{code}
		}
		out, err = data.FeaturesAsOf(then, gridCode, func(keep func(*data.UnitGrid)) error {
			rows, err := tx.Query(ctx, q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var g data.UnitGrid
				var b []byte
				if err := rows.Scan(&g.Code, &g.Community, &g.AreaM2, &b); err != nil {
					return err
				}
				if _, changed := then[g.Code]; changed {
					continue // not decoded: its earlier state replaces it
				}
				geom, err := decodeGeom(b)
				if err != nil {
					return fmt.Errorf("unit grid %s: %w", g.Code, err)
				}
				g.Geometry, _ = geom.(orb.MultiPolygon)
				keep(&g)
			}
			return rows.Err()
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: unit grids as of %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return out, nil
}

// DefaultReason sets the history reason when the editor gave none.
func (w *writeTx) DefaultReason(reason string) {
	if w.meta.Reason == "" {
		w.meta.Reason = reason
	}
}

var _ data.GridWriter = (*writeTx)(nil)

func gridCode(g *data.UnitGrid) string { return g.Code }
