package geoio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// parseProperties decodes a GeoJSON properties member that the JSON
// decoder has already checked for syntax. Flat values — the common case —
// are decoded here without reflection: strings without escapes are copied
// as they are, numbers stay json.Number so that long codes keep their
// digits. Escaped strings, nested objects and arrays go through
// encoding/json. It returns the keys and values in file order.
func parseProperties(raw []byte) ([]string, []any, error) {
	p := propParser{b: raw}
	p.space()
	if p.eof() || bytes.Equal(bytes.TrimRight(p.b[p.i:], " \t\r\n"), []byte("null")) {
		return nil, nil, nil
	}
	if p.b[p.i] != '{' {
		return nil, nil, fmt.Errorf("properties is not an object")
	}
	p.i++
	var keys []string
	var vals []any
	for {
		p.space()
		if p.eof() {
			return nil, nil, fmt.Errorf("properties: unexpected end")
		}
		if p.b[p.i] == '}' {
			return keys, vals, nil
		}
		if p.b[p.i] == ',' {
			p.i++
			p.space()
		}
		k, err := p.string()
		if err != nil {
			return nil, nil, err
		}
		ks, _ := k.(string)
		p.space()
		if p.eof() || p.b[p.i] != ':' {
			return nil, nil, fmt.Errorf("properties: want ':' after key %q", ks)
		}
		p.i++
		p.space()
		v, err := p.value()
		if err != nil {
			return nil, nil, err
		}
		// A repeated key keeps its last value, as encoding/json does.
		replaced := false
		for j := range keys {
			if keys[j] == ks {
				vals[j], replaced = v, true
				break
			}
		}
		if !replaced {
			keys = append(keys, ks)
			vals = append(vals, v)
		}
	}
}

type propParser struct {
	b []byte
	i int
}

func (p *propParser) eof() bool { return p.i >= len(p.b) }

func (p *propParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// string reads a JSON string at p.i.
func (p *propParser) string() (any, error) {
	if p.eof() || p.b[p.i] != '"' {
		return nil, fmt.Errorf("properties: want a string at offset %d", p.i)
	}
	start := p.i
	escaped := false
	for j := p.i + 1; j < len(p.b); j++ {
		switch p.b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			p.i = j + 1
			s := p.b[start+1 : j]
			if !escaped && utf8.Valid(s) {
				return string(s), nil
			}
			var out string
			if err := json.Unmarshal(p.b[start:j+1], &out); err != nil {
				return nil, err
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("properties: unterminated string")
}

// value reads any JSON value at p.i.
func (p *propParser) value() (any, error) {
	if p.eof() {
		return nil, fmt.Errorf("properties: unexpected end")
	}
	switch c := p.b[p.i]; {
	case c == '"':
		return p.string()
	case c == '{' || c == '[':
		end, err := p.skipComposite()
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(p.b[p.i:end]))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		p.i = end
		return v, nil
	default:
		start := p.i
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case ',', '}', ' ', '\t', '\n', '\r':
				goto done
			}
			p.i++
		}
	done:
		lit := p.b[start:p.i]
		switch string(lit) {
		case "null":
			return nil, nil
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		if !json.Valid(lit) {
			return nil, fmt.Errorf("properties: bad literal %q", lit)
		}
		return json.Number(lit), nil
	}
}

// skipComposite returns the offset just past the object or array at p.i.
func (p *propParser) skipComposite() (int, error) {
	depth := 0
	for j := p.i; j < len(p.b); j++ {
		switch p.b[j] {
		case '"':
			for j++; j < len(p.b) && p.b[j] != '"'; j++ {
				if p.b[j] == '\\' {
					j++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, fmt.Errorf("properties: unterminated value")
}

// rawValue returns the bytes of the JSON value at p.i and moves past it.
func (p *propParser) rawValue() ([]byte, error) {
	if p.eof() {
		return nil, fmt.Errorf("unexpected end")
	}
	start := p.i
	switch p.b[p.i] {
	case '"':
		if _, err := p.string(); err != nil {
			return nil, err
		}
	case '{', '[':
		end, err := p.skipComposite()
		if err != nil {
			return nil, err
		}
		p.i = end
	default:
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return p.b[start:p.i], nil
			}
			p.i++
		}
	}
	return p.b[start:p.i], nil
}

// members calls fn with each member of the JSON object raw, which the
// JSON decoder has already checked for syntax; fn's error stops the walk.
func members(raw []byte, fn func(key string, val []byte) error) error {
	p := propParser{b: raw}
	p.space()
	if p.eof() || p.b[p.i] != '{' {
		return fmt.Errorf("not an object")
	}
	p.i++
	for {
		p.space()
		if p.eof() {
			return fmt.Errorf("unexpected end")
		}
		switch p.b[p.i] {
		case '}':
			return nil
		case ',':
			p.i++
			p.space()
		}
		k, err := p.string()
		if err != nil {
			return err
		}
		p.space()
		if p.eof() || p.b[p.i] != ':' {
			return fmt.Errorf("want ':'")
		}
		p.i++
		p.space()
		v, err := p.rawValue()
		if err != nil {
			return err
		}
		if err := fn(k.(string), v); err != nil {
			return err
		}
	}
}
