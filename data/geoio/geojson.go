package geoio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"citygrid/data"
)

// ErrSyntax marks a file that cannot be parsed at all (bad JSON, a CSV
// with ragged rows, a table that is not there).
var ErrSyntax = errors.New("unreadable input")

// ReadGeoJSON reads a GeoJSON FeatureCollection (RFC 7946, or the 2008
// form with a crs member naming CRS84, EPSG:4326 or EPSG:4490) into a
// batch for layer. Features are numbered from 1 in errors ("feature 3").
// For layer All each feature names its layer in a "layer" property.
//
// Syntax errors fail the read with ErrSyntax and the line and column;
// problems with single features (a wrong geometry type, a field that is not
// a number) are collected in the batch and reported by its Validate, so
// the whole file is reported in one pass.
func ReadGeoJSON(r io.Reader, layer Layer, m Mapping) (*Batch, error) {
	return readGeoJSON(r, layer, m, nil)
}

// readGeoJSON is ReadGeoJSON reporting progress in bytes decoded.
func readGeoJSON(r io.Reader, layer Layer, m Mapping, progress func(done, total int64)) (*Batch, error) {
	return readGeoJSONNamed(r, layer, m, progress, nil)
}

// readGeoJSONNamed is readGeoJSON naming feature i (from 1) in errors as
// name(i) says, for a GeoJSON that ogr2ogr made from a file whose users
// count otherwise (a CSV's lines); nil names it "feature i".
func readGeoJSONNamed(r io.Reader, layer Layer, m Mapping, progress func(done, total int64), name func(int) string) (*Batch, error) {
	if err := m.check(layer); err != nil {
		return nil, err
	}
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read GeoJSON: %w", err)
	}
	b := newBatch(layer, m)
	b.name = name
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	syntax := func(what string, err error) error {
		off := dec.InputOffset()
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = se.Offset
		case errors.As(err, &te):
			off = te.Offset
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = errors.New("the file ends too early")
		}
		line, col := position(src, off)
		return fmt.Errorf("%w: GeoJSON %s at line %d column %d: %v", ErrSyntax, what, line, col, err)
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		if err == nil {
			err = fmt.Errorf("want an object, have %v", t)
		}
		return nil, syntax("document", err)
	}
	typ, sawFeatures := "", false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, syntax("document", err)
		}
		key, _ := t.(string)
		switch key {
		case "type":
			if err := dec.Decode(&typ); err != nil {
				return nil, syntax("type", err)
			}
			if typ != "FeatureCollection" {
				return nil, fmt.Errorf("%w: GeoJSON type is %q; citygrid imports a FeatureCollection", ErrSyntax, typ)
			}
		case "crs":
			var crs struct {
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			}
			if err := dec.Decode(&crs); err != nil {
				return nil, syntax("crs", err)
			}
			if n := crs.Properties.Name; n != "" && !geographicCRS(n) {
				return nil, fmt.Errorf("%w: GeoJSON crs %q", errProjected, crs.Properties.Name)
			}
		case "features":
			sawFeatures = true
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				if err == nil {
					err = fmt.Errorf("features is not an array")
				}
				return nil, syntax("features", err)
			}
			for i := 1; dec.More(); i++ {
				var raw rawFeature
				if err := dec.Decode(&raw); err != nil {
					return nil, syntax(fmt.Sprintf("feature %d", i), err)
				}
				b.addFeature(i, &raw)
				if progress != nil && i%1024 == 0 {
					progress(dec.InputOffset(), int64(len(src)))
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntax("features", err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, syntax(key, err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntax("document", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, syntax("document", fmt.Errorf("data after the end of the FeatureCollection"))
	}
	if progress != nil {
		progress(int64(len(src)), int64(len(src)))
	}
	if typ != "FeatureCollection" || !sawFeatures {
		return nil, fmt.Errorf("%w: not a GeoJSON FeatureCollection (type %q, features present: %v)", ErrSyntax, typ, sawFeatures)
	}
	return b, nil
}

func geographicCRS(name string) bool {
	n := strings.ToUpper(name)
	for _, ok := range []string{"CRS84", "EPSG::4326", "EPSG:4326", "EPSG::4490", "EPSG:4490"} {
		if strings.HasSuffix(n, ok) {
			return true
		}
	}
	return false
}

// position turns a byte offset into a 1-based line and column.
func position(src []byte, off int64) (line, col int) {
	if off > int64(len(src)) {
		off = int64(len(src))
	}
	if off < 0 {
		off = 0
	}
	before := src[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return line, col
}

type rawFeature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

func (b *Batch) addFeature(i int, raw *rawFeature) {
	rec := &record{where: fmt.Sprintf("feature %d", i)}
	if b.name != nil {
		rec.where = b.name(i)
	}
	if raw.Type != "Feature" {
		b.errs = append(b.errs, &data.ValidationError{Where: rec.where, Field: "type", Reason: fmt.Sprintf("is %q, want \"Feature\"", raw.Type)})
		return
	}
	if len(raw.Geometry) > 0 && string(raw.Geometry) != "null" {
		g, err := parseGeometry(raw.Geometry)
		if err != nil {
			b.errs = append(b.errs, &data.ValidationError{Where: rec.where, Field: "geometry", Reason: "is not a GeoJSON geometry: " + err.Error()})
			return
		}
		rec.geom = g
		if rec.geom == nil {
			b.errs = append(b.errs, &data.ValidationError{Where: rec.where, Field: "geometry", Reason: "is not a GeoJSON geometry"})
			return
		}
	}
	keys, vals, err := parseProperties(raw.Properties)
	if err != nil {
		b.errs = append(b.errs, &data.ValidationError{Where: rec.where, Field: "properties", Reason: err.Error()})
		return
	}
	rec.keys, rec.vals = keys, vals
	layer := b.layer
	if layer == All {
		v, _, _ := rec.lookup("layer")
		name, _ := v.(string)
		l, err := ParseLayer(name)
		if err != nil || l == All {
			b.errs = append(b.errs, &data.ValidationError{Where: rec.where, Field: "layer", Reason: fmt.Sprintf("a whole-city file needs each feature's layer, have %q", name)})
			return
		}
		layer = l
	}
	b.add(rec, layer)
}

// WriteGeoJSON writes layer of ds (or the whole city for All) as an RFC
// 7946 FeatureCollection. Properties carry the layer's field names, so the
// file imports back unchanged; polygons are written with counter-clockwise
// outer rings and clockwise holes, as RFC 7946 asks, without changing ds.
// Attribute layers (departments, categories, rules) have null geometries.
func WriteGeoJSON(w io.Writer, ds *data.Dataset, layer Layer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	e := &jsonEncoder{w: bw, all: layer == All}
	e.raw(`{"type":"FeatureCollection","features":[`)
	layers := []Layer{layer}
	if layer == All {
		layers = Layers
	}
	for _, l := range layers {
		if err := e.layer(ds, l); err != nil {
			return err
		}
	}
	e.raw("\n]}\n")
	if e.err != nil {
		return fmt.Errorf("write GeoJSON: %w", e.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write GeoJSON: %w", err)
	}
	return nil
}

type jsonEncoder struct {
	w     *bufio.Writer
	buf   []byte
	n     int
	all   bool
	err   error
	props int
}

func (e *jsonEncoder) raw(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func (e *jsonEncoder) flush() {
	if e.err == nil {
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

// begin starts a feature with its geometry and opens its properties.
func (e *jsonEncoder) begin(l Layer, g orb.Geometry) {
	if e.n > 0 {
		e.buf = append(e.buf, ',')
	}
	e.n++
	e.buf = append(e.buf, "\n{\"type\":\"Feature\",\"geometry\":"...)
	if g == nil {
		e.buf = append(e.buf, "null"...)
	} else {
		e.buf = appendGeometry(e.buf, g)
	}
	e.buf = append(e.buf, ",\"properties\":{"...)
	e.props = 0
	if e.all {
		e.str("layer", string(l))
	}
}

func (e *jsonEncoder) end() {
	e.buf = append(e.buf, "}}"...)
	if len(e.buf) > 1<<15 {
		e.flush()
	}
}

func (e *jsonEncoder) key(k string) {
	if e.props > 0 {
		e.buf = append(e.buf, ',')
	}
	e.props++
	e.buf = appendJSONString(e.buf, k)
	e.buf = append(e.buf, ':')
}

func (e *jsonEncoder) str(k, v string) {
	e.key(k)
	e.buf = appendJSONString(e.buf, v)
}

func (e *jsonEncoder) num(k string, v float64) {
	e.key(k)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		e.buf = append(e.buf, "null"...)
		return
	}
	e.buf = strconv.AppendFloat(e.buf, v, 'f', -1, 64)
}

func (e *jsonEncoder) int(k string, v int64) {
	e.key(k)
	e.buf = strconv.AppendInt(e.buf, v, 10)
}

func (e *jsonEncoder) bool(k string, v bool) {
	e.key(k)
	e.buf = strconv.AppendBool(e.buf, v)
}

// optional writes a date or timestamp, null when unset.
func (e *jsonEncoder) time(k string, t time.Time, layout string) {
	e.key(k)
	if t.IsZero() {
		e.buf = append(e.buf, "null"...)
		return
	}
	e.buf = append(e.buf, '"')
	e.buf = t.UTC().AppendFormat(e.buf, layout)
	e.buf = append(e.buf, '"')
}

func (e *jsonEncoder) layer(ds *data.Dataset, l Layer) error {
	switch l {
	case Districts, Streets, Communities:
		for _, u := range ds.AdminUnits {
			if adminLayer(u.Level) != l || !knownLevel(u.Level) {
				continue
			}
			e.begin(l, u.Geometry)
			e.str("code", u.Code)
			e.str("name", u.Name)
			e.str("parent", u.Parent)
			e.end()
		}
	case UnitGrids:
		for _, g := range ds.UnitGrids {
			e.begin(l, g.Geometry)
			e.str("code", g.Code)
			e.str("community", g.Community)
			e.num("area_m2", g.AreaM2)
			e.end()
		}
	case ManagementGrids:
		for _, g := range ds.ManagementGrids {
			e.begin(l, g.Geometry)
			e.str("kind", g.Kind)
			e.str("code", g.Code)
			e.str("name", g.Name)
			e.str("unit", g.Unit)
			e.end()
		}
	case Components:
		for i := range ds.Components {
			c := &ds.Components[i]
			e.begin(l, c.Geometry)
			e.str("code", c.Code)
			e.str("category", c.Category)
			e.str("name", c.Name)
			e.str("department", c.Department)
			e.str("owner", c.Owner)
			e.str("maintainer", c.Maintainer)
			e.str("status", string(c.Status))
			e.str("unit_grid", c.UnitGrid)
			e.time("survey_date", c.SurveyDate, "2006-01-02")
			e.time("changed_at", c.ChangedAt, "2006-01-02T15:04:05.000Z")
			e.int("version", c.Version)
			e.str("note", c.Note)
			e.end()
		}
	case Roads:
		for _, r := range ds.Roads {
			e.begin(l, r.Geometry)
			e.str("code", r.Code)
			e.str("name", r.Name)
			e.str("district", r.District)
			e.end()
		}
	case Addresses:
		for _, a := range ds.Addresses {
			e.begin(l, a.Point)
			e.str("code", a.Code)
			e.str("road", a.Road)
			e.str("number", a.Number)
			e.str("full_address", a.FullAddress)
			e.str("community", a.Community)
			e.end()
		}
	case POIs:
		for _, p := range ds.POIs {
			e.begin(l, p.Point)
			e.str("code", p.Code)
			e.str("name", p.Name)
			e.str("kind", p.Kind)
			e.bool("landmark", p.Landmark)
			e.end()
		}
	case Departments:
		for _, d := range ds.Departments {
			e.begin(l, nil)
			e.str("code", d.Code)
			e.str("name", d.Name)
			e.str("credit_code", d.CreditCode)
			e.str("parent", d.Parent)
			e.str("kind", string(d.Kind))
			e.end()
		}
	case Categories:
		for _, c := range ds.Categories {
			e.begin(l, nil)
			e.str("scheme", c.Scheme)
			e.str("kind", string(c.Kind))
			e.str("code", c.Code)
			e.str("name", c.Name)
			e.str("big", c.Big)
			e.str("big_name", c.BigName)
			e.str("geometry", string(c.Geometry))
			e.str("department", c.Department)
			e.str("deadline_class", c.DeadlineClass)
			e.end()
		}
	case Rules:
		for _, r := range ds.Rules {
			e.begin(l, nil)
			e.int("id", r.ID)
			e.str("category", r.Category)
			e.str("scope", string(r.Scope))
			e.str("scope_ref", r.ScopeRef)
			e.str("unit", r.Unit)
			e.int("priority", int64(r.Priority))
			e.str("note", r.Note)
			e.str("kind", string(r.Kind))
			e.end()
		}
	default:
		return fmt.Errorf("write GeoJSON: unknown layer %q", l)
	}
	e.flush()
	return e.err
}

func knownLevel(l data.AdminLevel) bool {
	_, ok := data.CodeLength[l]
	return ok
}

// appendJSONString appends s as a JSON string. Non-ASCII text is written
// as UTF-8, not escaped, so Chinese names stay readable.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			buf = append(buf, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, fmt.Sprintf(`\u%04x`, c)...)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(buf, fmt.Sprintf(`\u%04x`, r)...)
		default:
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}

func appendCoord(buf []byte, p orb.Point) []byte {
	buf = append(buf, '[')
	buf = strconv.AppendFloat(buf, p[0], 'f', -1, 64)
	buf = append(buf, ',')
	buf = strconv.AppendFloat(buf, p[1], 'f', -1, 64)
	return append(buf, ']')
}

func appendCoords(buf []byte, ps []orb.Point, reverse bool) []byte {
	buf = append(buf, '[')
	for i := range ps {
		if i > 0 {
			buf = append(buf, ',')
		}
		j := i
		if reverse {
			j = len(ps) - 1 - i
		}
		buf = appendCoord(buf, ps[j])
	}
	return append(buf, ']')
}

// appendPolygonCoords writes rings oriented per RFC 7946 §3.1.6.
func appendPolygonCoords(buf []byte, p orb.Polygon) []byte {
	buf = append(buf, '[')
	for i, r := range p {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendCoords(buf, r, len(r) >= 4 && (i == 0) != data.RingIsCCW(r))
	}
	return append(buf, ']')
}

func appendGeometry(buf []byte, g orb.Geometry) []byte {
	switch g := g.(type) {
	case orb.Point:
		buf = append(buf, `{"type":"Point","coordinates":`...)
		buf = appendCoord(buf, g)
	case orb.MultiPoint:
		buf = append(buf, `{"type":"MultiPoint","coordinates":`...)
		buf = appendCoords(buf, g, false)
	case orb.LineString:
		buf = append(buf, `{"type":"LineString","coordinates":`...)
		buf = appendCoords(buf, g, false)
	case orb.MultiLineString:
		buf = append(buf, `{"type":"MultiLineString","coordinates":[`...)
		for i, l := range g {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendCoords(buf, l, false)
		}
		buf = append(buf, ']')
	case orb.Polygon:
		buf = append(buf, `{"type":"Polygon","coordinates":`...)
		buf = appendPolygonCoords(buf, g)
	case orb.MultiPolygon:
		if len(g) == 0 {
			return append(buf, "null"...)
		}
		buf = append(buf, `{"type":"MultiPolygon","coordinates":[`...)
		for i, p := range g {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendPolygonCoords(buf, p)
		}
		buf = append(buf, ']')
	case orb.Collection:
		buf = append(buf, `{"type":"GeometryCollection","geometries":[`...)
		for i, c := range g {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendGeometry(buf, c)
		}
		return append(buf, "]}"...)
	default:
		return append(buf, "null"...)
	}
	return append(buf, '}')
}
