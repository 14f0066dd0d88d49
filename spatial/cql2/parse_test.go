package cql2

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// mapFeature is a feature given as a map.
type mapFeature map[string]any

func (m mapFeature) Property(name string) any { return m[name] }

var lamp = mapFeature{
	"name": "路灯 12", "status": "damaged", "version": int64(3), "height": 7.5, "lit": true,
	"owner": nil, "survey": Time{T: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Date: true},
	"changed":  time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC),
	"geometry": orb.Point{116.5, 39.9},
	"grid":     orb.MultiPolygon{{{{116, 39}, {117, 39}, {117, 40}, {116, 40}, {116, 39}}, {{116.4, 39.8}, {116.4, 39.85}, {116.45, 39.85}, {116.45, 39.8}, {116.4, 39.8}}}},
}

// Each text filter is given with its CQL2-JSON twin and its truth on lamp.
var cases = []struct {
	name, text, json string
	want             bool
}{
	{"equal strings", `status = 'damaged'`, `{"op":"=","args":[{"property":"status"},"damaged"]}`, true},
	{"not equal", `status <> 'damaged'`, `{"op":"<>","args":[{"property":"status"},"damaged"]}`, false},
	{"integer against a float literal", `version >= 3.0`, `{"op":">=","args":[{"property":"version"},3]}`, true},
	{"less than", `height < 7.5`, `{"op":"<","args":[{"property":"height"},7.5]}`, false},
	{"negative numbers", `height > -1e2`, `{"op":">","args":[{"property":"height"},-100]}`, true},
	{"AND binds tighter than OR", `status = 'x' AND version = 1 OR height = 7.5`,
		`{"op":"or","args":[{"op":"and","args":[{"op":"=","args":[{"property":"status"},"x"]},{"op":"=","args":[{"property":"version"},1]}]},{"op":"=","args":[{"property":"height"},7.5]}]}`, true},
	{"parentheses", `status = 'x' AND (version = 1 OR height = 7.5)`,
		`{"op":"and","args":[{"op":"=","args":[{"property":"status"},"x"]},{"op":"or","args":[{"op":"=","args":[{"property":"version"},1]},{"op":"=","args":[{"property":"height"},7.5]}]}]}`, false},
	{"NOT", `NOT status = 'x'`, `{"op":"not","args":[{"op":"=","args":[{"property":"status"},"x"]}]}`, true},
	{"comparison with NULL is unknown, and so is its negation", `NOT owner = 'x'`, `{"op":"not","args":[{"op":"=","args":[{"property":"owner"},"x"]}]}`, false},
	{"unknown OR true is true", `owner = 'x' OR lit = TRUE`, `{"op":"or","args":[{"op":"=","args":[{"property":"owner"},"x"]},{"op":"=","args":[{"property":"lit"},true]}]}`, true},
	{"IS NULL", `owner IS NULL`, `{"op":"isNull","args":[{"property":"owner"}]}`, true},
	{"IS NOT NULL", `name IS NOT NULL`, `{"op":"not","args":[{"op":"isNull","args":[{"property":"name"}]}]}`, true},
	{"LIKE with %", `name LIKE '路灯%'`, `{"op":"like","args":[{"property":"name"},"路灯%"]}`, true},
	{"LIKE with _ counts characters, not bytes", `name LIKE '__ 1_'`, `{"op":"like","args":[{"property":"name"},"__ 1_"]}`, true},
	{"NOT LIKE", `name NOT LIKE '%12'`, `{"op":"not","args":[{"op":"like","args":[{"property":"name"},"%12"]}]}`, false},
	{"BETWEEN is inclusive", `version BETWEEN 1 AND 3`, `{"op":"between","args":[{"property":"version"},1,3]}`, true},
	{"NOT BETWEEN", `height NOT BETWEEN 7 AND 8`, `{"op":"not","args":[{"op":"between","args":[{"property":"height"},7,8]}]}`, false},
	{"IN", `status IN ('intact', 'damaged')`, `{"op":"in","args":[{"property":"status"},["intact","damaged"]]}`, true},
	{"NOT IN", `version NOT IN (1, 2)`, `{"op":"not","args":[{"op":"in","args":[{"property":"version"},[1,2]]}]}`, true},
	{"CASEI", `CASEI(status) = casei('DAMAGED')`, `{"op":"=","args":[{"op":"casei","args":[{"property":"status"}]},{"op":"casei","args":[ "DAMAGED"]}]}`, true},
	{"quoted property and keyword case", `"status" = 'damaged' and not lit = false`, `{"op":"and","args":[{"op":"=","args":[{"property":"status"},"damaged"]},{"op":"not","args":[{"op":"=","args":[{"property":"lit"},false]}]}]}`, true},
	{"doubled quote in a string", `name <> 'it''s'`, `{"op":"<>","args":[{"property":"name"},"it's"]}`, true},
	{"DATE", `survey < DATE('2025-03-02')`, `{"op":"<","args":[{"property":"survey"},{"date":"2025-03-02"}]}`, true},
	{"TIMESTAMP against a time.Time", `changed = TIMESTAMP('2026-01-02T16:00:00+08:00')`, `{"op":"=","args":[{"property":"changed"},{"timestamp":"2026-01-02T08:00:00Z"}]}`, true},
	{"property against property", `height > version`, `{"op":">","args":[{"property":"height"},{"property":"version"}]}`, true},
	{"TRUE alone", `TRUE`, `true`, true},
	{"point intersects a box", `S_INTERSECTS(geometry, BBOX(116, 39, 117, 40))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[116,39,117,40]}]}`, true},
	{"point on a box's edge intersects it", `S_INTERSECTS(geometry, BBOX(116.5, 39, 117, 40))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[116.5,39,117,40]}]}`, true},
	{"point on a box's edge is not within it", `S_WITHIN(geometry, BBOX(116.5, 39, 117, 40))`, `{"op":"s_within","args":[{"property":"geometry"},{"bbox":[116.5,39,117,40]}]}`, false},
	{"point within a polygon", `S_WITHIN(geometry, POLYGON((116 39, 117 39, 117 40, 116 40, 116 39)))`,
		`{"op":"s_within","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[116,39],[117,39],[117,40],[116,40],[116,39]]]}]}`, true},
	{"point in a hole is not in the polygon", `S_INTERSECTS(grid, POINT(116.42 39.82))`, `{"op":"s_intersects","args":[{"property":"grid"},{"type":"Point","coordinates":[116.42,39.82]}]}`, false},
	{"hole's edge belongs to the polygon", `S_INTERSECTS(grid, POINT(116.4 39.82))`, `{"op":"s_intersects","args":[{"property":"grid"},{"type":"Point","coordinates":[116.4,39.82]}]}`, true},
	{"polygon contains a point", `S_CONTAINS(grid, POINT(116.5 39.9))`, `{"op":"s_contains","args":[{"property":"grid"},{"type":"Point","coordinates":[116.5,39.9]}]}`, true},
	{"polygon with a hole does not contain a line over the hole", `S_CONTAINS(grid, LINESTRING(116.3 39.82, 116.5 39.82))`,
		`{"op":"s_contains","args":[{"property":"grid"},{"type":"LineString","coordinates":[[116.3,39.82],[116.5,39.82]]}]}`, false},
	{"line crossing the polygon's boundary intersects", `S_INTERSECTS(grid, LINESTRING(115 39.5, 116.2 39.5))`,
		`{"op":"s_intersects","args":[{"property":"grid"},{"type":"LineString","coordinates":[[115,39.5],[116.2,39.5]]}]}`, true},
	{"disjoint", `S_DISJOINT(geometry, MULTIPOINT((1 2), 3 4))`, `{"op":"s_disjoint","args":[{"property":"geometry"},{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}]}`, true},
	{"Z coordinates dropped", `S_INTERSECTS(geometry, POINT Z (116.5 39.9 10))`,
		`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[116.5,39.9,10]}]}`, true},
	{"collection", `S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(0 0), POINT Z(116.5 39.9 10)))`,
		`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[0,0]},{"type":"Point","coordinates":[116.5,39.9,10]}]}]}`, true},
	{"polygon containing another polygon's hole is not within it", `S_WITHIN(POLYGON((116.3 39.7, 116.6 39.7, 116.6 39.95, 116.3 39.95, 116.3 39.7)), grid)`,
		`{"op":"s_within","args":[{"type":"Polygon","coordinates":[[[116.3,39.7],[116.6,39.7],[116.6,39.95],[116.3,39.95],[116.3,39.7]]]},{"property":"grid"}]}`, false},
	{"polygon beside the hole is within", `S_WITHIN(POLYGON((116.5 39.7, 116.6 39.7, 116.6 39.95, 116.5 39.95, 116.5 39.7)), grid)`,
		`{"op":"s_within","args":[{"type":"Polygon","coordinates":[[[116.5,39.7],[116.6,39.7],[116.6,39.95],[116.5,39.95],[116.5,39.7]]]},{"property":"grid"}]}`, true},
}

func TestTextAndJSONParseToTheSameTreeAndAnswer(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			te, err := ParseText(c.text)
			if err != nil {
				t.Fatalf("text: %v", err)
			}
			je, err := ParseJSON([]byte(c.json))
			if err != nil {
				t.Fatalf("json: %v", err)
			}
			if a, b := dump(te), dump(je); a != b {
				t.Fatalf("trees differ:\ntext %s\njson %s", a, b)
			}
			for name, e := range map[string]*Expr{"text": te, "json": je} {
				f, err := Compile(e, nil)
				if err != nil {
					t.Fatal(err)
				}
				if got := f.Match(lamp); got != c.want {
					t.Errorf("%s: Match = %v, want %v", name, got, c.want)
				}
			}
		})
	}
}

// dump prints a tree without positions.
func dump(e *Expr) string {
	var walk func(e *Expr) any
	walk = func(e *Expr) any {
		switch e.Op {
		case OpProperty:
			return map[string]any{"property": e.Name}
		case OpLiteral:
			if g, ok := e.Value.(orb.Geometry); ok {
				return g.GeoJSONType() + ":" + string(mustJSON(g))
			}
			if tm, ok := e.Value.(Time); ok {
				return tm.T.UTC().Format(time.RFC3339) + map[bool]string{true: "D"}[tm.Date]
			}
			return e.Value
		}
		var args []any
		for _, a := range e.Args {
			args = append(args, walk(a))
		}
		return map[string]any{"op": e.Op, "args": args}
	}
	return string(mustJSON(walk(e)))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestErrorsSayWhereAndWhy(t *testing.T) {
	for _, c := range []struct {
		name, text string
		pos        int
	}{
		{"missing operand", `status = `, 9},
		{"unterminated string", `name = 'abc`, 7},
		{"unknown function", `status = upper('x')`, 9},
		{"unsupported spatial function", `S_TOUCHES(geometry, POINT(1 2))`, 0},
		{"open polygon ring", `S_WITHIN(geometry, POLYGON((1 1, 2 1, 2 2, 1 2)))`, 19},
		{"trailing garbage", `status = 'x' status`, 13},
		{"a value is not a filter", `'x'`, 3},
		{"AND of values", `status AND 1`, 7},
		{"bad BBOX", `S_INTERSECTS(geometry, BBOX(2, 0, 1, 1))`, 27},
		{"bad date", `survey = DATE('2025-13-01')`, 14},
		{"NOT without a predicate", `status NOT = 'x'`, 11},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseText(c.text)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("ParseText(%q) = %v, want *Error", c.text, err)
			}
			if e.Pos != c.pos || e.Msg == "" {
				t.Errorf("error at %d (%s), want at %d", e.Pos, e.Msg, c.pos)
			}
		})
	}
	for _, c := range []struct{ name, json, path string }{
		{"unknown op", `{"op":"foo","args":[]}`, "/op"},
		{"wrong arity", `{"op":"between","args":[{"property":"x"},1]}`, "/args"},
		{"AND of a value", `{"op":"and","args":[{"op":"=","args":[{"property":"x"},1]},"x"]}`, "/args/1"},
		{"bad geometry", `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}]}`, "/args/1"},
		{"empty IN list", `{"op":"in","args":[{"property":"x"},[]]}`, "/args/1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseJSON([]byte(c.json))
			var e *Error
			if !errors.As(err, &e) || e.Path != c.path {
				t.Fatalf("ParseJSON(%s) = %v, want an error at %s", c.json, err, c.path)
			}
		})
	}
}

func TestCompileChecksQueryablesAndTypes(t *testing.T) {
	q := Queryables{"status": TypeString, "version": TypeInteger, "geometry": TypeGeometry, "survey": TypeDate}
	for _, c := range []struct {
		text string
		ok   bool
	}{
		{`status = 'x' AND version > 2`, true},
		{`statuss = 'x'`, false},
		{`status = 2`, false},
		{`version = 'x'`, false},
		{`status LIKE 3`, false},
		{`status = NULL`, false},
		{`geometry = 'x'`, false},
		{`S_INTERSECTS(status, POINT(1 2))`, false},
		{`S_INTERSECTS(geometry, POINT(1 2))`, true},
		{`survey > DATE('2020-01-01')`, true},
		{`survey > TIMESTAMP('2020-01-01T00:00:00Z')`, false},
		{`version IN (1, 'a')`, false},
		{`CASEI(version) = 'a'`, false},
	} {
		e, err := ParseText(c.text)
		if err != nil {
			t.Fatalf("%s: %v", c.text, err)
		}
		_, err = Compile(e, q)
		if (err == nil) != c.ok {
			t.Errorf("Compile(%s) = %v, want ok=%v", c.text, err, c.ok)
		}
	}
}

func TestLike(t *testing.T) {
	for _, c := range []struct {
		s, pat string
		want   bool
	}{
		{"", "", true}, {"", "%", true}, {"a", "", false}, {"abc", "a%c", true}, {"abc", "a%b", false},
		{"abcbc", "%bc", true}, {"ab", "a_", true}, {"ab", "a__", false}, {"a%b", `a\%b`, true}, {"axb", `a\%b`, false},
		{"a_b", `a\_b`, true}, {`a\`, `a\`, true}, {"aaa", "%a%a%a%", true}, {"aa", "%a%a%a%", false}, {"井盖", "_盖", true},
	} {
		if got := like(c.s, c.pat); got != c.want {
			t.Errorf("like(%q, %q) = %v, want %v", c.s, c.pat, got, c.want)
		}
	}
}

func TestPlanBoundsTheMatches(t *testing.T) {
	box := func(a, b, c, d float64) orb.Bound { return orb.Bound{Min: orb.Point{a, b}, Max: orb.Point{c, d}} }
	for _, c := range []struct {
		text string
		want Plan
	}{
		{`status = 'x'`, Plan{}},
		{`S_INTERSECTS(geometry, BBOX(1, 2, 3, 4))`, Plan{Bounded: true, Bound: box(1, 2, 3, 4)}},
		{`S_WITHIN(geometry, POLYGON((0 0, 4 0, 4 5, 0 0)))`, Plan{Bounded: true, Bound: box(0, 0, 4, 5)}},
		{`S_CONTAINS(POINT(1 1), geometry)`, Plan{Bounded: true, Bound: box(1, 1, 1, 1)}},
		{`S_INTERSECTS(other, BBOX(1, 2, 3, 4))`, Plan{}},
		{`S_DISJOINT(geometry, BBOX(1, 2, 3, 4))`, Plan{}},
		{`NOT S_INTERSECTS(geometry, BBOX(1, 2, 3, 4))`, Plan{}},
		{`S_INTERSECTS(geometry, BBOX(0, 0, 2, 2)) AND status = 'x' AND S_INTERSECTS(geometry, BBOX(1, 1, 3, 3))`, Plan{Bounded: true, Bound: box(1, 1, 2, 2)}},
		{`S_INTERSECTS(geometry, BBOX(0, 0, 1, 1)) AND S_INTERSECTS(geometry, BBOX(2, 2, 3, 3))`, Plan{Empty: true}},
		{`S_INTERSECTS(geometry, BBOX(0, 0, 1, 1)) OR S_INTERSECTS(geometry, BBOX(2, 2, 3, 3))`, Plan{Bounded: true, Bound: box(0, 0, 3, 3)}},
		{`S_INTERSECTS(geometry, BBOX(0, 0, 1, 1)) OR status = 'x'`, Plan{}},
		{`S_INTERSECTS(geometry, BBOX(0, 0, 1, 1)) OR FALSE`, Plan{Bounded: true, Bound: box(0, 0, 1, 1)}},
		{`FALSE AND status = 'x'`, Plan{Empty: true}},
	} {
		e, err := ParseText(c.text)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := Compile(e, nil)
		if got := f.Plan("geometry"); got != c.want {
			t.Errorf("Plan(%s) = %+v, want %+v", c.text, got, c.want)
		}
	}
}
