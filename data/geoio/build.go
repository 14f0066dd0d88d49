package geoio

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/tidwall/rtree"

	"citygrid/data"
)

// record is one feature, row or line of an input file, before it becomes
// a domain feature.
type record struct {
	where string       // "feature 12", "line 40", "fid 7"
	geom  orb.Geometry // nil when the feature has none
	keys  []string     // property names; CSV and GeoPackage rows share one slice
	vals  []any
}

// lookup finds a property by exact name, then ignoring case.
func (r *record) lookup(name string) (any, string, bool) {
	for i, k := range r.keys {
		if k == name {
			return r.vals[i], k, true
		}
	}
	for i, k := range r.keys {
		if strings.EqualFold(k, name) {
			return r.vals[i], k, true
		}
	}
	return nil, "", false
}

// Batch is a file read into a dataset, remembering where in the file each
// feature came from so that errors can point there.
type Batch struct {
	// Dataset holds the features read.
	Dataset *data.Dataset

	layer   Layer
	mapping Mapping
	errs    data.ValidationErrors
	// origin[validate layer][i] is the where of feature i of that layer.
	origin map[string][]string
	// labels[where] names the fields of the file that feature came from.
	layerOf map[string]Layer
	// src[layer][dst] is the file's name for field dst, when it differs.
	src map[Layer]map[string]string
	// derived[where][dst] names the file's field a feature's field dst was
	// derived from (a community from the grid code, an area from the
	// geometry), so errors name a field the file has.
	derived map[string]map[string]string
	// geom is how invalid geometry and overlaps are treated, and prepared
	// whether the geometry has been checked (and repaired) yet.
	geom     GeometryOptions
	prepared bool
	// name numbers features in errors when a file's users count otherwise.
	name func(int) string

	// Warnings are things the user should check that do not stop the
	// import: an assumed encoding, a repaired polygon, a border component.
	Warnings []string
}

func newBatch(layer Layer, m Mapping) *Batch {
	return &Batch{
		Dataset: &data.Dataset{},
		layer:   layer, mapping: m,
		origin:  map[string][]string{},
		layerOf: map[string]Layer{},
		src:     map[Layer]map[string]string{},
		derived: map[string]map[string]string{},
	}
}

// derive records that field dst of the feature at where was derived from
// the file's field src.
func (b *Batch) derive(where, dst, src string) {
	if b.derived[where] == nil {
		b.derived[where] = map[string]string{}
	}
	b.derived[where][dst] = src
}

// fileName is the file's name for field dst of layer l.
func (b *Batch) fileName(l Layer, dst string) string {
	if src, ok := b.src[l][dst]; ok {
		return src
	}
	return dst
}

// Layer returns the layer the batch was read for.
func (b *Batch) Layer() Layer { return b.layer }

// Counts returns the number of features per layer.
func (b *Batch) Counts() map[Layer]int {
	ds := b.Dataset
	c := map[Layer]int{}
	for _, u := range ds.AdminUnits {
		c[adminLayer(u.Level)]++
	}
	add := func(l Layer, n int) {
		if n > 0 {
			c[l] += n
		}
	}
	add(UnitGrids, len(ds.UnitGrids))
	add(ManagementGrids, len(ds.ManagementGrids))
	add(Components, len(ds.Components))
	add(Roads, len(ds.Roads))
	add(Addresses, len(ds.Addresses))
	add(POIs, len(ds.POIs))
	add(Departments, len(ds.Departments))
	add(Categories, len(ds.Categories))
	add(Rules, len(ds.Rules))
	return c
}

// Len is the number of features read.
func (b *Batch) Len() int {
	n := 0
	for _, c := range b.Counts() {
		n += c
	}
	return n
}

func adminLayer(l data.AdminLevel) Layer {
	switch l {
	case data.LevelDistrict:
		return Districts
	case data.LevelStreet:
		return Streets
	}
	return Communities
}

// field reads field dst of layer l from a record: the mapped name if the
// mapping names one, else dst itself, else its aliases.
type field struct {
	b     *Batch
	rec   *record
	layer Layer
}

func (f field) get(dst string) (any, bool) {
	if src, ok := f.b.mapping[dst]; ok && f.b.layer != All {
		return f.try(dst, src)
	}
	if v, ok := f.try(dst, dst); ok {
		return v, true
	}
	for _, a := range aliases[f.layer][dst] {
		if v, ok := f.try(dst, a); ok {
			return v, true
		}
	}
	return nil, false
}

// try reads field dst under the file's name src.
func (f field) try(dst, src string) (any, bool) {
	v, name, ok := f.rec.lookup(src)
	if !ok || v == nil {
		return nil, false
	}
	if name != dst {
		if f.b.src[f.layer] == nil {
			f.b.src[f.layer] = map[string]string{}
		}
		if f.b.src[f.layer][dst] != name {
			f.b.src[f.layer][dst] = name
		}
	}
	return v, true
}

func (f field) fail(dst, format string, args ...any) {
	name := dst
	if src, ok := f.b.src[f.layer][dst]; ok {
		name = src + " (" + dst + ")"
	}
	f.b.errs = append(f.b.errs, &data.ValidationError{Where: f.rec.where, Field: name, Reason: fmt.Sprintf(format, args...)})
}

// str reads a text field; numbers keep the digits the file wrote (a
// 17-digit code in a JSON number stays exact).
func (f field) str(dst string) string {
	v, ok := f.get(dst)
	if !ok {
		return ""
	}
	if t, ok := textOf(v); ok {
		return t
	}
	f.fail(dst, "want text, have %T", v)
	return ""
}

// textOf turns a property value into text.
func textOf(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v), true
	case json.Number:
		// A code kept in a Shapefile's Double field arrives as
		// 420102001001001.0; the code is the integer.
		if lit := v.String(); strings.ContainsAny(lit, ".eE") {
			if x, err := strconv.ParseFloat(lit, 64); err == nil && x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return strconv.FormatInt(int64(x), 10), true
			}
		}
		return v.String(), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10), true
		}
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	case []byte:
		return strings.TrimSpace(string(v)), true
	case time.Time:
		return v.Format(time.RFC3339), true
	}
	return "", false
}

// label adds the feature's code (a rule's id) as the file names it to
// where, so that every message about the feature can be found in a GIS by
// its number and its code: "feature 12 (BGID 110101001001001)".
func (b *Batch) label(rec *record, l Layer) {
	key := "code"
	if l == Rules {
		key = "id"
	}
	f := field{b: b, rec: rec, layer: l}
	v, ok := f.get(key)
	if !ok {
		return
	}
	if t, ok := textOf(v); ok && t != "" {
		rec.where = fmt.Sprintf("%s (%s %s)", rec.where, b.fileName(l, key), t)
	}
}

func (f field) float(dst string) (float64, bool) {
	v, ok := f.get(dst)
	if !ok {
		return 0, false
	}
	switch v := v.(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case json.Number:
		x, err := strconv.ParseFloat(v.String(), 64)
		if err == nil {
			return x, true
		}
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return 0, false
		}
		x, err := strconv.ParseFloat(s, 64)
		if err == nil {
			return x, true
		}
	}
	f.fail(dst, "%q is not a number", fmt.Sprint(v))
	return 0, false
}

func (f field) int(dst string) (int64, bool) {
	v, ok := f.get(dst)
	if !ok {
		return 0, false
	}
	var s string
	switch v := v.(type) {
	case int64:
		return v, true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
		s = fmt.Sprint(v)
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
		if s == "" {
			return 0, false
		}
	default:
		s = fmt.Sprint(v)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f.fail(dst, "%q is not a whole number", s)
		return 0, false
	}
	return n, true
}

func (f field) bool(dst string) bool {
	v, ok := f.get(dst)
	if !ok {
		return false
	}
	switch v := v.(type) {
	case bool:
		return v
	case int64:
		return v != 0
	}
	s := strings.ToLower(f.str(dst))
	switch s {
	case "", "0", "false", "no", "n", "f", "否":
		return false
	case "1", "true", "yes", "y", "t", "是":
		return true
	}
	f.fail(dst, "%q is not true or false", s)
	return false
}

// dateLayouts are the date forms field data comes in: ISO, the YYYYMMDD of
// CJ/T 214 and GB/T 47678.5, and GDAL's slashes.
var dateLayouts = []string{"2006-01-02", "20060102", "2006/01/02", "2006.01.02"}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006/01/02 15:04:05", "2006/01/02 15:04:05.000", "20060102150405"}

// date reads a calendar date (time of day, if any, is dropped).
func (f field) date(dst string) time.Time {
	v, ok := f.get(dst)
	if !ok {
		return time.Time{}
	}
	if t, ok := v.(time.Time); ok {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	s := f.str(dst)
	if s == "" {
		return time.Time{}
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}
	}
	f.fail(dst, "%q is not a date (YYYY-MM-DD or YYYYMMDD)", s)
	return time.Time{}
}

// timestamp reads a date and time; a bare date is midnight UTC.
func (f field) timestamp(dst string) time.Time {
	v, ok := f.get(dst)
	if !ok {
		return time.Time{}
	}
	if t, ok := v.(time.Time); ok {
		return t.UTC()
	}
	s := f.str(dst)
	if s == "" {
		return time.Time{}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t
		}
	}
	f.fail(dst, "%q is not a date and time (RFC 3339, e.g. 2025-06-01T08:30:00Z)", s)
	return time.Time{}
}

// statusNames maps the statuses field data writes, in Chinese or English,
// to the model's.
var statusNames = map[string]data.ComponentStatus{
	"完好": data.StatusIntact, "破损": data.StatusDamaged, "丢失": data.StatusLost,
	"占用": data.StatusOccupied, "废弃": data.StatusDisused, "移除": data.StatusRemoved,
}

func parseStatus(s string) data.ComponentStatus {
	if st, ok := statusNames[s]; ok {
		return st
	}
	return data.ComponentStatus(strings.ToLower(s))
}

// geometry helpers: each coerces what a file may hold into the layer's
// type or reports the mismatch.

func (f field) multiPolygon() orb.MultiPolygon {
	switch g := f.rec.geom.(type) {
	case orb.MultiPolygon:
		return g
	case orb.Polygon:
		return orb.MultiPolygon{g}
	case nil:
		f.fail("geometry", "is missing; %s need a polygon or multipolygon", f.layer)
	default:
		f.fail("geometry", "is a %s; %s need a polygon or multipolygon", g.GeoJSONType(), f.layer)
	}
	return nil
}

func (f field) multiLine() orb.MultiLineString {
	switch g := f.rec.geom.(type) {
	case orb.MultiLineString:
		return g
	case orb.LineString:
		return orb.MultiLineString{g}
	case nil:
		f.fail("geometry", "is missing; %s need a line or multiline", f.layer)
	default:
		f.fail("geometry", "is a %s; %s need a line or multiline", g.GeoJSONType(), f.layer)
	}
	return nil
}

func (f field) point() orb.Point {
	switch g := f.rec.geom.(type) {
	case orb.Point:
		return g
	case orb.MultiPoint:
		if len(g) == 1 {
			return g[0]
		}
		f.fail("geometry", "is a MultiPoint of %d points; %s need one point", len(g), f.layer)
	case nil:
		f.fail("geometry", "is missing; %s need a point", f.layer)
	default:
		f.fail("geometry", "is a %s; %s need a point", g.GeoJSONType(), f.layer)
	}
	return orb.Point{}
}

func (f field) componentGeometry() orb.Geometry {
	switch g := f.rec.geom.(type) {
	case orb.Point, orb.LineString, orb.MultiLineString, orb.Polygon, orb.MultiPolygon:
		return g
	case orb.MultiPoint:
		if len(g) == 1 {
			return g[0]
		}
	case nil:
		f.fail("geometry", "is missing; a component is a point, line or polygon")
		return nil
	}
	f.fail("geometry", "is a %s; a component is a point, line or polygon", f.rec.geom.GeoJSONType())
	return nil
}

// add turns one record into a feature of layer l.
func (b *Batch) add(rec *record, l Layer) {
	b.label(rec, l)
	f := field{b: b, rec: rec, layer: l}
	ds := b.Dataset
	b.layerOf[rec.where] = l
	origin := func(vl string) { b.origin[vl] = append(b.origin[vl], rec.where) }
	switch l {
	case Districts, Streets, Communities:
		level := map[Layer]data.AdminLevel{Districts: data.LevelDistrict, Streets: data.LevelStreet, Communities: data.LevelCommunity}[l]
		u := data.AdminUnit{Level: level, Code: f.str("code"), Name: f.str("name"), Parent: f.str("parent"), Geometry: f.multiPolygon()}
		if _, ok := f.get("parent"); !ok {
			// The parent is the code one level up.
			if n := data.CodeLength[level]; len(u.Code) == n {
				u.Parent = u.Code[:map[data.AdminLevel]int{data.LevelDistrict: 4, data.LevelStreet: 6, data.LevelCommunity: 9}[level]]
				b.derive(rec.where, "parent", b.fileName(l, "code"))
			}
		}
		origin("admin_units")
		ds.AdminUnits = append(ds.AdminUnits, u)
	case UnitGrids:
		g := data.UnitGrid{Code: f.str("code"), Community: f.str("community"), Geometry: f.multiPolygon()}
		if len(g.Code) == 14 {
			if norm, err := data.NormalizeUnitGridCode(g.Code, ""); err == nil {
				g.Code = norm
			}
		}
		if g.Community == "" && len(g.Code) == 15 {
			g.Community = g.Code[:12]
			b.derive(rec.where, "community", b.fileName(l, "code"))
		}
		if a, ok := f.float("area_m2"); ok && a != 0 {
			g.AreaM2 = a
		} else if len(g.Geometry) > 0 {
			g.AreaM2 = data.AreaM2(g.Geometry)
			b.derive(rec.where, "area_m2", "geometry")
		}
		origin("unit_grids")
		ds.UnitGrids = append(ds.UnitGrids, g)
	case ManagementGrids:
		origin("management_grids")
		ds.ManagementGrids = append(ds.ManagementGrids, data.ManagementGrid{
			Kind: f.str("kind"), Code: f.str("code"), Name: f.str("name"), Unit: f.str("unit"), Geometry: f.multiPolygon(),
		})
	case Components:
		c := data.Component{
			Code: f.str("code"), Category: f.str("category"), Name: f.str("name"),
			Department: f.str("department"), Owner: f.str("owner"), Maintainer: f.str("maintainer"),
			Status: parseStatus(f.str("status")), UnitGrid: f.str("unit_grid"),
			SurveyDate: f.date("survey_date"), ChangedAt: f.timestamp("changed_at"), Note: f.str("note"),
			Geometry: f.componentGeometry(),
		}
		if c.Category == "" {
			// The code carries the category: 6 county digits, then 4
			// (GB/T 30428.2) or 5 (GB/T 47678.5) category digits.
			switch len(c.Code) {
			case 16:
				c.Category = c.Code[6:10]
			case 17:
				c.Category = c.Code[6:11]
			}
			b.derive(rec.where, "category", b.fileName(l, "code"))
		}
		if len(c.UnitGrid) == 14 {
			if norm, err := data.NormalizeUnitGridCode(c.UnitGrid, ""); err == nil {
				c.UnitGrid = norm
			}
		}
		if v, ok := f.int("version"); ok {
			c.Version = v
		} else {
			c.Version = 1
		}
		origin("components")
		ds.Components = append(ds.Components, c)
	case Roads:
		origin("roads")
		ds.Roads = append(ds.Roads, data.Road{Code: f.str("code"), Name: f.str("name"), District: f.str("district"), Geometry: f.multiLine()})
	case Addresses:
		origin("addresses")
		ds.Addresses = append(ds.Addresses, data.Address{
			Code: f.str("code"), Road: f.str("road"), Number: f.str("number"),
			FullAddress: f.str("full_address"), Community: f.str("community"), Point: f.point(),
		})
	case POIs:
		origin("pois")
		ds.POIs = append(ds.POIs, data.POI{Code: f.str("code"), Name: f.str("name"), Kind: f.str("kind"), Landmark: f.bool("landmark"), Point: f.point()})
	case Departments:
		origin("departments")
		ds.Departments = append(ds.Departments, data.Department{
			Code: f.str("code"), Name: f.str("name"), CreditCode: strings.ToUpper(f.str("credit_code")),
			Parent: f.str("parent"), Kind: data.DepartmentKind(strings.ToLower(f.str("kind"))),
		})
	case Categories:
		c := data.Category{
			Scheme: f.str("scheme"), Kind: data.CategoryKind(strings.ToLower(f.str("kind"))), Code: f.str("code"), Name: f.str("name"),
			Big: f.str("big"), BigName: f.str("big_name"), Geometry: data.GeometryType(strings.ToLower(f.str("geometry"))),
			Department: f.str("department"), DeadlineClass: f.str("deadline_class"),
		}
		if c.Big == "" && len(c.Code) >= 2 {
			c.Big = c.Code[:2]
		}
		origin("categories")
		ds.Categories = append(ds.Categories, c)
	case Rules:
		r := data.Rule{Category: f.str("category"), Scope: data.ScopeKind(strings.ToLower(f.str("scope"))), ScopeRef: f.str("scope_ref"), Unit: f.str("unit"), Note: f.str("note"), Kind: data.CategoryKind(strings.ToLower(f.str("kind")))}
		r.ID, _ = f.int("id")
		p, _ := f.int("priority")
		r.Priority = int(p)
		origin("rules")
		ds.Rules = append(ds.Rules, r)
	default:
		b.errs = append(b.errs, &data.ValidationError{Where: rec.where, Field: "layer", Reason: fmt.Sprintf("unknown layer %q", l)})
	}
}

// Complete fills what the file may leave out and the city knows: a
// component's competent department defaults to its category's, and a point
// component without a unit grid gets the grid it lies in. It is called by
// Import before Validate.
func (b *Batch) Complete(city *data.Dataset) {
	b.prepareGeometry()
	b.completeDepartments(city)
	b.locateUnitGrids(city)
}

// locateUnitGrids assigns a unit grid to each point component that has
// none, from the grids of the city and of the batch. A point on the shared
// edge of two grids goes to the one with the lower code.
func (b *Batch) locateUnitGrids(city *data.Dataset) {
	need := false
	for i := range b.Dataset.Components {
		if _, ok := b.Dataset.Components[i].Geometry.(orb.Point); ok && b.Dataset.Components[i].UnitGrid == "" {
			need = true
			break
		}
	}
	if !need {
		return
	}
	var tr rtree.RTreeG[*data.UnitGrid]
	for _, d := range []*data.Dataset{city, b.Dataset} {
		if d == nil {
			continue
		}
		for i := range d.UnitGrids {
			g := &d.UnitGrids[i]
			if len(g.Geometry) == 0 {
				continue
			}
			bd := g.Geometry.Bound()
			tr.Insert(bd.Min, bd.Max, g)
		}
	}
	for i := range b.Dataset.Components {
		c := &b.Dataset.Components[i]
		p, ok := c.Geometry.(orb.Point)
		if !ok || c.UnitGrid != "" {
			continue
		}
		// A point on a county border lies in grids of both counties. The
		// component's code names its county (its first six digits), and a
		// grid of that county wins over the lower code of the other.
		county := ""
		if n := len(c.Code); (n == 16 || n == 17) && isDigits(c.Code[:6]) {
			county = c.Code[:6]
		}
		var best, inCounty *data.UnitGrid
		tr.Search(p, p, func(_, _ [2]float64, g *data.UnitGrid) bool {
			if !planar.MultiPolygonContains(g.Geometry, p) {
				return true
			}
			if best == nil || g.Code < best.Code {
				best = g
			}
			if county != "" && strings.HasPrefix(g.Code, county) && (inCounty == nil || g.Code < inCounty.Code) {
				inCounty = g
			}
			return true
		})
		where := fmt.Sprintf("component %d", i+1)
		if o := b.origin["components"]; i < len(o) {
			where = o[i]
		}
		if inCounty != nil && inCounty != best {
			b.Warnings = append(b.Warnings, fmt.Sprintf("%s: lies on the border of unit grids %s and %s; took %s, in county %s that the component code names, over the lower code %s",
				where, best.Code, inCounty.Code, inCounty.Code, county, best.Code))
			best = inCounty
		}
		if best != nil {
			c.UnitGrid = best.Code
			b.derive(where, "unit_grid", "geometry")
		}
	}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (b *Batch) completeDepartments(city *data.Dataset) {
	deptOf := map[string]string{}
	for _, d := range []*data.Dataset{city, b.Dataset} {
		if d == nil {
			continue
		}
		for _, c := range d.Categories {
			if c.Kind == data.KindComponent && c.Department != "" {
				deptOf[c.Code] = c.Department
			}
		}
	}
	for i := range b.Dataset.Components {
		c := &b.Dataset.Components[i]
		if c.Department == "" {
			c.Department = deptOf[c.Category]
			if o := b.origin["components"]; i < len(o) && c.Department != "" {
				b.derive(o[i], "department", b.fileName(Components, "category"))
			}
		}
	}
}

// Validate checks the batch as an addition to city. Errors name the
// feature's place in the file and the file's own field names; fields that
// could not be read at all are reported once, not again by the domain
// checks.
func (b *Batch) Validate(city *data.Dataset) data.ValidationErrors {
	b.prepareGeometry()
	errs := append(data.ValidationErrors(nil), b.errs...)
	reported := map[[2]string]bool{}
	for _, e := range b.errs {
		reported[[2]string{e.Where, e.Field}] = true
	}
	where := func(layer string, i int) string {
		if o := b.origin[layer]; i < len(o) {
			return o[i]
		}
		return fmt.Sprintf("%s[%d]", layer, i)
	}
	for _, e := range data.ValidateWhere(b.Dataset, city, where) {
		if from, ok := b.derived[e.Where][e.Field]; ok {
			// The file has no such field: name the one it came from.
			if reported[[2]string{e.Where, from}] {
				continue
			}
			e.Field = fmt.Sprintf("%s (%s derived from it)", from, e.Field)
		} else if src, ok := b.src[b.layerOf[e.Where]][e.Field]; ok {
			e.Field = src + " (" + e.Field + ")"
		}
		if reported[[2]string{e.Where, e.Field}] {
			continue
		}
		errs = append(errs, e)
	}
	if len(errs) == 0 {
		errs = append(errs, b.checkPartitions(city)...)
	}
	return errs
}
