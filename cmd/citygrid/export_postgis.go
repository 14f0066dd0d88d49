package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"citygrid/data"
	"citygrid/data/geoio"
	"citygrid/data/gpkg"
)

// exportPostGIS is 'citygrid export --postgis': the whole city in DIR as a
// psql script (geoio.WritePostGIS) written to out, or to stdout when out is
// "-". The script is written to a temporary file renamed into place, so an
// interrupted export leaves no half script.
func exportPostGIS(ctx context.Context, dir, layer, out string, force bool, extra int) error {
	if dir == "" || out == "" || extra > 0 {
		return errors.New("--postgis needs --dir and --out (a file, or - for stdout), and nothing else")
	}
	if layer != "" && layer != string(geoio.All) {
		return fmt.Errorf("--postgis writes the whole city: --layer %q is not all", layer)
	}
	storePath := filepath.Join(dir, storeFile)
	if _, err := os.Stat(storePath); err != nil {
		return fmt.Errorf("no store to export: %w", err)
	}
	if out != "-" && !force {
		if _, err := os.Stat(out); err == nil {
			return fmt.Errorf("%s exists (use --force to replace it)", out)
		}
	}
	start := time.Now()
	st, err := gpkg.Open(ctx, storePath)
	if err != nil {
		return err
	}
	defer st.Close()
	ds, err := st.Load(ctx)
	if err != nil {
		return err
	}
	if out == "-" {
		return geoio.WritePostGIS(ctx, os.Stdout, ds, geoio.PostGISOptions{})
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".citygrid-postgis-*.sql")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := writePostGISFile(ctx, tmp, ds); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	fmt.Printf("exported %d unit grids, %d management grids, %d components (PostGIS script) to %s in %.1f s; load with: psql -v ON_ERROR_STOP=1 -f %s\n",
		len(ds.UnitGrids), len(ds.ManagementGrids), len(ds.Components), out, time.Since(start).Seconds(), out)
	return nil
}

func writePostGISFile(ctx context.Context, f *os.File, ds *data.Dataset) error {
	if err := geoio.WritePostGIS(ctx, f, ds, geoio.PostGISOptions{}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
