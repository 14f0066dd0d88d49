package cql2

import (
	"github.com/paulmach/orb"
)

// Plan is what a filter tells about where its matches lie, for choosing
// candidates from a spatial index before evaluating the filter on each.
type Plan struct {
	// Bounded: every feature the filter matches has a geometry whose
	// bound meets Bound. Otherwise any feature may match.
	Bounded bool
	Bound   orb.Bound
	// Empty: no feature can match (a FALSE literal, or an AND of
	// spatial conditions on boxes that do not meet).
	Empty bool
}

// Plan extracts the box from the filter's spatial predicates on the
// property geom (the indexed geometry): S_INTERSECTS, S_WITHIN and
// S_CONTAINS between geom and a literal each bound the matches to the
// literal's box; AND intersects boxes, OR joins them; NOT and S_DISJOINT
// bound nothing.
func (f *Filter) Plan(geom string) Plan {
	return planOf(f.root, geom)
}

func planOf(e *Expr, geom string) Plan {
	switch e.Op {
	case OpLiteral:
		if b, ok := e.Value.(bool); ok && !b {
			return Plan{Empty: true}
		}
	case OpIntersects, OpWithin, OpContains:
		a, b := e.Args[0], e.Args[1]
		if b.Op == OpProperty {
			a, b = b, a
		}
		if a.Op == OpProperty && a.Name == geom && b.Op == OpLiteral {
			if g, ok := b.Value.(orb.Geometry); ok {
				if s := newShape(g); s.dim >= 0 {
					return Plan{Bounded: true, Bound: s.bound}
				}
				return Plan{Empty: true}
			}
		}
	case OpAnd:
		out := Plan{}
		for _, a := range e.Args {
			p := planOf(a, geom)
			switch {
			case p.Empty:
				return p
			case !p.Bounded:
			case !out.Bounded:
				out = p
			default:
				lo := orb.Point{max(out.Bound.Min[0], p.Bound.Min[0]), max(out.Bound.Min[1], p.Bound.Min[1])}
				hi := orb.Point{min(out.Bound.Max[0], p.Bound.Max[0]), min(out.Bound.Max[1], p.Bound.Max[1])}
				if lo[0] > hi[0] || lo[1] > hi[1] {
					return Plan{Empty: true}
				}
				out.Bound = orb.Bound{Min: lo, Max: hi}
			}
		}
		return out
	case OpOr:
		out := Plan{Empty: true}
		for _, a := range e.Args {
			p := planOf(a, geom)
			switch {
			case p.Empty:
			case !p.Bounded:
				return Plan{}
			case out.Empty:
				out = p
			default:
				out.Bound = out.Bound.Union(p.Bound)
			}
		}
		return out
	}
	return Plan{}
}
