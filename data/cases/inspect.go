package cases

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"citygrid/data"
)

// How a case's inspector task was assigned (Case.InspectorFrom).
const (
	InspectorFromGrid       = "grid"       // the inspector of the case's work grid (监督员工作网格)
	InspectorFromPool       = "pool"       // the grid has none: the configured pool, in turn
	InspectorFromCentre     = "centre"     // neither: the centre hands it out
	InspectorFromSupervisor = "supervisor" // reassigned by the supervisor or operator
)

// inspectorStep reports whether the case's state is an inspector's task:
// 核实 while reported, 核查 while handled.
func inspectorStep(s State) bool { return s == StateReported || s == StateHandled }

// assignInspector gives the case's 核实 or 核查 task to the inspector of
// its work grid, else to the settings' pool in turn, else leaves it with
// the centre. Outside those states the assignment is cleared.
func (s *Service) assignInspector(c *Case) {
	c.Inspector, c.InspectorFrom = "", ""
	if !inspectorStep(c.State) {
		return
	}
	if s.InspectorOf != nil {
		if u := s.InspectorOf(c.ManagementGrids); u != "" {
			c.Inspector, c.InspectorFrom = u, InspectorFromGrid
			return
		}
	}
	if pool := s.Settings().InspectorPool; len(pool) > 0 {
		c.Inspector, c.InspectorFrom = pool[(s.poolTurn.Add(1)-1)%uint64(len(pool))], InspectorFromPool
		return
	}
	c.InspectorFrom = InspectorFromCentre
}

// reassignInspector gives the task to the inspector the request names.
func (s *Service) reassignInspector(c *Case, t *Transition, req ActionRequest) error {
	u := strings.TrimSpace(req.Inspector)
	if u == "" {
		return &data.ValidationError{Field: "inspector", Reason: "the inspector to give the task to is required"}
	}
	if s.InspectorExists != nil && !s.InspectorExists(u) {
		return &data.ValidationError{Field: "inspector", Reason: fmt.Sprintf("no inspector %q", u)}
	}
	old := c.Inspector
	if old == "" {
		old = "centre"
	}
	c.Inspector, c.InspectorFrom = u, InspectorFromSupervisor
	t.Note = strings.TrimSpace(fmt.Sprintf("inspector %s → %s. %s", old, u, t.Note))
	return nil
}

// InspectorTasks lists the open 核实 and 核查 tasks assigned to the
// inspector, soonest step deadline first.
func (s *Service) InspectorTasks(ctx context.Context, inspector string) ([]*Case, error) {
	var out []*Case
	f := Filter{States: []State{StateReported, StateHandled}, Limit: MaxPageSize, NoTotal: true}
	for off := 0; ; off += MaxPageSize {
		f.Offset = off
		p, err := s.Store.List(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, c := range p.Cases {
			if c.Inspector == inspector {
				out = append(out, c)
			}
		}
		if len(p.Cases) < MaxPageSize {
			break
		}
	}
	sortByStepDue(out)
	return out, nil
}

// sortByStepDue orders cases by their step deadline, those without one
// last, then by id.
func sortByStepDue(cs []*Case) {
	slices.SortStableFunc(cs, func(a, b *Case) int {
		switch {
		case a.StepDueAt == nil && b.StepDueAt == nil:
			return cmp.Compare(a.ID, b.ID)
		case a.StepDueAt == nil:
			return 1
		case b.StepDueAt == nil:
			return -1
		}
		if c := a.StepDueAt.Compare(*b.StepDueAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
