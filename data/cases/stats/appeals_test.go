package stats

import (
	"testing"

	"citygrid/data"
	"citygrid/data/cases"
)

// appealed returns an accepted (or pending) appeal of fault f by unit.
func appealed(f cases.Fault, unit, status string) cases.Appeal {
	return cases.Appeal{Fault: f, Unit: unit, Reason: "r", By: "u", At: t0, Status: status}
}

// TestAnAcceptedAppealRemovesExactlyThatFault works unit U's March by
// hand. Closed in March: 1 on time, 2 on time with two reworks (one
// appealed and accepted), 3 late with its overdue appeal accepted, 4 late
// with its appeal still pending. 5 is open and overdue at the end of March.
//
//	without appeals: closed 4, on time 2 (1, 2), overdue 1 (5) → 按期结案率 2/5 = 0.4
//	with 3 accepted: on time 3 (1, 2, 3), overdue 1            → 按期结案率 3/5 = 0.6
//	reworked: 2 − 1 accepted = 1; rework rate 1/4
func TestAnAcceptedAppealRemovesExactlyThatFault(t *testing.T) {
	day := 24.0
	mk := func(id int64, handled, due float64, onTime bool) cases.Case {
		return cases.Case{ID: id, Unit: "U", Street: "S1", UnitGrid: "G1", Kind: data.KindEvent, Category: "0406", Source: cases.SourceInspector,
			State: cases.StateClosed, ReportedAt: *at(day), RegisteredAt: at(day), DispatchedAt: at(day), HandledAt: at(handled * day),
			DueAt: at(due * day), ClosedAt: at(handled*day + 1), HandledOnTime: bp(onTime)}
	}
	c1 := mk(1, 2, 3, true)
	c2 := mk(2, 2, 3, true)
	c2.ReworkCount = 2
	c3 := mk(3, 5, 3, false)
	c4 := mk(4, 6, 3, false)
	c5 := cases.Case{ID: 5, Unit: "U", Street: "S1", UnitGrid: "G1", Kind: data.KindEvent, Category: "0406", Source: cases.SourceInspector,
		State: cases.StateDispatched, ReportedAt: *at(day), RegisteredAt: at(day), DispatchedAt: at(day), DueAt: at(4 * day), Urges: 2}
	c1.Satisfaction, c2.Satisfaction, c3.Satisfaction = cases.Satisfied, cases.FairlySatisfied, cases.NotSatisfied
	q := Query{Group: DimUnit, From: t0, To: t0.AddDate(0, 1, 0)}

	tb := NewTable(Options{})
	tb.PutAll([]cases.Case{c1, c2, c3, c4, c5})
	before := onlyRow(t, tb, q)
	if before.Closed != 4 || before.ClosedOnTime != 2 || before.Overdue != 1 || *before.OnTimeClosureRate != 0.4 || before.Reworked != 2 {
		t.Fatalf("before the appeals: %+v", before.Counts)
	}
	c2.Appeals = []cases.Appeal{appealed(cases.FaultRework, "U", cases.AppealAccepted), appealed(cases.FaultRework, "U", cases.AppealRejected)}
	c3.Appeals = []cases.Appeal{appealed(cases.FaultOverdue, "U", cases.AppealAccepted)}
	c4.Appeals = []cases.Appeal{appealed(cases.FaultOverdue, "U", cases.AppealPending)}
	tb.PutAll([]cases.Case{c2, c3, c4})
	after := onlyRow(t, tb, q)
	if after.Closed != 4 || after.ClosedOnTime != 3 || after.Overdue != 1 || after.DueForClosure != 5 || *after.OnTimeClosureRate != 0.6 {
		t.Fatalf("after the appeals: %+v", after.Counts)
	}
	if after.Reworked != 1 || *after.ReworkRate != 0.25 || after.AppealsAccepted != 2 {
		t.Fatalf("reworks and appeals: %+v", after.Counts)
	}
	// 回访: 满意, 基本满意, 不满意 → 2/3. 督办: 2 on a case dispatched in March.
	if after.FollowedUp != 3 || after.Satisfied != 2 || *after.SatisfactionRate != 2.0/3 || after.Urged != 2 {
		t.Fatalf("follow-up and urges: %+v", after.Counts)
	}
	// An accepted appeal of the open overdue case takes it out of the
	// backlog: 3/4.
	c5.Appeals = []cases.Appeal{appealed(cases.FaultOverdue, "U", cases.AppealAccepted)}
	tb.Put(&c5)
	if r := onlyRow(t, tb, q); r.Overdue != 0 || r.DueForClosure != 4 || *r.OnTimeClosureRate != 0.75 || r.AppealsAccepted != 3 {
		t.Fatalf("open overdue appealed: %+v", r.Counts)
	}
}

func onlyRow(t *testing.T, tb *Table, q Query) Row {
	t.Helper()
	res, err := tb.Compute(q)
	if err != nil || len(res.Rows) != 1 {
		t.Fatalf("%v %+v", err, res)
	}
	return res.Rows[0]
}
