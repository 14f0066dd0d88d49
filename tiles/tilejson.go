package tiles

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// TileJSON is a TileJSON 3.0.0 document.
type TileJSON struct {
	TileJSON     string          `json:"tilejson"`
	Name         string          `json:"name"`
	Description  string          `json:"description,omitempty"`
	Version      string          `json:"version"`
	Attribution  string          `json:"attribution,omitempty"`
	Scheme       string          `json:"scheme"`
	Tiles        []string        `json:"tiles"`
	MinZoom      int             `json:"minzoom"`
	MaxZoom      int             `json:"maxzoom"`
	Bounds       [4]float64      `json:"bounds"`
	Center       [3]float64      `json:"center"`
	VectorLayers []TileJSONLayer `json:"vector_layers"`
	// DataVersion is citygrid's data version (an extension key; TileJSON
	// clients ignore unknown keys).
	DataVersion string `json:"data_version"`
}

// TileJSONLayer is one entry of vector_layers.
type TileJSONLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// TileJSON describes the tileset for a client. tileURL is the absolute
// tile URL template ({z}/{x}/{y} substituted by the client), which should
// carry the data version so that caches never mix tiles of two versions.
func (t *Tileset) TileJSON(tileURL string) TileJSON {
	c, cz := t.Center()
	b := t.Bounds()
	tj := TileJSON{
		TileJSON:    "3.0.0",
		Name:        t.name,
		Description: "citygrid " + t.name + ": administrative units, unit and management grids, roads, addresses, POIs and components",
		Version:     "1.0.0",
		Attribution: t.attribution,
		Scheme:      "xyz",
		Tiles:       []string{tileURL},
		MinZoom:     t.minZ,
		MaxZoom:     t.maxZ,
		Bounds:      [4]float64{round6(b.Min[0]), round6(b.Min[1]), round6(b.Max[0]), round6(b.Max[1])},
		Center:      [3]float64{round6(c[0]), round6(c[1]), float64(cz)},
		DataVersion: t.Version(),
	}
	for _, l := range t.VectorLayers() {
		fields := make(map[string]string, len(l.Fields))
		for _, f := range l.Fields {
			fields[f.Name] = f.Description
		}
		tj.VectorLayers = append(tj.VectorLayers, TileJSONLayer{ID: l.ID, Description: l.Description, MinZoom: l.MinZoom, MaxZoom: l.MaxZoom, Fields: fields})
	}
	return tj
}

func round6(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 6, 64), 64)
	return f
}

// MBTilesMetadata is the metadata table of a file baked for zooms
// minZoom..maxZoom (MBTiles 1.3: name, format, bounds, center, zooms and
// the json row with vector_layers), plus data_version to tell whether the
// file still matches the data.
func (t *Tileset) MBTilesMetadata(minZoom, maxZoom int) (map[string]string, error) {
	type layer struct {
		ID          string            `json:"id"`
		Description string            `json:"description,omitempty"`
		MinZoom     int               `json:"minzoom"`
		MaxZoom     int               `json:"maxzoom"`
		Fields      map[string]string `json:"fields"`
	}
	var layers []layer
	for _, l := range t.VectorLayers() {
		fields := make(map[string]string, len(l.Fields))
		for _, f := range l.Fields {
			fields[f.Name] = f.Type
		}
		lo, hi := max(l.MinZoom, minZoom), min(l.MaxZoom, maxZoom)
		if lo > hi {
			continue // the layer has no tile in the baked range
		}
		layers = append(layers, layer{ID: l.ID, Description: l.Description, MinZoom: lo, MaxZoom: hi, Fields: fields})
	}
	js, err := json.Marshal(map[string]any{"vector_layers": layers})
	if err != nil {
		return nil, fmt.Errorf("mbtiles metadata json: %w", err)
	}
	c, cz := t.Center()
	cz = min(max(cz, minZoom), maxZoom)
	b := t.Bounds()
	m := map[string]string{
		"name":         t.name,
		"format":       "pbf",
		"type":         "overlay",
		"description":  "citygrid " + t.name,
		"bounds":       fmt.Sprintf("%.6f,%.6f,%.6f,%.6f", b.Min[0], b.Min[1], b.Max[0], b.Max[1]),
		"center":       fmt.Sprintf("%.6f,%.6f,%d", c[0], c[1], cz),
		"minzoom":      strconv.Itoa(minZoom),
		"maxzoom":      strconv.Itoa(maxZoom),
		"json":         string(js),
		"data_version": t.Version(),
	}
	if t.attribution != "" {
		m["attribution"] = t.attribution
	}
	return m, nil
}
