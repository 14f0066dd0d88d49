// Package geoio imports and exports citygrid layers: GeoJSON
// FeatureCollections, GeoPackage tables (written by citygrid, ogr2ogr, QGIS
// or any conforming writer) and CSV files with lon/lat (or WKT) columns,
// read natively; Shapefiles, File Geodatabases, KML and files in a
// projected coordinate system, read through GDAL/OGR's ogr2ogr, which
// reprojects them to CGCS2000 longitude/latitude (EPSG:4490).
//
// Reading turns a file into a *data.Dataset for one layer, mapping the
// file's property names onto the layer's fields (Mapping), and checks each
// polygon's validity (repairing it on request, see GeometryOptions).
// Import then validates the whole batch against the stored city, overlaps
// within a layer included, and inserts it in one transaction: a file with
// any bad feature is rejected whole, with errors naming the feature (its
// number and code) or line and the file's field, and the store is not
// written to at all. Export writes any layer, or the whole city, as GeoJSON
// (RFC 7946) or as a GeoPackage.
package geoio

import (
	"citygrid/data"
	"fmt"
	"sort"
	"strings"
)

// Layer names a layer of a city; the names are the store's table names
// (the vocabulary of data.LayerComponents and the others).
type Layer string

// The layers.
const (
	Districts       Layer = data.LayerDistricts
	Streets         Layer = data.LayerStreets
	Communities     Layer = data.LayerCommunities
	UnitGrids       Layer = data.LayerUnitGrids
	ManagementGrids Layer = data.LayerManagementGrids
	Components      Layer = data.LayerComponents
	Roads           Layer = data.LayerRoads
	Addresses       Layer = data.LayerAddresses
	POIs            Layer = data.LayerPOIs
	Departments     Layer = data.LayerDepartments
	Categories      Layer = data.LayerCategories
	Rules           Layer = data.LayerRules
	// All is the whole city: GeoJSON features say their layer in a "layer"
	// property, a GeoPackage has one table per layer.
	All Layer = "all"
)

// Layers lists every layer in the order a city is built: a layer's
// references point to layers before it.
var Layers = []Layer{Districts, Streets, Communities, Departments, Categories, UnitGrids, ManagementGrids, Components, Roads, Addresses, POIs, Rules}

// ParseLayer checks a layer name.
func ParseLayer(s string) (Layer, error) {
	l := Layer(strings.ToLower(strings.TrimSpace(s)))
	if l == All {
		return l, nil
	}
	if _, ok := layerFields[l]; ok {
		return l, nil
	}
	names := make([]string, 0, len(Layers)+1)
	for _, l := range Layers {
		names = append(names, string(l))
	}
	return "", fmt.Errorf("unknown layer %q (one of %s, all)", s, strings.Join(names, ", "))
}

// Spatial reports whether the layer's features have a geometry.
func (l Layer) Spatial() bool {
	return l != Departments && l != Categories && l != Rules
}

// Fields lists the layer's field names: the store's column names and the
// property names of exports.
func (l Layer) Fields() []string { return layerFields[l] }

var layerFields = map[Layer][]string{
	Districts:       {"code", "name", "parent"},
	Streets:         {"code", "name", "parent"},
	Communities:     {"code", "name", "parent"},
	UnitGrids:       {"code", "community", "area_m2"},
	ManagementGrids: {"kind", "code", "name", "unit"},
	Components:      {"code", "category", "name", "department", "owner", "maintainer", "status", "unit_grid", "survey_date", "changed_at", "version", "note"},
	Roads:           {"code", "name", "district"},
	Addresses:       {"code", "road", "number", "full_address", "community"},
	POIs:            {"code", "name", "kind", "landmark"},
	Departments:     {"code", "name", "credit_code", "parent", "kind"},
	Categories:      {"scheme", "kind", "code", "name", "big", "big_name", "geometry", "department", "deadline_class"},
	Rules:           {"id", "category", "scope", "scope_ref", "unit", "priority", "note"},
}

// aliases are the other names a field goes by in files from the field:
// the CJ/T 214 abbreviations of deployed systems (ObjID, BGID, ...) and the
// GB/T 47678.5-2026 pinyin abbreviations (GLBJBSM, SZDYWGBSM, ...).
var aliases = map[Layer]map[string][]string{
	Components: {
		"code":        {"ObjID", "GLBJBSM"},
		"name":        {"ObjName", "GLBJMC"},
		"department":  {"DeptCode1", "ZGBMDM"},
		"owner":       {"DeptCode2", "QSDWDM"},
		"maintainer":  {"DeptCode3", "YHDWDM"},
		"unit_grid":   {"BGID", "SZDYWGBSM"},
		"status":      {"ObjState", "GLBJZT"},
		"survey_date": {"ORDate", "CSRQ"},
		"changed_at":  {"CHDate", "BGRQ"},
		"note":        {"Note", "BZ"},
	},
	UnitGrids: {"code": {"BGID"}},
}

// Mapping maps a layer's field names (dst) to the property or column names
// of a file (src). Fields it does not name are looked up under their own
// name, then under their known aliases.
type Mapping map[string]string

// ParseMapping reads "dst=src,dst=src" pairs, e.g. "code=ObjID,category=ObjCode".
func ParseMapping(s string) (Mapping, error) {
	m := Mapping{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		dst, src, ok := strings.Cut(pair, "=")
		dst, src = strings.TrimSpace(dst), strings.TrimSpace(src)
		if !ok || dst == "" || src == "" {
			return nil, fmt.Errorf("mapping %q: want dst=src", pair)
		}
		if _, dup := m[dst]; dup {
			return nil, fmt.Errorf("mapping names field %q twice", dst)
		}
		m[dst] = src
	}
	return m, nil
}

// check refuses mappings to fields the layer does not have.
func (m Mapping) check(l Layer) error {
	var bad []string
	for dst := range m {
		if dst == "layer" && l == All {
			continue
		}
		if !hasField(l, dst) {
			bad = append(bad, dst)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	fields := l.Fields()
	if l == All {
		return fmt.Errorf("mapping names %s, but a whole-city import maps no fields", strings.Join(bad, ", "))
	}
	return fmt.Errorf("layer %s has no field %s (fields: %s)", l, strings.Join(bad, ", "), strings.Join(fields, ", "))
}

func hasField(l Layer, f string) bool {
	for _, x := range layerFields[l] {
		if x == f {
			return true
		}
	}
	return false
}
