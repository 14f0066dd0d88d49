package city

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"citygrid/api/internal/testcity"
	"citygrid/spatial/geocode"
)

// TestTheCitysVocabularyServesEveryGeocoderBuild: a City opened with a
// vocabulary answers with it (雨中, the city's short form of 雨花中学,
// finds the school), and still does after a unit-grid edit rebuilt the
// geocoder; without it 雨中 does not find the school.
func TestTheCitysVocabularyServesEveryGeocoderBuild(t *testing.T) {
	v, err := geocode.ParseVocabulary(strings.NewReader("abbr 雨花中学 雨中\n"))
	if err != nil {
		t.Fatal(err)
	}
	finds := func(c *City) bool {
		rs, err := c.Geocoder.Current().Forward("雨中", 1)
		return err == nil && len(rs) > 0 && rs[0].Code == "320114P0001"
	}
	open := func(v *geocode.Vocabulary) *City {
		t.Helper()
		ix, err := testcity.Index()
		if err != nil {
			t.Fatal(err)
		}
		c, err := Open(context.Background(), Config{Index: ix, GeocodeVocabulary: v, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close(context.Background()) })
		return c
	}
	c := open(geocode.DefaultVocabulary().Extend(v))
	if !finds(c) {
		t.Fatal("雨中 does not find the school with the city's vocabulary")
	}
	before := c.Geocoder.Current()
	c.Geocoder.gridsChanged()
	if err := c.Geocoder.refresh(); err != nil {
		t.Fatal(err)
	}
	if c.Geocoder.Current() == before || !finds(c) {
		t.Error("after a rebuild 雨中 no longer finds the school: the rebuild dropped the vocabulary")
	}
	if finds(open(nil)) {
		t.Error("雨中 finds the school without the city's vocabulary: the test shows nothing")
	}
}
