package main

import (
	"context"
	"fmt"
	"log"
	"math"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"citygrid/spatial"
)

// hit is one component of a nearest answer.
type hit struct {
	code string
	d    float64
}

// The PostGIS side of nearest: the k components nearest on the sphere
// (geography, use_spheroid = false: citygrid's distances are great-circle
// metres on the mean-radius sphere) within the radius, by the index-assisted
// KNN operator <->; ST_DWithin bounds the walk by the same radius.
const nearestSQL = `SELECT c.code, ST_Distance(c.geog, p.g, false)
FROM citygrid.components c,
     (SELECT ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326)::geography AS g) p
WHERE ST_DWithin(c.geog, p.g, $3::float8, false)
ORDER BY c.geog <-> p.g
LIMIT $4`

// distTol is the distance difference in metres within which two answers'
// distances count as equal (ties): citygrid measures lines and polygons in
// a local plane around the query point, PostGIS on the sphere.
const distTol = 0.05

func (b *bench) nearestPoints() []orb.Point {
	bd := cityBound(b.ds)
	pts := make([]orb.Point, 0, b.cfg.nearestN)
	for len(pts) < b.cfg.nearestN {
		p := orb.Point{bd.Min[0] + b.rng.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + b.rng.Float64()*(bd.Max[1]-bd.Min[1])}
		if _, err := b.ix.Locate(p); err == nil { // inside the city, where components are
			pts = append(pts, p)
		}
	}
	return pts
}

func (b *bench) nearest(ctx context.Context) ([]row, error) {
	pts := b.nearestPoints()
	n, k, radius := len(pts), b.cfg.k, b.cfg.radius
	log.Printf("nearest: %d points inside the city, k=%d, radius %g m", n, k, radius)
	cg := make([][]hit, n)
	start := time.Now()
	for i, p := range pts {
		res, err := b.ix.Nearest(p, k, radius, nil)
		if err != nil {
			return nil, err
		}
		hs := make([]hit, len(res.Components))
		for j, c := range res.Components {
			hs[j] = hit{c.Code, c.DistanceM}
		}
		cg[i] = hs
	}
	cgIn := time.Since(start)

	query := func(p orb.Point) ([]hit, error) {
		rs, err := b.pool.Query(ctx, nearestSQL, p[0], p[1], radius, k)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var hs []hit
		for rs.Next() {
			var h hit
			if err := rs.Scan(&h.code, &h.d); err != nil {
				return nil, err
			}
			hs = append(hs, h)
		}
		return hs, rs.Err()
	}
	pg := make([][]hit, n)
	pgOne, err := parallel(n, 1, func(_, i int) (err error) {
		pg[i], err = query(pts[i])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgis nearest: %w", err)
	}
	dis, maxDiff := compareNearest(pts, cg, pg, k)
	note := fmt.Sprintf("k=%d within %g m of random points inside the city; sets compared allowing ties at the k-th distance (±%g m); largest distance difference on a common component %.4f m", k, radius, distTol, maxDiff)
	rows := []row{{op: "nearest, 1 client: citygrid in process vs SQL <-> KNN (geography)", cg: cgIn, pg: pgOne, n: n, compared: n, disagree: dis, note: note}}
	if b.cfg.skipHTTP {
		return rows, nil
	}
	client := newClient(b.cfg.clients)
	cgh := make([][]hit, n)
	cgMeter := b.startCPU()
	cgHTTP, err := parallel(n, b.cfg.clients, func(_, i int) error {
		u := fmt.Sprintf("%s/api/v1/nearest?lon=%s&lat=%s&k=%d&radius=%s", b.cfg.url, strconv.FormatFloat(pts[i][0], 'g', -1, 64),
			strconv.FormatFloat(pts[i][1], 'g', -1, 64), k, strconv.FormatFloat(radius, 'g', -1, 64))
		var res spatial.NearestResult
		if err := getJSON(client, u, &res, 200); err != nil {
			return err
		}
		hs := make([]hit, len(res.Components))
		for j, c := range res.Components {
			hs[j] = hit{c.Code, c.DistanceM}
		}
		cgh[i] = hs
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("citygrid http nearest: %w", err)
	}
	pgc := make([][]hit, n)
	cgCPU := cgMeter.cgDone()
	pgMeter := b.startCPU()
	pgConc, err := parallel(n, b.cfg.clients, func(_, i int) (err error) {
		pgc[i], err = query(pts[i])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgis nearest: %w", err)
	}
	pgCPU := pgMeter.pgDone()
	dis, _ = compareNearest(pts, cgh, pgc, k)
	rows = append(rows, row{op: fmt.Sprintf("nearest, c%d: HTTP GET /api/v1/nearest vs SQL <-> KNN", b.cfg.clients), cg: cgHTTP, pg: pgConc, n: n, compared: n, disagree: dis})
	rows = append(rows, b.cpuRow(fmt.Sprintf("nearest, c%d: server CPU per query", b.cfg.clients), cgCPU, pgCPU, n))
	return rows, nil
}

// compareNearest counts the points whose answers differ beyond ties: both
// lists must have the same length, the same distances in order (±distTol),
// and the same codes except among components tied (±distTol) with the last
// distance, where either side may have chosen.
func compareNearest(pts []orb.Point, a, b [][]hit, k int) (bad int, maxDiff float64) {
	for i := range a {
		why := ""
		x, y := a[i], b[i]
		if len(x) != len(y) {
			why = fmt.Sprintf("%d vs %d components", len(x), len(y))
		} else {
			inY := map[string]float64{}
			for _, h := range y {
				inY[h.code] = h.d
			}
			for j := range x {
				if math.Abs(x[j].d-y[j].d) > distTol {
					why = fmt.Sprintf("distance #%d %.3f vs %.3f", j, x[j].d, y[j].d)
					break
				}
				if d, ok := inY[x[j].code]; ok {
					maxDiff = math.Max(maxDiff, math.Abs(d-x[j].d))
				} else if last := x[len(x)-1].d; len(x) < k || math.Abs(x[j].d-last) > distTol {
					why = fmt.Sprintf("%s (%.3f m) only in citygrid's answer", x[j].code, x[j].d)
					break
				}
			}
		}
		if why != "" {
			if bad < 5 {
				log.Printf("DISAGREE nearest at POINT(%.15g %.15g): %s\n  citygrid %v\n  postgis  %v", pts[i][0], pts[i][1], why, x, y)
			}
			bad++
		}
	}
	return bad, maxDiff
}
