package spatial

import (
	"errors"
	"fmt"
	"math"

	"citygrid/data"
	"citygrid/spatial/crs"

	"github.com/paulmach/orb"
)

// ErrOutside is returned (wrapped) by Locate when no unit grid covers the
// point. It wraps data.ErrNotFound, so the API answers 404 — with the
// Location, which still names the nearest unit grid and its distance.
var ErrOutside = fmt.Errorf("point is outside the city: %w", data.ErrNotFound)

// UnitGridRef names a unit grid in an answer.
type UnitGridRef struct {
	Code      string  `json:"code"`
	Community string  `json:"community,omitempty"`
	AreaM2    float64 `json:"area_m2,omitempty"`
}

// AdminRef names an administrative unit in an answer.
type AdminRef struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
}

// ManagementGridRef names a management grid and its responsible unit.
type ManagementGridRef struct {
	Kind string `json:"kind"`
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
	Unit string `json:"unit,omitempty"`
}

// NearestGrid is the unit grid closest to a point outside the city.
type NearestGrid struct {
	Code string `json:"code"`
	// DistanceM is the great-circle distance in metres from the point to
	// the grid's boundary.
	DistanceM float64 `json:"distance_m"`
}

// Location answers "where is this point": the unit grid, community, street,
// district and management grids (one per kind) covering it. Absent parts
// are omitted from JSON; ManagementGrids is always an array.
type Location struct {
	// Point is the located point, in CRS.
	Point orb.Point `json:"point"`
	// CRS is the coordinate reference system of Point and of every other
	// coordinate in the answer.
	CRS crs.CRS `json:"crs"`
	// Covered reports whether a unit grid covers the point.
	Covered         bool                `json:"covered"`
	UnitGrid        UnitGridRef         `json:"unit_grid,omitzero"`
	Community       AdminRef            `json:"community,omitzero"`
	Street          AdminRef            `json:"street,omitzero"`
	District        AdminRef            `json:"district,omitzero"`
	ManagementGrids []ManagementGridRef `json:"management_grids"`
	// Nearest is set only when no unit grid covers the point.
	Nearest NearestGrid `json:"nearest_unit_grid,omitzero"`
}

// ToCRS converts the answer's coordinates from storage to c and records c.
func (l *Location) ToCRS(c crs.CRS) {
	l.Point = crs.FromStorage(c, l.Point)
	l.CRS = c
}

// CheckPoint validates a lon/lat point: finite, longitude within ±180 and
// latitude within ±90. It returns a *data.ValidationError naming the field.
func CheckPoint(p orb.Point) error {
	if math.IsNaN(p[0]) || math.IsInf(p[0], 0) || p[0] < -180 || p[0] > 180 {
		return &data.ValidationError{Field: "lon", Reason: fmt.Sprintf("longitude %v is not within ±180", p[0])}
	}
	if math.IsNaN(p[1]) || math.IsInf(p[1], 0) || p[1] < -90 || p[1] > 90 {
		return &data.ValidationError{Field: "lat", Reason: fmt.Sprintf("latitude %v is not within ±90", p[1])}
	}
	return nil
}

// Locate finds the unit grid, community, street, district and management
// grids covering p (CGCS2000/WGS84 lon/lat).
//
// Boundaries count as covered, as PostGIS ST_Covers has it, and the tests
// are exact (no epsilon): a point on an edge or vertex shared by several
// polygons is covered by all of them. The tie-break is deterministic and the
// same in every layer: among the covering polygons the one with the lowest
// code (byte-wise string order) wins — for unit grids, communities, streets,
// districts, and for the management grids of each kind separately. Since a
// unit grid's code begins with its community's, on consistent data the
// community of the chosen unit grid is also the chosen community.
//
// For speed the community, street, district and management grids are
// first guessed from the unit grid (its community, that community's street,
// the management grid covering the unit grid) and accepted when the point is
// strictly inside the guess; boundary points are always searched. The
// shortcut is taken only for polygons that Build found to share no
// interior with another polygon of their layer, so the answer is the
// lowest-code one even where a layer overlaps (see Overlaps).
//
// When no unit grid covers p, Locate returns an error wrapping ErrOutside
// (and data.ErrNotFound) together with a Location that names the nearest
// unit grid and its distance. Invalid coordinates give a
// *data.ValidationError.
func (ix *Index) Locate(p orb.Point) (Location, error) {
	loc := Location{ManagementGrids: make([]ManagementGridRef, 0, ix.mgmtPerKind)}
	err := ix.LocateInto(p, &loc)
	return loc, err
}

// LocateInto is Locate writing into loc, reusing the capacity of
// loc.ManagementGrids; with enough capacity it does not allocate. It is the
// hot path of single and batch lookups.
func (ix *Index) LocateInto(p orb.Point, loc *Location) error {
	ix.live.rlock()
	defer ix.live.runlock()
	mg := loc.ManagementGrids[:0]
	*loc = Location{Point: p, CRS: crs.Default, ManagementGrids: mg}
	if err := CheckPoint(p); err != nil {
		return err
	}
	x, y := p[0], p[1]
	gi := ix.grids.covering(x, y)
	if gi >= 0 {
		g := &ix.ds.UnitGrids[ix.grids.ds[gi]]
		loc.Covered = true
		loc.UnitGrid = UnitGridRef{Code: g.Code, Community: g.Community, AreaM2: g.AreaM2}
	}
	// Community, street and district: follow the hints from the unit grid
	// up the hierarchy; a point strictly inside the hinted polygon is
	// covered by no other polygon of a non-overlapping layer, so the hint
	// is the answer. Anything else (no grid, a boundary point, a wrong
	// hint) falls back to the R-tree search with the lowest-code rule.
	var marks []int32 // this point's cell of the shared raster
	if r := ix.raster; r != nil && len(r.inside) > 0 && r.geom.covers(x, y) {
		cx, cy := r.geom.cellXY(x, y)
		base := (cy*r.geom.nx + cx) * r.stride
		marks = r.inside[base : base+r.stride]
	}
	mark := func(layer int) int32 {
		if layer < len(marks) {
			return marks[layer]
		}
		return -1
	}
	ci := ix.hinted(&ix.admin[2], mark(2), ix.gridComm, gi, x, y)
	si := ix.hinted(&ix.admin[1], mark(1), ix.commStreet, ci, x, y)
	di := ix.hinted(&ix.admin[0], mark(0), ix.streetDist, si, x, y)
	for li, i := range [3]int{di, si, ci} {
		if i >= 0 {
			u := &ix.ds.AdminUnits[ix.admin[li].ds[i]]
			dst := [3]*AdminRef{&loc.District, &loc.Street, &loc.Community}[li]
			*dst = AdminRef{Code: u.Code, Name: u.Name}
		}
	}
	for k, l := range ix.mgmtK {
		if i := ix.hinted(l, mark(3+k), ix.gridMgmtHint[k], gi, x, y); i >= 0 {
			g := &ix.ds.ManagementGrids[l.ds[i]]
			loc.ManagementGrids = append(loc.ManagementGrids, ManagementGridRef{Kind: g.Kind, Code: g.Code, Name: g.Name, Unit: g.Unit})
		}
	}
	if !loc.Covered {
		loc.Nearest = ix.nearestGrid(p)
		return ErrOutside
	}
	return nil
}

// hinted returns the item of layer l covering (x, y): mark, the item of the
// point's raster cell, when the cell is marked; else hints[from] when the
// point is strictly inside it; else the lowest-code covering item.
func (ix *Index) hinted(l *polyLayer, mark int32, hints []int32, from int, x, y float64) int {
	if mark >= 0 {
		return int(mark)
	}
	if from >= 0 && from < len(hints) {
		if h := hints[from]; h >= 0 && (l.shared == nil || !l.shared[h]) && l.prep[h].locate(x, y) == interior {
			return int(h)
		}
	}
	return l.covering(x, y)
}

// IsOutside reports whether err says a point lies outside the city.
func IsOutside(err error) bool { return errors.Is(err, ErrOutside) }
