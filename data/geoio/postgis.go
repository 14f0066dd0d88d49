package geoio

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"

	"citygrid/data"
)

// PostGISOptions tune WritePostGIS.
type PostGISOptions struct {
	// Schema is the PostgreSQL schema that receives the tables; it is
	// dropped and created anew. Default "citygrid".
	Schema string
}

// PostGISSRID is the SRID the script stores lon/lat geometry under. The
// city's coordinates are CGCS2000 (EPSG:4490), which agrees with WGS84 to
// centimetres and which web maps (and citygrid's tiles) treat as WGS84, so
// the script declares EPSG:4326: ST_Transform to Web Mercator then needs no
// datum step and matches the tiles' projection.
const PostGISSRID = 4326

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// WritePostGIS writes the whole city ds as a psql script that loads it into
// PostgreSQL with PostGIS: `psql -v ON_ERROR_STOP=1 -f city.sql`. The script
// creates the postgis extension when missing, drops and recreates the
// schema, creates one table per layer, loads the rows with COPY (geometry as
// hex EWKB), then builds the indexes a PostGIS user would build for
// citygrid's questions and CLUSTERs and ANALYZEs the tables:
//
//   - lon/lat geometry `geom` (EPSG:4326) with a GiST index, for ST_Covers
//     point-in-polygon on the area layers;
//   - `geom_3857`, a stored generated column ST_Transform(geom, 3857) with
//     its own GiST index, for ST_AsMVTGeom tiles without a per-tile
//     transform;
//   - components also get `geog` (geography, GiST) for metre radii and
//     `<->` nearest-neighbour search on the sphere, and a category index;
//   - `mvt_id`, the feature id citygrid's tiles give the feature (FNV-1a of
//     the layer name and key, 53 bits), so that tiles from ST_AsMVT can be
//     compared with citygrid's feature by feature.
//
// Each area table is clustered on its lon/lat GiST index, components on
// their geography index, the point layers on their Web Mercator index.
func WritePostGIS(ctx context.Context, w io.Writer, ds *data.Dataset, opt PostGISOptions) error {
	schema := opt.Schema
	if schema == "" {
		schema = "citygrid"
	}
	if !schemaName.MatchString(schema) {
		return fmt.Errorf("postgis schema %q: want a lower-case SQL identifier", schema)
	}
	pw := &pgWriter{w: bufio.NewWriterSize(w, 1<<20), ctx: ctx}
	pw.printf(`-- citygrid city for PostgreSQL + PostGIS, written by citygrid export --postgis.
-- Load with: psql -v ON_ERROR_STOP=1 -f FILE
-- Geometry: lon/lat as EPSG:%d (CGCS2000 coordinates, equal to WGS84 within centimetres).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgis;
DROP SCHEMA IF EXISTS %s CASCADE;
CREATE SCHEMA %s;
SET search_path = %s, public;
BEGIN;
`, PostGISSRID, schema, schema, schema)
	for _, t := range pgTables {
		pw.printf("CREATE TABLE %s (\n  %s", t.name, strings.Join(t.columns, ",\n  "))
		if t.geomType != "" {
			pw.printf(",\n  mvt_id bigint NOT NULL,\n  geom geometry(%s, %d) NOT NULL,\n  geom_3857 geometry(%s, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED",
				t.geomType, PostGISSRID, t.geomType)
			if t.name == data.LayerComponents {
				pw.printf(",\n  geog geography GENERATED ALWAYS AS (geom::geography) STORED")
			}
		}
		if t.key != "" {
			pw.printf(",\n  PRIMARY KEY (%s)", t.key)
		}
		pw.printf("\n);\n")
	}
	pw.writeRows(ds)
	pw.printf("COMMIT;\n\n-- Indexes, clustering and planner statistics.\n")
	for _, t := range pgTables {
		for _, ix := range t.indexes {
			pw.printf("CREATE INDEX %s_%s_idx ON %s USING %s;\n", t.name, ix.name, t.name, ix.def)
		}
		if t.cluster != "" {
			pw.printf("CLUSTER %s USING %s_%s_idx;\n", t.name, t.name, t.cluster)
		}
	}
	pw.printf("ANALYZE;\n")
	if pw.err != nil {
		return pw.err
	}
	return pw.w.Flush()
}

type pgIndex struct{ name, def string }

type pgTable struct {
	name     string
	columns  []string
	key      string
	geomType string // "" for a table without geometry
	indexes  []pgIndex
	cluster  string // index name to CLUSTER on
}

// Index names are <table>_<name>_idx.
var (
	gistGeom = pgIndex{"geom", "gist (geom)"}
	gist3857 = pgIndex{"geom_3857", "gist (geom_3857)"}
)

var pgTables = []pgTable{
	{name: "admin_units", columns: []string{"level text NOT NULL", "code text NOT NULL", "name text NOT NULL", "parent text NOT NULL"},
		key: "code", geomType: "MultiPolygon", indexes: []pgIndex{gistGeom, gist3857, {"level", "btree (level)"}}, cluster: "geom"},
	{name: "unit_grids", columns: []string{"code text NOT NULL", "community text NOT NULL", "area_m2 double precision NOT NULL"},
		key: "code", geomType: "MultiPolygon", indexes: []pgIndex{gistGeom, gist3857}, cluster: "geom"},
	{name: "management_grids", columns: []string{"kind text NOT NULL", "code text NOT NULL", "name text NOT NULL", "unit text NOT NULL"},
		key: "kind, code", geomType: "MultiPolygon", indexes: []pgIndex{gistGeom, gist3857}, cluster: "geom"},
	{name: "categories", columns: []string{"kind text NOT NULL", "code text NOT NULL", "scheme text NOT NULL", "name text NOT NULL",
		"big text NOT NULL", "big_name text NOT NULL", "geometry text NOT NULL", "department text NOT NULL", "deadline_class text NOT NULL"},
		key: "kind, code"},
	{name: "departments", columns: []string{"code text NOT NULL", "name text NOT NULL", "credit_code text NOT NULL", "parent text NOT NULL", "kind text NOT NULL"},
		key: "code"},
	{name: "components", columns: []string{"code text NOT NULL", "category text NOT NULL", "name text NOT NULL", "department text NOT NULL",
		"owner text NOT NULL", "maintainer text NOT NULL", "status text NOT NULL", "unit_grid text NOT NULL", "survey_date timestamptz",
		"changed_at timestamptz", "version bigint NOT NULL", "note text NOT NULL"},
		key: "code", geomType: "Geometry",
		indexes: []pgIndex{{"geog", "gist (geog)"}, gist3857, {"category", "btree (category)"}}, cluster: "geog"},
	{name: "roads", columns: []string{"code text NOT NULL", "name text NOT NULL", "district text NOT NULL"},
		key: "code", geomType: "MultiLineString", indexes: []pgIndex{gist3857}, cluster: "geom_3857"},
	{name: "addresses", columns: []string{"code text NOT NULL", "road text NOT NULL", "number text NOT NULL", "full_address text NOT NULL", "community text NOT NULL"},
		key: "code", geomType: "Point", indexes: []pgIndex{gist3857}, cluster: "geom_3857"},
	{name: "pois", columns: []string{"code text NOT NULL", "name text NOT NULL", "kind text NOT NULL", "landmark boolean NOT NULL"},
		key: "code", geomType: "Point", indexes: []pgIndex{gist3857}, cluster: "geom_3857"},
	{name: "rules", columns: []string{"id bigint NOT NULL", "category text NOT NULL", "kind text NOT NULL", "scope text NOT NULL",
		"scope_ref text NOT NULL", "unit text NOT NULL", "priority integer NOT NULL", "note text NOT NULL"},
		key: "id"},
}

// TileFeatureID is the id citygrid's vector tiles give a feature of a
// layer: FNV-1a 64 of the layer name and key parts separated by NUL bytes,
// cut to 53 bits so JavaScript reads it exactly (tiles.featureID computes
// the same; the PostGIS export stores it as mvt_id).
func TileFeatureID(layer string, parts ...string) uint64 {
	h := fnv.New64a()
	io.WriteString(h, layer)
	for _, p := range parts {
		h.Write([]byte{0})
		io.WriteString(h, p)
	}
	return h.Sum64() & (1<<53 - 1)
}

type pgWriter struct {
	w   *bufio.Writer
	ctx context.Context
	err error
	n   int
}

func (pw *pgWriter) printf(format string, args ...any) {
	if pw.err == nil {
		_, pw.err = fmt.Fprintf(pw.w, format, args...)
	}
}

// copyStart begins a COPY block for the table's columns, with mvt_id and
// geom last when the table has geometry.
func (pw *pgWriter) copyStart(table string) {
	for _, t := range pgTables {
		if t.name != table {
			continue
		}
		cols := make([]string, 0, len(t.columns)+2)
		for _, c := range t.columns {
			cols = append(cols, c[:strings.IndexByte(c, ' ')])
		}
		if t.geomType != "" {
			cols = append(cols, "mvt_id", "geom")
		}
		pw.printf("COPY %s (%s) FROM stdin;\n", table, strings.Join(cols, ", "))
		return
	}
	panic("postgis: no table " + table)
}

func (pw *pgWriter) copyEnd() { pw.printf("\\.\n") }

// row writes one COPY text-format row; fields are strings, numbers, bools,
// times (zero = NULL), uint64 feature ids or geometries (hex EWKB).
func (pw *pgWriter) row(fields ...any) {
	if pw.err != nil {
		return
	}
	if pw.n++; pw.n%4096 == 0 {
		if pw.err = pw.ctx.Err(); pw.err != nil {
			return
		}
	}
	b := pw.w
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('\t')
		}
		switch v := f.(type) {
		case string:
			copyEscape(b, v)
		case int:
			b.WriteString(strconv.Itoa(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case uint64:
			b.WriteString(strconv.FormatUint(v, 10))
		case float64:
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case time.Time:
			if v.IsZero() {
				b.WriteString(`\N`)
			} else {
				b.WriteString(v.UTC().Format("2006-01-02 15:04:05.999999Z07:00"))
			}
		case orb.Geometry:
			if v == nil {
				pw.err = fmt.Errorf("postgis: a feature without geometry (row %d)", pw.n)
				return
			}
			h, err := ewkb.MarshalToHex(v, PostGISSRID)
			if err != nil {
				pw.err = fmt.Errorf("postgis: geometry: %w", err)
				return
			}
			b.WriteString(h)
		default:
			panic(fmt.Sprintf("postgis: field of type %T", f))
		}
	}
	pw.err = b.WriteByte('\n')
}

// copyEscape writes s in COPY text format: backslash, tab, newline and
// carriage return are escaped.
func copyEscape(b *bufio.Writer, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
}

func (pw *pgWriter) writeRows(ds *data.Dataset) {
	pw.copyStart("admin_units")
	for _, u := range ds.AdminUnits {
		pw.row(string(u.Level), u.Code, u.Name, u.Parent, TileFeatureID(string(adminLayer(u.Level)), u.Code), orb.Geometry(u.Geometry))
	}
	pw.copyEnd()
	pw.copyStart("unit_grids")
	for _, g := range ds.UnitGrids {
		pw.row(g.Code, g.Community, g.AreaM2, TileFeatureID("unit_grids", g.Code), orb.Geometry(g.Geometry))
	}
	pw.copyEnd()
	pw.copyStart("management_grids")
	for _, g := range ds.ManagementGrids {
		pw.row(g.Kind, g.Code, g.Name, g.Unit, TileFeatureID("management_grids", g.Kind, g.Code), orb.Geometry(g.Geometry))
	}
	pw.copyEnd()
	pw.copyStart("categories")
	for _, c := range ds.Categories {
		pw.row(string(c.Kind), c.Code, c.Scheme, c.Name, c.Big, c.BigName, string(c.Geometry), c.Department, c.DeadlineClass)
	}
	pw.copyEnd()
	pw.copyStart("departments")
	for _, d := range ds.Departments {
		pw.row(d.Code, d.Name, d.CreditCode, d.Parent, string(d.Kind))
	}
	pw.copyEnd()
	pw.copyStart("components")
	for _, c := range ds.Components {
		pw.row(c.Code, c.Category, c.Name, c.Department, c.Owner, c.Maintainer, string(c.Status), c.UnitGrid,
			c.SurveyDate, c.ChangedAt, c.Version, c.Note, TileFeatureID("components", c.Code), c.Geometry)
	}
	pw.copyEnd()
	pw.copyStart("roads")
	for _, r := range ds.Roads {
		pw.row(r.Code, r.Name, r.District, TileFeatureID("roads", r.Code), orb.Geometry(r.Geometry))
	}
	pw.copyEnd()
	pw.copyStart("addresses")
	for _, a := range ds.Addresses {
		pw.row(a.Code, a.Road, a.Number, a.FullAddress, a.Community, TileFeatureID("addresses", a.Code), orb.Geometry(a.Point))
	}
	pw.copyEnd()
	pw.copyStart("pois")
	for _, p := range ds.POIs {
		pw.row(p.Code, p.Name, p.Kind, p.Landmark, TileFeatureID("pois", p.Code), orb.Geometry(p.Point))
	}
	pw.copyEnd()
	pw.copyStart("rules")
	for _, r := range ds.Rules {
		pw.row(r.ID, r.Category, string(r.Kind), string(r.Scope), r.ScopeRef, r.Unit, r.Priority, r.Note)
	}
	pw.copyEnd()
}
