package geoio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Files the survey contractors deliver (Shapefiles, File Geodatabases,
// KML, and GeoJSON or GeoPackage in a projected CRS) are read through
// GDAL/OGR. citygrid drives the ogr2ogr and ogrinfo programs of the
// gdal-bin package instead of linking GDAL: the binary stays pure Go plus
// SQLite, and the servers that only answer queries need no GDAL at all.
// ogr2ogr reprojects with PROJ to CGCS2000 longitude/latitude (EPSG:4490)
// and recodes attributes to UTF-8; the result is read as GeoJSON.

// ErrNoGDAL is returned when a file needs GDAL/OGR and ogr2ogr is not
// installed.
var ErrNoGDAL = errors.New("this file needs GDAL/OGR: install the Debian package gdal-bin (apt-get install gdal-bin), which provides ogr2ogr and ogrinfo")

// ErrUnknownCRS is returned for a file whose coordinate system cannot be
// turned into CGCS2000 without more information from the user.
var ErrUnknownCRS = errors.New("unknown coordinate system")

// CRSOptions says how to read the coordinates of a file whose coordinate
// system is missing, local, or on a datum other than CGCS2000 and WGS 84.
type CRSOptions struct {
	// SourceSRS overrides the file's coordinate system: "EPSG:4549", a PROJ
	// string, or the path of a .prj or WKT file (ogr2ogr -s_srs).
	SourceSRS string
	// ToWGS84 is a seven-parameter (Bursa-Wolf) transformation
	// "dx,dy,dz,rx,ry,rz,ds" from the source datum to WGS 84/CGCS2000,
	// in metres, arc-seconds and parts per million, as survey offices give
	// them for Beijing 1954, Xian 1980 and city systems.
	ToWGS84 string
	// Pipeline is a PROJ pipeline from the source coordinates to EPSG:4490
	// longitude/latitude (ogr2ogr -ct), for transformations a seven-parameter
	// set cannot express.
	Pipeline string
	// Encoding is the attribute encoding of a Shapefile without a .cpg file,
	// or of a CSV file (GBK, GB18030, UTF-8). Empty means: the .cpg, else
	// UTF-8 when the bytes are valid UTF-8, else GB18030.
	Encoding string
	// SourceLayer is the layer of a multi-layer source (a File
	// Geodatabase feature class, a GeoPackage table, a KML folder).
	SourceLayer string
}

func (c CRSOptions) given() bool { return c.SourceSRS != "" || c.ToWGS84 != "" || c.Pipeline != "" }

// TargetSRS is the coordinate system citygrid stores: CGCS2000 longitude
// and latitude in degrees.
const TargetSRS = "EPSG:4490"

// GDALAvailable reports whether ogr2ogr and ogrinfo are on the PATH
// (gdalsrsinfo, used to identify a .prj, comes in the same package).
func GDALAvailable() bool {
	_, err1 := exec.LookPath("ogr2ogr")
	_, err2 := exec.LookPath("ogrinfo")
	return err1 == nil && err2 == nil
}

// sourceInfo is what ogrinfo says about the layer to import.
type sourceInfo struct {
	layer     string
	layers    []string
	wkt       string // "" when the layer has no coordinate system
	extent    [4]float64
	hasExtent bool
}

// What ogrinfo and gdalsrsinfo print, read with these patterns: layer
// lines ("1: roads (Line String)", or "Layer: roads (...)" for a File
// Geodatabase), the extent line, the code at the end of a WKT, the datum
// and CRS names, and the datum terms of a PROJ string.
var (
	layerLine  = regexp.MustCompile(`(?m)^(?:\d+|Layer): (.+?)(?: \([^()]*\))?$`)
	extentLine = regexp.MustCompile(`(?m)^Extent: \(([-\d.e+]+), ([-\d.e+]+)\) - \(([-\d.e+]+), ([-\d.e+]+)\)`)
	wktCode    = regexp.MustCompile(`ID\["EPSG",(\d+)\]\]\s*$`)
	wktDatum   = regexp.MustCompile(`DATUM\["([^"]+)"`)
	wktName    = regexp.MustCompile(`^[A-Z_]+\["([^"]*)"`)
	projDatum  = regexp.MustCompile(`\+towgs84=\S+|\+nadgrids=\S+|\+datum=\S+`)
)

// runGDAL runs one GDAL program and returns its standard output; a failure
// carries the program's own message.
func runGDAL(ctx context.Context, prog string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, prog, args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	// GDAL prints messages in the C locale; keep them readable and stable.
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("%s: %s", prog, msg)
	}
	return out.Bytes(), nil
}

// inspect lists the layers of path and describes the one to import: the
// one named, the one named as the citygrid layer, or the only one.
func inspect(ctx context.Context, path string, want Layer, opt CRSOptions, open []string) (*sourceInfo, error) {
	out, err := runGDAL(ctx, "ogrinfo", append(append([]string{"-ro", "-q"}, open...), path)...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	info := &sourceInfo{layers: parseLayers(string(out))}
	switch {
	case opt.SourceLayer != "":
		info.layer = opt.SourceLayer
		found := false
		for _, l := range info.layers {
			found = found || l == opt.SourceLayer
		}
		if !found {
			return nil, fmt.Errorf("%w: %s has no layer %q (layers: %s)", ErrSyntax, path, opt.SourceLayer, strings.Join(info.layers, ", "))
		}
	case len(info.layers) == 1:
		info.layer = info.layers[0]
	default:
		for _, l := range info.layers {
			if strings.EqualFold(l, string(want)) {
				info.layer = l
			}
		}
		if info.layer == "" {
			if len(info.layers) == 0 {
				return nil, fmt.Errorf("%w: %s holds no vector layer", ErrSyntax, path)
			}
			return nil, fmt.Errorf("%w: %s holds %d layers (%s); name one with --source-layer", ErrSyntax, path, len(info.layers), strings.Join(info.layers, ", "))
		}
	}
	out, err = runGDAL(ctx, "ogrinfo", append(append([]string{"-ro", "-so", "-nomd"}, open...), path, info.layer)...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	info.parseSummary(string(out))
	return info, nil
}

// parseLayers reads the layer names from the output of ogrinfo -q.
func parseLayers(out string) []string {
	var layers []string
	for _, m := range layerLine.FindAllStringSubmatch(out, -1) {
		layers = append(layers, m[1])
	}
	return layers
}

// parseSummary reads the extent and the coordinate system's WKT from the
// output of ogrinfo -so -nomd for one layer.
func (info *sourceInfo) parseSummary(text string) {
	if m := extentLine.FindStringSubmatch(text); m != nil {
		for i := range 4 {
			fmt.Sscan(m[i+1], &info.extent[i])
		}
		info.hasExtent = true
	}
	if _, after, ok := strings.Cut(text, "Layer SRS WKT:\n"); ok {
		wkt, _, _ := strings.Cut(after, "\nData axis to CRS axis mapping")
		if wkt = strings.TrimSpace(wkt); !strings.HasPrefix(wkt, "(unknown)") {
			// Field lines follow the WKT when no axis mapping line does.
			info.wkt = wkt[:strings.LastIndex(wkt, "]")+1]
		}
	}
}

// epsgOf finds the EPSG code of a coordinate system given as WKT, as
// PROJ's identification does for a .prj written by ArcGIS, which names the
// system but carries no code. It returns 0 when there is none.
func epsgOf(ctx context.Context, wkt string) int {
	if m := wktCode.FindStringSubmatch(wkt); m != nil {
		var n int
		fmt.Sscan(m[1], &n)
		return n
	}
	f, err := os.CreateTemp("", "citygrid-srs-*.wkt")
	if err != nil {
		return 0
	}
	defer os.Remove(f.Name())
	f.WriteString(wkt)
	f.Close()
	out, err := runGDAL(ctx, "gdalsrsinfo", "-e", "-o", "epsg", f.Name())
	if err != nil {
		return 0
	}
	var n int
	if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "EPSG:%d", &n); err != nil || n <= 0 {
		return 0
	}
	return n
}

// shiftFreeDatum reports whether a coordinate system's datum is CGCS2000 or
// WGS 84, between which no transformation is needed at city accuracy (they
// agree to a few centimetres). Any other datum (Beijing 1954, Xian 1980, a
// city's own) needs parameters PROJ may not have; without them PROJ falls
// back to a "ballpark" shift that is tens of metres off.
func shiftFreeDatum(wkt string) bool {
	m := wktDatum.FindStringSubmatch(wkt)
	if m == nil {
		return false
	}
	name := strings.ToLower(strings.ReplaceAll(m[1], "_", " "))
	for _, ok := range []string{"china 2000", "china geodetic coordinate system 2000", "cgcs2000", "world geodetic system 1984", "wgs 1984", "wgs84", "wgs 84"} {
		if strings.Contains(name, ok) {
			return true
		}
	}
	return false
}

// degreeExtent reports whether an extent could be longitude/latitude.
func degreeExtent(e [4]float64) bool {
	return e[0] >= -180 && e[2] <= 180 && e[1] >= -90 && e[3] <= 90
}

// whatToSupply is the end of every unknown-CRS error: the three ways a
// user can say what the coordinates are.
const whatToSupply = "supply the coordinate system: put the contractor's .prj file next to the data, or give an EPSG code with --s-srs (CGCS2000 3-degree Gauss-Krüger zones are EPSG:4513-4533 with the zone number in the easting and EPSG:4534-4554 without it; 6-degree zones EPSG:4491-4512), or for a local system its definition with --s-srs plus seven parameters with --towgs84 dx,dy,dz,rx,ry,rz,ds, or a PROJ pipeline to EPSG:4490 with --ct"

// checkCRS decides whether ogr2ogr may reproject the layer on its own, and
// returns the error that says what to supply when it may not.
func checkCRS(ctx context.Context, path string, info *sourceInfo, opt CRSOptions) error {
	if opt.given() {
		if opt.ToWGS84 != "" {
			if err := checkSevenParameters(opt.ToWGS84); err != nil {
				return err
			}
			if opt.SourceSRS == "" && info.wkt == "" {
				return fmt.Errorf("%w: %s: --towgs84 needs the projection too: give it with --s-srs", ErrUnknownCRS, path)
			}
		}
		return nil
	}
	if info.wkt == "" {
		hint := ""
		if info.hasExtent && degreeExtent(info.extent) {
			hint = " The coordinates look like degrees: if they are CGCS2000 longitude/latitude, give --s-srs EPSG:4490."
		} else if info.hasExtent {
			hint = fmt.Sprintf(" The coordinates run from (%.0f, %.0f) to (%.0f, %.0f), a projected system.", info.extent[0], info.extent[1], info.extent[2], info.extent[3])
		}
		return fmt.Errorf("%w: %s layer %s has no coordinate system (no .prj).%s To import it, %s", ErrUnknownCRS, path, info.layer, hint, whatToSupply)
	}
	if strings.HasPrefix(info.wkt, "LOCAL_CS") || strings.HasPrefix(info.wkt, "ENGCRS") || strings.HasPrefix(info.wkt, "ENGINEERING") {
		return fmt.Errorf("%w: %s layer %s is in a local engineering system with no link to the earth. To import it, %s", ErrUnknownCRS, path, info.layer, whatToSupply)
	}
	code := epsgOf(ctx, info.wkt)
	name := crsName(info.wkt)
	if code == 0 {
		return fmt.Errorf("%w: %s layer %s is in %q, which has no EPSG code (a local or city system). To import it, %s", ErrUnknownCRS, path, info.layer, name, whatToSupply)
	}
	if !shiftFreeDatum(info.wkt) {
		return fmt.Errorf("%w: %s layer %s is in EPSG:%d (%s), on a datum other than CGCS2000 or WGS 84; the shift to CGCS2000 is not in PROJ's data and a guess would be tens of metres off. Give the seven parameters from your survey office with --s-srs EPSG:%d --towgs84 dx,dy,dz,rx,ry,rz,ds, or a PROJ pipeline with --ct", ErrUnknownCRS, path, info.layer, code, name, code)
	}
	return nil
}

func crsName(wkt string) string {
	if m := wktName.FindStringSubmatch(wkt); m != nil {
		return m[1]
	}
	return "an unnamed system"
}

func checkSevenParameters(s string) error {
	parts := strings.Split(s, ",")
	if len(parts) != 7 {
		return fmt.Errorf("--towgs84 %q: want seven numbers dx,dy,dz,rx,ry,rz,ds (metres, arc-seconds, ppm), have %d", s, len(parts))
	}
	for _, p := range parts {
		var x float64
		if _, err := fmt.Sscan(strings.TrimSpace(p), &x); err != nil {
			return fmt.Errorf("--towgs84 %q: %q is not a number", s, p)
		}
	}
	return nil
}

// sourceSRS returns the ogr2ogr -s_srs argument: the user's, with the
// seven parameters appended to its PROJ form when given.
func sourceSRS(ctx context.Context, path string, info *sourceInfo, opt CRSOptions) (string, error) {
	if opt.ToWGS84 == "" {
		return opt.SourceSRS, nil
	}
	def := opt.SourceSRS
	if def == "" {
		f, err := os.CreateTemp("", "citygrid-srs-*.wkt")
		if err != nil {
			return "", err
		}
		defer os.Remove(f.Name())
		f.WriteString(info.wkt)
		f.Close()
		def = f.Name()
	}
	out, err := runGDAL(ctx, "gdalsrsinfo", "-o", "proj4", def)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrUnknownCRS, path, err)
	}
	p := strings.TrimSpace(string(out))
	// The datum becomes the ellipsoid plus the user's shift.
	p = strings.ReplaceAll(p, "+datum=WGS84", "+ellps=WGS84")
	p = projDatum.ReplaceAllString(p, "")
	return strings.Join(strings.Fields(p), " ") + " +towgs84=" + strings.ReplaceAll(opt.ToWGS84, " ", ""), nil
}

// shapefileEncoding returns the ENCODING open option for a Shapefile
// without a .cpg: the user's, else UTF-8 when every record of the .dbf is
// valid UTF-8, else GB18030 (a superset of GBK, what Chinese desktop GIS
// writes). The note says what was assumed, for the user to check.
func shapefileEncoding(path string, given string) (open []string, note string) {
	if !strings.EqualFold(filepath.Ext(path), ".shp") {
		return nil, ""
	}
	if given != "" {
		return []string{"-oo", "ENCODING=" + given}, ""
	}
	base := strings.TrimSuffix(path, filepath.Ext(path))
	for _, ext := range []string{".cpg", ".CPG"} {
		if _, err := os.Stat(base + ext); err == nil {
			return nil, ""
		}
	}
	dbf, err := os.ReadFile(base + ".dbf")
	if err != nil {
		dbf, err = os.ReadFile(base + ".DBF")
	}
	if err != nil || len(dbf) < 32 {
		return nil, ""
	}
	header := int(dbf[8]) | int(dbf[9])<<8
	if header > len(dbf) || header < 32 {
		return nil, ""
	}
	// A language driver id names the code page; GDAL honours it.
	if ldid := dbf[29]; ldid != 0 {
		return nil, ""
	}
	if utf8.Valid(dbf[header:]) {
		return []string{"-oo", "ENCODING=UTF-8"}, ""
	}
	return []string{"-oo", "ENCODING=GB18030"}, fmt.Sprintf("%s has no .cpg file and its attributes are not UTF-8: read them as GB18030 (GBK); if the names look wrong, give the encoding with --encoding", filepath.Base(path))
}

// readOGR converts the layer to GeoJSON in EPSG:4490 with ogr2ogr and reads
// that. Features keep their order, so "feature 3" is the third feature of
// the source layer.
func readOGR(ctx context.Context, path string, opt Options) (*Batch, error) {
	if !GDALAvailable() {
		return nil, ErrNoGDAL
	}
	open, note := shapefileEncoding(path, opt.CRS.Encoding)
	b, err := convertOGR(ctx, path, path, opt, open, nil)
	if err != nil {
		return nil, err
	}
	if note != "" {
		b.Warnings = append(b.Warnings, note)
	}
	return b, nil
}

// convertOGR runs ogr2ogr on src (named path in messages) with the open
// options given and reads the result; name numbers the features in errors
// ("feature 3" when nil).
func convertOGR(ctx context.Context, src, path string, opt Options, open []string, name func(int) string) (*Batch, error) {
	if !GDALAvailable() {
		return nil, ErrNoGDAL
	}
	want := opt.CRS
	if want.SourceLayer == "" {
		want.SourceLayer = opt.Table
	}
	info, err := inspect(ctx, src, opt.Layer, want, open)
	if err != nil {
		return nil, err
	}
	if opt.Layer.Spatial() {
		if err := checkCRS(ctx, path, info, want); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "citygrid-import-*")
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "layer.geojson")
	args := []string{"-f", "GeoJSON", "-dim", "XY", "-lco", "RFC7946=NO", "-lco", "WRITE_NAME=NO"}
	args = append(args, open...)
	if opt.Layer.Spatial() {
		args = append(args, "-t_srs", TargetSRS)
		s, err := sourceSRS(ctx, path, info, want)
		if err != nil {
			return nil, err
		}
		if s != "" {
			args = append(args, "-s_srs", s)
		}
		if want.Pipeline != "" {
			args = append(args, "-ct", want.Pipeline)
		}
	}
	args = append(args, out, src, info.layer)
	if _, err := runGDAL(ctx, "ogr2ogr", args...); err != nil {
		return nil, fmt.Errorf("%w: %s layer %s: %v", ErrSyntax, path, info.layer, err)
	}
	f, err := os.Open(out)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	return readGeoJSONNamed(f, opt.Layer, opt.Mapping, opt.Progress, name)
}

// errProjected marks a GeoJSON or GeoPackage whose coordinates are not
// longitude/latitude; Read then hands it to GDAL/OGR to reproject.
var errProjected = errors.New("coordinates are not CGCS2000 or WGS 84 longitude/latitude")
