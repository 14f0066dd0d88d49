package cases

import (
	"reflect"
	"testing"
)

func TestCandidatesRankTheDecidedUnitThenTheOwnerThenTheGrids(t *testing.T) {
	for _, tc := range []struct {
		name  string
		facts DispatchFacts
		want  []Candidate
	}{
		{
			name: "every kind of claim, each unit once at its best rank",
			facts: DispatchFacts{Unit: "D-LIGHT", UnitName: "路灯管理所", Rule: "category_department", Component: "3201140201000001", ComponentOwner: "D-OWNER",
				Grids: []GridUnit{{Kind: "responsibility", Code: "R01", Unit: "D-STREET"}, {Kind: "inspector", Code: "I01", Unit: "D-LIGHT"}, {Kind: "inspector", Code: "I02", Unit: ""}}},
			want: []Candidate{
				{Unit: "D-LIGHT", Name: "路灯管理所", Rank: 1, Why: "decided by category_department"},
				{Unit: "D-OWNER", Rank: 2, Why: "owner of component 3201140201000001"},
				{Unit: "D-STREET", Rank: 3, Why: "responsible for responsibility grid R01"},
			},
		},
		{
			name:  "no component: its owner is not asked",
			facts: DispatchFacts{Unit: "D-STREET", Rule: "fallback", ComponentOwner: "D-OWNER"},
			want:  []Candidate{{Unit: "D-STREET", Rank: 1, Why: "decided by fallback"}},
		},
		{
			name:  "nothing decided and no grid: no candidate, an empty list",
			facts: DispatchFacts{Rule: "none"},
			want:  []Candidate{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.facts.Candidates(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
