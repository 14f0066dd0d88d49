package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Getter reads one query parameter: url.Values, or rawQuery on hot paths.
type Getter interface{ Get(key string) string }

// RawQuery reads parameters straight from an encoded query string without
// building a url.Values map; Get returns the first value of key, decoded,
// as url.Values.Get does.
type RawQuery string

// Get returns the first value of key ("" when absent).
func (q RawQuery) Get(key string) string {
	s := string(q)
	for s != "" {
		var part string
		part, s, _ = strings.Cut(s, "&")
		k, v, _ := strings.Cut(part, "=")
		if strings.ContainsAny(k, "%+") {
			dk, err := url.QueryUnescape(k)
			if err != nil {
				continue
			}
			k = dk
		}
		if k != key {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			dv, err := url.QueryUnescape(v)
			if err != nil {
				continue // url.ParseQuery drops such pairs too
			}
			v = dv
		}
		return v
	}
	return ""
}

// QueryFloat reads a required finite number from the query.
func QueryFloat(q Getter, field string) (float64, error) {
	s := q.Get(field)
	if s == "" {
		return 0, BadRequest(field, "required")
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, BadRequest(field, fmt.Sprintf("%q is not a number", s))
	}
	return v, nil
}

// QueryLonLat reads lon and lat from the query and checks their ranges.
func QueryLonLat(q Getter) (lon, lat float64, err error) {
	if lon, err = QueryFloat(q, "lon"); err != nil {
		return 0, 0, err
	}
	if lat, err = QueryFloat(q, "lat"); err != nil {
		return 0, 0, err
	}
	return lon, lat, CheckLonLat("lon", "lat", lon, lat)
}

// CheckLonLat checks a longitude and latitude are on the globe.
func CheckLonLat(lonField, latField string, lon, lat float64) error {
	if math.IsNaN(lon) || lon < -180 || lon > 180 {
		return BadRequest(lonField, "must be between -180 and 180")
	}
	if math.IsNaN(lat) || lat < -90 || lat > 90 {
		return BadRequest(latField, "must be between -90 and 90")
	}
	return nil
}

// QueryInt reads an optional integer in [min, max]; def when absent.
func QueryInt(q Getter, field string, def, min, max int) (int, error) {
	s := q.Get(field)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, BadRequest(field, fmt.Sprintf("%q is not an integer", s))
	}
	if v < min || v > max {
		return 0, BadRequest(field, fmt.Sprintf("must be between %d and %d", min, max))
	}
	return v, nil
}

// QueryPositive reads an optional number in (0, max]; def when absent.
func QueryPositive(q Getter, field string, def, max float64) (float64, error) {
	if q.Get(field) == "" {
		return def, nil
	}
	v, err := QueryFloat(q, field)
	if err != nil {
		return 0, err
	}
	if v <= 0 || v > max {
		return 0, BadRequest(field, fmt.Sprintf("must be greater than 0 and at most %g", max))
	}
	return v, nil
}

// QueryList reads a comma-separated list (repeated parameters are joined).
func QueryList(q url.Values, field string) []string {
	var out []string
	for _, v := range q[field] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// BBox is a longitude/latitude box.
type BBox struct{ MinLon, MinLat, MaxLon, MaxLat float64 }

// ParseBBox reads "minLon,minLat,maxLon,maxLat".
func ParseBBox(field, s string) (BBox, error) {
	if s == "" {
		return BBox{}, BadRequest(field, "required: minLon,minLat,maxLon,maxLat")
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return BBox{}, BadRequest(field, "want four numbers: minLon,minLat,maxLon,maxLat")
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return BBox{}, BadRequest(field, fmt.Sprintf("%q is not a number", p))
		}
		v[i] = f
	}
	b := BBox{v[0], v[1], v[2], v[3]}
	if err := CheckLonLat(field, field, b.MinLon, b.MinLat); err != nil {
		return BBox{}, err
	}
	if err := CheckLonLat(field, field, b.MaxLon, b.MaxLat); err != nil {
		return BBox{}, err
	}
	if b.MinLon > b.MaxLon || b.MinLat > b.MaxLat {
		return BBox{}, BadRequest(field, "min must not exceed max")
	}
	return b, nil
}

// DecodeJSON reads one JSON value from the request body into v. Syntax
// errors, type mismatches and trailing data are the client's fault (400
// naming the body or the field); an oversize body is 413.
func DecodeJSON(r *http.Request, v any) error {
	if r.Body == nil || r.Body == http.NoBody {
		return BadRequest("body", "required")
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return JSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return BadRequest("body", "trailing data after the JSON value")
	}
	return nil
}

// JSONError turns a decoding error into a request error naming the field.
func JSONError(err error) error {
	var mb *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mb):
		return err
	case errors.As(err, &se):
		return BadRequest("body", fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se))
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return BadRequest(field, fmt.Sprintf("want %s, got JSON %s", te.Type, te.Value))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequest("body", "empty or truncated JSON")
	}
	var br *RequestError
	if errors.As(err, &br) {
		return err
	}
	return BadRequest("body", err.Error())
}

// ChinaTime is China Standard Time, the zone a centre's days, months and
// answers are counted in (a fixed zone, so no tz database is needed).
var ChinaTime = time.FixedZone("CST", 8*3600)

// ParseDay reads YYYY-MM-DD (midnight, China Standard Time) or RFC 3339.
func ParseDay(field, s string) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02", s, ChinaTime); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, BadRequest(field, fmt.Sprintf("%q is neither YYYY-MM-DD nor an RFC 3339 time", s))
}
