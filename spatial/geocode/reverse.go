package geocode

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"citygrid/data"
	"citygrid/spatial"

	"github.com/paulmach/orb"
)

// metresPerDegree is the length of one degree of latitude on that sphere.
const metresPerDegree = data.EarthRadiusM * math.Pi / 180

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
// maps boxes to boxes, so grid-cell bounds are exact lower bounds in it.
type plane struct{ x, y, kx, ky float64 }

func newPlane(p orb.Point) plane {
	return plane{x: p[0], y: p[1], kx: metresPerDegree * math.Cos(p[1]*math.Pi/180), ky: metresPerDegree}
}

// boxDist2 is the squared distance to a lon/lat box.
func (pl plane) boxDist2(min, max [2]float64) float64 {
	var dx, dy float64
	if pl.x < min[0] {
		dx = (min[0] - pl.x) * pl.kx
	} else if pl.x > max[0] {
		dx = (pl.x - max[0]) * pl.kx
	}
	if pl.y < min[1] {
		dy = (min[1] - pl.y) * pl.ky
	} else if pl.y > max[1] {
		dy = (pl.y - max[1]) * pl.ky
	}
	return dx*dx + dy*dy
}

// segment returns the squared distance to segment ab and the closest point
// on it.
func (pl plane) segment(a, b orb.Point) (float64, orb.Point) {
	ax, ay := (a[0]-pl.x)*pl.kx, (a[1]-pl.y)*pl.ky
	bx, by := (b[0]-pl.x)*pl.kx, (b[1]-pl.y)*pl.ky
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
	}
	cx, cy := ax+t*dx, ay+t*dy
	return cx*cx + cy*cy, orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
}

// pointLayer is a set of points with their grid.
type pointLayer struct {
	pts  []orb.Point
	ids  []int32 // dataset index of each point
	grid cellGrid
}

func newPointLayer(pts []orb.Point, ids []int32) pointLayer {
	l := pointLayer{pts: pts, ids: ids}
	var b orb.Bound
	for i, p := range pts {
		if i == 0 {
			b = orb.Bound{Min: p, Max: p}
		}
		b = b.Extend(p)
	}
	l.grid = newCellGrid(b, len(pts), 2)
	l.grid.fill(len(pts), func(i int) orb.Bound { return orb.Bound{Min: pts[i], Max: pts[i]} })
	return l
}

type pointDist struct {
	pl  plane
	pts []orb.Point
}

func (d pointDist) dist2(id int32) float64 {
	p := d.pts[id]
	dx, dy := (p[0]-d.pl.x)*d.pl.kx, (p[1]-d.pl.y)*d.pl.ky
	return dx*dx + dy*dy
}

// nearest returns the dataset index of the point nearest the plane's
// origin, or -1.
func (l *pointLayer) nearest(pl plane) int32 {
	i, _ := nearestIn(&l.grid, pl, pointDist{pl, l.pts})
	if i < 0 {
		return -1
	}
	return l.ids[i]
}

// segment is one segment of a road's centre line.
type segment struct {
	a, b orb.Point
	road int32
}

type segDist struct {
	pl   plane
	segs []segment
}

func (d segDist) dist2(id int32) float64 {
	s := &d.segs[id]
	v, _ := d.pl.segment(s.a, s.b)
	return v
}

func (g *Geocoder) buildReverse() {
	ds := g.ds
	pts := make([]orb.Point, len(ds.Addresses))
	ids := make([]int32, len(ds.Addresses))
	for i := range ds.Addresses {
		pts[i], ids[i] = ds.Addresses[i].Point, int32(i)
	}
	g.addrLayer = newPointLayer(pts, ids)
	var ppts, mpts []orb.Point
	var pids, mids []int32
	for i := range ds.POIs {
		p := ds.POIs[i].Point
		ppts, pids = append(ppts, p), append(pids, int32(i))
		if ds.POIs[i].Landmark {
			mpts, mids = append(mpts, p), append(mids, int32(i))
		}
	}
	g.poiLayer = newPointLayer(ppts, pids)
	g.markLayer = newPointLayer(mpts, mids)
	var b orb.Bound
	g.roadSegs = make([][2]int32, len(ds.Roads))
	for ri := range ds.Roads {
		g.roadSegs[ri][0] = int32(len(g.segs))
		for _, ls := range ds.Roads[ri].Geometry {
			for i := 1; i < len(ls); i++ {
				sb := orb.Bound{Min: ls[i-1], Max: ls[i-1]}.Extend(ls[i])
				if len(g.segs) == 0 {
					b = sb
				}
				b = b.Union(sb)
				g.segs = append(g.segs, segment{ls[i-1], ls[i], int32(ri)})
			}
		}
		g.roadSegs[ri][1] = int32(len(g.segs))
	}
	g.segGrid = newCellGrid(b, len(g.segs), 1)
	g.segGrid.fill(len(g.segs), func(i int) orb.Bound {
		return orb.Bound{Min: g.segs[i].a, Max: g.segs[i].a}.Extend(g.segs[i].b)
	})
}

// nearestRoad finds the road segment nearest to p and the closest point on
// it.
func (g *Geocoder) nearestRoad(pl plane) (int32, orb.Point) {
	i, _ := nearestIn(&g.segGrid, pl, segDist{pl, g.segs})
	if i < 0 {
		return -1, orb.Point{}
	}
	s := &g.segs[i]
	_, foot := pl.segment(s.a, s.b)
	return s.road, foot
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
	if ai := g.addrLayer.nearest(pl); ai >= 0 {
		a := &g.ds.Addresses[ai]
		r := Result{Label: a.FullAddress, Level: LevelDoorPlate, Geometry: Point(a.Point), Code: a.Code, Road: a.Road, Number: a.Number, Community: g.plateComm[ai], UnitGrid: g.plateGrid[ai]}
		if r.Label == "" {
			r.Label = a.Number
		}
		d := data.HaversineM(p, a.Point)
		r.DistanceM = &d
		out.Description = describe(r.Label, a.Point, p, d)
		out.Results = append(out.Results, r)
	}
	if ri, foot := g.nearestRoad(pl); ri >= 0 {
		rd := &g.ds.Roads[ri]
		d := data.HaversineM(p, foot)
		out.Results = append(out.Results, Result{Label: rd.Name, Level: LevelRoad, Geometry: Point(foot), Code: rd.Code, Road: rd.Code, District: rd.District, DistanceM: &d})
		if out.Description == "" {
			out.Description = describe(rd.Name, foot, p, d)
		}
	}
	mark := g.markLayer.nearest(pl)
	if mark >= 0 {
		out.Results = append(out.Results, g.poiHit(mark, p))
	}
	if pi := g.poiLayer.nearest(pl); pi >= 0 && pi != mark {
		out.Results = append(out.Results, g.poiHit(pi, p))
	}
	slices.SortStableFunc(out.Results, func(a, b Result) int { return cmp.Compare(*a.DistanceM, *b.DistanceM) })
	for i := range out.Results {
		r := &out.Results[i]
		r.Score = math.Round(1e4*100/(100+*r.DistanceM)) / 1e4
		r.Precision = r.Level.precision()
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
	d := data.HaversineM(p, poi.Point)
	r := Result{Label: poi.Name, Level: lv, Geometry: Point(poi.Point), Code: poi.Code, DistanceM: &d}
	if e := &g.ents[g.poiEnt[i]]; len(e.comms) == 1 {
		r.UnitGrid, r.Community = e.grid, e.comms[0]
	}
	return r
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
