package cases

// DispatchFacts is what the responsibility lookup found for a case's
// place, as the dispatch rule weighs it.
type DispatchFacts struct {
	// Unit is the unit the responsibility rules decided, named UnitName,
	// by Rule.
	Unit, UnitName, Rule string
	// Component is the component the case was attributed to ("" none),
	// owned by ComponentOwner.
	Component, ComponentOwner string
	// Grids are the management grids over the point, in the lookup's
	// order, each with the unit responsible for it.
	Grids []GridUnit
}

// GridUnit is a management grid (its kind and code) and its unit.
type GridUnit struct {
	Kind, Code, Unit string
}

// Candidates ranks the units that may handle the case (1 = best): the
// unit the rules decided, then the component's owner, then the units of
// the management grids over the point. A unit is listed once, at its
// best rank; an empty unit is skipped. A dispatcher offered a case picks
// from this list, first choice first.
func (f DispatchFacts) Candidates() []Candidate {
	out := []Candidate{}
	seen := map[string]bool{}
	add := func(unit, name, why string) {
		if unit == "" || seen[unit] {
			return
		}
		seen[unit] = true
		out = append(out, Candidate{Unit: unit, Name: name, Rank: len(out) + 1, Why: why})
	}
	add(f.Unit, f.UnitName, "decided by "+f.Rule)
	if f.Component != "" {
		add(f.ComponentOwner, "", "owner of component "+f.Component)
	}
	for _, g := range f.Grids {
		add(g.Unit, "", "responsible for "+g.Kind+" grid "+g.Code)
	}
	return out
}

// Decision is the decision these facts make, with reasons, the chain
// the rules followed.
func (f DispatchFacts) Decision(reasons []Step) Decision {
	if reasons == nil {
		reasons = []Step{}
	}
	return Decision{Unit: f.Unit, Rule: f.Rule, Reasons: reasons, Candidates: f.Candidates(), Component: f.Component}
}
