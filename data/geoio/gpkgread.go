package geoio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"

	_ "github.com/mattn/go-sqlite3" // the GeoPackage reader's SQLite driver

	"citygrid/data"
	"citygrid/data/gpkg"
)

// GeoPackageOptions selects what to read from a GeoPackage.
type GeoPackageOptions struct {
	// Table is the table to read. Empty means the table named as the
	// layer, or else the file's only table of the right kind.
	Table string
	// Progress, when set, is called as rows are read, with the row count
	// of the table as total.
	Progress func(done, total int64)
}

// ReadGeoPackage reads a GeoPackage feature or attribute table into a
// batch for layer. It reads any conforming GeoPackage: the geometry column
// comes from gpkg_geometry_columns, and the table's CRS must be geographic
// CGCS2000 (EPSG:4490) or WGS 84 (EPSG:4326); projected tables are refused
// with a hint to reproject. Rows are named by their fid in errors ("fid 7").
// For layer All, every table named as a layer is read.
func ReadGeoPackage(ctx context.Context, path string, layer Layer, m Mapping, opt GeoPackageOptions) (*Batch, error) {
	if err := m.check(layer); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("read GeoPackage: %w", err)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", "5000")
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("read GeoPackage %s: %w", path, err)
	}
	defer db.Close()
	tables, err := contents(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a GeoPackage: %v", ErrSyntax, path, err)
	}
	b := newBatch(layer, m)
	if layer == All {
		if opt.Table != "" {
			return nil, fmt.Errorf("a whole-city import reads every layer's table; --gpkg-table names one")
		}
		for _, l := range Layers {
			if t, ok := tables[string(l)]; ok {
				if err := readTable(ctx, db, t, l, b, opt.Progress); err != nil {
					return nil, err
				}
			}
		}
		return b, nil
	}
	t, err := pickTable(tables, layer, opt.Table)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSyntax, path, err)
	}
	if err := readTable(ctx, db, t, layer, b, opt.Progress); err != nil {
		return nil, err
	}
	return b, nil
}

type tableInfo struct {
	name, dataType string
	geomCol        string
	srsID          int64
	org            string
	orgID          int64
}

func contents(ctx context.Context, db *sql.DB) (map[string]tableInfo, error) {
	rows, err := db.QueryContext(ctx, `SELECT c.table_name, c.data_type, coalesce(g.column_name, ''), coalesce(g.srs_id, c.srs_id, 0),
		coalesce(s.organization, ''), coalesce(s.organization_coordsys_id, 0)
		FROM gpkg_contents c
		LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
		LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = coalesce(g.srs_id, c.srs_id)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]tableInfo{}
	for rows.Next() {
		var t tableInfo
		if err := rows.Scan(&t.name, &t.dataType, &t.geomCol, &t.srsID, &t.org, &t.orgID); err != nil {
			return nil, err
		}
		out[t.name] = t
	}
	return out, rows.Err()
}

func pickTable(tables map[string]tableInfo, layer Layer, name string) (tableInfo, error) {
	var names []string
	for n := range tables {
		names = append(names, n)
	}
	sort.Strings(names)
	if name != "" {
		t, ok := tables[name]
		if !ok {
			return t, fmt.Errorf("no table %q (tables: %s)", name, strings.Join(names, ", "))
		}
		return t, nil
	}
	if t, ok := tables[string(layer)]; ok {
		return t, nil
	}
	var fit []tableInfo
	for _, n := range names {
		// Attribute layers may come from any table (GDAL registers a
		// GeoJSON file of null geometries as features).
		if t := tables[n]; t.dataType == "features" || !layer.Spatial() {
			fit = append(fit, t)
		}
	}
	if len(fit) == 1 {
		return fit[0], nil
	}
	return tableInfo{}, fmt.Errorf("no table named %s and %d candidates; name one with --gpkg-table (tables: %s)", layer, len(fit), strings.Join(names, ", "))
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func readTable(ctx context.Context, db *sql.DB, t tableInfo, layer Layer, b *Batch, progress func(done, total int64)) error {
	if layer.Spatial() {
		if t.geomCol == "" {
			return fmt.Errorf("%w: table %s has no geometry column; layer %s needs one", ErrSyntax, t.name, layer)
		}
		geographic := t.srsID == 0 || (strings.EqualFold(t.org, "EPSG") && (t.orgID == 4490 || t.orgID == 4326))
		if !geographic {
			return fmt.Errorf("%w: table %s is in %s:%d", errProjected, t.name, t.org, t.orgID)
		}
	}
	var total int64
	if progress != nil {
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(t.name)).Scan(&total); err != nil {
			return fmt.Errorf("read table %s: %w", t.name, err)
		}
	}
	// Dates and times are read as text, which the field readers parse with
	// the forms they know; the driver would try a dozen layouts per value.
	cols, err := selectList(ctx, db, t.name)
	if err != nil {
		return fmt.Errorf("read table %s: %w", t.name, err)
	}
	// The fid is the INTEGER PRIMARY KEY; rowid reaches it whatever its name.
	rows, err := db.QueryContext(ctx, "SELECT rowid, "+cols+" FROM "+quoteIdent(t.name)+" ORDER BY rowid")
	if err != nil {
		return fmt.Errorf("read table %s: %w", t.name, err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return err
	}
	names = names[1:]
	geomIdx := -1
	keys := make([]string, 0, len(names))
	for i, c := range names {
		if c == t.geomCol && layer.Spatial() {
			geomIdx = i
		}
		keys = append(keys, c)
	}
	var n int64
	for rows.Next() {
		var fid int64
		vals := make([]any, len(names))
		ptrs := make([]any, len(names)+1)
		ptrs[0] = &fid
		for i := range vals {
			ptrs[i+1] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read table %s: %w", t.name, err)
		}
		rec := &record{where: fmt.Sprintf("%s fid %d", t.name, fid), keys: keys, vals: vals}
		if layer != All && b.layer != All {
			rec.where = fmt.Sprintf("fid %d", fid)
		}
		if geomIdx >= 0 {
			blob, _ := vals[geomIdx].([]byte)
			vals[geomIdx] = nil // the geometry is not a property
			if blob != nil {
				g, _, err := gpkg.ParseGeometry(blob)
				if err != nil {
					b.errs = append(b.errs, &data.ValidationError{Where: rec.where, Field: t.geomCol, Reason: err.Error()})
					continue
				}
				rec.geom = g
			}
		}
		b.add(rec, layer)
		n++
		if progress != nil && n%4096 == 0 {
			progress(n, total)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read table %s: %w", t.name, err)
	}
	if progress != nil {
		progress(n, total)
	}
	return nil
}

// selectList lists a table's columns for SELECT, with DATE and DATETIME
// columns cast to text under their own names.
func selectList(ctx context.Context, db *sql.DB, table string) (string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name, upper(type) FROM pragma_table_info(?) ORDER BY cid", table)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return "", err
		}
		if typ == "DATE" || typ == "DATETIME" || typ == "TIMESTAMP" {
			cols = append(cols, "CAST("+quoteIdent(name)+" AS TEXT) AS "+quoteIdent(name))
		} else {
			cols = append(cols, quoteIdent(name))
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(cols) == 0 {
		return "", fmt.Errorf("no columns")
	}
	return strings.Join(cols, ", "), nil
}

// errNoFormat is returned by FormatOf for an unknown extension.
var errNoFormat = errors.New("cannot tell the format from the file name")
