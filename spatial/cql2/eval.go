package cql2

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// Feature is what a filter is evaluated on. Property answers a
// queryable's value: a string, a number (any Go integer or float type), a
// bool, a time.Time or Time, an orb.Geometry, or nil when the feature has
// none (NULL).
type Feature interface {
	Property(name string) any
}

// Filter is a parsed filter ready to evaluate: literal geometries are
// prepared once. A Filter is safe for concurrent use.
type Filter struct {
	root   *Expr
	shapes map[*Expr]*shape
}

// Compile checks e against the queryables (nil: any property name, no
// type check) and prepares it for evaluation.
func Compile(e *Expr, q Queryables) (*Filter, error) {
	if q != nil {
		if _, err := q.typeOf(e); err != nil {
			return nil, err
		}
	}
	f := &Filter{root: e, shapes: map[*Expr]*shape{}}
	e.walk(func(n *Expr) {
		if g, ok := n.Value.(orb.Geometry); ok && n.Op == OpLiteral {
			f.shapes[n] = newShape(g)
		}
	})
	return f, nil
}

// Expr is the filter's expression tree.
func (f *Filter) Expr() *Expr { return f.root }

// Match reports whether the filter is TRUE for the feature; FALSE and
// UNKNOWN (a comparison with NULL) both exclude it, as in SQL.
func (f *Filter) Match(ft Feature) bool { return f.eval(f.root, ft) == triTrue }

// tri is a truth value of SQL's three-valued logic.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

func (f *Filter) eval(e *Expr, ft Feature) tri {
	switch e.Op {
	case OpAnd:
		out := triTrue
		for _, a := range e.Args {
			switch f.eval(a, ft) {
			case triFalse:
				return triFalse
			case triUnknown:
				out = triUnknown
			}
		}
		return out
	case OpOr:
		out := triFalse
		for _, a := range e.Args {
			switch f.eval(a, ft) {
			case triTrue:
				return triTrue
			case triUnknown:
				out = triUnknown
			}
		}
		return out
	case OpNot:
		switch v := f.eval(e.Args[0], ft); v {
		case triTrue:
			return triFalse
		case triFalse:
			return triTrue
		default:
			return v
		}
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
		return compareOp(e.Op, f.value(e.Args[0], ft), f.value(e.Args[1], ft))
	case OpBetween:
		v := f.value(e.Args[0], ft)
		lo := compareOp(OpGe, v, f.value(e.Args[1], ft))
		hi := compareOp(OpLe, v, f.value(e.Args[2], ft))
		return f.and2(lo, hi)
	case OpIn:
		v := f.value(e.Args[0], ft)
		out := triFalse
		for _, it := range e.Args[1].Args {
			switch compareOp(OpEq, v, f.value(it, ft)) {
			case triTrue:
				return triTrue
			case triUnknown:
				out = triUnknown
			}
		}
		return out
	case OpIsNull:
		return triOf(f.value(e.Args[0], ft) == nil)
	case OpLike:
		s, ok1 := f.value(e.Args[0], ft).(string)
		pat, ok2 := f.value(e.Args[1], ft).(string)
		if !ok1 || !ok2 {
			return triUnknown
		}
		return triOf(like(s, pat))
	case OpIntersects, OpDisjoint, OpWithin, OpContains:
		a, b := f.shape(e.Args[0], ft), f.shape(e.Args[1], ft)
		if a == nil || b == nil {
			return triUnknown
		}
		switch e.Op {
		case OpIntersects:
			return triOf(intersects(a, b))
		case OpDisjoint:
			return triOf(!intersects(a, b))
		case OpWithin:
			return triOf(within(a, b))
		default:
			return triOf(within(b, a))
		}
	case OpLiteral, OpProperty:
		if b, ok := f.value(e, ft).(bool); ok {
			return triOf(b)
		}
	}
	return triUnknown
}

func (f *Filter) and2(a, b tri) tri {
	switch {
	case a == triFalse || b == triFalse:
		return triFalse
	case a == triUnknown || b == triUnknown:
		return triUnknown
	}
	return triTrue
}

// value is a scalar node's value, normalised: numbers to float64, times
// to Time.
func (f *Filter) value(e *Expr, ft Feature) any {
	switch e.Op {
	case OpLiteral:
		return e.Value
	case OpProperty:
		return normalize(ft.Property(e.Name))
	case OpCaseI:
		if s, ok := f.value(e.Args[0], ft).(string); ok {
			return strings.ToLower(s)
		}
		return nil
	}
	return nil
}

func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case uint32:
		return float64(x)
	case float32:
		return float64(x)
	case time.Time:
		if x.IsZero() {
			return nil
		}
		return Time{T: x}
	}
	return v
}

// shape is a geometry node's prepared shape; nil when it has none.
func (f *Filter) shape(e *Expr, ft Feature) *shape {
	if s, ok := f.shapes[e]; ok {
		return s
	}
	if e.Op != OpProperty {
		return nil
	}
	g, ok := ft.Property(e.Name).(orb.Geometry)
	if !ok || g == nil {
		return nil
	}
	return newShape(g)
}

// compareOp compares two values; UNKNOWN when either is NULL or they are
// of different types.
func compareOp(op Op, a, b any) tri {
	c, ok := compare(a, b)
	if !ok {
		if op == OpEq || op == OpNe {
			if x, isBool := a.(bool); isBool {
				if y, isBool := b.(bool); isBool {
					return triOf((x == y) == (op == OpEq))
				}
			}
		}
		return triUnknown
	}
	switch op {
	case OpEq:
		return triOf(c == 0)
	case OpNe:
		return triOf(c != 0)
	case OpLt:
		return triOf(c < 0)
	case OpLe:
		return triOf(c <= 0)
	case OpGt:
		return triOf(c > 0)
	}
	return triOf(c >= 0)
}

func compare(a, b any) (int, bool) {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	case float64:
		if y, ok := b.(float64); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			case x == y:
				return 0, true
			}
		}
	case Time:
		if y, ok := b.(Time); ok {
			return x.T.Compare(y.T), true
		}
	}
	return 0, false
}

// like matches s against a CQL2 pattern: % any run of characters, _ one
// character, \ escapes the next character.
func like(s, pat string) bool {
	// Iterative matching with one back-tracking point, the last %.
	si, pi := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(pat) {
			pc, pn := utf8.DecodeRuneInString(pat[pi:])
			switch {
			case pc == '%':
				starP, starS = pi, si
				pi += pn
				continue
			case pc == '_':
				_, sn := utf8.DecodeRuneInString(s[si:])
				si += sn
				pi += pn
				continue
			case pc == '\\' && pi+pn < len(pat):
				pc2, pn2 := utf8.DecodeRuneInString(pat[pi+pn:])
				sc, sn := utf8.DecodeRuneInString(s[si:])
				if sc == pc2 {
					si += sn
					pi += pn + pn2
					continue
				}
			default:
				sc, sn := utf8.DecodeRuneInString(s[si:])
				if sc == pc {
					si += sn
					pi += pn
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, sn := utf8.DecodeRuneInString(s[starS:])
		starS += sn
		si = starS
		pi = starP + 1
	}
	for pi < len(pat) && pat[pi] == '%' {
		pi++
	}
	return pi == len(pat)
}
