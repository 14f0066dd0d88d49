package spatial

import (
	"slices"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// TestLowestCodeWinsWhereALayerOverlaps builds a city whose streets
// overlap: street 320114002 (the unit grid's own street) and street
// 320114001, drawn over its western half. A point strictly inside both must
// go to the lower code, although the hint from the unit grid's community
// names the other street and the point is strictly inside it.
func TestLowestCodeWinsWhereALayerOverlaps(t *testing.T) {
	comm := "320114002001"
	ds := &data.Dataset{
		AdminUnits: []data.AdminUnit{
			{Code: "320114", Level: data.LevelDistrict, Geometry: orb.MultiPolygon{{square(-10, -10, 20, 20)}}},
			{Code: "320114002", Level: data.LevelStreet, Parent: "320114", Geometry: orb.MultiPolygon{{square(0, 0, 10, 10)}}},
			{Code: "320114001", Level: data.LevelStreet, Parent: "320114", Geometry: orb.MultiPolygon{{square(-5, 0, 4, 10)}}},
			{Code: "320114003", Level: data.LevelStreet, Parent: "320114", Geometry: orb.MultiPolygon{{square(10, 0, 15, 10)}}},
			{Code: comm, Level: data.LevelCommunity, Parent: "320114002", Geometry: orb.MultiPolygon{{square(0, 0, 10, 10)}}},
		},
		UnitGrids: []data.UnitGrid{
			{Code: comm + "001", Community: comm, Geometry: orb.MultiPolygon{{square(0, 0, 10, 10)}}},
		},
	}
	ix, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	want := []Overlap{{Layer: "street", A: "320114001", B: "320114002"}}
	if got := ix.Overlaps(); !slices.Equal(got, want) {
		t.Fatalf("Overlaps() = %v, want %v (streets sharing only an edge do not overlap)", got, want)
	}
	for _, tc := range []struct {
		name string
		p    orb.Point
		want string
	}{
		{"a point inside both overlapping streets goes to the lower code", at(2, 5), "320114001"},
		{"a point inside the hinted street only keeps it", at(6, 5), "320114002"},
		{"a point on the edge shared with a street that does not overlap goes to the lower code", at(10, 5), "320114002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc, err := ix.Locate(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if loc.Street.Code != tc.want {
				t.Fatalf("street %q, want %q", loc.Street.Code, tc.want)
			}
		})
	}
}
