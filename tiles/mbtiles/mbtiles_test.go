package mbtiles

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

func TestTMSRowFlipsY(t *testing.T) {
	tests := []struct {
		name       string
		z, y, want int
	}{
		{"the spec's example 11/327/791 is stored as row 1256", 11, 791, 1256},
		{"the only tile of zoom 0 is row 0", 0, 0, 0},
		{"the northernmost row becomes the last", 3, 0, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := TMSRow(tc.z, tc.y); got != tc.want {
				t.Errorf("TMSRow(%d, %d) = %d, want %d", tc.z, tc.y, got, tc.want)
			}
			if back := TMSRow(tc.z, TMSRow(tc.z, tc.y)); back != tc.y {
				t.Errorf("not its own inverse: %d", back)
			}
		})
	}
}

func TestWrittenTilesReadBackInXYZ(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.mbtiles")
	w, err := Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put(ctx, 11, 327, 791, []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := w.Put(ctx, 0, 0, 0, []byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := w.SetMetadata(ctx, map[string]string{"name": "city", "format": "pbf"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Read the raw table as any MBTiles client does: TMS rows.
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	var data string
	if err := db.QueryRow(`SELECT tile_data FROM tiles WHERE zoom_level=11 AND tile_column=327 AND tile_row=1256`).Scan(&data); err != nil || data != "a" {
		t.Fatalf("raw row 1256: %q, %v", data, err)
	}
	db.Close()

	r, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, ok, err := r.Tile(ctx, 11, 327, 791); err != nil || !ok || string(got) != "a" {
		t.Errorf("Tile(11,327,791) = %q %v %v", got, ok, err)
	}
	if _, ok, err := r.Tile(ctx, 11, 327, 1256); err != nil || ok {
		t.Errorf("the TMS address must not be found as XYZ: ok=%v err=%v", ok, err)
	}
	if r.Metadata()["format"] != "pbf" || r.Metadata()["name"] != "city" {
		t.Errorf("metadata %v", r.Metadata())
	}
	if n, _ := r.Count(ctx); n != 2 {
		t.Errorf("count %d, want 2", n)
	}
}

func TestAbortLeavesNoFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.mbtiles")
	w, err := Create(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	w.Put(ctx, 1, 0, 0, []byte("x"))
	w.Abort()
	if _, err := Open(ctx, path); err == nil {
		t.Error("an aborted file can be opened")
	}
}
