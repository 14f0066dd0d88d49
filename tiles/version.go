package tiles

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"runtime"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// encodingRevision changes whenever this package draws tiles differently,
// so caches keyed on the data version also drop tiles of an older encoder.
const encodingRevision = "citygrid-tiles/5"

// DataVersion is a short hash of everything a tile's bytes depend on: the
// encoder's revision, the Go version (gzip), the categories and every drawn
// feature's attributes and coordinates. Equal datasets give equal versions
// on any machine running the same build, whatever the order of their
// features: the features' hashes are summed, so an edit moves the version
// on in constant time (see versionSum) and a server that replayed edits
// names the same version as one that loaded the edited city afresh.
func DataVersion(ds *data.Dataset) string {
	s := newVersionSum(ds)
	return s.String()
}

// versionSum is the data version in parts: the hash of the parts that
// edits do not touch (revision, Go version, categories) and the sum, in two
// 64-bit lanes, of every feature's hash.
type versionSum struct {
	head   [32]byte
	lo, hi uint64
}

func newVersionSum(ds *data.Dataset) versionSum {
	var w versionWriter
	// The Go version too: compress/flate's output may change with it, and
	// baked tiles must be the bytes this binary would generate.
	w.str(encodingRevision, runtime.Version())
	for _, c := range ds.Categories {
		w.str(string(c.Kind), c.Code, c.Big, c.BigName, string(c.Geometry))
	}
	s := versionSum{head: sha256.Sum256(w.buf)}
	for i := range ds.AdminUnits {
		u := &ds.AdminUnits[i]
		w.reset("admin")
		w.str(string(u.Level), u.Code, u.Name, u.Parent)
		w.geom(u.Geometry)
		s.add(&w, 1)
	}
	for i := range ds.UnitGrids {
		s.addGrid(&w, &ds.UnitGrids[i], 1)
	}
	for i := range ds.ManagementGrids {
		g := &ds.ManagementGrids[i]
		w.reset("mgmt")
		w.str(g.Kind, g.Code, g.Name, g.Unit)
		w.geom(g.Geometry)
		s.add(&w, 1)
	}
	for i := range ds.Roads {
		r := &ds.Roads[i]
		w.reset("road")
		w.str(r.Code, r.Name)
		w.geom(r.Geometry)
		s.add(&w, 1)
	}
	for i := range ds.Components {
		s.addComponent(&w, &ds.Components[i], 1)
	}
	for i := range ds.Addresses {
		a := &ds.Addresses[i]
		w.reset("addr")
		w.str(a.Code, a.Number, a.Road, a.FullAddress)
		w.geom(a.Point)
		s.add(&w, 1)
	}
	for i := range ds.POIs {
		p := &ds.POIs[i]
		w.reset("poi")
		w.str(p.Code, p.Name, p.Kind)
		if p.Landmark {
			w.str("landmark")
		}
		w.geom(p.Point)
		s.add(&w, 1)
	}
	return s
}

// addComponent adds (sign 1) or takes away (sign -1) a component.
func (s *versionSum) addComponent(w *versionWriter, c *data.Component, sign int) {
	w.reset("comp")
	w.str(c.Code, c.Category, c.Name, string(c.Status), c.Department, c.UnitGrid)
	w.geom(c.Geometry)
	s.add(w, sign)
}

// addGrid adds (sign 1) or takes away (sign -1) a unit grid.
func (s *versionSum) addGrid(w *versionWriter, g *data.UnitGrid, sign int) {
	w.reset("grid")
	w.str(g.Code, g.Community)
	w.f64(g.AreaM2)
	w.geom(g.Geometry)
	s.add(w, sign)
}

func (s *versionSum) add(w *versionWriter, sign int) {
	h := sha256.Sum256(w.buf)
	lo, hi := binary.LittleEndian.Uint64(h[:8]), binary.LittleEndian.Uint64(h[8:16])
	if sign < 0 {
		s.lo -= lo
		s.hi -= hi
	} else {
		s.lo += lo
		s.hi += hi
	}
}

// String is the version as tile URLs and MBTiles metadata carry it.
func (s versionSum) String() string {
	var b [48]byte
	copy(b[:32], s.head[:])
	binary.LittleEndian.PutUint64(b[32:], s.lo)
	binary.LittleEndian.PutUint64(b[40:], s.hi)
	h := sha256.Sum256(b[:])
	return hex.EncodeToString(h[:8])
}

// versionWriter serialises one feature (length-prefixed strings, raw
// float bits) into a reusable buffer.
type versionWriter struct {
	buf []byte
}

func (v *versionWriter) reset(kind string) {
	v.buf = v.buf[:0]
	v.str(kind)
}

func (v *versionWriter) str(ss ...string) {
	for _, s := range ss {
		v.buf = binary.LittleEndian.AppendUint32(v.buf, uint32(len(s)))
		v.buf = append(v.buf, s...)
	}
}

func (v *versionWriter) f64(f float64) {
	v.buf = binary.LittleEndian.AppendUint64(v.buf, math.Float64bits(f))
}

func (v *versionWriter) pts(ps []orb.Point) {
	v.buf = binary.LittleEndian.AppendUint32(v.buf, uint32(len(ps)))
	for _, p := range ps {
		v.f64(p[0])
		v.f64(p[1])
	}
}

func (v *versionWriter) geom(g orb.Geometry) {
	switch g := g.(type) {
	case nil:
		v.str("nil")
	case orb.Point:
		v.pts([]orb.Point{g})
	case orb.MultiPoint:
		v.pts(g)
	case orb.LineString:
		v.pts(g)
	case orb.MultiLineString:
		for _, l := range g {
			v.pts(l)
		}
	case orb.Ring:
		v.pts(g)
	case orb.Polygon:
		for _, r := range g {
			v.pts(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			v.str("p")
			for _, r := range p {
				v.pts(r)
			}
		}
	default:
		v.str(g.GeoJSONType())
	}
}
