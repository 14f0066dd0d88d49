package geoio

import (
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// parseGeometry decodes a GeoJSON geometry object whose syntax the JSON
// decoder has already checked. Coordinates are read straight from the
// bytes, several times faster than through encoding/json; positions need
// two numbers (a third, the altitude, is dropped). Geometry collections,
// rare in city data, go through orb's decoder.
func parseGeometry(raw []byte) (orb.Geometry, error) {
	var typ string
	var coords []byte
	err := members(raw, func(k string, v []byte) error {
		switch k {
		case "type":
			s, err := (&propParser{b: v}).string()
			if err != nil {
				return errors.New("type is not a string")
			}
			typ = s.(string)
		case "coordinates":
			coords = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if typ == "GeometryCollection" {
		g, err := geojson.UnmarshalGeometry(raw)
		if err != nil {
			return nil, err
		}
		return g.Geometry(), nil
	}
	if coords == nil || string(coords) == "null" {
		if typ == "" {
			return nil, errors.New("no type")
		}
		return nil, fmt.Errorf("%s has no coordinates", typ)
	}
	c := coordParser{b: coords}
	var g orb.Geometry
	switch typ {
	case "Point":
		g = c.position()
	case "MultiPoint":
		g = orb.MultiPoint(c.positions())
	case "LineString":
		g = orb.LineString(c.positions())
	case "MultiLineString":
		var ml orb.MultiLineString
		c.list(func() { ml = append(ml, orb.LineString(c.positions())) })
		g = ml
	case "Polygon":
		g = c.polygon()
	case "MultiPolygon":
		var mp orb.MultiPolygon
		c.list(func() { mp = append(mp, c.polygon()) })
		g = mp
	default:
		return nil, fmt.Errorf("unknown geometry type %q", typ)
	}
	c.space()
	if c.err == nil && c.i != len(c.b) {
		c.fail("trailing data")
	}
	if c.err != nil {
		return nil, fmt.Errorf("%s coordinates: %w", typ, c.err)
	}
	return g, nil
}

// coordParser reads nested coordinate arrays; it keeps the first error
// and returns zero values after it.
type coordParser struct {
	b   []byte
	i   int
	err error
}

func (c *coordParser) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("offset %d: "+format, append([]any{c.i}, args...)...)
	}
	c.i = len(c.b)
}

func (c *coordParser) space() {
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

// list reads '[' item (',' item)* ']' calling item for each element.
func (c *coordParser) list(item func()) {
	c.space()
	if c.err != nil {
		return
	}
	if c.i >= len(c.b) || c.b[c.i] != '[' {
		c.fail("want an array")
		return
	}
	c.i++
	c.space()
	if c.i < len(c.b) && c.b[c.i] == ']' {
		c.i++
		return
	}
	for c.err == nil {
		item()
		c.space()
		if c.i >= len(c.b) {
			c.fail("unterminated array")
			return
		}
		switch c.b[c.i] {
		case ',':
			c.i++
		case ']':
			c.i++
			return
		default:
			c.fail("want ',' or ']'")
			return
		}
	}
}

func (c *coordParser) number() float64 {
	c.space()
	start := c.i
	for c.i < len(c.b) {
		switch ch := c.b[c.i]; {
		case ch >= '0' && ch <= '9', ch == '-', ch == '+', ch == '.', ch == 'e', ch == 'E':
			c.i++
			continue
		}
		break
	}
	if start == c.i {
		c.fail("want a number")
		return 0
	}
	lit := c.b[start:c.i]
	f, err := strconv.ParseFloat(unsafe.String(&lit[0], len(lit)), 64)
	if err != nil {
		// The error would hold the unsafe string: report a copy.
		c.fail("%q is not a number", string(lit))
		return 0
	}
	return f
}

func (c *coordParser) position() orb.Point {
	var p orb.Point
	n := 0
	c.list(func() {
		v := c.number()
		if n < 2 {
			p[n] = v
		}
		n++
	})
	if c.err == nil && n < 2 {
		c.fail("a position needs longitude and latitude, has %d number(s)", n)
	}
	return p
}

func (c *coordParser) positions() []orb.Point {
	ps := []orb.Point{}
	c.list(func() { ps = append(ps, c.position()) })
	return ps
}

func (c *coordParser) polygon() orb.Polygon {
	p := orb.Polygon{}
	c.list(func() { p = append(p, orb.Ring(c.positions())) })
	return p
}
