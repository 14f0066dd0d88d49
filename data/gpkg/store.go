// Package gpkg stores a citygrid city in one SQLite file that is also an OGC
// GeoPackage 1.4, so the same file a server loads can be opened in QGIS or
// listed with ogrinfo.
//
// Every spatial layer is a GeoPackage feature table in EPSG:4490 (CGCS2000):
// districts, streets, communities, unit_grids and management_grids
// (MULTIPOLYGON), components (GEOMETRY: points for most categories, lines
// or polygons for some), roads (MULTILINESTRING), addresses and pois
// (POINT). Categories, departments and rules are GeoPackage attribute
// tables. citygrid_meta holds key/value metadata and citygrid_migrations the
// applied schema migrations.
//
// The store deliberately has no GeoPackage R-tree spatial index extension:
// citygrid answers spatial queries from the in-memory indexes of package
// spatial, rebuilt from Load at start-up, and skipping the R-tree triggers
// keeps bulk inserts fast. GIS clients scan the tables instead, which is
// quick at city size.
//
// Geometries are GeoPackage binary blobs: a little-endian header with an XY
// envelope and little-endian WKB.
package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"

	"citygrid/data"
)

// driverName is go-sqlite3 with a connect hook that maps the file into
// memory: whole-table scans (Load) then read pages without a copy per page.
const driverName = "sqlite3_citygrid"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			// The page size only takes on a new file, before WAL mode
			// fixes it: 16 KiB pages make bulk inserts and scans cheaper.
			for _, q := range []string{`PRAGMA page_size = 16384`, `PRAGMA journal_mode = WAL`, `PRAGMA mmap_size = 4294967296`} {
				if _, err := c.Exec(q, nil); err != nil {
					return err
				}
			}
			return nil
		},
	})
}

// Store is a city in a GeoPackage file. It implements data.Store and is
// safe for concurrent use.
type Store struct {
	data.AsOf         // the as-of reads, over asOf and gridsAsOf
	db        *sql.DB // reads
	wdb       *sql.DB // write transactions (BEGIN IMMEDIATE)
	path      string
	// mu serialises Insert, so concurrent imports fail on conflicts rather
	// than on SQLITE_BUSY.
	mu sync.Mutex
	// refs caches the reference layers edits are checked against.
	refs refCache
	// lastMu guards last, the time of the latest edit.
	lastMu sync.Mutex
	last   time.Time
	// leftWAL is set by LeaveWAL: the file is self-contained and no
	// connection may be opened that turns WAL mode back on.
	leftWAL atomic.Bool
}

var _ data.Store = (*Store)(nil)

// Open creates the store at path, or opens the one there, and brings its
// schema up to date. Opening a current store reads it without writing. A
// store written by a newer citygrid is refused with an error wrapping
// ErrNewerSchema; an SQLite file with other tables but no citygrid schema
// with one wrapping ErrNotStore.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	// Under WAL, NORMAL loses at most the last transactions on power loss
	// and never corrupts the file; FULL costs an fsync per commit.
	q.Set("_synchronous", "NORMAL")
	// 64 MiB of page cache per connection (the default is 2 MiB): bulk
	// inserts into the code indexes and whole-table loads stay in memory.
	q.Set("_cache_size", "-65536")
	// WAL mode is set by the connect hook, after the page size.
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	// Write transactions run on a pool of their own whose BEGIN is
	// IMMEDIATE: they take SQLite's write lock when they start (waiting
	// up to the busy timeout for other writers, in this process or
	// another) instead of upgrading a read snapshot at their first write,
	// which SQLite refuses with SQLITE_BUSY when another connection
	// committed in between. Read transactions stay on db and never block
	// writers.
	q.Set("_txlock", "immediate")
	wdsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// SQLite has one writer at a time and each connection keeps its own
	// page cache: a few connections serve concurrent readers well.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	wdb, err := sql.Open(driverName, wdsn)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(2)
	wdb.SetMaxIdleConns(1)
	s := &Store{db: db, wdb: wdb, path: path}
	s.AsOf = data.AsOf{Components: s.asOf, UnitGrids: s.gridsAsOf}
	return s, nil
}

// Path returns the file the store lives in.
func (s *Store) Path() string { return s.path }

// DB returns the underlying database, for reads, tests and maintenance
// tools.
func (s *Store) DB() *sql.DB { return s.db }

// WriteDB returns the pool for write transactions on the same file: its
// transactions begin IMMEDIATE, so they never fail with SQLITE_BUSY on
// their first write after another connection committed.
func (s *Store) WriteDB() *sql.DB { return s.wdb }

// LeaveWAL switches the file out of WAL mode, which checkpoints the log
// into the main file, so that the file is self-contained (an export to hand
// on, a file on read-only media). Nothing else may be using the store: the
// switch needs the only connection to the file.
func (s *Store) LeaveWAL(ctx context.Context) error {
	// Close the idle connections of the write pool and all but one of the
	// read pool; the PRAGMA runs on that one.
	s.wdb.SetMaxIdleConns(0)
	s.db.SetMaxIdleConns(1)
	if _, err := s.db.ExecContext(ctx, `PRAGMA journal_mode = DELETE`); err != nil {
		return fmt.Errorf("leave WAL mode: %w", err)
	}
	s.leftWAL.Store(true)
	return nil
}

// FileMode is the mode a new store file gets: the city's data and its
// case records (names and telephone numbers of reporters) are readable by
// the service account and its group only. SQLite gives the write-ahead log
// and shared-memory files the main file's mode.
const FileMode = 0o640

// createPrivate creates an empty store file with FileMode when none is
// there, before SQLite would create it with the process's umask (0644
// under the usual 022). An empty file is a valid new SQLite database.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, FileMode)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// closeCheckpointWait bounds how long Close retries a checkpoint that
// readers or a last writer keep busy.
const closeCheckpointWait = 10 * time.Second

// Close checkpoints the write-ahead log into the main file and truncates
// it, then releases the store. SQLite's own checkpoint at the last close
// gives up silently when a connection is still busy, which left the log
// behind after a clean stop under load; Checkpoint retries instead.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeCheckpointWait)
	cerr := s.Checkpoint(ctx)
	cancel()
	werr := s.wdb.Close()
	if err := s.db.Close(); err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	return cerr
}

// Checkpoint copies every frame of the write-ahead log into the main file
// and truncates the log to zero bytes, waiting for busy readers and
// writers until ctx ends. A store not in WAL mode has nothing to do.
func (s *Store) Checkpoint(ctx context.Context) error {
	if s.leftWAL.Load() {
		// A new connection would switch the file back to WAL mode
		// (the connect hook), undoing LeaveWAL.
		return nil
	}
	for {
		var busy, logFrames, done int
		err := s.wdb.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done)
		if err == nil && busy == 0 {
			return nil
		}
		if ctx.Err() != nil {
			if err == nil {
				err = fmt.Errorf("%d log frames still in use", logFrames)
			}
			return fmt.Errorf("checkpoint %s: %w", s.path, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Meta reads a metadata value, "" when unset.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM citygrid_meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read meta %q: %w", key, err)
	}
	return v, nil
}

// SetMeta writes a metadata value.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO citygrid_meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("write meta %q: %w", key, err)
	}
	return nil
}

// isConstraint reports whether err is a UNIQUE or PRIMARY KEY violation.
func isConstraint(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	return false
}
