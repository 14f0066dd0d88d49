package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"citygrid/data"
)

var _ data.Editor = (*Store)(nil)

// migrationEdit (migration 3) adds the stored survey changesets and
// grids_seq, the seq of the last unit-grid change: the reference layers
// an edit is checked against are cached per (MetaGeneration, grids_seq),
// so a grid split on one replica is seen by the next edit on every other.
const migrationEdit = `ALTER TABLE change_counter ADD COLUMN grids_seq bigint NOT NULL DEFAULT 0;
CREATE TABLE changesets (id text PRIMARY KEY, created_at timestamptz NOT NULL, "user" text NOT NULL, base_time text NOT NULL,
  status text NOT NULL, items jsonb NOT NULL, applied_at timestamptz);`

// refKey identifies a version of the reference layers.
type refKey struct {
	gen   string // MetaGeneration (imports)
	grids int64  // change_counter.grids_seq (grid edits)
}

// refCache keeps the reference layers edits are checked against, read
// once per refKey.
type refCache struct {
	mu  sync.Mutex
	key refKey
	ref *data.EditReference
}

// reference returns the reference layers as of key, reading them in tx
// when the cached ones are older.
func (s *Store) reference(ctx context.Context, tx pgx.Tx, key refKey) (*data.EditReference, error) {
	s.refs.mu.Lock()
	defer s.refs.mu.Unlock()
	if s.refs.ref != nil && s.refs.key == key {
		return s.refs.ref, nil
	}
	ds, err := s.loadIn(ctx, tx, false)
	if err != nil {
		return nil, err
	}
	r := data.NewEditReference(ds)
	s.refs.ref, s.refs.key = r, key
	return r, nil
}

// readKey reads the reference key inside tx.
func readKey(ctx context.Context, tx pgx.Tx) (refKey, error) {
	var k refKey
	err := tx.QueryRow(ctx, `SELECT grids_seq, coalesce((SELECT value FROM meta WHERE key = $1), '') FROM change_counter`, MetaGeneration).Scan(&k.grids, &k.gen)
	return k, err
}

// stored reads one component inside the transaction (nil: not stored).
func (w *writeTx) StoredComponent(code string) (*data.Component, error) {
	if w.preCode != "" && w.preCode == code && w.batch.Len() == 0 {
		w.preCode = "" // once: later reads see this transaction's writes
		return w.pre, nil
	}
	if err := w.flush(); err != nil {
		return nil, err
	}
	var out *data.Component
	err := scanComponentsErr(w.ctx, w.tx, `WHERE code = $1`, []any{code}, func(c *data.Component) error { cc := *c; out = &cc; return nil })
	return out, err
}

// LastVersion is the highest version code ever had (0: never stored). A
// changeset's plan answers from what StoredComponents read for its codes:
// a code assigned by nextCode was never used.
func (w *writeTx) LastVersion(code string) (int64, error) {
	if w.lastVersions != nil {
		return w.lastVersions[code], nil
	}
	var v int64
	err := w.tx.QueryRow(w.ctx, `SELECT coalesce(max(version), 0) FROM changes WHERE layer = 'components' AND code = $1`, code).Scan(&v)
	return v, err
}

// nextCode assigns the next free sequence of county+category (see
// data.NextComponentCode), counting deleted codes too.
func (w *writeTx) nextCode(county, category string, taken map[string]int) (string, error) {
	return data.NextComponentCode(county, category, taken, func(lo, hi string) (string, error) {
		var last string
		err := w.tx.QueryRow(w.ctx, `SELECT greatest(
  (SELECT coalesce(max(code), '') FROM components WHERE code BETWEEN $1 AND $2),
  (SELECT coalesce(max(code), '') FROM changes WHERE layer = 'components' AND code BETWEEN $1 AND $2))`, lo, hi).Scan(&last)
		return last, err
	})
}

// Prepare derives what the store owns (unit grid, code, change time) and
// checks the component; where names it in errors.
func (w *writeTx) Prepare(c *data.Component, where string, taken map[string]int) error {
	return w.ref.Prepare(c, where, w.at, func(county, category string) (string, error) {
		return w.nextCode(county, category, taken)
	})
}

func componentRow(c *data.Component) ([]any, error) {
	g, err := geomArg(c.Geometry)
	if err != nil {
		return nil, fmt.Errorf("component %s: geometry: %w", c.Code, err)
	}
	return []any{c.Code, c.Category, c.Name, c.Department, c.Owner, c.Maintainer, string(c.Status), c.UnitGrid,
		timeArg(c.SurveyDate), timeArg(c.ChangedAt), c.Version, c.Note, g}, nil
}

func (w *writeTx) InsertComponent(c *data.Component) error {
	args, err := componentRow(c)
	if err != nil {
		return err
	}
	w.batch.Queue(`INSERT INTO components (code, category, name, department, owner, maintainer, status, unit_grid, survey_date, changed_at,
version, note, geom) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, ST_GeomFromWKB($13, 4490))`, args...)
	return w.record(data.Change{Layer: data.LayerComponents, Op: data.OpInsert, Code: c.Code, Version: c.Version, AfterComponent: c})
}

// precondition is the answer of a conditional write that found another
// version than the one it read (a writer outside this store's protocol).
func precondition(code string, expected int64) func(pgconn.CommandTag) error {
	return func(ct pgconn.CommandTag) error {
		if ct.RowsAffected() != 1 {
			return &data.PreconditionError{Layer: data.LayerComponents, Code: code, Expected: expected, Exists: true}
		}
		return nil
	}
}

// UpdateComponent replaces before by c, on the condition (checked by
// PostgreSQL) that the stored row still has before's version.
func (w *writeTx) UpdateComponent(before, c *data.Component) error {
	args, err := componentRow(c)
	if err != nil {
		return err
	}
	w.batch.Queue(`UPDATE components SET code = $1, category = $2, name = $3, department = $4, owner = $5, maintainer = $6, status = $7,
unit_grid = $8, survey_date = $9, changed_at = $10, version = $11, note = $12, geom = ST_GeomFromWKB($13, 4490)
WHERE code = $14 AND version = $15`, append(args, before.Code, before.Version)...).Exec(precondition(before.Code, before.Version))
	return w.record(data.Change{Layer: data.LayerComponents, Op: data.OpUpdate, Code: c.Code, Version: c.Version, BeforeComponent: before, AfterComponent: c})
}

func (w *writeTx) DeleteComponent(before *data.Component) error {
	w.batch.Queue(`DELETE FROM components WHERE code = $1 AND version = $2`, before.Code, before.Version).Exec(precondition(before.Code, before.Version))
	return w.record(data.Change{Layer: data.LayerComponents, Op: data.OpDelete, Code: before.Code, Version: before.Version, BeforeComponent: before})
}

// CreateComponent stores a new component (see data.Editor).
func (s *Store) CreateComponent(ctx context.Context, c data.Component, m data.EditMeta) ([]data.Change, error) {
	return s.writeCode(ctx, m, "", c.Code, func(w *writeTx) error { return data.CreateComponentIn(w, c) })
}

// UpdateComponent replaces a stored component (see data.Editor).
func (s *Store) UpdateComponent(ctx context.Context, c data.Component, expected int64, m data.EditMeta) ([]data.Change, error) {
	return s.PatchComponent(ctx, c.Code, expected, data.ReplaceComponent(c), m)
}

// PatchComponent changes a stored component in one transaction (see
// data.Editor). The code cannot change.
func (s *Store) PatchComponent(ctx context.Context, code string, expected int64, patch func(*data.Component) error, m data.EditMeta) ([]data.Change, error) {
	return s.writeCode(ctx, m, "", code, func(w *writeTx) error { return data.PatchComponentIn(w, code, expected, patch) })
}

// DeleteComponent removes a stored component (see data.Editor).
func (s *Store) DeleteComponent(ctx context.Context, code string, expected int64, m data.EditMeta) ([]data.Change, error) {
	return s.writeCode(ctx, m, "", code, func(w *writeTx) error { return data.DeleteComponentIn(w, code, expected) })
}

// History lists the changes of one feature, oldest first.
func (s *Store) History(ctx context.Context, layer, code string) ([]data.HistoryEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, layer, code, op, version, at, "user", reason, changeset, before, after
FROM changes WHERE layer = $1 AND code = $2 ORDER BY seq`, layer, code)
	if err != nil {
		return nil, fmt.Errorf("pgstore: history of %s %s: %w", layer, code, err)
	}
	out, err := scanChanges(rows)
	if err != nil {
		return nil, fmt.Errorf("pgstore: history of %s %s: %w", layer, code, err)
	}
	if len(out) == 0 {
		table := data.LayerComponents
		if layer == data.LayerUnitGrids {
			table = data.LayerUnitGrids
		}
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE code = $1`, code).Scan(&n); err != nil {
			return nil, fmt.Errorf("pgstore: history of %s %s: %w", layer, code, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("%s %s: %w", layer, code, data.ErrNotFound)
		}
	}
	return out, nil
}

var errStopScan = errors.New("stop")

// ScanComponents streams stored components in code order (see
// data.Editor).
func (s *Store) ScanComponents(ctx context.Context, after, unitGrid, category string, fn func(*data.Component) bool) error {
	tail, args := `WHERE code > $1`, []any{after}
	if unitGrid != "" {
		args = append(args, unitGrid)
		tail += ` AND unit_grid = $` + strconv.Itoa(len(args))
	}
	if category != "" {
		args = append(args, category)
		tail += ` AND category = $` + strconv.Itoa(len(args))
	}
	err := scanComponentsErr(ctx, s.pool, tail+` ORDER BY code`, args, func(c *data.Component) error {
		if !fn(c) {
			return errStopScan
		}
		return nil
	})
	if errors.Is(err, errStopScan) {
		return nil
	}
	return err
}

// readTx runs fn in a repeatable-read read-only transaction.
func (s *Store) readTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// componentsAsOf reads the component layer (or only code) as it was at t
// (see data.AsOf).
func (s *Store) componentsAsOf(ctx context.Context, t time.Time, code string) ([]data.Component, error) {
	var out []data.Component
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		before, err := firstBefore(ctx, tx, data.LayerComponents, code, t)
		if err != nil {
			return err
		}
		then := make(map[string]*data.Component, len(before))
		for c, doc := range before {
			if then[c], err = parseComponentJSON(doc); err != nil {
				return err
			}
		}
		tail, args := `ORDER BY code`, []any(nil)
		if code != "" {
			tail, args = `WHERE code = $1`, []any{code}
		}
		out, err = data.FeaturesAsOf(then, componentCode, func(keep func(*data.Component)) error {
			return scanComponentsErr(ctx, tx, tail, args, func(c *data.Component) error { keep(c); return nil })
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: components as of %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return out, nil
}

// firstBefore reads, for every feature of layer (or only code, when not
// empty) changed after t, its state before the first of those changes
// (nil when that change created it).
func firstBefore(ctx context.Context, tx pgx.Tx, layer, code string, t time.Time) (map[string][]byte, error) {
	q := `SELECT DISTINCT ON (code) code, before FROM changes WHERE layer = $1 AND at > $2`
	args := []any{layer, t.UTC()}
	if code != "" {
		q += ` AND code = $3`
		args = append(args, code)
	}
	rows, err := tx.Query(ctx, q+` ORDER BY code, seq`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var c string
		var before []byte
		if err := rows.Scan(&c, &before); err != nil {
			return nil, err
		}
		out[c] = before
	}
	return out, rows.Err()
}

func componentCode(c *data.Component) string { return c.Code }
