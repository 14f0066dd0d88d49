package api

import "github.com/go-chi/chi/v5"

// mapService serves tiles, TileJSON, styles and the map page.
type mapService struct{}

func newMapService(cfg Config) (*mapService, error) { return &mapService{}, nil }

func (m *mapService) mount(r chi.Router) {}
