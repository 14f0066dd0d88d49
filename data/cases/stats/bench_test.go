package stats

import (
	"testing"
	"time"
)

// BenchmarkMonth1_5M is the acceptance benchmark: one month's statistics,
// grouped by unit and by grid, over 1.5 million cases (a year of a big
// city). Run with: go test -run XXX -bench Month1_5M ./data/cases/stats/
func BenchmarkMonth1_5M(b *testing.B) {
	cs := randomCases(1_500_000, 9)
	tb := NewTable(Options{})
	tb.PutAll(cs)
	cs = nil
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	s := DefaultScoring()
	for _, d := range []Dim{DimUnit, DimGrid} {
		b.Run(d.String(), func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				if _, err := tb.Evaluate(Query{Group: d, From: from, To: to}, s, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// BenchmarkPostsMonth1_5M: one month's post scores (every post, ranks,
// previous month) over the transitions of 1.5 million cases (random walks
// through the state machine: 2.1 million post events over 90 days).
// Run with: go test -run XXX -bench PostsMonth1_5M ./data/cases/stats/
func BenchmarkPostsMonth1_5M(b *testing.B) {
	pt := NewPostTable()
	for chunk := range 15 {
		cs, trs := randomHistory(100_000, uint64(100+chunk))
		base := int64(chunk) * 100_000
		for i := range cs {
			cs[i].ID += base
		}
		for i := range trs {
			trs[i].CaseID += base
		}
		pt.AddAll(trs, caseIndex(cs))
	}
	b.Logf("%d post events", pt.Len())
	s := DefaultScoring()
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		if _, err := pt.Evaluate(PostQuery{From: t0, To: t0.AddDate(0, 1, 0)}, s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}
