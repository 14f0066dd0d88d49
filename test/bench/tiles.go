package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/maptile"

	"citygrid/tiles"
)

// tileAddr is one tile.
type tileAddr struct{ z, x, y int }

// pixelUnits is one pixel of a 512-pixel tile in MVT units (extent 4096):
// geometry of a feature in both tiles must agree within it.
const pixelUnits = 8

// tileSQL is the PostGIS tile for zoom z with the layers, attributes, zoom
// thresholds, extent (4096) and buffer (64) of citygrid's tileset: one
// ST_AsMVT per layer over ST_AsMVTGeom of the Web Mercator column (GiST
// indexed), concatenated. Polygons and lines are selected within the
// buffered envelope, points within the tile itself (citygrid draws a point
// in exactly one tile). Components come only from the categories drawn at
// that zoom ($4). citygrid's own label and cluster layers have no PostGIS
// counterpart and are left out.
func tileSQL(z int) string {
	type layer struct{ name, cols, from, where string }
	// A point belongs to exactly one tile, as in citygrid: half-open
	// [xmin, xmax) × (ymin, ymax] in Web Mercator (y up, tile rows down).
	// && alone compares the float4 boxes PostGIS stores with each geometry,
	// which reach about a metre past a point at these coordinates.
	in := func(a string) string {
		g := a + ".geom_3857"
		return fmt.Sprintf("%s && e.env AND ST_X(%s) >= ST_XMin(e.env) AND ST_X(%s) < ST_XMax(e.env) AND ST_Y(%s) > ST_YMin(e.env) AND ST_Y(%s) <= ST_YMax(e.env)", g, g, g, g, g)
	}
	var ls []layer
	ls = append(ls, layer{"districts", "a.mvt_id, a.code, a.name", "citygrid.admin_units a", "a.level = 'district' AND a.geom_3857 && e.benv"})
	if z >= 10 {
		ls = append(ls, layer{"streets", "a.mvt_id, a.code, a.name, a.parent AS district", "citygrid.admin_units a", "a.level = 'street' AND a.geom_3857 && e.benv"})
	}
	if z >= 12 {
		ls = append(ls, layer{"communities", "a.mvt_id, a.code, a.name, a.parent AS street", "citygrid.admin_units a", "a.level = 'community' AND a.geom_3857 && e.benv"})
	}
	if z >= 14 {
		cols := "u.mvt_id, u.code, u.community"
		if z >= 16 {
			cols += ", round(u.area_m2::numeric, 1)::float8 AS area_m2"
		}
		ls = append(ls, layer{"unit_grids", cols, "citygrid.unit_grids u", "u.geom_3857 && e.benv"})
	}
	if z >= 11 {
		ls = append(ls, layer{"management_grids", "m.mvt_id, m.kind, m.code, m.name, m.unit", "citygrid.management_grids m", "m.geom_3857 && e.benv"})
	}
	if z >= 10 {
		ls = append(ls, layer{"roads", "r.mvt_id, r.code, r.name", "citygrid.roads r", "r.geom_3857 && e.benv"})
	}
	cols := "c.mvt_id, c.code, c.category, substr(c.category, 1, 2) AS big"
	if z >= 15 {
		cols += ", c.status"
	}
	if z >= 17 {
		cols += ", c.name, c.department, c.unit_grid"
	}
	ls = append(ls, layer{"components", cols, "citygrid.components c",
		"c.category = ANY($4::text[]) AND c.geom_3857 && e.benv AND CASE WHEN ST_Dimension(c.geom_3857) > 0 THEN true ELSE " + in("c") + " END"})
	if z >= 16 {
		cols := "d.mvt_id, d.code, d.number, d.road"
		if z >= 17 {
			cols += ", d.full_address AS address"
		}
		ls = append(ls, layer{"addresses", cols, "citygrid.addresses d", in("d")})
	}
	if z >= 13 {
		w := in("p")
		if z < 15 {
			w += " AND p.landmark"
		}
		ls = append(ls, layer{"pois", "p.mvt_id, p.code, p.name, p.kind, p.landmark", "citygrid.pois p", w})
	}
	var sb strings.Builder
	sb.WriteString("WITH e AS (SELECT ST_TileEnvelope($1, $2, $3) AS env, ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096) AS benv)\nSELECT ")
	for i, l := range ls {
		if i > 0 {
			sb.WriteString("\n || ")
		}
		fmt.Fprintf(&sb, "COALESCE((SELECT ST_AsMVT(t, '%s', 4096, 'geom', 'mvt_id') FROM (SELECT %s, ST_AsMVTGeom(%s.geom_3857, e.env, 4096, 64, true) AS geom FROM %s, e WHERE %s) t WHERE t.geom IS NOT NULL), ''::bytea)",
			l.name, l.cols, l.from[strings.LastIndexByte(l.from, ' ')+1:], l.from, l.where)
	}
	return sb.String()
}

// comparedLayers are the layers both systems draw.
var comparedLayers = []string{"districts", "streets", "communities", "unit_grids", "management_grids", "roads", "components", "addresses", "pois"}

func (b *bench) tileLists() (cmp []tileAddr, thr []tileAddr) {
	bd := cityBound(b.ds)
	seen := map[tileAddr]bool{}
	for z := 12; z <= 17; z++ {
		var all []tileAddr
		lo := maptile.At(orb.Point{bd.Min[0], bd.Max[1]}, maptile.Zoom(z))
		hi := maptile.At(orb.Point{bd.Max[0], bd.Min[1]}, maptile.Zoom(z))
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				if b.ts.Covers(z, int(x), int(y)) {
					all = append(all, tileAddr{z, int(x), int(y)})
				}
			}
		}
		b.rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		take := min(len(all), b.cfg.tilesPerZoom)
		for _, t := range all[:take] {
			cmp = append(cmp, t)
			seen[t] = true
		}
		if z == 15 || z == 16 {
			for _, t := range all[take:] {
				thr = append(thr, t)
			}
		}
	}
	b.rng.Shuffle(len(thr), func(i, j int) { thr[i], thr[j] = thr[j], thr[i] })
	if len(thr) > b.cfg.throughputTiles {
		thr = thr[:b.cfg.throughputTiles]
	}
	return cmp, thr
}

// pgTile draws one tile with PostGIS.
func (b *bench) pgTile(ctx context.Context, t tileAddr) ([]byte, error) {
	var out []byte
	err := b.pool.QueryRow(ctx, tileSQL(t.z), t.z, t.x, t.y, b.catsAt(t.z)).Scan(&out)
	return out, err
}

// catsAt lists the component categories citygrid draws one by one at z.
func (b *bench) catsAt(z int) []string {
	var out []string
	for _, c := range b.ds.Categories {
		if c.Kind == "component" && b.ts.CategoryMinZoom(c.Code) <= z {
			out = append(out, c.Code)
		}
	}
	return out
}

type tileStats struct {
	features, bad       int
	maxDist             map[string]float64
	onlyCG, onlyPG, far map[string]int
	// bufferOnly counts features that one side draws wholly in the buffer
	// (outside the tile proper) and the other leaves out: a line grazing
	// the buffer's edge clips to a sliver one side keeps and the other
	// drops as collapsed. No map shows them; they are not disagreements.
	bufferOnly map[string]int
}

func newTileStats() *tileStats {
	return &tileStats{maxDist: map[string]float64{}, onlyCG: map[string]int{}, onlyPG: map[string]int{}, far: map[string]int{}, bufferOnly: map[string]int{}}
}

func (s *tileStats) summary() string {
	var parts []string
	for _, l := range comparedLayers {
		if d, ok := s.maxDist[l]; ok {
			p := fmt.Sprintf("%s %.1f", l, d)
			if n := s.onlyCG[l] + s.onlyPG[l] + s.far[l]; n > 0 {
				p += fmt.Sprintf(" (%d only citygrid, %d only PostGIS, %d apart)", s.onlyCG[l], s.onlyPG[l], s.far[l])
			}
			parts = append(parts, p)
		}
	}
	out := "largest geometry distance per layer in tile units (vertices inside the tile): " + strings.Join(parts, ", ")
	var buf []string
	for _, l := range comparedLayers {
		if n := s.bufferOnly[l]; n > 0 {
			buf = append(buf, fmt.Sprintf("%s %d", l, n))
		}
	}
	if len(buf) > 0 {
		out += "; features in one tile only but wholly in its buffer (not counted): " + strings.Join(buf, ", ")
	}
	return out
}

func decodeTile(raw []byte) (mvt.Layers, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		return mvt.UnmarshalGzipped(raw)
	}
	return mvt.Unmarshal(raw)
}

// compareTile compares the features of the layers both draw: the same
// feature ids, and each feature's geometry within pixelUnits (Hausdorff
// distance over vertices and segments, in tile units).
func compareTile(t tileAddr, cgRaw, pgRaw []byte, st *tileStats) error {
	cl, err := decodeTile(cgRaw)
	if err != nil {
		return fmt.Errorf("citygrid tile %v: %w", t, err)
	}
	pl, err := decodeTile(pgRaw)
	if err != nil {
		return fmt.Errorf("postgis tile %v: %w", t, err)
	}
	byName := func(ls mvt.Layers) map[string]map[uint64]orb.Geometry {
		m := map[string]map[uint64]orb.Geometry{}
		for _, l := range ls {
			fs := map[uint64]orb.Geometry{}
			for _, f := range l.Features {
				id, _ := f.ID.(uint64)
				if id == 0 {
					if fl, ok := f.ID.(float64); ok {
						id = uint64(fl)
					}
				}
				fs[id] = f.Geometry
			}
			m[l.Name] = fs
		}
		return m
	}
	cm, pm := byName(cl), byName(pl)
	for _, name := range comparedLayers {
		c, p := cm[name], pm[name]
		if _, ok := st.maxDist[name]; !ok && (len(c) > 0 || len(p) > 0) {
			st.maxDist[name] = 0
		}
		for id, g := range c {
			st.features++
			q, ok := p[id]
			if !ok && !g.Bound().Intersects(tileBox) {
				st.bufferOnly[name]++
				continue
			}
			if !ok {
				st.bad++
				st.onlyCG[name]++
				if st.bad <= 8 {
					log.Printf("DISAGREE tile %d/%d/%d layer %s: feature %d only in citygrid's tile (%s)", t.z, t.x, t.y, name, id, g.GeoJSONType())
					if os.Getenv("BENCH_DEBUG") != "" {
						log.Printf("  citygrid %.3000s", wkt.MarshalString(g))
					}
				}
				continue
			}
			var gs, qs string
			if os.Getenv("BENCH_DEBUG") != "" {
				gs, qs = wkt.MarshalString(g), wkt.MarshalString(q)
			}
			d := hausdorff(g, q)
			st.maxDist[name] = math.Max(st.maxDist[name], d)
			if d > pixelUnits {
				st.bad++
				st.far[name]++
				if st.bad <= 8 {
					log.Printf("DISAGREE tile %d/%d/%d layer %s: feature %d geometry %.1f units apart", t.z, t.x, t.y, name, id, d)
					if os.Getenv("BENCH_DEBUG") != "" {
						log.Printf("  citygrid %.3000s\n  postgis  %.3000s", gs, qs)
					}
				}
			}
		}
		for id, g := range p {
			if _, ok := c[id]; !ok {
				if !g.Bound().Intersects(tileBox) {
					st.bufferOnly[name]++
					continue
				}
				st.features++
				st.bad++
				st.onlyPG[name]++
				if st.bad <= 8 {
					log.Printf("DISAGREE tile %d/%d/%d layer %s: feature %d only in PostGIS's tile (%s)", t.z, t.x, t.y, name, id, g.GeoJSONType())
				}
			}
		}
	}
	return nil
}

// tileBox is the tile itself, without the buffer.
var tileBox = orb.Bound{Max: orb.Point{4096, 4096}}

// hausdorff is the symmetric Hausdorff distance between two geometries'
// outlines, taken over the vertices of each that lie in the tile proper
// against the whole outline (buffer included) of the other. Vertices in
// the buffer are not compared: where an edge meets the buffer's clip line
// at a grazing angle, a sub-unit difference in the edge moves the
// intersection by many units along the line, in a part no map shows (and
// clipping both to the tile would only move the problem to the tile edge).
func hausdorff(a, b orb.Geometry) float64 {
	av, as := outline(a)
	bv, bs := outline(b)
	d := 0.0
	for _, v := range av {
		if tileBox.Contains(v) {
			d = math.Max(d, distToSegs(v, bs))
		}
	}
	for _, v := range bv {
		if tileBox.Contains(v) {
			d = math.Max(d, distToSegs(v, as))
		}
	}
	return d
}

func outline(g orb.Geometry) (verts []orb.Point, segs [][2]orb.Point) {
	line := func(ls []orb.Point, closed bool) {
		verts = append(verts, ls...)
		for i := 0; i+1 < len(ls); i++ {
			segs = append(segs, [2]orb.Point{ls[i], ls[i+1]})
		}
		if closed && len(ls) > 1 {
			segs = append(segs, [2]orb.Point{ls[len(ls)-1], ls[0]})
		}
		if len(ls) == 1 {
			segs = append(segs, [2]orb.Point{ls[0], ls[0]})
		}
	}
	switch g := g.(type) {
	case orb.Point:
		line([]orb.Point{g}, false)
	case orb.MultiPoint:
		for _, p := range g {
			line([]orb.Point{p}, false)
		}
	case orb.LineString:
		line(g, false)
	case orb.MultiLineString:
		for _, l := range g {
			line(l, false)
		}
	case orb.Polygon:
		for _, r := range g {
			line(r, true)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				line(r, true)
			}
		}
	}
	return verts, segs
}

func distToSegs(p orb.Point, segs [][2]orb.Point) float64 {
	best := math.Inf(1)
	for _, s := range segs {
		ax, ay := s[0][0], s[0][1]
		dx, dy := s[1][0]-ax, s[1][1]-ay
		t := 0.0
		if l := dx*dx + dy*dy; l > 0 {
			t = math.Max(0, math.Min(1, ((p[0]-ax)*dx+(p[1]-ay)*dy)/l))
		}
		ex, ey := ax+t*dx-p[0], ay+t*dy-p[1]
		best = math.Min(best, ex*ex+ey*ey)
	}
	return math.Sqrt(best)
}

func (b *bench) tiles(ctx context.Context) ([]row, error) {
	ts, err := tiles.New(b.ix, tiles.Options{Attribution: "citygrid"})
	if err != nil {
		return nil, err
	}
	b.ts = ts
	cmpList, thrList := b.tileLists()
	log.Printf("tiles: %d tiles z12-z17 compared, %d distinct z15-z16 tiles for throughput", len(cmpList), len(thrList))
	var rows []row
	groups := [][2]int{{12, 13}, {14, 15}, {16, 17}}
	for _, g := range groups {
		var list []tileAddr
		for _, t := range cmpList {
			if t.z >= g[0] && t.z <= g[1] {
				list = append(list, t)
			}
		}
		// Draw every tile once on both sides before timing, so one-time
		// costs are charged to neither: citygrid's per-zoom cluster tables
		// (built on the first tile of a zoom from all 478k components) and
		// label points, PostgreSQL's buffer cache and catalogue caches.
		for _, t := range list {
			if _, err := ts.Tile(ctx, t.z, t.x, t.y); err != nil {
				return nil, err
			}
			if _, err := b.pgTile(ctx, t); err != nil {
				return nil, fmt.Errorf("postgis tile %v: %w", t, err)
			}
		}
		cgOut := make([][]byte, len(list))
		start := time.Now()
		for i, t := range list {
			raw, err := ts.Tile(ctx, t.z, t.x, t.y)
			if err != nil {
				return nil, err
			}
			cgOut[i] = raw
		}
		cgT := time.Since(start)
		pgOut := make([][]byte, len(list))
		start = time.Now()
		for i, t := range list {
			raw, err := b.pgTile(ctx, t)
			if err != nil {
				return nil, fmt.Errorf("postgis tile %v: %w", t, err)
			}
			pgOut[i] = raw
		}
		pgT := time.Since(start)
		st := newTileStats()
		var cgBytes, pgBytes int
		for i, t := range list {
			if err := compareTile(t, cgOut[i], pgOut[i], st); err != nil {
				return nil, err
			}
			if raw, err := gunzipMaybe(cgOut[i]); err == nil {
				cgBytes += len(raw)
			}
			pgBytes += len(pgOut[i])
		}
		rows = append(rows, row{op: fmt.Sprintf("tiles z%d-z%d, 1 client: citygrid Tileset.Tile in process vs SQL ST_AsMVT", g[0], g[1]),
			cg: cgT, pg: pgT, n: len(list), compared: st.features, disagree: st.bad,
			note: fmt.Sprintf("agreement counted in features; uncompressed bytes citygrid %d (all layers incl. labels and clusters, then gzipped inside the timing) vs PostGIS %d (no gzip); %s", cgBytes, pgBytes, st.summary())})
	}
	if b.cfg.skipHTTP {
		return rows, nil
	}
	// Each tile is asked for once and none of them was asked for before,
	// so the server's tile cache never answers: every tile is drawn on
	// the fly.
	client := newClient(b.cfg.clients)
	n := len(thrList)
	cgh := make([][]byte, n)
	cgMeter := b.startCPU()
	cgHTTP, err := parallel(n, b.cfg.clients, func(_, i int) error {
		t := thrList[i]
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/tiles/city/%d/%d/%d.mvt", b.cfg.url, t.z, t.x, t.y), nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != 200 && resp.StatusCode != 204 {
			return fmt.Errorf("tile %v: %s", t, resp.Status)
		}
		cgh[i] = raw
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("citygrid http tiles: %w", err)
	}
	pgh := make([][]byte, n)
	cgCPU := cgMeter.cgDone()
	pgMeter := b.startCPU()
	pgHTTP, err := parallel(n, b.cfg.clients, func(_, i int) (err error) {
		pgh[i], err = b.pgTile(ctx, thrList[i])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgis tiles: %w", err)
	}
	pgCPU := pgMeter.pgDone()
	st := newTileStats()
	for i, t := range thrList {
		if err := compareTile(t, cgh[i], pgh[i], st); err != nil {
			return nil, err
		}
	}
	rows = append(rows, row{op: fmt.Sprintf("tile throughput z15-z16, c%d: HTTP GET /tiles/city (on the fly, each tile once) vs SQL ST_AsMVT", b.cfg.clients),
		cg: cgHTTP, pg: pgHTTP, n: n, compared: st.features, disagree: st.bad,
		note: "no PostGIS-backed tile server (pg_tileserv, martin, tegola) is packaged in Debian 12 or installable here, so the PostGIS side is the SQL alone over pooled connections (no HTTP, no gzip): a lower bound of such a server's time; " + st.summary()})
	rows = append(rows, b.cpuRow(fmt.Sprintf("tile throughput, c%d: server CPU per tile", b.cfg.clients), cgCPU, pgCPU, n))
	return rows, nil
}

func gunzipMaybe(b []byte) ([]byte, error) {
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		r, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	}
	return b, nil
}

var _ = sort.Strings
