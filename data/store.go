package data

import "context"

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
