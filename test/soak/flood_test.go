package soak

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"citygrid/test/harness"
)

var (
	floodDuration = flag.Duration("soak.flood", 10*time.Second, "how long the anonymous floods run")
	floodScale    = flag.Float64("soak.flood-scale", 0.1, "demo city scale of the flood soak")
	floodClients  = flag.Int("soak.flooders", 8, "anonymous clients flooding the costly routes")
	// othersLocateP99 is what the centre's staff may wait for a locate
	// while anonymous clients flood the costly routes. The flooders run
	// in the test's own process, so a machine busy with other work adds
	// its scheduling delays to the staff's latency too.
	othersLocateP99 = flag.Duration("soak.flood-p99", 50*time.Millisecond, "bound of the staff's locate p99 under floods")
)

// TestSoakAnonymousFloodsLeaveOthersLocateFast floods the routes that cost
// the most without a token (whole-city within, the unit-grid list, batches,
// Open311 reports, geocoding, case tiles) from anonymous clients while two
// staff clients with a token locate, under the default configuration
// (per-address limits, within's count cap, list paging, the anonymous batch
// cap). The staff's locate p99 must stay under 50 ms in one of at most
// three rounds; the floods must have
// been refused (429) or answered, never 5xx.
func TestSoakAnonymousFloodsLeaveOthersLocateFast(t *testing.T) {
	dir := harness.Demo{Scale: *floodScale}.Dir(t)
	viewer := harness.Token(t, dir, "flood-viewer", "viewer")
	srv := harness.Serve(t, dir, "--access-log=false")
	base := srv.URL
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	var tj struct {
		Bounds []float64 `json:"bounds"`
	}
	resp, err := client.Get(base + "/tiles/city.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&tj); err != nil || len(tj.Bounds) != 4 {
		t.Fatalf("TileJSON: %v %+v", err, tj)
	}
	resp.Body.Close()
	b := tj.Bounds
	point := func(r *rand.Rand) (float64, float64) {
		return b[0] + r.Float64()*(b[2]-b[0]), b[1] + r.Float64()*(b[3]-b[1])
	}
	var batch strings.Builder
	batch.WriteString(`{"crs":"wgs84","points":[`)
	r0 := rand.New(rand.NewPCG(5, 5))
	for i := range 1000 {
		if i > 0 {
			batch.WriteByte(',')
		}
		lon, lat := point(r0)
		fmt.Fprintf(&batch, "[%.6f,%.6f]", lon, lat)
	}
	batch.WriteString("]}")
	costly := []func(r *rand.Rand) *http.Request{
		func(*rand.Rand) *http.Request {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/within?bbox=%g,%g,%g,%g&limit=1", base, b[0], b[1], b[2], b[3]), nil)
			return req
		},
		func(*rand.Rand) *http.Request {
			req, _ := http.NewRequest("GET", base+"/api/v1/unit_grids", nil)
			return req
		},
		func(*rand.Rand) *http.Request {
			req, _ := http.NewRequest("POST", base+"/api/v1/locate/batch", strings.NewReader(batch.String()))
			return req
		},
		func(r *rand.Rand) *http.Request {
			lon, lat := point(r)
			req, _ := http.NewRequest("POST", base+"/open311/v2/requests.json", strings.NewReader(fmt.Sprintf("service_code=E0101&lat=%.6f&long=%.6f&description=flood", lat, lon)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return req
		},
		func(*rand.Rand) *http.Request {
			req, _ := http.NewRequest("GET", base+"/api/v1/geocode?q="+urlEscape("路"), nil)
			return req
		},
		func(r *rand.Rand) *http.Request {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/tiles/cases/12/%d/%d.mvt", base, 3398+r.IntN(4), 1660+r.IntN(4)), nil)
			return req
		},
	}

	// The staff's p99 is measured in rounds of floods, at most three: the
	// test passes when one round keeps it under the bound. The flooders
	// and the staff share this process and the machine with other tests,
	// whose scheduling spikes a single round can catch.
	round := func() time.Duration {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var floods, refused, served atomic.Int64
		var mu sync.Mutex
		var serverErrors []string
		for w := range *floodClients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), 7))
				for {
					select {
					case <-stop:
						return
					default:
					}
					req := costly[r.IntN(len(costly))](r)
					resp, err := client.Do(req)
					if err != nil {
						continue // a client timeout under load is the flood's problem
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					floods.Add(1)
					switch {
					case resp.StatusCode == http.StatusTooManyRequests:
						refused.Add(1)
					case resp.StatusCode >= 500:
						mu.Lock()
						serverErrors = append(serverErrors, fmt.Sprintf("%s %s: %d", req.Method, req.URL.Path, resp.StatusCode))
						mu.Unlock()
					default:
						served.Add(1)
					}
				}
			}()
		}
		var latencies []time.Duration
		var others sync.WaitGroup
		for w := range 2 {
			others.Add(1)
			go func() {
				defer others.Done()
				r := rand.New(rand.NewPCG(uint64(w), 11))
				var mine []time.Duration
				defer func() { mu.Lock(); latencies = append(latencies, mine...); mu.Unlock() }()
				for {
					select {
					case <-stop:
						return
					default:
					}
					lon, lat := point(r)
					req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/locate?lon=%.7f&lat=%.7f", base, lon, lat), nil)
					req.Header.Set("Authorization", "Bearer "+viewer)
					t0 := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						t.Errorf("a staff locate failed: %v", err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					mine = append(mine, time.Since(t0))
					if resp.StatusCode != 200 && resp.StatusCode != 404 {
						t.Errorf("a staff locate answered %d", resp.StatusCode)
						return
					}
					time.Sleep(5 * time.Millisecond) // a person's pace, many of them
				}
			}()
		}
		time.Sleep(*floodDuration)
		close(stop)
		wg.Wait()
		others.Wait()
		if len(latencies) < 100 {
			t.Fatalf("only %d staff locates in %s", len(latencies), *floodDuration)
		}
		slices.Sort(latencies)
		p50, p99 := latencies[len(latencies)/2], latencies[len(latencies)*99/100]
		t.Logf("floods %s, %d anonymous clients: %d flood requests (%d refused 429, %d served); staff: %d locates, p50 %s, p99 %s, max %s",
			*floodDuration, *floodClients, floods.Load(), refused.Load(), served.Load(), len(latencies),
			p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), latencies[len(latencies)-1].Round(10*time.Microsecond))
		if len(serverErrors) > 0 {
			t.Errorf("%d flood requests answered 5xx, e.g. %v", len(serverErrors), serverErrors[:min(5, len(serverErrors))])
		}
		if refused.Load() == 0 {
			t.Errorf("no flood request was refused: the default per-address limits are not on")
		}
		return p99
	}
	var p99s []time.Duration
	for range 3 {
		p99 := round()
		p99s = append(p99s, p99)
		if p99 <= *othersLocateP99 || t.Failed() {
			break
		}
	}
	if best := slices.Min(p99s); best > *othersLocateP99 {
		t.Errorf("staff locate p99 %v in %d rounds under anonymous floods, want one under %s", p99s, len(p99s), *othersLocateP99)
	}
}
