package api

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
)

// getter reads one query parameter: url.Values, or rawQuery on hot paths.
type getter interface{ Get(key string) string }

// rawQuery reads parameters straight from an encoded query string without
// building a url.Values map; Get returns the first value of key, decoded,
// as url.Values.Get does.
type rawQuery string

// Get returns the first value of key ("" when absent).
func (q rawQuery) Get(key string) string {
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

// queryFloat reads a required finite number from the query.
func queryFloat(q getter, field string) (float64, error) {
	s := q.Get(field)
	if s == "" {
		return 0, errBadRequest(field, "required")
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errBadRequest(field, fmt.Sprintf("%q is not a number", s))
	}
	return v, nil
}

// queryLonLat reads lon and lat from the query and checks their ranges.
func queryLonLat(q getter) (lon, lat float64, err error) {
	if lon, err = queryFloat(q, "lon"); err != nil {
		return 0, 0, err
	}
	if lat, err = queryFloat(q, "lat"); err != nil {
		return 0, 0, err
	}
	return lon, lat, checkLonLat("lon", "lat", lon, lat)
}

// checkLonLat checks a longitude and latitude are on the globe.
func checkLonLat(lonField, latField string, lon, lat float64) error {
	if math.IsNaN(lon) || lon < -180 || lon > 180 {
		return errBadRequest(lonField, "must be between -180 and 180")
	}
	if math.IsNaN(lat) || lat < -90 || lat > 90 {
		return errBadRequest(latField, "must be between -90 and 90")
	}
	return nil
}

// queryInt reads an optional integer in [min, max]; def when absent.
func queryInt(q getter, field string, def, min, max int) (int, error) {
	s := q.Get(field)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, errBadRequest(field, fmt.Sprintf("%q is not an integer", s))
	}
	if v < min || v > max {
		return 0, errBadRequest(field, fmt.Sprintf("must be between %d and %d", min, max))
	}
	return v, nil
}

// queryPositive reads an optional number in (0, max]; def when absent.
func queryPositive(q getter, field string, def, max float64) (float64, error) {
	if q.Get(field) == "" {
		return def, nil
	}
	v, err := queryFloat(q, field)
	if err != nil {
		return 0, err
	}
	if v <= 0 || v > max {
		return 0, errBadRequest(field, fmt.Sprintf("must be greater than 0 and at most %g", max))
	}
	return v, nil
}

// queryList reads a comma-separated list (repeated parameters are joined).
func queryList(q url.Values, field string) []string {
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

// bbox is a longitude/latitude box.
type bbox struct{ minLon, minLat, maxLon, maxLat float64 }

// parseBBox reads "minLon,minLat,maxLon,maxLat".
func parseBBox(field, s string) (bbox, error) {
	if s == "" {
		return bbox{}, errBadRequest(field, "required: minLon,minLat,maxLon,maxLat")
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return bbox{}, errBadRequest(field, "want four numbers: minLon,minLat,maxLon,maxLat")
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return bbox{}, errBadRequest(field, fmt.Sprintf("%q is not a number", p))
		}
		v[i] = f
	}
	b := bbox{v[0], v[1], v[2], v[3]}
	if err := checkLonLat(field, field, b.minLon, b.minLat); err != nil {
		return bbox{}, err
	}
	if err := checkLonLat(field, field, b.maxLon, b.maxLat); err != nil {
		return bbox{}, err
	}
	if b.minLon > b.maxLon || b.minLat > b.maxLat {
		return bbox{}, errBadRequest(field, "min must not exceed max")
	}
	return b, nil
}

// decodeJSON reads one JSON value from the request body into v. Syntax
// errors, type mismatches and trailing data are the client's fault (400
// naming the body or the field); an oversize body is 413.
func decodeJSON(r *http.Request, v any) error {
	if r.Body == nil || r.Body == http.NoBody {
		return errBadRequest("body", "required")
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return errBadRequest("body", "trailing data after the JSON value")
	}
	return nil
}

// jsonError turns a decoding error into a request error naming the field.
func jsonError(err error) error {
	var mb *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mb):
		return err
	case errors.As(err, &se):
		return errBadRequest("body", fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se))
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return errBadRequest(field, fmt.Sprintf("want %s, got JSON %s", te.Type, te.Value))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errBadRequest("body", "empty or truncated JSON")
	}
	var br *badRequest
	if errors.As(err, &br) {
		return err
	}
	return errBadRequest("body", err.Error())
}
