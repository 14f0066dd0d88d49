package features_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/spatial/cql2"
	"citygrid/spatial/features"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/planar"
)

// The property: for random filters over a demo city, the components
// collection's Items — candidates from the R-tree inside the filter's
// Plan, then the filter matched on each, paged by code — gives the same
// components as a brute-force evaluation written here independently of
// the packages (its own tree, truth tables and geometry tests), over every
// component. Filters are sent half as CQL2-Text, half as CQL2-JSON; some
// carry a bbox parameter too, and every tenth is read page by page.
func TestItemsEqualBruteForceOnRandomFilters(t *testing.T) {
	ds, ix := cityOf(t, 5, 0.02)
	coll, _ := features.Lookup("components")
	g := newGen(ds, 7)
	const runs = 1200
	bounded, nonEmpty, paged := 0, 0, 0
	for i := range runs {
		f := g.filter(0)
		if i%4 < 2 {
			// Half the filters are a spatial condition AND more, the
			// shape of a map client's query, which the plan bounds.
			f = &gnode{kind: "and", kids: []*gnode{g.spatialLeaf(), f}}
		}
		var e *cql2.Expr
		var err error
		src := f.text()
		if i%2 == 1 {
			src = string(mustMarshal(f.json()))
			e, err = cql2.ParseJSON([]byte(src))
		} else {
			e, err = cql2.ParseText(src)
		}
		if err != nil {
			t.Fatalf("filter %d %s: %v", i, src, err)
		}
		var bbox *gnode
		conds := []*cql2.Expr{e}
		if i%3 == 0 {
			bbox = g.spatialLeaf()
			for bbox.point != nil || bbox.kind != "sint" {
				bbox = g.spatialLeaf()
			}
			conds = append(conds, coll.BBox(bbox.rect))
		}
		flt, err := coll.Filter(conds...)
		if err != nil {
			t.Fatalf("filter %d %s: %v", i, src, err)
		}
		if flt.Plan(features.GeometryProperty).Bounded {
			bounded++
		}
		var want []string
		for k := range ds.Components {
			c := &ds.Components[k]
			if f.eval(c) == yes && (bbox == nil || bbox.spatial(c.Geometry)) {
				want = append(want, c.Code)
			}
		}
		slices.Sort(want)
		limit := features.MaxLimit
		if i%10 == 0 {
			limit = 1 + len(want)/3
			paged++
		}
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			page, err := coll.Items(ix, features.Query{Filter: flt, Limit: limit, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if page.Matched != len(want) || pages > 10 {
				t.Fatalf("filter %d %s: page %d says %d matched, brute force %d", i, src, pages, page.Matched, len(want))
			}
			for _, it := range page.Items {
				got = append(got, it.ID)
			}
			if page.Next == "" {
				break
			}
			after = page.Next
		}
		if !slices.Equal(got, want) {
			t.Fatalf("filter %d %s (bbox %v):\nItems %d components, brute force %d\nonly Items: %v\nonly brute: %v",
				i, src, bbox != nil, len(got), len(want), minus(got, want), minus(want, got))
		}
		if len(want) > 0 {
			nonEmpty++
		}
	}
	t.Logf("%d filters over %d components: %d bounded by the plan, %d with matches, %d read page by page", runs, len(ds.Components), bounded, nonEmpty, paged)
	if nonEmpty < runs/4 || bounded < runs/2 {
		t.Fatalf("the generator is too narrow: %d with matches, %d bounded", nonEmpty, bounded)
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			out = append(out, x)
		}
	}
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// truth is the test's own three-valued logic.
type truth int

const (
	no truth = iota
	yes
	unknown
)

// gnode is the test's own filter tree.
type gnode struct {
	kind  string // and, or, not, cmp, like, between, in, null, sint, swithin, scontains, const
	kids  []*gnode
	prop  string
	op    string
	vals  []any // literals: string, int, float64, dateLit, tsLit
	rect  orb.Bound
	point *orb.Point
	val   bool
}

type dateLit time.Time
type tsLit time.Time

type gen struct {
	r      *rand.Rand
	ds     *data.Dataset
	bound  orb.Bound
	cats   []string
	names  []string
	owners []string
	grids  []string
}

func newGen(ds *data.Dataset, seed uint64) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, 1)), ds: ds}
	seen := map[string]bool{}
	g.bound = ds.Components[0].Geometry.Bound()
	for i := range ds.Components {
		c := &ds.Components[i]
		g.bound = g.bound.Union(c.Geometry.Bound())
		if !seen["c"+c.Category] {
			seen["c"+c.Category] = true
			g.cats = append(g.cats, c.Category)
		}
		if i%50 == 0 {
			g.names = append(g.names, c.Name)
			g.grids = append(g.grids, c.UnitGrid)
			if c.Owner != "" {
				g.owners = append(g.owners, c.Owner)
			}
		}
	}
	return g
}

func (g *gen) pick(xs []string) string {
	if len(xs) == 0 {
		return "x"
	}
	return xs[g.r.IntN(len(xs))]
}

func (g *gen) filter(depth int) *gnode {
	if depth < 3 && g.r.IntN(3) == 0 {
		switch g.r.IntN(3) {
		case 0:
			return &gnode{kind: "not", kids: []*gnode{g.filter(depth + 1)}}
		default:
			n := &gnode{kind: []string{"and", "or"}[g.r.IntN(2)]}
			for range 2 + g.r.IntN(2) {
				n.kids = append(n.kids, g.filter(depth+1))
			}
			return n
		}
	}
	return g.leaf()
}

var statuses = []string{"intact", "damaged", "lost", "occupied", "disused", "removed"}

func (g *gen) leaf() *gnode {
	ops := []string{"=", "<>", "<", "<=", ">", ">="}
	switch g.r.IntN(12) {
	case 0:
		return &gnode{kind: "cmp", prop: "status", op: ops[g.r.IntN(2)], vals: []any{statuses[g.r.IntN(len(statuses))]}}
	case 1:
		return &gnode{kind: "cmp", prop: "version", op: ops[g.r.IntN(6)], vals: []any{g.r.IntN(4)}}
	case 2:
		return &gnode{kind: "in", prop: "category", vals: []any{g.pick(g.cats), g.pick(g.cats), g.pick(g.cats)}}
	case 3:
		name := []rune(g.pick(g.names))
		pat := string(name[:min(len(name), 1+g.r.IntN(3))]) + "%"
		if g.r.IntN(3) == 0 {
			pat = "%" + string(name[len(name)-1:])
		}
		return &gnode{kind: "like", prop: "name", vals: []any{pat}}
	case 4:
		a, b := g.r.IntN(4), g.r.IntN(4)
		return &gnode{kind: "between", prop: "version", vals: []any{min(a, b), max(a, b)}}
	case 5:
		return &gnode{kind: "null", prop: []string{"owner", "note", "survey_date", "maintainer"}[g.r.IntN(4)]}
	case 6:
		return &gnode{kind: "cmp", prop: "owner", op: ops[g.r.IntN(2)], vals: []any{g.pick(g.owners)}}
	case 7:
		d := time.Date(2023+g.r.IntN(3), time.Month(1+g.r.IntN(12)), 1+g.r.IntN(28), 0, 0, 0, 0, time.UTC)
		return &gnode{kind: "cmp", prop: "survey_date", op: ops[g.r.IntN(6)], vals: []any{dateLit(d)}}
	case 8:
		d := time.Date(2025+g.r.IntN(2), time.Month(1+g.r.IntN(12)), 1, g.r.IntN(24), 0, 0, 0, time.UTC)
		return &gnode{kind: "cmp", prop: "changed_at", op: ops[2+g.r.IntN(4)], vals: []any{tsLit(d)}}
	case 9:
		return &gnode{kind: "cmp", prop: "unit_grid", op: "=", vals: []any{g.pick(g.grids)}}
	default:
		return g.spatialLeaf()
	}
}

// spatialLeaf is a spatial condition: against a component's own point a
// quarter of the time, else against a random box.
func (g *gen) spatialLeaf() *gnode {
	if g.r.IntN(4) == 0 {
		c := &g.ds.Components[g.r.IntN(len(g.ds.Components))]
		p, _ := data.Representative(c.Geometry)
		return &gnode{kind: []string{"sint", "swithin", "scontains"}[g.r.IntN(3)], point: &p}
	}
	w := g.bound.Max[0] - g.bound.Min[0]
	h := g.bound.Max[1] - g.bound.Min[1]
	fx, fy := g.r.Float64()*0.3, g.r.Float64()*0.3
	x := g.bound.Min[0] + g.r.Float64()*w*(1-fx)
	y := g.bound.Min[1] + g.r.Float64()*h*(1-fy)
	rect := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + fx*w, y + fy*h}}
	return &gnode{kind: []string{"sint", "swithin"}[g.r.IntN(2)], rect: rect}
}

func lit(v any) string {
	switch x := v.(type) {
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case int:
		return strconv.Itoa(x)
	case dateLit:
		return "DATE('" + time.Time(x).Format(time.DateOnly) + "')"
	case tsLit:
		return "TIMESTAMP('" + time.Time(x).Format(time.RFC3339) + "')"
	}
	panic(fmt.Sprintf("literal %T", v))
}

func jlit(v any) any {
	switch x := v.(type) {
	case dateLit:
		return map[string]any{"date": time.Time(x).Format(time.DateOnly)}
	case tsLit:
		return map[string]any{"timestamp": time.Time(x).Format(time.RFC3339)}
	}
	return v
}

func (n *gnode) geomText() string {
	if n.point != nil {
		return fmt.Sprintf("POINT(%v %v)", n.point[0], n.point[1])
	}
	r := n.rect
	if n.kind == "swithin" {
		return fmt.Sprintf("POLYGON((%v %v, %v %v, %v %v, %v %v, %v %v))",
			r.Min[0], r.Min[1], r.Max[0], r.Min[1], r.Max[0], r.Max[1], r.Min[0], r.Max[1], r.Min[0], r.Min[1])
	}
	return fmt.Sprintf("BBOX(%v, %v, %v, %v)", r.Min[0], r.Min[1], r.Max[0], r.Max[1])
}

func (n *gnode) geomJSON() any {
	if n.point != nil {
		return map[string]any{"type": "Point", "coordinates": []float64{n.point[0], n.point[1]}}
	}
	r := n.rect
	return map[string]any{"bbox": []float64{r.Min[0], r.Min[1], r.Max[0], r.Max[1]}}
}

func (n *gnode) text() string {
	switch n.kind {
	case "and", "or":
		var parts []string
		for _, k := range n.kids {
			parts = append(parts, "("+k.text()+")")
		}
		return strings.Join(parts, " "+strings.ToUpper(n.kind)+" ")
	case "not":
		return "NOT (" + n.kids[0].text() + ")"
	case "cmp":
		return n.prop + " " + n.op + " " + lit(n.vals[0])
	case "like":
		return n.prop + " LIKE " + lit(n.vals[0])
	case "between":
		return n.prop + " BETWEEN " + lit(n.vals[0]) + " AND " + lit(n.vals[1])
	case "in":
		var parts []string
		for _, v := range n.vals {
			parts = append(parts, lit(v))
		}
		return n.prop + " IN (" + strings.Join(parts, ", ") + ")"
	case "null":
		return n.prop + " IS NULL"
	case "sint":
		return "S_INTERSECTS(geometry, " + n.geomText() + ")"
	case "swithin":
		return "S_WITHIN(geometry, " + n.geomText() + ")"
	case "scontains":
		return "S_CONTAINS(geometry, " + n.geomText() + ")"
	}
	panic(n.kind)
}

func (n *gnode) json() any {
	op := func(name string, args ...any) any { return map[string]any{"op": name, "args": args} }
	prop := map[string]any{"property": n.prop}
	geom := map[string]any{"property": "geometry"}
	switch n.kind {
	case "and", "or":
		var args []any
		for _, k := range n.kids {
			args = append(args, k.json())
		}
		return op(n.kind, args...)
	case "not":
		return op("not", n.kids[0].json())
	case "cmp":
		return op(n.op, prop, jlit(n.vals[0]))
	case "like":
		return op("like", prop, n.vals[0])
	case "between":
		return op("between", prop, n.vals[0], n.vals[1])
	case "in":
		return op("in", prop, n.vals)
	case "null":
		return op("isNull", prop)
	case "sint":
		return op("s_intersects", geom, n.geomJSON())
	case "swithin":
		return op("s_within", geom, n.geomJSON())
	case "scontains":
		return op("s_contains", geom, n.geomJSON())
	}
	panic(n.kind)
}

// value reads a component's property the test's own way: nil for NULL.
func value(c *data.Component, prop string) any {
	str := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	switch prop {
	case "status":
		return string(c.Status)
	case "version":
		return int(c.Version)
	case "category":
		return c.Category
	case "name":
		return str(c.Name)
	case "owner":
		return str(c.Owner)
	case "note":
		return str(c.Note)
	case "maintainer":
		return str(c.Maintainer)
	case "unit_grid":
		return str(c.UnitGrid)
	case "survey_date":
		if c.SurveyDate.IsZero() {
			return nil
		}
		return dateLit(c.SurveyDate)
	case "changed_at":
		if c.ChangedAt.IsZero() {
			return nil
		}
		return tsLit(c.ChangedAt)
	}
	panic(prop)
}

func order(a, b any) int {
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case int:
		return x - b.(int)
	case dateLit:
		return time.Time(x).Compare(time.Time(b.(dateLit)))
	case tsLit:
		return time.Time(x).Compare(time.Time(b.(tsLit)))
	}
	panic(fmt.Sprintf("order %T", a))
}

func cmpTruth(op string, v, w any) truth {
	if v == nil || w == nil {
		return unknown
	}
	c := order(v, w)
	ok := map[string]bool{"=": c == 0, "<>": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]
	if ok {
		return yes
	}
	return no
}

// likeRegexpFree matches % and _ patterns by recursion over runes.
func likeMatch(s, p []rune) bool {
	if len(p) == 0 {
		return len(s) == 0
	}
	switch p[0] {
	case '%':
		for i := 0; i <= len(s); i++ {
			if likeMatch(s[i:], p[1:]) {
				return true
			}
		}
		return false
	case '_':
		return len(s) > 0 && likeMatch(s[1:], p[1:])
	}
	return len(s) > 0 && s[0] == p[0] && likeMatch(s[1:], p[1:])
}

func (n *gnode) eval(c *data.Component) truth {
	switch n.kind {
	case "and":
		out := yes
		for _, k := range n.kids {
			switch k.eval(c) {
			case no:
				return no
			case unknown:
				out = unknown
			}
		}
		return out
	case "or":
		out := no
		for _, k := range n.kids {
			switch k.eval(c) {
			case yes:
				return yes
			case unknown:
				out = unknown
			}
		}
		return out
	case "not":
		return map[truth]truth{yes: no, no: yes, unknown: unknown}[n.kids[0].eval(c)]
	case "cmp":
		return cmpTruth(n.op, value(c, n.prop), n.vals[0])
	case "like":
		v := value(c, n.prop)
		if v == nil {
			return unknown
		}
		if likeMatch([]rune(v.(string)), []rune(n.vals[0].(string))) {
			return yes
		}
		return no
	case "between":
		v := value(c, n.prop)
		if v == nil {
			return unknown
		}
		if order(v, n.vals[0]) >= 0 && order(v, n.vals[1]) <= 0 {
			return yes
		}
		return no
	case "in":
		for _, w := range n.vals {
			if cmpTruth("=", value(c, n.prop), w) == yes {
				return yes
			}
		}
		return no
	case "null":
		if value(c, n.prop) == nil {
			return yes
		}
		return no
	case "sint", "swithin", "scontains":
		if n.spatial(c.Geometry) {
			return yes
		}
		return no
	}
	panic(n.kind)
}

// spatial answers the spatial leaves: against a box with orb/clip and the
// box's convexity, against a point with orb/planar.
func (n *gnode) spatial(g orb.Geometry) bool {
	if n.point != nil {
		p := *n.point
		switch n.kind {
		case "sint":
			return coversPoint(g, p)
		case "swithin":
			q, ok := g.(orb.Point)
			return ok && q == p
		default:
			// A point is contained when it is covered but not on the
			// boundary; random points of components never fall on
			// another component's boundary except at its own vertices.
			if q, ok := g.(orb.Point); ok {
				return q == p
			}
			if poly, ok := g.(orb.Polygon); ok {
				return planar.PolygonContains(poly, p) && !onRingEdge(poly, p)
			}
			// A line's boundary is its two end points.
			ls := g.(orb.LineString)
			return coversPoint(ls, p) && p != ls[0] && p != ls[len(ls)-1]
		}
	}
	r := n.rect
	if n.kind == "swithin" {
		// The box is convex: inside it means every vertex inside, and
		// random boxes never pass through a vertex.
		b := g.Bound()
		return b.Min[0] > r.Min[0] && b.Max[0] < r.Max[0] && b.Min[1] > r.Min[1] && b.Max[1] < r.Max[1]
	}
	switch x := g.(type) {
	case orb.Point:
		return r.Contains(x)
	case orb.LineString:
		return len(clip.LineString(r, x)) > 0
	case orb.Polygon:
		if len(clip.Polygon(r, x.Clone())) > 0 {
			return true
		}
		return planar.PolygonContains(x, r.Center())
	}
	panic(fmt.Sprintf("geometry %T", g))
}

func coversPoint(g orb.Geometry, p orb.Point) bool {
	switch x := g.(type) {
	case orb.Point:
		return x == p
	case orb.LineString:
		for i := 1; i < len(x); i++ {
			if onSeg(x[i-1], x[i], p) {
				return true
			}
		}
		return false
	case orb.Polygon:
		return planar.PolygonContains(x, p) || onRingEdge(x, p)
	}
	panic(fmt.Sprintf("geometry %T", g))
}

func onRingEdge(poly orb.Polygon, p orb.Point) bool {
	for _, r := range poly {
		for i := 1; i < len(r); i++ {
			if onSeg(r[i-1], r[i], p) {
				return true
			}
		}
	}
	return false
}

func onSeg(a, b, p orb.Point) bool {
	if p == a || p == b {
		return true
	}
	d := planar.DistanceFromSegment(a, b, p)
	return d < 1e-12
}
