package tiles

import (
	"citygrid/data"

	"github.com/paulmach/orb"
)

// Source is the spatial search a tileset draws its features from. It is
// exactly the search side of *spatial.Index, so the server passes its index
// and tests pass a brute-force fake. Every method hands out pointers into
// the dataset's slices and stops early when fn returns false.
type Source interface {
	AdminUnits(level data.AdminLevel, b orb.Bound, fn func(*data.AdminUnit) bool)
	UnitGrids(b orb.Bound, fn func(*data.UnitGrid) bool)
	// ManagementGrids searches one kind, or every kind when kind is "".
	ManagementGrids(kind string, b orb.Bound, fn func(*data.ManagementGrid) bool)
	ManagementGridKinds() []string
	Components(b orb.Bound, fn func(*data.Component) bool)
	Roads(b orb.Bound, fn func(*data.Road) bool)
	Addresses(b orb.Bound, fn func(*data.Address) bool)
	POIs(b orb.Bound, fn func(*data.POI) bool)
	Dataset() *data.Dataset
}
