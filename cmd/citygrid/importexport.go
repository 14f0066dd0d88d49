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

Loads one layer of a survey delivery into the city in DIR/%s (created if
missing): a Shapefile (.shp with its .dbf, .shx, .prj, .cpg), a File
Geodatabase (.gdb folder), a GeoPackage table, a GeoJSON FeatureCollection,
KML or a CSV file. Shapefiles, File Geodatabases, KML and files in a
projected CRS are read through GDAL/OGR (Debian package gdal-bin) and
reprojected to CGCS2000 longitude/latitude (EPSG:4490), e.g. from the
Gauss-Krüger zones EPSG:4513-4554. Shapefile attributes are read in the
encoding of the .cpg, else UTF-8 or GBK as the bytes show (--encoding).

The file is checked as a whole against the stored city (codes and their
parents, categories, departments, geometry types and validity, coordinates
within the city's extent, overlaps within a layer, duplicates); if anything
is wrong, every problem is listed with its feature (number and code) and
the file's field, and nothing is imported. Otherwise all features are
added in one transaction. See docs/import.md.

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
	formatName := fs.String("format", "", "shp, gdb, gpkg, geojson, kml or csv (default: from the file extension)")
	mapping := fs.String("map", "", "field mapping as dst=src pairs, e.g. code=ObjID,category=ObjCode")
	table := fs.String("gpkg-table", "", "GeoPackage table to read (default: the table named as the layer, or the only one)")
	sourceLayer := fs.String("source-layer", "", "layer of a multi-layer source: a File Geodatabase feature class, a GeoPackage table, a KML folder")
	sSRS := fs.String("s-srs", "", "the file's coordinate system when it has none or a wrong one: EPSG:4549, a PROJ string or a .prj file")
	toWGS84 := fs.String("towgs84", "", "seven-parameter datum shift dx,dy,dz,rx,ry,rz,ds (m, arc-seconds, ppm) from the file's datum to CGCS2000/WGS 84")
	pipeline := fs.String("ct", "", "PROJ pipeline from the file's coordinates to EPSG:4490 longitude/latitude, instead of --towgs84")
	encoding := fs.String("encoding", "", "attribute encoding of a Shapefile without a .cpg file, or of a CSV: GBK, GB18030 or UTF-8 (default: from the bytes)")
	makeValid := fs.Bool("make-valid", false, "repair invalid polygons to their shell-minus-holes reading and drop zero-length line parts, listing each repair")
	allowOverlaps := fs.Bool("allow-overlaps", false, "accept polygons that overlap others of their layer, listing each overlap with its area")
	lonCol := fs.String("lon-col", "", "CSV longitude column (default lon, longitude or lng); with --s-srs the easting column")
	latCol := fs.String("lat-col", "", "CSV latitude column (default lat or latitude); with --s-srs the northing column")
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
	opt := geoio.Options{
		Table: *table, CSV: geoio.CSVOptions{LonCol: *lonCol, LatCol: *latCol, WKTCol: *wktCol},
		CRS:      geoio.CRSOptions{SourceSRS: *sSRS, ToWGS84: *toWGS84, Pipeline: *pipeline, Encoding: *encoding, SourceLayer: *sourceLayer},
		Geometry: geoio.GeometryOptions{MakeValid: *makeValid, AllowOverlaps: *allowOverlaps},
	}
	if opt.Layer, err = geoio.ParseLayer(*layerName); err != nil {
		return err
	}
	if *formatName != "" {
		if opt.Format, err = geoio.ParseFormat(*formatName); err != nil {
			return err
		}
	} else if opt.Format, err = geoio.FormatOf(file); err != nil {
		return err
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
		if strings.Contains(err.Error(), file) {
			return err // the OGR route names the file itself
		}
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
		errs := b.Validate(city)
		warn(os.Stderr, file, b.Warnings)
		if len(errs) > 0 {
			return rejected(os.Stderr, file, errs)
		}
		fmt.Printf("%s: %s would be imported (dry run, nothing written)\n", file, describeCounts(b.Counts()))
		return nil
	}
	err = geoio.Apply(ctx, st, b)
	warn(os.Stderr, file, b.Warnings)
	if err != nil {
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

// warn prints what the user should check though it did not stop the import.
func warn(w io.Writer, file string, warnings []string) {
	for i, m := range warnings {
		if i == maxShownErrors {
			fmt.Fprintf(w, "%s: warning: ... and %d more\n", file, len(warnings)-maxShownErrors)
			break
		}
		fmt.Fprintf(w, "%s: warning: %s\n", file, m)
	}
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
