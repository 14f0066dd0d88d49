package data

import (
	"context"
	"time"

	"github.com/paulmach/orb"
)

// Store persists a city. The embedded implementation is a GeoPackage
// (data/gpkg); the interface is kept narrow so that a PostgreSQL/PostGIS
// implementation can stand beside it. The in-memory indexes of package
// spatial are rebuilt from Load at start-up, so a Store serves whole layers
// rather than spatial queries.
type Store interface {
	// Load reads the whole city.
	Load(ctx context.Context) (*Dataset, error)
	// Insert adds every feature of ds in one transaction: either all of
	// them are stored or none is. A code that is already stored fails the
	// whole insert with an error wrapping ErrConflict.
	Insert(ctx context.Context, ds *Dataset) error
	// Component reads one component by code, or fails with ErrNotFound.
	Component(ctx context.Context, code string) (Component, error)
	// Meta reads a metadata value ("" when unset); SetMeta writes one.
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error
	// Close releases the store.
	Close() error
}

// Editor is the editing side of a store (surveyor updates, 普查更新): single
// component writes with optimistic concurrency, history and as-of reads,
// unit-grid split and merge, and survey changesets. Every write runs in one
// transaction together with its history rows and returns the Changes it
// committed, in order, for the live indexes to replay.
//
// An expected version other than AnyVersion that is not the stored one
// fails with a *PreconditionError (wrapping ErrPrecondition); invalid input
// fails with ValidationErrors naming the field; nothing is written then.
type Editor interface {
	// CreateComponent stores a new component at version 1 (or one past
	// the last version the code ever had, when a deleted code comes
	// back). An empty Code is assigned the next free sequence of its
	// county and category; an empty UnitGrid the grid containing it.
	CreateComponent(ctx context.Context, c Component, m EditMeta) ([]Change, error)
	// UpdateComponent replaces the stored component c.Code.
	UpdateComponent(ctx context.Context, c Component, expected int64, m EditMeta) ([]Change, error)
	// PatchComponent reads the component, lets patch change it and
	// stores the result, all in one transaction.
	PatchComponent(ctx context.Context, code string, expected int64, patch func(*Component) error, m EditMeta) ([]Change, error)
	// DeleteComponent removes a component; its history stays.
	DeleteComponent(ctx context.Context, code string, expected int64, m EditMeta) ([]Change, error)

	// History lists the changes of one feature of a layer, oldest first.
	History(ctx context.Context, layer, code string) ([]HistoryEntry, error)
	// ScanComponents hands the stored components with codes after after
	// (and, when not empty, of unitGrid and category) to fn in code order
	// until fn returns false.
	ScanComponents(ctx context.Context, after, unitGrid, category string, fn func(*Component) bool) error
	// ComponentsAsOf reads the component layer as it was at t.
	ComponentsAsOf(ctx context.Context, t time.Time) ([]Component, error)
	// ComponentAsOf reads one component as it was at t (ErrNotFound when it
	// did not exist then).
	ComponentAsOf(ctx context.Context, code string, t time.Time) (Component, error)

	// SplitUnitGrid replaces a unit grid by the given parts (new codes in
	// GB/T 30428.1 order) and re-attributes its components.
	SplitUnitGrid(ctx context.Context, code string, parts []orb.MultiPolygon, m EditMeta) ([]Change, error)
	// MergeUnitGrids replaces grids of one community by their union (the
	// lowest code is kept) and re-attributes their components.
	MergeUnitGrids(ctx context.Context, codes []string, m EditMeta) ([]Change, error)

	// PlanChangeset checks a survey batch against the store without writing.
	PlanChangeset(ctx context.Context, cs *Changeset) (*ChangesetReport, error)
	// ApplyChangeset applies a batch atomically: everything or, when the
	// plan finds a conflict or an invalid feature, nothing (the error then
	// wraps ErrConflict or is ValidationErrors, and the report says why).
	ApplyChangeset(ctx context.Context, cs *Changeset, m EditMeta) (*ChangesetReport, []Change, error)
	// SaveChangeset stores an uploaded batch under a new ID (set in cs.ID)
	// for a later apply.
	SaveChangeset(ctx context.Context, cs *Changeset, m EditMeta) error
	// LoadChangeset reads a stored batch and its status ("pending",
	// "applied"), or fails with ErrNotFound.
	LoadChangeset(ctx context.Context, id string) (*Changeset, string, error)
}

// ChangeLog is the ordered log of a store's committed changes. Replicas
// sharing one store follow it: each applies the changes after the last
// Seq it has seen to its in-memory indexes and tile caches, and a replica
// that was down catches up from it instead of reloading everything.
type ChangeLog interface {
	// LastChangeSeq is the Seq of the newest committed change (0: none).
	LastChangeSeq(ctx context.Context) (int64, error)
	// ChangesSince returns at most limit committed changes with Seq >
	// after, in commit order (Seq order). When the log no longer holds
	// the change after+1 (it was pruned) it fails wrapping ErrGone, and
	// the follower must reload.
	ChangesSince(ctx context.Context, after int64, limit int) ([]Change, error)
}

// UnitGridHistory reads the unit-grid layer as it was at a past time, from
// the edit history kept by an Editor (splits and merges retire grids and
// create new ones).
type UnitGridHistory interface {
	// UnitGridsAsOf reads every unit grid as it was at t, in code order.
	UnitGridsAsOf(ctx context.Context, t time.Time) ([]UnitGrid, error)
	// UnitGridAsOf reads one unit grid as it was at t (ErrNotFound when
	// it did not exist then).
	UnitGridAsOf(ctx context.Context, code string, t time.Time) (UnitGrid, error)
}
