// Package api is citygrid's HTTP layer: routes, thin handlers over the
// spatial, tiles and data packages, middleware, and the one function that
// maps domain errors to HTTP status codes.
package api

import (
	"log/slog"
	"net/http"

	"citygrid/data"
	"citygrid/spatial"

	"github.com/go-chi/chi/v5"
)

// Config is what the HTTP layer serves.
type Config struct {
	Store  data.Store
	Index  *spatial.Index
	Dir    string // data directory: citygrid.gpkg, citygrid.mbtiles, uploads
	Logger *slog.Logger
}

// New builds the HTTP handler of a citygrid server.
func New(cfg Config) (http.Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	ms, err := newMapService(cfg)
	if err != nil {
		return nil, err
	}
	ms.mount(r)
	return r, nil
}
