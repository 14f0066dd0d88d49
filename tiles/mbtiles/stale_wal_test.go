package mbtiles

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestABakeIgnoresTheLastFilesStaleLog: a server rewriting tiles in place
// is killed, leaving the write-ahead log of the old file beside it; a new
// bake replaces the file. The old log must not be replayed onto the new
// file (SQLite checks a log's frames against the log's own header, not
// against the database, so it would apply): the new file reads back as
// baked.
func TestABakeIgnoresTheLastFilesStaleLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "city.mbtiles")
	bake := func(data []byte, version string) {
		t.Helper()
		w, err := Create(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		for x := range 64 {
			if err := w.Put(ctx, 10, x, 7, data); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.SetMetadata(ctx, map[string]string{"data_version": version}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	bake(bytes.Repeat([]byte("old"), 300), "v1")

	// The rewriter stores tiles; the process dies with them in the log.
	up, err := OpenUpdater(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var tiles []TileData
	for x := range 64 {
		tiles = append(tiles, TileData{Z: 10, X: x, Y: 7, Data: bytes.Repeat([]byte("rewritten"), 200)})
	}
	if err := up.Write(ctx, tiles, map[string]string{"data_version": "rewriting"}); err != nil {
		t.Fatal(err)
	}
	wal, err := os.ReadFile(path + "-wal")
	if err != nil || len(wal) == 0 {
		t.Fatalf("no write-ahead log to leave behind (%d bytes): %v", len(wal), err)
	}
	up.Close()
	if err := os.WriteFile(path+"-wal", wal, 0o644); err != nil { // as a SIGKILL leaves it
		t.Fatal(err)
	}

	bake(bytes.Repeat([]byte("new"), 300), "v2")
	r, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if v := r.Metadata()["data_version"]; v != "v2" {
		t.Errorf("data_version %q after the new bake, want v2", v)
	}
	for x := range 64 {
		b, ok, err := r.Tile(ctx, 10, x, 7)
		if err != nil || !ok || !bytes.Equal(b, bytes.Repeat([]byte("new"), 300)) {
			t.Fatalf("tile 10/%d/7 after the new bake: ok %v, err %v, %.20q", x, ok, err, b)
		}
	}
}
