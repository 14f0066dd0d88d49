package data

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// EditMeta says who makes a change and why; every committed change keeps
// it in the store's history.
type EditMeta struct {
	User   string
	Reason string
}

// AnyVersion as an expected version makes a write unconditional (If-Match: *).
const AnyVersion int64 = 0

// HistoryEntry is one committed change of a feature as the history keeps it.
type HistoryEntry struct {
	ID        int64     `json:"id"`
	Layer     string    `json:"layer"`
	Code      string    `json:"code"`
	Op        ChangeOp  `json:"op"`
	Version   int64     `json:"version"`
	At        time.Time `json:"at"`
	User      string    `json:"user"`
	Reason    string    `json:"reason"`
	Changeset string    `json:"changeset,omitempty"`

	BeforeComponent *Component `json:"-"`
	AfterComponent  *Component `json:"-"`
	BeforeUnitGrid  *UnitGrid  `json:"-"`
	AfterUnitGrid   *UnitGrid  `json:"-"`
}

// PreconditionError is a conditional write whose expected version is not
// the stored one. Its details give the current version (0 and Deleted when
// the feature is gone).
type PreconditionError struct {
	Layer    string
	Code     string
	Expected int64
	Current  int64
	Exists   bool
}

func (e *PreconditionError) Error() string {
	if !e.Exists {
		return fmt.Sprintf("%s %s: expected version %d but it no longer exists: %v", e.Layer, e.Code, e.Expected, ErrPrecondition)
	}
	return fmt.Sprintf("%s %s: expected version %d but the stored version is %d: %v", e.Layer, e.Code, e.Expected, e.Current, ErrPrecondition)
}

// Unwrap makes errors.Is(err, ErrPrecondition) hold.
func (e *PreconditionError) Unwrap() error { return ErrPrecondition }

// ErrorDetails gives the client the current version and its ETag.
func (e *PreconditionError) ErrorDetails() any {
	d := map[string]any{"code": e.Code, "expected_version": e.Expected, "exists": e.Exists}
	if e.Exists {
		d["current_version"] = e.Current
		d["etag"] = ETag(e.Code, e.Current)
	}
	return d
}

// ETag is the strong entity tag of a feature version: "<code>-v<version>".
func ETag(code string, version int64) string {
	return fmt.Sprintf(`"%s-v%d"`, code, version)
}

// ChangesetOp is what one feature of a survey batch asks for.
type ChangesetOp string

// Changeset operations. A feature without an op is an add when its code is
// not stored (or empty) and a modify when it is.
const (
	CSAdd    ChangesetOp = "add"
	CSModify ChangesetOp = "modify"
	CSDelete ChangesetOp = "delete"
)

// ChangesetItem is one feature of a survey batch.
type ChangesetItem struct {
	Op        ChangesetOp
	Where     string // "feature 12", "fid 7": where the item is in the file
	Component Component
	// BaseVersion is the version the surveyor started from (0: unknown;
	// then the changeset's BaseTime decides conflicts).
	BaseVersion int64
	// Fields names the component fields the feature gives ("geometry",
	// "name", ...); a modify keeps the stored value of every other field.
	// Nil means every field.
	Fields map[string]bool
}

// Changeset is a survey batch (普查更新): adds, modifications and deletions
// of components by code.
type Changeset struct {
	ID string
	// BaseTime is when the survey took its copy of the store: a stored
	// component changed after it is a conflict. Zero: no time check.
	BaseTime time.Time
	Items    []ChangesetItem
}

// ChangesetConflict is a feature changed in the store since the survey.
type ChangesetConflict struct {
	Where          string    `json:"where"`
	Code           string    `json:"code"`
	Op             string    `json:"op"`
	Reason         string    `json:"reason"`
	BaseVersion    int64     `json:"base_version,omitempty"`
	CurrentVersion int64     `json:"current_version"`
	ChangedAt      time.Time `json:"changed_at,omitzero"`
	ChangedBy      string    `json:"changed_by,omitempty"`
}

// ChangesetReport is the dry run (and apply) result of a changeset.
type ChangesetReport struct {
	ID        string              `json:"id,omitempty"`
	Features  int                 `json:"features"`
	Adds      int                 `json:"adds"`
	Modifies  int                 `json:"modifies"`
	Deletes   int                 `json:"deletes"`
	Unchanged int                 `json:"unchanged"`
	Conflicts []ChangesetConflict `json:"conflicts"`
	Invalid   ValidationErrors    `json:"invalid"`
	// Applicable is true when nothing stops an apply.
	Applicable bool `json:"applicable"`
	Applied    bool `json:"applied"`
}

// ComponentChecker validates components against a city's reference layers
// (districts, unit grids, categories, departments) with the rules of
// Validate, built once and reused across edits. It is safe for concurrent
// use. It does not check codes against the stored components: the store
// does that in its transaction.
type ComponentChecker struct {
	v *validator
}

// NewComponentChecker builds a checker over city's reference layers (its
// components are ignored).
func NewComponentChecker(city *Dataset) *ComponentChecker {
	ref := *city
	ref.Components = nil
	return &ComponentChecker{v: newValidator(&Dataset{}, &ref, nil)}
}

// Check validates comps; where(i) names component i in errors.
func (c *ComponentChecker) Check(comps []Component, where func(i int) string) ValidationErrors {
	v := *c.v
	v.ds = &Dataset{Components: comps}
	v.errs = nil
	if where == nil {
		where = func(i int) string { return fmt.Sprintf("components[%d]", i) }
	}
	v.where = func(_ string, i int) string { return where(i) }
	v.components()
	return v.errs
}

// Extent is the city's extent (the bound of its administrative units) and
// whether it has one.
func (c *ComponentChecker) Extent() (orb.Bound, bool) { return c.v.extent, c.v.hasExtent }

// ComponentFields are the component properties a client or a survey file
// may set, by their GeoJSON property names; unit_grid, changed_at and
// version belong to the store.
var ComponentFields = []string{"code", "category", "name", "department", "owner", "maintainer", "status", "survey_date", "note"}

// SetComponentField sets one of ComponentFields from its text form ("" clears
// it; status is lower-cased; survey_date is YYYY-MM-DD). An unknown field or
// a bad date is a *ValidationError naming the field.
func SetComponentField(c *Component, field, v string) error {
	switch field {
	case "code":
		c.Code = v
	case "category":
		c.Category = v
	case "name":
		c.Name = v
	case "department":
		c.Department = v
	case "owner":
		c.Owner = v
	case "maintainer":
		c.Maintainer = v
	case "status":
		c.Status = ComponentStatus(strings.ToLower(v))
	case "note":
		c.Note = v
	case "survey_date":
		if v == "" {
			c.SurveyDate = time.Time{}
			return nil
		}
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			return &ValidationError{Field: field, Reason: fmt.Sprintf("%q is not a YYYY-MM-DD date", v)}
		}
		c.SurveyDate = t
	default:
		return &ValidationError{Field: field, Reason: "not a component property one may set"}
	}
	return nil
}

// ApplyComponentFields sets fields on c, each by SetComponentField: a nil
// value (JSON null) clears the field. Fields are set in name order, so
// the first invalid one reported is always the same.
func ApplyComponentFields(c *Component, fields map[string]*string) error {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		v := ""
		if p := fields[k]; p != nil {
			v = *p
		}
		if err := SetComponentField(c, k, v); err != nil {
			return err
		}
	}
	return nil
}

// Representative is the point that places a geometry in a unit grid: the
// point itself, the middle vertex of a line, the centroid of a polygon (or,
// when the centroid falls outside a concave polygon, its first vertex).
func Representative(g orb.Geometry) (orb.Point, bool) {
	switch g := g.(type) {
	case orb.Point:
		return g, true
	case orb.LineString:
		if len(g) == 0 {
			return orb.Point{}, false
		}
		return g[len(g)/2], true
	case orb.MultiLineString:
		if len(g) == 0 {
			return orb.Point{}, false
		}
		return Representative(g[0])
	case orb.Polygon:
		if len(g) == 0 || len(g[0]) == 0 {
			return orb.Point{}, false
		}
		c, _ := planar.CentroidArea(g)
		if planar.PolygonContains(g, c) {
			return c, true
		}
		return g[0][0], true
	case orb.MultiPolygon:
		if len(g) == 0 {
			return orb.Point{}, false
		}
		return Representative(g[0])
	}
	return orb.Point{}, false
}
