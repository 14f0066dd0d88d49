package spatial

import (
	"fmt"
	"strconv"

	"citygrid/data"
	"citygrid/spatial/crs"

	"github.com/paulmach/orb"
)

// The rules that can decide who is responsible, in the order they are
// tried. Every Responsibility names the one that decided.
const (
	// RuleComponentMaintainer: the case is about a surveyed component and
	// its maintainer (养护单位) handles it.
	RuleComponentMaintainer = "component_maintainer"
	// RuleComponentOwner: the case is about a surveyed component without a
	// known maintainer; its owner (权属单位) handles it.
	RuleComponentOwner = "component_owner"
	// RuleTable: a row of the responsibility rule table matched.
	RuleTable = "rule_table"
	// RuleCategoryDepartment: the category's competent department (主管部门).
	RuleCategoryDepartment = "category_department"
	// RuleFallback: the configured unit of last resort (兜底).
	RuleFallback = "fallback"
)

// UnitRef names a handling unit in an answer.
type UnitRef struct {
	Code string              `json:"code"`
	Name string              `json:"name"`
	Kind data.DepartmentKind `json:"kind,omitempty"`
}

// CategoryRef names a category in an answer.
type CategoryRef struct {
	Code string            `json:"code"`
	Name string            `json:"name"`
	Kind data.CategoryKind `json:"kind"`
}

// Reason is one step of the responsibility chain (data.Reason, which the
// case workflow keeps with a case unchanged).
type Reason = data.Reason

// ComponentRef is the surveyed component a case was attributed to.
type ComponentRef struct {
	Code       string `json:"code"`
	Category   string `json:"category"`
	Owner      string `json:"owner,omitempty"`
	Maintainer string `json:"maintainer,omitempty"`
	// DistanceM is the component's distance from the case's point, when it
	// was found by proximity rather than named by code.
	DistanceM float64 `json:"distance_m,omitempty"`
	// ByCode reports that the request named the component.
	ByCode bool `json:"by_code"`
}

// Responsibility answers "who must handle this case".
type Responsibility struct {
	CRS  crs.CRS `json:"crs"`
	Unit UnitRef `json:"unit"`
	// Rule is the rule that decided (one of the Rule* constants).
	Rule string `json:"rule"`
	// RuleID is the rule-table row that decided, when Rule is RuleTable.
	RuleID    int64         `json:"rule_id,omitempty"`
	Reasons   []Reason      `json:"reasons"`
	Category  CategoryRef   `json:"category"`
	Component *ComponentRef `json:"component,omitempty"`
	Location  Location      `json:"location"`
}

// ToCRS converts the answer's coordinates from storage to c and records c.
func (r *Responsibility) ToCRS(c crs.CRS) {
	r.Location.ToCRS(c)
	r.CRS = c
}

// scopeRank orders rule scopes from the most general (0) to the narrowest.
var scopeRank = map[data.ScopeKind]int{
	data.ScopeCity:           0,
	data.ScopeDistrict:       1,
	data.ScopeStreet:         2,
	data.ScopeCommunity:      3,
	data.ScopeManagementGrid: 4,
	data.ScopeUnitGrid:       5,
	data.ScopeArea:           6,
}

// Responsible decides which unit must handle a case of the category at p
// (CGCS2000/WGS84), optionally about the component with the given code,
// trying in order:
//
//  1. the surveyed component — named by componentCode, or else the nearest
//     component of the (component) category within the index's tolerance
//     (Options.ComponentToleranceM, 15 m by default; removed components are
//     ignored): its maintainer, or its owner when it has no maintainer;
//  2. the rule table: rows for the category (of its kind, or of kind "")
//     or for every category whose
//     scope (city, or the district, street, community or a management grid
//     the point lies in) matches; the highest priority wins, then the
//     narrower scope (management grid > community > street > district >
//     city), then a row naming the category over a catch-all row, then
//     the lowest rule ID;
//  3. the category's competent department;
//  4. the fallback unit (Options.FallbackUnit).
//
// kind is the category's kind (data.KindComponent or data.KindEvent); ""
// accepts a code that names only one category, and an ambiguous code (a
// component and an event category share it) is a *data.ValidationError
// naming both readings (see ResolveCategory). category may be empty when
// componentCode is given (the component's category is used), and p may be
// the zero point then (the component's position is used). An unknown
// category or component, or a component of a different category or of a
// case of kind event, is a *data.ValidationError; a point outside the city
// is ErrOutside (wrapping data.ErrNotFound) unless the case names a
// component; no fallback unit configured when one is needed wraps
// data.ErrNotFound.
func (ix *Index) Responsible(p orb.Point, kind data.CategoryKind, category, componentCode string) (Responsibility, error) {
	ix.live.rlock()
	defer ix.live.runlock()
	return ix.responsible(p, kind, category, componentCode,
		make([]ManagementGridRef, 0, ix.mgmtPerKind), make([]Reason, 0, maxReasons), nil)
}

// maxReasons is the most reasons a Responsibility carries: maintainer,
// owner, rule table, department, fallback.
const maxReasons = 5

// responsible is Responsible with the answer's slices supplied by the
// caller (batches carve them from one allocation).
func (ix *Index) responsible(p orb.Point, kind data.CategoryKind, category, componentCode string, mg []ManagementGridRef, reasons []Reason, rs *RuleSet) (Responsibility, error) {
	res := Responsibility{Reasons: reasons[:0]}
	res.Location.ManagementGrids = mg[:0]
	res.CRS = crs.Default
	var comp *data.Component
	if componentCode != "" {
		c, ok := ix.Component(componentCode)
		if !ok {
			return res, &data.ValidationError{Field: "component", Reason: fmt.Sprintf("unknown component %q", componentCode)}
		}
		switch kind {
		case "":
			kind = data.KindComponent
		case data.KindComponent:
		case data.KindEvent:
			return res, &data.ValidationError{Field: "kind", Reason: fmt.Sprintf("component %s is of a component category, not of kind event", c.Code)}
		}
		if category == "" {
			category = c.Category
		} else if c.Category != category {
			return res, &data.ValidationError{Field: "component", Reason: fmt.Sprintf("component %s is of category %s, not %s", c.Code, c.Category, category)}
		}
		comp = c
	}
	if category == "" {
		return res, &data.ValidationError{Field: "category", Reason: "category is required"}
	}
	cat, err := ix.ResolveCategory(kind, category)
	if err != nil {
		return res, err
	}
	res.Category = CategoryRef{Code: cat.Code, Name: cat.Name, Kind: cat.Kind}
	if comp != nil && p == (orb.Point{}) {
		p = representativePoint(comp.Geometry)
	}
	if err := CheckPoint(p); err != nil {
		return res, err
	}
	if err := ix.LocateInto(p, &res.Location); err != nil && (comp == nil || !IsOutside(err)) {
		return res, err
	}

	// 1. The surveyed component.
	switch {
	case comp != nil:
		res.Component = &ComponentRef{Code: comp.Code, Category: comp.Category, Owner: comp.Owner, Maintainer: comp.Maintainer, ByCode: true}
	case cat.Kind == data.KindComponent:
		if best, ok := ix.nearestInRadius(cat.Code, p, ix.tolerance, isRemoved); ok {
			c := &ix.ds.Components[best.i]
			comp = c
			res.Component = &ComponentRef{Code: c.Code, Category: c.Category, Owner: c.Owner, Maintainer: c.Maintainer, DistanceM: best.d}
		}
	}
	if comp == nil {
		detail := "event category: no surveyed component involved"
		if cat.Kind == data.KindComponent {
			detail = "no component of category " + cat.Code + " within " + ix.toleranceText + " m"
		}
		res.Reasons = append(res.Reasons, Reason{Rule: RuleComponentMaintainer, Detail: detail})
	} else {
		how := "named by code"
		if !res.Component.ByCode {
			how = "nearest of category " + cat.Code + ", " + strconv.FormatFloat(res.Component.DistanceM, 'f', 1, 64) + " m away"
		}
		for _, step := range []struct{ rule, unit, role string }{
			{RuleComponentMaintainer, comp.Maintainer, "maintainer"},
			{RuleComponentOwner, comp.Owner, "owner"},
		} {
			if step.unit == "" {
				res.Reasons = append(res.Reasons, Reason{Rule: step.rule, Detail: "component " + comp.Code + " (" + how + ") has no " + step.role})
				continue
			}
			if _, ok := ix.Department(step.unit); !ok {
				res.Reasons = append(res.Reasons, Reason{Rule: step.rule, Detail: fmt.Sprintf("component %s (%s) names %s %s, which is not a known department", comp.Code, how, step.role, step.unit)})
				continue
			}
			ix.decide(&res, step.rule, step.unit, 0, "component "+comp.Code+" ("+how+"): "+step.role+" "+step.unit)
			return res, nil
		}
	}

	// 2. The rule table.
	var own RuleSet
	if rs == nil {
		own = ix.ruleSet()
		rs = &own
	}
	if r := rs.match(cat, &res.Location); r != nil {
		where := string(r.Scope)
		if r.ScopeRef != "" {
			where += " " + r.ScopeRef
		}
		catText := "every category"
		if r.Category != "" {
			catText = "category " + r.Category
			if r.Kind != "" {
				catText = string(r.Kind) + " category " + r.Category
			}
		}
		if r.Scope == data.ScopeArea {
			where = "the rule's area"
		}
		detail := "rule " + strconv.FormatInt(r.ID, 10) + ": " + catText + " in " + where + " → " + r.Unit + " (priority " + strconv.Itoa(r.Priority) + ")"
		if pr := r.Precedent; pr != nil {
			detail += "; precedent: arbitration of case " + pr.CaseNumber + " on " + pr.RuledAt.In(chinaTime).Format("2006-01-02")
			if pr.RuledBy != "" {
				detail += " by " + pr.RuledBy
			}
		}
		ix.decide(&res, RuleTable, r.Unit, r.ID, detail)
		return res, nil
	}
	res.Reasons = append(res.Reasons, Reason{Rule: RuleTable, Detail: "no rule for category " + cat.Code + " matches this location"})

	// 3. The competent department.
	if cat.Department != "" {
		ix.decide(&res, RuleCategoryDepartment, cat.Department, 0, "competent department of category "+cat.Code+" ("+cat.Name+")")
		return res, nil
	}
	res.Reasons = append(res.Reasons, Reason{Rule: RuleCategoryDepartment, Detail: "category " + cat.Code + " has no competent department"})

	// 4. The fallback unit.
	if ix.fallback == "" {
		return res, fmt.Errorf("category %s at %v: nothing decides and no fallback unit is configured: %w", cat.Code, p, data.ErrNotFound)
	}
	ix.decide(&res, RuleFallback, ix.fallback, 0, "fallback unit (兜底)")
	return res, nil
}

func isRemoved(c *data.Component) bool { return c.Status == data.StatusRemoved }

// decide records the deciding step.
func (ix *Index) decide(res *Responsibility, rule, unit string, ruleID int64, detail string) {
	res.Rule, res.RuleID = rule, ruleID
	res.Unit = UnitRef{Code: unit}
	if d, ok := ix.Department(unit); ok {
		res.Unit.Name, res.Unit.Kind = d.Name, d.Kind
	}
	res.Reasons = append(res.Reasons, Reason{Rule: rule, Decided: true, Detail: detail, RuleID: ruleID})
}

// matchRule picks the best row of the index's rule table for the
// category at the location (see RuleSet.match).
func (ix *Index) matchRule(cat *data.Category, loc *Location) *data.Rule {
	rs := ix.ruleSet()
	return rs.match(cat, loc)
}

// representativePoint is a point standing for a component's position: the
// point itself, or the first vertex of a line or polygon.
func representativePoint(g orb.Geometry) orb.Point {
	switch g := g.(type) {
	case orb.Point:
		return g
	case orb.LineString:
		if len(g) > 0 {
			return g[0]
		}
	case orb.MultiLineString:
		if len(g) > 0 && len(g[0]) > 0 {
			return g[0][0]
		}
	case orb.Polygon:
		if len(g) > 0 && len(g[0]) > 0 {
			return g[0][0]
		}
	case orb.MultiPolygon:
		if len(g) > 0 && len(g[0]) > 0 && len(g[0][0]) > 0 {
			return g[0][0][0]
		}
	}
	if g == nil {
		return orb.Point{}
	}
	return g.Bound().Center()
}
