package geoio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"citygrid/data"
	"citygrid/data/gpkg"
)

// Format is a file format.
type Format string

// The formats.
const (
	GeoJSON    Format = "geojson"
	GeoPackage Format = "gpkg"
	CSV        Format = "csv"
	// Shapefile is an ESRI Shapefile (.shp with its .dbf, .shx, .prj and
	// .cpg), read through GDAL/OGR.
	Shapefile Format = "shp"
	// FileGDB is an ESRI File Geodatabase (a .gdb folder), read through
	// GDAL/OGR's OpenFileGDB driver.
	FileGDB Format = "gdb"
	// KML is a KML or KMZ file, read through GDAL/OGR.
	KML Format = "kml"
)

// throughOGR reports whether a format is read by ogr2ogr.
func (f Format) throughOGR() bool { return f == Shapefile || f == FileGDB || f == KML }

// FormatOf tells the format from a file name's extension.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(strings.TrimRight(path, `/\`))) {
	case ".shp":
		return Shapefile, nil
	case ".dbf", ".shx", ".prj", ".cpg":
		return "", fmt.Errorf("%w %s: import the .shp file of the Shapefile; its .dbf, .shx, .prj and .cpg are read with it", errNoFormat, path)
	case ".gdb":
		return FileGDB, nil
	case ".kml", ".kmz":
		return KML, nil
	case ".geojson", ".json":
		return GeoJSON, nil
	case ".gpkg":
		return GeoPackage, nil
	case ".csv", ".txt":
		return CSV, nil
	}
	return "", fmt.Errorf("%w %s (want .shp, .gdb, .gpkg, .geojson, .json, .kml, .kmz or .csv, or name the format with --format)", errNoFormat, path)
}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case GeoJSON, GeoPackage, CSV, Shapefile, FileGDB, KML:
		return f, nil
	case "shapefile", "esri shapefile":
		return Shapefile, nil
	case "filegdb", "openfilegdb":
		return FileGDB, nil
	case "kmz":
		return KML, nil
	case "json":
		return GeoJSON, nil
	case "geopackage":
		return GeoPackage, nil
	}
	return "", fmt.Errorf("unknown format %q (shp, gdb, gpkg, geojson, kml or csv)", s)
}

// Options controls Read and Import.
type Options struct {
	Layer   Layer
	Format  Format // "" = from the file name
	Mapping Mapping
	// Table is the GeoPackage table to read (see GeoPackageOptions).
	Table string
	// CSV names the geometry columns of CSV input.
	CSV CSVOptions
	// CRS says what a file's coordinates are when the file does not, and
	// picks the layer of a multi-layer source.
	CRS CRSOptions
	// Geometry says how invalid geometry and overlaps are treated.
	Geometry GeometryOptions
	// Progress, when set, is called while the file is read: bytes for
	// GeoJSON and CSV, rows for GeoPackage.
	Progress func(done, total int64)
}

// Read reads a file into a batch without touching any store.
func Read(ctx context.Context, path string, opt Options) (*Batch, error) {
	format := opt.Format
	if format == "" {
		f, err := FormatOf(path)
		if err != nil {
			return nil, err
		}
		format = f
	}
	if opt.Layer == "" {
		return nil, errors.New("no layer given")
	}
	b, err := read(ctx, path, format, opt)
	if err != nil {
		return nil, err
	}
	b.geom = opt.Geometry
	return b, nil
}

// read reads a file natively, or through GDAL/OGR when its format or
// coordinate system needs it.
func read(ctx context.Context, path string, format Format, opt Options) (*Batch, error) {
	if format.throughOGR() || (opt.CRS.given() && format != CSV) {
		return readOGR(ctx, path, opt)
	}
	if opt.CRS.given() {
		return readProjectedCSV(ctx, path, opt)
	}
	b, err := readNative(ctx, path, format, opt)
	if errors.Is(err, errProjected) {
		// A projected GeoJSON or GeoPackage: let PROJ reproject it.
		if !GDALAvailable() {
			return nil, fmt.Errorf("%v; %w", err, ErrNoGDAL)
		}
		return readOGR(ctx, path, opt)
	}
	return b, err
}

func readNative(ctx context.Context, path string, format Format, opt Options) (*Batch, error) {
	switch format {
	case GeoPackage:
		return ReadGeoPackage(ctx, path, opt.Layer, opt.Mapping, GeoPackageOptions{Table: opt.Table, Progress: opt.Progress})
	case GeoJSON:
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		return readGeoJSON(f, opt.Layer, opt.Mapping, opt.Progress)
	case CSV:
		text, note, err := csvText(path, opt.CRS.Encoding)
		if err != nil {
			return nil, err
		}
		b, err := readCSV(bytes.NewReader(text), opt.Layer, opt.Mapping, opt.CSV, opt.Progress)
		if err == nil && note != "" {
			b.Warnings = append(b.Warnings, note)
		}
		return b, err
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

// Import reads the file at path and adds its features to the store, all
// or nothing. It loads the stored city for context (references,
// duplicates, extent), completes and validates the batch, and only then
// inserts it in one transaction. A file with any problem is rejected
// whole, with data.ValidationErrors naming each bad feature and field;
// the store is then not written to, not even a transaction opened. It
// returns the batch that was stored.
func Import(ctx context.Context, st data.Store, path string, opt Options) (*Batch, error) {
	b, err := Read(ctx, path, opt)
	if err != nil {
		return nil, err
	}
	if err := Apply(ctx, st, b); err != nil {
		return nil, err
	}
	return b, nil
}

// Apply validates a batch against the stored city and inserts it.
func Apply(ctx context.Context, st data.Store, b *Batch) error {
	city, err := st.Load(ctx)
	if err != nil {
		return fmt.Errorf("import: load the city: %w", err)
	}
	b.Complete(city)
	if errs := b.Validate(city); len(errs) > 0 {
		return errs
	}
	if b.Len() == 0 {
		return nil
	}
	if err := st.Insert(ctx, b.Dataset); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

// Subset returns the part of ds that belongs to layer (all of it for All).
// The slices are shared with ds.
func Subset(ds *data.Dataset, layer Layer) *data.Dataset {
	if layer == All {
		return ds
	}
	out := &data.Dataset{}
	switch layer {
	case Districts, Streets, Communities:
		for _, u := range ds.AdminUnits {
			if adminLayer(u.Level) == layer && knownLevel(u.Level) {
				out.AdminUnits = append(out.AdminUnits, u)
			}
		}
	case UnitGrids:
		out.UnitGrids = ds.UnitGrids
	case ManagementGrids:
		out.ManagementGrids = ds.ManagementGrids
	case Components:
		out.Components = ds.Components
	case Roads:
		out.Roads = ds.Roads
	case Addresses:
		out.Addresses = ds.Addresses
	case POIs:
		out.POIs = ds.POIs
	case Departments:
		out.Departments = ds.Departments
	case Categories:
		out.Categories = ds.Categories
	case Rules:
		out.Rules = ds.Rules
	}
	return out
}

// ErrExists is returned by Export when the output file exists and
// overwriting was not asked for.
var ErrExists = errors.New("output file exists")

// Export writes layer of ds (or the whole city) to path as GeoJSON or as
// a GeoPackage (a citygrid store holding just that layer, which GIS tools
// and citygrid import read alike). The file is written next to path and
// renamed into place, so a failed export leaves no partial file. An
// existing file is replaced only when overwrite is set.
func Export(ctx context.Context, ds *data.Dataset, layer Layer, format Format, path string, overwrite bool) error {
	if _, err := os.Stat(path); err == nil && !overwrite {
		return fmt.Errorf("export: %s: %w", path, ErrExists)
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	defer os.Remove(tmp)
	switch format {
	case GeoJSON:
		f, err := os.Create(tmp)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := WriteGeoJSON(f, ds, layer); err != nil {
			f.Close()
			return fmt.Errorf("export: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	case GeoPackage:
		os.Remove(tmp)
		st, err := gpkg.Open(ctx, tmp)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := st.Insert(ctx, Subset(ds, layer)); err != nil {
			st.Close()
			return fmt.Errorf("export: %w", err)
		}
		// A file to hand on is better self-contained: leave WAL mode, which
		// checkpoints the log, so readers on read-only media can open it.
		if err := st.LeaveWAL(ctx); err != nil {
			st.Close()
			return fmt.Errorf("export: %w", err)
		}
		if err := st.Close(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	default:
		return fmt.Errorf("export: unknown format %q (geojson or gpkg)", format)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
