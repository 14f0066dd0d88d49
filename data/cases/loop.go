package cases

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"citygrid/data"
)

// Satisfaction is a reporter's grade at the follow-up call after closure
// (回访满意度).
type Satisfaction string

// Satisfaction grades.
const (
	Satisfied        Satisfaction = "satisfied"        // 满意
	FairlySatisfied  Satisfaction = "fairly_satisfied" // 基本满意
	NotSatisfied     Satisfaction = "dissatisfied"     // 不满意
	satisfactionHelp              = "satisfied (满意), fairly_satisfied (基本满意) or dissatisfied (不满意)"
)

// ParseSatisfaction reads a grade by its code or its Chinese name.
func ParseSatisfaction(s string) (Satisfaction, bool) {
	switch strings.TrimSpace(s) {
	case string(Satisfied), "满意":
		return Satisfied, true
	case string(FairlySatisfied), "基本满意":
		return FairlySatisfied, true
	case string(NotSatisfied), "不满意":
		return NotSatisfied, true
	}
	return "", false
}

// Content reports whether the grade counts as satisfied in the
// satisfaction rate (满意 and 基本满意).
func (g Satisfaction) Content() bool { return g == Satisfied || g == FairlySatisfied }

// Fault is a fault counted against a unit on a case, which the unit may
// appeal (申诉).
type Fault string

// Faults.
const (
	FaultOverdue Fault = "overdue" // the handling feedback came after the deadline, or never
	FaultRework  Fault = "rework"  // one failed check (返工)
	FaultReturn  Fault = "return"  // one return (回退) by the unit
)

// Appeal states.
const (
	AppealPending  = "pending"
	AppealAccepted = "accepted"
	AppealRejected = "rejected"
)

// Appeal is a unit's appeal against one fault counted on a case (申诉).
// The centre accepts or rejects it; an accepted appeal takes exactly that
// fault out of the unit's evaluation.
type Appeal struct {
	Fault     Fault      `json:"fault"`
	Unit      string     `json:"unit"`
	Reason    string     `json:"reason"`
	By        string     `json:"by"`
	At        time.Time  `json:"at"`
	Status    string     `json:"status"`
	DecidedBy string     `json:"decided_by,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	Decision  string     `json:"decision,omitempty"`
}

// AcceptedAppeals counts the accepted appeals of fault f on c.
func (c *Case) AcceptedAppeals(f Fault) int {
	n := 0
	for _, a := range c.Appeals {
		if a.Fault == f && a.Status == AppealAccepted {
			n++
		}
	}
	return n
}

// faultsOf counts the faults of kind f the unit has on c, and whether the
// unit is the one they are counted against.
func faultsOf(c *Case, f Fault, unit string) int {
	switch f {
	case FaultOverdue:
		if c.Unit != unit {
			return 0
		}
		if c.HandledOnTime != nil {
			if !*c.HandledOnTime {
				return 1
			}
			return 0
		}
		if c.DueAt != nil && c.HandledAt != nil && c.HandledAt.After(*c.DueAt) {
			return 1
		}
		return 0
	case FaultRework:
		if c.Unit != unit {
			return 0
		}
		return c.ReworkCount
	case FaultReturn:
		n := 0
		for _, u := range c.ReturnedBy {
			if u == unit {
				n++
			}
		}
		return n
	}
	return 0
}

// urge records a 督办/催办 on the case: the unit is reminded with the note.
// The service sends the notification once the transition is stored.
func urge(c *Case, t *Transition) error {
	if c.Unit == "" {
		return conflict(c, t.Action, "the case is with no unit to urge", data.RoleSupervisor)
	}
	c.Urges++
	t.Unit = c.Unit
	return nil
}

// followUp records the reporter's grade at the 回访 after closure.
func followUp(c *Case, t *Transition, req ActionRequest, now time.Time) error {
	g, ok := ParseSatisfaction(string(req.Satisfaction))
	if !ok {
		return &data.ValidationError{Field: "satisfaction", Reason: satisfactionHelp}
	}
	if c.FollowedUpAt != nil {
		return conflict(c, t.Action, "the follow-up call was recorded already", data.RoleOperator)
	}
	c.Satisfaction, c.FollowedUpAt = g, &now
	t.Unit = c.Unit
	t.Note = strings.TrimSpace(string(g) + ": " + req.Note)
	return nil
}

// appeal records a unit's appeal against one of its faults on the case.
// Each fault counted can be appealed once: a unit with two returns may
// appeal twice.
func appeal(c *Case, t *Transition, p data.Principal, req ActionRequest, now time.Time) error {
	f := Fault(strings.TrimSpace(string(req.Fault)))
	if f != FaultOverdue && f != FaultRework && f != FaultReturn {
		return &data.ValidationError{Field: "fault", Reason: "overdue, rework or return"}
	}
	unit := p.Unit
	if p.Role == data.RoleAdmin && unit == "" {
		unit = strings.TrimSpace(req.Unit)
	}
	if unit == "" {
		return &data.ValidationError{Field: "unit", Reason: "the appealing unit is required"}
	}
	n := faultsOf(c, f, unit)
	if n == 0 {
		if p.Role == data.RoleUnit && c.Unit != unit && !slices.Contains(c.ReturnedBy, unit) {
			return fmt.Errorf("case %d is not with unit %q: %w", c.ID, unit, data.ErrForbidden)
		}
		return conflict(c, t.Action, fmt.Sprintf("no %s is counted against %s on this case", f, unit), p.Role)
	}
	used := 0
	for _, a := range c.Appeals {
		if a.Fault == f && a.Unit == unit && a.Status != AppealRejected {
			used++
		}
	}
	if used >= n {
		return conflict(c, t.Action, fmt.Sprintf("every %s of %s on this case is appealed already", f, unit), p.Role)
	}
	c.Appeals = append(c.Appeals, Appeal{Fault: f, Unit: unit, Reason: req.Note, By: p.User, At: now, Status: AppealPending})
	t.Unit = unit
	t.Note = string(f) + ": " + req.Note
	return nil
}

// decideAppeal accepts or rejects the oldest pending appeal (of req.Fault
// when given).
func decideAppeal(c *Case, t *Transition, req ActionRequest, now time.Time) error {
	for i := range c.Appeals {
		a := &c.Appeals[i]
		if a.Status != AppealPending || (req.Fault != "" && a.Fault != req.Fault) {
			continue
		}
		a.Status = AppealRejected
		if t.Action == ActAcceptAppeal {
			a.Status = AppealAccepted
		}
		a.DecidedBy, a.DecidedAt, a.Decision = t.User, &now, req.Note
		t.Unit = a.Unit
		t.Note = strings.TrimSpace(fmt.Sprintf("%s appeal of %s %s: %s", a.Fault, a.Unit, a.Status, req.Note))
		return nil
	}
	return conflict(c, t.Action, "no appeal is waiting for a decision", data.RoleSupervisor)
}
