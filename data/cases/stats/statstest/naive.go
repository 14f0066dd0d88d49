// Package statstest is the straightforward second computation of the
// evaluation indicators (package stats' definitions applied case by case
// with time.Time values and maps, no columns, no dictionaries), for tests
// that check the fast one against it.
package statstest

import (
	"math"
	"time"

	"citygrid/data/cases"
)

// Row is one group's indicators.
type Row struct {
	Reported       int `json:"reported"`
	Registered     int `json:"registered"`
	NotRegistered  int `json:"not_registered"`
	Dispatched     int `json:"dispatched"`
	DueForClosure  int `json:"due_for_closure"`
	Closed         int `json:"closed"`
	ClosedOnTime   int `json:"closed_on_time"`
	Handled        int `json:"handled"`
	HandledOnTime  int `json:"handled_on_time"`
	DueForHandling int `json:"due_for_handling"`
	Reworked       int `json:"reworked"`
	Returned       int `json:"returned"`
	ReturnedCases  int `json:"returned_cases"`
	Overdue        int `json:"overdue"`
	PublicVerified int `json:"public_verified"`
	// HandlingSecs and HandlingN sum the handling times of closed cases.
	HandlingSecs float64 `json:"-"`
	HandlingN    int     `json:"-"`
}

func ratio(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

// Rates are the row's rates by their definitions, keyed by their JSON
// names (nil where the denominator is 0).
func (r *Row) Rates() map[string]*float64 {
	m := map[string]*float64{
		"closure_rate":          ratio(r.Closed, r.DueForClosure),
		"on_time_closure_rate":  ratio(r.ClosedOnTime, r.DueForClosure),
		"handling_rate":         ratio(r.Handled, r.DueForHandling),
		"on_time_handling_rate": ratio(r.HandledOnTime, r.DueForHandling),
		"rework_rate":           ratio(r.Reworked, r.Closed),
		"avg_handling_hours":    nil,
	}
	if r.HandlingN > 0 {
		h := math.Round(r.HandlingSecs/float64(r.HandlingN)/3600*100) / 100
		m["avg_handling_hours"] = &h
	}
	return m
}

// Naive computes every group's indicators for [from, to) evaluated at now
// (zero: to); key gives a case's group.
func Naive(cs []cases.Case, key func(*cases.Case) string, from, to, now time.Time) map[string]*Row {
	end := to
	if !now.IsZero() && now.Before(to) {
		end = now
	}
	in := func(tp *time.Time) bool { return tp != nil && !tp.Before(from) && tp.Before(to) }
	out := map[string]*Row{}
	for i := range cs {
		c := &cs[i]
		k := key(c)
		if out[k] == nil {
			out[k] = &Row{}
		}
		n := out[k]
		closed := c.State == cases.StateClosed && c.ClosedAt != nil
		onTime := c.DueAt == nil || (c.HandledAt != nil && !c.HandledAt.After(*c.DueAt))
		if c.HandledOnTime != nil {
			onTime = *c.HandledOnTime
		}
		rep := c.ReportedAt
		if in(&rep) {
			n.Reported++
			if c.State == cases.StateNotRegistered {
				n.NotRegistered++
			}
			if c.VerifiedAt != nil && (c.Source == cases.SourceHotline || c.Source == cases.SourceCitizen) {
				n.PublicVerified++
			}
		}
		if in(c.RegisteredAt) {
			n.Registered++
		}
		if in(c.DispatchedAt) {
			n.Dispatched++
			n.Returned += c.ReturnCount
			if c.ReturnCount > 0 {
				n.ReturnedCases++
			}
		}
		if in(c.HandledAt) {
			n.Handled++
			if onTime {
				n.HandledOnTime++
			}
		}
		if closed && in(c.ClosedAt) {
			n.Closed++
			if onTime {
				n.ClosedOnTime++
			}
			n.Reworked += c.ReworkCount
			if c.HandledAt != nil && c.DispatchedAt != nil && !c.HandledAt.Before(*c.DispatchedAt) {
				n.HandlingSecs += float64(c.HandledAt.Unix() - c.DispatchedAt.Unix())
				n.HandlingN++
			}
		}
		openAtEnd := !closed || !c.ClosedAt.Before(end)
		excluded := c.State == cases.StateCancelled || c.State == cases.StateNotRegistered || c.State == cases.StateSuspended
		if c.DueAt != nil && c.DueAt.Before(end) && openAtEnd && !excluded {
			n.Overdue++
			n.DueForClosure++
			if c.HandledAt == nil || !c.HandledAt.Before(end) {
				n.DueForHandling++
			}
		}
	}
	for _, n := range out {
		n.DueForClosure += n.Closed
		n.DueForHandling += n.Handled
	}
	return out
}
