package casestest

import (
	"context"
	"path/filepath"
	"testing"

	"citygrid/data/cases/sqlitecases"
	"citygrid/data/gpkg"
)

// OpenSQLite opens the SQLite case store of a fresh GeoPackage file.
func OpenSQLite(t testing.TB) *sqlitecases.Store {
	_, s := OpenSQLiteAt(t, filepath.Join(t.TempDir(), "c.gpkg"))
	return s
}

// OpenSQLiteAt opens the GeoPackage file at path (one more handle when it
// is open already, as the server and a command-line tool share a file)
// and the case store on it, both closed at cleanup. It opens the case
// tables twice: reopening must migrate nothing and keep working.
func OpenSQLiteAt(t testing.TB, path string) (*gpkg.Store, *sqlitecases.Store) {
	t.Helper()
	ctx := context.Background()
	g, err := gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	s, err := sqlitecases.New(ctx, g.DB())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlitecases.New(ctx, g.DB()); err != nil {
		t.Fatalf("reopening the case tables: %v", err)
	}
	return g, s
}
