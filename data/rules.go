package data

import (
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// RuleDoc is a responsibility rule as the rule table document and the
// admin API carry it: Rule with JSON names, the area as GeoJSON-style
// rings of [lon, lat].
type RuleDoc struct {
	ID        int64          `json:"id"`
	Kind      CategoryKind   `json:"kind,omitempty"`
	Category  string         `json:"category,omitempty"`
	Scope     ScopeKind      `json:"scope"`
	ScopeRef  string         `json:"scope_ref,omitempty"`
	Area      [][][2]float64 `json:"area,omitempty"`
	Unit      string         `json:"unit"`
	Priority  int            `json:"priority"`
	Note      string         `json:"note,omitempty"`
	Precedent *Precedent     `json:"precedent,omitempty"`
}

// DocOf turns a rule into its document form.
func DocOf(r Rule) RuleDoc {
	d := RuleDoc{ID: r.ID, Kind: r.Kind, Category: r.Category, Scope: r.Scope, ScopeRef: r.ScopeRef, Unit: r.Unit,
		Priority: r.Priority, Note: r.Note, Precedent: r.Precedent}
	for _, ring := range r.Area {
		out := make([][2]float64, len(ring))
		for i, p := range ring {
			out[i] = [2]float64(p)
		}
		d.Area = append(d.Area, out)
	}
	return d
}

// Rule turns the document form back into a rule.
func (d RuleDoc) Rule() Rule {
	r := Rule{ID: d.ID, Kind: d.Kind, Category: d.Category, Scope: d.Scope, ScopeRef: d.ScopeRef, Unit: d.Unit,
		Priority: d.Priority, Note: d.Note, Precedent: d.Precedent}
	for _, ring := range d.Area {
		out := make(orb.Ring, len(ring))
		for i, p := range ring {
			out[i] = orb.Point(p)
		}
		r.Area = append(r.Area, out)
	}
	return r
}

// CheckRuleArea checks the polygon of an area rule: an outer ring (and
// holes) of at least four lon/lat positions, closed, inside lon/lat range.
func CheckRuleArea(a orb.Polygon) error {
	if len(a) == 0 {
		return fmt.Errorf("an area rule needs a polygon")
	}
	for i, ring := range a {
		if len(ring) < 4 {
			return fmt.Errorf("ring %d has %d positions, at least 4", i, len(ring))
		}
		if len(ring) > 10000 {
			return fmt.Errorf("ring %d has %d positions, at most 10000", i, len(ring))
		}
		if ring[0] != ring[len(ring)-1] {
			return fmt.Errorf("ring %d is not closed", i)
		}
		for _, p := range ring {
			if math.IsNaN(p[0]) || math.IsNaN(p[1]) || p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
				return fmt.Errorf("ring %d has position %v outside lon/lat range", i, p)
			}
		}
	}
	return nil
}

// Equal reports whether two rules are the same row, area and precedent
// included.
func (r Rule) Equal(o Rule) bool {
	if r.ID != o.ID || r.Category != o.Category || r.Scope != o.Scope || r.ScopeRef != o.ScopeRef || r.Unit != o.Unit ||
		r.Priority != o.Priority || r.Note != o.Note || r.Kind != o.Kind || len(r.Area) != len(o.Area) {
		return false
	}
	for i := range r.Area {
		if !slices.Equal(r.Area[i], o.Area[i]) {
			return false
		}
	}
	switch {
	case r.Precedent == nil || o.Precedent == nil:
		return r.Precedent == o.Precedent
	default:
		p, q := r.Precedent, o.Precedent
		return p.CaseID == q.CaseID && p.CaseNumber == q.CaseNumber && p.RuledAt.Equal(q.RuledAt) && p.RuledBy == q.RuledBy
	}
}
