package main

import (
	"context"
	"path/filepath"
	"testing"

	"citygrid/data/demo"
	"citygrid/data/gpkg"
	"citygrid/tiles/mbtiles"
)

func TestBakeWritesMBTilesAndRecordsTheVersion(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ds, err := demo.Generate(ctx, demo.Options{Seed: 5, Scale: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	st, err := gpkg.Open(ctx, filepath.Join(dir, "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, ds); err != nil {
		t.Fatal(err)
	}
	st.Close()

	if err := runBake(ctx, []string{"--dir", dir, "--minzoom", "13", "--maxzoom", "15", "--workers", "2", "--quiet"}); err != nil {
		t.Fatal(err)
	}
	r, err := mbtiles.Open(ctx, filepath.Join(dir, "citygrid.mbtiles"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := r.Metadata()
	if m["minzoom"] != "13" || m["maxzoom"] != "15" || m["format"] != "pbf" || m["data_version"] == "" {
		t.Errorf("metadata %v", m)
	}
	if n, err := r.Count(ctx); err != nil || n == 0 {
		t.Errorf("%d tiles, %v", n, err)
	}
	st, err = gpkg.Open(ctx, filepath.Join(dir, "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, err := st.Meta(ctx, metaTilesVersion); err != nil || v != m["data_version"] {
		t.Errorf("store meta %s = %q (%v), mbtiles says %q", metaTilesVersion, v, err, m["data_version"])
	}
}

func TestBakeRejectsBadArguments(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		args []string
	}{
		{"no directory", nil},
		{"a directory without a store", []string{"--dir", t.TempDir()}},
		{"a stray argument", []string{"--dir", t.TempDir(), "extra"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := runBake(ctx, tc.args); err == nil {
				t.Error("accepted")
			}
		})
	}
}
