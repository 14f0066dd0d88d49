// Package mbtiles reads and writes MBTiles 1.3 files: a SQLite database
// with a metadata table of name/value rows and a tiles table addressed by
// zoom, column and TMS row (y counted from the south, row = 2^z-1-y). The
// package speaks XYZ to its callers and converts at the boundary. It knows
// nothing of HTTP or of how tiles are made.
package mbtiles

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"

	_ "github.com/mattn/go-sqlite3" // SQLite driver
)

const schema = `
CREATE TABLE metadata (name TEXT NOT NULL, value TEXT);
CREATE UNIQUE INDEX metadata_name ON metadata (name);
CREATE TABLE tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL);
`

// Writer builds a new MBTiles file. It writes to a temporary file next to
// the target and renames it into place on Close, so readers of an older
// file at the same path never see a half-written one.
type Writer struct {
	db        *sql.DB
	tx        *sql.Tx
	put       *sql.Stmt
	path, tmp string
	pending   int
}

// batch is how many tiles go into one transaction.
const batch = 2000

// Create starts a new MBTiles file at path (replacing any file there on
// Close).
func Create(ctx context.Context, path string) (*Writer, error) {
	tmp := path + ".tmp"
	for _, p := range []string{tmp, tmp + "-journal", tmp + "-wal", tmp + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("mbtiles create %s: %w", path, err)
		}
	}
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(tmp)+"?_journal_mode=OFF&_synchronous=OFF")
	if err != nil {
		return nil, fmt.Errorf("mbtiles create %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("mbtiles create %s: %w", path, err)
	}
	return &Writer{db: db, path: path, tmp: tmp}, nil
}

// Put stores one tile given in XYZ order; data is stored as given (for
// vector tiles: gzip-compressed MVT).
func (w *Writer) Put(ctx context.Context, z, x, y int, data []byte) error {
	if w.tx == nil {
		tx, err := w.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("mbtiles put: %w", err)
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)`)
		if err != nil {
			tx.Rollback()
			return fmt.Errorf("mbtiles put: %w", err)
		}
		w.tx, w.put = tx, st
	}
	if _, err := w.put.ExecContext(ctx, z, x, TMSRow(z, y), data); err != nil {
		return fmt.Errorf("mbtiles put %d/%d/%d: %w", z, x, y, err)
	}
	w.pending++
	if w.pending >= batch {
		return w.commit()
	}
	return nil
}

func (w *Writer) commit() error {
	if w.tx == nil {
		return nil
	}
	w.put.Close()
	err := w.tx.Commit()
	w.tx, w.put, w.pending = nil, nil, 0
	if err != nil {
		return fmt.Errorf("mbtiles commit: %w", err)
	}
	return nil
}

// SetMetadata writes metadata rows, replacing rows of the same name.
func (w *Writer) SetMetadata(ctx context.Context, meta map[string]string) error {
	if err := w.commit(); err != nil {
		return err
	}
	names := make([]string, 0, len(meta))
	for n := range meta {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := w.db.ExecContext(ctx, `INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)`, n, meta[n]); err != nil {
			return fmt.Errorf("mbtiles metadata %s: %w", n, err)
		}
	}
	return nil
}

// Close finishes the file: commits, indexes the tiles and moves the file
// into place.
func (w *Writer) Close(ctx context.Context) error {
	if err := w.commit(); err != nil {
		w.Abort()
		return err
	}
	if _, err := w.db.ExecContext(ctx, `CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)`); err != nil {
		w.Abort()
		return fmt.Errorf("mbtiles index: %w", err)
	}
	if err := w.db.Close(); err != nil {
		os.Remove(w.tmp)
		return fmt.Errorf("mbtiles close: %w", err)
	}
	// A log and index the file being replaced left behind (a server
	// killed while rewriting tiles in place) belong to that file: SQLite
	// checks a log's frames against the log's own header, not against the
	// database, so it would replay them onto the new file.
	for _, p := range []string{w.path + "-wal", w.path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.Remove(w.tmp)
			return fmt.Errorf("mbtiles close: %w", err)
		}
	}
	if err := os.Rename(w.tmp, w.path); err != nil {
		os.Remove(w.tmp)
		return fmt.Errorf("mbtiles close: %w", err)
	}
	return nil
}

// Abort drops the file being written.
func (w *Writer) Abort() {
	if w.tx != nil {
		w.put.Close()
		w.tx.Rollback()
		w.tx = nil
	}
	w.db.Close()
	os.Remove(w.tmp)
}

// TMSRow converts an XYZ row to the TMS row MBTiles stores (and back: the
// conversion is its own inverse).
func TMSRow(z, y int) int { return (1 << z) - 1 - y }

// Reader reads tiles from an MBTiles file. It is safe for concurrent use.
type Reader struct {
	path string
	db   *sql.DB
	get  *sql.Stmt
	meta map[string]string
}

// Open opens an MBTiles file read-only.
func Open(ctx context.Context, path string) (*Reader, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("mbtiles open: %w", err)
	}
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?mode=ro&_query_only=1")
	if err != nil {
		return nil, fmt.Errorf("mbtiles open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	r := &Reader{path: path, db: db, meta: map[string]string{}}
	rows, err := db.QueryContext(ctx, `SELECT name, value FROM metadata`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("mbtiles open %s: metadata: %w", path, err)
	}
	for rows.Next() {
		var n string
		var v sql.NullString
		if err := rows.Scan(&n, &v); err != nil {
			rows.Close()
			db.Close()
			return nil, fmt.Errorf("mbtiles open %s: metadata: %w", path, err)
		}
		r.meta[n] = v.String
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		db.Close()
		return nil, fmt.Errorf("mbtiles open %s: metadata: %w", path, err)
	}
	r.get, err = db.PrepareContext(ctx, `SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("mbtiles open %s: %w", path, err)
	}
	return r, nil
}

// Path is the file the reader reads.
func (r *Reader) Path() string { return r.path }

// Metadata returns the metadata rows (the caller must not modify the map).
func (r *Reader) Metadata() map[string]string { return r.meta }

// Tile reads one tile in XYZ order; ok is false when the file holds none.
func (r *Reader) Tile(ctx context.Context, z, x, y int) (data []byte, ok bool, err error) {
	err = r.get.QueryRowContext(ctx, z, x, TMSRow(z, y)).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("mbtiles tile %d/%d/%d: %w", z, x, y, err)
	}
	return data, true, nil
}

// Count is the number of tiles stored.
func (r *Reader) Count(ctx context.Context) (int, error) {
	var n int
	if err := r.db.QueryRowContext(ctx, `SELECT count(*) FROM tiles`).Scan(&n); err != nil {
		return 0, fmt.Errorf("mbtiles count: %w", err)
	}
	return n, nil
}

// Close releases the file.
func (r *Reader) Close() error {
	r.get.Close()
	return r.db.Close()
}

// Updater rewrites tiles of an existing MBTiles file in place, each batch
// in one transaction, while Readers of the same file keep reading: the
// file is switched to write-ahead logging, so readers see a batch whole or
// not at all and are never blocked by it.
type Updater struct {
	db *sql.DB
}

// TileData is one tile to store in XYZ order; nil Data deletes the tile
// (an empty tile is not stored).
type TileData struct {
	Z, X, Y int
	Data    []byte
}

// OpenUpdater opens an MBTiles file (made by Writer) for in-place updates.
func OpenUpdater(ctx context.Context, path string) (*Updater, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("mbtiles update: %w", err)
	}
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000")
	if err != nil {
		return nil, fmt.Errorf("mbtiles update %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles (zoom_level, tile_column, tile_row)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("mbtiles update %s: %w", path, err)
	}
	return &Updater{db: db}, nil
}

// Write stores the tiles and the metadata rows in one transaction.
func (u *Updater) Write(ctx context.Context, tiles []TileData, meta map[string]string) error {
	tx, err := u.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mbtiles update: %w", err)
	}
	defer tx.Rollback()
	if len(tiles) > 0 {
		put, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("mbtiles update: %w", err)
		}
		defer put.Close()
		del, err := tx.PrepareContext(ctx, `DELETE FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?`)
		if err != nil {
			return fmt.Errorf("mbtiles update: %w", err)
		}
		defer del.Close()
		for _, t := range tiles {
			if t.Data == nil {
				_, err = del.ExecContext(ctx, t.Z, t.X, TMSRow(t.Z, t.Y))
			} else {
				_, err = put.ExecContext(ctx, t.Z, t.X, TMSRow(t.Z, t.Y), t.Data)
			}
			if err != nil {
				return fmt.Errorf("mbtiles update %d/%d/%d: %w", t.Z, t.X, t.Y, err)
			}
		}
	}
	for n, v := range meta {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)`, n, v); err != nil {
			return fmt.Errorf("mbtiles metadata %s: %w", n, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("mbtiles update commit: %w", err)
	}
	return nil
}

// Checkpoint copies what the write-ahead log holds into the file itself
// as far as readers allow (without waiting for them), so that a copy of
// the .mbtiles file alone is close to current.
func (u *Updater) Checkpoint(ctx context.Context) error {
	if _, err := u.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		return fmt.Errorf("mbtiles checkpoint: %w", err)
	}
	return nil
}

// Close releases the file.
func (u *Updater) Close() error { return u.db.Close() }
