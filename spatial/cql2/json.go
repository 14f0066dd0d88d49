package cql2

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// jsonOps maps CQL2-JSON operator names, lower-cased, to operators, with
// the number of arguments each takes (-1: two or more).
var jsonOps = map[string]struct {
	op    Op
	arity int
}{
	"and": {OpAnd, -1}, "or": {OpOr, -1}, "not": {OpNot, 1},
	"=": {OpEq, 2}, "<>": {OpNe, 2}, "<": {OpLt, 2}, "<=": {OpLe, 2}, ">": {OpGt, 2}, ">=": {OpGe, 2},
	"like": {OpLike, 2}, "between": {OpBetween, 3}, "in": {OpIn, 2}, "isnull": {OpIsNull, 1},
	"casei":        {OpCaseI, 1},
	"s_intersects": {OpIntersects, 2}, "s_disjoint": {OpDisjoint, 2}, "s_within": {OpWithin, 2}, "s_contains": {OpContains, 2},
}

// ParseJSON parses a CQL2-JSON filter.
func ParseJSON(b []byte) (*Expr, error) {
	if len(b) > maxFilterBytes {
		return nil, &Error{Pos: -1, Msg: "filter longer than " + strconv.Itoa(maxFilterBytes) + " bytes"}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Pos: -1, Msg: "not JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, &Error{Pos: -1, Msg: "not JSON: data after the filter"}
	}
	p := jsonParser{}
	e, err := p.node(v, "", 0)
	if err != nil {
		return nil, err
	}
	if !e.isBoolean() {
		return nil, errAt(e, "the filter is not a condition (a comparison, predicate or true/false)")
	}
	return e, nil
}

type jsonParser struct {
	coords int
}

func jerr(path, format string, args ...any) *Error {
	if path == "" {
		path = "/"
	}
	return &Error{Pos: -1, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// node turns one decoded JSON value into a node.
func (p *jsonParser) node(v any, path string, depth int) (*Expr, error) {
	if depth > maxDepth {
		return nil, jerr(path, "filter nested deeper than %d", maxDepth)
	}
	lit := func(x any) (*Expr, error) { return &Expr{Op: OpLiteral, Value: x, Pos: -1, Path: path}, nil }
	switch x := v.(type) {
	case nil:
		return lit(nil)
	case bool:
		return lit(x)
	case string:
		return lit(x)
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, jerr(path, "bad number %s", x)
		}
		return lit(f)
	case []any:
		return nil, jerr(path, "an array stands only as the list of \"in\"")
	case map[string]any:
		return p.object(x, path, depth)
	}
	return nil, jerr(path, "unexpected JSON value")
}

func (p *jsonParser) object(m map[string]any, path string, depth int) (*Expr, error) {
	if op, ok := m["op"]; ok {
		return p.operation(op, m, path, depth)
	}
	one := func(key string) (string, error) {
		s, ok := m[key].(string)
		if !ok || len(m) != 1 {
			return "", jerr(path, "%q takes a string and stands alone in its object", key)
		}
		return s, nil
	}
	switch {
	case m["property"] != nil:
		name, err := one("property")
		if err != nil {
			return nil, err
		}
		return &Expr{Op: OpProperty, Name: name, Pos: -1, Path: path}, nil
	case m["date"] != nil || m["timestamp"] != nil:
		key := "date"
		if m["timestamp"] != nil {
			key = "timestamp"
		}
		s, err := one(key)
		if err != nil {
			return nil, err
		}
		t, err := parseTime(s, key == "date")
		if err != nil {
			return nil, jerr(path, "%v", err)
		}
		return &Expr{Op: OpLiteral, Value: t, Pos: -1, Path: path}, nil
	case m["bbox"] != nil:
		arr, ok := m["bbox"].([]any)
		var v []float64
		for _, a := range arr {
			n, isNum := a.(json.Number)
			f, err := strconv.ParseFloat(string(n), 64)
			if !isNum || err != nil {
				ok = false
				break
			}
			v = append(v, f)
		}
		if !ok {
			return nil, jerr(path+"/bbox", "bbox takes an array of numbers")
		}
		b, err := boundOf(v)
		if err != nil {
			return nil, jerr(path+"/bbox", "%v", err)
		}
		return &Expr{Op: OpLiteral, Value: b, Pos: -1, Path: path}, nil
	case m["type"] != nil:
		g, err := p.geometry(m, path)
		if err != nil {
			return nil, err
		}
		return &Expr{Op: OpLiteral, Value: g, Pos: -1, Path: path}, nil
	case m["interval"] != nil:
		return nil, jerr(path, "intervals are not supported")
	}
	return nil, jerr(path, "object is none of op, property, date, timestamp, bbox or a GeoJSON geometry")
}

func (p *jsonParser) operation(opv any, m map[string]any, path string, depth int) (*Expr, error) {
	name, _ := opv.(string)
	spec, ok := jsonOps[strings.ToLower(name)]
	if !ok {
		return nil, jerr(path+"/op", "operator %q is not supported", name)
	}
	for k := range m {
		if k != "op" && k != "args" {
			return nil, jerr(path, "unexpected member %q beside op and args", k)
		}
	}
	args, ok := m["args"].([]any)
	if !ok {
		return nil, jerr(path+"/args", "%s needs an args array", name)
	}
	if spec.arity >= 0 && len(args) != spec.arity || spec.arity < 0 && len(args) < 2 {
		want := strconv.Itoa(spec.arity)
		if spec.arity < 0 {
			want = "2 or more"
		}
		return nil, jerr(path+"/args", "%s takes %s arguments, not %d", name, want, len(args))
	}
	e := &Expr{Op: spec.op, Pos: -1, Path: path}
	for i, a := range args {
		ap := path + "/args/" + strconv.Itoa(i)
		if spec.op == OpIn && i == 1 {
			list, err := p.list(a, ap, depth)
			if err != nil {
				return nil, err
			}
			e.Args = append(e.Args, list)
			continue
		}
		n, err := p.node(a, ap, depth+1)
		if err != nil {
			return nil, err
		}
		if (spec.op == OpAnd || spec.op == OpOr || spec.op == OpNot) && !n.isBoolean() {
			return nil, jerr(ap, "%s joins conditions, not values", name)
		}
		e.Args = append(e.Args, n)
	}
	return e, nil
}

func (p *jsonParser) list(v any, path string, depth int) (*Expr, error) {
	items, ok := v.([]any)
	if !ok || len(items) == 0 {
		return nil, jerr(path, "in takes a non-empty array of values")
	}
	list := &Expr{Op: OpList, Pos: -1, Path: path}
	for i, it := range items {
		n, err := p.node(it, path+"/"+strconv.Itoa(i), depth+1)
		if err != nil {
			return nil, err
		}
		list.Args = append(list.Args, n)
	}
	return list, nil
}

// geometry reads a GeoJSON geometry object.
func (p *jsonParser) geometry(m map[string]any, path string) (orb.Geometry, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, jerr(path, "bad GeoJSON geometry: %v", err)
	}
	g, err := geojson.UnmarshalGeometry(b)
	if err != nil || g.Coordinates == nil && len(g.Geometries) == 0 {
		msg := "not a GeoJSON geometry"
		if err != nil {
			msg += ": " + err.Error()
		}
		return nil, jerr(path, "%s", msg)
	}
	out := g.Geometry()
	if msg := p.checkGeometry(out); msg != "" {
		return nil, jerr(path, "%s", msg)
	}
	return out, nil
}

// checkGeometry says what is wrong with a GeoJSON literal, or "".
func (p *jsonParser) checkGeometry(g orb.Geometry) string {
	switch g := g.(type) {
	case orb.Point:
		p.coords++
	case orb.MultiPoint:
		p.coords += len(g)
	case orb.LineString:
		p.coords += len(g)
		if len(g) < 2 {
			return "a LineString needs at least 2 positions"
		}
	case orb.MultiLineString:
		for _, l := range g {
			if msg := p.checkGeometry(l); msg != "" {
				return msg
			}
		}
	case orb.Polygon:
		for _, r := range g {
			p.coords += len(r)
		}
		if msg := polygonProblem(g); msg != "" {
			return msg
		}
	case orb.MultiPolygon:
		for _, poly := range g {
			if msg := p.checkGeometry(poly); msg != "" {
				return msg
			}
		}
	case orb.Collection:
		for _, m := range g {
			if msg := p.checkGeometry(m); msg != "" {
				return msg
			}
		}
	}
	if p.coords > maxCoords {
		return "geometry literals hold more than " + strconv.Itoa(maxCoords) + " vertices"
	}
	return ""
}
