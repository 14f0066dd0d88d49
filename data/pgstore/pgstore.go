// Package pgstore is a PostgreSQL + PostGIS implementation of data.Store,
// for cities served by several citygrid replicas sharing one database. The
// embedded GeoPackage (data/gpkg) stays the default store.
//
// The schema has the meaning of the GeoPackage one: one table per layer,
// geometry in PostGIS types (EPSG:4490, CGCS2000) with GiST indexes, rows
// kept in insertion order (fid), a metadata table, and versioned
// migrations recorded in store_schema and applied under an advisory lock,
// so replicas starting together migrate once.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"citygrid/data"
)

// SRID is the spatial reference of stored geometry: CGCS2000 lon/lat.
const SRID = 4490

// MetaGeneration is the metadata key counting committed inserts, as in the
// GeoPackage store.
const MetaGeneration = "store.generation"

// Options tune Open.
type Options struct {
	// Schema holds the store's tables; created when missing. Default
	// "citygrid_store".
	Schema string
}

// Store is a city in PostgreSQL + PostGIS. It is safe for concurrent use.
type Store struct {
	data.AsOf // the as-of reads, over componentsAsOf and gridsAsOf
	pool      *pgxpool.Pool
	schema    string
	refs      refCache // reference layers edits are checked against
}

var _ data.Store = (*Store)(nil)

var ident = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// migrations are applied in order; migration i brings the schema to
// version i+1. Never edit an applied one: append.
var migrations = []string{
	`CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE admin_units (fid bigserial, level text NOT NULL, code text PRIMARY KEY, name text NOT NULL, parent text NOT NULL,
  geom geometry(MultiPolygon, 4490));
CREATE INDEX admin_units_geom_idx ON admin_units USING gist (geom);
CREATE TABLE unit_grids (fid bigserial, code text PRIMARY KEY, community text NOT NULL, area_m2 double precision NOT NULL,
  geom geometry(MultiPolygon, 4490));
CREATE INDEX unit_grids_geom_idx ON unit_grids USING gist (geom);
CREATE TABLE management_grids (fid bigserial, kind text NOT NULL, code text NOT NULL, name text NOT NULL, unit text NOT NULL,
  geom geometry(MultiPolygon, 4490), PRIMARY KEY (kind, code));
CREATE INDEX management_grids_geom_idx ON management_grids USING gist (geom);
CREATE TABLE categories (fid bigserial, scheme text NOT NULL, kind text NOT NULL, code text NOT NULL, name text NOT NULL,
  big text NOT NULL, big_name text NOT NULL, geometry text NOT NULL, department text NOT NULL, deadline_class text NOT NULL,
  PRIMARY KEY (kind, code));
CREATE TABLE departments (fid bigserial, code text PRIMARY KEY, name text NOT NULL, credit_code text NOT NULL, parent text NOT NULL, kind text NOT NULL);
CREATE TABLE components (fid bigserial, code text PRIMARY KEY, category text NOT NULL, name text NOT NULL, department text NOT NULL,
  owner text NOT NULL, maintainer text NOT NULL, status text NOT NULL, unit_grid text NOT NULL, survey_date timestamptz,
  changed_at timestamptz, version bigint NOT NULL, note text NOT NULL, geom geometry(Geometry, 4490));
CREATE INDEX components_geom_idx ON components USING gist (geom);
CREATE INDEX components_category_idx ON components (category);
CREATE TABLE roads (fid bigserial, code text PRIMARY KEY, name text NOT NULL, district text NOT NULL, geom geometry(MultiLineString, 4490));
CREATE INDEX roads_geom_idx ON roads USING gist (geom);
CREATE TABLE addresses (fid bigserial, code text PRIMARY KEY, road text NOT NULL, number text NOT NULL, full_address text NOT NULL,
  community text NOT NULL, geom geometry(Point, 4490));
CREATE INDEX addresses_geom_idx ON addresses USING gist (geom);
CREATE TABLE pois (fid bigserial, code text PRIMARY KEY, name text NOT NULL, kind text NOT NULL, landmark boolean NOT NULL, geom geometry(Point, 4490));
CREATE INDEX pois_geom_idx ON pois USING gist (geom);
CREATE TABLE rules (id bigint PRIMARY KEY, category text NOT NULL, kind text NOT NULL, scope text NOT NULL, scope_ref text NOT NULL,
  unit text NOT NULL, priority integer NOT NULL, note text NOT NULL);`,
	migrationChangeLog,
	migrationEdit,
}

// Open connects to the database at url (postgres://...), creates the
// schema when missing and applies pending migrations. A schema newer than
// this binary knows is refused.
func Open(ctx context.Context, url string, opt Options) (*Store, error) {
	schema := opt.Schema
	if schema == "" {
		schema = "citygrid_store"
	}
	if !ident.MatchString(schema) {
		return nil, fmt.Errorf("pgstore: schema %q: want a lower-case SQL identifier", schema)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema + ", public"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := &Store{pool: pool, schema: schema}
	s.AsOf = data.AsOf{Components: s.componentsAsOf, UnitGrids: s.gridsAsOf}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// SchemaVersion is the number of migrations this binary knows.
func SchemaVersion() int { return len(migrations) }

func (s *Store) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// One migrator at a time across replicas and schemas. PostGIS
		// goes into public, shared by every store schema of the database
		// (created inside a store schema it would go when that is dropped).
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('citygrid pgstore'))`); err != nil {
			return fmt.Errorf("pgstore: migrate: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public`); err != nil {
			return fmt.Errorf("pgstore: postgis: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+s.schema+`;
CREATE TABLE IF NOT EXISTS `+s.schema+`.store_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("pgstore: migrate: %w", err)
		}
		var v int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+s.schema+`.store_schema`).Scan(&v); err != nil {
			return fmt.Errorf("pgstore: migrate: %w", err)
		}
		if v > len(migrations) {
			return fmt.Errorf("pgstore: schema %s is at version %d, newer than this citygrid knows (%d): upgrade citygrid", s.schema, v, len(migrations))
		}
		for i := v; i < len(migrations); i++ {
			if _, err := tx.Exec(ctx, `SET LOCAL search_path = `+s.schema+`, public`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("pgstore: migration %d: %w", i+1, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+s.schema+`.store_schema (version) VALUES ($1)`, i+1); err != nil {
				return fmt.Errorf("pgstore: migration %d: %w", i+1, err)
			}
		}
		return nil
	})
}

// Close releases the connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Meta reads a metadata value ("" when unset).
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("pgstore: meta %s: %w", key, err)
	}
	return v, nil
}

// SetMeta writes a metadata value.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("pgstore: set meta %s: %w", key, err)
	}
	return nil
}

// geomArg is a geometry as WKB for ST_GeomFromWKB; nil stays NULL.
func geomArg(g orb.Geometry) ([]byte, error) {
	if g == nil {
		return nil, nil
	}
	return wkb.Marshal(g)
}

func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

var keyDetail = regexp.MustCompile(`Key \((.*)\)=\((.*)\) already exists`)

// insertError turns a unique violation into an error wrapping
// data.ErrConflict that names the table, the key and its value.
func insertError(table string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		what := pe.Detail
		if m := keyDetail.FindStringSubmatch(pe.Detail); m != nil {
			what = m[1] + " " + m[2]
		}
		return fmt.Errorf("%s %s: already stored or given twice: %w", table, what, data.ErrConflict)
	}
	return fmt.Errorf("insert into %s: %w", table, err)
}

// Insert stores every feature of ds in one transaction; a code already
// stored or given twice fails the whole insert with an error wrapping
// data.ErrConflict naming the layer and the code. Rules with ID 0 get the
// next free ID. Each insert adds one to MetaGeneration in the same
// transaction.
func (s *Store) Insert(ctx context.Context, ds *data.Dataset) error {
	if ds == nil {
		return nil
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		type row struct {
			table string
			sql   string
			args  []any
		}
		var rows []row
		add := func(table, sql string, geom orb.Geometry, args ...any) error {
			b, err := geomArg(geom)
			if err != nil {
				return fmt.Errorf("%s: geometry: %w", table, err)
			}
			args = append(args, b)
			rows = append(rows, row{table, sql, args})
			return nil
		}
		const g = "ST_GeomFromWKB($%d, 4490)"
		for _, u := range ds.AdminUnits {
			if err := add("admin_units", fmt.Sprintf(`INSERT INTO admin_units (level, code, name, parent, geom) VALUES ($1, $2, $3, $4, `+g+`)`, 5),
				orb.Geometry(u.Geometry), string(u.Level), u.Code, u.Name, u.Parent); err != nil {
				return err
			}
		}
		for _, u := range ds.UnitGrids {
			if err := add("unit_grids", fmt.Sprintf(`INSERT INTO unit_grids (code, community, area_m2, geom) VALUES ($1, $2, $3, `+g+`)`, 4),
				orb.Geometry(u.Geometry), u.Code, u.Community, u.AreaM2); err != nil {
				return err
			}
		}
		for _, m := range ds.ManagementGrids {
			if err := add("management_grids", fmt.Sprintf(`INSERT INTO management_grids (kind, code, name, unit, geom) VALUES ($1, $2, $3, $4, `+g+`)`, 5),
				orb.Geometry(m.Geometry), m.Kind, m.Code, m.Name, m.Unit); err != nil {
				return err
			}
		}
		for _, c := range ds.Categories {
			rows = append(rows, row{"categories", `INSERT INTO categories (scheme, kind, code, name, big, big_name, geometry, department, deadline_class)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, []any{c.Scheme, string(c.Kind), c.Code, c.Name, c.Big, c.BigName, string(c.Geometry), c.Department, c.DeadlineClass}})
		}
		for _, d := range ds.Departments {
			rows = append(rows, row{"departments", `INSERT INTO departments (code, name, credit_code, parent, kind) VALUES ($1, $2, $3, $4, $5)`,
				[]any{d.Code, d.Name, d.CreditCode, d.Parent, string(d.Kind)}})
		}
		// Components are the bulk of a city: one statement per chunk of
		// rows passed as arrays (unnest keeps their order for fid).
		const compChunk = 5000
		for lo := 0; lo < len(ds.Components); lo += compChunk {
			cs := ds.Components[lo:min(lo+compChunk, len(ds.Components))]
			cols := make([][]string, 9)
			for i := range cols {
				cols[i] = make([]string, len(cs))
			}
			survey, changed := make([]*time.Time, len(cs)), make([]*time.Time, len(cs))
			versions, geoms := make([]int64, len(cs)), make([][]byte, len(cs))
			for i, c := range cs {
				for j, v := range []string{c.Code, c.Category, c.Name, c.Department, c.Owner, c.Maintainer, string(c.Status), c.UnitGrid, c.Note} {
					cols[j][i] = v
				}
				if !c.SurveyDate.IsZero() {
					survey[i] = &cs[i].SurveyDate
				}
				if !c.ChangedAt.IsZero() {
					changed[i] = &cs[i].ChangedAt
				}
				versions[i] = c.Version
				b, err := geomArg(c.Geometry)
				if err != nil {
					return fmt.Errorf("component %s: geometry: %w", c.Code, err)
				}
				geoms[i] = b
			}
			rows = append(rows, row{"components", `INSERT INTO components (code, category, name, department, owner, maintainer, status, unit_grid,
survey_date, changed_at, version, note, geom)
SELECT code, category, name, department, owner, maintainer, status, unit_grid, survey_date, changed_at, version, note, ST_GeomFromWKB(geom, 4490)
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
  $10::timestamptz[], $11::timestamptz[], $12::bigint[], $13::bytea[]) WITH ORDINALITY
  AS t(code, category, name, department, owner, maintainer, status, unit_grid, note, survey_date, changed_at, version, geom, ord)
ORDER BY ord`, []any{cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8], survey, changed, versions, geoms}})
		}
		for _, r := range ds.Roads {
			if err := add("roads", fmt.Sprintf(`INSERT INTO roads (code, name, district, geom) VALUES ($1, $2, $3, `+g+`)`, 4),
				orb.Geometry(r.Geometry), r.Code, r.Name, r.District); err != nil {
				return err
			}
		}
		for _, a := range ds.Addresses {
			if err := add("addresses", fmt.Sprintf(`INSERT INTO addresses (code, road, number, full_address, community, geom) VALUES ($1, $2, $3, $4, $5, `+g+`)`, 6),
				orb.Geometry(a.Point), a.Code, a.Road, a.Number, a.FullAddress, a.Community); err != nil {
				return err
			}
		}
		for _, p := range ds.POIs {
			if err := add("pois", fmt.Sprintf(`INSERT INTO pois (code, name, kind, landmark, geom) VALUES ($1, $2, $3, $4, `+g+`)`, 5),
				orb.Geometry(p.Point), p.Code, p.Name, p.Kind, p.Landmark); err != nil {
				return err
			}
		}
		for _, r := range ds.Rules {
			args := []any{r.Category, string(r.Kind), string(r.Scope), r.ScopeRef, r.Unit, r.Priority, r.Note}
			if r.ID == 0 { // the next free id
				rows = append(rows, row{"rules", `INSERT INTO rules (id, category, kind, scope, scope_ref, unit, priority, note)
SELECT coalesce(max(id), 0) + 1, $1, $2, $3, $4, $5, $6, $7 FROM rules`, args})
				continue
			}
			rows = append(rows, row{"rules", `INSERT INTO rules (id, category, kind, scope, scope_ref, unit, priority, note)
VALUES ($8, $1, $2, $3, $4, $5, $6, $7)`, append(args, r.ID)})
		}
		const chunk = 2000
		for start := 0; start < len(rows); start += chunk {
			end := min(start+chunk, len(rows))
			var b pgx.Batch
			for _, r := range rows[start:end] {
				b.Queue(r.sql, r.args...)
			}
			br := tx.SendBatch(ctx, &b)
			for _, r := range rows[start:end] {
				if _, err := br.Exec(); err != nil {
					br.Close()
					return insertError(r.table, err)
				}
			}
			if err := br.Close(); err != nil {
				return fmt.Errorf("insert: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, '1')
ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text`, MetaGeneration); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		return nil
	})
}

// Component reads one component by code, or fails with data.ErrNotFound.
func (s *Store) Component(ctx context.Context, code string) (data.Component, error) {
	var out data.Component
	found := false
	err := s.components(ctx, s.pool, `WHERE code = $1`, []any{code}, func(c data.Component) { out, found = c, true })
	if err != nil {
		return data.Component{}, err
	}
	if !found {
		return data.Component{}, fmt.Errorf("component %s: %w", code, data.ErrNotFound)
	}
	return out, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (s *Store) components(ctx context.Context, q querier, where string, args []any, fn func(data.Component)) error {
	return scanComponents(ctx, q, where+` ORDER BY fid`, args, fn)
}

// scanComponents hands fn the components the query tail (WHERE, ORDER
// BY, FOR UPDATE...) selects.
func scanComponents(ctx context.Context, q querier, tail string, args []any, fn func(data.Component)) error {
	return scanComponentsErr(ctx, q, tail, args, func(c *data.Component) error {
		fn(*c)
		return nil
	})
}

// scanComponentsErr is scanComponents stopping at fn's first error.
// selectComponents is the start of every component query; a WHERE and
// ORDER BY tail follows.
const selectComponents = `SELECT code, category, name, department, owner, maintainer, status, unit_grid, survey_date, changed_at,
version, note, ST_AsBinary(geom) FROM components `

func scanComponentsErr(ctx context.Context, q querier, tail string, args []any, fn func(*data.Component) error) error {
	rows, err := q.Query(ctx, selectComponents+tail, args...)
	if err != nil {
		return fmt.Errorf("pgstore: components: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c data.Component
		var status string
		var survey, changed *time.Time
		var g []byte
		if err := rows.Scan(&c.Code, &c.Category, &c.Name, &c.Department, &c.Owner, &c.Maintainer, &status, &c.UnitGrid,
			&survey, &changed, &c.Version, &c.Note, &g); err != nil {
			return fmt.Errorf("pgstore: components: %w", err)
		}
		c.Status = data.ComponentStatus(status)
		if survey != nil {
			c.SurveyDate = survey.UTC()
		}
		if changed != nil {
			c.ChangedAt = changed.UTC()
		}
		if c.Geometry, err = decodeGeom(g); err != nil {
			return fmt.Errorf("pgstore: component %s: %w", c.Code, err)
		}
		if err := fn(&c); err != nil {
			return err
		}
	}
	return rows.Err()
}

func decodeGeom(b []byte) (orb.Geometry, error) {
	if b == nil {
		return nil, nil
	}
	return wkb.Unmarshal(b)
}

// Load reads the whole city in one repeatable-read snapshot, every layer
// in insertion order (administrative units district, street, community).
func (s *Store) Load(ctx context.Context) (*data.Dataset, error) {
	return s.load(ctx, true)
}

// load reads the city; without full only the layers edits are checked
// against (administrative units, unit grids, categories, departments).
func (s *Store) load(ctx context.Context, full bool) (*data.Dataset, error) {
	var ds *data.Dataset
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		ds, err = s.loadIn(ctx, tx, full)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: load: %w", err)
	}
	return ds, nil
}

// loadIn reads the city inside tx (see load).
func (s *Store) loadIn(ctx context.Context, tx pgx.Tx, full bool) (*data.Dataset, error) {
	ds := &data.Dataset{}
	err := func() error {
		scan := func(sql string, fn func(rows pgx.Rows) error) error {
			rows, err := tx.Query(ctx, sql)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				if err := fn(rows); err != nil {
					return err
				}
			}
			return rows.Err()
		}
		mp := func(b []byte) (orb.MultiPolygon, error) {
			g, err := decodeGeom(b)
			if g == nil || err != nil {
				return nil, err
			}
			m, ok := g.(orb.MultiPolygon)
			if !ok {
				return nil, fmt.Errorf("geometry %s, want MultiPolygon", g.GeoJSONType())
			}
			return m, nil
		}
		if err := scan(`SELECT level, code, name, parent, ST_AsBinary(geom) FROM admin_units
ORDER BY CASE level WHEN 'district' THEN 0 WHEN 'street' THEN 1 ELSE 2 END, fid`, func(r pgx.Rows) error {
			var u data.AdminUnit
			var level string
			var g []byte
			if err := r.Scan(&level, &u.Code, &u.Name, &u.Parent, &g); err != nil {
				return err
			}
			u.Level = data.AdminLevel(level)
			var err error
			u.Geometry, err = mp(g)
			ds.AdminUnits = append(ds.AdminUnits, u)
			return err
		}); err != nil {
			return fmt.Errorf("admin units: %w", err)
		}
		if err := scan(`SELECT code, community, area_m2, ST_AsBinary(geom) FROM unit_grids ORDER BY fid`, func(r pgx.Rows) error {
			var u data.UnitGrid
			var g []byte
			if err := r.Scan(&u.Code, &u.Community, &u.AreaM2, &g); err != nil {
				return err
			}
			var err error
			u.Geometry, err = mp(g)
			ds.UnitGrids = append(ds.UnitGrids, u)
			return err
		}); err != nil {
			return fmt.Errorf("unit grids: %w", err)
		}
		if err := scan(`SELECT kind, code, name, unit, ST_AsBinary(geom) FROM management_grids ORDER BY fid`, func(r pgx.Rows) error {
			var m data.ManagementGrid
			var g []byte
			if err := r.Scan(&m.Kind, &m.Code, &m.Name, &m.Unit, &g); err != nil {
				return err
			}
			var err error
			m.Geometry, err = mp(g)
			ds.ManagementGrids = append(ds.ManagementGrids, m)
			return err
		}); err != nil {
			return fmt.Errorf("management grids: %w", err)
		}
		if err := scan(`SELECT scheme, kind, code, name, big, big_name, geometry, department, deadline_class FROM categories ORDER BY fid`, func(r pgx.Rows) error {
			var c data.Category
			var kind, geom string
			if err := r.Scan(&c.Scheme, &kind, &c.Code, &c.Name, &c.Big, &c.BigName, &geom, &c.Department, &c.DeadlineClass); err != nil {
				return err
			}
			c.Kind, c.Geometry = data.CategoryKind(kind), data.GeometryType(geom)
			ds.Categories = append(ds.Categories, c)
			return nil
		}); err != nil {
			return fmt.Errorf("categories: %w", err)
		}
		if err := scan(`SELECT code, name, credit_code, parent, kind FROM departments ORDER BY fid`, func(r pgx.Rows) error {
			var d data.Department
			var kind string
			if err := r.Scan(&d.Code, &d.Name, &d.CreditCode, &d.Parent, &kind); err != nil {
				return err
			}
			d.Kind = data.DepartmentKind(kind)
			ds.Departments = append(ds.Departments, d)
			return nil
		}); err != nil {
			return fmt.Errorf("departments: %w", err)
		}
		if !full {
			return nil
		}
		// The log's last seq in the same snapshot: the data includes
		// exactly the changes up to it.
		if err := tx.QueryRow(ctx, `SELECT seq FROM change_counter`).Scan(&ds.ChangeSeq); err != nil {
			return fmt.Errorf("change log: %w", err)
		}
		if err := scanComponents(ctx, tx, "ORDER BY fid", nil, func(c data.Component) { ds.Components = append(ds.Components, c) }); err != nil {
			return err
		}
		if err := scan(`SELECT code, name, district, ST_AsBinary(geom) FROM roads ORDER BY fid`, func(r pgx.Rows) error {
			var rd data.Road
			var g []byte
			if err := r.Scan(&rd.Code, &rd.Name, &rd.District, &g); err != nil {
				return err
			}
			geom, err := decodeGeom(g)
			if m, ok := geom.(orb.MultiLineString); ok {
				rd.Geometry = m
			}
			ds.Roads = append(ds.Roads, rd)
			return err
		}); err != nil {
			return fmt.Errorf("roads: %w", err)
		}
		point := func(b []byte) (orb.Point, error) {
			g, err := decodeGeom(b)
			p, _ := g.(orb.Point)
			return p, err
		}
		if err := scan(`SELECT code, road, number, full_address, community, ST_AsBinary(geom) FROM addresses ORDER BY fid`, func(r pgx.Rows) error {
			var a data.Address
			var g []byte
			if err := r.Scan(&a.Code, &a.Road, &a.Number, &a.FullAddress, &a.Community, &g); err != nil {
				return err
			}
			var err error
			a.Point, err = point(g)
			ds.Addresses = append(ds.Addresses, a)
			return err
		}); err != nil {
			return fmt.Errorf("addresses: %w", err)
		}
		if err := scan(`SELECT code, name, kind, landmark, ST_AsBinary(geom) FROM pois ORDER BY fid`, func(r pgx.Rows) error {
			var p data.POI
			var g []byte
			if err := r.Scan(&p.Code, &p.Name, &p.Kind, &p.Landmark, &g); err != nil {
				return err
			}
			var err error
			p.Point, err = point(g)
			ds.POIs = append(ds.POIs, p)
			return err
		}); err != nil {
			return fmt.Errorf("pois: %w", err)
		}
		return scan(`SELECT id, category, kind, scope, scope_ref, unit, priority, note FROM rules ORDER BY id`, func(r pgx.Rows) error {
			var ru data.Rule
			var kind, scope string
			if err := r.Scan(&ru.ID, &ru.Category, &kind, &scope, &ru.ScopeRef, &ru.Unit, &ru.Priority, &ru.Note); err != nil {
				return err
			}
			ru.Kind, ru.Scope = data.CategoryKind(kind), data.ScopeKind(scope)
			ds.Rules = append(ds.Rules, ru)
			return nil
		})
	}()
	return ds, err
}

// DropSchema removes the store's schema and everything in it (tests and
// migrate-store --replace).
func (s *Store) DropSchema(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+s.schema+` CASCADE`)
	return err
}
