package geoio

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

func TestParseGeometry(t *testing.T) {
	tests := []struct {
		name, in string
		want     orb.Geometry
		wantErr  string
	}{
		{"a point", `{"type":"Point","coordinates":[118.78,31.99]}`, orb.Point{118.78, 31.99}, ""},
		{"a point with an altitude drops it", `{"coordinates":[1, 2, 30.5],"type":"Point"}`, orb.Point{1, 2}, ""},
		{"a polygon with a hole", `{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,0]],[[1,1],[2,1],[2,2],[1,1]]]}`,
			orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}, {1, 1}}}, ""},
		{"a multilinestring", `{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6],[7,8]]]}`,
			orb.MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}, ""},
		{"an empty multipolygon", `{"type":"MultiPolygon","coordinates":[]}`, orb.MultiPolygon(nil), ""},
		{"exponents", `{"type":"Point","coordinates":[1.1878e2,-3.199E+1]}`, orb.Point{118.78, -31.99}, ""},
		{"a point with one number is refused", `{"type":"Point","coordinates":[118.78]}`, nil, "longitude and latitude"},
		{"a point without coordinates is refused", `{"type":"Point"}`, nil, "no coordinates"},
		{"a line of numbers is refused", `{"type":"LineString","coordinates":[1,2]}`, nil, "want an array"},
		{"a string coordinate is refused", `{"type":"Point","coordinates":["1","2"]}`, nil, "want a number"},
		{"an unknown type is refused", `{"type":"Circle","coordinates":[1,2]}`, nil, "unknown geometry type"},
		{"a collection goes through orb", `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}`, orb.Collection{orb.Point{1, 2}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseGeometry([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseGeometry = %v, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseGeometry = %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

// FuzzParseGeometry checks the coordinate reader against orb's decoder:
// whatever it accepts, orb accepts with the same geometry (orb is laxer,
// taking a one-number position as (x, 0), so the converse is not asked).
func FuzzParseGeometry(f *testing.F) {
	for _, s := range []string{
		`{"type":"Point","coordinates":[118.78,31.99]}`,
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[4,0],[4,4],[0,0]],[[1,1],[2,1],[2,2],[1,1]]]]}`,
		`{"type":"MultiLineString","coordinates":[[[1,2],[3,4]]]}`,
		`{"type":"MultiPoint","coordinates":[[1,2],[3,4,5]]}`,
		`{"type":"LineString","coordinates":[ [ 1e3 , -2.5E-2 ] ]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			return
		}
		got, err := parseGeometry(in)
		if err != nil {
			return
		}
		want, err := geojson.UnmarshalGeometry(in)
		if err != nil {
			t.Fatalf("parseGeometry accepted %q, orb refuses it: %v", in, err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(want.Geometry())) {
			t.Fatalf("parseGeometry(%q)\n got %#v\nwant %#v", in, got, want.Geometry())
		}
	})
}

// normalize makes empty slices nil so both decoders compare equal.
func normalize(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.MultiPoint:
		if len(g) == 0 {
			return orb.MultiPoint(nil)
		}
	case orb.LineString:
		if len(g) == 0 {
			return orb.LineString(nil)
		}
	case orb.MultiLineString:
		out := orb.MultiLineString(nil)
		for _, l := range g {
			out = append(out, normalize(l).(orb.LineString))
		}
		return out
	case orb.Polygon:
		out := orb.Polygon(nil)
		for _, r := range g {
			if len(r) == 0 {
				r = nil
			}
			out = append(out, r)
		}
		return out
	case orb.MultiPolygon:
		out := orb.MultiPolygon(nil)
		for _, p := range g {
			out = append(out, normalize(p).(orb.Polygon))
		}
		return out
	}
	return g
}
