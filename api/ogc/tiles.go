package ogc

import (
	"net/http"
	"strconv"

	"citygrid/spatial/crs"
	"citygrid/tiles"

	"github.com/go-chi/chi/v5"
)

// The OGC API – Tiles routes: the WebMercatorQuad tile matrix set and the
// city's vector tileset as a dataset tileset. Tiles are answered by the
// same handler as /tiles, so bytes and ETags agree.

const tmsID = "WebMercatorQuad"

func (s *Server) tileMatrixSets(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r, noParams); err != nil {
		s.fail(w, err)
		return
	}
	b := s.base(r)
	writeJSON(w, http.StatusOK, map[string]any{"tileMatrixSets": []map[string]any{{
		"id": tmsID, "title": "Google Maps Compatible for the World", "uri": tiles.WebMercatorQuadURI,
		"links": []link{{Href: b + "/tileMatrixSets/" + tmsID, Rel: "self", Type: typeJSON}},
	}}})
}

func (s *Server) checkTMS(r *http.Request) error {
	if id := chi.URLParam(r, "tms"); id != tmsID {
		return &notFound{"tile matrix set " + id}
	}
	return checkParams(r, noParams)
}

func (s *Server) tileMatrixSet(w http.ResponseWriter, r *http.Request) {
	if err := s.checkTMS(r); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tiles.WebMercatorQuad(s.cfg.Tiles().Tileset().MaxZoom()))
}

func (s *Server) tilesets(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r, noParams); err != nil {
		s.fail(w, err)
		return
	}
	b := s.base(r)
	ts := s.cfg.Tiles().Tileset()
	writeJSON(w, http.StatusOK, map[string]any{"tilesets": []map[string]any{{
		"title": ts.Name(), "dataType": "vector", "crs": crs.EPSG3857.URI, "tileMatrixSetURI": tiles.WebMercatorQuadURI,
		"links": []link{
			{Href: b + "/tiles/" + tmsID, Rel: "self", Type: typeJSON, Title: "瓦片集元数据"},
			{Href: b + "/tileMatrixSets/" + tmsID, Rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", Type: typeJSON},
		},
	}}})
}

func (s *Server) tileset(w http.ResponseWriter, r *http.Request) {
	if err := s.checkTMS(r); err != nil {
		s.fail(w, err)
		return
	}
	b := s.base(r)
	ts := s.cfg.Tiles().Tileset()
	// The document names the current data version: revalidate it.
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, ts.OGCTileset(b+"/tiles/"+tmsID, b+"/tileMatrixSets/"+tmsID,
		b+"/tiles/"+tmsID+"/{tileMatrix}/{tileRow}/{tileCol}"))
}

// tile answers {tileMatrix}/{tileRow}/{tileCol}, which WebMercatorQuad
// numbers as z/y/x; a tile outside the matrix is 404, as OGC API – Tiles
// asks.
func (s *Server) tile(w http.ResponseWriter, r *http.Request) {
	if id := chi.URLParam(r, "tms"); id != tmsID {
		s.fail(w, &notFound{"tile matrix set " + id})
		return
	}
	ts := s.cfg.Tiles().Tileset()
	var v [3]int
	for i, name := range []string{"z", "y", "x"} {
		n, err := strconv.Atoi(chi.URLParam(r, name))
		if err != nil {
			s.fail(w, badParam(name, "not an integer"))
			return
		}
		v[i] = n
	}
	z, y, x := v[0], v[1], v[2]
	if err := ts.Check(z, x, y); err != nil {
		s.fail(w, &notFound{"tile " + err.Error()})
		return
	}
	s.cfg.ServeTile(w, r, z, x, y)
}
