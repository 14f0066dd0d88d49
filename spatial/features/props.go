package features

import (
	"time"

	"citygrid/data"
	"citygrid/spatial/cql2"
)

// GeometryProperty is the name of the queryable holding a feature's
// geometry in every collection.
const GeometryProperty = "geometry"

// optional reads an empty optional text field as NULL: citygrid stores
// no NULL strings, and the items answer such a field as null.
func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func optionalTime(t time.Time, date bool) any {
	if t.IsZero() {
		return nil
	}
	return cql2.Time{T: t, Date: date}
}

// componentQueryables are the queryables of the components collection.
var componentQueryables = cql2.Queryables{
	"code": cql2.TypeString, "category": cql2.TypeString, "name": cql2.TypeString, "department": cql2.TypeString,
	"owner": cql2.TypeString, "maintainer": cql2.TypeString, "status": cql2.TypeString, "unit_grid": cql2.TypeString,
	"survey_date": cql2.TypeDate, "changed_at": cql2.TypeTimestamp, "version": cql2.TypeInteger, "note": cql2.TypeString,
	GeometryProperty: cql2.TypeGeometry,
}

// Component is a component as a filterable feature.
type Component struct{ C *data.Component }

// Property answers a queryable of the components collection.
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
		return optionalTime(c.SurveyDate, true)
	case "changed_at":
		return optionalTime(c.ChangedAt, false)
	case "version":
		return c.Version
	case "note":
		return optional(c.Note)
	case GeometryProperty:
		return c.Geometry
	}
	return nil
}

// unitGridQueryables are the queryables of the unit grids collection.
var unitGridQueryables = cql2.Queryables{
	"code": cql2.TypeString, "community": cql2.TypeString, "area_m2": cql2.TypeNumber, GeometryProperty: cql2.TypeGeometry,
}

// UnitGrid is a unit grid as a filterable feature.
type UnitGrid struct{ G *data.UnitGrid }

// Property answers a queryable of the unit grids collection.
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

// adminQueryables are the queryables of the administrative levels.
var adminQueryables = cql2.Queryables{
	"code": cql2.TypeString, "name": cql2.TypeString, "parent": cql2.TypeString, GeometryProperty: cql2.TypeGeometry,
}

// AdminUnit is a district, street or community as a filterable feature.
type AdminUnit struct{ U *data.AdminUnit }

// Property answers a queryable of an administrative level.
func (f AdminUnit) Property(name string) any {
	switch name {
	case "code":
		return f.U.Code
	case "name":
		return f.U.Name
	case "parent":
		return optional(f.U.Parent)
	case GeometryProperty:
		return f.U.Geometry
	}
	return nil
}

// managementQueryables are the queryables of the management grids.
var managementQueryables = cql2.Queryables{
	"code": cql2.TypeString, "kind": cql2.TypeString, "name": cql2.TypeString, "unit": cql2.TypeString,
	GeometryProperty: cql2.TypeGeometry,
}

// ManagementGrid is a management grid as a filterable feature.
type ManagementGrid struct{ G *data.ManagementGrid }

// Property answers a queryable of the management grids.
func (f ManagementGrid) Property(name string) any {
	switch name {
	case "code":
		return f.G.Code
	case "kind":
		return f.G.Kind
	case "name":
		return optional(f.G.Name)
	case "unit":
		return optional(f.G.Unit)
	case GeometryProperty:
		return f.G.Geometry
	}
	return nil
}

// The items of a page are copied out of these wrappers (see feature).

func (f Component) item() Item { return componentItem(f.C) }

func (f UnitGrid) item() Item { return gridItem(f.G) }

func (f AdminUnit) item() Item { return adminItem(f.U) }

func (f ManagementGrid) item() Item { return managementItem(f.G) }
