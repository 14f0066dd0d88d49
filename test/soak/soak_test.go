// Package soak drives mixed traffic against the real citygrid binary for a
// bounded time and checks that nothing fails and memory stays flat:
// vector tiles, locate, responsible, geocode (forward and reverse), token
// writes through the admin API, component edits (PATCH with If-Match, which
// also invalidate tiles and update the live index), case reports (located,
// deadlines, duplicate detection) and authenticated reads. Run longer with
//
//	go test ./test/soak/ -run Soak -v -soak.duration=10m
//
// The default (20 s) is what CI runs.
package soak

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"citygrid/test/harness"
)

var (
	duration = flag.Duration("soak.duration", 20*time.Second, "how long to drive traffic")
	workers  = flag.Int("soak.workers", 4, "concurrent clients (one of them writes)")
)

// The memory bound: after the first quarter of the run (caches warm, the
// heap at its working size), the resident set may grow by at most
// maxGrowthFraction of its size then plus maxGrowthBytes.
const (
	maxGrowthFraction = 0.20
	maxGrowthBytes    = 32 << 20
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }

// rssBytes reads the resident set of pid from /proc.
func rssBytes(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// op is one kind of request of the mix.
type op struct {
	name   string
	weight int
	do     func(r *rand.Rand) (*http.Request, []int) // the request and the statuses that count as success
}

func TestSoakMixedTraffic(t *testing.T) {
	if *workers < 2 {
		t.Fatal("-soak.workers: want at least 2 (one writer, readers)")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc to sample the resident set")
	}
	dir := t.TempDir()
	srv := harness.Start(t, "demo", "--dir", dir, "--scale", "0.02", "--access-log=false")
	base := srv.URL
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	srv.WaitReady(120 * time.Second)
	// The first start stores the demo city's case history in the
	// background (one long write); the soak measures the steady state
	// after it. (Edits racing it fail with "database is locked": the
	// edit transactions must begin IMMEDIATE to wait for the writer.)
	srv.WaitLog("demo case history", 60*time.Second)
	admin := harness.Token(t, dir, "soak", "admin")
	surveyor := harness.Token(t, dir, "soak-surveyor", "surveyor")
	inspector := harness.Token(t, dir, "soak-inspector", "inspector")
	// The readers are staff with a token: anonymous clients share the
	// per-address limit (on by default), which the flood soak covers.
	viewer := harness.Token(t, dir, "soak-viewer", "viewer")

	// The city's extent and tile URL template from the TileJSON.
	var tj struct {
		Tiles  []string  `json:"tiles"`
		Bounds []float64 `json:"bounds"`
	}
	resp, err := client.Get(base + "/tiles/city.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&tj); err != nil || len(tj.Tiles) == 0 || len(tj.Bounds) != 4 {
		t.Fatalf("TileJSON: %v %+v", err, tj)
	}
	resp.Body.Close()
	box := tj.Bounds
	point := func(r *rand.Rand) (float64, float64) {
		return box[0] + r.Float64()*(box[2]-box[0]), box[1] + r.Float64()*(box[3]-box[1])
	}
	// A fixed set of tiles, so that the tile cache reaches its working
	// size in the warm-up and growth afterwards would be a leak.
	var tiles []string
	seedRNG := rand.New(rand.NewPCG(8, 8))
	for range 400 {
		z := 12 + seedRNG.IntN(5)
		lon, lat := point(seedRNG)
		n := float64(int(1) << z)
		x := int((lon + 180) / 360 * n)
		y := int((1 - asinhTan(lat)/3.141592653589793) / 2 * n)
		u := strings.NewReplacer("{z}", strconv.Itoa(z), "{x}", strconv.Itoa(x), "{y}", strconv.Itoa(y)).Replace(tj.Tiles[0])
		if !strings.HasPrefix(u, "http") {
			u = base + u
		}
		tiles = append(tiles, u)
	}
	// Addresses to geocode: what reverse geocoding says at random points.
	var addresses []string
	for i := 0; i < 200 && len(addresses) < 50; i++ {
		lon, lat := point(seedRNG)
		resp, err := client.Get(fmt.Sprintf("%s/api/v1/geocode/reverse?lon=%.6f&lat=%.6f", base, lon, lat))
		if err != nil {
			t.Fatal(err)
		}
		var rev struct {
			Results []struct{ Label string } `json:"results"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&rev)
		resp.Body.Close()
		if len(rev.Results) > 0 && rev.Results[0].Label != "" {
			addresses = append(addresses, rev.Results[0].Label)
		}
	}
	if len(addresses) == 0 {
		t.Fatal("reverse geocoding found no address to geocode")
	}
	// Points some unit grid covers, for case reports: a report outside
	// every grid is refused (the box holds gaps between the grids).
	var inside [][2]float64
	for i := 0; i < 400 && len(inside) < 100; i++ {
		lon, lat := point(seedRNG)
		resp, err := client.Get(fmt.Sprintf("%s/api/v1/locate?lon=%.7f&lat=%.7f", base, lon, lat))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			inside = append(inside, [2]float64{lon, lat})
		}
	}
	if len(inside) == 0 {
		t.Fatal("no random point of the city's box is inside a unit grid")
	}

	// Each worker edits its own components (no If-Match races between
	// workers): codes and current ETags.
	var within struct {
		Components []struct{ Code string } `json:"components"`
	}
	resp, err = client.Get(fmt.Sprintf("%s/api/v1/within?bbox=%g,%g,%g,%g&category=0101&limit=%d", base, box[0], box[1], box[2], box[3], *workers*4))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&within); err != nil || len(within.Components) < *workers*4 {
		t.Fatalf("within: %v, %d components", err, len(within.Components))
	}
	resp.Body.Close()
	type owned struct{ code, etag string }
	mine := make([][]owned, *workers)
	for i, c := range within.Components {
		resp, err := client.Get(base + "/api/v1/components/" + c.Code)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		mine[i%*workers] = append(mine[i%*workers], owned{c.Code, resp.Header.Get("ETag")})
	}
	var edits atomic.Int64

	var tokensIssued atomic.Int64
	ops := []op{
		{"component-edit", 5, nil}, // built per worker below
		{"tile", 30, func(r *rand.Rand) (*http.Request, []int) {
			req, _ := http.NewRequest("GET", tiles[r.IntN(len(tiles))], nil)
			req.Header.Set("Accept-Encoding", "gzip")
			return req, []int{200, 204}
		}},
		{"locate", 30, func(r *rand.Rand) (*http.Request, []int) {
			lon, lat := point(r)
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/locate?lon=%.7f&lat=%.7f", base, lon, lat), nil)
			return req, []int{200, 404}
		}},
		{"responsible", 10, func(r *rand.Rand) (*http.Request, []int) {
			lon, lat := point(r)
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/responsible?lon=%.7f&lat=%.7f&category=0101&kind=component", base, lon, lat), nil)
			return req, []int{200, 404}
		}},
		{"geocode", 15, func(r *rand.Rand) (*http.Request, []int) {
			q := addresses[r.IntN(len(addresses))]
			req, _ := http.NewRequest("GET", base+"/api/v1/geocode?q="+urlEscape(q), nil)
			return req, []int{200}
		}},
		{"reverse", 5, func(r *rand.Rand) (*http.Request, []int) {
			lon, lat := point(r)
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/geocode/reverse?lon=%.7f&lat=%.7f", base, lon, lat), nil)
			return req, []int{200}
		}},
		{"case-report", 5, func(r *rand.Rand) (*http.Request, []int) {
			p := inside[r.IntN(len(inside))]
			lon, lat := p[0]+(r.Float64()-0.5)*1e-5, p[1]+(r.Float64()-0.5)*1e-5 // within a metre
			req, _ := http.NewRequest("POST", base+"/api/v1/cases", strings.NewReader(fmt.Sprintf(`{"kind":"event","category":"0101","lon":%.7f,"lat":%.7f,"description":"soak"}`, lon, lat)))
			req.Header.Set("Authorization", "Bearer "+inspector)
			req.Header.Set("Content-Type", "application/json")
			return req, []int{201}
		}},
		{"token-write", 5, func(r *rand.Rand) (*http.Request, []int) {
			n := tokensIssued.Add(1)
			req, _ := http.NewRequest("POST", base+"/api/v1/tokens", strings.NewReader(fmt.Sprintf(`{"user":"soak-%d","role":"inspector","expires_in":"1h"}`, n)))
			req.Header.Set("Authorization", "Bearer "+admin)
			req.Header.Set("Content-Type", "application/json")
			return req, []int{201}
		}},
		{"whoami", 5, func(r *rand.Rand) (*http.Request, []int) {
			req, _ := http.NewRequest("GET", base+"/api/v1/whoami", nil)
			req.Header.Set("Authorization", "Bearer "+admin)
			return req, []int{200}
		}},
	}
	// Worker 0 is the writer: it takes the write operations in turn,
	// while the others read. Writers of different kinds running at once
	// currently collide in SQLite (a case report racing a component edit
	// answers 500 or 503 "database is locked": the deferred write
	// transactions of the case and edit stores cannot upgrade while the
	// other commits; they must begin IMMEDIATE) — see
	// TestConcurrentWritersOfDifferentKinds in test/fault.
	isWrite := map[string]bool{"component-edit": true, "case-report": true, "token-write": true}
	var pick, writePick []int
	for i, o := range ops {
		for range o.weight {
			if isWrite[o.name] {
				writePick = append(writePick, i)
			} else {
				pick = append(pick, i)
			}
		}
	}

	type tally struct{ n, errs int64 }
	counts := make([]tally, len(ops))
	var mu sync.Mutex
	var firstErrs []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	for w := range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 42))
			buf := make([]byte, 64<<10)
			local := make([]tally, len(ops))
			defer func() {
				mu.Lock()
				for i := range local {
					counts[i].n += local[i].n
					counts[i].errs += local[i].errs
				}
				mu.Unlock()
			}()
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := pick[r.IntN(len(pick))]
				if w == 0 {
					i = writePick[r.IntN(len(writePick))]
				}
				var req *http.Request
				var ok []int
				var edited *owned
				if ops[i].do == nil {
					edited = &mine[w][r.IntN(len(mine[w]))]
					status := []string{"damaged", "intact"}[edits.Add(1)%2]
					req, _ = http.NewRequest("PATCH", base+"/api/v1/components/"+edited.code, strings.NewReader(`{"type":"Feature","properties":{"status":"`+status+`"}}`))
					req.Header.Set("Authorization", "Bearer "+surveyor)
					req.Header.Set("If-Match", edited.etag)
					req.Header.Set("Content-Type", "application/geo+json")
					ok = []int{200}
				} else {
					req, ok = ops[i].do(r)
					if req.Header.Get("Authorization") == "" {
						req.Header.Set("Authorization", "Bearer "+viewer)
					}
				}
				resp, err := client.Do(req)
				local[i].n++
				if err != nil {
					local[i].errs++
					mu.Lock()
					if len(firstErrs) < 5 {
						firstErrs = append(firstErrs, fmt.Sprintf("%s %s: %v", ops[i].name, req.URL, err))
					}
					mu.Unlock()
					continue
				}
				n, _ := io.ReadFull(resp.Body, buf)
				for {
					if _, err := resp.Body.Read(buf[n:]); err != nil {
						break
					}
				}
				resp.Body.Close()
				if edited != nil && resp.StatusCode == 200 {
					edited.etag = resp.Header.Get("ETag")
				}
				if !slices.Contains(ok, resp.StatusCode) {
					local[i].errs++
					mu.Lock()
					if len(firstErrs) < 5 {
						firstErrs = append(firstErrs, fmt.Sprintf("%s %s: %d %.200s", ops[i].name, req.URL, resp.StatusCode, buf[:n]))
					}
					mu.Unlock()
				}
			}
		}()
	}
	// Sample the resident set every half second.
	var samples []int64
	tick := time.NewTicker(500 * time.Millisecond)
	for time.Since(start) < *duration {
		<-tick.C
		rss, err := rssBytes(srv.Pid())
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, rss)
	}
	tick.Stop()
	close(stop)
	wg.Wait()
	elapsed := time.Since(start)

	var total, errs int64
	var lines []string
	for i, o := range ops {
		total += counts[i].n
		errs += counts[i].errs
		lines = append(lines, fmt.Sprintf("%s %d", o.name, counts[i].n))
	}
	warm := samples[len(samples)/4]
	peak := slices.Max(samples[len(samples)/4:])
	limit := warm + int64(float64(warm)*maxGrowthFraction) + maxGrowthBytes
	t.Logf("soak %s, %d workers: %d requests (%.0f req/s; %s), %d errors; RSS after warm-up %.1f MiB, peak after %.1f MiB, end %.1f MiB (bound %.1f MiB)",
		elapsed.Round(time.Millisecond), *workers, total, float64(total)/elapsed.Seconds(), strings.Join(lines, ", "), errs,
		mib(warm), mib(peak), mib(samples[len(samples)-1]), mib(limit))
	if errs > 0 {
		t.Errorf("%d requests failed, e.g.:\n%s", errs, strings.Join(firstErrs, "\n"))
	}
	if peak > limit {
		t.Errorf("resident set grew from %.1f MiB after warm-up to %.1f MiB, beyond the bound %.1f MiB", mib(warm), mib(peak), mib(limit))
	}
	// A clean shutdown after the soak.
	srv.Stop()
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
