package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"citygrid/api/city"
	"citygrid/data/gpkg"
	"citygrid/spatial"
	"citygrid/tiles"
	"citygrid/tiles/mbtiles"

	"github.com/schollz/progressbar/v3"
)

// metaTilesVersion is the store metadata key recording the data version of
// the last bake.
const metaTilesVersion = "tiles.data_version"

// runBake pre-generates the city's vector tiles into DIR/citygrid.mbtiles.
func runBake(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bake", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: citygrid bake --dir DIR [--minzoom 10] [--maxzoom 17] [--workers N]\n\n"+
			"Pre-generates the vector tiles of the city in DIR/citygrid.gpkg into DIR/citygrid.mbtiles\n"+
			"(MBTiles 1.3). The server serves them while they match the data and generates the rest on the fly.\n\nflags:")
		fs.PrintDefaults()
	}
	dir := fs.String("dir", "", "data directory holding citygrid.gpkg (required)")
	minZoom := fs.Int("minzoom", 10, "lowest zoom to bake")
	maxZoom := fs.Int("maxzoom", 17, "deepest zoom to bake")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "tiles encoded in parallel")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *dir == "" {
		fs.Usage()
		return errors.New("--dir is required")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	start := time.Now()
	storePath := filepath.Join(*dir, "citygrid.gpkg")
	if _, err := os.Stat(storePath); err != nil {
		return fmt.Errorf("no store to bake: %w (run citygrid demo or import first)", err)
	}
	st, err := gpkg.Open(ctx, storePath)
	if err != nil {
		return fmt.Errorf("open store %s: %w", storePath, err)
	}
	defer st.Close()
	ds, err := st.Load(ctx)
	if err != nil {
		return fmt.Errorf("load store %s: %w", storePath, err)
	}
	ix, err := spatial.Build(ds)
	if err != nil {
		return fmt.Errorf("build spatial index: %w", err)
	}
	ts, err := tiles.New(ix, tiles.Options{Attribution: "citygrid"})
	if err != nil {
		return err
	}
	loaded := time.Since(start)
	out := filepath.Join(*dir, city.MBTilesFile)
	w, err := mbtiles.Create(ctx, out)
	if err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	opt := tiles.BakeOptions{MinZoom: *minZoom, MaxZoom: *maxZoom, Workers: *workers}
	if !*quiet {
		opt.Progress = func(done, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total,
					progressbar.OptionSetWriter(os.Stderr),
					progressbar.OptionSetDescription(fmt.Sprintf("baking z%d-z%d", *minZoom, *maxZoom)),
					progressbar.OptionShowCount(),
					progressbar.OptionShowIts(),
					progressbar.OptionSetItsString("tiles"),
					progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionShowElapsedTimeOnFinish(),
				)
			}
			_ = bar.Set(done)
		}
	}
	bakeStart := time.Now()
	stats, err := ts.Bake(ctx, w, opt)
	if err != nil {
		w.Abort()
		return err
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(os.Stderr)
	}
	if err := w.Close(ctx); err != nil {
		return err
	}
	if err := st.SetMeta(ctx, metaTilesVersion, ts.Version()); err != nil {
		return fmt.Errorf("record tiles version: %w", err)
	}
	fmt.Fprintf(os.Stderr, "baked %d of %d tiles (%.1f MB, largest %d bytes at %s) into %s in %s (load %s), data version %s\n",
		stats.Stored, stats.Tiles, float64(stats.Bytes)/1e6, stats.Largest, stats.LargeAt, out,
		time.Since(bakeStart).Round(time.Millisecond), loaded.Round(time.Millisecond), ts.Version())
	return nil
}
