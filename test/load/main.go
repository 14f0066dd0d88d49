// Command load drives a running citygrid server over loopback and reports
// throughput and latency percentiles for locate and tile requests:
//
//	go run ./test/load -url http://127.0.0.1:8080 -c 64 -d 10s [-mode locate|tiles|mixed]
//	go run ./test/load -mode edit -token $TOKEN -rate 1000 -c 64 -d 60s  (see edit.go)
//
// It only talks to loopback addresses, stops after -d or -n requests,
// whichever comes first, and exits non-zero if any request failed.
//
// Every request says "Accept-Encoding: gzip", as a browser or map client
// does, and the transport's own decompression is off: the server's gzip
// path is what is measured, and the report counts gzip answers and the
// bytes on the wire (compressed) per request.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// target is one kind of request: the URLs to cycle through and the
// statuses that count as success.
type target struct {
	name string
	urls []string
	ok   map[int]bool
}

// result is what one worker measured for one target.
type result struct {
	lat    []time.Duration
	errors int
	status map[int]int
	gzip   int   // answers with Content-Encoding: gzip
	bytes  int64 // body bytes as sent (compressed when gzip)
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "base URL of the server (loopback only)")
	conc := fs.Int("c", 64, "concurrent connections")
	dur := fs.Duration("d", 10*time.Second, "duration (at most 5m)")
	maxN := fs.Int64("n", 10_000_000, "stop after this many requests")
	mode := fs.String("mode", "locate", "locate, tiles or mixed")
	bboxFlag := fs.String("bbox", "", "minLon,minLat,maxLon,maxLat of locate points (default: the tileset bounds, else the demo city)")
	zooms := fs.String("zooms", "14,15,16", "tile zooms to request")
	tileset := fs.String("tileset", "city", "tileset name")
	seed := fs.Uint64("seed", 1, "random seed of the request mix")
	eo := addEditFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *conc < 1 || *conc > 1024 {
		return errors.New("-c must be between 1 and 1024")
	}
	if *dur <= 0 || *dur > 5*time.Minute {
		return errors.New("-d must be positive and at most 5m")
	}
	u, err := url.Parse(*base)
	if err != nil {
		return fmt.Errorf("-url: %w", err)
	}
	if err := checkLoopback(u.Hostname()); err != nil {
		return err
	}
	baseURL := strings.TrimRight(*base, "/")

	tr := &http.Transport{
		MaxIdleConns:        *conc * 2,
		MaxIdleConnsPerHost: *conc * 2,
		MaxConnsPerHost:     *conc,
		IdleConnTimeout:     30 * time.Second,
		// Send Accept-Encoding ourselves and read the compressed bytes as
		// they come: the transport would otherwise add the header and
		// decompress, which a browser does not do on the tool's clock.
		DisableCompression: true,
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	if *mode == "edit" {
		return runEdits(eo, client, baseURL, *tileset, *conc, *dur, *maxN, *seed, *bboxFlag, out)
	}
	rng := rand.New(rand.NewPCG(*seed, 0x5eed))

	tj, tjErr := fetchTileJSON(client, baseURL+"/tiles/"+*tileset+".json")
	box := [4]float64{118.70, 31.92, 118.84, 32.03} // around 雨花台区
	if tjErr == nil && len(tj.Bounds) == 4 {
		copy(box[:], tj.Bounds)
	}
	if *bboxFlag != "" {
		if _, err := fmt.Sscanf(*bboxFlag, "%g,%g,%g,%g", &box[0], &box[1], &box[2], &box[3]); err != nil {
			return fmt.Errorf("-bbox: %w", err)
		}
	}

	var targets []target
	if *mode == "locate" || *mode == "mixed" {
		t := target{name: "locate", ok: map[int]bool{200: true, 404: true}}
		for range 20_000 {
			lon := box[0] + rng.Float64()*(box[2]-box[0])
			lat := box[1] + rng.Float64()*(box[3]-box[1])
			t.urls = append(t.urls, fmt.Sprintf("%s/api/v1/locate?lon=%.7f&lat=%.7f", baseURL, lon, lat))
		}
		targets = append(targets, t)
	}
	if *mode == "tiles" || *mode == "mixed" {
		if tjErr != nil {
			return fmt.Errorf("tiles: %w", tjErr)
		}
		if len(tj.Tiles) == 0 {
			return errors.New("tiles: TileJSON lists no tile URL")
		}
		t := target{name: "tiles", ok: map[int]bool{200: true, 204: true}}
		var zs []int
		for _, s := range strings.Split(*zooms, ",") {
			var z int
			if _, err := fmt.Sscanf(s, "%d", &z); err != nil || z < 0 || z > 22 {
				return fmt.Errorf("-zooms: bad zoom %q", s)
			}
			zs = append(zs, z)
		}
		for _, z := range zs {
			x0, y1 := lonLatToTile(box[0], box[1], z)
			x1, y0 := lonLatToTile(box[2], box[3], z)
			for range 5_000 {
				x := x0 + rng.IntN(x1-x0+1)
				y := y0 + rng.IntN(y1-y0+1)
				s := tj.Tiles[0]
				s = strings.ReplaceAll(s, "{z}", fmt.Sprint(z))
				s = strings.ReplaceAll(s, "{x}", fmt.Sprint(x))
				s = strings.ReplaceAll(s, "{y}", fmt.Sprint(y))
				if !strings.HasPrefix(s, "http") {
					s = baseURL + s
				}
				su, err := url.Parse(s)
				if err != nil {
					return fmt.Errorf("tile URL %q: %w", s, err)
				}
				if err := checkLoopback(su.Hostname()); err != nil {
					return err
				}
				t.urls = append(t.urls, s)
			}
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		return fmt.Errorf("-mode %q: want locate, tiles or mixed", *mode)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	var sent atomic.Int64
	results := make([][]result, *conc)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range *conc {
		results[w] = make([]result, len(targets))
		for i := range targets {
			results[w][i] = result{lat: make([]time.Duration, 0, 4096), status: map[int]int{}}
		}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(*seed, uint64(w)))
			buf := make([]byte, 32<<10)
			for ctx.Err() == nil && sent.Add(1) <= *maxN {
				ti := r.IntN(len(targets))
				t := &targets[ti]
				u := t.urls[r.IntN(len(t.urls))]
				res := &results[w][ti]
				req, err := http.NewRequest(http.MethodGet, u, nil)
				if err != nil {
					res.errors++
					continue
				}
				req.Header.Set("Accept-Encoding", "gzip")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						res.errors++
					}
					continue
				}
				for {
					n, err := resp.Body.Read(buf)
					res.bytes += int64(n)
					if err != nil {
						break
					}
				}
				if resp.Header.Get("Content-Encoding") == "gzip" {
					res.gzip++
				}
				resp.Body.Close()
				res.lat = append(res.lat, time.Since(t0))
				res.status[resp.StatusCode]++
				if !t.ok[resp.StatusCode] {
					res.errors++
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)

	failed := false
	fmt.Fprintf(out, "load: %s, %d connections, %s\n", baseURL, *conc, elapsed.Round(time.Millisecond))
	for i, t := range targets {
		var all []time.Duration
		errs, gz := 0, 0
		var bytes int64
		status := map[int]int{}
		for w := range results {
			all = append(all, results[w][i].lat...)
			errs += results[w][i].errors
			gz += results[w][i].gzip
			bytes += results[w][i].bytes
			for k, v := range results[w][i].status {
				status[k] += v
			}
		}
		slices.Sort(all)
		perReq := 0.0
		if len(all) > 0 {
			perReq = float64(bytes) / float64(len(all))
		}
		fmt.Fprintf(out, "%-7s requests=%d req/s=%.0f p50=%s p90=%s p99=%s max=%s errors=%d statuses=%v gzip=%d bytes/req=%.0f\n",
			t.name, len(all), float64(len(all))/elapsed.Seconds(),
			pct(all, 0.50), pct(all, 0.90), pct(all, 0.99), pct(all, 1), errs, status, gz, perReq)
		if errs > 0 || len(all) == 0 {
			failed = true
		}
	}
	if failed {
		return errors.New("some requests failed")
	}
	return nil
}

// pct returns the q-quantile of sorted latencies.
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i].Round(time.Microsecond)
}

// checkLoopback refuses any host that is not a loopback address: this tool
// must never send load anywhere else.
func checkLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to load %q: only loopback addresses (127.0.0.0/8, ::1, localhost) are allowed", host)
	}
	return nil
}

// tileJSON is the part of a TileJSON document the tool needs.
type tileJSON struct {
	Tiles  []string  `json:"tiles"`
	Bounds []float64 `json:"bounds"`
}

func fetchTileJSON(c *http.Client, u string) (tileJSON, error) {
	var tj tileJSON
	resp, err := c.Get(u)
	if err != nil {
		return tj, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return tj, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return tj, json.NewDecoder(resp.Body).Decode(&tj)
}

// lonLatToTile returns the XYZ tile holding a point at zoom z.
func lonLatToTile(lon, lat float64, z int) (x, y int) {
	n := math.Exp2(float64(z))
	x = int((lon + 180) / 360 * n)
	r := lat * math.Pi / 180
	y = int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
	return x, y
}
