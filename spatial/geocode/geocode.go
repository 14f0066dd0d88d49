// Package geocode turns Chinese address texts into points and points back
// into address texts (地理编码 and 逆地理编码) over a city's door plates,
// roads, landmarks and POIs and its districts, streets and communities.
//
// Forward geocoding normalises a query (full-width forms, traditional and
// variant characters through OpenCC's tables, Chinese numerals where a
// number stands, spaces, punctuation, "附近"-style tails, crossing markers,
// building and room parts), finds every indexed name that occurs in it —
// exactly or within a small edit distance, through an inverted index of
// character bigrams and skip-bigrams — and ranks interpretations by how
// much of the query they explain. Administrative names a query gives
// (district, street, community) rank the candidates and never exclude one:
// a name the place does not lie in is reported as ignored. A door number
// not surveyed is interpolated between the neighbouring numbers of the same
// parity, or placed along the road past the last one; two road names read
// as their crossing, computed from the road network. POI names are also
// found by the words of a vocabulary (菜场 for 农贸市场, 工行, 街办) a city
// can extend. Every answer says how exact it is (Precision) and which parts
// of the query it used and set aside (Matched, Ignored).
//
// Reverse geocoding finds the nearest door plate, road, landmark and POI
// through uniform cell grids searched ring by ring. Suggest completes
// prefixes of names, and of their pinyin syllable by syllable (polyphones,
// initials, fuzzy n/l, zh/z, in/ing pairs), for dispatcher forms.
//
// A Geocoder is built once from a dataset and is safe for concurrent use;
// the dataset must not change while it is in use.
package geocode

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"citygrid/data"
	"citygrid/spatial"
	"citygrid/spatial/geocode/addrtext"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Level is what a result stands for, from the finest to the coarsest.
type Level string

// Match levels.
const (
	// LevelDoorPlate is a surveyed door plate (门牌).
	LevelDoorPlate Level = "door_plate"
	// LevelInterpolated is a door number not surveyed, placed between the
	// neighbouring numbers of the same parity on its road.
	LevelInterpolated Level = "interpolated"
	// LevelIntersection is where two named roads cross (路口), or where
	// they come nearest when they do not meet.
	LevelIntersection Level = "intersection"
	// LevelRoad is a road or lane (街巷).
	LevelRoad Level = "road"
	// LevelLandmark is a landmark (标志物).
	LevelLandmark Level = "landmark"
	// LevelPOI is a point of interest (兴趣点).
	LevelPOI Level = "poi"
	// LevelCommunity is a community (社区, 村).
	LevelCommunity Level = "community"
	// LevelStreet is a street (街道, 乡镇).
	LevelStreet Level = "street"
	// LevelDistrict is a district (区县).
	LevelDistrict Level = "district"
)

// rank orders levels when scores tie: the finer, surveyed answer first;
// an administrative unit before a POI of the same name (a community's
// residents' committee is named after it).
func (l Level) rank() int {
	switch l {
	case LevelDoorPlate:
		return 0
	case LevelInterpolated, LevelIntersection:
		return 1
	case LevelCommunity:
		return 2
	case LevelStreet:
		return 3
	case LevelDistrict:
		return 4
	case LevelRoad:
		return 5
	case LevelLandmark:
		return 6
	}
	return 7
}

// Precision says how exactly an answer's point is known, so that a
// dispatcher sees an uncertain location for what it is.
type Precision string

// Precisions, from the most exact.
const (
	// PrecisionPlate is a surveyed door plate.
	PrecisionPlate Precision = "plate"
	// PrecisionInterpolated is a door number placed between surveyed
	// neighbours, or beyond the last one along its road.
	PrecisionInterpolated Precision = "interpolated"
	// PrecisionIntersection is a road crossing computed from the network.
	PrecisionIntersection Precision = "intersection"
	// PrecisionPOI is a landmark or POI point.
	PrecisionPOI Precision = "poi"
	// PrecisionRoad is a point on a road: where it runs through a named
	// area, or its middle.
	PrecisionRoad Precision = "road"
	// PrecisionArea is a representative point of a community, street or
	// district.
	PrecisionArea Precision = "area"
)

// precision is what a result of this level is exact to.
func (l Level) precision() Precision {
	switch l {
	case LevelDoorPlate:
		return PrecisionPlate
	case LevelInterpolated:
		return PrecisionInterpolated
	case LevelIntersection:
		return PrecisionIntersection
	case LevelRoad:
		return PrecisionRoad
	case LevelLandmark, LevelPOI:
		return PrecisionPOI
	}
	return PrecisionArea
}

// Part is one piece of a query as an answer reads it.
type Part struct {
	// Text is the piece as normalised (full-width folded, simplified,
	// numerals as digits).
	Text string `json:"text"`
	// Role is what the piece names: district, street, community, road,
	// number, poi, region, position (附近, 东侧50米), or text (words no
	// name explains).
	Role string `json:"role"`
	// Note says why a piece was ignored, or how it was read ("the answer
	// does not lie in it", "past the last surveyed plate").
	Note string `json:"note,omitempty"`
}

// Point is a GeoJSON point geometry.
type Point orb.Point

// MarshalJSON writes {"type":"Point","coordinates":[lon,lat]}.
func (p Point) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 64)
	b = append(b, `{"type":"Point","coordinates":[`...)
	b = appendFloat(b, p[0])
	b = append(b, ',')
	b = appendFloat(b, p[1])
	return append(b, "]}"...), nil
}

// Result is one answer of Forward, Reverse or Suggest.
type Result struct {
	Label string `json:"label"`
	// Score is in [0, 1]: the share of the query the answer explains, less
	// penalties for typos, alias forms and levels that disagree. Reverse
	// answers score by distance.
	Score    float64 `json:"score"`
	Level    Level   `json:"level"`
	Geometry Point   `json:"geometry"`
	// UnitGrid is the code of the unit grid the point lies in ("" outside
	// every grid).
	UnitGrid string `json:"unit_grid"`
	// Code is the code of the door plate, road, POI or administrative unit;
	// for an interpolated number, the road's code, "#" and the number.
	Code string `json:"code,omitempty"`
	// Road is the road code of a door plate or an interpolated number.
	Road      string `json:"road,omitempty"`
	Number    string `json:"number,omitempty"`
	Community string `json:"community,omitempty"`
	Street    string `json:"street,omitempty"`
	District  string `json:"district,omitempty"`
	// DistanceM is the distance from a reverse query's point, in metres.
	DistanceM *float64 `json:"distance_m,omitempty"`
	// Precision is how exactly the point is known.
	Precision Precision `json:"precision"`
	// Matched lists the parts of a forward query the answer rests on, in
	// query order.
	Matched []Part `json:"matched,omitempty"`
	// Ignored lists the parts of a forward query the answer does not use:
	// an administrative name the place does not lie in, and words no name
	// explains.
	Ignored []Part `json:"ignored,omitempty"`
}

type kind uint8

const (
	kindDistrict kind = iota
	kindStreet
	kindCommunity
	kindRegion // a province or city name: explains text, locates nothing
	kindRoad
	kindPOI
)

func (k kind) admin() bool { return k <= kindRegion }

// entity is a named feature a query can name.
type entity struct {
	kind  kind
	ref   int32 // index into the dataset slice of its kind (-1 for regions)
	code  string
	label string
	point orb.Point
	level Level
	// Where the feature lies, to check the levels a query names.
	comms    []string
	streets  []string
	district string
	grid     string // unit grid of point when known at build time
}

// alias is one indexed form of an entity's name.
type alias struct {
	text    []rune
	ent     int32
	penalty float32
	grams   uint16 // distinct grams indexed
}

// platePos is a door plate's number on its road.
type platePos struct {
	n    int
	addr int32
}

// roadUnit is a road in a community or street.
type roadUnit struct {
	road int32
	unit string
}

type plateKey struct {
	road int32
	num  string
}

// Geocoder answers forward, reverse and suggest queries over one city.
type Geocoder struct {
	ds    *data.Dataset
	ix    *spatial.Index
	vocab *Vocabulary

	ents    []entity
	aliases []alias
	grams   map[uint64][]int32 // gram → alias ids
	admin   map[string]int32   // admin code → entity
	parent  map[string]string  // admin code → parent code
	roadEnt []int32            // road index → entity

	plates     map[plateKey]int32
	roadPlates [][2][]platePos    // road → [even, odd] plates by number
	plateComm  []string           // addr index → community code
	roadMiddle map[roadUnit]int32 // the middle plate by number of a road in a community or street
	plateGrid  []string           // addr index → unit grid code
	poiEnt     []int32            // POI index → entity

	addrLayer pointLayer
	poiLayer  pointLayer
	markLayer pointLayer // landmarks only
	segs      []segment
	segGrid   cellGrid
	roadSegs  [][2]int32             // road → its segments, segs[from:to]
	meets     map[roadPair]orb.Point // where two roads cross or touch
	segM      []float64              // measure at the start of each segment along its road, metres
	roadLen   []float64              // road → length, metres
	plateM    []float64              // addr index → measure of its foot along its road
	plateOff  []orb.Point            // addr index → offset of the plate from its foot, degrees

	sugg    []suggestKey
	py      *pinyinIndex
	scratch sync.Pool
}

// Option configures Build and BuildWithIndex.
type Option func(*buildConfig)

type buildConfig struct {
	vocab *Vocabulary
}

// WithVocabulary builds with v (see LoadVocabulary) instead of
// DefaultVocabulary.
func WithVocabulary(v *Vocabulary) Option {
	return func(c *buildConfig) { c.vocab = v }
}

// Build indexes a dataset. Unit grids of answers come from a spatial index
// built over the dataset's administrative units and grids.
func Build(ds *data.Dataset, opts ...Option) (*Geocoder, error) {
	if ds == nil {
		return nil, fmt.Errorf("geocode: %w", &data.ValidationError{Field: "dataset", Reason: "is nil"})
	}
	polys := &data.Dataset{AdminUnits: ds.AdminUnits, UnitGrids: ds.UnitGrids, ManagementGrids: ds.ManagementGrids, Departments: ds.Departments}
	ix, err := spatial.Build(polys)
	if err != nil {
		return nil, fmt.Errorf("geocode: index polygons: %w", err)
	}
	return build(ds, ix, opts)
}

// BuildWithIndex indexes the dataset of a spatial index as it is now (a
// geocoder built before unit-grid edits keeps the grids it was built with:
// build again to follow them) and uses the index
// for unit grids and the locate answer of reverse queries.
func BuildWithIndex(ix *spatial.Index, opts ...Option) (*Geocoder, error) {
	if ix == nil || ix.Dataset() == nil {
		return nil, fmt.Errorf("geocode: %w", &data.ValidationError{Field: "index", Reason: "is nil"})
	}
	// Live edits change the unit grids (and components, which the
	// geocoder does not index) in place: build from a copy taken in one
	// consistent state, so that edits may go on meanwhile.
	var ds data.Dataset
	ix.View(func() {
		ds = *ix.Dataset()
		ds.UnitGrids = slices.Clone(ds.UnitGrids)
		ds.Components = nil
	})
	return build(&ds, ix, opts)
}

func build(ds *data.Dataset, ix *spatial.Index, opts []Option) (*Geocoder, error) {
	if err := addrtext.Ready(); err != nil {
		return nil, err
	}
	cfg := buildConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.vocab == nil {
		cfg.vocab = DefaultVocabulary()
	}
	g := &Geocoder{
		vocab: cfg.vocab,
		ds:    ds, ix: ix,
		grams:  map[uint64][]int32{},
		admin:  map[string]int32{},
		parent: map[string]string{},
		plates: make(map[plateKey]int32, len(ds.Addresses)),
	}
	if err := g.buildAdmin(); err != nil {
		return nil, err
	}
	if err := g.buildRoads(); err != nil {
		return nil, err
	}
	g.buildPOIs()
	g.buildRegions()
	for i := range g.aliases {
		g.indexAlias(int32(i))
	}
	g.buildReverse()
	g.buildCrossings()
	g.buildMeasures()
	g.buildSuggest()
	g.buildPinyin()
	n := len(g.aliases)
	g.scratch.New = func() any { return &scratch{counts: make([]uint16, n)} }
	return g, nil
}

func (g *Geocoder) addEntity(e entity) int32 {
	g.ents = append(g.ents, e)
	return int32(len(g.ents) - 1)
}

func (g *Geocoder) addAlias(ent int32, name string, penalty float32) {
	g.addAliasText(ent, []rune(addrtext.Normalize(name)), penalty)
}

// addNumeralForm adds a name's form with its Chinese numerals kept
// (华盛二路 beside 华盛2路), for a query whose numeral the normaliser cannot
// read as a number because the character after it is mistyped.
func (g *Geocoder) addNumeralForm(ent int32, name string, penalty float32) {
	if raw := addrtext.NormalizeRunes(name, false); string(raw) != addrtext.Normalize(name) {
		g.addAliasText(ent, raw, penalty+0.1)
	}
}

func (g *Geocoder) addAliasText(ent int32, t []rune, penalty float32) {
	if len(t) < 2 {
		return
	}
	for _, a := range g.aliases[max(0, len(g.aliases)-16):] {
		if a.ent == ent && slices.Equal(a.text, t) {
			return
		}
	}
	g.aliases = append(g.aliases, alias{text: t, ent: ent, penalty: penalty})
}

// buildAdmin adds districts, streets and communities with their name
// forms, placed at the centre of the unit grid nearest their middle.
func (g *Geocoder) buildAdmin() error {
	ds := g.ds
	// Unit grids by community, with centroids and areas.
	type gridC struct {
		c    orb.Point
		a    float64
		code string
	}
	byComm := map[string][]gridC{}
	for i := range ds.UnitGrids {
		u := &ds.UnitGrids[i]
		c, a := planar.CentroidArea(u.Geometry)
		byComm[u.Community] = append(byComm[u.Community], gridC{c, math.Abs(a), u.Code})
	}
	for _, u := range ds.AdminUnits {
		g.parent[u.Code] = u.Parent
	}
	gridsOf := func(u *data.AdminUnit) []gridC {
		var out []gridC
		for code, gs := range byComm {
			if code == u.Code || g.parent[code] == u.Code || g.parent[g.parent[code]] == u.Code {
				out = append(out, gs...)
			}
		}
		return out
	}
	for i := range ds.AdminUnits {
		u := &ds.AdminUnits[i]
		e := entity{ref: int32(i), code: u.Code, label: u.Name}
		switch u.Level {
		case data.LevelDistrict:
			e.kind, e.level, e.district = kindDistrict, LevelDistrict, u.Code
		case data.LevelStreet:
			e.kind, e.level, e.streets, e.district = kindStreet, LevelStreet, []string{u.Code}, u.Parent
		case data.LevelCommunity:
			e.kind, e.level, e.comms, e.streets, e.district = kindCommunity, LevelCommunity, []string{u.Code}, []string{u.Parent}, g.parent[u.Parent]
		default:
			return fmt.Errorf("geocode: administrative unit %s: unknown level %q", u.Code, u.Level)
		}
		// The representative point: the centre of the unit grid nearest
		// the area-weighted centre of the unit's grids, which lies inside
		// the unit even when the unit is not convex.
		gs := gridsOf(u)
		if len(gs) > 0 {
			var sx, sy, sa float64
			for _, gc := range gs {
				sx, sy, sa = sx+gc.c[0]*gc.a, sy+gc.c[1]*gc.a, sa+gc.a
			}
			m := orb.Point{sx / sa, sy / sa}
			if sa == 0 {
				m = gs[0].c
			}
			best := 0
			for k, gc := range gs {
				if planar.DistanceSquared(gc.c, m) < planar.DistanceSquared(gs[best].c, m) || (planar.DistanceSquared(gc.c, m) == planar.DistanceSquared(gs[best].c, m) && gc.code < gs[best].code) {
					best = k
				}
			}
			e.point, e.grid = gs[best].c, gs[best].code
		} else {
			e.point, _ = planar.CentroidArea(u.Geometry)
		}
		id := g.addEntity(e)
		g.admin[u.Code] = id
		forms := adminNameForms(u.Level, u.Name)
		if u.Level == data.LevelCommunity {
			forms = append(forms, g.withoutStreet(u)...)
		}
		for _, f := range g.vocab.abbrForms(forms) {
			g.addAlias(id, f.name, f.penalty)
		}
		g.addNumeralForm(id, u.Name, 0)
	}
	return nil
}

// withoutStreet lists the forms of a community's name without its
// street's name in front: 中国（南京）软件谷十三号园区社区 is also 十三号园区社区
// and 十三号园区.
func (g *Geocoder) withoutStreet(u *data.AdminUnit) []nameForm {
	var st *data.AdminUnit
	for i := range g.ds.AdminUnits {
		if g.ds.AdminUnits[i].Code == u.Parent {
			st = &g.ds.AdminUnits[i]
		}
	}
	if st == nil {
		return nil
	}
	n := addrtext.Normalize(u.Name)
	for _, sf := range adminNameForms(st.Level, st.Name) {
		if rest, ok := strings.CutPrefix(n, sf.name); ok && len([]rune(rest)) >= 4 {
			var out []nameForm
			for _, f := range adminNameForms(u.Level, rest) {
				out = append(out, nameForm{f.name, f.penalty + 0.2})
			}
			return out
		}
	}
	return nil
}

type nameForm struct {
	name    string
	penalty float32
}

// adminNameForms lists the ways people write an administrative unit's name:
// "丁墙社区居委会" is also 丁墙社区, 丁墙居委会 and 丁墙; "雨花街道" also 雨花;
// "丁墙村村委会" also 丁墙村; "中国（南京）软件谷" also 软件谷.
func adminNameForms(level data.AdminLevel, name string) []nameForm {
	n := addrtext.Normalize(name)
	out := []nameForm{{n, 0}}
	add := func(s string, p float32) {
		if len([]rune(s)) >= 2 {
			out = append(out, nameForm{s, p})
		}
	}
	for _, prefix := range []string{"中国南京", "中国"} {
		if strings.HasPrefix(n, prefix) && len([]rune(n)) > len([]rune(prefix))+1 {
			for _, f := range adminNameForms(level, strings.TrimPrefix(n, prefix)) {
				add(f.name, f.penalty+0.2)
			}
			break
		}
	}
	switch level {
	case data.LevelDistrict:
		for _, suf := range []string{"区", "县", "市"} {
			if s, ok := strings.CutSuffix(n, suf); ok {
				add(s, 0.3)
			}
		}
	case data.LevelStreet:
		if s, ok := strings.CutSuffix(n, "街道"); ok {
			add(s+"街道办", 0)
			add(s, 0.3)
		}
		if s, ok := strings.CutSuffix(n, "经济开发区"); ok {
			add(s+"开发区", 0.1)
			add(s+"经开区", 0.1)
		}
		for _, suf := range []string{"镇", "乡"} {
			if s, ok := strings.CutSuffix(n, suf); ok {
				add(s, 0.3)
			}
		}
	case data.LevelCommunity:
		switch {
		case strings.HasSuffix(n, "村村委会"):
			s := strings.TrimSuffix(n, "村委会")
			add(s, 0)
			add(s+"委会", 0.1)
		case strings.HasSuffix(n, "社区居委会"):
			s := strings.TrimSuffix(n, "社区居委会")
			add(s+"社区", 0)
			add(s+"居委会", 0.1)
			add(s, 0.3)
		case strings.HasSuffix(n, "居委会"):
			s := strings.TrimSuffix(n, "居委会")
			add(s+"社区", 0)
			add(s, 0.3)
		case strings.HasSuffix(n, "社区"):
			s := strings.TrimSuffix(n, "社区")
			add(s+"居委会", 0.1)
			add(s, 0.3)
		case strings.HasSuffix(n, "村委会"):
			add(strings.TrimSuffix(n, "委会"), 0)
		}
	}
	return out
}

// roadSuffixes are the generic road words, longest first.
var roadSuffixes = []string{"大道", "大街", "路", "街", "巷", "道"}

// roadNameForms lists a road's name and the variants people write:
// another generic suffix (软件大路 for 软件大道) or none (软件).
func roadNameForms(name string) []nameForm {
	n := addrtext.Normalize(name)
	out := []nameForm{{n, 0}}
	for _, suf := range roadSuffixes {
		stem, ok := strings.CutSuffix(n, suf)
		if !ok || len([]rune(stem)) < 2 {
			continue
		}
		for _, other := range roadSuffixes {
			if other != suf {
				// Weaker than the bare stem: another road may bear this
				// very name, and an exact name outranks a variant even
				// when its door number lies past the surveyed ones.
				out = append(out, nameForm{stem + other, 0.8})
			}
		}
		out = append(out, nameForm{stem, 0.6})
		break
	}
	return out
}

// buildRoads adds roads and door plates: the plate of every (road,
// number), each road's plates by parity for interpolation, and where each
// road runs.
func (g *Geocoder) buildRoads() error {
	ds := g.ds
	roadByCode := make(map[string]int32, len(ds.Roads))
	g.roadEnt = make([]int32, len(ds.Roads))
	g.roadPlates = make([][2][]platePos, len(ds.Roads))
	for i := range ds.Roads {
		r := &ds.Roads[i]
		roadByCode[r.Code] = int32(i)
		e := entity{kind: kindRoad, ref: int32(i), code: r.Code, label: r.Name, level: LevelRoad, district: r.District, point: lineMiddle(r.Geometry)}
		id := g.addEntity(e)
		g.roadEnt[i] = id
		for _, f := range roadNameForms(r.Name) {
			g.addAlias(id, f.name, f.penalty)
		}
		g.addNumeralForm(id, r.Name, 0)
	}
	g.plateComm = make([]string, len(ds.Addresses))
	g.plateGrid = make([]string, len(ds.Addresses))
	var loc spatial.Location
	for i := range ds.Addresses {
		a := &ds.Addresses[i]
		comm := a.Community
		if g.ix != nil && g.ix.LocateInto(a.Point, &loc) == nil {
			g.plateGrid[i] = loc.UnitGrid.Code
			if comm == "" {
				comm = loc.Community.Code
			}
		}
		g.plateComm[i] = comm
		ri, ok := roadByCode[a.Road]
		if !ok {
			continue // a plate on an unknown road can still be found in reverse
		}
		num := addrtext.Normalize(a.Number)
		num = strings.TrimSuffix(num, "号")
		g.plates[plateKey{ri, num}] = int32(i)
		e := &g.ents[g.roadEnt[ri]]
		if comm != "" && !slices.Contains(e.comms, comm) {
			e.comms = append(e.comms, comm)
			if st := g.parent[comm]; st != "" && !slices.Contains(e.streets, st) {
				e.streets = append(e.streets, st)
			}
		}
		if n, ok := plainNumber(num); ok {
			g.roadPlates[ri][n%2] = append(g.roadPlates[ri][n%2], platePos{n, int32(i)})
		}
	}
	for ri := range g.roadPlates {
		for p := range 2 {
			slices.SortFunc(g.roadPlates[ri][p], func(a, b platePos) int { return a.n - b.n })
		}
	}
	// Where a road named together with a community or street is put: its
	// middle plate (by number) there.
	g.roadMiddle = map[roadUnit]int32{}
	for ri := range g.roadPlates {
		in := map[string][]platePos{}
		for par := range 2 {
			for _, pp := range g.roadPlates[ri][par] {
				c := g.plateComm[pp.addr]
				in[c] = append(in[c], pp)
				if st := g.parent[c]; st != "" {
					in[st] = append(in[st], pp)
				}
			}
		}
		for unit, ps := range in {
			if unit == "" {
				continue
			}
			slices.SortFunc(ps, func(a, b platePos) int { return cmp.Or(a.n-b.n, int(a.addr-b.addr)) })
			g.roadMiddle[roadUnit{int32(ri), unit}] = ps[len(ps)/2].addr
		}
	}
	return nil
}

// plainNumber parses a door number made of digits only.
func plainNumber(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// lineMiddle is the point halfway along a multi-line string (by planar
// length in degrees, which at city size orders points as metres do).
func lineMiddle(ml orb.MultiLineString) orb.Point {
	var total float64
	for _, ls := range ml {
		total += planar.Length(ls)
	}
	half := total / 2
	for _, ls := range ml {
		for i := 1; i < len(ls); i++ {
			d := planar.Distance(ls[i-1], ls[i])
			if d >= half && d > 0 {
				t := half / d
				return orb.Point{ls[i-1][0] + t*(ls[i][0]-ls[i-1][0]), ls[i-1][1] + t*(ls[i][1]-ls[i-1][1])}
			}
			half -= d
		}
	}
	for _, ls := range ml {
		if len(ls) > 0 {
			return ls[0]
		}
	}
	return orb.Point{}
}

// poiPrefixes are leading words of POI names people leave out.
var poiPrefixes = []string{"江苏省", "南京市", "中国"}

// buildPOIs adds POIs and landmarks with their names and the names without
// the leading city, district or street (南京市雨花台区翠竹小学 → 翠竹小学).
func (g *Geocoder) buildPOIs() {
	var loc spatial.Location
	prefixes := g.prefixNames()
	streetNames := g.streetNames()
	for i := range g.ds.POIs {
		p := &g.ds.POIs[i]
		e := entity{kind: kindPOI, ref: int32(i), code: p.Code, label: p.Name, point: p.Point, level: LevelPOI}
		if p.Landmark {
			e.level = LevelLandmark
		}
		if g.ix != nil && g.ix.LocateInto(p.Point, &loc) == nil {
			e.grid = loc.UnitGrid.Code
			e.comms = []string{loc.Community.Code}
			e.streets = []string{loc.Street.Code}
			e.district = loc.District.Code
		}
		id := g.addEntity(e)
		g.poiEnt = append(g.poiEnt, id)
		n := addrtext.Normalize(p.Name)
		forms := []nameForm{{n, 0}}
		// Strip leading region and administrative names, repeatedly.
		for changed := true; changed; {
			changed = false
			for _, pre := range prefixes {
				if s, ok := strings.CutPrefix(n, pre); ok && len([]rune(s)) >= 2 && !g.vocab.isCategoryWord(s) {
					n = s
					forms = append(forms, nameForm{n, 0.2})
					changed = true
					break // the longest name first, again
				}
			}
		}
		for _, f := range g.vocab.poiForms(p.Kind, forms) {
			g.addAlias(id, f.name, f.penalty)
			// A POI named after its street by the street's short name is
			// also named with the full one: 铁心桥派出所, 铁心桥街道派出所.
			for _, sn := range streetNames {
				if rest, ok := strings.CutPrefix(f.name, sn.short); ok && g.vocab.isCategoryWord(rest) {
					g.addAlias(id, sn.full+rest, f.penalty+0.1)
				}
			}
		}
	}
}

// streetName is a street's name in full and short (雨花街道, 雨花).
type streetName struct{ short, full string }

// streetNames lists the short and full names of the dataset's streets.
func (g *Geocoder) streetNames() []streetName {
	var out []streetName
	for _, u := range g.ds.AdminUnits {
		if u.Level != data.LevelStreet {
			continue
		}
		full := addrtext.Normalize(u.Name)
		for _, f := range adminNameForms(u.Level, u.Name) {
			if f.name != full && strings.HasPrefix(full, f.name) {
				out = append(out, streetName{f.name, full})
			}
		}
	}
	return out
}

// prefixNames are the names a POI name may start with: regions and the
// district and street names in their full and short forms (雨花台区,
// 雨花街道, 雨花, 软件谷), longest first.
func (g *Geocoder) prefixNames() []string {
	out := append([]string(nil), poiPrefixes...)
	for _, u := range g.ds.AdminUnits {
		if u.Level != data.LevelCommunity {
			for _, f := range adminNameForms(u.Level, u.Name) {
				if f.penalty <= 0.5 && !slices.Contains(out, f.name) {
					out = append(out, f.name)
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len([]rune(b)) - len([]rune(a)) })
	return out
}

// regionNames are province and prefecture names by code prefix: text a
// query may start with that narrows nothing inside one district.
var regionNames = map[string][]string{
	"32":   {"江苏省", "江苏"},
	"3201": {"南京市", "南京"},
}

func (g *Geocoder) buildRegions() {
	seen := map[string]bool{}
	for _, u := range g.ds.AdminUnits {
		if u.Level != data.LevelDistrict || len(u.Code) < 4 {
			continue
		}
		for _, pre := range []string{u.Code[:2], u.Code[:4]} {
			for _, n := range regionNames[pre] {
				if seen[n] {
					continue
				}
				seen[n] = true
				id := g.addEntity(entity{kind: kindRegion, ref: -1, label: n})
				g.addAlias(id, n, 0)
			}
		}
	}
}

func appendFloat(b []byte, f float64) []byte {
	return appendNum(b, f)
}
