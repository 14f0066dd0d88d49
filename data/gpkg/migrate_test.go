package gpkg

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestALaterMigrationIsAppliedOnceToAnOldStore opens a store written at the
// current version with a build that has one more migration, twice.
func TestALaterMigrationIsAppliedOnceToAnOldStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "citygrid.gpkg")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	saved := migrations
	defer func() { migrations = saved }()
	applied := 0
	next := SchemaVersion() + 1
	migrations = append(append([]migration(nil), saved...), migration{next, "add a column", func(ctx context.Context, tx *sql.Tx) error {
		applied++
		_, err := tx.ExecContext(ctx, `ALTER TABLE components ADD COLUMN photo TEXT`)
		return err
	}})
	for i := 0; i < 2; i++ {
		st, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		var v int
		st.DB().QueryRow(`SELECT max(version) FROM citygrid_migrations`).Scan(&v)
		st.Close()
		if v != next {
			t.Fatalf("open #%d: schema version %d, want %d", i+1, v, next)
		}
	}
	if applied != 1 {
		t.Fatalf("the migration ran %d times, want once", applied)
	}

	// A failing migration leaves nothing behind: its transaction rolls back.
	migrations = append(migrations, migration{next + 1, "broken", func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE half_done (x)`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `THIS IS NOT SQL`)
		return err
	}})
	if _, err := Open(ctx, path); err == nil {
		t.Fatal("Open with a broken migration succeeded")
	}
	migrations = migrations[:len(migrations)-1]
	st, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	st.DB().QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'half_done'`).Scan(&n)
	if n != 0 {
		t.Fatal("the broken migration left its table behind")
	}
}
