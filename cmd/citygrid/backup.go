package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mattn/go-sqlite3"

	"citygrid/data/gpkg"
)

// runBackup is `citygrid backup --dir DIR --out FILE`: a consistent copy
// of the store made with SQLite's online backup API while a server may be
// serving and writing. The copy is one read transaction's snapshot (under
// WAL, writers go on meanwhile), checked with PRAGMA integrity_check,
// synced, and renamed into place, so FILE is either a whole good backup or
// absent.
func runBackup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: citygrid backup --dir DIR --out FILE

Copies DIR/citygrid.gpkg to FILE consistently while the server runs (SQLite
online backup). Restore with 'citygrid restore'. Baked tiles are not
copied: 'citygrid bake' regenerates them.

flags:
`)
		fs.PrintDefaults()
	}
	dir := fs.String("dir", "./city", "data directory holding citygrid.gpkg")
	out := fs.String("out", "", "backup file to write (must not exist)")
	if err := fs.Parse(args); err != nil {
		return helpIsNotAnError(err)
	}
	if *out == "" || fs.NArg() > 0 {
		return errors.New("want --dir DIR --out FILE")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s exists; choose a new file", *out)
	}
	src := filepath.Join(*dir, storeFile)
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("no city in %s: %w", *dir, err)
	}
	t := time.Now()
	pages, err := backupStore(ctx, src, *out)
	if err != nil {
		return err
	}
	fi, _ := os.Stat(*out)
	fmt.Fprintf(os.Stderr, "backup of %s written to %s: %d pages, %d bytes, %s\n", src, *out, pages, fi.Size(), time.Since(t).Round(time.Millisecond))
	return nil
}

// backupStore copies the database at src to dst through the online backup
// API in one step (one consistent snapshot), checks and syncs it.
func backupStore(ctx context.Context, src, dst string) (pages int, err error) {
	tmp := dst + ".partial"
	_ = os.Remove(tmp)
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	// A backup holds what the store holds: created for the owner only,
	// before SQLite would create it with the umask's mode.
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", tmp, err)
	}
	_ = f.Close()
	srcDB, err := sql.Open("sqlite3", "file:"+src+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return 0, err
	}
	defer srcDB.Close()
	dstDB, err := sql.Open("sqlite3", "file:"+tmp)
	if err != nil {
		return 0, err
	}
	defer dstDB.Close()
	srcConn, err := srcDB.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", src, err)
	}
	defer srcConn.Close()
	dstConn, err := dstDB.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", tmp, err)
	}
	defer dstConn.Close()
	err = dstConn.Raw(func(d any) error {
		return srcConn.Raw(func(s any) error {
			b, err := d.(*sqlite3.SQLiteConn).Backup("main", s.(*sqlite3.SQLiteConn), "main")
			if err != nil {
				return err
			}
			// -1: every page in one step, under one read lock of the
			// source, so the copy is one snapshot. Under WAL the server's
			// writers are not blocked meanwhile.
			done, err := b.Step(-1)
			pages = b.PageCount()
			if ferr := b.Finish(); err == nil {
				err = ferr
			}
			if err == nil && !done {
				err = errors.New("backup stopped before the last page")
			}
			return err
		})
	})
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", src, err)
	}
	// The copy keeps the source's WAL mode flag; make it a plain
	// single-file database until it is restored.
	if _, err := dstConn.ExecContext(ctx, `PRAGMA journal_mode = DELETE`); err != nil {
		return 0, fmt.Errorf("backup journal mode: %w", err)
	}
	if err := integrityCheck(ctx, dstConn); err != nil {
		return 0, fmt.Errorf("backup %s: %w", tmp, err)
	}
	dstConn.Close()
	dstDB.Close()
	if err := syncFile(tmp); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return 0, err
	}
	return pages, syncDir(filepath.Dir(dst))
}

// integrityCheck runs PRAGMA integrity_check and fails unless it says ok.
func integrityCheck(ctx context.Context, c interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}) error {
	var res string
	if err := c.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check failed: %s", res)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // not every file system syncs directories
	return nil
}

// runRestore is `citygrid restore --dir DIR --from FILE`: replaces the
// store of DIR by a backup, after checking the backup's integrity and that
// citygrid can open it, while no server serves DIR. The replaced store is
// kept beside it as citygrid.gpkg.before-restore-<time>.
func runRestore(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: citygrid restore --dir DIR --from FILE

Replaces DIR/citygrid.gpkg by the backup FILE (made by 'citygrid backup').
Stop the server first: restore refuses while one serves DIR. The current
store is kept as DIR/citygrid.gpkg.before-restore-<time>.

flags:
`)
		fs.PrintDefaults()
	}
	dir := fs.String("dir", "./city", "data directory to restore into")
	from := fs.String("from", "", "backup file")
	if err := fs.Parse(args); err != nil {
		return helpIsNotAnError(err)
	}
	if *from == "" || fs.NArg() > 0 {
		return errors.New("want --dir DIR --from FILE")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	unlock, err := lockServing(*dir, true)
	if err != nil {
		return err
	}
	defer unlock()
	dst := filepath.Join(*dir, storeFile)
	tmp := dst + ".restoring"
	_ = os.Remove(tmp)
	if err := copyFile(*from, tmp); err != nil {
		return err
	}
	// Check the copy, not the backup: it is what will be served, and
	// opening it must not write to the backup.
	st, err := gpkg.Open(ctx, tmp)
	if err == nil {
		err = integrityCheck(ctx, st.DB())
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		_ = os.Remove(tmp)
		_ = os.Remove(tmp + "-wal")
		_ = os.Remove(tmp + "-shm")
		return fmt.Errorf("%s is not a usable citygrid store: %w", *from, err)
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	kept := ""
	if _, err := os.Stat(dst); err == nil {
		kept = dst + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(dst, kept); err != nil {
			return fmt.Errorf("keep the current store: %w", err)
		}
	}
	// The old store's WAL belongs to the old file: a leftover -wal next
	// to the restored file would be replayed into it.
	for _, suffix := range []string{"-wal", "-shm"} {
		if kept != "" {
			if err := os.Rename(dst+suffix, kept+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		_ = os.Remove(tmp + suffix)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	if err := syncDir(*dir); err != nil {
		return err
	}
	if kept != "" {
		fmt.Fprintf(os.Stderr, "restored %s from %s; the previous store is kept as %s\n", dst, *from, kept)
	} else {
		fmt.Fprintf(os.Stderr, "restored %s from %s\n", dst, *from)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
