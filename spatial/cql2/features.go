package cql2

import (
	"citygrid/data"
)

// GeometryProperty is the name of the queryable holding a feature's
// geometry in citygrid's collections.
const GeometryProperty = "geometry"

// ComponentQueryables are the queryables of the components collection.
var ComponentQueryables = Queryables{
	"code": TypeString, "category": TypeString, "name": TypeString, "department": TypeString,
	"owner": TypeString, "maintainer": TypeString, "status": TypeString, "unit_grid": TypeString,
	"survey_date": TypeDate, "changed_at": TypeTimestamp, "version": TypeInteger, "note": TypeString,
	GeometryProperty: TypeGeometry,
}

// UnitGridQueryables are the queryables of the unit grids collection.
var UnitGridQueryables = Queryables{
	"code": TypeString, "community": TypeString, "area_m2": TypeNumber, GeometryProperty: TypeGeometry,
}

// Component is a component as a filterable feature. Optional text fields
// left empty read as NULL, as the OGC items answer them.
type Component struct{ C *data.Component }

// Property answers a queryable of ComponentQueryables.
func (f Component) Property(name string) any {
	c := f.C
	switch name {
	case "code":
		return c.Code
	case "category":
		return c.Category
	case "name":
		return optional(c.Name)
	case "department":
		return optional(c.Department)
	case "owner":
		return optional(c.Owner)
	case "maintainer":
		return optional(c.Maintainer)
	case "status":
		return string(c.Status)
	case "unit_grid":
		return optional(c.UnitGrid)
	case "survey_date":
		if c.SurveyDate.IsZero() {
			return nil
		}
		return Time{T: c.SurveyDate, Date: true}
	case "changed_at":
		return c.ChangedAt
	case "version":
		return c.Version
	case "note":
		return optional(c.Note)
	case GeometryProperty:
		return c.Geometry
	}
	return nil
}

// UnitGrid is a unit grid as a filterable feature.
type UnitGrid struct{ G *data.UnitGrid }

// Property answers a queryable of UnitGridQueryables.
func (f UnitGrid) Property(name string) any {
	switch name {
	case "code":
		return f.G.Code
	case "community":
		return f.G.Community
	case "area_m2":
		return f.G.AreaM2
	case GeometryProperty:
		return f.G.Geometry
	}
	return nil
}

func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}
