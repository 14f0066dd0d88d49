package city

import (
	"fmt"
	"sync"
	"sync/atomic"

	"citygrid/spatial"
	"citygrid/spatial/geocode"
)

// Geocoder holds the city's address search (地理编码) over package
// spatial/geocode.
//
// The geocoder places door plates, POIs and admin names in unit grids when
// it is built, so unit-grid edits (split, merge, redraw) rebuild it: the
// live applier calls gridsChanged, then refresh before the edit's answer,
// and later requests use the new geocoder (read-your-writes). Component
// edits do not concern it: it indexes no components.
type Geocoder struct {
	ix   *spatial.Index
	opts []geocode.Option // every build's options: the city's vocabulary
	g    atomic.Pointer[geocode.Geocoder]

	want  atomic.Int64 // bumped by every applied unit-grid change
	mu    sync.Mutex   // one rebuild at a time
	built int64        // the want the current geocoder reflects, under mu
}

// NewGeocoder indexes the city's names once, over the dataset of the
// spatial index, which also gives the unit grids and the locate answers.
// opts (geocode.WithVocabulary) apply to this build and every rebuild.
func NewGeocoder(ix *spatial.Index, opts ...geocode.Option) (*Geocoder, error) {
	if ix == nil {
		return nil, fmt.Errorf("geocode: no spatial index")
	}
	g, err := geocode.BuildWithIndex(ix, opts...)
	if err != nil {
		return nil, fmt.Errorf("geocode: %w", err)
	}
	s := &Geocoder{ix: ix, opts: opts}
	s.g.Store(g)
	return s, nil
}

// Current is the geocoder requests use now.
func (s *Geocoder) Current() *geocode.Geocoder { return s.g.Load() }

// gridsChanged records that unit grids were edited (after the index has
// them); refresh then rebuilds.
func (s *Geocoder) gridsChanged() {
	if s != nil {
		s.want.Add(1)
	}
}

// refresh rebuilds the geocoder over the index when unit grids changed
// since it was built, and returns once requests use a geocoder that
// reflects every change recorded before the call. Concurrent callers share
// one rebuild. On failure the previous geocoder stays in use and the next
// refresh tries again.
func (s *Geocoder) refresh() error {
	if s == nil {
		return nil
	}
	target := s.want.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.built >= target {
		return nil
	}
	target = s.want.Load()
	g, err := geocode.BuildWithIndex(s.ix, s.opts...)
	if err != nil {
		return fmt.Errorf("geocode: rebuild after unit-grid edits: %w", err)
	}
	s.g.Store(g)
	s.built = target
	return nil
}
