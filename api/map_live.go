package api

import (
	"citygrid/data"
)

// applyChanges replays committed changes on the index (applyIndex) and
// the tiles: the provider holds tile drawing still while both change, then
// drops the touched tiles from its cache and marks the baked ones for
// rewriting (see tiles.Provider.Apply). m.mu keeps a reload from building
// a tileset meanwhile.
func (m *mapService) applyChanges(changes []data.Change, applyIndex func([]data.Change) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := m.prov.Load().Apply(changes, applyIndex)
	return err
}
