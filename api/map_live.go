package api

import (
	"fmt"

	"citygrid/data"
)

// applyChanges replays committed changes on the index (applyIndex) and
// brings the tiles along. First version: the tileset is rebuilt, which
// drops every cached tile and moves the data version on; the incremental
// invalidation of only the touched tiles replaces it.
func (m *mapService) applyChanges(changes []data.Change, applyIndex func([]data.Change) error) error {
	err := applyIndex(changes)
	if rerr := m.reload(); rerr != nil {
		return fmt.Errorf("live tiles: %w", rerr)
	}
	return err
}
