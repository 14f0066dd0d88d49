package lookups

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"unicode/utf8"
	"unsafe"

	"citygrid/api/auth"
	"citygrid/api/httpx"
	"citygrid/spatial"
	"citygrid/spatial/crs"

	"github.com/paulmach/orb"
)

// A batch request is {"crs": "wgs84", "points": [[lon, lat], ...]}; the
// answer is {"crs": ..., "count": n, "covered": m, "results": [...]} with
// one compact location per point, in order. Batches are the dispatch
// engine's bulk path (re-geocoding a day's cases, assigning a survey), so
// both the request parser and the answer encoder are hand-written: with
// encoding/json a 100,000-point batch spends most of its time in
// reflection rather than in the index.

// batchChunk is how many points one worker locates and encodes at a time.
const batchChunk = 2048

// AnonymousBatchPoints caps the batches of callers without a token: a
// 100,000-point batch costs 45-300 ms of CPU, so an anonymous flood of
// them would starve everyone else; 1,000 points cost at most about 3 ms.
const AnonymousBatchPoints = 1000

// batchLimit is the most points or cases one batch of r may hold.
func (s *spatialService) batchLimit(r *http.Request) int {
	if auth.PrincipalOf(r).Anonymous() {
		return min(s.maxBatch, AnonymousBatchPoints)
	}
	return s.maxBatch
}

// locateBatch answers POST /api/v1/locate/batch.
func (s *spatialService) locateBatch(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		httpx.WriteError(w, httpx.BadRequest("body", "required"))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		httpx.WriteError(w, httpx.JSONError(err))
		return
	}
	req, err := parseBatch(body, s.batchLimit(r))
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	c, err := crs.Parse(req.crs)
	if err != nil {
		httpx.WriteError(w, httpx.BadRequest("crs", "unknown CRS "+httpx.Quote(req.crs)+": want cgcs2000, wgs84, gcj02 or bd09"))
		return
	}
	for i, p := range req.points {
		if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
			field := "points[" + strconv.Itoa(i) + "]"
			httpx.WriteError(w, httpx.CheckLonLat(field, field, p[0], p[1]))
			return
		}
	}
	chunks, covered, err := s.locateChunks(r.Context(), req.points, c)
	if err != nil {
		httpx.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	head := make([]byte, 0, 128)
	head = append(head, `{"crs":`...)
	head = appendJSONString(head, string(c))
	head = append(head, `,"count":`...)
	head = strconv.AppendInt(head, int64(len(req.points)), 10)
	head = append(head, `,"covered":`...)
	head = strconv.AppendInt(head, int64(covered), 10)
	head = append(head, `,"results":[`...)
	if _, err := w.Write(head); err != nil {
		return
	}
	for i, ch := range chunks {
		b := *ch
		if i > 0 && len(b) > 0 {
			if _, err := w.Write([]byte{','}); err != nil {
				return
			}
		}
		if _, err := w.Write(b); err != nil {
			return
		}
		batchBufs.Put(ch)
	}
	_, _ = w.Write([]byte("]}\n"))
}

// batchBufs recycles the encoded chunks of batch answers.
var batchBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256*batchChunk); return &b }}

// locateChunks locates pts (given in c) on all cores and returns the
// encoded results chunk by chunk, in order, and how many points a unit
// grid covers.
func (s *spatialService) locateChunks(ctx context.Context, pts []orb.Point, c crs.CRS) ([]*[]byte, int, error) {
	n := (len(pts) + batchChunk - 1) / batchChunk
	chunks := make([]*[]byte, n)
	coveredBy := make([]int, n)
	workers := min(runtime.GOMAXPROCS(0), n)
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loc := spatial.Location{ManagementGrids: make([]spatial.ManagementGridRef, 0, 8)}
			for ci := range next {
				if ctx.Err() != nil {
					return
				}
				buf := batchBufs.Get().(*[]byte)
				b := (*buf)[:0]
				lo, hi := ci*batchChunk, min((ci+1)*batchChunk, len(pts))
				for i := lo; i < hi; i++ {
					err := s.ix.LocateInto(crs.ToStorage(c, pts[i]), &loc)
					if i > lo {
						b = append(b, ',')
					}
					b = appendBatchLocation(b, &loc, err)
					if err == nil {
						coveredBy[ci]++
					}
				}
				*buf = b
				chunks[ci] = buf
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		for _, ch := range chunks {
			if ch != nil {
				batchBufs.Put(ch)
			}
		}
		return nil, 0, fmt.Errorf("batch of %d points: %w", len(pts), err)
	}
	covered := 0
	for _, k := range coveredBy {
		covered += k
	}
	return chunks, covered, nil
}

// appendBatchLocation encodes one batch result: the codes of a located
// point, or covered:false with the nearest grid for one outside the city.
func appendBatchLocation(b []byte, loc *spatial.Location, err error) []byte {
	if err != nil {
		b = append(b, `{"covered":false`...)
		if loc.Nearest.Code != "" {
			b = append(b, `,"nearest_unit_grid":{"code":`...)
			b = appendJSONString(b, loc.Nearest.Code)
			b = append(b, `,"distance_m":`...)
			b = strconv.AppendFloat(b, loc.Nearest.DistanceM, 'f', 1, 64)
			b = append(b, '}')
		}
		if !spatial.IsOutside(err) {
			b = append(b, `,"error":`...)
			b = appendJSONString(b, err.Error())
		}
		return append(b, '}')
	}
	b = append(b, `{"covered":true,"unit_grid":{"code":`...)
	b = appendJSONString(b, loc.UnitGrid.Code)
	b = append(b, '}')
	// A level the point lies in no unit of is left out, as the single
	// answer leaves it out, rather than written with an empty code.
	for _, part := range [3]struct {
		key  string
		code string
	}{{`,"community":{"code":`, loc.Community.Code}, {`,"street":{"code":`, loc.Street.Code}, {`,"district":{"code":`, loc.District.Code}} {
		if part.code == "" {
			continue
		}
		b = append(b, part.key...)
		b = appendJSONString(b, part.code)
		b = append(b, '}')
	}
	b = append(b, `,"management_grids":[`...)
	for i, m := range loc.ManagementGrids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"kind":`...)
		b = appendJSONString(b, m.Kind)
		b = append(b, `,"code":`...)
		b = appendJSONString(b, m.Code)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// batchRequest is a parsed batch request.
type batchRequest struct {
	crs    string
	points []orb.Point
}

// parseBatch reads {"crs": string, "points": [[lon, lat], ...]} strictly:
// members in any order, no unknown members, each point exactly two JSON
// numbers, at most maxPoints points.
func parseBatch(b []byte, maxPoints int) (batchRequest, error) {
	p := &batchParser{b: b, max: maxPoints}
	req, err := p.request()
	if err != nil {
		return batchRequest{}, err
	}
	return req, nil
}

// batchParser is a cursor over a batch request body.
type batchParser struct {
	b   []byte
	i   int
	max int
}

func (p *batchParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *batchParser) syntax(want string) error {
	if p.i >= len(p.b) {
		return httpx.BadRequest("body", "invalid JSON: unexpected end of input, want "+want)
	}
	return httpx.BadRequest("body", fmt.Sprintf("invalid JSON at byte %d: want %s, got %q", p.i, want, p.b[p.i]))
}

func (p *batchParser) expect(c byte) error {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return nil
	}
	return p.syntax(strconv.QuoteRune(rune(c)))
}

// peek returns the next non-space byte (0 at the end).
func (p *batchParser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// str reads a JSON string.
func (p *batchParser) str() (string, error) {
	if p.peek() != '"' {
		return "", p.syntax("a string")
	}
	start := p.i
	p.i++
	escaped := false
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '\\':
			escaped = true
			p.i += 2
			continue
		case c == '"':
			p.i++
			raw := p.b[start:p.i]
			if !escaped && utf8.Valid(raw) {
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", httpx.BadRequest("body", fmt.Sprintf("invalid JSON string at byte %d", start))
			}
			return s, nil
		case c < 0x20:
			return "", p.syntax("a string without control characters")
		}
		p.i++
	}
	return "", p.syntax(`'"'`)
}

// num reads a JSON number (RFC 8259 grammar: no leading zeros, '+', hex,
// NaN or infinities).
func (p *batchParser) num(field func() string) (float64, error) {
	p.ws()
	if p.i >= len(p.b) {
		return 0, p.syntax("a number")
	}
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	bad := func() (float64, error) {
		end := min(len(p.b), max(p.i, start+1))
		return 0, httpx.BadRequest(field(), fmt.Sprintf("not a JSON number at byte %d: %q", start, p.b[start:end]))
	}
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return bad()
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return bad()
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return bad()
		}
	}
	// The grammar was checked above, so only overflow can fail here; the
	// number is parsed in place (ParseFloat keeps no reference to it).
	v, err := strconv.ParseFloat(unsafe.String(&p.b[start], p.i-start), 64)
	if err != nil {
		return 0, httpx.BadRequest(field(), fmt.Sprintf("%q is out of range", p.b[start:p.i]))
	}
	return v, nil
}

func (p *batchParser) request() (batchRequest, error) {
	var req batchRequest
	if err := p.expect('{'); err != nil {
		return req, err
	}
	seen := map[string]bool{}
	if p.peek() == '}' {
		p.i++
	} else {
		for {
			key, err := p.str()
			if err != nil {
				return req, err
			}
			if seen[key] {
				return req, httpx.BadRequest(key, "given twice")
			}
			seen[key] = true
			if err := p.expect(':'); err != nil {
				return req, err
			}
			switch key {
			case "crs":
				if req.crs, err = p.str(); err != nil {
					return req, httpx.BadRequest("crs", "want a string")
				}
			case "points":
				if req.points, err = p.points(); err != nil {
					return req, err
				}
			default:
				return req, httpx.BadRequest(key, "unknown member: a batch has crs and points")
			}
			if p.peek() == ',' {
				p.i++
				continue
			}
			if err := p.expect('}'); err != nil {
				return req, err
			}
			break
		}
	}
	if p.ws(); p.i < len(p.b) {
		return req, httpx.BadRequest("body", "trailing data after the JSON value")
	}
	if !seen["points"] {
		return req, httpx.BadRequest("points", "required")
	}
	return req, nil
}

func (p *batchParser) points() ([]orb.Point, error) {
	if p.peek() != '[' {
		return nil, httpx.BadRequest("points", "want an array of [lon, lat] pairs")
	}
	p.i++
	// Estimate the count from the body size to allocate once: a point is
	// at least 7 bytes ("[0,0],"), typically about 25.
	pts := make([]orb.Point, 0, min(p.max, max(16, (len(p.b)-p.i)/24)))
	if p.peek() == ']' {
		p.i++
		return pts, nil
	}
	for {
		if len(pts) == p.max {
			return nil, httpx.BadRequest("points", fmt.Sprintf("more than %d points in one batch", p.max))
		}
		field := func() string { return "points[" + strconv.Itoa(len(pts)) + "]" }
		if p.peek() == 0 {
			return nil, p.syntax("a [lon, lat] pair")
		}
		if p.peek() != '[' {
			return nil, httpx.BadRequest(field(), "want a [lon, lat] pair")
		}
		p.i++
		lon, err := p.num(field)
		if err != nil {
			return nil, err
		}
		if p.peek() != ',' {
			return nil, httpx.BadRequest(field(), "want exactly two numbers, [lon, lat]")
		}
		p.i++
		lat, err := p.num(field)
		if err != nil {
			return nil, err
		}
		if p.peek() != ']' {
			return nil, httpx.BadRequest(field(), "want exactly two numbers, [lon, lat]")
		}
		p.i++
		pts = append(pts, orb.Point{lon, lat})
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return pts, nil
		default:
			return nil, p.syntax("',' or ']'")
		}
	}
}
