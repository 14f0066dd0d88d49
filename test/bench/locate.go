package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"citygrid/spatial"
)

// answer is what both systems say about a point: the unit grid, community,
// street and district codes and "kind:code" of each management grid, in
// kind order. Empty codes: not covered.
type answer struct {
	grid, comm, street, dist string
	mgmt                     string
}

func (a answer) String() string {
	return fmt.Sprintf("grid=%s community=%s street=%s district=%s mgmt=[%s]", a.grid, a.comm, a.street, a.dist, a.mgmt)
}

func mgmtKey(parts []string) string {
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func answerOf(loc *spatial.Location) answer {
	a := answer{grid: loc.UnitGrid.Code, comm: loc.Community.Code, street: loc.Street.Code, dist: loc.District.Code}
	parts := make([]string, len(loc.ManagementGrids))
	for i, m := range loc.ManagementGrids {
		parts[i] = m.Kind + ":" + m.Code
	}
	a.mgmt = mgmtKey(parts)
	return a
}

// The PostGIS side of locate: ST_Covers (boundaries count) on every layer,
// with citygrid's documented tie-break: among covering polygons the lowest
// code wins (per management-grid kind). Each layer is its own
// index-assisted subquery.
const locateCols = `
  (SELECT u.code FROM citygrid.unit_grids u WHERE ST_Covers(u.geom, p.g) ORDER BY u.code COLLATE "C" LIMIT 1),
  (SELECT a.code FROM citygrid.admin_units a WHERE a.level = 'community' AND ST_Covers(a.geom, p.g) ORDER BY a.code COLLATE "C" LIMIT 1),
  (SELECT a.code FROM citygrid.admin_units a WHERE a.level = 'street' AND ST_Covers(a.geom, p.g) ORDER BY a.code COLLATE "C" LIMIT 1),
  (SELECT a.code FROM citygrid.admin_units a WHERE a.level = 'district' AND ST_Covers(a.geom, p.g) ORDER BY a.code COLLATE "C" LIMIT 1),
  (SELECT string_agg(m.kind || ':' || m.code, ',') FROM (
     SELECT DISTINCT ON (m.kind) m.kind, m.code FROM citygrid.management_grids m
     WHERE ST_Covers(m.geom, p.g) ORDER BY m.kind, m.code COLLATE "C") m)`

const locateSQL = `SELECT` + locateCols + `
FROM (SELECT ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326) AS g) p`

const locateBatchSQL = `SELECT p.i,` + locateCols + `
FROM (SELECT i, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS g
      FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS t(lon, lat, i)) p
ORDER BY p.i`

func scanAnswer(scan func(dest ...any) error, extra ...any) (answer, error) {
	var g, c, s, d, m *string
	dest := append(extra, &g, &c, &s, &d, &m)
	if err := scan(dest...); err != nil {
		return answer{}, err
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	a := answer{grid: str(g), comm: str(c), street: str(s), dist: str(d)}
	if m != nil {
		a.mgmt = mgmtKey(strings.Split(*m, ","))
	}
	return a, nil
}

// locatePoints makes the locate inputs: uniform random points over the
// unit grids' bound, and a share placed exactly on grid vertices (corners
// shared by up to four grids, where the tie-break decides).
func (b *bench) locatePoints() []orb.Point {
	bd := cityBound(b.ds)
	pts := make([]orb.Point, b.cfg.points)
	nv := int(float64(len(pts)) * b.cfg.vertexShare)
	for i := range pts {
		if i < nv {
			g := b.ds.UnitGrids[b.rng.IntN(len(b.ds.UnitGrids))].Geometry
			r := g[b.rng.IntN(len(g))][0]
			pts[i] = r[b.rng.IntN(len(r))]
			continue
		}
		pts[i] = orb.Point{bd.Min[0] + b.rng.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + b.rng.Float64()*(bd.Max[1]-bd.Min[1])}
	}
	b.rng.Shuffle(len(pts), func(i, j int) { pts[i], pts[j] = pts[j], pts[i] })
	return pts
}

func (b *bench) locate(ctx context.Context) ([]row, error) {
	pts := b.locatePoints()
	n := len(pts)
	log.Printf("locate: %d points (%.0f%% on grid vertices)", n, b.cfg.vertexShare*100)

	// citygrid in process, one call per point.
	cg := make([]answer, n)
	loc := spatial.Location{ManagementGrids: make([]spatial.ManagementGridRef, 0, 8)}
	start := time.Now()
	for i, p := range pts {
		err := b.ix.LocateInto(p, &loc)
		if err != nil && !spatial.IsOutside(err) {
			return nil, err
		}
		cg[i] = answerOf(&loc)
	}
	cgIn := time.Since(start)
	covered := 0
	for _, a := range cg {
		if a.grid != "" {
			covered++
		}
	}

	// PostGIS, one query per point on one connection (prepared).
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	pg := make([]answer, n)
	start = time.Now()
	for i, p := range pts {
		a, err := scanAnswer(conn.QueryRow(ctx, locateSQL, p[0], p[1]).Scan)
		if err != nil {
			conn.Release()
			return nil, fmt.Errorf("postgis locate: %w", err)
		}
		pg[i] = a
	}
	pgSingle := time.Since(start)
	conn.Release()
	dis1 := compareAnswers("in-process vs ST_Covers", pts, cg, pg)
	rows := []row{{op: "locate, 1 client: citygrid in process vs SQL per point", cg: cgIn, pg: pgSingle, n: n, compared: n, disagree: dis1,
		note: fmt.Sprintf("%d of %d points covered (the rest lie outside the district, where citygrid also finds the nearest grid and PostGIS returns nulls); %d on unit grid vertices; every layer compared (unit grid, community, street, district, management grid per kind)", covered, n, int(float64(n)*b.cfg.vertexShare))}}

	// PostGIS batched: one query over unnest.
	lons, lats := make([]float64, n), make([]float64, n)
	for i, p := range pts {
		lons[i], lats[i] = p[0], p[1]
	}
	pgb := make([]answer, n)
	start = time.Now()
	rs, err := b.pool.Query(ctx, locateBatchSQL, lons, lats)
	if err != nil {
		return nil, fmt.Errorf("postgis batch: %w", err)
	}
	k := 0
	for rs.Next() {
		var idx int64
		a, err := scanAnswer(rs.Scan, &idx)
		if err != nil {
			rs.Close()
			return nil, err
		}
		if idx < 1 || int(idx) > n {
			rs.Close()
			return nil, fmt.Errorf("postgis batch: row %d", idx)
		}
		pgb[idx-1] = a
		k++
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("postgis batch: %w", err)
	}
	pgBatch := time.Since(start)
	if k != n {
		return nil, fmt.Errorf("postgis batch: %d rows for %d points", k, n)
	}

	// citygrid in process, batch.
	start = time.Now()
	locs, err := b.ix.LocateBatch(pts)
	if err != nil {
		return nil, err
	}
	cgBatchIn := time.Since(start)
	cgb := make([]answer, n)
	for i := range locs {
		cgb[i] = answerOf(&locs[i])
	}
	rows = append(rows, row{op: "locate batch: citygrid LocateBatch in process vs one SQL query (unnest)", cg: cgBatchIn, pg: pgBatch, n: n, compared: n,
		disagree: compareAnswers("LocateBatch vs SQL batch", pts, cgb, pgb)})

	if b.cfg.skipHTTP {
		return rows, nil
	}
	client := newClient(b.cfg.clients)
	// citygrid over HTTP, one request per point, c clients; PostGIS c connections.
	cgh := make([]answer, n)
	cgMeter := b.startCPU()
	cgHTTP, err := parallel(n, b.cfg.clients, func(_, i int) error {
		u := b.cfg.url + "/api/v1/locate?lon=" + strconv.FormatFloat(pts[i][0], 'g', -1, 64) + "&lat=" + strconv.FormatFloat(pts[i][1], 'g', -1, 64)
		var loc spatial.Location
		if err := getJSON(client, u, &loc, http.StatusOK, http.StatusNotFound); err != nil {
			return err
		}
		cgh[i] = answerOf(&loc)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("citygrid http locate: %w", err)
	}
	pgc := make([]answer, n)
	cgCPU := cgMeter.cgDone()
	pgMeter := b.startCPU()
	pgConc, err := parallel(n, b.cfg.clients, func(_, i int) error {
		a, err := scanAnswer(b.pool.QueryRow(ctx, locateSQL, pts[i][0], pts[i][1]).Scan)
		pgc[i] = a
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgis locate: %w", err)
	}
	pgCPU := pgMeter.pgDone()
	rows = append(rows, row{op: fmt.Sprintf("locate, c%d: HTTP GET /api/v1/locate vs SQL per point", b.cfg.clients), cg: cgHTTP, pg: pgConc, n: n, compared: n,
		disagree: compareAnswers("HTTP locate vs ST_Covers", pts, cgh, pgc)})
	rows = append(rows, b.cpuRow(fmt.Sprintf("locate, c%d: server CPU per point (citygrid process vs PostgreSQL processes)", b.cfg.clients), cgCPU, pgCPU, n))

	// citygrid HTTP batch: one POST of every point.
	var body bytes.Buffer
	body.WriteString(`{"crs":"wgs84","points":[`)
	for i, p := range pts {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, "[%s,%s]", strconv.FormatFloat(p[0], 'g', -1, 64), strconv.FormatFloat(p[1], 'g', -1, 64))
	}
	body.WriteString(`]}`)
	start = time.Now()
	resp, err := client.Post(b.cfg.url+"/api/v1/locate/batch", "application/json", bytes.NewReader(body.Bytes()))
	if err != nil {
		return nil, err
	}
	var br struct {
		Results []struct {
			UnitGrid        struct{ Code string } `json:"unit_grid"`
			Community       struct{ Code string }
			Street          struct{ Code string }
			District        struct{ Code string }
			ManagementGrids []struct{ Kind, Code string } `json:"management_grids"`
		}
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	cgHTTPBatch := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("citygrid batch: %s: %.300s", resp.Status, raw)
	}
	if err := json.Unmarshal(raw, &br); err != nil {
		return nil, fmt.Errorf("citygrid batch: %w", err)
	}
	if len(br.Results) != n {
		return nil, fmt.Errorf("citygrid batch: %d results for %d points", len(br.Results), n)
	}
	cghb := make([]answer, n)
	for i, r := range br.Results {
		parts := make([]string, len(r.ManagementGrids))
		for j, m := range r.ManagementGrids {
			parts[j] = m.Kind + ":" + m.Code
		}
		cghb[i] = answer{grid: r.UnitGrid.Code, comm: r.Community.Code, street: r.Street.Code, dist: r.District.Code, mgmt: mgmtKey(parts)}
	}
	rows = append(rows, row{op: "locate batch: HTTP POST /api/v1/locate/batch vs one SQL query (unnest)", cg: cgHTTPBatch, pg: pgBatch, n: n, compared: n,
		disagree: compareAnswers("HTTP batch vs SQL batch", pts, cghb, pgb),
		note:     fmt.Sprintf("one request of %d points (%.1f MB JSON body), answer read and parsed inside the citygrid time", n, float64(body.Len())/1e6)})
	return rows, nil
}

// compareAnswers counts the points whose answers differ and logs the first
// few.
func compareAnswers(what string, pts []orb.Point, a, b []answer) int {
	bad := 0
	for i := range a {
		if a[i] != b[i] {
			if bad < 5 {
				log.Printf("DISAGREE %s at POINT(%.15g %.15g):\n  citygrid %v\n  postgis  %v", what, pts[i][0], pts[i][1], a[i], b[i])
			}
			bad++
		}
	}
	return bad
}

func newClient(c int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = c * 2
	tr.MaxConnsPerHost = c * 2
	var rt http.RoundTripper = tr
	if tok := os.Getenv("CITYGRID_TOKEN"); tok != "" {
		rt = bearer{tok, tr}
	}
	return &http.Client{Transport: rt, Timeout: 2 * time.Minute}
}

// bearer sends every request with a token: a batch of more than 1,000
// points, as the comparison posts, is for authenticated callers.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func getJSON(c *http.Client, url string, v any, ok ...int) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	good := false
	for _, s := range ok {
		good = good || resp.StatusCode == s
	}
	if !good {
		return fmt.Errorf("%s: %s: %.300s", url, resp.Status, raw)
	}
	return json.Unmarshal(raw, v)
}

var _ = pgx.ErrNoRows
