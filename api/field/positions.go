// Package field serves what the field app (城管通) needs beyond the case
// API: inspectors' 上班/下班 and position samples, the last positions and
// tracks the centre reads, and the app itself (a PWA built by Vite into
// api/field/dist) at /field/.
package field

import (
	"fmt"
	"net/http"
	"time"

	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/httpx"
	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/spatial"
	"citygrid/spatial/crs"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
)

// MaxBatch is the most position samples one upload may carry: a phone
// offline for a working day at one sample per 30 s sends ~1,000.
const MaxBatch = 5000

// maxClockSkew is how far in the future a sample's time may be (a phone's
// clock runs ahead).
const maxClockSkew = 5 * time.Minute

// readRoles read inspectors' positions: the 值班长, the leaders
// (viewer) and admins (always admitted).
var readRoles = []data.Role{data.RoleSupervisor, data.RoleViewer}

type service struct {
	c *city.City
}

// Mount adds the inspector routes and the app over the city c.
func Mount(r chi.Router, c *city.City) {
	s := &service{c: c}
	own := r.With(auth.Require(data.RoleInspector))
	own.Get("/api/v1/inspectors/me/duty", s.getDuty)
	own.Put("/api/v1/inspectors/me/duty", s.putDuty)
	own.Post("/api/v1/inspectors/me/positions", s.postPositions)
	read := r.With(auth.Require(readRoles...))
	read.Get("/api/v1/inspectors/positions", s.lastPositions)
	read.Get("/api/v1/inspectors/{user}/track", s.track)
	mountApp(r)
}

func (s *service) store(w http.ResponseWriter) (cases.FieldStore, bool) {
	f := s.c.Field()
	if f == nil {
		httpx.WriteError(w, city.ErrNoWorkflow)
	}
	return f, f != nil
}

// dutyBody is the body of PUT /api/v1/inspectors/me/duty.
type dutyBody struct {
	On *bool `json:"on_duty"`
	// At is when the inspector pressed the button (the phone may have
	// been offline); zero: now.
	At time.Time `json:"at"`
}

func (s *service) putDuty(w http.ResponseWriter, r *http.Request) {
	f, ok := s.store(w)
	if !ok {
		return
	}
	var in dutyBody
	if err := httpx.DecodeJSON(r, &in); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if in.On == nil {
		httpx.WriteError(w, httpx.BadRequest("on_duty", "required: true (上班) or false (下班)"))
		return
	}
	now := time.Now()
	if in.At.IsZero() {
		in.At = now
	}
	if in.At.After(now.Add(maxClockSkew)) || in.At.Before(now.Add(-city.ReplayRetention)) {
		httpx.WriteError(w, httpx.BadRequest("at", "within the last 48 hours"))
		return
	}
	user := auth.PrincipalOf(r).User
	if err := f.SetDuty(r.Context(), user, *in.On, in.At.UTC()); err != nil {
		httpx.WriteError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, cases.Duty{User: user, On: *in.On, Since: in.At.UTC()})
}

func (s *service) getDuty(w http.ResponseWriter, r *http.Request) {
	f, ok := s.store(w)
	if !ok {
		return
	}
	user := auth.PrincipalOf(r).User
	all, err := f.LastPositions(r.Context(), time.Now().Add(-24*time.Hour))
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	for _, l := range all {
		if l.User == user {
			httpx.WriteJSON(w, http.StatusOK, l)
			return
		}
	}
	httpx.WriteJSON(w, http.StatusOK, cases.LastPosition{Duty: cases.Duty{User: user}})
}

// positionsBody is the body of POST /api/v1/inspectors/me/positions.
type positionsBody struct {
	// CRS is the system of every sample: wgs84 (browsers' Geolocation),
	// gcj02 (Chinese map SDKs), bd09 or cgcs2000. Required: a phone app
	// must say which one it sends.
	CRS       string `json:"crs"`
	Positions []struct {
		Lon      *float64  `json:"lon"`
		Lat      *float64  `json:"lat"`
		At       time.Time `json:"at"`
		Accuracy float64   `json:"accuracy"`
	} `json:"positions"`
}

func (s *service) postPositions(w http.ResponseWriter, r *http.Request) {
	f, ok := s.store(w)
	if !ok {
		return
	}
	var in positionsBody
	if err := httpx.DecodeJSON(r, &in); err != nil {
		httpx.WriteError(w, err)
		return
	}
	if in.CRS == "" {
		httpx.WriteError(w, httpx.BadRequest("crs", "required: wgs84, gcj02, bd09 or cgcs2000"))
		return
	}
	c, err := crs.Parse(in.CRS)
	if err != nil {
		httpx.WriteError(w, httpx.BadRequest("crs", "unknown CRS "+httpx.Quote(in.CRS)+": want wgs84, gcj02, bd09 or cgcs2000"))
		return
	}
	if len(in.Positions) == 0 || len(in.Positions) > MaxBatch {
		httpx.WriteError(w, httpx.BadRequest("positions", fmt.Sprintf("1 to %d samples", MaxBatch)))
		return
	}
	user := auth.PrincipalOf(r).User
	now := time.Now()
	oldest := now.Add(-s.c.PositionRetention())
	ps := make([]cases.Position, 0, len(in.Positions))
	for i, p := range in.Positions {
		field := fmt.Sprintf("positions[%d]", i)
		if p.Lon == nil || p.Lat == nil {
			httpx.WriteError(w, httpx.BadRequest(field, "lon and lat are required"))
			return
		}
		if err := httpx.CheckLonLat(field+".lon", field+".lat", *p.Lon, *p.Lat); err != nil {
			httpx.WriteError(w, err)
			return
		}
		if p.At.IsZero() || p.At.After(now.Add(maxClockSkew)) || p.At.Before(oldest) {
			httpx.WriteError(w, httpx.BadRequest(field+".at", "an RFC 3339 time within the retention, not in the future"))
			return
		}
		if p.Accuracy < 0 {
			httpx.WriteError(w, httpx.BadRequest(field+".accuracy", "metres, not negative"))
			return
		}
		pt := crs.ToStorage(c, orb.Point{*p.Lon, *p.Lat})
		ps = append(ps, cases.Position{User: user, At: p.At.UTC().Truncate(time.Millisecond), Lon: pt[0], Lat: pt[1], Accuracy: p.Accuracy})
	}
	added, err := f.AddPositions(r.Context(), ps)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"received": len(ps), "added": added, "crs": crs.Default})
}

// inspectorView is one inspector on the centre's map: duty, newest
// position (storage CRS) and the unit grid it lies in.
type inspectorView struct {
	cases.LastPosition
	UnitGrid string `json:"unit_grid,omitempty"`
}

func (s *service) lastPositions(w http.ResponseWriter, r *http.Request) {
	f, ok := s.store(w)
	if !ok {
		return
	}
	since := time.Now().Add(-12 * time.Hour)
	if v := r.URL.Query().Get("since"); v != "" {
		var err error
		if since, err = httpx.ParseDay("since", v); err != nil {
			httpx.WriteError(w, err)
			return
		}
	}
	all, err := f.LastPositions(r.Context(), since)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	out := make([]inspectorView, len(all))
	for i, l := range all {
		out[i].LastPosition = l
		if l.Position != nil {
			out[i].UnitGrid = s.unitGrid(orb.Point{l.Position.Lon, l.Position.Lat})
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"crs": crs.Default, "since": since.UTC(), "inspectors": out})
}

// unitGrid is the code of the unit grid at p ("" outside every grid).
func (s *service) unitGrid(p orb.Point) string {
	loc, err := s.c.Index.Locate(p)
	if err != nil && !spatial.IsOutside(err) {
		return ""
	}
	return loc.UnitGrid.Code
}

func (s *service) track(w http.ResponseWriter, r *http.Request) {
	f, ok := s.store(w)
	if !ok {
		return
	}
	user := chi.URLParam(r, "user")
	day := time.Now().In(httpx.ChinaTime)
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, httpx.ChinaTime)
	if v := r.URL.Query().Get("date"); v != "" {
		var err error
		if from, err = httpx.ParseDay("date", v); err != nil {
			httpx.WriteError(w, err)
			return
		}
	}
	ps, err := f.Track(r.Context(), user, from, from.AddDate(0, 0, 1))
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"crs": crs.Default, "user": user, "date": from.Format("2006-01-02"), "positions": ps})
}
