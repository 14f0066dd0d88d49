package geoio

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Spreadsheets saved as CSV on a Chinese Windows desktop are GBK, not
// UTF-8; a contractor's CSV of surveyed points in Gauss-Krüger metres needs
// reprojecting like a Shapefile. This file handles both.

// csvText returns the CSV file's bytes as UTF-8: as they are when they are
// UTF-8 (a byte order mark is dropped), else decoded from GB18030 (a
// superset of GBK) or the encoding given, with a note saying so.
func csvText(path, encoding string) (text []byte, note string, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("import: %w", err)
	}
	raw = bytes.TrimPrefix(raw, []byte("\ufeff"))
	switch strings.ToUpper(strings.ReplaceAll(encoding, "-", "")) {
	case "UTF8":
		return raw, "", nil
	case "GBK", "GB2312", "CP936", "GB18030":
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
		if err != nil {
			return nil, "", fmt.Errorf("%w: %s is not %s: %v", ErrSyntax, path, encoding, err)
		}
		return out, "", nil
	case "":
	default:
		return nil, "", fmt.Errorf("--encoding %q: a CSV file is read as UTF-8, GBK or GB18030", encoding)
	}
	if utf8.Valid(raw) {
		return raw, "", nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
	if err != nil || !utf8.Valid(out) {
		return nil, "", fmt.Errorf("%w: %s is neither UTF-8 nor GBK; give its encoding with --encoding", ErrSyntax, path)
	}
	return out, fmt.Sprintf("%s is not UTF-8: read it as GB18030 (GBK); if the names look wrong, give the encoding with --encoding", filepath.Base(path)), nil
}

// readProjectedCSV reads a CSV of points (easting and northing columns) or
// WKT in the coordinate system opt.CRS names, through ogr2ogr. Errors name
// lines as the native reader does.
func readProjectedCSV(ctx context.Context, path string, opt Options) (*Batch, error) {
	c := opt.CSV
	if c.WKTCol == "" && (c.LonCol == "" || c.LatCol == "") {
		return nil, fmt.Errorf("a CSV in %s needs its coordinate columns named: --lon-col for the easting and --lat-col for the northing (Chinese survey tables often call the northing X and the easting Y), or --wkt-col", describeSRS(opt.CRS))
	}
	text, note, err := csvText(path, opt.CRS.Encoding)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "citygrid-csv-*")
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer os.RemoveAll(dir)
	utf := filepath.Join(dir, "layer.csv")
	if err := os.WriteFile(utf, text, 0o600); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	// Every column stays text (codes keep their leading zeros); the
	// coordinate columns become the geometry and leave the properties.
	open := []string{"-oo", "AUTODETECT_TYPE=NO", "-oo", "KEEP_GEOM_COLUMNS=NO"}
	if c.WKTCol != "" {
		open = append(open, "-oo", "GEOM_POSSIBLE_NAMES="+c.WKTCol)
	} else {
		open = append(open, "-oo", "X_POSSIBLE_NAMES="+c.LonCol, "-oo", "Y_POSSIBLE_NAMES="+c.LatCol)
	}
	o := opt
	o.CRS.Encoding = ""
	b, err := convertOGR(ctx, utf, path, o, open, func(i int) string { return fmt.Sprintf("line %d", i+1) })
	if err != nil {
		return nil, err
	}
	if note != "" {
		b.Warnings = append(b.Warnings, note)
	}
	return b, nil
}

func describeSRS(c CRSOptions) string {
	if c.SourceSRS != "" {
		return c.SourceSRS
	}
	return "a projected system"
}
