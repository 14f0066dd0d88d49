package geocode

import (
	"math"
	"slices"
	"strconv"

	"citygrid/spatial"

	"github.com/paulmach/orb"
)

// earthRadiusM is the mean Earth radius, as package spatial uses it.
const earthRadiusM = 6371008.8

// metresPerDegree is the length of one degree of latitude on that sphere.
const metresPerDegree = earthRadiusM * math.Pi / 180

// ReverseResult is the answer of Reverse: the nearest door plate, road,
// landmark and POI, nearest first, each with its distance, and what the
// point lies in.
type ReverseResult struct {
	Point Point `json:"point"`
	// Description is the position in words (方位描述, CJ/T 215 style): the
	// nearest door plate's standard text, then the compass direction from
	// it and the distance ("…软件大道101号东北约20米").
	Description string   `json:"description"`
	Results     []Result `json:"results"`
	// Location is the locate answer for the point (unit grid, community,
	// street, district, management grids), nil without a spatial index.
	Location *spatial.Location `json:"location,omitempty"`
}

// plane measures distances around one query point: longitude and latitude
// differences scaled to metres (an equirectangular projection at the
// point's latitude). Over a city it is within 0.1 % of the geodesic, and it
// maps boxes to boxes, so R-tree bounds are exact lower bounds in it.
type plane struct{ x, y, kx, ky float64 }

func newPlane(p orb.Point) plane {
	return plane{x: p[0], y: p[1], kx: metresPerDegree * math.Cos(p[1]*math.Pi/180), ky: metresPerDegree}
}

func (pl plane) boxDist(min, max [2]float64) float64 {
	dx := math.Max(0, math.Max(min[0]-pl.x, pl.x-max[0])) * pl.kx
	dy := math.Max(0, math.Max(min[1]-pl.y, pl.y-max[1])) * pl.ky
	return math.Hypot(dx, dy)
}

// segment returns the distance to segment ab and the closest point on it.
func (pl plane) segment(a, b orb.Point) (float64, orb.Point) {
	ax, ay := (a[0]-pl.x)*pl.kx, (a[1]-pl.y)*pl.ky
	bx, by := (b[0]-pl.x)*pl.kx, (b[1]-pl.y)*pl.ky
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
	}
	cx, cy := ax+t*dx, ay+t*dy
	return math.Hypot(cx, cy), orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
}

func (g *Geocoder) buildReverse() {
	for i := range g.ds.Addresses {
		p := g.ds.Addresses[i].Point
		g.addrTree.Insert(p, p, int32(i))
	}
	for i := range g.ds.POIs {
		p := g.ds.POIs[i].Point
		g.poiTree.Insert(p, p, int32(i))
		if g.ds.POIs[i].Landmark {
			g.markTree.Insert(p, p, int32(i))
		}
	}
	for ri := range g.ds.Roads {
		for li, ls := range g.ds.Roads[ri].Geometry {
			for i := 1; i < len(ls); i++ {
				b := orb.Bound{Min: ls[i-1], Max: ls[i-1]}.Extend(ls[i])
				g.segTree.Insert(b.Min, b.Max, segRef{int32(ri), int32(li), int32(i)})
			}
		}
	}
}

// nearestPoint finds the item of a point tree nearest to p in the plane
// metric, or -1 when the tree is empty.
func nearestPoint(tr interface {
	Nearby(func(min, max [2]float64, data int32, item bool) float64, func(min, max [2]float64, data int32, dist float64) bool)
}, pl plane) int32 {
	found := int32(-1)
	tr.Nearby(func(min, max [2]float64, _ int32, _ bool) float64 { return pl.boxDist(min, max) },
		func(_, _ [2]float64, id int32, _ float64) bool { found = id; return false })
	return found
}

// nearestRoad finds the road segment nearest to p and the closest point on
// it.
func (g *Geocoder) nearestRoad(pl plane) (int32, orb.Point) {
	road, foot := int32(-1), orb.Point{}
	g.segTree.Nearby(func(min, max [2]float64, s segRef, item bool) float64 {
		if !item {
			return pl.boxDist(min, max)
		}
		ls := g.ds.Roads[s.road].Geometry[s.line]
		d, _ := pl.segment(ls[s.i-1], ls[s.i])
		return d
	}, func(_, _ [2]float64, s segRef, _ float64) bool {
		ls := g.ds.Roads[s.road].Geometry[s.line]
		_, foot = pl.segment(ls[s.i-1], ls[s.i])
		road = s.road
		return false
	})
	return road, foot
}

// Reverse describes a point: the nearest door plate, road (distance to its
// centre line), landmark and POI, nearest first, and the locate answer.
// Invalid coordinates give a *data.ValidationError.
func (g *Geocoder) Reverse(p orb.Point) (ReverseResult, error) {
	if err := spatial.CheckPoint(p); err != nil {
		return ReverseResult{}, err
	}
	out := ReverseResult{Point: Point(p), Results: make([]Result, 0, 4)}
	pl := newPlane(p)
	var loc spatial.Location
	if ai := nearestPoint(&g.addrTree, pl); ai >= 0 {
		a := &g.ds.Addresses[ai]
		r := Result{Label: a.FullAddress, Level: LevelDoorPlate, Geometry: Point(a.Point), Code: a.Code, Road: a.Road, Number: a.Number, Community: g.plateComm[ai], UnitGrid: g.plateGrid[ai]}
		if r.Label == "" {
			r.Label = a.Number
		}
		d := spatial.HaversineM(p, a.Point)
		r.DistanceM = &d
		out.Description = describe(r.Label, a.Point, p, d)
		out.Results = append(out.Results, r)
	}
	if ri, foot := g.nearestRoad(pl); ri >= 0 {
		rd := &g.ds.Roads[ri]
		d := spatial.HaversineM(p, foot)
		out.Results = append(out.Results, Result{Label: rd.Name, Level: LevelRoad, Geometry: Point(foot), Code: rd.Code, Road: rd.Code, District: rd.District, DistanceM: &d})
		if out.Description == "" {
			out.Description = describe(rd.Name, foot, p, d)
		}
	}
	mark := nearestPoint(&g.markTree, pl)
	if mark >= 0 {
		out.Results = append(out.Results, g.poiHit(mark, p))
	}
	if pi := nearestPoint(&g.poiTree, pl); pi >= 0 && pi != mark {
		out.Results = append(out.Results, g.poiHit(pi, p))
	}
	slices.SortStableFunc(out.Results, func(a, b Result) int { return cmpF64(*a.DistanceM, *b.DistanceM) })
	for i := range out.Results {
		r := &out.Results[i]
		r.Score = math.Round(1e4*100/(100+*r.DistanceM)) / 1e4
		g.fillAdmin(r, &loc)
	}
	if g.ix != nil {
		l, err := g.ix.Locate(p)
		if err == nil || spatial.IsOutside(err) {
			out.Location = &l
		} else {
			return ReverseResult{}, err
		}
	}
	return out, nil
}

func (g *Geocoder) poiHit(i int32, p orb.Point) Result {
	poi := &g.ds.POIs[i]
	lv := LevelPOI
	if poi.Landmark {
		lv = LevelLandmark
	}
	d := spatial.HaversineM(p, poi.Point)
	r := Result{Label: poi.Name, Level: lv, Geometry: Point(poi.Point), Code: poi.Code, DistanceM: &d}
	if e := &g.ents[g.poiEnt[i]]; len(e.comms) == 1 {
		r.UnitGrid, r.Community = e.grid, e.comms[0]
	}
	return r
}

func cmpF64(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compass names the eight directions, starting east and turning
// anticlockwise.
var compass = [8]string{"东", "东北", "北", "西北", "西", "西南", "南", "东南"}

// describe writes "<place><direction>约<d>米", the position of p from a
// place at ref, or just the place when p is within 5 m of it.
func describe(place string, ref, p orb.Point, d float64) string {
	if d < 5 {
		return place
	}
	dx := (p[0] - ref[0]) * math.Cos(ref[1]*math.Pi/180)
	dy := p[1] - ref[1]
	a := math.Atan2(dy, dx) // anticlockwise from east
	k := int(math.Floor(a/(math.Pi/4)+0.5)+8) % 8
	return place + compass[k] + "约" + strconv.Itoa(int(math.Round(d))) + "米"
}
