package stats

import (
	"fmt"
	"testing"

	"citygrid/data"
	"citygrid/data/cases"
)

// TestStreetsAreRankedWithinTheirClass scores four streets on 按期结案率
// alone: S1 2/2 = 100, S4 3/4 = 75, S2 1/2 = 50, S3 0/2 = 0. Overall
// S1 1, S4 2, S2 3, S3 4; class A (S1, S2): S1 1, S2 2; class B (S3, S4):
// S4 1, S3 2.
func TestStreetsAreRankedWithinTheirClass(t *testing.T) {
	var cs []cases.Case
	id := int64(0)
	add := func(street string, onTime, late int) {
		for i := range onTime + late {
			id++
			cs = append(cs, cases.Case{ID: id, Unit: "U", Street: street, UnitGrid: "G" + street, Kind: data.KindEvent, Category: "0406",
				Source: cases.SourceInspector, State: cases.StateClosed, ReportedAt: *at(24), RegisteredAt: at(24), DispatchedAt: at(24),
				HandledAt: at(48), DueAt: at(72), ClosedAt: at(50), HandledOnTime: bp(i < onTime)})
		}
	}
	add("S1", 2, 0)
	add("S2", 1, 1)
	add("S3", 0, 2)
	add("S4", 3, 1)
	tb := NewTable(Options{})
	tb.PutAll(cs)
	sc := DefaultScoring()
	sc.Region = Scheme{Name: "region", Terms: []Term{{IndOnTimeClosureRate, 1}}}
	sc.MinSample = 1
	sc.Classes = Classes{"street": {"S1": "A", "S2": "A", "S3": "B", "S4": "B"}}
	res, err := tb.Evaluate(Query{Group: DimStreet, From: t0, To: t0.AddDate(0, 1, 0)}, sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, r := range res.Rows {
		got += fmt.Sprintf("%s:%g:%d:%s%d ", r.Key, *r.Score, r.Rank, r.Class, r.ClassRank)
	}
	if want := "S1:100:1:A1 S2:50:3:A2 S3:0:4:B2 S4:75:2:B1 "; got != want {
		t.Fatalf("ranks %q, want %q", got, want)
	}
}

func TestClassesOutsideTheirLettersAreRefused(t *testing.T) {
	for _, c := range []Classes{{"street": {"S1": "F"}}, {"department": {"D1": "D"}}, {"reporter": {"x": "A"}}} {
		sc := DefaultScoring()
		sc.Classes = c
		if err := sc.Validate(); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
	sc := DefaultScoring()
	sc.Classes = Classes{"street": {"S1": "E"}, "department": {"D1": "C"}}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
}
