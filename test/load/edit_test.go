package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

// fakeEditServer is a minimal citygrid for the edit mode: point
// components with versions and If-Match, z17 tiles drawing them, nearest
// and GET. Tiles of zooms below staleBelow draw every component where it
// was before the run (a server that forgot to invalidate them).
type fakeEditServer struct {
	mu         sync.Mutex
	pos        map[string]orb.Point
	orig       map[string]orb.Point
	version    map[string]int
	staleBelow int
	badTag     int // PATCHes with a wrong If-Match
}

func newFakeEditServer(n int) *fakeEditServer {
	f := &fakeEditServer{pos: map[string]orb.Point{}, orig: map[string]orb.Point{}, version: map[string]int{}}
	for i := range n {
		code := fmt.Sprintf("32011401010%05d", i)
		p := orb.Point{118.78 + float64(i)*0.0003, 31.99}
		f.pos[code], f.orig[code], f.version[code] = p, p, 1
	}
	return f
}

func (f *fakeEditServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := r.URL.Path
	switch {
	case path == "/tiles/city.json":
		fmt.Fprint(w, `{"tiles":["/tiles/city/{z}/{x}/{y}.mvt"],"bounds":[118.7,31.9,118.9,32.1],"maxzoom":17}`)
	case path == "/api/v1/components" && r.Method == http.MethodGet:
		fc := geojson.NewFeatureCollection()
		for code, p := range f.pos {
			ft := geojson.NewFeature(p)
			ft.Properties = geojson.Properties{"code": code, "category": "0101", "version": f.version[code]}
			fc.Append(ft)
		}
		ft := geojson.NewFeature(orb.LineString{{118.8, 32}, {118.81, 32}}) // not a point: skipped
		ft.Properties = geojson.Properties{"code": "3201140201000001", "category": "0201", "version": 1}
		fc.Append(ft)
		_ = json.NewEncoder(w).Encode(fc)
	case strings.HasPrefix(path, "/api/v1/components/"):
		code := strings.TrimPrefix(path, "/api/v1/components/")
		tag := fmt.Sprintf(`"%s-v%d"`, code, f.version[code])
		if r.Method == http.MethodPatch {
			if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("If-Match") != tag {
				f.badTag++
				w.WriteHeader(http.StatusPreconditionFailed)
				return
			}
			b, _ := io.ReadAll(r.Body)
			ft, err := geojson.UnmarshalFeature(b)
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			f.pos[code] = ft.Geometry.(orb.Point)
			f.version[code]++
			tag = fmt.Sprintf(`"%s-v%d"`, code, f.version[code])
		}
		w.Header().Set("ETag", tag)
		fmt.Fprint(w, `{}`)
	case strings.HasPrefix(path, "/tiles/city/"):
		var z, x, y int
		if _, err := fmt.Sscanf(strings.TrimSuffix(strings.TrimPrefix(path, "/tiles/city/"), ".mvt"), "%d/%d/%d", &z, &x, &y); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		tile := maptile.New(uint32(x), uint32(y), maptile.Zoom(z))
		fc := geojson.NewFeatureCollection()
		for code, p := range f.pos {
			if z < f.staleBelow {
				p = f.orig[code]
			}
			if tile.Bound().Contains(p) {
				ft := geojson.NewFeature(p)
				ft.Properties = geojson.Properties{"code": code}
				fc.Append(ft)
			}
		}
		layers := mvt.NewLayers(map[string]*geojson.FeatureCollection{"components": fc})
		layers.ProjectToTile(tile)
		b, err := mvt.Marshal(layers)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Write(b)
	case path == "/api/v1/nearest":
		lon, _ := strconv.ParseFloat(r.URL.Query().Get("lon"), 64)
		lat, _ := strconv.ParseFloat(r.URL.Query().Get("lat"), 64)
		best, bestD := "", 1e18
		for code, p := range f.pos {
			d := (p[0]-lon)*(p[0]-lon) + (p[1]-lat)*(p[1]-lat)
			if d < bestD {
				best, bestD = code, d
			}
		}
		fmt.Fprintf(w, `{"components":[{"code":%q,"distance_m":%g}]}`, best, bestD*1e10) // metres² ≈ degrees²·1.2e10
	default:
		http.NotFound(w, r)
	}
}

func TestEditModeEditsAndChecksConsistency(t *testing.T) {
	f := newFakeEditServer(6)
	srv := httptest.NewServer(f)
	defer srv.Close()
	var out bytes.Buffer
	args := []string{"-url", srv.URL, "-mode", "edit", "-token", "tok", "-c", "3", "-components", "6", "-rate", "2000", "-d", "5s", "-n", "60"}
	if err := run(args, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if f.badTag != 0 {
		t.Errorf("%d PATCHes sent a stale If-Match", f.badTag)
	}
	total := 0
	for code, v := range f.version {
		total += v - 1
		if f.pos[code] == f.orig[code] {
			t.Errorf("%s never moved", code)
		}
		if d := f.pos[code][0] - f.orig[code][0]; d > 6.0/111_320/0.84 || d < -6.0/111_320/0.84 {
			t.Errorf("%s moved %.7f° of longitude, more than -move 5 m", code, d)
		}
	}
	if total != 60 {
		t.Errorf("%d edits stored, want 60", total)
	}
	for _, want := range []string{"requests=60 ", "errors=0", "check   components=6 inconsistent=0", "drawn at z14–16 18 times"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	// A server whose tiles still draw the old positions fails the check.
	f.mu.Lock()
	f.staleBelow = 18
	f.mu.Unlock()
	out.Reset()
	err := run(args, &out)
	if err == nil || !strings.Contains(err.Error(), "6 edited components inconsistent") {
		t.Errorf("stale tiles: err %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "first inconsistency: 32011401010") || !strings.Contains(out.String(), ": tile 17/") {
		t.Errorf("report does not say where the tile drew it:\n%s", out.String())
	}

	// Only the coarser zooms stale: found there.
	f.mu.Lock()
	f.staleBelow = 17
	f.mu.Unlock()
	out.Reset()
	err = run(args, &out)
	if err == nil || !strings.Contains(err.Error(), "6 edited components inconsistent") || !regexp.MustCompile(`: tile 1[456]/`).MatchString(out.String()) {
		t.Errorf("stale tiles below z17: err %v\n%s", err, out.String())
	}

	out.Reset()
	t.Setenv("CITYGRID_TOKEN", "")
	if err := run([]string{"-url", srv.URL, "-mode", "edit", "-d", "1s"}, &out); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("without a token: %v", err)
	}
}
