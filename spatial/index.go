// Package spatial holds citygrid's in-memory indexes over a city and the
// lookups the dispatch engine relies on: locate, responsible, nearest and
// within.
package spatial

import "citygrid/data"

// Index is the in-memory spatial index over a whole city.
type Index struct {
	ds *data.Dataset
}

// Build indexes a city.
func Build(ds *data.Dataset) (*Index, error) { return &Index{ds: ds}, nil }
