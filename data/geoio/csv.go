package geoio

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"citygrid/data"
)

// CSVOptions says where a CSV file keeps its geometry.
type CSVOptions struct {
	// LonCol and LatCol name the longitude and latitude columns of point
	// layers ("lon" and "lat" when empty; "longitude"/"latitude" and
	// "lng" are recognised too).
	LonCol, LatCol string
	// WKTCol names a column of WKT geometries, for lines and polygons
	// ("wkt" or "geometry" when empty and no lon/lat columns exist).
	WKTCol string
}

// ReadCSV reads a CSV file with a header row into a batch for layer.
// Lines are numbered from 1 with the header as line 1, so errors name the
// line an editor shows ("line 40"). A UTF-8 byte order mark is skipped.
func ReadCSV(r io.Reader, layer Layer, m Mapping, opt CSVOptions) (*Batch, error) {
	return readCSV(r, layer, m, opt, nil)
}

// readCSV is ReadCSV reporting progress in bytes parsed.
func readCSV(r io.Reader, layer Layer, m Mapping, opt CSVOptions, progress func(done, total int64)) (*Batch, error) {
	if layer == All {
		return nil, fmt.Errorf("a CSV file holds one layer; name it with --layer")
	}
	if err := m.check(layer); err != nil {
		return nil, err
	}
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read CSV: %w", err)
	}
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(src))
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: CSV file is empty", ErrSyntax)
		}
		return nil, fmt.Errorf("%w: CSV header: %v", ErrSyntax, err)
	}
	keys := make([]string, len(header))
	for i, h := range header {
		keys[i] = strings.TrimSpace(h)
	}
	col := func(names ...string) int {
		for _, n := range names {
			if n == "" {
				continue
			}
			for i, k := range keys {
				if strings.EqualFold(k, n) {
					return i
				}
			}
		}
		return -1
	}
	lonNames, latNames := []string{"lon", "longitude", "lng"}, []string{"lat", "latitude"}
	if opt.LonCol != "" {
		lonNames = []string{opt.LonCol}
	}
	if opt.LatCol != "" {
		latNames = []string{opt.LatCol}
	}
	lonCol, latCol := col(lonNames...), col(latNames...)
	wktCol := -1
	if opt.WKTCol != "" {
		if wktCol = col(opt.WKTCol); wktCol < 0 {
			return nil, fmt.Errorf("%w: CSV has no column %q", ErrSyntax, opt.WKTCol)
		}
	} else if lonCol < 0 || latCol < 0 {
		wktCol = col("wkt", "geometry")
	}
	if (opt.LonCol != "" || opt.LatCol != "") && (lonCol < 0 || latCol < 0) {
		return nil, fmt.Errorf("%w: CSV has no column %q or %q (columns: %s)", ErrSyntax, opt.LonCol, opt.LatCol, strings.Join(keys, ", "))
	}
	if layer.Spatial() && wktCol < 0 && (lonCol < 0 || latCol < 0) {
		return nil, fmt.Errorf("%w: CSV has no lon/lat or WKT columns for layer %s (columns: %s); name them with --lon-col and --lat-col",
			ErrSyntax, layer, strings.Join(keys, ", "))
	}
	b := newBatch(layer, m)
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: CSV %v", ErrSyntax, err)
		}
		line, _ := cr.FieldPos(0)
		rec := &record{where: fmt.Sprintf("line %d", line), keys: keys, vals: make([]any, len(row))}
		blank := true
		for i, v := range row {
			rec.vals[i] = v
			if strings.TrimSpace(v) != "" {
				blank = false
			}
		}
		if blank {
			continue
		}
		if layer.Spatial() {
			if !csvGeometry(b, rec, row, keys, lonCol, latCol, wktCol) {
				continue
			}
		}
		b.add(rec, layer)
		if progress != nil && line%1024 == 0 {
			progress(cr.InputOffset(), int64(len(src)))
		}
	}
	if progress != nil {
		progress(int64(len(src)), int64(len(src)))
	}
	return b, nil
}

// csvGeometry sets rec.geom from the row; it reports false (after noting
// the error) when the row's geometry cannot be read.
func csvGeometry(b *Batch, rec *record, row, keys []string, lonCol, latCol, wktCol int) bool {
	fail := func(col int, format string, args ...any) bool {
		b.errs = append(b.errs, &data.ValidationError{Where: rec.where, Field: keys[col], Reason: fmt.Sprintf(format, args...)})
		return false
	}
	if lonCol >= 0 && latCol >= 0 && (strings.TrimSpace(row[lonCol]) != "" || wktCol < 0) {
		lon, err := strconv.ParseFloat(strings.TrimSpace(row[lonCol]), 64)
		if err != nil {
			return fail(lonCol, "%q is not a longitude", row[lonCol])
		}
		lat, err := strconv.ParseFloat(strings.TrimSpace(row[latCol]), 64)
		if err != nil {
			return fail(latCol, "%q is not a latitude", row[latCol])
		}
		rec.geom = orb.Point{lon, lat}
		return true
	}
	if wktCol >= 0 {
		s := strings.TrimSpace(row[wktCol])
		if s == "" {
			return fail(wktCol, "is empty")
		}
		g, err := wkt.Unmarshal(s)
		if err != nil {
			return fail(wktCol, "is not WKT: %v", err)
		}
		rec.geom = g
	}
	return true
}
