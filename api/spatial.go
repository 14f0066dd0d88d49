package api

import (
	"net/http"

	"citygrid/data"
	"citygrid/spatial"

	"github.com/go-chi/chi/v5"
)

// spatialService serves the lookups of package spatial under /api/v1.
type spatialService struct {
	ix       *spatial.Index
	store    data.Store
	maxBatch int
}

func (s *spatialService) mount(r chi.Router) {}

var _ = http.StatusOK
