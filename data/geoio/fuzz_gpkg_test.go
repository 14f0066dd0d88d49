package geoio_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"citygrid/data/geoio"
	"citygrid/data/gpkg/gpkgtest"
)

// gpkgTemplate is a GeoPackage export of the test city's components,
// written once per process; each fuzz input edits a copy.
var gpkgTemplate = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "fuzz-gpkg-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "t.gpkg")
	if err := geoio.Export(context.Background(), gpkgtest.City(), geoio.Components, geoio.GeoPackage, path, true); err != nil {
		return nil, err
	}
	// One self-contained, compact file (the export may leave its last
	// pages in a write-ahead log).
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	packed := filepath.Join(dir, "packed.gpkg")
	if _, err := db.Exec(`VACUUM INTO ?`, packed); err != nil {
		return nil, err
	}
	return os.ReadFile(packed)
})

// FuzzReadGeoPackage writes arbitrary values into the first row of a
// valid GeoPackage — the geometry blob, the code, category and name
// columns, the table's declared CRS — and reads it back. The reader must
// never panic; what it accepts must carry the row's code and survive
// validation without a crash. (SQLite's own file parsing is fuzzed by the
// SQLite project; this target is about what citygrid does with the
// contents.) Seeds live in testdata/fuzz/FuzzReadGeoPackage.
func FuzzReadGeoPackage(f *testing.F) {
	// A valid point (GeoPackage header "GP", version 0, flags 0x01 =
	// little-endian without envelope, srs 4490, then WKB point).
	point := []byte{'G', 'P', 0, 1, 0xBA, 0x11, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xAD, 0x5D, 0x40, 0, 0, 0, 0, 0, 0xE8, 0x3F, 0x40}
	f.Add(point, "3201140101000001", "0101", "井盖", int64(4490))
	f.Add([]byte("GP"), "x", "", "", int64(4326))
	f.Add([]byte{}, "", "0101", "", int64(3857))
	f.Add(point[:20], "3201140101000001", "9999", "\x00", int64(0))
	f.Fuzz(func(t *testing.T, geom []byte, code, category, name string, srs int64) {
		tmpl, err := gpkgTemplate()
		if err != nil {
			t.Fatal(err)
		}
		// Not t.TempDir: its name holds the "#" of "seed#0", which ends
		// the path of an SQLite URI.
		dir, err := os.MkdirTemp("", "fuzz-gpkg-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "f.gpkg")
		if err := os.WriteFile(path, tmpl, 0o644); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite3", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		var table, col string
		if err := db.QueryRow(`SELECT table_name, column_name FROM gpkg_geometry_columns LIMIT 1`).Scan(&table, &col); err != nil {
			db.Close()
			t.Fatal(err)
		}
		q := `UPDATE "` + table + `" SET "` + col + `" = ?, code = ?, category = ?, name = ? WHERE rowid = (SELECT min(rowid) FROM "` + table + `")`
		if _, err := db.Exec(q, geom, code, category, name); err != nil {
			// The template's columns changed: fall back to the geometry.
			if _, err := db.Exec(`UPDATE "`+table+`" SET "`+col+`" = ? WHERE rowid = (SELECT min(rowid) FROM "`+table+`")`, geom); err != nil {
				db.Close()
				t.Fatal(err)
			}
		}
		if _, err := db.Exec(`UPDATE gpkg_geometry_columns SET srs_id = ?`, srs); err != nil {
			db.Close()
			t.Fatal(err)
		}
		db.Close()
		b, err := geoio.ReadGeoPackage(context.Background(), path, geoio.Components, nil, geoio.GeoPackageOptions{})
		if err != nil {
			return
		}
		_ = b.Validate(nil)
		if len(b.Dataset.Components) == 0 {
			t.Fatalf("no components read without an error")
		}
	})
}
