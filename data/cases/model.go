// Package cases is the case workflow of a digital city-management centre
// (数字城管 闭环, standards.md §4): a problem reported by an inspector, a
// hotline or a citizen becomes a case that is verified, registered (立案),
// dispatched to the unit that must handle it, handled, checked on site and
// closed — with deadlines counted in working time, rework, returns,
// extensions and suspensions, every transition recorded.
//
// The package holds the model, the state machine, the deadline arithmetic
// and the Store interface; it does not import spatial: locating and
// resolving responsibility come in through the Resolver interface.
package cases

import (
	"encoding/json"
	"fmt"
	"time"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// State is where a case is in the workflow.
type State string

// States. The happy path is reported → verified → registered → dispatched →
// handled → checked → closed.
const (
	StateReported      State = "reported"       // 上报/受理: received, not yet verified
	StateVerified      State = "verified"       // 核实: an inspector confirmed it on site
	StateRegistered    State = "registered"     // 立案: accepted, waiting for dispatch
	StateNotRegistered State = "not_registered" // 不予立案 (terminal, with a reason)
	StateDispatched    State = "dispatched"     // 派遣: with a handling unit
	StateHandled       State = "handled"        // 处置反馈: the unit says it is done, waiting for check
	StateChecked       State = "checked"        // 核查 passed, waiting for closure
	StateClosed        State = "closed"         // 结案 (terminal)
	StateReturned      State = "returned"       // 回退: the unit says it is not responsible; waiting for redispatch
	StateArbitration   State = "arbitration"    // returned twice: the shift supervisor fixes the owner
	StateSuspended     State = "suspended"      // 挂账: cannot be solved now; deadline paused
	StateCancelled     State = "cancelled"      // 作废 (terminal)
)

// Terminal reports whether no transition moves a case out of s (a closed
// case still takes the follow-up call and appeals, which stay).
func (s State) Terminal() bool {
	return s == StateClosed || s == StateNotRegistered || s == StateCancelled
}

// Source is where a report came from.
type Source string

// Sources.
const (
	SourceInspector Source = "inspector" // 监督员上报
	SourceHotline   Source = "hotline"   // 12319 / 12345
	SourceCitizen   Source = "citizen"   // citizen app, web, Open311
	SourceVideo     Source = "video"     // video surveillance / AI recognition
	SourceSelf      Source = "self"      // self-inspection by a street (自查)
)

// Where a case's area class or deadline class came from.
const (
	ClassFromLayer     = "layer"     // the area-class layer at the case's point
	ClassFromReporter  = "reporter"  // given with the report
	ClassFromCatalogue = "catalogue" // the category's class in the catalogue
	ClassFromOperator  = "operator"  // set by an operator, with a reason
)

// Urgency of a case.
type Urgency string

// Urgencies.
const (
	UrgencyNormal Urgency = "normal"
	UrgencyUrgent Urgency = "urgent"
)

// Case is one case (案卷). Fields that the workflow fills in as the case
// moves on are zero until then.
type Case struct {
	ID     int64  `json:"id"`
	Number string `json:"number"` // 案卷号, system-assigned, unique

	Source      Source            `json:"source"`
	Kind        data.CategoryKind `json:"kind"`                // component or event
	Category    string            `json:"category"`            // small-class code, with Kind
	Condition   string            `json:"condition,omitempty"` // 立案条件 id of the deadline table
	Urgency     Urgency           `json:"urgency"`
	Point       orb.Point         `json:"-"` // CGCS2000 lon/lat
	Address     string            `json:"address,omitempty"`
	Description string            `json:"description,omitempty"`
	Reporter    string            `json:"reporter,omitempty"` // user or phone; the first reporter keeps the credit
	Component   string            `json:"component,omitempty"`
	DuplicateOf int64             `json:"duplicate_of,omitempty"`
	AreaClass   string            `json:"area_class,omitempty"` // A/B/C (核心区 ...)
	// DeadlineClass is the deadline class of the category in the city's
	// catalogue (urgent, fast, normal, slow), or the operator's choice.
	DeadlineClass string `json:"deadline_class,omitempty"`
	// AreaClassFrom and DeadlineClassFrom say where the classes came from
	// (ClassFromLayer, ClassFromReporter, ClassFromCatalogue,
	// ClassFromOperator); the operator's reason is on the timeline.
	AreaClassFrom     string `json:"area_class_from,omitempty"`
	DeadlineClassFrom string `json:"deadline_class_from,omitempty"`

	// Where the point lies, filled by locate at creation.
	UnitGrid        string   `json:"unit_grid,omitempty"`
	Community       string   `json:"community,omitempty"`
	Street          string   `json:"street,omitempty"`
	District        string   `json:"district,omitempty"`
	ManagementGrids []string `json:"management_grids,omitempty"`

	State State  `json:"state"`
	Unit  string `json:"unit,omitempty"` // department code of the current handling unit
	// Resolution is the reason chain that chose Unit (auto-dispatch or
	// the dispatcher's candidates), as JSON.
	Resolution json.RawMessage `json:"resolution,omitempty"`

	ReportedAt   time.Time  `json:"reported_at"`
	VerifiedAt   *time.Time `json:"verified_at,omitempty"`
	RegisteredAt *time.Time `json:"registered_at,omitempty"`
	DispatchedAt *time.Time `json:"dispatched_at,omitempty"` // first dispatch
	HandledAt    *time.Time `json:"handled_at,omitempty"`    // last feedback
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	// DueAt is the handling deadline (处置时限) after extensions and
	// pauses; nil until dispatched.
	DueAt *time.Time `json:"due_at,omitempty"`
	// HandledOnTime is whether the feedback that led to closure came by
	// DueAt (按期处置); set at closure.
	HandledOnTime *bool `json:"handled_on_time,omitempty"`

	ReworkCount    int `json:"rework_count"`    // 返工: failed checks
	ReturnCount    int `json:"return_count"`    // 回退 by units
	ExtensionCount int `json:"extension_count"` // approved 延期

	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`

	// Appended by the workflow.

	// Dispatcher is the user who dispatched the case last ("system" for
	// auto-dispatch); the per-dispatcher queue filters on it.
	Dispatcher string `json:"dispatcher,omitempty"`
	// OwnerFixed: the shift supervisor fixed the owner after arbitration;
	// the unit can no longer return the case.
	OwnerFixed bool `json:"owner_fixed,omitempty"`
	// Limit is the handling limit applied at dispatch (from the deadline
	// table), ClockStart when its clock started (the latest dispatch).
	Limit      *Limit     `json:"limit,omitempty"`
	ClockStart *time.Time `json:"clock_start,omitempty"`
	// ExtendedBy is the approved extension total, in Limit's unit.
	ExtendedBy float64 `json:"extended_by,omitempty"`
	// Pauses are the suspensions since ClockStart; DueAt leaves them out.
	Pauses []Pause `json:"pauses,omitempty"`
	// PendingExtension is a unit's request waiting for the dispatcher.
	PendingExtension *ExtensionRequest `json:"pending_extension,omitempty"`
	// StepDueAt is the deadline of the centre's current step (verify,
	// register, dispatch, check), nil when the current state has none.
	StepDueAt *time.Time `json:"step_due_at,omitempty"`
	// DueProvisional and StepDueProvisional: the deadline counts days of a
	// year without a loaded holiday arrangement (statutory days only), so
	// it may move when the arrangement is loaded (RefreshProvisional).
	DueProvisional     bool `json:"due_provisional,omitempty"`
	StepDueProvisional bool `json:"step_due_provisional,omitempty"`
	// Duplicates counts later reports linked to this case.
	Duplicates int `json:"duplicates,omitempty"`
	// ReturnedBy lists the units that returned the case (回退), in order.
	ReturnedBy []string `json:"returned_by,omitempty"`
	// Reason is the reason of the last not-registered, return,
	// suspension or cancellation.
	Reason string `json:"reason,omitempty"`
	// Lon and Lat repeat Point for JSON clients.
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
	// MediaURL is a photo URL given with the report (Open311 media_url).
	MediaURL string `json:"media_url,omitempty"`
	// Geocoded: the point came from geocoding Address.
	Geocoded bool `json:"geocoded,omitempty"`
	// SuspensionRequested is a unit's pending request for 挂账, with its
	// reason, waiting for the dispatcher (suspend approves it,
	// reject_suspension refuses it).
	SuspensionRequested string `json:"suspension_requested,omitempty"`

	// Inspector is the inspector the current 核实 (reported) or 核查
	// (handled) task is assigned to; "" while the centre holds it.
	// InspectorFrom says how (InspectorFromGrid, InspectorFromPool,
	// InspectorFromCentre, InspectorFromSupervisor).
	Inspector     string `json:"inspector,omitempty"`
	InspectorFrom string `json:"inspector_from,omitempty"`
	// Urges counts the 督办/催办 on the case (ActUrge).
	Urges int `json:"urges,omitempty"`
	// Satisfaction is the reporter's grade at the 回访 after closure
	// (ActFollowUp); FollowedUpAt when it was taken.
	Satisfaction Satisfaction `json:"satisfaction,omitempty"`
	FollowedUpAt *time.Time   `json:"followed_up_at,omitempty"`
	// Appeals are the units' appeals against faults counted on the case.
	Appeals []Appeal `json:"appeals,omitempty"`
}

// NumberPrefix starts every case number (案卷号): the demo district's
// abbreviation (雨花), which live numbers share so that both read alike.
const NumberPrefix = "YH"

// CaseNumber is the one form of a case number: the prefix, the report's
// day in China Standard Time (YYYYMMDD) and a sequence of at least four
// digits, YH202612070001. The demo numbers each day from 1; the stores
// use the case id, unique across replicas.
func CaseNumber(prefix string, reported time.Time, seq int64) string {
	return fmt.Sprintf("%s%s%04d", prefix, reported.In(ChinaTime).Format("20060102"), seq)
}

// Transition is one recorded step of a case: who did what, when, from which
// state to which.
type Transition struct {
	CaseID int64     `json:"case_id"`
	Seq    int       `json:"seq"`
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	From   State     `json:"from"`
	To     State     `json:"to"`
	User   string    `json:"user"`
	Role   data.Role `json:"role"`
	Unit   string    `json:"unit,omitempty"` // unit dispatched to / acting
	Note   string    `json:"note,omitempty"`
	// StepDueAt is the deadline the centre's step that this transition
	// completes had (the case's StepDueAt before it: verify, register,
	// dispatch or check), nil when that step had none. Post (岗位) scores
	// count a step as on time when At is not after it.
	StepDueAt *time.Time `json:"step_due_at,omitempty"`
}

// Fields appended in round 2 by the workflow (deadline clock, pauses,
// extension requests, dispatcher). They live on Case so that one row holds
// everything the deadline arithmetic needs.

// LimitUnit is how a time limit counts.
type LimitUnit string

// Limit units (standards.md §4.4).
const (
	WorkingHours    LimitUnit = "working_hours" // 工作时: only the calendar's working periods count
	WorkingDays     LimitUnit = "working_days"  // 工作日: 1 working day = 8 working hours
	ContinuousHours LimitUnit = "hours"         // 小时: every hour counts (urgent safety items)
)

// Limit is a time limit: an amount in a unit.
type Limit struct {
	Amount float64   `json:"amount"`
	Unit   LimitUnit `json:"unit"`
}

// Pause is an interval during which a case's clock stood still (挂账).
// To is nil while the case is still suspended.
type Pause struct {
	From time.Time  `json:"from"`
	To   *time.Time `json:"to,omitempty"`
}

// ExtensionRequest is a unit's pending request for more time (延期申请).
type ExtensionRequest struct {
	Amount float64   `json:"amount"` // in the unit of the case's limit
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}
