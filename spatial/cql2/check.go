package cql2

import (
	"slices"
	"strings"

	"github.com/paulmach/orb"
)

// Type is the type of a queryable or of a value, as the queryables
// document of OGC API – Features Part 3 names them.
type Type string

// Value types.
const (
	TypeString    Type = "string"
	TypeNumber    Type = "number"
	TypeInteger   Type = "integer"
	TypeBoolean   Type = "boolean"
	TypeTimestamp Type = "timestamp"
	TypeDate      Type = "date"
	TypeGeometry  Type = "geometry"
	// typeNull is the NULL literal's type, comparable with nothing.
	typeNull Type = "null"
	// typeCondition is the type of a predicate.
	typeCondition Type = "condition"
)

// Queryables are the properties a collection can be filtered on, with
// their types.
type Queryables map[string]Type

// comparable reports whether values of the two types can be compared.
func comparableTypes(a, b Type) bool {
	num := func(t Type) bool { return t == TypeNumber || t == TypeInteger }
	return a == b || num(a) && num(b)
}

func literalType(v any) Type {
	switch v.(type) {
	case nil:
		return typeNull
	case string:
		return TypeString
	case float64:
		return TypeNumber
	case bool:
		return TypeBoolean
	case Time:
		if v.(Time).Date {
			return TypeDate
		}
		return TypeTimestamp
	case orb.Geometry:
		return TypeGeometry
	}
	return typeNull
}

// typeOf types a node, checking its operands; it is the static half of
// Part 3's "invalid filter" answers (unknown queryable, mismatched types).
func (q Queryables) typeOf(e *Expr) (Type, error) {
	switch e.Op {
	case OpProperty:
		t, ok := q[e.Name]
		if !ok {
			names := make([]string, 0, len(q))
			for n := range q {
				names = append(names, n)
			}
			slices.Sort(names)
			return "", errAt(e, "unknown queryable %q (queryables: %s)", e.Name, strings.Join(names, ", "))
		}
		return t, nil
	case OpLiteral:
		return literalType(e.Value), nil
	}
	args := make([]Type, len(e.Args))
	for i, a := range e.Args {
		if a.Op == OpList {
			continue
		}
		t, err := q.typeOf(a)
		if err != nil {
			return "", err
		}
		args[i] = t
	}
	switch e.Op {
	case OpAnd, OpOr, OpNot:
		for i, t := range args {
			if t != typeCondition && t != TypeBoolean {
				return "", errAt(e.Args[i], "%s joins conditions, not a %s", e.Op, t)
			}
		}
	case OpCaseI:
		if args[0] != TypeString {
			return "", errAt(e.Args[0], "CASEI takes a string, not a %s", args[0])
		}
		return TypeString, nil
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpBetween:
		for i := 1; i < len(args); i++ {
			if err := checkComparable(e, e.Args[i], args[0], args[i]); err != nil {
				return "", err
			}
		}
		if args[0] == TypeBoolean && e.Op != OpEq && e.Op != OpNe {
			return "", errAt(e, "booleans compare only with = and <>")
		}
	case OpIn:
		for _, it := range e.Args[1].Args {
			t, err := q.typeOf(it)
			if err != nil {
				return "", err
			}
			if err := checkComparable(e, it, args[0], t); err != nil {
				return "", err
			}
		}
	case OpLike:
		if args[0] != TypeString || args[1] != TypeString {
			return "", errAt(e, "LIKE compares strings, not %s with %s", args[0], args[1])
		}
	case OpIsNull:
	case OpIntersects, OpDisjoint, OpWithin, OpContains:
		for i, t := range args {
			if t != TypeGeometry {
				return "", errAt(e.Args[i], "%s takes geometries, not a %s", strings.ToUpper(string(e.Op)), t)
			}
		}
	}
	return typeCondition, nil
}

func checkComparable(e, arg *Expr, a, b Type) error {
	switch {
	case a == typeNull || b == typeNull:
		return errAt(arg, "NULL compares with nothing: use IS NULL")
	case a == TypeGeometry || b == TypeGeometry:
		return errAt(arg, "geometries compare with the S_ functions, not %s", e.Op)
	case !comparableTypes(a, b):
		return errAt(arg, "cannot compare a %s with a %s", a, b)
	}
	return nil
}
