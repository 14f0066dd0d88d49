package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"citygrid/data/gpkg"
	"citygrid/spatial"
	"citygrid/tiles"
	"citygrid/tiles/pmtiles"

	"github.com/paulmach/orb"
)

// pmtilesFlags are export's flags for --pmtiles.
type pmtilesFlags struct {
	out              *string
	bbox             *string
	minZoom, maxZoom *int
}

func addPMTilesFlags(fs *flag.FlagSet) pmtilesFlags {
	return pmtilesFlags{
		out:     fs.String("pmtiles", "", "write the vector tileset as a PMTiles v3 archive to this file (static hosting, field kits)"),
		bbox:    fs.String("bbox", "", "with --pmtiles: only tiles meeting minlon,minlat,maxlon,maxlat (CGCS2000/WGS84)"),
		minZoom: fs.Int("minzoom", 0, "with --pmtiles: lowest zoom"),
		maxZoom: fs.Int("maxzoom", 17, "with --pmtiles: deepest zoom"),
	}
}

// parseBBox reads "minlon,minlat,maxlon,maxlat".
func parseBBox(s string) (*orb.Bound, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, fmt.Errorf("--bbox %q: want minlon,minlat,maxlon,maxlat", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("--bbox %q: %w", s, err)
		}
		v[i] = f
	}
	if v[0] > v[2] || v[1] > v[3] || v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90 {
		return nil, fmt.Errorf("--bbox %q: want minlon ≤ maxlon and minlat ≤ maxlat within ±180, ±90", s)
	}
	return &orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}

// exportPMTiles writes the city's vector tiles (or those meeting --bbox)
// of the zoom range into a PMTiles archive, drawn as the server draws
// them.
func exportPMTiles(ctx context.Context, dir string, f pmtilesFlags, force bool, extra int) error {
	if dir == "" || extra > 0 {
		return errors.New("--pmtiles needs --dir, and nothing else but --bbox, --minzoom, --maxzoom and --force")
	}
	box, err := parseBBox(*f.bbox)
	if err != nil {
		return err
	}
	if _, err := os.Stat(*f.out); err == nil && !force {
		return fmt.Errorf("%s exists (use --force to replace it)", *f.out)
	}
	start := time.Now()
	st, err := gpkg.Open(ctx, filepath.Join(dir, storeFile))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	ds, err := st.Load(ctx)
	if err != nil {
		return fmt.Errorf("load store: %w", err)
	}
	ix, err := spatial.Build(ds)
	if err != nil {
		return fmt.Errorf("build spatial index: %w", err)
	}
	ts, err := tiles.New(ix, tiles.Options{Attribution: "citygrid"})
	if err != nil {
		return err
	}
	w, err := pmtiles.Create(*f.out)
	if err != nil {
		return err
	}
	stats, err := ts.ExportPMTiles(ctx, w, tiles.ExportOptions{MinZoom: *f.minZoom, MaxZoom: *f.maxZoom, Bound: box})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "exported %d tiles (%d distinct, %d directory entries, %d leaf directories), %.1f MB, z%d-z%d into %s in %s, data version %s\n",
		stats.Addressed, stats.Contents, stats.Entries, stats.Leaves, float64(stats.Bytes)/1e6, *f.minZoom, *f.maxZoom, *f.out,
		time.Since(start).Round(time.Millisecond), ts.Version())
	return nil
}
