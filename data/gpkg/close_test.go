package gpkg_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
)

// TestCloseTruncatesTheLogEvenWhileAReaderHoldsIt: a read transaction
// still open when Close starts keeps SQLite's own close-time checkpoint
// from running; Close waits for it and leaves no write-ahead log.
func TestCloseTruncatesTheLogEvenWhileAReaderHoldsIt(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "citygrid.gpkg")
	st, err := gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("the test needs a write-ahead log with frames before Close: %v", err)
	}
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM citygrid_meta`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = tx.Rollback()
		close(released)
	}()
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-released:
	default:
		t.Fatal("Close returned while the reader still held the log")
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		t.Fatalf("a %d-byte write-ahead log is left after Close", fi.Size())
	}
}

// TestANewStoreIsNotWorldReadable: the store holds reporters' names and
// telephone numbers; whatever the umask, it is created FileMode and its
// log gets the same mode.
func TestANewStoreIsNotWorldReadable(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "citygrid.gpkg")
	st, err := gpkg.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != gpkg.FileMode {
			t.Errorf("%s has mode %o, want %o", filepath.Base(p), got, gpkg.FileMode)
		}
	}
}
