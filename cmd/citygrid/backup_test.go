package main

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
)

// TestABackupIsReadableByItsOwnerOnly: whatever the umask, the copy of
// the store (reporters' names and telephone numbers among it) is 0600.
func TestABackupIsReadableByItsOwnerOnly(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "citygrid.gpkg")
	st, err := gpkg.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dst := filepath.Join(dir, "backup.gpkg")
	if _, err := backupStore(ctx, src, dst); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("backup has mode %o, want 600", got)
	}
}
