package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"citygrid/data"
	"citygrid/data/geoio"
	"citygrid/data/gpkg"
)

// maxShownErrors bounds the problems printed for a rejected file; the
// count of the rest is printed after them.
const maxShownErrors = 50

// parseInterspersed parses flags that may come before or after the
// positional arguments, as users type them, and returns the positionals.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func layerNames() string {
	names := make([]string, 0, len(geoio.Layers))
	for _, l := range geoio.Layers {
		names = append(names, string(l))
	}
	return strings.Join(names, ", ")
}

// runImport loads a file into one layer of the store in DIR.
func runImport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: citygrid import --dir DIR --layer LAYER [flags] FILE

Loads a GeoJSON FeatureCollection, a GeoPackage table or a CSV file into one
layer of the city in DIR/%s (created if missing). The file is checked as a
whole against the stored city (codes and their parents, categories,
departments, geometry types, coordinates, duplicates); if anything is wrong,
every problem is listed with its feature or line and field, and nothing is
imported. Otherwise all features are added in one transaction.

Layers: %s,
or all (a whole-city GeoJSON export, whose features carry a "layer" property,
or a GeoPackage with one table per layer).
Components also read the CJ/T 214 field names (ObjID, ObjName, DeptCode1-3,
BGID, ObjState, ORDate, CHDate, Note).

flags:
`, storeFile, layerNames())
		fs.PrintDefaults()
	}
	dir := fs.String("dir", "", "data directory holding "+storeFile+" (required)")
	layerName := fs.String("layer", "", "layer to load into (required)")
	formatName := fs.String("format", "", "geojson, gpkg or csv (default: from the file extension)")
	mapping := fs.String("map", "", "field mapping as dst=src pairs, e.g. code=ObjID,category=ObjCode")
	table := fs.String("gpkg-table", "", "GeoPackage table to read (default: the table named as the layer, or the only one)")
	lonCol := fs.String("lon-col", "", "CSV longitude column (default lon, longitude or lng)")
	latCol := fs.String("lat-col", "", "CSV latitude column (default lat or latitude)")
	wktCol := fs.String("wkt-col", "", "CSV column of WKT geometries, for lines and polygons (default wkt or geometry)")
	dryRun := fs.Bool("dry-run", false, "check the file against the city without importing it")
	quiet := fs.Bool("quiet", false, "no progress bar")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *dir == "" || *layerName == "" || len(pos) != 1 {
		fs.Usage()
		return errors.New("--dir, --layer and one FILE are required")
	}
	file := pos[0]
	opt := geoio.Options{Table: *table, CSV: geoio.CSVOptions{LonCol: *lonCol, LatCol: *latCol, WKTCol: *wktCol}}
	if opt.Layer, err = geoio.ParseLayer(*layerName); err != nil {
		return err
	}
	if *formatName != "" {
		if opt.Format, err = geoio.ParseFormat(*formatName); err != nil {
			return err
		}
	} else if opt.Format, err = geoio.FormatOf(file); err != nil {
		return fmt.Errorf("%w; name it with --format", err)
	}
	if opt.Mapping, err = geoio.ParseMapping(*mapping); err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	if !*quiet {
		opt.Progress = func(done, total int64) {
			if bar == nil {
				// Small files finish before a bar would be seen.
				big := (opt.Format == geoio.GeoPackage && total >= 20_000) || (opt.Format != geoio.GeoPackage && total >= 4<<20)
				if !big {
					return
				}
				bar = newImportBar(total, "reading "+filepath.Base(file), opt.Format != geoio.GeoPackage)
			}
			bar.Set64(done)
		}
	}

	start := time.Now()
	b, err := geoio.Read(ctx, file, opt)
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(os.Stderr)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	storePath := filepath.Join(*dir, storeFile)
	if _, err := os.Stat(storePath); errors.Is(err, os.ErrNotExist) {
		if *dryRun {
			return fmt.Errorf("no store at %s", storePath)
		}
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "creating a new store at %s\n", storePath)
	}
	st, err := gpkg.Open(ctx, storePath)
	if err != nil {
		return err
	}
	defer st.Close()
	if n := b.Len(); n >= 10_000 {
		fmt.Fprintf(os.Stderr, "checking %d features against the city in %s\n", n, storePath)
	}
	if *dryRun {
		city, err := st.Load(ctx)
		if err != nil {
			return err
		}
		b.Complete(city)
		if errs := b.Validate(city); len(errs) > 0 {
			return rejected(os.Stderr, file, errs)
		}
		fmt.Printf("%s: %s would be imported (dry run, nothing written)\n", file, describeCounts(b.Counts()))
		return nil
	}
	if err := geoio.Apply(ctx, st, b); err != nil {
		var errs data.ValidationErrors
		if errors.As(err, &errs) {
			return rejected(os.Stderr, file, errs)
		}
		if errors.Is(err, data.ErrConflict) {
			return fmt.Errorf("%s: %w; nothing was imported", file, err)
		}
		return err
	}
	fmt.Printf("imported %s from %s into %s in %.1f s\n", describeCounts(b.Counts()), file, storePath, time.Since(start).Seconds())
	return nil
}

// rejected prints a rejected file's problems and returns the error that
// ends the command.
func rejected(w io.Writer, file string, errs data.ValidationErrors) error {
	fmt.Fprintf(w, "%s: rejected, nothing was imported:\n", file)
	for i, e := range errs {
		if i == maxShownErrors {
			fmt.Fprintf(w, "  ... and %d more\n", len(errs)-maxShownErrors)
			break
		}
		fmt.Fprintf(w, "  %s\n", e)
	}
	return fmt.Errorf("%s: %d problem(s) found; fix them and import the file again", file, len(errs))
}

func describeCounts(c map[geoio.Layer]int) string {
	if len(c) == 0 {
		return "no features"
	}
	parts := make([]string, 0, len(c))
	for _, l := range geoio.Layers {
		if n, ok := c[l]; ok {
			parts = append(parts, fmt.Sprintf("%d %s", n, l))
		}
	}
	return strings.Join(parts, ", ")
}

// newImportBar makes a progress bar on stderr counting bytes or rows.
func newImportBar(total int64, what string, bytes bool) *progressbar.ProgressBar {
	if bytes {
		return progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
}

// runExport writes a layer, or the whole city, of the store in DIR.
func runExport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: citygrid export --dir DIR --layer LAYER|all --format geojson|gpkg --out FILE
       citygrid export --dir DIR --pmtiles FILE [--bbox minlon,minlat,maxlon,maxlat] [--minzoom 0] [--maxzoom 17]

Writes one layer of the city in DIR/%s, or the whole city, as an RFC 7946
GeoJSON FeatureCollection or as a GeoPackage. Properties carry the layer's
field names, so the file imports back with citygrid import unchanged.

Layers: %s,
or all.

flags:
`, storeFile, layerNames())
		fs.PrintDefaults()
	}
	dir := fs.String("dir", "", "data directory holding "+storeFile+" (required)")
	layerName := fs.String("layer", "", "layer to export, or all (required)")
	formatName := fs.String("format", "", "geojson or gpkg (default: from the --out extension)")
	out := fs.String("out", "", "file to write (required)")
	force := fs.Bool("force", false, "replace --out if it exists")
	postgis := fs.Bool("postgis", false, "write the whole city as a psql script for PostgreSQL + PostGIS (see export_postgis.go)")
	pmt := addPMTilesFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *postgis {
		return exportPostGIS(ctx, *dir, *layerName, *out, *force, len(pos))
	}
	if *pmt.out != "" {
		return exportPMTiles(ctx, *dir, pmt, *force, len(pos))
	}
	if *dir == "" || *layerName == "" || *out == "" || len(pos) > 0 {
		fs.Usage()
		return errors.New("--dir, --layer and --out are required, and nothing else")
	}
	layer, err := geoio.ParseLayer(*layerName)
	if err != nil {
		return err
	}
	var format geoio.Format
	if *formatName != "" {
		format, err = geoio.ParseFormat(*formatName)
	} else {
		format, err = geoio.FormatOf(*out)
	}
	if err != nil {
		return err
	}
	if format == geoio.CSV {
		return errors.New("export writes geojson or gpkg")
	}
	storePath := filepath.Join(*dir, storeFile)
	if _, err := os.Stat(storePath); err != nil {
		return fmt.Errorf("no store to export: %w", err)
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
	sub := geoio.Subset(ds, layer)
	if err := geoio.Export(ctx, sub, layer, format, *out, *force); err != nil {
		if errors.Is(err, geoio.ErrExists) {
			return fmt.Errorf("%w (use --force to replace it)", err)
		}
		return err
	}
	counts := (&geoio.Batch{Dataset: sub}).Counts()
	fmt.Printf("exported %s to %s in %.1f s\n", describeCounts(counts), *out, time.Since(start).Seconds())
	return nil
}
