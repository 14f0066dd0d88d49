package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SRS identifiers of the spatial reference systems a store defines.
const (
	// SRSCGCS2000 is EPSG:4490, China Geodetic Coordinate System 2000, the
	// CRS of every feature table.
	SRSCGCS2000 int32 = 4490
	// SRSWGS84 is EPSG:4326, which the GeoPackage standard requires.
	SRSWGS84 int32 = 4326
)

const (
	applicationID = 0x47504B47 // "GPKG"
	userVersion   = 10400      // GeoPackage 1.4.0
)

const wktWGS84 = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]`

const wktCGCS2000 = `GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4490"]]`

// featureTable describes one feature table of the store.
type featureTable struct {
	name, geomType, description string
	columns                     string // column definitions after fid and geom
}

// The feature tables, in the order they are created and registered.
var featureTables = []featureTable{
	{"districts", "MULTIPOLYGON", "Districts (区县), GB/T 2260 codes", adminColumns},
	{"streets", "MULTIPOLYGON", "Streets (街道/乡镇), GB/T 10114 codes", adminColumns},
	{"communities", "MULTIPOLYGON", "Communities (社区/村)", adminColumns},
	{"unit_grids", "MULTIPOLYGON", "Unit grids (单元网格, GB/T 30428.1)",
		`code TEXT NOT NULL UNIQUE, community TEXT NOT NULL, area_m2 DOUBLE NOT NULL`},
	{"management_grids", "MULTIPOLYGON", "Management grids (责任网格, 监督员工作网格, ...)",
		`kind TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, unit TEXT NOT NULL, UNIQUE (kind, code)`},
	{"components", "GEOMETRY", "Components (管理部件)",
		`code TEXT NOT NULL UNIQUE, category TEXT NOT NULL, name TEXT NOT NULL, department TEXT NOT NULL, owner TEXT NOT NULL, maintainer TEXT NOT NULL, status TEXT NOT NULL, unit_grid TEXT NOT NULL, survey_date DATE, changed_at DATETIME, version INTEGER NOT NULL, note TEXT NOT NULL`},
	{"roads", "MULTILINESTRING", "Roads and lanes (街巷)",
		`code TEXT NOT NULL UNIQUE, name TEXT NOT NULL, district TEXT NOT NULL`},
	{"addresses", "POINT", "Door-plate addresses (门牌)",
		`code TEXT NOT NULL UNIQUE, road TEXT NOT NULL, number TEXT NOT NULL, full_address TEXT NOT NULL, community TEXT NOT NULL`},
	{"pois", "POINT", "Points of interest and landmarks (兴趣点, 标志物)",
		`code TEXT NOT NULL UNIQUE, name TEXT NOT NULL, kind TEXT NOT NULL, landmark BOOLEAN NOT NULL`},
}

const adminColumns = `code TEXT NOT NULL UNIQUE, name TEXT NOT NULL, parent TEXT NOT NULL`

// attributeTable describes one attribute (non-spatial) table.
type attributeTable struct {
	name, description, ddl string
}

var attributeTables = []attributeTable{
	{"categories", "Component and event categories (部件/事件 小类)", `CREATE TABLE categories (
		fid INTEGER PRIMARY KEY AUTOINCREMENT,
		scheme TEXT NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
		big TEXT NOT NULL, big_name TEXT NOT NULL, geometry TEXT NOT NULL,
		department TEXT NOT NULL, deadline_class TEXT NOT NULL,
		UNIQUE (scheme, kind, code))`},
	{"departments", "Departments and handling units (处置单位)", `CREATE TABLE departments (
		fid INTEGER PRIMARY KEY AUTOINCREMENT,
		code TEXT NOT NULL UNIQUE, name TEXT NOT NULL, credit_code TEXT NOT NULL,
		parent TEXT NOT NULL, kind TEXT NOT NULL)`},
	{"rules", "Responsibility rules: category × scope → unit", `CREATE TABLE rules (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		category TEXT NOT NULL, scope TEXT NOT NULL, scope_ref TEXT NOT NULL,
		unit TEXT NOT NULL, priority INTEGER NOT NULL, note TEXT NOT NULL)`},
}

// migration is one step of the schema. Steps are applied in order, each in
// its own transaction together with its row in citygrid_migrations; a step
// is never edited once released, only followed by new ones.
type migration struct {
	version int
	name    string
	apply   func(ctx context.Context, tx *sql.Tx) error
}

var migrations = []migration{
	{1, "GeoPackage core tables and citygrid layers", migrateV1},
	{2, "rules.kind: the category kind a rule names", migrateV2},
	{3, "edit history and survey changesets", migrateV3},
}

// SchemaVersion is the schema version this build writes and understands.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

func migrateV1(ctx context.Context, tx *sql.Tx) error {
	now := time.Now().UTC().Format(timestampFormat)
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
			srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
			organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
			definition TEXT NOT NULL, description TEXT)`,
		`CREATE TABLE IF NOT EXISTS gpkg_contents (
			table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
			identifier TEXT UNIQUE, description TEXT DEFAULT '',
			last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
			min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
			CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))`,
		`CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
			table_name TEXT NOT NULL, column_name TEXT NOT NULL,
			geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
			z TINYINT NOT NULL, m TINYINT NOT NULL,
			CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
			CONSTRAINT uk_gc_table_name UNIQUE (table_name),
			CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
			CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))`,
		`CREATE TABLE citygrid_meta (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)`,
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	srs := []struct {
		name  string
		id    int32
		org   string
		orgID int32
		def   string
		descr string
	}{
		{"Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"},
		{"Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"},
		{"WGS 84 geodetic", SRSWGS84, "EPSG", 4326, wktWGS84, "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"},
		{"China Geodetic Coordinate System 2000", SRSCGCS2000, "EPSG", 4490, wktCGCS2000, "CGCS2000 (2000国家大地坐标系) longitude/latitude in decimal degrees"},
	}
	for _, s := range srs {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO gpkg_spatial_ref_sys
			(srs_name, srs_id, organization, organization_coordsys_id, definition, description)
			VALUES (?, ?, ?, ?, ?, ?)`, s.name, s.id, s.org, s.orgID, s.def, s.descr); err != nil {
			return err
		}
	}
	for _, t := range featureTables {
		ddl := fmt.Sprintf(`CREATE TABLE %s (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom %s, %s)`, t.name, t.geomType, t.columns)
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("create %s: %w", t.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_contents
			(table_name, data_type, identifier, description, last_change, srs_id)
			VALUES (?, 'features', ?, ?, ?, ?)`, t.name, t.name, t.description, now, SRSCGCS2000); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_geometry_columns
			(table_name, column_name, geometry_type_name, srs_id, z, m)
			VALUES (?, 'geom', ?, ?, 0, 0)`, t.name, t.geomType, SRSCGCS2000); err != nil {
			return err
		}
	}
	for _, t := range attributeTables {
		if _, err := tx.ExecContext(ctx, t.ddl); err != nil {
			return fmt.Errorf("create %s: %w", t.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_contents
			(table_name, data_type, identifier, description, last_change)
			VALUES (?, 'attributes', ?, ?, ?)`, t.name, t.name, t.description, now); err != nil {
			return err
		}
	}
	// Lookups the API makes by foreign code.
	for _, s := range []string{
		`CREATE INDEX components_unit_grid ON components (unit_grid)`,
		`CREATE INDEX unit_grids_community ON unit_grids (community)`,
	} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// migrateV2 adds the category kind to the rules table: component and event
// category codes overlap, so a rule names the kind of its category ("" =
// the code in either kind, which is what every rule written before meant).
func migrateV2(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `ALTER TABLE rules ADD COLUMN kind TEXT NOT NULL DEFAULT ''`)
	return err
}

// migrate brings the database to SchemaVersion. A database already at the
// current version is only read, so opening a store never writes to it. A
// database written by a newer citygrid is refused.
func migrate(ctx context.Context, db *sql.DB) error {
	current, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if current > SchemaVersion() {
		return fmt.Errorf("store schema version %d is newer than this citygrid understands (%d): %w", current, SchemaVersion(), ErrNewerSchema)
	}
	if current == SchemaVersion() {
		return nil
	}
	for _, m := range migrations {
		if m.version <= current {
			continue
		}
		if err := applyMigration(ctx, db, m); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

// ErrNewerSchema marks a store written by a newer version of citygrid.
var ErrNewerSchema = errors.New("store written by a newer citygrid")

func applyMigration(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Re-check inside the transaction: another process may have migrated
	// between our read and the BEGIN.
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS citygrid_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return err
	}
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM citygrid_migrations WHERE version = ?`, m.version).Scan(&done); err != nil {
		return err
	}
	if done > 0 {
		return tx.Commit()
	}
	if m.version == 1 {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA application_id = %d`, applicationID)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, userVersion)); err != nil {
			return err
		}
	}
	if err := m.apply(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO citygrid_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return tx.Commit()
}

// schemaVersion reads the highest applied migration, 0 for a new file.
func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'citygrid_migrations'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read schema: %w", err)
	}
	if n == 0 {
		var tables int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).Scan(&tables); err != nil {
			return 0, fmt.Errorf("read schema: %w", err)
		}
		if tables > 0 {
			return 0, fmt.Errorf("%w: the file holds tables but is not a citygrid store", ErrNotStore)
		}
		return 0, nil
	}
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version) FROM citygrid_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}

// ErrNotStore marks an SQLite file that is not a citygrid store (for
// instance another GeoPackage); Open refuses to add tables to it.
var ErrNotStore = errors.New("not a citygrid store")
