// Package e2e runs the real citygrid binary (test/harness) on a free
// loopback port against a small generated demo city and speaks HTTP to it.
package e2e

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/gpkg"
	"citygrid/test/harness"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// scale of the demo city the tests generate: small enough for CI.
const scale = "0.02"

// city is the demo city of that scale and seed 7, generated once; tests
// that do not test generation itself start from a copy of it.
var city = harness.Demo{Scale: 0.02, Seed: 7}

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }

// server is a running citygrid process with the HTTP helpers the tests
// speak to it with.
type server struct {
	*harness.Server
	t *testing.T
}

// start runs citygrid with args plus --addr on a free port.
func start(t *testing.T, args ...string) *server {
	t.Helper()
	return &server{harness.Start(t, args...), t}
}

// serve serves the city in dir and waits until it is ready.
func serve(t *testing.T, dir string, more ...string) *server {
	t.Helper()
	return &server{harness.Serve(t, dir, more...), t}
}

// get fetches path and decodes a JSON answer into v (when not nil),
// returning the status code.
func (s *server) get(path string, v any) int {
	s.t.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		s.t.Fatal(err)
	}
	return decode(s.t, resp, v)
}

func (s *server) post(path, body string, v any) int {
	s.t.Helper()
	resp, err := http.Post(s.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	return decode(s.t, resp, v)
}

func decode(t *testing.T, resp *http.Response, v any) int {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q, want JSON; body %.200s", resp.Request.Method, resp.Request.URL.Path, ct, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v: %.300s", resp.Request.URL, err, b)
		}
	}
	return resp.StatusCode
}

// locateAnswer is the part of a locate answer the tests compare.
type locateAnswer struct {
	CRS      string  `json:"crs"`
	UnitGrid codeRef `json:"unit_grid"`
	Commun   codeRef `json:"community"`
	Street   codeRef `json:"street"`
	District codeRef `json:"district"`
	Mgmt     []struct {
		Kind string `json:"kind"`
		Code string `json:"code"`
	} `json:"management_grids"`
}

type codeRef struct {
	Code string `json:"code"`
}

type errorAnswer struct {
	Error string `json:"error"`
	Field string `json:"field"`
}

// loadCity reads the city the server serves straight from its store.
func loadCity(t *testing.T, dir string) *data.Dataset {
	t.Helper()
	ctx := context.Background()
	st, err := gpkg.Open(ctx, filepath.Join(dir, "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ds, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// interiorPoint finds a point well inside a multipolygon: the centre of the
// widest horizontal run through it at a few latitudes.
func interiorPoint(mp orb.MultiPolygon) (orb.Point, bool) {
	b := mp.Bound()
	best, bestW := orb.Point{}, 0.0
	for i := 1; i < 8; i++ {
		lat := b.Min[1] + (b.Max[1]-b.Min[1])*float64(i)/8
		var xs []float64
		for _, p := range mp {
			for _, ring := range p {
				for j := 0; j+1 < len(ring); j++ {
					a, c := ring[j], ring[j+1]
					if (a[1] > lat) != (c[1] > lat) {
						xs = append(xs, a[0]+(lat-a[1])*(c[0]-a[0])/(c[1]-a[1]))
					}
				}
			}
		}
		sort.Float64s(xs)
		for j := 0; j+1 < len(xs); j += 2 {
			if w := xs[j+1] - xs[j]; w > bestW {
				best, bestW = orb.Point{(xs[j] + xs[j+1]) / 2, lat}, w
			}
		}
	}
	return best, bestW > 0 && planar.MultiPolygonContains(mp, best)
}

func TestDemoServesTheCityItStored(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now()
	s := start(t, "demo", "--dir", dir, "--scale", scale, "--seed", "7")
	s.WaitReady(5 * time.Minute)
	firstStart := time.Since(t0)
	ds := loadCity(t, dir)
	if len(ds.UnitGrids) == 0 || len(ds.Components) == 0 {
		t.Fatalf("stored city has %d unit grids and %d components", len(ds.UnitGrids), len(ds.Components))
	}

	// Brute-force expectations for a few grids' interior points.
	var probes []orb.Point
	var wantGrid []string
	for i := 0; i < len(ds.UnitGrids) && len(probes) < 25; i += 1 + len(ds.UnitGrids)/25 {
		g := ds.UnitGrids[i]
		p, ok := interiorPoint(g.Geometry)
		if !ok {
			continue
		}
		probes = append(probes, p)
		wantGrid = append(wantGrid, g.Code)
	}
	if len(probes) < 10 {
		t.Fatalf("found only %d interior probe points", len(probes))
	}
	admin := map[string]data.AdminUnit{}
	for _, a := range ds.AdminUnits {
		admin[a.Code] = a
	}

	t.Run("locate at a grid's interior point matches the store", func(t *testing.T) {
		for i, p := range probes {
			var got locateAnswer
			path := fmt.Sprintf("/api/v1/locate?lon=%.9f&lat=%.9f", p[0], p[1])
			if code := s.get(path, &got); code != http.StatusOK {
				t.Fatalf("%s: status %d", path, code)
			}
			community := wantGrid[i][:12]
			street := admin[community].Parent
			district := admin[street].Parent
			if got.UnitGrid.Code != wantGrid[i] || got.Commun.Code != community ||
				got.Street.Code != street || got.District.Code != district {
				t.Errorf("%s: got grid %s community %s street %s district %s; want %s %s %s %s", path,
					got.UnitGrid.Code, got.Commun.Code, got.Street.Code, got.District.Code,
					wantGrid[i], community, street, district)
			}
			if got.CRS == "" {
				t.Errorf("%s: answer does not state its CRS", path)
			}
			var wantMgmt []string
			for _, m := range ds.ManagementGrids {
				if planar.MultiPolygonContains(m.Geometry, p) {
					wantMgmt = append(wantMgmt, m.Kind+"/"+m.Code)
				}
			}
			var gotMgmt []string
			for _, m := range got.Mgmt {
				gotMgmt = append(gotMgmt, m.Kind+"/"+m.Code)
			}
			sort.Strings(wantMgmt)
			sort.Strings(gotMgmt)
			if strings.Join(gotMgmt, " ") != strings.Join(wantMgmt, " ") {
				t.Errorf("%s: management grids %v, want %v", path, gotMgmt, wantMgmt)
			}
		}
	})

	t.Run("locate outside the city is 404 JSON with the nearest grid", func(t *testing.T) {
		var got map[string]any
		code := s.get("/api/v1/locate?lon=116.39&lat=39.91", &got) // Beijing
		if code != http.StatusNotFound {
			t.Fatalf("status %d, want 404: %v", code, got)
		}
		if got["error"] == nil {
			t.Errorf("404 answer has no error text: %v", got)
		}
		raw, _ := json.Marshal(got)
		if !strings.Contains(string(raw), "nearest") || !strings.Contains(string(raw), "distance") {
			t.Errorf("404 answer names no nearest grid and distance: %s", raw)
		}
	})

	t.Run("bad input is 400 JSON naming the field", func(t *testing.T) {
		tests := []struct {
			name, method, path, body, field string
		}{
			{"missing lat", "GET", "/api/v1/locate?lon=118.78", "", "lat"},
			{"non-numeric lon", "GET", "/api/v1/locate?lon=east&lat=31.99", "", "lon"},
			{"lat beyond the pole", "GET", "/api/v1/locate?lon=118.78&lat=91", "", "lat"},
			{"unknown crs", "GET", "/api/v1/locate?lon=118.78&lat=31.99&crs=mars", "", "crs"},
			{"unknown category", "GET", "/api/v1/responsible?lon=118.78&lat=31.99&category=9999", "", "category"},
			{"bad bbox", "GET", "/api/v1/within?bbox=1,2,3", "", "bbox"},
			{"bad JSON batch", "POST", "/api/v1/locate/batch", `{"points": [[118.7,`, "body"},
		}
		for _, tt := range tests {
			var got errorAnswer
			var code int
			if tt.method == "GET" {
				code = s.get(tt.path, &got)
			} else {
				code = s.post(tt.path, tt.body, &got)
			}
			if code != http.StatusBadRequest || got.Field != tt.field || got.Error == "" {
				t.Errorf("%s: status %d field %q error %q; want 400 naming %q", tt.name, code, got.Field, got.Error, tt.field)
			}
		}
	})

	t.Run("an oversize batch is 400", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`{"points":[`)
		for i := range 100_001 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("[118.78,31.99]")
		}
		b.WriteString("]}")
		var got errorAnswer
		if code := s.post("/api/v1/locate/batch", b.String(), &got); code != http.StatusBadRequest || got.Field != "points" {
			t.Errorf("status %d field %q, want 400 naming points", code, got.Field)
		}
	})

	t.Run("nearest at a surveyed component finds it", func(t *testing.T) {
		n := 0
		for i := 0; i < len(ds.Components) && n < 10; i += 1 + len(ds.Components)/10 {
			c := ds.Components[i]
			p, ok := c.Geometry.(orb.Point)
			if !ok {
				continue
			}
			n++
			var got struct {
				Components []struct {
					Code      string  `json:"code"`
					Category  string  `json:"category"`
					DistanceM float64 `json:"distance_m"`
				} `json:"components"`
			}
			path := fmt.Sprintf("/api/v1/nearest?lon=%.9f&lat=%.9f&k=1&radius=5&category=%s", p[0], p[1], c.Category)
			if code := s.get(path, &got); code != http.StatusOK || len(got.Components) != 1 {
				t.Fatalf("%s: status %d, %d components", path, code, len(got.Components))
			}
			// Another component of the category may stand on the same spot;
			// then the lowest code wins, at distance 0 too.
			if g := got.Components[0]; g.DistanceM > 1e-3 || g.Category != c.Category || (g.Code != c.Code && g.Code > c.Code) {
				t.Errorf("%s: got %+v, want %s at 0 m (to the 1e-9° the URL carries)", path, g, c.Code)
			}
		}
	})

	t.Run("within a box counts what a brute-force scan counts", func(t *testing.T) {
		g := ds.UnitGrids[len(ds.UnitGrids)/2]
		b := g.Geometry.Bound().Pad(0.002)
		want := map[string]int{}
		for _, c := range ds.Components {
			if p, ok := c.Geometry.(orb.Point); ok && b.Contains(p) {
				want[c.Category]++
			}
		}
		var got struct {
			Counts map[string]int `json:"counts"`
		}
		path := fmt.Sprintf("/api/v1/within?bbox=%.9f,%.9f,%.9f,%.9f&limit=0", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
		if code := s.get(path, &got); code != http.StatusOK {
			t.Fatalf("%s: status %d", path, code)
		}
		pointCats := map[string]bool{}
		for _, c := range ds.Categories {
			pointCats[c.Code] = c.Geometry == data.GeomPoint || c.Geometry == ""
		}
		checked := 0
		for cat, n := range want {
			if !pointCats[cat] {
				continue // lines and polygons are counted when they cross the box
			}
			checked++
			if got.Counts[cat] != n {
				t.Errorf("category %s: %d in the box, brute force says %d", cat, got.Counts[cat], n)
			}
		}
		if checked == 0 {
			t.Fatalf("no point components in %v", b)
		}
	})

	t.Run("a batch answers what single locates answer", func(t *testing.T) {
		pts := make([][2]float64, len(probes))
		for i, p := range probes {
			pts[i] = [2]float64{p[0], p[1]}
		}
		pts = append(pts, [2]float64{116.39, 39.91})
		body, _ := json.Marshal(map[string]any{"points": pts})
		var got struct {
			Count   int            `json:"count"`
			Results []locateAnswer `json:"results"`
		}
		if code := s.post("/api/v1/locate/batch", string(body), &got); code != http.StatusOK || got.Count != len(pts) {
			t.Fatalf("status %d count %d", code, got.Count)
		}
		for i, p := range pts {
			var single locateAnswer
			s.get(fmt.Sprintf("/api/v1/locate?lon=%.9f&lat=%.9f", p[0], p[1]), &single)
			b, w := got.Results[i], single
			if b.UnitGrid != w.UnitGrid || b.Commun != w.Commun || b.Street != w.Street || b.District != w.District || fmt.Sprint(b.Mgmt) != fmt.Sprint(w.Mgmt) {
				t.Errorf("point %d: batch %+v, single %+v", i, b, w)
			}
		}
	})

	t.Run("the OpenAPI document is served", func(t *testing.T) {
		var doc struct {
			OpenAPI string         `json:"openapi"`
			Paths   map[string]any `json:"paths"`
		}
		if code := s.get("/api/v1/openapi.json", &doc); code != http.StatusOK || !strings.HasPrefix(doc.OpenAPI, "3.") || doc.Paths["/api/v1/locate"] == nil {
			t.Errorf("status %d, openapi %q, %d paths", code, doc.OpenAPI, len(doc.Paths))
		}
	})

	var before locateAnswer
	s.get(fmt.Sprintf("/api/v1/locate?lon=%.9f&lat=%.9f", probes[0][0], probes[0][1]), &before)
	// The city's layers as stored: serving writes other tables (case
	// history, tokens), so the file itself may change, the layers not.
	layers := func() string {
		db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "citygrid.gpkg")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v string
		if err := db.QueryRow(`SELECT group_concat(table_name || '@' || last_change || '#' || (SELECT count(*) FROM components), ',')
			FROM (SELECT table_name, last_change FROM gpkg_contents WHERE table_name IN
			('components','unit_grids','districts','streets','communities','management_grids','roads','addresses','pois') ORDER BY table_name)`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	storedLayers := layers()

	t.Run("SIGTERM lets an in-flight request finish, then exits 0", func(t *testing.T) {
		// Send a batch whose body arrives in two halves, with SIGTERM in
		// between: the request is in flight, so a graceful shutdown must
		// read the rest and answer it before the process exits.
		body := fmt.Sprintf(`{"points":[[%.9f,%.9f],[%.9f,%.9f]]}`, probes[0][0], probes[0][1], probes[1][0], probes[1][1])
		conn, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /api/v1/locate/batch HTTP/1.1\r\nHost: citygrid\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", len(body))
		half := len(body) / 2
		if _, err := io.WriteString(conn, body[:half]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // the server has read the headers and waits for the body
		s.Signal(syscall.SIGTERM)
		time.Sleep(300 * time.Millisecond) // shutdown has begun
		select {
		case <-s.Exited():
			t.Fatalf("citygrid exited with a request in flight: %v", s.Err())
		default:
		}
		if _, err := io.WriteString(conn, body[half:]); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer to the in-flight request: %v", err)
		}
		var got struct {
			Count int `json:"count"`
		}
		if code := decode(t, resp, &got); code != http.StatusOK || got.Count != 2 {
			t.Errorf("in-flight batch: status %d, count %d", code, got.Count)
		}
		if err := s.Wait(); err != nil {
			t.Fatalf("citygrid exited uncleanly after SIGTERM: %v", err)
		}
		if !strings.Contains(s.Logs(), "msg=stopped") {
			t.Errorf("no 'stopped' log line after SIGTERM")
		}
	})

	t.Run("a second demo run reuses the stored city", func(t *testing.T) {
		t1 := time.Now()
		s2 := start(t, "demo", "--dir", dir, "--scale", scale, "--seed", "7")
		s2.WaitReady(2 * time.Minute)
		second := time.Since(t1)
		if now := layers(); now != storedLayers {
			t.Errorf("the city's layers were rewritten:\n%s\n→\n%s", storedLayers, now)
		}
		var after locateAnswer
		s2.get(fmt.Sprintf("/api/v1/locate?lon=%.9f&lat=%.9f", probes[0][0], probes[0][1]), &after)
		if fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("answers differ after restart: %v vs %v", before, after)
		}
		t.Logf("first start (generate + serve) %s, second start (reuse) %s", firstStart.Round(time.Millisecond), second.Round(time.Millisecond))
		s2.Stop() // logs are complete once the process has exited
		if !strings.Contains(s2.Logs(), "reusing") {
			t.Errorf("second run does not say it reuses the city")
		}
	})

	t.Run("a demo run with another seed is refused", func(t *testing.T) {
		s3 := start(t, "demo", "--dir", dir, "--scale", scale, "--seed", "8")
		select {
		case <-s3.Exited():
		case <-time.After(time.Minute):
			t.Fatal("demo with a different seed did not exit")
		}
		var ee *exec.ExitError
		if !errors.As(s3.Err(), &ee) || ee.ExitCode() == 0 || !strings.Contains(s3.Logs(), "--regen") {
			t.Errorf("exit %v, output %s; want a failure that suggests --regen", s3.Err(), s3.Logs())
		}
	})

	t.Run("--regen replaces the stored city with the one asked for", func(t *testing.T) {
		s4 := start(t, "demo", "--dir", dir, "--scale", scale, "--seed", "8", "--regen")
		s4.WaitReady(2 * time.Minute)
		s4.Stop()
		ds8 := loadCity(t, dir)
		same := len(ds8.Components) == len(ds.Components)
		for i := 0; same && i < len(ds8.Components); i++ {
			same = ds8.Components[i].Code == ds.Components[i].Code && ds8.Components[i].Geometry.Bound() == ds.Components[i].Geometry.Bound()
		}
		if same {
			t.Errorf("seed 8 stored the same components as seed 7")
		}
		// And the new city is reused by a plain second run.
		s5 := start(t, "demo", "--dir", dir)
		s5.WaitReady(2 * time.Minute)
		s5.Stop()
		if !strings.Contains(s5.Logs(), "reusing") || !strings.Contains(s5.Logs(), "seed=8") {
			t.Errorf("a run without --seed should reuse the stored seed-8 city")
		}
	})
}

func TestServeWithoutACityFailsClearly(t *testing.T) {
	dir := t.TempDir()
	out, err := harness.Combined(t, "serve", "--dir", dir, "--addr", harness.FreeAddr(t))
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("serve on an empty directory: %v", err)
	}
	if !strings.Contains(out, "no city in") || !strings.Contains(out, "citygrid demo") {
		t.Errorf("message does not explain what is missing: %s", out)
	}
}

func TestEverySubcommandHasHelp(t *testing.T) {
	for _, sub := range []string{"demo", "serve", "import", "export", "bake"} {
		t.Run(sub, func(t *testing.T) {
			out, err := harness.Combined(t, sub, "--help")
			if err != nil {
				t.Fatalf("citygrid %s --help: %v: %s", sub, err, out)
			}
			if !strings.Contains(out, "usage") && !strings.Contains(out, "Usage") {
				t.Errorf("citygrid %s --help prints no usage: %s", sub, out)
			}
		})
	}
	out, _ := harness.Combined(t, "--help")
	for _, sub := range []string{"demo", "serve"} {
		if !strings.Contains(out, sub) {
			t.Errorf("citygrid --help does not list %s: %s", sub, out)
		}
	}
}

func TestSIGTERMDuringGenerationLeavesNoHalfCity(t *testing.T) {
	dir := t.TempDir()
	s := start(t, "demo", "--dir", dir, "--scale", "0.3")
	deadline := time.Now().Add(2 * time.Minute)
	stage := ""
	for time.Now().Before(deadline) && stage == "" {
		var h struct {
			Status string `json:"status"`
			Stage  string `json:"stage"`
		}
		resp, err := http.Get(s.URL + "/healthz")
		if err != nil {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		_ = json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		switch {
		case h.Status == "ok":
			s.Stop()
			t.Skip("the city was ready before it could be interrupted")
		case strings.Contains(h.Stage, "storing"):
			// The store is half written: the hardest moment to stop.
			stage = h.Stage
		}
	}
	if stage == "" {
		t.Fatal("never saw the storing stage")
	}
	s.Stop() // exits 0: an interrupted start-up is not an error
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == ".citygrid.lock" {
			continue // the generation lock stays; it holds nothing
		}
		t.Errorf("interrupted during %q, %s was left behind", stage, e.Name())
	}
	if !strings.Contains(s.Logs(), "start-up interrupted") {
		t.Errorf("no 'start-up interrupted' log line")
	}
}

func TestASecondDemoRunOnABusyDirectoryFailsAndSaysWhy(t *testing.T) {
	dir := t.TempDir()
	a := start(t, "demo", "--dir", dir, "--scale", "0.3")
	deadline := time.Now().Add(2 * time.Minute)
	busy := false
	for time.Now().Before(deadline) && !busy {
		var h struct {
			Status string `json:"status"`
			Stage  string `json:"stage"`
		}
		resp, err := http.Get(a.URL + "/healthz")
		if err != nil {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		_ = json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		if h.Status == "ok" {
			a.Stop()
			t.Skip("the city was ready before a second run could start")
		}
		busy = strings.Contains(h.Stage, "storing")
	}
	if !busy {
		t.Fatal("never saw the storing stage")
	}
	out, err := harness.Combined(t, "demo", "--dir", dir, "--scale", "0.3", "--addr", harness.FreeAddr(t))
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !strings.Contains(out, "another citygrid is generating") {
		t.Errorf("second run while the first stores: %v: %s", err, out)
	}
	a.WaitReady(2 * time.Minute)
	if ds := loadCity(t, dir); len(ds.UnitGrids) == 0 {
		t.Errorf("the first run's city is empty")
	}
	a.Stop()
}
