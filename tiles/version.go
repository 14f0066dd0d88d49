package tiles

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"math"
	"runtime"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// encodingRevision changes whenever this package draws tiles differently,
// so caches keyed on the data version also drop tiles of an older encoder.
const encodingRevision = "citygrid-tiles/3"

// DataVersion is a short hash of everything a tile's bytes depend on: the
// encoder's revision, the Go version (gzip) and every drawn feature's
// attributes and coordinates. Equal datasets give equal versions on any
// machine running the same build.
func DataVersion(ds *data.Dataset) string {
	h := sha256.New()
	w := &versionWriter{w: bufio.NewWriterSize(h, 1<<16), h: h}
	// The Go version too: compress/flate's output may change with it, and
	// baked tiles must be the bytes this binary would generate.
	w.str(encodingRevision, runtime.Version())
	for _, c := range ds.Categories {
		w.str(string(c.Kind), c.Code, c.Big, c.BigName, string(c.Geometry))
	}
	for _, u := range ds.AdminUnits {
		w.str(string(u.Level), u.Code, u.Name, u.Parent)
		w.geom(u.Geometry)
	}
	for _, g := range ds.UnitGrids {
		w.str(g.Code, g.Community)
		w.f64(g.AreaM2)
		w.geom(g.Geometry)
	}
	for _, g := range ds.ManagementGrids {
		w.str(g.Kind, g.Code, g.Name, g.Unit)
		w.geom(g.Geometry)
	}
	for _, r := range ds.Roads {
		w.str(r.Code, r.Name)
		w.geom(r.Geometry)
	}
	for _, c := range ds.Components {
		w.str(c.Code, c.Category, c.Name, string(c.Status), c.Department, c.UnitGrid)
		w.geom(c.Geometry)
	}
	for _, a := range ds.Addresses {
		w.str(a.Code, a.Number, a.Road, a.FullAddress)
		w.geom(a.Point)
	}
	for _, p := range ds.POIs {
		w.str(p.Code, p.Name, p.Kind)
		if p.Landmark {
			w.str("landmark")
		}
		w.geom(p.Point)
	}
	w.w.Flush()
	return hex.EncodeToString(w.h.Sum(nil)[:8])
}

type versionWriter struct {
	w   *bufio.Writer
	h   hash.Hash
	buf [8]byte
}

func (v *versionWriter) str(ss ...string) {
	for _, s := range ss {
		binary.LittleEndian.PutUint32(v.buf[:4], uint32(len(s)))
		v.w.Write(v.buf[:4])
		io.WriteString(v.w, s)
	}
}

func (v *versionWriter) f64(f float64) {
	binary.LittleEndian.PutUint64(v.buf[:], math.Float64bits(f))
	v.w.Write(v.buf[:])
}

func (v *versionWriter) pts(ps []orb.Point) {
	binary.LittleEndian.PutUint32(v.buf[:4], uint32(len(ps)))
	v.w.Write(v.buf[:4])
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
