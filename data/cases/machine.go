package cases

import (
	"slices"

	"citygrid/data"
)

// Actions of the workflow.
const (
	ActReport            = "report"             // create (the first transition)
	ActVerify            = "verify"             // 核实: reported → verified
	ActRegister          = "register"           // 立案: verified → registered
	ActNotRegister       = "not_register"       // 不予立案 (reason)
	ActDispatch          = "dispatch"           // 派遣: registered → dispatched (unit)
	ActHandle            = "handle"             // 处置反馈: dispatched → handled
	ActCheckPass         = "check_pass"         // 核查通过: handled → checked
	ActCheckFail         = "check_fail"         // 核查不通过 → 返工: handled → dispatched, same unit
	ActClose             = "close"              // 结案: checked → closed
	ActReturn            = "return"             // 回退 by the unit (reason): → returned, or arbitration
	ActRedispatch        = "redispatch"         // returned → dispatched (unit)
	ActArbitrate         = "arbitrate"          // arbitration → dispatched (unit fixed)
	ActRequestExtension  = "request_extension"  // 延期申请 (amount, reason)
	ActApproveExtension  = "approve_extension"  // 延期审批通过
	ActRejectExtension   = "reject_extension"   // 延期审批不通过
	ActSuspend           = "suspend"            // 挂账 (reason): deadline paused
	ActResume            = "resume"             // 挂账恢复
	ActCancel            = "cancel"             // 作废 (reason)
	ActRequestSuspension = "request_suspension" // 挂账申请 by the unit (reason)
	ActRejectSuspension  = "reject_suspension"  // 挂账审批不通过 (reason)
	ActRecalculate       = "recalculate"        // re-read the limit from the current deadline table; pauses and extensions kept
	ActLinkDuplicate     = "link_duplicate"     // a later report was linked (no state change)
	ActReclassify        = "reclassify"         // the operator sets the area or deadline class (reason); the limit follows
	ActUrge              = "urge"               // 督办/催办 (note): the unit is reminded, counted, notified
	ActAssignInspector   = "assign_inspector"   // (re)assign the 核实/核查 task to an inspector
	ActFollowUp          = "follow_up"          // 回访 after closure, with the reporter's satisfaction grade
	ActAppeal            = "appeal"             // 申诉 by a unit against a fault counted on its case (fault, reason)
	ActAcceptAppeal      = "accept_appeal"      // the centre accepts the appeal: the fault leaves the unit's scores
	ActRejectAppeal      = "reject_appeal"      // the centre rejects the appeal (reason)
)

// Rule is one action of the state machine: the states it leaves, the
// state it enters (Stay: unchanged), the roles allowed and what it needs.
type Rule struct {
	Action string      `json:"action"`
	From   []State     `json:"from"`
	To     State       `json:"to,omitempty"`
	Stay   bool        `json:"stay,omitempty"`
	Roles  []data.Role `json:"roles"`
	// Reason: a note is required. Unit: a unit code is required.
	Reason bool `json:"reason_required,omitempty"`
	Unit   bool `json:"unit_required,omitempty"`
	// OwnUnit: a unit principal may act only on its own unit's cases.
	OwnUnit bool `json:"own_unit,omitempty"`
}

var openStates = []State{StateReported, StateVerified, StateRegistered, StateDispatched, StateHandled, StateChecked, StateReturned, StateArbitration, StateSuspended}

// appealStates are where a fault can have been counted: once dispatched,
// and after closure.
var appealStates = []State{StateDispatched, StateHandled, StateChecked, StateReturned, StateArbitration, StateSuspended, StateClosed}

// Machine is the workflow as data. The service applies the side effects
// (counters, deadlines) named in each action's comment; everything about
// who may go where is here. Admins pass every role check.
var Machine = []Rule{
	{Action: ActVerify, From: []State{StateReported}, To: StateVerified, Roles: []data.Role{data.RoleInspector, data.RoleOperator}},
	{Action: ActRegister, From: []State{StateVerified}, To: StateRegistered, Roles: []data.Role{data.RoleSupervisor}},
	{Action: ActNotRegister, From: []State{StateReported, StateVerified}, To: StateNotRegistered, Roles: []data.Role{data.RoleSupervisor}, Reason: true},
	{Action: ActDispatch, From: []State{StateRegistered}, To: StateDispatched, Roles: []data.Role{data.RoleDispatcher}, Unit: true},
	{Action: ActHandle, From: []State{StateDispatched}, To: StateHandled, Roles: []data.Role{data.RoleUnit}, OwnUnit: true},
	{Action: ActCheckPass, From: []State{StateHandled}, To: StateChecked, Roles: []data.Role{data.RoleInspector}},
	{Action: ActCheckFail, From: []State{StateHandled}, To: StateDispatched, Roles: []data.Role{data.RoleInspector}, Reason: true},
	{Action: ActClose, From: []State{StateChecked}, To: StateClosed, Roles: []data.Role{data.RoleSupervisor}},
	{Action: ActReturn, From: []State{StateDispatched}, To: StateReturned, Roles: []data.Role{data.RoleUnit}, Reason: true, OwnUnit: true},
	{Action: ActRedispatch, From: []State{StateReturned}, To: StateDispatched, Roles: []data.Role{data.RoleDispatcher}, Unit: true},
	{Action: ActArbitrate, From: []State{StateArbitration}, To: StateDispatched, Roles: []data.Role{data.RoleSupervisor}, Unit: true},
	{Action: ActRequestExtension, From: []State{StateDispatched}, Stay: true, Roles: []data.Role{data.RoleUnit}, Reason: true, OwnUnit: true},
	{Action: ActApproveExtension, From: []State{StateDispatched}, Stay: true, Roles: []data.Role{data.RoleDispatcher}},
	{Action: ActRejectExtension, From: []State{StateDispatched}, Stay: true, Roles: []data.Role{data.RoleDispatcher}, Reason: true},
	{Action: ActRequestSuspension, From: []State{StateDispatched}, Stay: true, Roles: []data.Role{data.RoleUnit}, Reason: true, OwnUnit: true},
	{Action: ActRejectSuspension, From: []State{StateDispatched}, Stay: true, Roles: []data.Role{data.RoleDispatcher}, Reason: true},
	{Action: ActSuspend, From: []State{StateDispatched}, To: StateSuspended, Roles: []data.Role{data.RoleDispatcher}, Reason: true},
	{Action: ActResume, From: []State{StateSuspended}, To: StateDispatched, Roles: []data.Role{data.RoleDispatcher}},
	{Action: ActRecalculate, From: []State{StateDispatched, StateSuspended}, Stay: true, Roles: []data.Role{data.RoleDispatcher, data.RoleSupervisor}},
	{Action: ActReclassify, From: openStates, Stay: true, Roles: []data.Role{data.RoleOperator, data.RoleSupervisor}, Reason: true},
	{Action: ActCancel, From: openStates, To: StateCancelled, Roles: []data.Role{data.RoleSupervisor}, Reason: true},
	{Action: ActUrge, From: []State{StateDispatched}, Stay: true, Roles: []data.Role{data.RoleSupervisor}, Reason: true},
	{Action: ActAssignInspector, From: []State{StateReported, StateHandled}, Stay: true, Roles: []data.Role{data.RoleSupervisor, data.RoleOperator}},
	{Action: ActFollowUp, From: []State{StateClosed}, Stay: true, Roles: []data.Role{data.RoleOperator, data.RoleSupervisor}},
	{Action: ActAppeal, From: appealStates, Stay: true, Roles: []data.Role{data.RoleUnit}, Reason: true},
	{Action: ActAcceptAppeal, From: appealStates, Stay: true, Roles: []data.Role{data.RoleSupervisor}},
	{Action: ActRejectAppeal, From: appealStates, Stay: true, Roles: []data.Role{data.RoleSupervisor}, Reason: true},
}

// RuleOf returns the rule of an action.
func RuleOf(action string) (Rule, bool) {
	for _, r := range Machine {
		if r.Action == action {
			return r, true
		}
	}
	return Rule{}, false
}

// Allowed lists the actions that leave state s, for any role.
func Allowed(s State) []string {
	out := []string{}
	for _, r := range Machine {
		if slices.Contains(r.From, s) {
			out = append(out, r.Action)
		}
	}
	return out
}

// AllowedFor lists the actions that leave state s that role may take.
func AllowedFor(s State, role data.Role) []string {
	out := []string{}
	for _, r := range Machine {
		if slices.Contains(r.From, s) && (role == data.RoleAdmin || slices.Contains(r.Roles, role)) {
			out = append(out, r.Action)
		}
	}
	return out
}

// AllowedOn lists the actions role may take on c now: AllowedFor its
// state, less those the case itself rules out (a return once the owner is
// fixed after arbitration, a second follow-up call, a decision with no
// appeal waiting).
func AllowedOn(c *Case, role data.Role) []string {
	pending := slices.ContainsFunc(c.Appeals, func(a Appeal) bool { return a.Status == AppealPending })
	return slices.DeleteFunc(AllowedFor(c.State, role), func(a string) bool {
		switch a {
		case ActReturn:
			return c.OwnerFixed
		case ActFollowUp:
			return c.FollowedUpAt != nil
		case ActAcceptAppeal, ActRejectAppeal:
			return !pending
		}
		return false
	})
}

// ReportRoles may create cases.
var ReportRoles = []data.Role{data.RoleInspector, data.RoleOperator, data.RoleCitizen, data.RoleSupervisor, data.RoleDispatcher, data.RoleUnit}
