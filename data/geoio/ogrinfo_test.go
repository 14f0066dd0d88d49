package geoio

import (
	"reflect"
	"testing"
)

// The outputs are GDAL 3.6's, cut to what the parsers read.
func TestOgrinfoOutputIsRead(t *testing.T) {
	for _, c := range []struct {
		name, out string
		want      []string
	}{
		{"a Shapefile", "1: 区县 (Polygon)\n", []string{"区县"}},
		{"a GeoPackage with a table without geometry", "1: roads (Line String)\n2: departments\n", []string{"roads", "departments"}},
		{"a name with parentheses", "1: 道路 (2020) (Multi Line String)\n", []string{"道路 (2020)"}},
		{"a File Geodatabase", "Layer: XZQ (Multi Polygon)\nLayer: JD (Multi Polygon)\n", []string{"XZQ", "JD"}},
	} {
		if got := parseLayers(c.out); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: layers %q, want %q", c.name, got, c.want)
		}
	}

	var info sourceInfo
	info.parseSummary(`Layer name: out
Geometry: Polygon
Feature Count: 1
Extent: (6157.534481, 3342196.597361) - (8188.622148, 3344504.740008)
Layer SRS WKT:
PROJCRS["CGCS2000 / 3-degree Gauss-Kruger CM 120E",
    ID["EPSG",4549]]
Data axis to CRS axis mapping: 2,1
code: String (80.0)
`)
	if !info.hasExtent || info.extent != [4]float64{6157.534481, 3342196.597361, 8188.622148, 3344504.740008} {
		t.Errorf("extent %v", info.extent)
	}
	if want := "PROJCRS[\"CGCS2000 / 3-degree Gauss-Kruger CM 120E\",\n    ID[\"EPSG\",4549]]"; info.wkt != want {
		t.Errorf("wkt %q", info.wkt)
	}
	if epsgOf(t.Context(), info.wkt) != 4549 {
		t.Errorf("EPSG code of %q not read", info.wkt)
	}

	info = sourceInfo{}
	info.parseSummary("Extent: (1.000000, 2.000000) - (3.000000, 4.000000)\nLayer SRS WKT:\n(unknown)\ncode: String (80.0)\n")
	if info.wkt != "" || !degreeExtent(info.extent) {
		t.Errorf("no CRS read as %q, extent %v", info.wkt, info.extent)
	}
}

func TestTheDatumDecidesWhetherAShiftIsNeeded(t *testing.T) {
	for wkt, want := range map[string]bool{
		`GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000"`:                          true,
		`BASEGEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000"`:                           true,
		`GEOGCRS["WGS 84",DATUM["World Geodetic System 1984"`:                                              true,
		`PROJCS["Beijing 1954 / 3-degree Gauss-Kruger CM 120E",GEOGCS["Beijing 1954",DATUM["Beijing_1954"`: false,
		`GEOGCS["Xian 1980",DATUM["Xian_1980"`:                                                             false,
		`LOCAL_CS["city"]`:                                                                                 false,
	} {
		if got := shiftFreeDatum(wkt); got != want {
			t.Errorf("shiftFreeDatum(%s) = %v", wkt, got)
		}
	}
}
