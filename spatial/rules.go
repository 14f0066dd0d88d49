package spatial

import (
	"fmt"
	"slices"
	"time"

	"citygrid/data"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// chinaTime is the zone a precedent's ruling date is cited in.
var chinaTime = time.FixedZone("CST", 8*3600)

// RuleSet is a responsibility rule table ready for matching: the rows and
// an index by category. The index holds one; a proposed table is built
// with NewRuleSet to try it (what-if, replay audit) without serving it.
type RuleSet struct {
	rules []data.Rule
	byCat map[string][]uint32 // category code ("" = every category) → rule indexes
}

// NewRuleSet indexes rules; the set keeps the slice, so the caller must
// not modify it afterwards.
func NewRuleSet(rules []data.Rule) *RuleSet {
	rs := &RuleSet{rules: rules, byCat: make(map[string][]uint32, len(rules))}
	for i, r := range rules {
		rs.byCat[r.Category] = append(rs.byCat[r.Category], uint32(i))
	}
	return rs
}

// Rules returns the set's rows (not to be modified).
func (rs *RuleSet) Rules() []data.Rule { return rs.rules }

// ruleSet is the index's own table (read under the live lock).
func (ix *Index) ruleSet() RuleSet { return RuleSet{rules: ix.ds.Rules, byCat: ix.rulesByCat} }

// Rules returns a copy of the rule table in use.
func (ix *Index) Rules() []data.Rule {
	ix.live.rlock()
	defer ix.live.runlock()
	return append([]data.Rule(nil), ix.ds.Rules...)
}

// SetRules replaces the responsibility rule table, for a rule table edited
// or imported while the server runs. Lookups running meanwhile see the old
// table or the new one, never a mixture. The index keeps rules, so the
// caller must not modify it afterwards.
func (ix *Index) SetRules(rules []data.Rule) {
	rs := NewRuleSet(rules)
	ix.live.lock()
	defer ix.live.unlock()
	ix.ds.Rules = rs.rules
	ix.rulesByCat = rs.byCat
}

// ResponsibleUnder is Responsible with the rule table rs instead of the
// index's: what a proposed table would decide, before it is saved.
func (ix *Index) ResponsibleUnder(rs *RuleSet, p orb.Point, kind data.CategoryKind, category, componentCode string) (Responsibility, error) {
	ix.live.rlock()
	defer ix.live.runlock()
	return ix.responsible(p, kind, category, componentCode,
		make([]ManagementGridRef, 0, ix.mgmtPerKind), make([]Reason, 0, maxReasons), rs)
}

// CheckRules validates a rule table against the index's data: known
// categories (a code of either kind), departments, scope references
// (administrative units, management and unit grids) and area polygons;
// unique IDs. The errors name the row.
func (ix *Index) CheckRules(rules []data.Rule) error {
	ix.live.rlock()
	defer ix.live.runlock()
	var es data.ValidationErrors
	bad := func(i int, f, format string, args ...any) {
		es = append(es, &data.ValidationError{Field: fmt.Sprintf("rules[%d].%s", i, f), Reason: fmt.Sprintf(format, args...)})
	}
	ids := map[int64]bool{}
	for i := range rules {
		r := &rules[i]
		if r.ID <= 0 || ids[r.ID] {
			bad(i, "id", "a positive ID, unique in the table (%d)", r.ID)
		}
		ids[r.ID] = true
		if r.Kind != "" && r.Kind != data.KindComponent && r.Kind != data.KindEvent {
			bad(i, "kind", "component, event or empty")
		}
		if r.Category != "" {
			_, okc := ix.Category(data.KindComponent, r.Category)
			_, oke := ix.Category(data.KindEvent, r.Category)
			if (r.Kind == data.KindComponent && !okc) || (r.Kind == data.KindEvent && !oke) || (r.Kind == "" && !okc && !oke) {
				bad(i, "category", "unknown category %q", r.Category)
			}
		}
		if _, ok := ix.Department(r.Unit); !ok {
			bad(i, "unit", "unknown department %q", r.Unit)
		}
		switch r.Scope {
		case data.ScopeCity:
			if r.ScopeRef != "" {
				bad(i, "scope_ref", "a city-wide rule has no scope reference")
			}
		case data.ScopeDistrict, data.ScopeStreet, data.ScopeCommunity:
			if _, ok := ix.AdminUnit(data.AdminLevel(r.Scope), r.ScopeRef); !ok {
				bad(i, "scope_ref", "unknown %s %q", r.Scope, r.ScopeRef)
			}
		case data.ScopeManagementGrid:
			if !slices.ContainsFunc(ix.kinds, func(k string) bool { _, ok := ix.ManagementGrid(k, r.ScopeRef); return ok }) {
				bad(i, "scope_ref", "unknown management grid %q", r.ScopeRef)
			}
		case data.ScopeUnitGrid:
			if gi, ok := ix.grids.byCode[r.ScopeRef]; !ok || ix.grids.ds[gi] < 0 {
				bad(i, "scope_ref", "unknown unit grid %q", r.ScopeRef)
			}
		case data.ScopeArea:
			if err := data.CheckRuleArea(r.Area); err != nil {
				bad(i, "area", "%v", err)
			}
		default:
			bad(i, "scope", "unknown scope %q (city, district, street, community, management_grid, unit_grid, area)", r.Scope)
		}
		if r.Priority < -1000 || r.Priority > 1000 {
			bad(i, "priority", "-1000 to 1000")
		}
		if len(r.Note) > 2000 {
			bad(i, "note", "at most 2000 bytes")
		}
	}
	return es.Err()
}

// match picks the best row for the category at the location: the highest
// priority, then the narrower scope (area > unit grid > management grid >
// community > street > district > city), then a row naming the category
// over a catch-all row, then the lowest rule ID. A row naming the
// category's code matches when its kind is the category's or "".
func (rs *RuleSet) match(cat *data.Category, loc *Location) *data.Rule {
	var best *data.Rule
	better := func(r *data.Rule) bool {
		if best == nil {
			return true
		}
		if r.Priority != best.Priority {
			return r.Priority > best.Priority
		}
		if a, b := scopeRank[r.Scope], scopeRank[best.Scope]; a != b {
			return a > b
		}
		if (r.Category != "") != (best.Category != "") {
			return r.Category != ""
		}
		return r.ID < best.ID
	}
	for _, key := range [2]string{cat.Code, ""} {
		for _, ri := range rs.byCat[key] {
			r := &rs.rules[ri]
			if r.Kind != "" && r.Kind != cat.Kind {
				continue
			}
			if r.Unit != "" && ruleApplies(r, loc) && better(r) {
				best = r
			}
		}
	}
	return best
}

func ruleApplies(r *data.Rule, loc *Location) bool {
	switch r.Scope {
	case data.ScopeCity:
		return true
	case data.ScopeDistrict:
		return r.ScopeRef == loc.District.Code && r.ScopeRef != ""
	case data.ScopeStreet:
		return r.ScopeRef == loc.Street.Code && r.ScopeRef != ""
	case data.ScopeCommunity:
		return r.ScopeRef == loc.Community.Code && r.ScopeRef != ""
	case data.ScopeManagementGrid:
		for _, m := range loc.ManagementGrids {
			if m.Code == r.ScopeRef {
				return true
			}
		}
	case data.ScopeUnitGrid:
		return r.ScopeRef == loc.UnitGrid.Code && r.ScopeRef != ""
	case data.ScopeArea:
		return len(r.Area) > 0 && r.Area.Bound().Contains(loc.Point) && planar.PolygonContains(r.Area, loc.Point)
	}
	return false
}

// SetCategories replaces the category catalogue (names, competent
// departments, deadline classes), for a catalogue an administrator edited
// or imported while the server runs. The index keeps cats.
func (ix *Index) SetCategories(cats []data.Category) {
	byKey := make(map[catKey]uint32, len(cats))
	for i, c := range cats {
		byKey[catKey{c.Kind, c.Code}] = uint32(i)
	}
	ix.live.lock()
	defer ix.live.unlock()
	ix.ds.Categories = cats
	ix.catByKey = byKey
}
