// Command bench measures citygrid against PostgreSQL + PostGIS on the same
// city and the same inputs, and checks that both give the same answers:
// point-in-grid (locate) single and batched, nearest-k components, and
// vector tiles generated on the fly. test/bench/run installs and starts
// PostgreSQL, loads the city exported by `citygrid export --postgis`, starts
// `citygrid serve` and runs this program; see the README's "PostGIS
// comparison".
//
//	go run ./test/bench -dir CITY -url http://127.0.0.1:PORT -pg postgres://...
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/gpkg"
	"citygrid/data/pgstore"
	"citygrid/spatial"
	"citygrid/tiles"
)

type config struct {
	dir, url, pg       string
	points, nearestN   int
	clients            int
	seed               uint64
	k                  int
	radius             float64
	tilesPerZoom       int
	throughputTiles    int
	vertexShare        float64
	skipHTTP, skipTile bool
	pgstoreSchema      string
	servePID, pgPID    int
}

// row is one line of the printed table.
type row struct {
	op           string
	cg, pg       time.Duration
	n            int // operations timed
	compared     int // answers compared (0: not compared)
	disagree     int
	note         string
	cgOnlyTiming bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.dir, "dir", "", "city directory holding citygrid.gpkg (required)")
	flag.StringVar(&cfg.url, "url", "", "base URL of a running 'citygrid serve' of the same city (required unless -skip-http)")
	flag.StringVar(&cfg.pg, "pg", "", "PostgreSQL connection string of the database loaded from 'citygrid export --postgis' (required)")
	flag.IntVar(&cfg.points, "points", 100_000, "random points for the locate test")
	flag.IntVar(&cfg.nearestN, "nearest", 10_000, "random points for the nearest test")
	flag.IntVar(&cfg.k, "k", 10, "k of the nearest test")
	flag.Float64Var(&cfg.radius, "radius", 200, "radius in metres of the nearest test")
	flag.IntVar(&cfg.clients, "c", 4, "concurrent clients (HTTP connections, PostgreSQL connections) of the concurrent rows")
	flag.Uint64Var(&cfg.seed, "seed", 1, "random seed of the inputs")
	flag.IntVar(&cfg.tilesPerZoom, "tiles-per-zoom", 60, "tiles compared per zoom, z12-z17 (all tiles of a zoom when it has fewer)")
	flag.IntVar(&cfg.throughputTiles, "throughput-tiles", 600, "distinct z15-z16 tiles of the HTTP throughput row")
	flag.Float64Var(&cfg.vertexShare, "vertex-share", 0.02, "share of the locate points placed exactly on unit grid vertices (shared corners: the tie-break)")
	flag.BoolVar(&cfg.skipHTTP, "skip-http", false, "in-process rows only")
	flag.BoolVar(&cfg.skipTile, "skip-tiles", false, "no tile rows")
	flag.IntVar(&cfg.servePID, "serve-pid", 0, "pid of the citygrid server at -url, for the server CPU rows")
	flag.IntVar(&cfg.pgPID, "pg-pid", 0, "pid of the PostgreSQL postmaster, for the server CPU rows")
	flag.StringVar(&cfg.pgstoreSchema, "pgstore-schema", "", "schema of a PostgreSQL store (citygrid migrate-store) holding the same city: adds the start-up load row")
	flag.Parse()
	if cfg.dir == "" || cfg.pg == "" || (cfg.url == "" && !cfg.skipHTTP) {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(context.Background(), cfg); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, cfg config) error {
	log.SetFlags(log.Ltime)
	st, err := gpkg.Open(ctx, cfg.dir+"/citygrid.gpkg")
	if err != nil {
		return err
	}
	t0 := time.Now()
	ds, err := st.Load(ctx)
	gpkgLoad := time.Since(t0)
	st.Close()
	if err != nil {
		return err
	}
	var rows []row
	if cfg.pgstoreSchema != "" {
		ps, err := pgstore.Open(ctx, cfg.pg, pgstore.Options{Schema: cfg.pgstoreSchema})
		if err != nil {
			return err
		}
		t0 = time.Now()
		pds, err := ps.Load(ctx)
		pgLoad := time.Since(t0)
		ps.Close()
		if err != nil {
			return err
		}
		bad := 0
		dv, pv := reflect.ValueOf(ds).Elem(), reflect.ValueOf(pds).Elem()
		for i := 0; i < dv.NumField(); i++ {
			if dv.Field(i).Kind() != reflect.Slice { // ChangeSeq: each store's log position, not a layer
				continue
			}
			if !reflect.DeepEqual(dv.Field(i).Interface(), pv.Field(i).Interface()) {
				log.Printf("DISAGREE store load: layer %s differs", dv.Type().Field(i).Name)
				bad++
			}
		}
		rows = append(rows, row{op: "start-up load of the whole city: GeoPackage store vs PostgreSQL store (data/pgstore)", cg: gpkgLoad, pg: pgLoad, n: 1,
			compared: dv.NumField(), disagree: bad, note: "both Load the whole city into memory at start-up (the spatial index is then built from it either way); agreement counted in layers, compared field by field"})
	}
	t0 = time.Now()
	ix, err := spatial.Build(ds)
	if err != nil {
		return err
	}
	log.Printf("city: %d unit grids, %d components; index built in %v", len(ds.UnitGrids), len(ds.Components), time.Since(t0).Round(time.Millisecond))
	pool, err := pgxpool.New(ctx, cfg.pg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgresql: %w", err)
	}
	var ver string
	if err := pool.QueryRow(ctx, "SELECT postgis_lib_version() || ' on ' || split_part(version(), ' on ', 1)").Scan(&ver); err != nil {
		return fmt.Errorf("postgis: %w", err)
	}
	log.Printf("PostGIS %s", ver)
	b := &bench{cfg: cfg, ds: ds, ix: ix, pool: pool, rng: rand.New(rand.NewPCG(cfg.seed, 7))}
	r, err := b.locate(ctx)
	if err != nil {
		return err
	}
	rows = append(rows, r...)
	r, err = b.nearest(ctx)
	if err != nil {
		return err
	}
	rows = append(rows, r...)
	if !cfg.skipTile {
		r, err = b.tiles(ctx)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	printTable(os.Stdout, rows, cfg, ver)
	for _, r := range rows {
		if r.disagree > 0 {
			return fmt.Errorf("%s: %d disagreements", r.op, r.disagree)
		}
	}
	return nil
}

type bench struct {
	cfg  config
	ds   *data.Dataset
	ix   *spatial.Index
	ts   *tiles.Tileset
	pool *pgxpool.Pool
	rng  *rand.Rand
}

func printTable(w *os.File, rows []row, cfg config, ver string) {
	var load string
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	fmt.Fprintf(w, "\ncitygrid vs PostgreSQL + PostGIS %s — %d CPU, load average %s, %d concurrent clients in the (cN) rows\n\n", ver, runtime.NumCPU(), load, cfg.clients)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tn\tcitygrid\tPostGIS\tratio\tagree\tdisagreements\t")
	for _, r := range rows {
		agree := "-"
		dis := "-"
		if r.compared > 0 {
			agree = "yes"
			if r.disagree > 0 {
				agree = "NO"
			}
			dis = fmt.Sprintf("%d of %d", r.disagree, r.compared)
		}
		ratio := "-"
		if r.cg > 0 && r.pg > 0 {
			ratio = fmt.Sprintf("%.1f×", float64(r.pg)/float64(r.cg))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", r.op, r.n, fmtDur(r.cg, r.n), fmtDur(r.pg, r.n), ratio, agree, dis)
	}
	tw.Flush()
	fmt.Fprintln(w, "\ntimes: total (per operation); ratio = PostGIS time / citygrid time")
	for _, r := range rows {
		if r.note != "" {
			fmt.Fprintf(w, "- %s: %s\n", r.op, r.note)
		}
	}
}

func fmtDur(d time.Duration, n int) string {
	if d == 0 {
		return "-"
	}
	per := d / time.Duration(max(n, 1))
	return fmt.Sprintf("%s (%s)", d.Round(time.Millisecond), roundPer(per))
}

func roundPer(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.1f µs", float64(d)/1e3)
	}
}

// cityBound is the bound of the unit grids.
func cityBound(ds *data.Dataset) orb.Bound {
	b := ds.UnitGrids[0].Geometry.Bound()
	for _, g := range ds.UnitGrids[1:] {
		b = b.Union(g.Geometry.Bound())
	}
	return b
}

// parallel runs fn(i) for i in [0, n) on c goroutines and returns the
// wall time and the first error.
func parallel(n, c int, fn func(worker, i int) error) (time.Duration, error) {
	start := time.Now()
	next := make(chan int, 1024)
	errs := make(chan error, c)
	go func() {
		for i := 0; i < n; i++ {
			next <- i
		}
		close(next)
	}()
	for w := 0; w < c; w++ {
		go func(w int) {
			var first error
			for i := range next {
				if first != nil {
					continue
				}
				first = fn(w, i)
			}
			errs <- first
		}(w)
	}
	var err error
	for w := 0; w < c; w++ {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	return time.Since(start), err
}

func sortedUnique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func absf(v float64) float64 { return math.Abs(v) }
