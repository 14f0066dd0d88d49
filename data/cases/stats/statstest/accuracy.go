package statstest

import (
	"slices"
	"time"

	"citygrid/data/cases"
)

// AccuracyRow is a small class's first-dispatch counts: cases first
// dispatched in the period and how many of those first dispatches stuck.
type AccuracyRow struct {
	Dispatched, Stuck int
}

// NaiveAccuracy computes first-time dispatch accuracy per small class
// (kind/code) from the transitions alone, by the words of the definition:
// the first dispatch transition of a case names a unit, and it stuck when
// no later transition returns the case, redispatches it, or arbitrates it
// to another unit. Cases whose first dispatch lies outside [from, to) are
// left out.
func NaiveAccuracy(cs []cases.Case, trs []cases.Transition, from, to time.Time) map[string]AccuracyRow {
	byCase := map[int64][]cases.Transition{}
	for _, t := range trs {
		byCase[t.CaseID] = append(byCase[t.CaseID], t)
	}
	out := map[string]AccuracyRow{}
	for i := range cs {
		c := &cs[i]
		list := byCase[c.ID]
		slices.SortFunc(list, func(a, b cases.Transition) int { return a.Seq - b.Seq })
		first := slices.IndexFunc(list, func(t cases.Transition) bool { return t.Action == cases.ActDispatch })
		if first < 0 || list[first].At.Before(from) || !list[first].At.Before(to) {
			continue
		}
		unit := list[first].Unit
		stuck := true
		for _, t := range list[first+1:] {
			switch t.Action {
			case cases.ActReturn, cases.ActRedispatch:
				stuck = false
			case cases.ActArbitrate:
				if t.Unit != unit {
					stuck = false
				}
			}
		}
		k := string(c.Kind) + "/" + c.Category
		r := out[k]
		r.Dispatched++
		if stuck {
			r.Stuck++
		}
		out[k] = r
	}
	return out
}
