package tiles_test

import (
	"math"
	"testing"

	"citygrid/tiles"

	"github.com/paulmach/orb/maptile"
)

// The figures of OGC 17-083r4's WebMercatorQuad table: zoom 0 has one
// 256-pixel tile of 156543.0339280410 m cells, scale 1:559082264.0287178;
// zoom 18 has cells of 0.5971642834779395 m.
func TestWebMercatorQuadMatchesTheStandardsTable(t *testing.T) {
	tms := tiles.WebMercatorQuad(18)
	if len(tms.TileMatrices) != 19 || tms.TileMatrices[0].MatrixWidth != 1 || tms.TileMatrices[18].MatrixHeight != 1<<18 {
		t.Fatalf("%d matrices", len(tms.TileMatrices))
	}
	for _, c := range []struct {
		z           int
		cell, scale float64
	}{{0, 156543.0339280410, 559082264.0287178}, {18, 0.5971642834779395, 2132.729583849784}} {
		m := tms.TileMatrices[c.z]
		if math.Abs(m.CellSize-c.cell) > 1e-6*c.cell || math.Abs(m.ScaleDenominator-c.scale) > 1e-6*c.scale {
			t.Errorf("z%d: cell %v scale %v, want %v %v", c.z, m.CellSize, m.ScaleDenominator, c.cell, c.scale)
		}
	}
	if o := tms.TileMatrices[5].PointOfOrigin; o[0] != -20037508.3427892 || o[1] != 20037508.3427892 {
		t.Errorf("origin %v", o)
	}
}

func TestOGCTilesetLimitsHoldEveryTileOfTheCity(t *testing.T) {
	c := newLiveCity(t)
	doc := c.ts.OGCTileset("self", "tms", "t/{tileMatrix}/{tileRow}/{tileCol}")
	if len(doc.TileMatrixSetLimits) != c.ts.MaxZoom()-c.ts.MinZoom()+1 || len(doc.Layers) == 0 || len(doc.Links) != 3 {
		t.Fatalf("doc %+v", doc)
	}
	for _, lim := range doc.TileMatrixSetLimits {
		z := 0
		for _, ch := range lim.TileMatrix {
			z = 10*z + int(ch-'0')
		}
		// Every vertex of every unit grid lies in a tile of the limits,
		// and the limits are no wider than the grids need.
		rows, cols := [2]int{math.MaxInt, -1}, [2]int{math.MaxInt, -1}
		for _, g := range c.ds.UnitGrids {
			for _, p := range g.Geometry[0][0] {
				tl := maptile.At(p, maptile.Zoom(z))
				x, y := int(tl.X), int(tl.Y)
				if x < lim.MinTileCol || x > lim.MaxTileCol || y < lim.MinTileRow || y > lim.MaxTileRow {
					t.Fatalf("z%d: grid %s vertex %v in tile %d/%d outside %+v", z, g.Code, p, x, y, lim)
				}
				rows = [2]int{min(rows[0], y), max(rows[1], y)}
				cols = [2]int{min(cols[0], x), max(cols[1], x)}
			}
		}
		if lim.MaxTileRow-lim.MinTileRow > rows[1]-rows[0]+1 || lim.MaxTileCol-lim.MinTileCol > cols[1]-cols[0]+1 {
			t.Errorf("z%d: limits %+v wider than the grids' rows %v cols %v", z, lim, rows, cols)
		}
	}
}
