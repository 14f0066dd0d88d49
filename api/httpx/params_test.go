package httpx

import (
	"net/url"
	"testing"
)

func TestRawQueryAgreesWithURLValues(t *testing.T) {
	queries := []string{
		"lon=118.7&lat=31.9",
		"lat=31.9&lon=118.7&lon=1",
		"lon=%31%31%38.7&lat=31.9",
		"crs=gcj%2D02&lon=1",
		"a+b=c+d&lon=1+2",
		"lon=&lat=2",
		"lon&lat=2",
		"lon=%zz&lon=5",
		"%zz=1&lon=3",
		"",
		"&&lon=4&&",
		"lo%6E=6",
	}
	for _, q := range queries {
		want, _ := url.ParseQuery(q)
		for _, key := range []string{"lon", "lat", "crs", "a b"} {
			if got := RawQuery(q).Get(key); got != want.Get(key) {
				t.Errorf("query %q key %q: rawQuery %q, url.Values %q", q, key, got, want.Get(key))
			}
		}
	}
}
