package data

import (
	"sort"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// EditReference is what component edits are checked against: a city's
// reference layers (categories, departments, districts, unit grids). A
// store reads it once and reuses it until an import or a grid edit changes
// those layers. It is safe for concurrent use.
type EditReference struct {
	checker   *ComponentChecker
	grids     []UnitGrid // sorted by code
	bounds    []orb.Bound
	districts []string
}

// NewEditReference builds the reference of city (its components are not
// used).
func NewEditReference(city *Dataset) *EditReference {
	r := &EditReference{checker: NewComponentChecker(city)}
	r.grids = append([]UnitGrid(nil), city.UnitGrids...)
	sort.Slice(r.grids, func(i, j int) bool { return r.grids[i].Code < r.grids[j].Code })
	r.bounds = make([]orb.Bound, len(r.grids))
	for i := range r.grids {
		r.bounds[i] = r.grids[i].Geometry.Bound()
	}
	for _, u := range city.AdminUnits {
		if u.Level == LevelDistrict {
			r.districts = append(r.districts, u.Code)
		}
	}
	return r
}

// GridAt is the lowest-coded unit grid containing p and not in except, ""
// when none does.
func (r *EditReference) GridAt(p orb.Point, except map[string]bool) string {
	for i := range r.grids {
		if g := &r.grids[i]; !except[g.Code] && r.bounds[i].Contains(p) && planar.MultiPolygonContains(g.Geometry, p) {
			return g.Code
		}
	}
	return ""
}

// Prepare derives what a store owns of a component about to be written —
// its unit grid (from the geometry), its code when empty (nextCode gives
// the next free one of a county and category) and its change time at —
// and checks it; where names it in errors.
func (r *EditReference) Prepare(c *Component, where string, at time.Time, nextCode func(county, category string) (string, error)) error {
	if len(r.grids) > 0 && c.Geometry != nil {
		if p, ok := Representative(c.Geometry); ok {
			c.UnitGrid = r.GridAt(p, nil)
		}
	}
	if c.Code == "" && c.Category != "" {
		county := ""
		switch {
		case len(c.UnitGrid) >= 6:
			county = c.UnitGrid[:6]
		case len(r.districts) == 1:
			county = r.districts[0]
		}
		if county == "" {
			return ValidationErrors{{Where: where, Field: "code", Reason: "is missing and no unit grid contains the geometry to derive the county from"}}
		}
		code, err := nextCode(county, c.Category)
		if err != nil {
			return err
		}
		c.Code = code
	}
	c.ChangedAt = at
	errs := r.checker.Check([]Component{*c}, func(int) string { return where })
	if len(r.grids) > 0 && c.UnitGrid == "" && c.Geometry != nil && len(errs) == 0 {
		errs = append(errs, &ValidationError{Where: where, Field: "geometry", Reason: "lies in no unit grid of the city"})
	}
	return errs.Err()
}
