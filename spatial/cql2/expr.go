// Package cql2 parses and evaluates OGC Common Query Language filters
// (CQL2, OGC 21-065r2), the filter language of OGC API – Features Part 3.
// Both encodings, CQL2-Text and CQL2-JSON, parse into one expression tree
// (Expr); Check types it against a collection's queryables, Eval answers it
// for one feature with SQL's three-valued logic, and Plan extracts the box
// that every matching feature's geometry must meet, so that a caller can
// take candidates from an R-tree before evaluating the whole filter.
//
// Supported: comparison (=, <>, <, <=, >, >=, IS [NOT] NULL), logical
// (AND, OR, NOT), LIKE, BETWEEN, IN, CASEI, property-property comparison,
// DATE and TIMESTAMP literals, and the spatial predicates S_INTERSECTS,
// S_DISJOINT, S_WITHIN and S_CONTAINS over WKT, BBOX and GeoJSON literals.
// Geometry is planar in the literal's coordinates (lon/lat for CRS84 and
// CGCS2000); callers transform literals given in another CRS first
// (MapGeometries). The package knows nothing of HTTP: errors are *Error
// values with a position, which the HTTP layer answers with 400.
package cql2

import (
	"fmt"
	"time"

	"github.com/paulmach/orb"
)

// Op names a node of the expression tree. The names are CQL2-JSON's
// operator names, so a tree prints back to CQL2-JSON directly.
type Op string

// Operators and the leaf kinds.
const (
	OpAnd     Op = "and"
	OpOr      Op = "or"
	OpNot     Op = "not"
	OpEq      Op = "="
	OpNe      Op = "<>"
	OpLt      Op = "<"
	OpLe      Op = "<="
	OpGt      Op = ">"
	OpGe      Op = ">="
	OpLike    Op = "like"
	OpBetween Op = "between"
	OpIn      Op = "in"
	OpIsNull  Op = "isNull"
	OpCaseI   Op = "casei"

	OpIntersects Op = "s_intersects"
	OpDisjoint   Op = "s_disjoint"
	OpWithin     Op = "s_within"
	OpContains   Op = "s_contains"

	// OpProperty is a reference to a queryable; Name holds it.
	OpProperty Op = "property"
	// OpLiteral is a constant; Value holds it.
	OpLiteral Op = "literal"
	// OpList is the list operand of IN; Args hold the items.
	OpList Op = "list"
)

// Expr is one node of a filter: an operator with its arguments, a property
// reference or a literal.
//
// A literal's Value is a string, a float64, a bool, a Time, an
// orb.Geometry (a BBOX literal is an orb.Bound) or nil for NULL.
type Expr struct {
	Op    Op
	Args  []*Expr
	Name  string
	Value any
	// Pos is where the node starts: a byte offset into CQL2-Text, or -1
	// for CQL2-JSON, whose nodes carry Path instead.
	Pos int
	// Path is the node's JSON pointer in CQL2-JSON ("/args/1").
	Path string
}

// Time is a DATE or TIMESTAMP literal.
type Time struct {
	T time.Time
	// Date tells a calendar date (DATE('2026-01-31')) from an instant.
	Date bool
}

// Error is a filter that cannot be parsed, typed or evaluated: Msg says
// why, Pos (CQL2-Text) or Path (CQL2-JSON) where.
type Error struct {
	Pos  int
	Path string
	Msg  string
}

// Error says where (offset or JSON pointer) and what.
func (e *Error) Error() string {
	switch {
	case e.Path != "":
		return fmt.Sprintf("cql2: at %s: %s", e.Path, e.Msg)
	case e.Pos >= 0:
		return fmt.Sprintf("cql2: at offset %d: %s", e.Pos, e.Msg)
	}
	return "cql2: " + e.Msg
}

// errAt is an Error at a node.
func errAt(e *Expr, format string, args ...any) *Error {
	return &Error{Pos: e.Pos, Path: e.Path, Msg: fmt.Sprintf(format, args...)}
}

// isBoolean reports whether the node yields a truth value.
func (e *Expr) isBoolean() bool {
	switch e.Op {
	case OpAnd, OpOr, OpNot, OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpLike, OpBetween, OpIn, OpIsNull,
		OpIntersects, OpDisjoint, OpWithin, OpContains:
		return true
	case OpLiteral:
		_, ok := e.Value.(bool)
		return ok
	}
	return false
}

// Properties lists the queryables the filter names, each once.
func (e *Expr) Properties() []string {
	var out []string
	seen := map[string]bool{}
	e.walk(func(n *Expr) {
		if n.Op == OpProperty && !seen[n.Name] {
			seen[n.Name] = true
			out = append(out, n.Name)
		}
	})
	return out
}

// MapGeometries replaces every geometry literal g by fn(g), for a filter
// whose literals are in another CRS than the data (filter-crs). A BBOX
// literal is passed as an orb.Bound and must come back as one.
func (e *Expr) MapGeometries(fn func(orb.Geometry) (orb.Geometry, error)) error {
	var err error
	e.walk(func(n *Expr) {
		if g, ok := n.Value.(orb.Geometry); ok && n.Op == OpLiteral && err == nil {
			var out orb.Geometry
			if out, err = fn(g); err != nil {
				err = errAt(n, "geometry literal: %v", err)
				return
			}
			n.Value = out
		}
	})
	return err
}

func (e *Expr) walk(fn func(*Expr)) {
	fn(e)
	for _, a := range e.Args {
		a.walk(fn)
	}
}
