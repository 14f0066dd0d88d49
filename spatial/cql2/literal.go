package cql2

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// wktKinds are the WKT geometry keywords CQL2-Text accepts.
var wktKinds = map[string]bool{
	"POINT": true, "LINESTRING": true, "POLYGON": true, "MULTIPOINT": true,
	"MULTILINESTRING": true, "MULTIPOLYGON": true, "GEOMETRYCOLLECTION": true,
}

// maxCoords bounds the vertices of the literals of one filter.
const maxCoords = 100_000

// parseTime reads a DATE ('2026-01-31') or TIMESTAMP (RFC 3339) literal.
func parseTime(s string, date bool) (Time, error) {
	if date {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return Time{}, fmt.Errorf("bad date %q (want YYYY-MM-DD)", s)
		}
		return Time{T: t, Date: true}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Time{}, fmt.Errorf("bad timestamp %q (want RFC 3339, e.g. 2026-01-31T08:00:00Z)", s)
	}
	return Time{T: t.UTC()}, nil
}

func (p *textParser) signedNumber() (float64, error) {
	sign := 1.0
	if p.punct("-") || p.punct("+") {
		if p.tok.text == "-" {
			sign = -1
		}
		if err := p.advance(); err != nil {
			return 0, err
		}
	}
	if p.tok.kind != tokNumber {
		return 0, p.unexpected("a coordinate")
	}
	v, err := strconv.ParseFloat(p.tok.text, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, &Error{Pos: p.tok.pos, Msg: "bad coordinate " + strconv.Quote(p.tok.text)}
	}
	return sign * v, p.advance()
}

// coord reads "x y" or "x y z"; a third ordinate is dropped.
func (p *textParser) coord() (orb.Point, error) {
	x, err := p.signedNumber()
	if err != nil {
		return orb.Point{}, err
	}
	y, err := p.signedNumber()
	if err != nil {
		return orb.Point{}, err
	}
	if p.tok.kind == tokNumber || p.punct("-") || p.punct("+") {
		if _, err := p.signedNumber(); err != nil {
			return orb.Point{}, err
		}
	}
	return orb.Point{x, y}, nil
}

// list reads "(" item {"," item} ")".
func (p *textParser) list(item func() error) error {
	if err := p.expectPunct("("); err != nil {
		return err
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if !p.punct(",") {
			break
		}
		if err := p.advance(); err != nil {
			return err
		}
	}
	return p.expectPunct(")")
}

func (p *textParser) coords(count *int) ([]orb.Point, error) {
	var out []orb.Point
	err := p.list(func() error {
		c, err := p.coord()
		out = append(out, c)
		*count++
		if *count > maxCoords {
			return &Error{Pos: p.tok.pos, Msg: "geometry literals hold more than " + strconv.Itoa(maxCoords) + " vertices"}
		}
		return err
	})
	return out, err
}

func (p *textParser) polygon(pos int, count *int) (orb.Polygon, error) {
	var poly orb.Polygon
	err := p.list(func() error {
		r, err := p.coords(count)
		poly = append(poly, orb.Ring(r))
		return err
	})
	if err != nil {
		return nil, err
	}
	if msg := polygonProblem(poly); msg != "" {
		return nil, &Error{Pos: pos, Msg: msg}
	}
	return poly, nil
}

// wkt reads the body of a WKT geometry whose keyword (kind) was just read;
// the current token is what follows it.
func (p *textParser) wkt(kind string, pos int) (orb.Geometry, error) {
	var n int
	return p.wktBody(kind, pos, &n, 0)
}

func (p *textParser) wktBody(kind string, pos int, count *int, depth int) (orb.Geometry, error) {
	if depth > 8 {
		return nil, &Error{Pos: pos, Msg: "geometry collections nested too deep"}
	}
	if p.keyword("Z") {
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	switch kind {
	case "POINT":
		var pt orb.Point
		err := p.list(func() error {
			var err error
			pt, err = p.coord()
			return err
		})
		return pt, err
	case "LINESTRING":
		ls, err := p.coords(count)
		if err == nil && len(ls) < 2 {
			err = &Error{Pos: pos, Msg: "a LINESTRING needs at least 2 points"}
		}
		return orb.LineString(ls), err
	case "POLYGON":
		return p.polygon(pos, count)
	case "MULTIPOINT":
		var mp orb.MultiPoint
		err := p.list(func() error {
			if p.punct("(") {
				c, err := p.coords(count)
				if err == nil && len(c) != 1 {
					err = &Error{Pos: pos, Msg: "a MULTIPOINT member holds one point"}
				}
				mp = append(mp, c...)
				return err
			}
			c, err := p.coord()
			mp = append(mp, c)
			return err
		})
		return mp, err
	case "MULTILINESTRING":
		var ml orb.MultiLineString
		err := p.list(func() error {
			ls, err := p.coords(count)
			if err == nil && len(ls) < 2 {
				err = &Error{Pos: pos, Msg: "a LINESTRING needs at least 2 points"}
			}
			ml = append(ml, ls)
			return err
		})
		return ml, err
	case "MULTIPOLYGON":
		var mp orb.MultiPolygon
		err := p.list(func() error {
			poly, err := p.polygon(pos, count)
			mp = append(mp, poly)
			return err
		})
		return mp, err
	case "GEOMETRYCOLLECTION":
		var gc orb.Collection
		err := p.list(func() error {
			if p.tok.kind != tokIdent || !wktKinds[strings.ToUpper(p.tok.text)] {
				return p.unexpected("a WKT geometry")
			}
			k, at := strings.ToUpper(p.tok.text), p.tok.pos
			if err := p.advance(); err != nil {
				return err
			}
			g, err := p.wktBody(k, at, count, depth+1)
			gc = append(gc, g)
			return err
		})
		return gc, err
	}
	return nil, &Error{Pos: pos, Msg: "unknown geometry " + kind}
}

// bbox reads BBOX(minx, miny, maxx, maxy), or its 6-number 3D form.
func (p *textParser) bbox() (orb.Geometry, error) {
	pos := p.tok.pos
	var v []float64
	err := p.list(func() error {
		x, err := p.signedNumber()
		v = append(v, x)
		return err
	})
	if err != nil {
		return nil, err
	}
	b, err := boundOf(v)
	if err != nil {
		return nil, &Error{Pos: pos, Msg: err.Error()}
	}
	return b, nil
}

// boundOf checks the numbers of a BBOX literal.
func boundOf(v []float64) (orb.Bound, error) {
	switch len(v) {
	case 4:
	case 6:
		v = []float64{v[0], v[1], v[3], v[4]}
	default:
		return orb.Bound{}, fmt.Errorf("BBOX takes 4 or 6 numbers, not %d", len(v))
	}
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return orb.Bound{}, errors.New("BBOX numbers must be finite")
		}
	}
	if v[0] > v[2] {
		return orb.Bound{}, errors.New("BBOX crossing the antimeridian (minx > maxx) is not supported")
	}
	if v[1] > v[3] {
		return orb.Bound{}, errors.New("BBOX miny is greater than maxy")
	}
	return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}

// polygonProblem says what is wrong with a polygon literal, or "".
func polygonProblem(poly orb.Polygon) string {
	if len(poly) == 0 {
		return "a POLYGON needs an exterior ring"
	}
	for _, r := range poly {
		if len(r) < 4 {
			return "a polygon ring needs at least 4 points"
		}
		if r[0] != r[len(r)-1] {
			return "a polygon ring must end at its first point"
		}
	}
	return ""
}
