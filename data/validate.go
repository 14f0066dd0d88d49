package data

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"citygrid/data/topology"
)

// String size limits. Names follow GB/T 47678.5 (名称 C30, 部门名称 C100,
// 备注 C1000) with room for the longer names real catalogues carry; codes
// are never longer than a unified social credit code.
const (
	maxCodeLen    = 32
	maxNameRunes  = 100
	maxKindRunes  = 32
	maxNoteRunes  = 1000
	maxLongRunes  = 256 // full addresses
	creditCodeLen = 18
)

// Validate checks every feature of ds as an addition to city (which may be
// nil or empty): codes and their parents, categories and departments that
// must exist, geometry types, coordinates, rings, duplicates inside ds and
// against city, and string sizes. A reference to a layer that is empty in
// both ds and city is not checked, so a city can be imported layer by
// layer. Where of each error is "<layer>[<index>]"; ValidateWhere lets
// the caller name the feature its own way (a file line, a feature number).
func Validate(ds *Dataset, city *Dataset) ValidationErrors {
	return ValidateWhere(ds, city, nil)
}

// ValidateWhere is Validate with where(layer, i) naming feature i of a
// layer of ds. Layers are named as the store's tables: "admin_units" (the
// AdminUnits slice), "unit_grids", "management_grids", "categories",
// "departments", "components", "roads", "addresses", "pois", "rules".
func ValidateWhere(ds *Dataset, city *Dataset, where func(layer string, i int) string) ValidationErrors {
	if ds == nil {
		return nil
	}
	if city == nil {
		city = &Dataset{}
	}
	if where == nil {
		where = func(layer string, i int) string { return fmt.Sprintf("%s[%d]", layer, i) }
	}
	v := newValidator(ds, city, where)
	v.adminUnits()
	v.unitGrids()
	v.managementGrids()
	v.categories()
	v.departments()
	v.components()
	v.roads()
	v.addresses()
	v.pois()
	v.rules()
	return v.errs
}

type validator struct {
	ds, city *Dataset
	where    func(string, int) string
	errs     ValidationErrors

	layer string
	index int

	// Codes known in city and in ds together, for references.
	admin     map[AdminLevel]map[string]bool
	grids     map[string]*UnitGrid
	mgmt      map[string]bool // management grid codes of any kind
	depts     map[string]bool
	compCats  map[string]*Category // component categories by code
	anyCat    map[string]bool      // categories of either kind
	roadCodes map[string]bool
	extent    orb.Bound
	hasExtent bool
	// extentOf names the stored layers the extent was taken from.
	extentOf string
}

// ExtentTolerance is how far, in degrees, a coordinate may lie outside the
// extent of the stored city and still be taken as inside: 1e-6° is about
// 0.1 m on the ground (0.11 m of latitude, 0.09 m of longitude at 35°N).
// Reprojection noise is far smaller (a Gauss-Krüger metre coordinate
// through PROJ and back differs by ~1e-9 m; the last bit of a double near
// 115° is 1.4e-14°), so a boundary vertex that a contractor's file shares
// with the stored outline passes, while a layer that is really misplaced
// (by a datum shift of tens of metres, or 0.001° ≈ 100 m) does not. 0.1 m
// is also the positional accuracy of 1:500 survey mapping, the scale grid
// data is drawn at.
const ExtentTolerance = 1e-6

func newValidator(ds, city *Dataset, where func(string, int) string) *validator {
	v := &validator{
		ds: ds, city: city, where: where,
		admin:     map[AdminLevel]map[string]bool{LevelDistrict: {}, LevelStreet: {}, LevelCommunity: {}},
		grids:     map[string]*UnitGrid{},
		mgmt:      map[string]bool{},
		depts:     map[string]bool{},
		compCats:  map[string]*Category{},
		anyCat:    map[string]bool{},
		roadCodes: map[string]bool{},
	}
	for _, d := range []*Dataset{city, ds} {
		for i := range d.AdminUnits {
			if m := v.admin[d.AdminUnits[i].Level]; m != nil {
				m[d.AdminUnits[i].Code] = true
			}
		}
		for i := range d.UnitGrids {
			v.grids[d.UnitGrids[i].Code] = &d.UnitGrids[i]
		}
		for i := range d.ManagementGrids {
			v.mgmt[d.ManagementGrids[i].Code] = true
		}
		for i := range d.Departments {
			v.depts[d.Departments[i].Code] = true
		}
		for i := range d.Categories {
			c := &d.Categories[i]
			v.anyCat[c.Code] = true
			if c.Kind == KindComponent {
				v.compCats[c.Code] = c
			}
		}
		for i := range d.Roads {
			v.roadCodes[d.Roads[i].Code] = true
		}
	}
	// The stored polygon layers set the extent: the districts and their
	// subdivisions, else (for a city imported grid first) the grids.
	grow := func(g orb.MultiPolygon) {
		if len(g) == 0 {
			return
		}
		if !v.hasExtent {
			v.extent, v.hasExtent = g.Bound(), true
		} else {
			v.extent = v.extent.Union(g.Bound())
		}
	}
	for i := range city.AdminUnits {
		grow(city.AdminUnits[i].Geometry)
	}
	v.extentOf = "stored districts, streets and communities"
	if !v.hasExtent {
		for i := range city.UnitGrids {
			grow(city.UnitGrids[i].Geometry)
		}
		for i := range city.ManagementGrids {
			grow(city.ManagementGrids[i].Geometry)
		}
		v.extentOf = "stored grids"
	}
	v.extent = v.extent.Pad(ExtentTolerance)
	return v
}

func (v *validator) at(layer string, i int) { v.layer, v.index = layer, i }

func (v *validator) fail(field, format string, args ...any) {
	v.errs = append(v.errs, &ValidationError{Where: v.where(v.layer, v.index), Field: field, Reason: fmt.Sprintf(format, args...)})
}

// dup tracks the codes of one layer: seen in ds so far, and stored in city.
type dup struct {
	seen   map[string]int
	stored map[string]bool
}

func newDup(n int, stored func(add func(string))) *dup {
	d := &dup{seen: make(map[string]int, n), stored: map[string]bool{}}
	stored(func(k string) { d.stored[k] = true })
	return d
}

// check reports a duplicate key; label is how the error shows the key.
func (v *validator) dupCheck(d *dup, field, key, label string) {
	if key == "" {
		return
	}
	if j, ok := d.seen[key]; ok {
		v.fail(field, "%s %q is given twice (also at %s)", field, label, v.where(v.layer, j))
		return
	}
	d.seen[key] = v.index
	if d.stored[key] {
		v.fail(field, "%s %q is already stored", field, label)
	}
}

// text checks a string field: valid UTF-8, no control characters (tabs
// and line breaks only where multiline is set), no surrounding spaces,
// at most max runes, and present when required.
func (v *validator) text(field, s string, max int, required bool) bool {
	return v.textMode(field, s, max, required, false)
}

func (v *validator) textMode(field, s string, max int, required, multiline bool) bool {
	if s == "" {
		if required {
			v.fail(field, "is missing")
			return false
		}
		return true
	}
	if !utf8.ValidString(s) {
		v.fail(field, "is not valid UTF-8")
		return false
	}
	if n := utf8.RuneCountInString(s); n > max {
		v.fail(field, "is %d characters long, more than %d", n, max)
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			v.fail(field, "contains the control character %U", r)
			return false
		}
	}
	if strings.TrimSpace(s) != s {
		v.fail(field, "has leading or trailing spaces")
		return false
	}
	return true
}

// code checks a code field: required, printable ASCII without spaces.
func (v *validator) code(field, s string) bool {
	if s == "" {
		v.fail(field, "is missing")
		return false
	}
	if len(s) > maxCodeLen {
		v.fail(field, "is %d characters long, more than %d", len(s), maxCodeLen)
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			v.fail(field, "%q may only hold ASCII letters, digits and punctuation", s)
			return false
		}
	}
	return true
}

// ref checks a reference to a code of another layer. known is nil when
// that layer is empty everywhere, and then the reference is not checked.
func (v *validator) ref(field, s, what string, known map[string]bool, required bool) {
	if s == "" {
		if required {
			v.fail(field, "is missing")
		}
		return
	}
	if len(known) > 0 && !known[s] {
		v.fail(field, "unknown %s %q", what, s)
	}
}

// point checks one coordinate: finite, on the globe, inside the city.
func (v *validator) point(field string, p orb.Point) bool {
	x, y := p[0], p[1]
	switch {
	case math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0):
		v.fail(field, "coordinate (%v, %v) is not a finite number", x, y)
	case x < -180 || x > 180 || y < -90 || y > 90:
		v.fail(field, "coordinate (%v, %v) is outside lon [-180, 180], lat [-90, 90]; coordinates must be CGCS2000 longitude, latitude in degrees", x, y)
	case v.hasExtent && !v.extent.Contains(p):
		e := v.extent.Pad(-ExtentTolerance)
		dx := math.Max(math.Max(e.Min[0]-x, x-e.Max[0]), 0)
		dy := math.Max(math.Max(e.Min[1]-y, y-e.Max[1]), 0)
		m := math.Hypot(dx*111320*math.Cos(y*math.Pi/180), dy*110574)
		v.fail(field, "coordinate (%v, %v) lies %.1f m outside the city's extent lon [%v, %v], lat [%v, %v] (of the %s; %g° ≈ 0.1 m of reprojection noise is allowed): is the file in another coordinate system, or misplaced?",
			x, y, m, e.Min[0], e.Max[0], e.Min[1], e.Max[1], v.extentOf, ExtentTolerance)
	default:
		return true
	}
	return false
}

func (v *validator) points(field string, ps []orb.Point) bool {
	for _, p := range ps {
		if !v.point(field, p) {
			return false // one error per geometry is enough
		}
	}
	return true
}

func (v *validator) line(field string, l orb.LineString) bool {
	if len(l) < 2 {
		v.fail(field, "a line needs at least 2 points, has %d", len(l))
		return false
	}
	if !v.points(field, l) {
		return false
	}
	for _, p := range l[1:] {
		if p != l[0] {
			return true
		}
	}
	// GEOS finds nothing on such a line; spatial queries would find a point.
	v.fail(field, "has zero length: its %d points all lie at %v", len(l), l[0])
	return false
}

func (v *validator) polygon(field string, p orb.Polygon) bool {
	if len(p) == 0 {
		v.fail(field, "a polygon needs an outer ring")
		return false
	}
	for i, r := range p {
		what := "outer ring"
		if i > 0 {
			what = fmt.Sprintf("hole %d", i)
		}
		if len(r) < 4 {
			v.fail(field, "%s has %d points; a closed ring needs at least 4", what, len(r))
			return false
		}
		if !v.points(field, r) {
			return false
		}
		if r[0] != r[len(r)-1] {
			v.fail(field, "%s is not closed: it starts at %v and ends at %v", what, r[0], r[len(r)-1])
			return false
		}
	}
	return true
}

func (v *validator) multiPolygon(field string, mp orb.MultiPolygon) bool {
	if len(mp) == 0 {
		v.fail(field, "is missing (a polygon or multipolygon is required)")
		return false
	}
	for _, p := range mp {
		if !v.polygon(field, p) {
			return false
		}
	}
	return v.valid(field, mp)
}

// valid checks a polygon with closed rings by the OGC rules GEOS applies:
// answers read invalid polygons as PostGIS does, but a surveyor's edit
// should not store one unnoticed. Import reports the same with a repair
// on offer (--make-valid).
func (v *validator) valid(field string, mp orb.MultiPolygon) bool {
	probs := topology.Check(mp)
	if len(probs) == 0 {
		return true
	}
	more := ""
	if len(probs) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(probs)-1)
	}
	v.fail(field, "is not a valid polygon: %s%s", probs[0], more)
	return false
}

func (v *validator) adminUnits() {
	d := map[AdminLevel]*dup{}
	for _, level := range []AdminLevel{LevelDistrict, LevelStreet, LevelCommunity} {
		d[level] = newDup(0, func(add func(string)) {
			for _, u := range v.city.AdminUnits {
				if u.Level == level {
					add(u.Code)
				}
			}
		})
	}
	parentLevel := map[AdminLevel]AdminLevel{LevelStreet: LevelDistrict, LevelCommunity: LevelStreet}
	// Districts make the city's extent; they are not judged against it, so
	// a city can be imported one district at a time.
	hasExtent := v.hasExtent
	defer func() { v.hasExtent = hasExtent }()
	for i := range v.ds.AdminUnits {
		u := &v.ds.AdminUnits[i]
		v.at("admin_units", i)
		v.hasExtent = hasExtent && u.Level != LevelDistrict
		if _, ok := CodeLength[u.Level]; !ok {
			v.fail("level", "unknown level %q (district, street or community)", u.Level)
			continue
		}
		if err := CheckAdminCode(u.Level, u.Code, u.Parent); err != nil {
			v.fail("code", "%v", err)
		} else {
			v.dupCheck(d[u.Level], "code", u.Code, u.Code)
		}
		v.text("name", u.Name, maxNameRunes, true)
		if pl, ok := parentLevel[u.Level]; ok {
			v.ref("parent", u.Parent, string(pl), v.admin[pl], true)
		} else if u.Parent != "" && (len(u.Parent) != 4 || !isDigits(u.Parent)) {
			v.fail("parent", "a district's parent is its 4-digit prefecture code, not %q", u.Parent)
		}
		v.multiPolygon("geometry", u.Geometry)
	}
}

func (v *validator) unitGrids() {
	d := newDup(len(v.ds.UnitGrids), func(add func(string)) {
		for _, g := range v.city.UnitGrids {
			add(g.Code)
		}
	})
	for i := range v.ds.UnitGrids {
		g := &v.ds.UnitGrids[i]
		v.at("unit_grids", i)
		if norm, err := NormalizeUnitGridCode(g.Code, g.Community); err != nil {
			v.fail("code", "%v", err)
		} else if norm != g.Code {
			v.fail("code", "%q is a 14-digit CJ/T 213 code; store it as %q", g.Code, norm)
		} else {
			v.dupCheck(d, "code", g.Code, g.Code)
		}
		v.ref("community", g.Community, "community", v.admin[LevelCommunity], true)
		if math.IsNaN(g.AreaM2) || math.IsInf(g.AreaM2, 0) || g.AreaM2 <= 0 {
			v.fail("area_m2", "must be a positive number of square metres, not %v", g.AreaM2)
		}
		v.multiPolygon("geometry", g.Geometry)
	}
}

func (v *validator) managementGrids() {
	d := newDup(len(v.ds.ManagementGrids), func(add func(string)) {
		for _, g := range v.city.ManagementGrids {
			add(g.Kind + "\x00" + g.Code)
		}
	})
	for i := range v.ds.ManagementGrids {
		g := &v.ds.ManagementGrids[i]
		v.at("management_grids", i)
		v.text("kind", g.Kind, maxKindRunes, true)
		if v.code("code", g.Code) && g.Kind != "" {
			v.dupCheck(d, "code", g.Kind+"\x00"+g.Code, g.Kind+" "+g.Code)
		}
		v.text("name", g.Name, maxNameRunes, true)
		v.ref("unit", g.Unit, "department", v.depts, true)
		v.multiPolygon("geometry", g.Geometry)
	}
}

func (v *validator) categories() {
	key := func(c *Category) string { return c.Scheme + "\x00" + string(c.Kind) + "\x00" + c.Code }
	d := newDup(len(v.ds.Categories), func(add func(string)) {
		for i := range v.city.Categories {
			add(key(&v.city.Categories[i]))
		}
	})
	for i := range v.ds.Categories {
		c := &v.ds.Categories[i]
		v.at("categories", i)
		if c.Kind != KindComponent && c.Kind != KindEvent {
			v.fail("kind", "unknown kind %q (component or event)", c.Kind)
		}
		if err := CheckCategoryCode(c.Scheme, c.Code); err != nil {
			v.fail("code", "%v", err)
		} else {
			v.dupCheck(d, "code", key(c), string(c.Kind)+" "+c.Code)
			if c.Big != c.Code[:2] {
				v.fail("big", "big class %q is not the first two digits of %q", c.Big, c.Code)
			}
		}
		v.text("name", c.Name, maxNameRunes, true)
		v.text("big_name", c.BigName, maxNameRunes, false)
		switch {
		case c.Kind == KindComponent && c.Geometry != GeomPoint && c.Geometry != GeomLine && c.Geometry != GeomPolygon:
			v.fail("geometry", "a component category is surveyed as point, line or polygon, not %q", c.Geometry)
		case c.Kind == KindEvent && c.Geometry != "" && c.Geometry != GeomPoint:
			v.fail("geometry", "an event is located by a point, not %q", c.Geometry)
		}
		v.ref("department", c.Department, "department", v.depts, false)
		v.text("deadline_class", c.DeadlineClass, maxKindRunes, false)
	}
}

// CheckCreditCode checks a unified social credit code (统一社会信用代码,
// GB 32100-2015): 18 characters of 0-9 and A-Z without I, O, S, V and Z,
// the last one a check character over the first 17.
func CheckCreditCode(s string) error {
	const charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	if len(s) != creditCodeLen {
		return fmt.Errorf("credit code %q must be %d characters", s, creditCodeLen)
	}
	sum := 0
	for i := 0; i < creditCodeLen; i++ {
		k := strings.IndexByte(charset, s[i])
		if k < 0 {
			return fmt.Errorf("credit code %q has %q, which is not one of %s", s, s[i], charset)
		}
		if i < 17 {
			sum += k * weights[i]
		}
	}
	want := (31 - sum%31) % 31
	if s[17] != charset[want] {
		return fmt.Errorf("credit code %q has check character %c, want %c", s, s[17], charset[want])
	}
	return nil
}

func (v *validator) departments() {
	d := newDup(len(v.ds.Departments), func(add func(string)) {
		for _, x := range v.city.Departments {
			add(x.Code)
		}
	})
	kinds := map[DepartmentKind]bool{DeptBureau: true, DeptStreet: true, DeptUtility: true, DeptCompany: true, DeptCentre: true}
	for i := range v.ds.Departments {
		x := &v.ds.Departments[i]
		v.at("departments", i)
		if v.code("code", x.Code) {
			v.dupCheck(d, "code", x.Code, x.Code)
		}
		v.text("name", x.Name, maxNameRunes, true)
		if x.CreditCode != "" {
			if err := CheckCreditCode(x.CreditCode); err != nil {
				v.fail("credit_code", "%v", err)
			}
		}
		if x.Parent == x.Code && x.Code != "" {
			v.fail("parent", "a department cannot be its own parent")
		} else {
			v.ref("parent", x.Parent, "department", v.depts, false)
		}
		if x.Kind != "" && !kinds[x.Kind] {
			v.fail("kind", "unknown department kind %q (bureau, street, utility, company, centre)", x.Kind)
		}
	}
}

func (v *validator) components() {
	d := newDup(len(v.ds.Components), func(add func(string)) {
		for i := range v.city.Components {
			add(v.city.Components[i].Code)
		}
	})
	statuses := map[ComponentStatus]bool{}
	for _, s := range ComponentStatuses {
		statuses[s] = true
	}
	districts := v.admin[LevelDistrict]
	for i := range v.ds.Components {
		c := &v.ds.Components[i]
		v.at("components", i)
		cat, known := v.compCats[c.Category]
		switch {
		case c.Category == "":
			v.fail("category", "is missing")
		case !known && len(v.compCats) > 0:
			v.fail("category", "unknown component category %q", c.Category)
		}
		codeOK := false
		if c.Category != "" {
			if err := CheckComponentCode(c.Code, "", c.Category); err != nil {
				v.fail("code", "%v", err)
			} else {
				codeOK = true
				v.dupCheck(d, "code", c.Code, c.Code)
				if len(districts) > 0 && !districts[c.Code[:6]] {
					v.fail("code", "component code %q starts with %s, which is not a district of the city", c.Code, c.Code[:6])
					codeOK = false // one complaint about the county is enough
				}
			}
		}
		v.text("name", c.Name, maxNameRunes, false)
		geomOK := false
		before := len(v.errs)
		switch {
		case c.Geometry == nil:
			v.fail("geometry", "is missing")
		case known && (cat.Geometry == GeomPoint || cat.Geometry == GeomLine || cat.Geometry == GeomPolygon):
			v.componentGeometry(c, cat.Geometry)
			geomOK = len(v.errs) == before
		default:
			v.anyGeometry("geometry", c.Geometry)
			geomOK = len(v.errs) == before
		}
		v.ref("department", c.Department, "department", v.depts, true)
		v.ref("owner", c.Owner, "department", v.depts, false)
		v.ref("maintainer", c.Maintainer, "department", v.depts, false)
		if !statuses[c.Status] {
			if c.Status == "" {
				v.fail("status", "is missing")
			} else {
				v.fail("status", "unknown status %q (intact, damaged, lost, occupied, disused, removed)", c.Status)
			}
		}
		if c.UnitGrid != "" {
			if len(c.UnitGrid) != 15 || !isDigits(c.UnitGrid) {
				v.fail("unit_grid", "unit grid code %q must be 15 digits", c.UnitGrid)
			} else if g, ok := v.grids[c.UnitGrid]; !ok && len(v.grids) > 0 {
				v.fail("unit_grid", "unknown unit grid %q", c.UnitGrid)
			} else {
				if codeOK && c.Code[:6] != c.UnitGrid[:6] {
					v.fail("unit_grid", "unit grid %s lies in county %s but the component code says %s", c.UnitGrid, c.UnitGrid[:6], c.Code[:6])
				}
				if p, isPoint := c.Geometry.(orb.Point); ok && isPoint && geomOK && len(g.Geometry) > 0 && !planar.MultiPolygonContains(g.Geometry, p) {
					v.fail("unit_grid", "the component at %v lies outside its unit grid %s", p, c.UnitGrid)
				}
			}
		}
		if !c.SurveyDate.IsZero() && !c.ChangedAt.IsZero() && c.ChangedAt.Before(c.SurveyDate) {
			v.fail("changed_at", "%s is before the survey date %s", c.ChangedAt.Format("2006-01-02"), c.SurveyDate.Format("2006-01-02"))
		}
		if c.Version < 0 {
			v.fail("version", "must not be negative, is %d", c.Version)
		}
		v.textMode("note", c.Note, maxNoteRunes, false, true)
	}
}

// componentGeometry checks that a component's geometry is of the type its
// category is surveyed as, and valid.
func (v *validator) componentGeometry(c *Component, want GeometryType) {
	switch g := c.Geometry.(type) {
	case orb.Point:
		if want == GeomPoint {
			v.point("geometry", g)
			return
		}
	case orb.LineString:
		if want == GeomLine {
			v.line("geometry", g)
			return
		}
	case orb.MultiLineString:
		if want == GeomLine {
			if len(g) == 0 {
				v.fail("geometry", "is an empty multilinestring")
			}
			for _, l := range g {
				if !v.line("geometry", l) {
					return
				}
			}
			return
		}
	case orb.Polygon:
		if want == GeomPolygon {
			_ = v.polygon("geometry", g) && v.valid("geometry", orb.MultiPolygon{g})
			return
		}
	case orb.MultiPolygon:
		if want == GeomPolygon {
			v.multiPolygon("geometry", g)
			return
		}
	}
	v.fail("geometry", "category %s is surveyed as a %s, not a %s", c.Category, want, c.Geometry.GeoJSONType())
}

// anyGeometry checks the coordinates of a geometry whose type is not
// prescribed.
func (v *validator) anyGeometry(field string, g orb.Geometry) {
	switch g := g.(type) {
	case orb.Point:
		v.point(field, g)
	case orb.LineString:
		v.line(field, g)
	case orb.MultiLineString:
		for _, l := range g {
			if !v.line(field, l) {
				return
			}
		}
	case orb.Polygon:
		_ = v.polygon(field, g) && v.valid(field, orb.MultiPolygon{g})
	case orb.MultiPolygon:
		v.multiPolygon(field, g)
	default:
		v.fail(field, "a %s is not a component geometry", g.GeoJSONType())
	}
}

func (v *validator) roads() {
	d := newDup(len(v.ds.Roads), func(add func(string)) {
		for _, r := range v.city.Roads {
			add(r.Code)
		}
	})
	for i := range v.ds.Roads {
		r := &v.ds.Roads[i]
		v.at("roads", i)
		if v.code("code", r.Code) {
			v.dupCheck(d, "code", r.Code, r.Code)
		}
		v.text("name", r.Name, maxNameRunes, true)
		v.ref("district", r.District, "district", v.admin[LevelDistrict], false)
		if len(r.Geometry) == 0 {
			v.fail("geometry", "is missing (a line or multiline is required)")
		}
		for _, l := range r.Geometry {
			if !v.line("geometry", l) {
				break
			}
		}
	}
}

func (v *validator) addresses() {
	d := newDup(len(v.ds.Addresses), func(add func(string)) {
		for _, a := range v.city.Addresses {
			add(a.Code)
		}
	})
	for i := range v.ds.Addresses {
		a := &v.ds.Addresses[i]
		v.at("addresses", i)
		if v.code("code", a.Code) {
			v.dupCheck(d, "code", a.Code, a.Code)
		}
		v.ref("road", a.Road, "road", v.roadCodes, true)
		v.text("number", a.Number, maxKindRunes, true)
		v.text("full_address", a.FullAddress, maxLongRunes, false)
		v.ref("community", a.Community, "community", v.admin[LevelCommunity], false)
		v.point("geometry", a.Point)
	}
}

func (v *validator) pois() {
	d := newDup(len(v.ds.POIs), func(add func(string)) {
		for _, p := range v.city.POIs {
			add(p.Code)
		}
	})
	for i := range v.ds.POIs {
		p := &v.ds.POIs[i]
		v.at("pois", i)
		if v.code("code", p.Code) {
			v.dupCheck(d, "code", p.Code, p.Code)
		}
		v.text("name", p.Name, maxNameRunes, true)
		v.text("kind", p.Kind, maxKindRunes, false)
		v.point("geometry", p.Point)
	}
}

func (v *validator) rules() {
	d := newDup(len(v.ds.Rules), func(add func(string)) {
		for _, r := range v.city.Rules {
			if r.ID != 0 {
				add(fmt.Sprint(r.ID))
			}
		}
	})
	for i := range v.ds.Rules {
		r := &v.ds.Rules[i]
		v.at("rules", i)
		if r.ID < 0 {
			v.fail("id", "must not be negative, is %d", r.ID)
		} else if r.ID > 0 {
			v.dupCheck(d, "id", fmt.Sprint(r.ID), fmt.Sprint(r.ID))
		}
		if r.Category != "" {
			v.ref("category", r.Category, "category", v.anyCat, false)
		}
		switch r.Scope {
		case ScopeCity:
			if r.ScopeRef != "" {
				v.fail("scope_ref", "a city-wide rule has no scope reference, has %q", r.ScopeRef)
			}
		case ScopeDistrict, ScopeStreet, ScopeCommunity:
			level := AdminLevel(r.Scope)
			if err := CheckAdminCode(level, r.ScopeRef, ""); err != nil {
				v.fail("scope_ref", "%v", err)
			} else {
				v.ref("scope_ref", r.ScopeRef, string(level), v.admin[level], true)
			}
		case ScopeManagementGrid:
			v.ref("scope_ref", r.ScopeRef, "management grid", v.mgmt, true)
		case ScopeUnitGrid:
			if v.grids[r.ScopeRef] == nil {
				v.fail("scope_ref", "unknown unit grid %q", r.ScopeRef)
			}
		case ScopeArea:
			if err := CheckRuleArea(r.Area); err != nil {
				v.fail("area", "%v", err)
			}
		default:
			v.fail("scope", "unknown scope %q (city, district, street, community, management_grid, unit_grid, area)", r.Scope)
		}
		v.ref("unit", r.Unit, "department", v.depts, true)
		v.textMode("note", r.Note, maxNoteRunes, false, true)
	}
}
