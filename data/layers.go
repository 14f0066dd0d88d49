package data

// The layer names of a city, one vocabulary for every package: the
// store's tables, the Layer of a Change, the import and export layers and
// the city tileset's layers.
const (
	LayerDistricts       = "districts"
	LayerStreets         = "streets"
	LayerCommunities     = "communities"
	LayerUnitGrids       = "unit_grids"
	LayerManagementGrids = "management_grids"
	LayerComponents      = "components"
	LayerRoads           = "roads"
	LayerAddresses       = "addresses"
	LayerPOIs            = "pois"
	LayerDepartments     = "departments"
	LayerCategories      = "categories"
	LayerRules           = "rules"
)
