package main

// -mode edit: sustained single edits over HTTP, then a consistency check.
//
//	go run ./test/load -mode edit -token $TOKEN -rate 1000 -c 64 -d 60s
//
// The tool lists point components of the tileset's bounds (-components of
// them), gives each connection its own share (so the tool never races
// itself: every 412 is a real error), and moves them by a few metres with
// PATCH and If-Match at -rate edits a second in total (an open-loop
// schedule: edit i is due at start + i/rate; a connection that falls behind
// sends at once, and edits started more than 100 ms after they were due are
// counted as late). Each PATCH takes the ETag its previous answer gave.
//
// After the run (nothing else is edited by the tool then), every edited
// component is checked: the tile of the deepest zoom holding its last
// position draws it there (within two tile units) and exactly once, the
// tiles of the three zooms above draw it there too or not at all (below
// its category's minimum zoom it is counted in a cluster), nearest at that point
// with its category answers it at under half a metre, and GET answers the
// ETag the last PATCH returned. Any failed edit or inconsistency makes the
// tool exit non-zero.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// editOpts are the flags of -mode edit.
type editOpts struct {
	token      *string
	rate       *float64
	components *int
	check      *int
	moveM      *float64
}

func addEditFlags(fs *flag.FlagSet) *editOpts {
	return &editOpts{
		token:      fs.String("token", "", "-mode edit: surveyor token (default: $CITYGRID_TOKEN)"),
		rate:       fs.Float64("rate", 1000, "-mode edit: target edits a second (all connections together)"),
		components: fs.Int("components", 4000, "-mode edit: point components to edit (spread over the connections)"),
		check:      fs.Int("check", 0, "-mode edit: edited components to check afterwards (0: all)"),
		moveM:      fs.Float64("move", 5, "-mode edit: largest move of a component from where it was, metres"),
	}
}

// editTarget is one component a connection edits, as the tool last left it.
type editTarget struct {
	code, category string
	lon0, lat0     float64 // position before the run
	lon, lat       float64 // position of the last accepted edit
	etag           string
	edited         bool
}

// editTileJSON is the part of the TileJSON the edit mode needs.
type editTileJSON struct {
	Tiles   []string  `json:"tiles"`
	Bounds  []float64 `json:"bounds"`
	MaxZoom int       `json:"maxzoom"`
}

func runEdits(o *editOpts, client *http.Client, baseURL, tileset string, conc int, dur time.Duration, maxN int64, seed uint64, bbox string, out io.Writer) error {
	token := *o.token
	if token == "" {
		token = os.Getenv("CITYGRID_TOKEN")
	}
	if token == "" {
		return errors.New("-mode edit needs a surveyor token: -token or $CITYGRID_TOKEN")
	}
	if *o.rate <= 0 || *o.rate > 100_000 {
		return errors.New("-rate must be between 0 and 100000")
	}
	if *o.components < conc {
		return fmt.Errorf("-components (%d) must be at least -c (%d)", *o.components, conc)
	}
	var tj editTileJSON
	if err := getJSON(client, baseURL+"/tiles/"+tileset+".json", "", &tj); err != nil {
		return fmt.Errorf("tilejson: %w", err)
	}
	if len(tj.Tiles) == 0 || tj.MaxZoom <= 0 {
		return errors.New("tilejson: no tile URL or max zoom")
	}
	box := [4]float64{118.70, 31.92, 118.84, 32.03}
	if len(tj.Bounds) == 4 {
		copy(box[:], tj.Bounds)
	}
	if bbox != "" {
		if _, err := fmt.Sscanf(bbox, "%g,%g,%g,%g", &box[0], &box[1], &box[2], &box[3]); err != nil {
			return fmt.Errorf("-bbox: %w", err)
		}
	}
	targets, err := listPointComponents(client, baseURL, token, box, *o.components)
	if err != nil {
		return err
	}
	if len(targets) < conc {
		return fmt.Errorf("found %d point components in %v, need at least -c %d", len(targets), box, conc)
	}
	rng := rand.New(rand.NewPCG(seed, 0xed17))
	rng.Shuffle(len(targets), func(i, j int) { targets[i], targets[j] = targets[j], targets[i] })
	shares := make([][]*editTarget, conc)
	for i, t := range targets {
		shares[i%conc] = append(shares[i%conc], t)
	}

	load0 := loadAverage()
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	interval := time.Duration(float64(time.Second) / *o.rate)
	var next atomic.Int64
	type wres struct {
		lat    []time.Duration
		status map[int]int
		errs   int
		late   int
		// outside counts moves the server refused as leaving the city.
		outside int
		first   string
	}
	res := make([]wres, conc)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conc {
		res[w] = wres{status: map[int]int{}}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(w)+1))
			me := &res[w]
			fail := func(msg string) {
				me.errs++
				if me.first == "" {
					me.first = msg
				}
			}
			for k := 0; ; k++ {
				i := next.Add(1) - 1
				if i >= maxN {
					return
				}
				due := start.Add(time.Duration(i) * interval)
				if d := time.Until(due); d > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(d):
					}
				} else if -d > 100*time.Millisecond {
					me.late++
				}
				if ctx.Err() != nil {
					return
				}
				t := shares[w][k%len(shares[w])]
				lon, lat := jitter(r, t.lon0, t.lat0, *o.moveM)
				body := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%.8f,%.8f]}}`, lon, lat)
				req, err := http.NewRequest(http.MethodPatch, baseURL+"/api/v1/components/"+url.PathEscape(t.code), strings.NewReader(body))
				if err != nil {
					fail(err.Error())
					continue
				}
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/merge-patch+json")
				req.Header.Set("If-Match", t.etag)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						fail(err.Error())
					}
					continue
				}
				msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				me.lat = append(me.lat, time.Since(t0))
				me.status[resp.StatusCode]++
				if resp.StatusCode == http.StatusBadRequest && bytes.Contains(msg, []byte("lies in no unit grid")) {
					// Moved out of the city (a component at its edge):
					// a right refusal; keep that component still.
					me.outside++
					t.lon0, t.lat0 = t.lon, t.lat
					continue
				}
				if resp.StatusCode != http.StatusOK {
					fail(fmt.Sprintf("PATCH %s: %s %s", t.code, resp.Status, bytes.TrimSpace(msg)))
					if resp.StatusCode == http.StatusPreconditionFailed {
						if tag := resp.Header.Get("ETag"); tag != "" {
							t.etag = tag
						}
					}
					continue
				}
				t.etag = resp.Header.Get("ETag")
				t.lon, t.lat, t.edited = lon, lat, true
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	load1 := loadAverage()

	var all []time.Duration
	status := map[int]int{}
	errs, late, outside := 0, 0, 0
	first := ""
	for _, r := range res {
		all = append(all, r.lat...)
		errs += r.errs
		late += r.late
		outside += r.outside
		for k, v := range r.status {
			status[k] += v
		}
		if first == "" {
			first = r.first
		}
	}
	slices.Sort(all)
	fmt.Fprintf(out, "load: %s, %d connections, %d components, %s, target %.0f edits/s\n", baseURL, conc, len(targets), elapsed.Round(time.Millisecond), *o.rate)
	fmt.Fprintf(out, "edit    requests=%d req/s=%.0f p50=%s p90=%s p99=%s max=%s errors=%d late=%d outside_city=%d statuses=%v load_average=%s→%s\n",
		len(all), float64(len(all))/elapsed.Seconds(), pct(all, 0.5), pct(all, 0.9), pct(all, 0.99), pct(all, 1), errs, late, outside, status, load0, load1)
	if first != "" {
		fmt.Fprintf(out, "first error: %s\n", first)
	}

	var edited []*editTarget
	for _, t := range targets {
		if t.edited {
			edited = append(edited, t)
		}
	}
	if *o.check > 0 && len(edited) > *o.check {
		edited = edited[:*o.check]
	}
	c0 := time.Now()
	bad, lower, firstBad := checkEdits(client, baseURL, token, tj, edited)
	fmt.Fprintf(out, "check   components=%d inconsistent=%d (tile z%d, nearest, ETag; drawn at z%d–%d %d times, all at the last position) in %s\n",
		len(edited), bad, tj.MaxZoom, max(0, tj.MaxZoom-3), tj.MaxZoom-1, lower, time.Since(c0).Round(time.Millisecond))
	if firstBad != "" {
		fmt.Fprintf(out, "first inconsistency: %s\n", firstBad)
	}
	switch {
	case len(all) == 0:
		return errors.New("no edit was sent")
	case errs > 0:
		return fmt.Errorf("%d edits failed", errs)
	case bad > 0:
		return fmt.Errorf("%d edited components inconsistent after the run", bad)
	}
	return nil
}

// jitter is a point at most m metres from (lon, lat) in each direction.
func jitter(r *rand.Rand, lon, lat, m float64) (float64, float64) {
	dLat := m / 111_320
	dLon := dLat / math.Cos(lat*math.Pi/180)
	return lon + (2*r.Float64()-1)*dLon, lat + (2*r.Float64()-1)*dLat
}

// listPointComponents pages through GET /api/v1/components in box and
// keeps up to n components whose geometry is a point.
func listPointComponents(c *http.Client, baseURL, token string, box [4]float64, n int) ([]*editTarget, error) {
	var out []*editTarget
	after := ""
	for len(out) < n {
		u := fmt.Sprintf("%s/api/v1/components?bbox=%g,%g,%g,%g&limit=2000", baseURL, box[0], box[1], box[2], box[3])
		if after != "" {
			u += "&after=" + url.QueryEscape(after)
		}
		var page struct {
			Features []struct {
				Geometry struct {
					Type        string          `json:"type"`
					Coordinates json.RawMessage `json:"coordinates"`
				} `json:"geometry"`
				Properties struct {
					Code     string `json:"code"`
					Category string `json:"category"`
					Version  int64  `json:"version"`
				} `json:"properties"`
			} `json:"features"`
			Next string `json:"next"`
		}
		if err := getJSON(c, u, token, &page); err != nil {
			return nil, fmt.Errorf("list components: %w", err)
		}
		for _, f := range page.Features {
			if f.Geometry.Type != "Point" || len(out) == n {
				continue
			}
			var p [2]float64
			if json.Unmarshal(f.Geometry.Coordinates, &p) != nil {
				continue
			}
			out = append(out, &editTarget{code: f.Properties.Code, category: f.Properties.Category,
				lon0: p[0], lat0: p[1], lon: p[0], lat: p[1],
				etag: fmt.Sprintf(`"%s-v%d"`, f.Properties.Code, f.Properties.Version)})
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	return out, nil
}

// checkEdits checks every edited component against the tile, nearest and
// GET; it returns how many disagree and the first disagreement.
func checkEdits(c *http.Client, baseURL, token string, tj editTileJSON, ts []*editTarget) (int, int64, string) {
	// A tile unit of the deepest zoom, in degrees of longitude; latitude
	// units are smaller, so this bounds both.
	tol := 2 * 360 / math.Ldexp(4096, tj.MaxZoom)
	var bad, lower atomic.Int64
	var firstMu sync.Mutex
	first := ""
	report := func(format string, a ...any) {
		bad.Add(1)
		firstMu.Lock()
		if first == "" {
			first = fmt.Sprintf(format, a...)
		}
		firstMu.Unlock()
	}
	jobs := make(chan *editTarget)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				if msg := checkOne(c, baseURL, token, tj, t, tol, &lower); msg != "" {
					report("%s: %s", t.code, msg)
				}
			}
		}()
	}
	for _, t := range ts {
		jobs <- t
	}
	close(jobs)
	wg.Wait()
	return int(bad.Load()), lower.Load(), first
}

func checkOne(c *http.Client, baseURL, token string, tj editTileJSON, t *editTarget, tol float64, lower *atomic.Int64) string {
	if msg, found := checkTile(c, baseURL, token, tj, t, tj.MaxZoom, tol); msg != "" {
		return msg
	} else if found != 1 {
		return fmt.Sprintf("tile %d draws it %d times, want once", tj.MaxZoom, found)
	}
	// Coarser zooms draw it only from its category's minimum zoom (else
	// it is counted in a cluster): where they draw it, it must be at its
	// last position too.
	for z := tj.MaxZoom - 1; z >= max(0, tj.MaxZoom-3); z-- {
		msg, found := checkTile(c, baseURL, token, tj, t, z, tol*math.Ldexp(1, tj.MaxZoom-z))
		if msg != "" {
			return msg
		}
		if found > 1 {
			return fmt.Sprintf("tile %d draws it %d times", z, found)
		}
		lower.Add(int64(found))
	}
	return checkLookups(c, baseURL, token, t)
}

// checkTile fetches the tile of zoom z holding the component's last
// position; it reports how often the tile draws the component and a
// message when a drawing is elsewhere than the last position.
func checkTile(c *http.Client, baseURL, token string, tj editTileJSON, t *editTarget, z int, tol float64) (string, int) {
	x, y := lonLatToTile(t.lon, t.lat, z)
	u := tj.Tiles[0]
	u = strings.NewReplacer("{z}", fmt.Sprint(z), "{x}", fmt.Sprint(x), "{y}", fmt.Sprint(y)).Replace(u)
	if !strings.HasPrefix(u, "http") {
		u = baseURL + u
	}
	b, err := getBytes(c, u, token)
	if err != nil {
		return err.Error(), 0
	}
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		return fmt.Sprintf("tile %d/%d/%d: %v", z, x, y, err), 0
	}
	layers.ProjectToWGS84(maptile.New(uint32(x), uint32(y), maptile.Zoom(z)))
	found := 0
	var at orb.Point
	for _, l := range layers {
		if l.Name != "components" {
			continue
		}
		for _, f := range l.Features {
			if f.Properties["code"] != t.code {
				continue
			}
			found++
			if p, ok := f.Geometry.(orb.Point); ok {
				at = p
			}
		}
	}
	if found > 0 && (math.Abs(at[0]-t.lon) > tol || math.Abs(at[1]-t.lat) > tol) {
		return fmt.Sprintf("tile %d/%d/%d draws it at %.7f,%.7f, the last edit put it at %.7f,%.7f", z, x, y, at[0], at[1], t.lon, t.lat), found
	}
	return "", found
}

// checkLookups checks nearest and GET against the last edit.
func checkLookups(c *http.Client, baseURL, token string, t *editTarget) string {
	var near struct {
		Components []struct {
			Code      string  `json:"code"`
			DistanceM float64 `json:"distance_m"`
		} `json:"components"`
	}
	nu := fmt.Sprintf("%s/api/v1/nearest?lon=%.8f&lat=%.8f&k=1&radius=50&category=%s", baseURL, t.lon, t.lat, url.QueryEscape(t.category))
	if err := getJSON(c, nu, token, &near); err != nil {
		return err.Error()
	}
	if len(near.Components) == 0 || near.Components[0].Code != t.code || near.Components[0].DistanceM > 0.5 {
		return fmt.Sprintf("nearest at its last position answers %+v", near.Components)
	}
	req, err := http.NewRequest(http.MethodGet, baseURL+"/api/v1/components/"+url.PathEscape(t.code), nil)
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return err.Error()
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if tag := resp.Header.Get("ETag"); tag != t.etag {
		return fmt.Sprintf("GET answers ETag %s, the last PATCH %s", tag, t.etag)
	}
	return ""
}

// getBytes GETs u (the transport undoes gzip); 204 is an empty body.
func getBytes(c *http.Client, u, token string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return b, nil
}

func getJSON(c *http.Client, u, token string, v any) error {
	b, err := getBytes(c, u, token)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// loadAverage is the 1-minute load average of this machine ("?" when
// unknown).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
