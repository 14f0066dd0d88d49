package tiles

import "citygrid/data"

// Field is one attribute of a layer.
type Field struct {
	Name string
	// Type is the MBTiles type name: "String", "Number" or "Boolean".
	Type        string
	Description string
	// MinZoom is the first zoom whose features carry the attribute.
	MinZoom int
}

// VectorLayer describes one layer of the tileset.
type VectorLayer struct {
	ID          string
	Description string
	MinZoom     int
	MaxZoom     int
	Fields      []Field
}

// Layer names of the city tileset, in the order they are written to a tile
// (bottom to top as a style usually draws them).
const (
	LayerComponentClusters = "component_clusters"
	LayerLabels            = "labels"
)

// Zoom thresholds of the layers. Management grids of every kind share one
// layer with a kind attribute, because a city may define kinds of its own
// and a style filters on kind.
const (
	zoomStreets         = 10
	zoomCommunities     = 12
	zoomManagementGrids = 11
	zoomUnitGrids       = 14
	zoomRoads           = 10
	zoomAddresses       = 16
	zoomLandmarks       = 13
	zoomPOIs            = 15
	zoomLabelStreets    = 11
	zoomLabelComm       = 13
	zoomLabelMgmt       = 13
	zoomLabelUnitGrids  = 16
	zoomAreaAttr        = 16
	zoomComponentStatus = 15
	zoomComponentDetail = 17
	zoomAddressFull     = 17
)

func str(name, desc string, minZoom int) Field {
	return Field{Name: name, Type: "String", Description: desc, MinZoom: minZoom}
}

func num(name, desc string, minZoom int) Field {
	return Field{Name: name, Type: "Number", Description: desc, MinZoom: minZoom}
}

// vectorLayers lists the layers; componentMin is the lowest zoom at which
// any component is drawn on its own.
func vectorLayers(minZoom, maxZoom, componentMin int) []VectorLayer {
	clamp := func(z int) int {
		if z < minZoom {
			return minZoom
		}
		if z > maxZoom {
			return maxZoom
		}
		return z
	}
	return []VectorLayer{
		{ID: data.LayerDistricts, Description: "districts (区县)", MinZoom: minZoom, MaxZoom: maxZoom, Fields: []Field{
			str("code", "6-digit GB/T 2260 code", 0), str("name", "name", 0)}},
		{ID: data.LayerStreets, Description: "streets (街道)", MinZoom: clamp(zoomStreets), MaxZoom: maxZoom, Fields: []Field{
			str("code", "9-digit street code", 0), str("name", "name", 0), str("district", "district code", 0)}},
		{ID: data.LayerCommunities, Description: "communities (社区)", MinZoom: clamp(zoomCommunities), MaxZoom: maxZoom, Fields: []Field{
			str("code", "12-digit community code", 0), str("name", "name", 0), str("street", "street code", 0)}},
		{ID: data.LayerUnitGrids, Description: "unit grids (单元网格)", MinZoom: clamp(zoomUnitGrids), MaxZoom: maxZoom, Fields: []Field{
			str("code", "15-digit unit grid code", 0), str("community", "community code", 0),
			num("area_m2", "geodesic area in m² (from z16)", zoomAreaAttr)}},
		{ID: data.LayerManagementGrids, Description: "management grids of every kind (责任网格, 监督员工作网格, ...)", MinZoom: clamp(zoomManagementGrids), MaxZoom: maxZoom, Fields: []Field{
			str("kind", "grid kind: responsibility, inspector or a city-defined kind", 0), str("code", "grid code", 0),
			str("name", "name", 0), str("unit", "department code of the responsible unit", 0)}},
		{ID: data.LayerRoads, Description: "roads and lanes (街巷)", MinZoom: clamp(zoomRoads), MaxZoom: maxZoom, Fields: []Field{
			str("code", "road code", 0), str("name", "name", 0)}},
		{ID: data.LayerComponents, Description: "components (部件), each category from its own minimum zoom", MinZoom: clamp(componentMin), MaxZoom: maxZoom, Fields: []Field{
			str("code", "component code", 0), str("category", "category code (big + small class)", 0),
			str("big", "2-digit big class", 0), str("status", "intact, damaged, lost, occupied, disused, removed (from z15)", zoomComponentStatus),
			str("name", "name (z17)", zoomComponentDetail), str("department", "competent department code (z17)", zoomComponentDetail),
			str("unit_grid", "unit grid code (z17)", zoomComponentDetail)}},
		{ID: LayerComponentClusters, Description: "components below their category's minimum zoom, counted per big class in 32-pixel cells", MinZoom: minZoom, MaxZoom: clamp(maxZoom - 1), Fields: []Field{
			str("big", "2-digit big class", 0), str("big_name", "big class name", 0), num("count", "number of components", 0)}},
		{ID: data.LayerAddresses, Description: "door plates (门牌)", MinZoom: clamp(zoomAddresses), MaxZoom: maxZoom, Fields: []Field{
			str("code", "address code", 0), str("number", "door number", 0), str("road", "road code", 0),
			str("address", "full address (z17)", zoomAddressFull)}},
		{ID: data.LayerPOIs, Description: "landmarks (from z13) and points of interest (from z15)", MinZoom: clamp(zoomLandmarks), MaxZoom: maxZoom, Fields: []Field{
			str("code", "POI code", 0), str("name", "name", 0), str("kind", "school, hospital, park, ...", 0),
			{Name: "landmark", Type: "Boolean", Description: "true for landmarks (标志物)"}}},
		{ID: LayerLabels, Description: "label points of polygons, one per feature, always inside it", MinZoom: minZoom, MaxZoom: maxZoom, Fields: []Field{
			str("layer", "layer of the labelled polygon", 0), str("code", "code of the labelled polygon", 0),
			str("name", "name (the code for unit grids)", 0), str("kind", "management grid kind", 0)}},
	}
}
