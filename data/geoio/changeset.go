package geoio

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"citygrid/data"
	"citygrid/data/gpkg"
)

// Survey changesets (普查更新批次) are component features with three extra
// properties (GeoPackage: columns), all optional:
//
//   - "_op": "add", "modify" or "delete". Without it a feature whose code is
//     stored is a modification and any other feature an addition.
//     A deletion needs only the code; its geometry may be null. (A
//     component that is physically gone but kept on record is a
//     modification to status "removed", not a deletion.)
//   - "_base_version": the version the surveyor's copy had; a stored
//     version that differs is a conflict. "version", as citygrid exports
//     it, counts as the base version when "_base_version" is absent, so an
//     exported file edited in a GIS and uploaded back finds the conflicts
//     itself.
//   - the collection's "base_time" (GeoJSON: a FeatureCollection member;
//     both formats: the upload's base_time parameter): components changed
//     in the store after it are conflicts, for features without a base
//     version.
//
// A modification changes only the properties the feature has (a null
// geometry keeps the stored one); unit_grid and changed_at are derived by
// the store and ignored.

// ReadChangesetGeoJSON reads a GeoJSON FeatureCollection changeset.
func ReadChangesetGeoJSON(r io.Reader) (*data.Changeset, error) {
	var doc struct {
		Type     string `json:"type"`
		BaseTime string `json:"base_time"`
		Features []struct {
			Type       string                     `json:"type"`
			Geometry   json.RawMessage            `json:"geometry"`
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"features"`
	}
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: changeset: %v", ErrSyntax, err)
	}
	if doc.Type != "FeatureCollection" {
		return nil, data.ValidationErrors{{Field: "type", Reason: fmt.Sprintf("a changeset is a FeatureCollection, not %q", doc.Type)}}
	}
	cs := &data.Changeset{Items: make([]data.ChangesetItem, 0, len(doc.Features))}
	var errs data.ValidationErrors
	if doc.BaseTime != "" {
		t, err := time.Parse(time.RFC3339, doc.BaseTime)
		if err != nil {
			errs = append(errs, &data.ValidationError{Field: "base_time", Reason: "is not an RFC 3339 time"})
		}
		cs.BaseTime = t
	}
	for i, f := range doc.Features {
		where := fmt.Sprintf("feature %d", i)
		fail := func(field, format string, args ...any) {
			errs = append(errs, &data.ValidationError{Where: where, Field: field, Reason: fmt.Sprintf(format, args...)})
		}
		it := data.ChangesetItem{Where: where, Fields: map[string]bool{}}
		if len(f.Geometry) > 0 && string(f.Geometry) != "null" {
			g, err := geojson.UnmarshalGeometry(f.Geometry)
			if err != nil {
				fail("geometry", "%v", err)
				continue
			}
			it.Component.Geometry = g.Geometry()
			it.Fields["geometry"] = true
		}
		vals := map[string]any{}
		for k, raw := range f.Properties {
			if string(raw) == "null" {
				continue
			}
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				fail(k, "%v", err)
				continue
			}
			vals[k] = v
		}
		if err := fillItem(&it, vals); err != nil {
			errs = append(errs, prefix(where, err)...)
			continue
		}
		cs.Items = append(cs.Items, it)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return cs, nil
}

func prefix(where string, err error) data.ValidationErrors {
	var ves data.ValidationErrors
	if errors.As(err, &ves) {
		for _, v := range ves {
			v.Where = where
		}
		return ves
	}
	return data.ValidationErrors{{Where: where, Field: "feature", Reason: err.Error()}}
}

// fillItem sets an item's op, base version and component fields from
// property values (strings, numbers as float64 or int64).
func fillItem(it *data.ChangesetItem, vals map[string]any) error {
	var errs data.ValidationErrors
	text := func(k string) (string, bool) {
		v, ok := vals[k]
		if !ok {
			return "", false
		}
		switch x := v.(type) {
		case string:
			return x, true
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), true
		case int64:
			return strconv.FormatInt(x, 10), true
		}
		errs = append(errs, &data.ValidationError{Field: k, Reason: fmt.Sprintf("must be a string, is %T", v)})
		return "", false
	}
	number := func(k string) (int64, bool) {
		v, ok := vals[k]
		if !ok {
			return 0, false
		}
		switch x := v.(type) {
		case float64:
			if x == float64(int64(x)) && x >= 0 {
				return int64(x), true
			}
		case int64:
			if x >= 0 {
				return x, true
			}
		case string:
			if n, err := strconv.ParseInt(x, 10, 64); err == nil && n >= 0 {
				return n, true
			}
		}
		errs = append(errs, &data.ValidationError{Field: k, Reason: fmt.Sprintf("must be a non-negative whole number, is %v", v)})
		return 0, false
	}
	if op, ok := text("_op"); ok {
		switch data.ChangesetOp(strings.ToLower(op)) {
		case data.CSAdd, data.CSModify, data.CSDelete:
			it.Op = data.ChangesetOp(strings.ToLower(op))
		default:
			errs = append(errs, &data.ValidationError{Field: "_op", Reason: fmt.Sprintf("unknown operation %q (add, modify, delete)", op)})
		}
	}
	if v, ok := number("_base_version"); ok {
		it.BaseVersion = v
	} else if v, ok := number("version"); ok {
		it.BaseVersion = v
	}
	for _, f := range data.ComponentFields {
		s, ok := text(f)
		if !ok {
			continue
		}
		it.Fields[f] = true
		if err := data.SetComponentField(&it.Component, f, s); err != nil {
			var ve *data.ValidationError
			if errors.As(err, &ve) {
				errs = append(errs, ve)
			} else {
				errs = append(errs, &data.ValidationError{Field: f, Reason: err.Error()})
			}
		}
	}
	return errs.Err()
}

// ReadChangesetGeoPackage reads a changeset from a GeoPackage: the table
// "components", or the file's only feature table. Columns are named as the
// GeoJSON properties; a NULL cell is an absent property.
func ReadChangesetGeoPackage(ctx context.Context, path string) (*data.Changeset, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("read changeset: %w", err)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tables, err := contents(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("%w: not a GeoPackage: %v", ErrSyntax, err)
	}
	t, err := pickTable(tables, Components, "")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	if t.geomCol != "" && !((t.org == "EPSG" || t.org == "epsg") && (t.orgID == 4490 || t.orgID == 4326)) {
		if !GDALAvailable() {
			return nil, data.ValidationErrors{{Field: "srs_id", Reason: fmt.Sprintf("table %s is in %s:%d, not EPSG:4490 or EPSG:4326; reproject it, or install gdal-bin on the server to have it reprojected", t.name, t.org, t.orgID)}}
		}
		db.Close()
		return reprojectChangeset(ctx, path, t.name)
	}
	rows, err := db.QueryContext(ctx, `SELECT * FROM `+quoteIdent(t.name))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	cs := &data.Changeset{}
	var errs data.ValidationErrors
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		n++
		where := fmt.Sprintf("row %d", n)
		it := data.ChangesetItem{Where: where, Fields: map[string]bool{}}
		props := map[string]any{}
		for i, c := range cols {
			v := vals[i]
			if v == nil {
				continue
			}
			lc := strings.ToLower(c)
			switch {
			case c == t.geomCol:
				b, ok := v.([]byte)
				if !ok {
					errs = append(errs, &data.ValidationError{Where: where, Field: "geometry", Reason: "is not a GeoPackage geometry blob"})
					continue
				}
				g, _, err := gpkg.ParseGeometry(b)
				if err != nil {
					errs = append(errs, &data.ValidationError{Where: where, Field: "geometry", Reason: err.Error()})
					continue
				}
				if g != nil {
					if mp, ok := g.(orb.MultiPoint); ok && len(mp) == 1 {
						g = mp[0]
					}
					it.Component.Geometry = g
					it.Fields["geometry"] = true
				}
			case lc == "fid":
				if id, ok := v.(int64); ok {
					it.Where = fmt.Sprintf("fid %d", id)
				}
			default:
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				props[lc] = v
			}
		}
		if err := fillItem(&it, props); err != nil {
			errs = append(errs, prefix(it.Where, err)...)
			continue
		}
		cs.Items = append(cs.Items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return cs, nil
}

// reprojectChangeset reads a changeset table in a projected CRS (a field
// app set to the city's Gauss-Krüger zone) by writing it to a GeoPackage in
// EPSG:4490 with ogr2ogr; the columns, _op and _base_version included, are
// copied as they are. A CRS that needs more than its EPSG code is refused
// as import refuses it.
func reprojectChangeset(ctx context.Context, path, table string) (*data.Changeset, error) {
	info, err := inspect(ctx, path, Components, CRSOptions{SourceLayer: table}, nil)
	if err != nil {
		return nil, err
	}
	if err := checkCRS(ctx, path, info, CRSOptions{}); err != nil {
		return nil, data.ValidationErrors{{Field: "srs_id", Reason: err.Error()}}
	}
	dir, err := os.MkdirTemp("", "citygrid-changeset-*")
	if err != nil {
		return nil, fmt.Errorf("read changeset: %w", err)
	}
	defer os.RemoveAll(dir)
	out := dir + "/changeset.gpkg"
	if _, err := runGDAL(ctx, "ogr2ogr", "-f", "GPKG", "-t_srs", TargetSRS, "-dim", "XY", "-nln", string(Components), out, path, table); err != nil {
		return nil, fmt.Errorf("%w: %s table %s: %v", ErrSyntax, path, table, err)
	}
	return ReadChangesetGeoPackage(ctx, out)
}
