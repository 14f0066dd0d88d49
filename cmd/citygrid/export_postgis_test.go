package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
)

func TestExportPostGIS(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := gpkg.Open(ctx, filepath.Join(dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out := filepath.Join(t.TempDir(), "city.sql")
	stdout := os.Stdout
	os.Stdout, _ = os.Open(os.DevNull)
	err = runExport(ctx, []string{"--dir", dir, "--postgis", "--out", out})
	os.Stdout = stdout
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	city := gpkgtest.City()
	for _, want := range []string{"CREATE EXTENSION IF NOT EXISTS postgis;", "COPY components (", "CLUSTER unit_grids", city.UnitGrids[0].Code} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("script lacks %q", want)
		}
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm()&0o044 != 0o044 {
		t.Errorf("script mode %v: psql run as another user cannot read it", fi.Mode())
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--dir", dir, "--postgis", "--out", out}, "exists"},
		{[]string{"--dir", dir, "--postgis", "--layer", "roads", "--out", out + "2"}, "whole city"},
		{[]string{"--dir", filepath.Join(dir, "absent"), "--postgis", "--out", out + "3"}, "no store"},
		{[]string{"--postgis", "--out", out + "4"}, "--dir"},
	} {
		err := runExport(ctx, tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("export %v: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".citygrid-postgis-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}
