package api

import (
	"context"
	"net/http"
	"time"

	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/editing"
	"citygrid/api/maps"
	"citygrid/api/ogc"
	"citygrid/data"
	"citygrid/spatial"
	"citygrid/spatial/features"

	"github.com/go-chi/chi/v5"
)

// mountOGC serves the OGC APIs (package api/ogc) at /ogc over the running
// city: its live index, its tiles through the map routes' tile writer,
// and, when the store edits, Part 4 writes through the editing service's
// committer with the surveyor role, and as_of reads from its history.
func mountOGC(r chi.Router, c *city.City, commit editing.Committer) {
	cfg := ogc.Config{
		Index: func() *spatial.Index { return c.Index },
		Tiles: c.Tiles.Provider,
		ServeTile: func(w http.ResponseWriter, r *http.Request, z, x, y int) {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			maps.WriteTile(w, r, c.Tiles.Provider(), z, x, y)
		},
		// The write routes are there whatever the store, as the
		// components API's are: without an editor they answer 503.
		Edit:    commit,
		Writers: auth.Require(data.RoleSurveyor),
		CanWrite: func(r *http.Request) bool {
			role := auth.PrincipalOf(r).Role
			return role == data.RoleSurveyor || role == data.RoleAdmin
		},
	}
	ed, ok := c.Store.(data.Editor)
	cfg.ReadOnly = !ok
	if ok {
		grids, _ := c.Store.(data.UnitGridHistory)
		cfg.AsOf = func(ctx context.Context, layer string, t time.Time) (features.History, error) {
			var h features.History
			var err error
			switch {
			case layer == "components":
				h.Components, err = ed.ComponentsAsOf(ctx, t)
			case layer == "unit_grids" && grids != nil:
				h.UnitGrids, err = grids.UnitGridsAsOf(ctx, t)
			default:
				err = features.ErrNoHistory
			}
			return h, err
		}
	}
	r.Mount("/ogc", ogc.New(cfg).Handler())
}
