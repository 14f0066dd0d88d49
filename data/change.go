package data

import "time"

// ChangeOp is what a change did to a feature.
type ChangeOp string

// Change operations.
const (
	OpInsert ChangeOp = "insert"
	OpUpdate ChangeOp = "update"
	OpDelete ChangeOp = "delete"
)

// Change is one committed change to a stored feature, as the store reports
// it after a successful write. The live in-memory indexes and the tile
// caches apply Changes to follow the store without a reload; a unit-grid
// split or merge is several Changes (deletes of the old grids, inserts of
// the new ones, updates of the re-attributed components).
//
// Exactly one of the Before/After pairs is used, by Layer. Before is nil for
// an insert, After is nil for a delete.
type Change struct {
	Layer   string // "components", "unit_grids"
	Op      ChangeOp
	Code    string
	Version int64 // version after the change (the deleted version for deletes)
	At      time.Time
	User    string
	Reason  string

	BeforeComponent, AfterComponent *Component
	BeforeUnitGrid, AfterUnitGrid   *UnitGrid

	// Seq is the change's place in the store's ChangeLog: strictly
	// increasing in commit order. 0 when the store keeps no log.
	Seq int64
}
