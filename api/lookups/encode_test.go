package lookups

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"citygrid/api/internal/testcity"
	"citygrid/spatial"
	"citygrid/spatial/crs"

	"github.com/paulmach/orb"
)

func TestAppendLocationIsByteForByteEncodingJSON(t *testing.T) {
	ix, err := testcity.Index()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(name string, loc *spatial.Location) {
		t.Helper()
		want, err := json.Marshal(loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendLocation(nil, loc); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	for i := range 2000 {
		p := orb.Point{118.69 + rng.Float64()*0.06, 31.89 + rng.Float64()*0.04}
		if i%7 == 0 {
			p[0] = 118.71 // on the A1/A2 edge
		}
		loc, _ := ix.Locate(p)
		check("located point", &loc)
		loc.ToCRS(crs.BD09)
		check("point in BD-09", &loc)
	}
	for _, loc := range []spatial.Location{
		{},
		{Point: orb.Point{1e-7, -1e21}, CRS: "x\"y", ManagementGrids: []spatial.ManagementGridRef{}},
		{Point: orb.Point{-0.000001, 123456789.125}, Covered: true,
			UnitGrid:        spatial.UnitGridRef{Code: "1"},
			Community:       spatial.AdminRef{Code: "c", Name: "社区"},
			ManagementGrids: []spatial.ManagementGridRef{{Kind: "k"}, {Kind: "k2", Code: "2", Name: "n", Unit: "u"}},
			Nearest:         spatial.NearestGrid{DistanceM: 5e-324}},
	} {
		check("hand-made answer", &loc)
	}
}

func TestAppendJSONFloatMatchesEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.1, 1e-6, 9.99e-7, 1e-7, 1.5e-10, 1e20, 1e21, 1.234e25, -3e-300, 118.7800000001, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		want, _ := json.Marshal(f)
		if got := appendJSONFloat(nil, f); !bytes.Equal(got, want) {
			t.Errorf("%v: got %s, want %s", f, got, want)
		}
	}
}
