package geoio

import (
	"fmt"
	"sort"
	"strings"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"citygrid/data"
	"citygrid/data/topology"
)

// GeometryOptions says what import does with invalid geometry and with
// polygons of one layer that overlap or leave gaps.
type GeometryOptions struct {
	// MakeValid repairs invalid polygons to their shell-minus-holes
	// reading (see package topology) and drops zero-length parts of lines,
	// instead of refusing the file. Each repair is listed as a warning.
	MakeValid bool
	// AllowOverlaps accepts overlaps and gaps within a layer that must
	// partition its parent; they are then listed as warnings.
	AllowOverlaps bool
}

// MinOverlapM2 is the smallest overlap or gap import reports, in square
// metres: a 10 cm square. Rounding leaves slivers of 1e-10 m² where two
// files share a boundary; anything from a 10 cm shift along a few metres of
// boundary upwards is real digitising and is listed.
const MinOverlapM2 = 0.01

// polygonFeature is one polygon of the batch, wherever it is kept.
type polygonFeature struct {
	layer string // the validate layer, for origin
	index int
	get   func() orb.MultiPolygon
	set   func(orb.MultiPolygon)
}

// polygons lists the polygon features of the batch.
func (b *Batch) polygons() []polygonFeature {
	ds := b.Dataset
	var out []polygonFeature
	for i := range ds.AdminUnits {
		u := &ds.AdminUnits[i]
		out = append(out, polygonFeature{"admin_units", i, func() orb.MultiPolygon { return u.Geometry }, func(g orb.MultiPolygon) { u.Geometry = g }})
	}
	for i := range ds.UnitGrids {
		g := &ds.UnitGrids[i]
		out = append(out, polygonFeature{"unit_grids", i, func() orb.MultiPolygon { return g.Geometry }, func(mp orb.MultiPolygon) { g.Geometry = mp }})
	}
	for i := range ds.ManagementGrids {
		g := &ds.ManagementGrids[i]
		out = append(out, polygonFeature{"management_grids", i, func() orb.MultiPolygon { return g.Geometry }, func(mp orb.MultiPolygon) { g.Geometry = mp }})
	}
	for i := range ds.Components {
		c := &ds.Components[i]
		switch g := c.Geometry.(type) {
		case orb.Polygon:
			out = append(out, polygonFeature{"components", i, func() orb.MultiPolygon { return orb.MultiPolygon{g} }, func(mp orb.MultiPolygon) {
				if len(mp) == 1 {
					c.Geometry = mp[0]
				} else {
					c.Geometry = mp
				}
			}})
		case orb.MultiPolygon:
			out = append(out, polygonFeature{"components", i, func() orb.MultiPolygon { return g }, func(mp orb.MultiPolygon) { c.Geometry = mp }})
		}
	}
	return out
}

func (b *Batch) whereOf(layer string, i int) string {
	if o := b.origin[layer]; i < len(o) {
		return o[i]
	}
	return fmt.Sprintf("%s[%d]", layer, i)
}

// closedRings reports whether every ring is closed with four points or
// more; the others are data.Validate's to report.
func closedRings(mp orb.MultiPolygon) bool {
	for _, p := range mp {
		if len(p) == 0 {
			return false
		}
		for _, r := range p {
			if len(r) < 4 || r[0] != r[len(r)-1] {
				return false
			}
		}
	}
	return len(mp) > 0
}

// SetGeometryOptions says how the batch treats invalid geometry and
// overlaps, for a batch read without Read (ReadGeoJSON, ReadGeoPackage).
// It must be called before Complete and Validate.
func (b *Batch) SetGeometryOptions(opt GeometryOptions) { b.geom = opt }

// prepareGeometry checks the validity of every polygon and line read, and
// repairs or reports what is invalid. It runs once, from whichever of
// Complete and Validate comes first, so that the unit grids a component is
// located in are already repaired.
func (b *Batch) prepareGeometry() {
	if b.prepared {
		return
	}
	b.prepared = true
	opt := b.geom
	for _, pf := range b.polygons() {
		mp := pf.get()
		if !closedRings(mp) {
			continue
		}
		probs := topology.Check(mp)
		if len(probs) == 0 {
			continue
		}
		where := b.whereOf(pf.layer, pf.index)
		var fixed orb.MultiPolygon
		if opt.MakeValid || noArea(probs) {
			fixed = topology.MakeValid(mp)
		}
		switch {
		case (opt.MakeValid || noArea(probs)) && len(fixed) == 0:
			b.errs = append(b.errs, &data.ValidationError{Where: where, Field: "geometry",
				Reason: fmt.Sprintf("encloses no area (%s): a zero-area polygon, nothing to import", describe(probs))})
			continue
		case !opt.MakeValid:
			b.errs = append(b.errs, &data.ValidationError{Where: where, Field: "geometry",
				Reason: fmt.Sprintf("is not a valid polygon: %s; repair it in a GIS or import with --make-valid", describe(probs))})
			continue
		}
		pf.set(fixed)
		if pf.layer == "unit_grids" && b.derived[where]["area_m2"] != "" {
			b.Dataset.UnitGrids[pf.index].AreaM2 = data.AreaM2(fixed)
		}
		b.Warnings = append(b.Warnings, fmt.Sprintf("%s: geometry repaired (--make-valid): %s", where, describe(probs)))
	}
	lines := func(layer string, i int, ml orb.MultiLineString, set func(orb.MultiLineString)) {
		var probs []topology.Problem
		for _, l := range ml {
			// Fewer than two points is data.Validate's to report.
			if p := topology.CheckLine(l); len(p) > 0 && p[0].Reason == topology.ZeroLength {
				probs = append(probs, p...)
			}
		}
		if len(probs) == 0 {
			return
		}
		where := b.whereOf(layer, i)
		fixed := dropZeroLength(ml)
		switch {
		case !opt.MakeValid:
			b.errs = append(b.errs, &data.ValidationError{Where: where, Field: "geometry",
				Reason: fmt.Sprintf("%s; GEOS finds nothing on such a line: remove it, or import with --make-valid to drop zero-length parts", describe(probs))})
		case len(fixed) == 0:
			b.errs = append(b.errs, &data.ValidationError{Where: where, Field: "geometry",
				Reason: fmt.Sprintf("%s: the whole line has zero length; if it marks a place, store it as a point", describe(probs))})
		default:
			set(fixed)
			b.Warnings = append(b.Warnings, fmt.Sprintf("%s: geometry repaired (--make-valid): dropped %s", where, describe(probs)))
		}
	}
	for i := range b.Dataset.Roads {
		r := &b.Dataset.Roads[i]
		lines("roads", i, r.Geometry, func(ml orb.MultiLineString) { r.Geometry = ml })
	}
	for i := range b.Dataset.Components {
		c := &b.Dataset.Components[i]
		switch g := c.Geometry.(type) {
		case orb.LineString:
			lines("components", i, orb.MultiLineString{g}, func(ml orb.MultiLineString) { c.Geometry = ml[0] })
		case orb.MultiLineString:
			lines("components", i, g, func(ml orb.MultiLineString) { c.Geometry = ml })
		}
	}
}

// dropZeroLength drops the lines of a multiline whose points all coincide,
// and repeated points of the others.
func dropZeroLength(ml orb.MultiLineString) orb.MultiLineString {
	var out orb.MultiLineString
	for _, l := range ml {
		var k orb.LineString
		for _, p := range l {
			if len(k) == 0 || k[len(k)-1] != p {
				k = append(k, p)
			}
		}
		if len(k) >= 2 {
			out = append(out, k)
		}
	}
	return out
}

// noArea reports whether every problem is a ring without area, which no
// repair can give any.
func noArea(probs []topology.Problem) bool {
	for _, p := range probs {
		if p.Reason != topology.ZeroArea && p.Reason != topology.TooFewPoints {
			return false
		}
	}
	return true
}

func describe(probs []topology.Problem) string {
	const shown = 3
	parts := make([]string, 0, shown+1)
	for i, p := range probs {
		if i == shown {
			parts = append(parts, fmt.Sprintf("and %d more", len(probs)-shown))
			break
		}
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "; ")
}

// partitionLayer is a polygon layer whose features must not overlap, and
// that must cover its parents without gaps.
type partitionLayer struct {
	name   string // as users say it
	parent string // the parent's kind, "" when there is none
	// features of the layer, stored and read; the read ones have where.
	items []partitionItem
	// parents by code.
	parents map[string]orb.MultiPolygon
}

type partitionItem struct {
	code, parent string
	geom         orb.MultiPolygon
	where        string // "" for a stored feature
}

// partitionLayers gathers, from the city and the batch, the layers that
// partition their parents: districts, streets in districts, communities in
// streets, unit grids in communities.
func (b *Batch) partitionLayers(city *data.Dataset) []*partitionLayer {
	admin := func(level data.AdminLevel) map[string]orb.MultiPolygon {
		m := map[string]orb.MultiPolygon{}
		for _, d := range []*data.Dataset{city, b.Dataset} {
			for _, u := range d.AdminUnits {
				if u.Level == level {
					m[u.Code] = u.Geometry
				}
			}
		}
		return m
	}
	levels := []struct {
		level        data.AdminLevel
		name, parent string
		parentLevel  data.AdminLevel
	}{
		{data.LevelDistrict, "district", "", ""},
		{data.LevelStreet, "street", "district", data.LevelDistrict},
		{data.LevelCommunity, "community", "street", data.LevelStreet},
	}
	var out []*partitionLayer
	for _, lv := range levels {
		pl := &partitionLayer{name: lv.name, parent: lv.parent}
		if lv.parent != "" {
			pl.parents = admin(lv.parentLevel)
		}
		for _, u := range city.AdminUnits {
			if u.Level == lv.level {
				pl.items = append(pl.items, partitionItem{u.Code, u.Parent, u.Geometry, ""})
			}
		}
		for i, u := range b.Dataset.AdminUnits {
			if u.Level == lv.level {
				pl.items = append(pl.items, partitionItem{u.Code, u.Parent, u.Geometry, b.whereOf("admin_units", i)})
			}
		}
		out = append(out, pl)
	}
	grids := &partitionLayer{name: "unit grid", parent: "community", parents: admin(data.LevelCommunity)}
	for _, g := range city.UnitGrids {
		grids.items = append(grids.items, partitionItem{g.Code, g.Community, g.Geometry, ""})
	}
	for i, g := range b.Dataset.UnitGrids {
		grids.items = append(grids.items, partitionItem{g.Code, g.Community, g.Geometry, b.whereOf("unit_grids", i)})
	}
	return append(out, grids)
}

// checkPartitions lists the overlaps between polygons of one layer that
// involve a feature of the batch, the parts of the batch's features outside
// their parents, and the gaps they leave in their parents, with their
// areas. Overlaps and parts outside the parent are errors unless
// AllowOverlaps is set, and then warnings: they make "the lowest code wins" decide where
// the survey meant one answer. Gaps are always warnings: a point in a gap
// has no grid, which the answers say plainly, and a city imported one
// street at a time has gaps until its last file is in.
func (b *Batch) checkPartitions(city *data.Dataset) data.ValidationErrors {
	if city == nil {
		city = &data.Dataset{}
	}
	var errs data.ValidationErrors
	report := func(where, reason string, gap bool) {
		switch {
		case gap:
			b.Warnings = append(b.Warnings, fmt.Sprintf("%s: geometry: %s", where, reason))
			return
		case b.geom.AllowOverlaps:
			b.Warnings = append(b.Warnings, fmt.Sprintf("%s: geometry: %s (accepted with --allow-overlaps)", where, reason))
			return
		}
		errs = append(errs, &data.ValidationError{Where: where, Field: "geometry", Reason: reason + "; fix the boundaries, or import with --allow-overlaps"})
	}
	for _, pl := range b.partitionLayers(city) {
		if len(pl.items) < 2 && pl.parent == "" {
			continue
		}
		var tr rtree.RTreeG[int]
		for i, it := range pl.items {
			if len(it.geom) > 0 {
				bd := it.geom.Bound()
				tr.Insert(bd.Min, bd.Max, i)
			}
		}
		touched := map[string]bool{}
		for i, it := range pl.items {
			if it.where == "" || len(it.geom) == 0 {
				continue
			}
			touched[it.parent] = true
			bd := it.geom.Bound()
			tr.Search(bd.Min, bd.Max, func(_, _ [2]float64, j int) bool {
				other := pl.items[j]
				// Each pair once: a read feature against the stored ones and
				// the read ones after it.
				if j == i || (other.where != "" && j < i) {
					return true
				}
				common := topology.Intersection(it.geom, other.geom)
				area := data.AreaM2(common)
				if area < MinOverlapM2 {
					return true
				}
				whom := "stored " + pl.name + " " + other.code
				if other.where != "" {
					whom = other.where
				}
				report(it.where, fmt.Sprintf("overlaps %s by %.2f m² around %v; %ss must not overlap", whom, area, anchor(common), pl.name), false)
				return true
			})
		}
		if pl.parent == "" {
			continue
		}
		// A feature reaching out of its parent: two sources that do not
		// register (a grid file 0.001° off the stored communities), or a
		// child under the wrong parent.
		for _, it := range pl.items {
			parent := pl.parents[it.parent]
			if it.where == "" || len(it.geom) == 0 || len(parent) == 0 {
				continue
			}
			out := topology.Gaps(it.geom, []orb.MultiPolygon{parent})
			if area := data.AreaM2(out); area >= MinOverlapM2 {
				report(it.where, fmt.Sprintf("reaches %.2f m² outside its %s %s around %v; %ss must lie within their %s", area, pl.parent, it.parent, anchor(out), pl.name, pl.parent), false)
			}
		}
		codes := make([]string, 0, len(touched))
		for c := range touched {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		for _, code := range codes {
			parent := pl.parents[code]
			if len(parent) == 0 {
				continue
			}
			var kids []orb.MultiPolygon
			first := ""
			for _, it := range pl.items {
				if it.parent == code && len(it.geom) > 0 {
					kids = append(kids, it.geom)
					if first == "" && it.where != "" {
						first = it.where
					}
				}
			}
			gap := topology.Gaps(parent, kids)
			for _, part := range gap {
				piece := orb.MultiPolygon{part}
				if area := data.AreaM2(piece); area >= MinOverlapM2 {
					report(first, fmt.Sprintf("%s %s is not covered by its %ss: a gap of %.2f m² around %v (a gap may also be a %s of the %s not yet imported)",
						pl.parent, code, pl.name, area, anchor(piece), pl.name, pl.parent), true)
				}
			}
		}
	}
	return errs
}

// anchor is a point of a built polygon to find it by: its first vertex,
// rounded to about 1 cm.
func anchor(mp orb.MultiPolygon) string {
	if len(mp) == 0 || len(mp[0]) == 0 || len(mp[0][0]) == 0 {
		return "?"
	}
	p := mp[0][0][0]
	return fmt.Sprintf("(%.7f, %.7f)", p[0], p[1])
}
