package geoio

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParseProperties checks the flat properties parser against
// encoding/json on every input the JSON decoder accepts as an object.
func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{
		`{"code":"3201140101000001","version":3,"landmark":true,"note":null}`,
		`{"name":"雨花\"台\"","esc":"a\\u00e9\\n","nested":{"a":[1,2,{"b":"}"}]},"arr":["]",1.5e3]}`,
		`{ "a" : -0.5 , "a" : "again" }`,
		`{}`,
		`null`,
		`{"big":32011401001000042123456789}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.UseNumber()
		var want map[string]any
		if err := dec.Decode(&want); err != nil || dec.More() {
			return
		}
		if !json.Valid(in) {
			return
		}
		keys, vals, err := parseProperties(in)
		if err != nil {
			t.Fatalf("parseProperties(%q) = %v; encoding/json accepts it", in, err)
		}
		got := map[string]any{}
		for i, k := range keys {
			got[k] = vals[i]
		}
		if want == nil {
			want = map[string]any{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("parseProperties(%q)\n got %#v\nwant %#v", in, got, want)
		}
	})
}
