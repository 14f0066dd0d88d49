package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
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

// LastGridSequence is the highest sequence a unit grid of the community
// ever had, stored or retired.
func (w *writeTx) LastGridSequence(community string) (int, error) {
	var last string
	if err := w.tx.QueryRow(w.ctx, `SELECT greatest(
  (SELECT coalesce(max(code), '') FROM unit_grids WHERE community = $1),
  (SELECT coalesce(max(code), '') FROM changes WHERE layer = 'unit_grids' AND starts_with(code, $1)))`, community).Scan(&last); err != nil {
		return 0, err
	}
	if len(last) <= len(community) {
		return 0, nil
	}
	n, err := strconv.Atoi(last[len(community):])
	if err != nil {
		return 0, fmt.Errorf("unit grid code %s: %w", last, err)
	}
	return n, nil
}

func (w *writeTx) DeleteUnitGrid(g *data.UnitGrid) error {
	w.batch.Queue(`DELETE FROM unit_grids WHERE code = $1`, g.Code)
	w.grids = true
	return w.record(data.Change{Layer: layerUnitGrids, Op: data.OpDelete, Code: g.Code, Version: 1, BeforeUnitGrid: g})
}

func (w *writeTx) InsertUnitGrid(g *data.UnitGrid) error {
	b, err := geomArg(g.Geometry)
	if err != nil {
		return fmt.Errorf("unit grid %s: %w", g.Code, err)
	}
	w.batch.Queue(`INSERT INTO unit_grids (code, community, area_m2, geom) VALUES ($1, $2, $3, ST_GeomFromWKB($4, 4490))`,
		g.Code, g.Community, g.AreaM2, b)
	w.grids = true
	return w.record(data.Change{Layer: layerUnitGrids, Op: data.OpInsert, Code: g.Code, Version: 1, AfterUnitGrid: g})
}

// Reattribute moves the components of the retired grids to the new grid
// containing them; one on none goes to any other grid containing it, one
// on the parts' seams to the nearest part.
func (w *writeTx) Reattribute(retired []string, news []*data.UnitGrid) error {
	if err := w.flush(); err != nil {
		return err
	}
	gone := map[string]bool{}
	for _, c := range retired {
		gone[c] = true
	}
	var comps []data.Component
	if err := scanComponentsErr(w.ctx, w.tx, `WHERE unit_grid = ANY($1) ORDER BY code`, []any{retired}, func(c *data.Component) error {
		comps = append(comps, *c)
		return nil
	}); err != nil {
		return err
	}
	elsewhere := func(p orb.Point) string { return w.ref.GridAt(p, gone) }
	for i := range comps {
		cur := &comps[i]
		target := data.ReattributeTo(cur.Geometry, news, elsewhere)
		next := *cur
		next.UnitGrid, next.ChangedAt, next.Version = target, w.at, cur.Version+1
		if err := w.updateComponent(cur, &next); err != nil {
			return err
		}
	}
	return nil
}

// UnitGridsAsOf reads the unit-grid layer as it was at t: the current
// grids, with every grid changed after t put back as it was before its
// first change after t (retired grids come back, grids created since are
// left out); imported grids count as present since the store began. The
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
	var out []data.UnitGrid
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		before, err := firstBefore(ctx, tx, layerUnitGrids, code, t)
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
				continue
			}
			geom, err := decodeGeom(b)
			if err != nil {
				return fmt.Errorf("unit grid %s: %w", g.Code, err)
			}
			g.Geometry, _ = geom.(orb.MultiPolygon)
			out = append(out, g)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, g := range then {
			if g != nil {
				out = append(out, *g)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: unit grids as of %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// DefaultReason sets the history reason when the editor gave none.
func (w *writeTx) DefaultReason(reason string) {
	if w.meta.Reason == "" {
		w.meta.Reason = reason
	}
}

var _ data.GridWriter = (*writeTx)(nil)
