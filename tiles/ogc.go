package tiles

import (
	"math"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// The OGC documents of the tileset for OGC API – Tiles (OGC 20-057): the
// WebMercatorQuad tile matrix set of OGC 17-083r4 and the tileset
// metadata. They describe the same tiles as TileJSON, addressed as
// {tileMatrix}/{tileRow}/{tileCol}, which in WebMercatorQuad are z/y/x.

// WebMercatorQuadURI names the tile matrix set the tileset is cut in.
const WebMercatorQuadURI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"

// webMercatorHalf is half the side of the Web Mercator square in metres.
const webMercatorHalf = 20037508.3427892

// TileMatrixSet is a 2D tile matrix set (OGC 17-083r4, JSON encoding).
type TileMatrixSet struct {
	ID           string       `json:"id"`
	Title        string       `json:"title"`
	URI          string       `json:"uri"`
	CRS          string       `json:"crs"`
	OrderedAxes  []string     `json:"orderedAxes"`
	WellKnown    string       `json:"wellKnownScaleSet"`
	TileMatrices []TileMatrix `json:"tileMatrices"`
}

// TileMatrix is one zoom level of a tile matrix set.
type TileMatrix struct {
	ID               string     `json:"id"`
	ScaleDenominator float64    `json:"scaleDenominator"`
	CellSize         float64    `json:"cellSize"`
	CornerOfOrigin   string     `json:"cornerOfOrigin"`
	PointOfOrigin    [2]float64 `json:"pointOfOrigin"`
	TileWidth        int        `json:"tileWidth"`
	TileHeight       int        `json:"tileHeight"`
	MatrixWidth      int        `json:"matrixWidth"`
	MatrixHeight     int        `json:"matrixHeight"`
}

// WebMercatorQuad is the tile matrix set definition, zooms 0..maxZoom.
// Cell sizes follow from 256-pixel tiles over the square; scale
// denominators from the standard's 0.28 mm pixel.
func WebMercatorQuad(maxZoom int) TileMatrixSet {
	tms := TileMatrixSet{
		ID: "WebMercatorQuad", Title: "Google Maps Compatible for the World", URI: WebMercatorQuadURI,
		CRS: "http://www.opengis.net/def/crs/EPSG/0/3857", OrderedAxes: []string{"X", "Y"},
		WellKnown: "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
	}
	for z := 0; z <= maxZoom; z++ {
		cell := 2 * webMercatorHalf / 256 / math.Ldexp(1, z)
		n := 1 << z
		tms.TileMatrices = append(tms.TileMatrices, TileMatrix{
			ID: strconv.Itoa(z), ScaleDenominator: cell / 0.00028, CellSize: cell, CornerOfOrigin: "topLeft",
			PointOfOrigin: [2]float64{-webMercatorHalf, webMercatorHalf}, TileWidth: 256, TileHeight: 256,
			MatrixWidth: n, MatrixHeight: n,
		})
	}
	return tms
}

// TileMatrixLimits bounds the tiles of one zoom that hold the city.
type TileMatrixLimits struct {
	TileMatrix string `json:"tileMatrix"`
	MinTileRow int    `json:"minTileRow"`
	MaxTileRow int    `json:"maxTileRow"`
	MinTileCol int    `json:"minTileCol"`
	MaxTileCol int    `json:"maxTileCol"`
}

// OGCLink is a link of an OGC API document.
type OGCLink struct {
	Rel       string `json:"rel"`
	Type      string `json:"type,omitempty"`
	Title     string `json:"title,omitempty"`
	Href      string `json:"href"`
	Templated bool   `json:"templated,omitempty"`
}

// OGCTileset is the tileset metadata of OGC API – Tiles.
type OGCTileset struct {
	Title               string             `json:"title"`
	Description         string             `json:"description,omitempty"`
	DataType            string             `json:"dataType"`
	CRS                 string             `json:"crs"`
	TileMatrixSetURI    string             `json:"tileMatrixSetURI"`
	TileMatrixSetLimits []TileMatrixLimits `json:"tileMatrixSetLimits"`
	BoundingBox         *OGCBoundingBox    `json:"boundingBox,omitempty"`
	Layers              []OGCTileLayer     `json:"layers"`
	Links               []OGCLink          `json:"links"`
	// DataVersion is citygrid's data version (an extension member).
	DataVersion string `json:"dataVersion"`
}

// OGCBoundingBox is a box in CRS84.
type OGCBoundingBox struct {
	LowerLeft  [2]float64 `json:"lowerLeft"`
	UpperRight [2]float64 `json:"upperRight"`
	CRS        string     `json:"crs"`
}

// OGCTileLayer describes one vector layer of the tiles.
type OGCTileLayer struct {
	ID            string `json:"id"`
	Title         string `json:"title,omitempty"`
	DataType      string `json:"dataType"`
	MinTileMatrix string `json:"minTileMatrix"`
	MaxTileMatrix string `json:"maxTileMatrix"`
}

// OGCTileset describes the tileset: self is the document's URL, tms the
// tile matrix set's, and tileURL the template with {tileMatrix},
// {tileRow} and {tileCol}.
func (t *Tileset) OGCTileset(self, tms, tileURL string) OGCTileset {
	b := t.Bounds()
	doc := OGCTileset{
		Title: t.name, Description: "citygrid " + t.name + " vector tiles (MVT)", DataType: "vector",
		CRS: "http://www.opengis.net/def/crs/EPSG/0/3857", TileMatrixSetURI: WebMercatorQuadURI,
		BoundingBox: &OGCBoundingBox{LowerLeft: [2]float64{round6(b.Min[0]), round6(b.Min[1])},
			UpperRight: [2]float64{round6(b.Max[0]), round6(b.Max[1])}, CRS: "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
		Links: []OGCLink{
			{Rel: "self", Type: "application/json", Href: self},
			{Rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", Type: "application/json", Href: tms},
			{Rel: "item", Type: "application/vnd.mapbox-vector-tile", Href: tileURL, Templated: true},
		},
		DataVersion: t.Version(),
	}
	for z := t.minZ; z <= t.maxZ; z++ {
		doc.TileMatrixSetLimits = append(doc.TileMatrixSetLimits, matrixLimits(b, z))
	}
	for _, l := range t.VectorLayers() {
		doc.Layers = append(doc.Layers, OGCTileLayer{ID: l.ID, Title: l.Description, DataType: "vector",
			MinTileMatrix: strconv.Itoa(l.MinZoom), MaxTileMatrix: strconv.Itoa(l.MaxZoom)})
	}
	return doc
}

// matrixLimits are the rows and columns of zoom z that b covers.
func matrixLimits(b orb.Bound, z int) TileMatrixLimits {
	lo := maptile.At(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z))
	hi := maptile.At(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
	return TileMatrixLimits{TileMatrix: strconv.Itoa(z), MinTileRow: int(lo.Y), MaxTileRow: int(hi.Y),
		MinTileCol: int(lo.X), MaxTileCol: int(hi.X)}
}
