// Package maps serves the city's maps: vector tiles of the city and of the
// cases, TileJSON, MapLibre styles and glyphs, and the map page.
package maps

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"citygrid/api/city"
	"citygrid/api/httpx"
	"citygrid/api/tilefeed"
	"citygrid/api/web"
	"citygrid/data"
	"citygrid/spatial"
	"citygrid/styles"
	"citygrid/tiles"

	"github.com/go-chi/chi/v5"
)

// Mount adds the map routes over the city c: its tiles and styles, the
// case map of its board, and the map page.
func Mount(r chi.Router, c *city.City, logger *slog.Logger) {
	m := newMapService(c.Tiles, logger)
	m.ix = c.Index
	m.mount(r)
	MountCaseTiles(r, c.Board.Layer())
}

// MountCaseTiles adds the case map's routes over layer. Case tiles are
// public like the rest of /tiles/ and like Open311's request list, which
// publishes the same facts (place, category, state, agency responsible).
func MountCaseTiles(r chi.Router, layer *tiles.CaseLayer) {
	ct := &caseTiles{layer: layer}
	r.Get("/tiles/cases.json", ct.caseTileJSON)
	r.Head("/tiles/cases.json", ct.caseTileJSON)
	r.Get("/tiles/cases/{z}/{x}/{y}", ct.caseTile)
	r.Head("/tiles/cases/{z}/{x}/{y}", ct.caseTile)
}

// caseTiles serves the case map (tileset "cases") of the city's board.
type caseTiles struct {
	layer *tiles.CaseLayer
}

// mapService serves vector tiles, TileJSON, styles, glyphs and the map
// page over the city's tiles (city.Tiles): baked when the MBTiles file
// matches the data, else generated on the fly; both give the same bytes.
type mapService struct {
	tiles     *city.Tiles
	feed      http.Handler // the tile change feed
	webDir    string       // MapLibre GL JS dist directory; "" when not installed
	pinyinDir string       // pinyin-pro dist directory; "" when not installed
	// ix names the codes the page shows (names.json); nil in tests that
	// serve tiles only.
	ix *spatial.Index
}

func newMapService(t *city.Tiles, logger *slog.Logger) *mapService {
	m := &mapService{tiles: t, feed: tilefeed.Handler(t.Provider), webDir: web.MapLibreDir(), pinyinDir: web.PinyinDir()}
	if m.webDir == "" {
		logger.Warn("MapLibre GL JS not installed: the map page cannot load it", "install", web.InstallCommand)
	}
	return m
}

func (m *mapService) mount(r chi.Router) {
	// chi matches whole segments; the handlers check the .json, .mvt and
	// .pbf suffixes themselves so a wrong one is a 400 naming the field.
	r.Get("/tiles/{file}", m.tileJSON)
	r.Head("/tiles/{file}", m.tileJSON)
	r.Get("/tiles/{tileset}/changes", m.changes)
	r.Get("/tiles/{tileset}/{z}/{x}/{y}", m.tile)
	r.Head("/tiles/{tileset}/{z}/{x}/{y}", m.tile)
	r.Options("/tiles/*", preflight)
	r.Get("/styles/{file}", m.style)
	r.Options("/styles/*", preflight)
	r.Get("/fonts/{fontstack}/{file}", m.glyphs)
	r.Options("/fonts/*", preflight)
	r.Get("/", m.page)
	r.Get("/web/names.json", m.names)
	r.Get("/web/pinyin-pro/{file}", m.pinyin)
	r.Get("/web/{file}", m.asset)
	r.Get("/web/maplibre-gl/*", m.maplibre)
}

// cors allows any origin to read the map resources: they are public and
// carry no credentials.
func cors(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "ETag, Content-Encoding, Content-Length")
}

func preflight(w http.ResponseWriter, r *http.Request) {
	cors(w)
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "If-None-Match, Accept-Encoding, Cache-Control")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// tileJSON answers GET /tiles/{tileset}.json.
func (m *mapService) tileJSON(w http.ResponseWriter, r *http.Request) {
	cors(w)
	name, ok := strings.CutSuffix(chi.URLParam(r, "file"), ".json")
	if !ok {
		httpx.WriteError(w, httpx.BadRequest("path", "want /tiles/{tileset}.json or /tiles/{tileset}/{z}/{x}/{y}.mvt"))
		return
	}
	ts := m.tiles.Provider().Tileset()
	if name != ts.Name() {
		httpx.WriteError(w, fmt.Errorf("tileset %q: %w", name, data.ErrNotFound))
		return
	}
	url := httpx.BaseURL(r) + "/tiles/" + ts.Name() + "/{z}/{x}/{y}.mvt?v=" + ts.Version()
	// The document names the current version, so it must be revalidated.
	w.Header().Set("Cache-Control", "no-cache")
	httpx.WriteJSON(w, http.StatusOK, ts.TileJSON(url))
}

// changes answers GET /tiles/{tileset}/changes: the tile change feed
// (package api/tilefeed) of the current provider.
func (m *mapService) changes(w http.ResponseWriter, r *http.Request) {
	cors(w)
	if name := chi.URLParam(r, "tileset"); name != m.tiles.Provider().Tileset().Name() {
		httpx.WriteError(w, fmt.Errorf("tileset %q: %w", name, data.ErrNotFound))
		return
	}
	m.feed.ServeHTTP(w, r)
}

// tile answers GET /tiles/{tileset}/{z}/{x}/{y}.mvt.
func (m *mapService) tile(w http.ResponseWriter, r *http.Request) {
	cors(w)
	p := m.tiles.Provider()
	ts := p.Tileset()
	if name := chi.URLParam(r, "tileset"); name != ts.Name() {
		httpx.WriteError(w, fmt.Errorf("tileset %q: %w", name, data.ErrNotFound))
		return
	}
	ys, ext, _ := strings.Cut(chi.URLParam(r, "y"), ".")
	if ext != "mvt" && ext != "pbf" {
		httpx.WriteError(w, httpx.BadRequest("y", "want {y}.mvt"))
		return
	}
	z, x, y, err := tileAddress(ts, chi.URLParam(r, "z"), chi.URLParam(r, "x"), ys)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	WriteTile(w, r, p, z, x, y)
}

// WriteTile answers tile z/x/y of the provider: the Cache-Control the URL's
// data version allows, a strong ETag per encoding, 304 on If-None-Match,
// gzip when accepted and 204 for an empty tile. The OGC API – Tiles routes
// answer through it too, so both give the same bytes and tags.
func WriteTile(w http.ResponseWriter, r *http.Request, p *tiles.Provider, z, x, y int) {
	ts := p.Tileset()
	t, err := p.Tile(r.Context(), z, x, y)
	if err != nil {
		if errors.Is(err, tiles.ErrOutOfRange) {
			err = httpx.BadRequest("z", err.Error())
		}
		httpx.WriteError(w, err)
		return
	}
	h := w.Header()
	if r.URL.Query().Get("v") == ts.Version() {
		// The URL names the data version: its content never changes.
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=60")
	}
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Tile-Source", t.From)
	if t.Data == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	// Each representation has its own strong tag: a cache must not hand a
	// gzip body to a client that asked for identity.
	etag := `"` + t.Hash + `"`
	if !gz {
		etag = `"` + t.Hash + `-identity"`
	}
	h.Set("ETag", etag)
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := t.Data
	if gz {
		h.Set("Content-Encoding", "gzip")
	} else {
		body, err = tiles.Gunzip(t.Data)
		if err != nil {
			httpx.WriteError(w, err)
			return
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// tileAddress parses and checks z, x and y, naming the field at fault.
func tileAddress(ts *tiles.Tileset, zs, xs, ys string) (z, x, y int, err error) {
	parse := func(field, s string) (int, error) {
		v, err := strconv.Atoi(s)
		if err != nil || len(s) > 9 {
			return 0, httpx.BadRequest(field, "not an integer: "+httpx.Quote(s))
		}
		return v, nil
	}
	if z, err = parse("z", zs); err != nil {
		return
	}
	if x, err = parse("x", xs); err != nil {
		return
	}
	if y, err = parse("y", ys); err != nil {
		return
	}
	if z < ts.MinZoom() || z > ts.MaxZoom() {
		return 0, 0, 0, httpx.BadRequest("z", fmt.Sprintf("zoom %d outside %d..%d", z, ts.MinZoom(), ts.MaxZoom()))
	}
	n := 1 << z
	if x < 0 || x >= n {
		return 0, 0, 0, httpx.BadRequest("x", fmt.Sprintf("x %d outside 0..%d at zoom %d", x, n-1, z))
	}
	if y < 0 || y >= n {
		return 0, 0, 0, httpx.BadRequest("y", fmt.Sprintf("y %d outside 0..%d at zoom %d", y, n-1, z))
	}
	return z, x, y, nil
}

// acceptsGzip reads Accept-Encoding (RFC 9110 §12.5.3): gzip is
// acceptable when listed, or covered by "*", with a non-zero quality.
// Without the header a client is taken to accept only identity, the
// safe reading that tileserver-gl (#314) and mbtileserver get wrong.
func acceptsGzip(header string) bool {
	gzipQ, starQ := -1.0, -1.0
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				} else {
					q = 0
				}
			}
		}
		switch coding {
		case "gzip", "x-gzip":
			gzipQ = max(gzipQ, q)
		case "*":
			starQ = max(starQ, q)
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// etagMatches applies If-None-Match's weak comparison.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// style answers GET /styles/{name}.json.
func (m *mapService) style(w http.ResponseWriter, r *http.Request) {
	cors(w)
	name, ok := strings.CutSuffix(chi.URLParam(r, "file"), ".json")
	if !ok {
		httpx.WriteError(w, httpx.BadRequest("path", "want /styles/{name}.json"))
		return
	}
	b, err := styles.Style(name, httpx.BaseURL(r))
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

// glyphs answers GET /fonts/{fontstack}/{start}-{end}.pbf.
func (m *mapService) glyphs(w http.ResponseWriter, r *http.Request) {
	cors(w)
	rng, ok := strings.CutSuffix(chi.URLParam(r, "file"), ".pbf")
	lo, hi, ok2 := strings.Cut(rng, "-")
	start, err1 := strconv.Atoi(lo)
	end, err2 := strconv.Atoi(hi)
	if !ok || !ok2 || err1 != nil || err2 != nil || end != start+255 || start%256 != 0 || start < 0 || start > 65280 {
		httpx.WriteError(w, httpx.BadRequest("range", "want {start}-{start+255}.pbf with start a multiple of 256 below 65536"))
		return
	}
	b, err := styles.Glyphs(chi.URLParam(r, "fontstack"), start)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(b)
}
