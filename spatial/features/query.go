package features

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"citygrid/spatial/cql2"

	"github.com/paulmach/orb"
)

// BBox is the condition of Part 1's bbox parameter: the feature's
// geometry meets the box (b in stored lon/lat).
func (c *Collection) BBox(b orb.Bound) *cql2.Expr {
	return &cql2.Expr{Op: cql2.OpIntersects, Pos: -1, Args: []*cql2.Expr{
		{Op: cql2.OpProperty, Name: GeometryProperty, Pos: -1},
		{Op: cql2.OpLiteral, Value: b, Pos: -1},
	}}
}

// PropertyFilter is the condition of a Part 1 property filter
// (?status=damaged): the property equals the value, read as the
// queryable's type. The name must be a queryable other than geometry.
func (c *Collection) PropertyFilter(name, value string) (*cql2.Expr, error) {
	t, ok := c.Queryables[name]
	if !ok || t == cql2.TypeGeometry {
		return nil, &cql2.Error{Pos: -1, Msg: fmt.Sprintf("%q is not a queryable property of %s", name, c.ID)}
	}
	var v any = value
	switch t {
	case cql2.TypeNumber, cql2.TypeInteger:
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, &cql2.Error{Pos: -1, Msg: fmt.Sprintf("%s is a number, not %q", name, value)}
		}
		v = f
	case cql2.TypeBoolean:
		b, err := strconv.ParseBool(value)
		if err != nil {
			return nil, &cql2.Error{Pos: -1, Msg: fmt.Sprintf("%s is true or false, not %q", name, value)}
		}
		v = b
	case cql2.TypeDate, cql2.TypeTimestamp:
		tm, err := parseInstant(value)
		if err != nil {
			return nil, &cql2.Error{Pos: -1, Msg: fmt.Sprintf("%s: %v", name, err)}
		}
		v = cql2.Time{T: tm, Date: t == cql2.TypeDate}
	}
	return binary(cql2.OpEq, name, v), nil
}

func binary(op cql2.Op, name string, v any) *cql2.Expr {
	return &cql2.Expr{Op: op, Pos: -1, Args: []*cql2.Expr{
		{Op: cql2.OpProperty, Name: name, Pos: -1},
		{Op: cql2.OpLiteral, Value: v, Pos: -1},
	}}
}

// parseInstant reads an RFC 3339 timestamp or a date (its midnight UTC).
func parseInstant(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 timestamp nor a date", s)
}

// Datetime is the condition of Part 1's datetime parameter on the
// collection's temporal property: an instant, or an interval "a/b" with
// ".." (or nothing) for an open end; a date alone means its whole day.
// It returns nil, nil for a collection without a temporal property, whose
// features the parameter cannot select.
func (c *Collection) Datetime(s string) (*cql2.Expr, error) {
	if c.Temporal == "" {
		return nil, nil
	}
	bad := func(err error) error { return &cql2.Error{Pos: -1, Msg: "datetime: " + err.Error()} }
	lo, hi, interval := strings.Cut(s, "/")
	if !interval {
		t, err := parseInstant(s)
		if err != nil {
			return nil, bad(err)
		}
		if len(s) == len(time.DateOnly) {
			return c.between(&t, ptr(t.Add(24*time.Hour-time.Nanosecond))), nil
		}
		return binary(cql2.OpEq, c.Temporal, cql2.Time{T: t}), nil
	}
	end := func(s string, upper bool) (*time.Time, error) {
		if s == "" || s == ".." {
			return nil, nil
		}
		t, err := parseInstant(s)
		if err != nil {
			return nil, bad(err)
		}
		if upper && len(s) == len(time.DateOnly) {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
		return &t, nil
	}
	from, err := end(lo, false)
	if err != nil {
		return nil, err
	}
	to, err := end(hi, true)
	if err != nil {
		return nil, err
	}
	if from == nil && to == nil {
		return nil, bad(fmt.Errorf("%q is open at both ends", s))
	}
	if from != nil && to != nil && from.After(*to) {
		return nil, bad(fmt.Errorf("%q ends before it starts", s))
	}
	return c.between(from, to), nil
}

func ptr[T any](v T) *T { return &v }

func (c *Collection) between(from, to *time.Time) *cql2.Expr {
	var parts []*cql2.Expr
	if from != nil {
		parts = append(parts, binary(cql2.OpGe, c.Temporal, cql2.Time{T: *from}))
	}
	if to != nil {
		parts = append(parts, binary(cql2.OpLe, c.Temporal, cql2.Time{T: *to}))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return &cql2.Expr{Op: cql2.OpAnd, Pos: -1, Args: parts}
}

// Filter joins the conditions (nil ones skipped) with AND and compiles
// them against the collection's queryables; nil when there are none.
func (c *Collection) Filter(conds ...*cql2.Expr) (*cql2.Filter, error) {
	var args []*cql2.Expr
	for _, e := range conds {
		if e != nil {
			args = append(args, e)
		}
	}
	switch len(args) {
	case 0:
		return nil, nil
	case 1:
		return cql2.Compile(args[0], c.Queryables)
	}
	return cql2.Compile(&cql2.Expr{Op: cql2.OpAnd, Pos: -1, Args: args}, c.Queryables)
}
