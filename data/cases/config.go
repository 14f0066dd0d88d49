package cases

import (
	"fmt"
	"slices"
	"time"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// LimitRule is one row of the deadline table: the handling limit of cases
// of a category (with its kind), filing condition (立案条件), deadline
// class (the catalogue's urgent, fast, normal, slow) and area class. An
// empty field matches anything. Of the matching rows the one whose set
// fields weigh most wins, then the earlier row; the weights make an
// urgency row beat every other, a category or condition row beat a class
// row, a deadline-class row beat an area-class row and that a kind row:
// urgency 32, category 8, condition 8, deadline class 4, area class 2,
// kind 1.
type LimitRule struct {
	Kind          data.CategoryKind `json:"kind,omitempty"`
	Category      string            `json:"category,omitempty"`
	Condition     string            `json:"condition,omitempty"`
	DeadlineClass string            `json:"deadline_class,omitempty"`
	AreaClass     string            `json:"area_class,omitempty"` // A, B or C
	Urgency       Urgency           `json:"urgency,omitempty"`
	Limit         Limit             `json:"limit"`
	Note          string            `json:"note,omitempty"`
}

// Steps of the centre's own work that have limits.
const (
	StepVerify   = "verify"   // reported → verified (核实)
	StepRegister = "register" // verified → registered (立案)
	StepDispatch = "dispatch" // registered → dispatched (派遣)
	StepCheck    = "check"    // handled → checked (核查)
)

// DeadlineTable is the editable limits table.
type DeadlineTable struct {
	// Default is the handling limit when no row matches.
	Default Limit       `json:"default"`
	Rules   []LimitRule `json:"rules"`
	// Steps are the limits of the centre's own steps.
	Steps map[string]Limit `json:"steps"`
}

// Deadline classes of the default catalogues (data/catalogue/*.json).
const (
	ClassUrgent = "urgent" // 紧急: 2 hours, counted continuously
	ClassFast   = "fast"   // 快速: 1 working day
	ClassNormal = "normal" // 一般: 3 working days
	ClassSlow   = "slow"   // 复杂: 5 working days
)

// DefaultDeadlines is a starting table (one city's typical magnitudes,
// standards.md §4.4: edit it per city). By the catalogue's deadline class:
// urgent 2 continuous hours, fast 1 working day (A: 4 working hours),
// normal 3 working days (A: 2), slow 5 working days. Cases the reporter
// marks urgent get 2 continuous hours too. For categories outside the
// catalogue: components 3 working days (A: 2), events 1 working day (A: 4
// working hours). Steps of the centre (on its own calendar): verify 1 h,
// register 1 h, dispatch 1 h, check 4 h.
func DefaultDeadlines() *DeadlineTable {
	return &DeadlineTable{
		Default: Limit{3, WorkingDays},
		Rules: []LimitRule{
			{Urgency: UrgencyUrgent, Limit: Limit{2, ContinuousHours}, Note: "urgent safety items count continuously"},
			{DeadlineClass: ClassUrgent, Limit: Limit{2, ContinuousHours}, Note: "紧急：2 小时内，连续计时"},
			{DeadlineClass: ClassFast, Limit: Limit{1, WorkingDays}},
			{DeadlineClass: ClassFast, AreaClass: "A", Limit: Limit{4, WorkingHours}},
			{DeadlineClass: ClassNormal, Limit: Limit{3, WorkingDays}},
			{DeadlineClass: ClassNormal, AreaClass: "A", Limit: Limit{2, WorkingDays}},
			{DeadlineClass: ClassSlow, Limit: Limit{5, WorkingDays}},
			{Kind: data.KindComponent, Limit: Limit{3, WorkingDays}},
			{Kind: data.KindComponent, AreaClass: "A", Limit: Limit{2, WorkingDays}},
			{Kind: data.KindEvent, Limit: Limit{1, WorkingDays}},
			{Kind: data.KindEvent, AreaClass: "A", Limit: Limit{4, WorkingHours}},
		},
		Steps: map[string]Limit{
			StepVerify:   {1, WorkingHours},
			StepRegister: {1, WorkingHours},
			StepDispatch: {1, WorkingHours},
			StepCheck:    {4, WorkingHours},
		},
	}
}

// Check validates the table.
func (t *DeadlineTable) Check() error {
	var es data.ValidationErrors
	add := func(err error) {
		if ve, ok := err.(*data.ValidationError); ok {
			es = append(es, ve)
		}
	}
	add(t.Default.Check("default"))
	for i, r := range t.Rules {
		add(r.Limit.Check(fmt.Sprintf("rules[%d].limit", i)))
		if r.AreaClass != "" && r.AreaClass != "A" && r.AreaClass != "B" && r.AreaClass != "C" {
			es = append(es, &data.ValidationError{Field: fmt.Sprintf("rules[%d].area_class", i), Reason: "A, B or C"})
		}
		if r.Kind != "" && r.Kind != data.KindComponent && r.Kind != data.KindEvent {
			es = append(es, &data.ValidationError{Field: fmt.Sprintf("rules[%d].kind", i), Reason: "component or event"})
		}
		if len(r.DeadlineClass) > 32 {
			es = append(es, &data.ValidationError{Field: fmt.Sprintf("rules[%d].deadline_class", i), Reason: "at most 32 bytes"})
		}
		if r.Urgency != "" && r.Urgency != UrgencyNormal && r.Urgency != UrgencyUrgent {
			es = append(es, &data.ValidationError{Field: fmt.Sprintf("rules[%d].urgency", i), Reason: "normal or urgent"})
		}
	}
	for k, l := range t.Steps {
		switch k {
		case StepVerify, StepRegister, StepDispatch, StepCheck:
		default:
			es = append(es, &data.ValidationError{Field: "steps." + k, Reason: "unknown step (verify, register, dispatch, check)"})
			continue
		}
		add(l.Check("steps." + k))
	}
	return es.Err()
}

// For returns the handling limit of a case and the row that gave it (-1:
// the default).
func (t *DeadlineTable) For(c *Case) (Limit, int) {
	best, bestScore := -1, -1
	for i, r := range t.Rules {
		score := 0
		match := func(rule, v string, weight int) bool {
			if rule == "" {
				return true
			}
			if rule == v {
				score += weight
				return true
			}
			return false
		}
		if !match(string(r.Kind), string(c.Kind), 1) || !match(r.Category, c.Category, 8) || !match(r.Condition, c.Condition, 8) ||
			!match(r.DeadlineClass, c.DeadlineClass, 4) || !match(r.AreaClass, c.AreaClass, 2) ||
			!match(string(r.Urgency), string(c.Urgency), 32) {
			continue
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return t.Default, -1
	}
	return t.Rules[best].Limit, best
}

// Classes lists the deadline classes the table's rows name, in order of
// first appearance: the values an operator may choose from.
func (t *DeadlineTable) Classes() []string {
	var out []string
	for _, r := range t.Rules {
		if r.DeadlineClass != "" && !slices.Contains(out, r.DeadlineClass) {
			out = append(out, r.DeadlineClass)
		}
	}
	return out
}

// Settings are the workflow's tunables.
type Settings struct {
	// MaxExtensions caps approved extensions per case; MaxExtensionFactor
	// caps one extension's length as a multiple of the case's limit.
	MaxExtensions      int     `json:"max_extensions"`
	MaxExtensionFactor float64 `json:"max_extension_factor"`
	// ArbitrationAfter: the return that makes this many sends the case to
	// the shift supervisor instead of back to the dispatcher.
	ArbitrationAfter int `json:"arbitration_after"`
	// DuplicateRadiusM and DuplicateWindowH: a report of the same category
	// within this distance and time of an open case is linked to it
	// (0 radius: off).
	DuplicateRadiusM float64 `json:"duplicate_radius_m"`
	DuplicateWindowH float64 `json:"duplicate_window_h"`
	// AutoDispatchRules are the responsibility rules unambiguous enough to
	// dispatch on (component_maintainer, component_owner, rule_table,
	// category_department, fallback).
	AutoDispatchRules []string `json:"auto_dispatch_rules"`
	// NoAutoDispatch lists categories never dispatched automatically.
	NoAutoDispatch []string `json:"no_auto_dispatch,omitempty"`
	// DueSoonFraction is where yellow starts (0.8).
	DueSoonFraction float64 `json:"due_soon_fraction"`
	// WebhookURL receives due-soon and overdue notifications ("" off).
	WebhookURL string `json:"webhook_url,omitempty"`
	// MaxPhotoBytes caps one attachment.
	MaxPhotoBytes int64 `json:"max_photo_bytes"`
	// InspectorPool are the inspectors who take 核实 and 核查 tasks in
	// turn when the case's work grid has no inspector; empty: the centre
	// hands those tasks out.
	InspectorPool []string `json:"inspector_pool,omitempty"`
	// Attachment quotas (0: the default of DefaultPhotoQuota): photos and
	// bytes per case, and photos and bytes a citizen may upload in 24
	// hours over all cases. Staff have no daily quota: an inspector
	// photographs every case of a round.
	MaxPhotosPerCase           int   `json:"max_photos_per_case,omitempty"`
	MaxPhotoBytesPerCase       int64 `json:"max_photo_bytes_per_case,omitempty"`
	MaxPhotosPerCitizenDay     int   `json:"max_photos_per_citizen_day,omitempty"`
	MaxPhotoBytesPerCitizenDay int64 `json:"max_photo_bytes_per_citizen_day,omitempty"`
}

// PhotoQuota is the effective attachment quota of a Settings.
type PhotoQuota struct {
	PerCase, PerCitizenDay           int
	BytesPerCase, BytesPerCitizenDay int64
}

// DefaultPhotoQuota: nine photos per case (what a phone's share sheet
// sends at most), 60 MiB; thirty photos and 150 MiB a citizen a day.
var DefaultPhotoQuota = PhotoQuota{PerCase: 9, BytesPerCase: 60 << 20, PerCitizenDay: 30, BytesPerCitizenDay: 150 << 20}

// PhotoQuota returns the quota, defaults filled in.
func (s *Settings) PhotoQuota() PhotoQuota {
	q := DefaultPhotoQuota
	if s.MaxPhotosPerCase > 0 {
		q.PerCase = s.MaxPhotosPerCase
	}
	if s.MaxPhotoBytesPerCase > 0 {
		q.BytesPerCase = s.MaxPhotoBytesPerCase
	}
	if s.MaxPhotosPerCitizenDay > 0 {
		q.PerCitizenDay = s.MaxPhotosPerCitizenDay
	}
	if s.MaxPhotoBytesPerCitizenDay > 0 {
		q.BytesPerCitizenDay = s.MaxPhotoBytesPerCitizenDay
	}
	return q
}

// DefaultSettings are the workflow defaults.
func DefaultSettings() *Settings {
	return &Settings{
		MaxExtensions:      2,
		MaxExtensionFactor: 1,
		ArbitrationAfter:   2,
		DuplicateRadiusM:   30,
		DuplicateWindowH:   72,
		AutoDispatchRules:  []string{"component_maintainer", "component_owner", "rule_table"},
		DueSoonFraction:    0.8,
		MaxPhotoBytes:      10 << 20,
	}
}

// Check validates the settings.
func (s *Settings) Check() error {
	var es data.ValidationErrors
	bad := func(f, r string) { es = append(es, &data.ValidationError{Field: f, Reason: r}) }
	if s.MaxExtensions < 0 || s.MaxExtensions > 10 {
		bad("max_extensions", "0 to 10")
	}
	if !(s.MaxExtensionFactor > 0 && s.MaxExtensionFactor <= 10) {
		bad("max_extension_factor", "more than 0, at most 10")
	}
	if s.ArbitrationAfter < 1 || s.ArbitrationAfter > 10 {
		bad("arbitration_after", "1 to 10")
	}
	if s.DuplicateRadiusM < 0 || s.DuplicateRadiusM > 1000 {
		bad("duplicate_radius_m", "0 to 1000")
	}
	if s.DuplicateWindowH < 0 || s.DuplicateWindowH > 24*90 {
		bad("duplicate_window_h", "0 to 2160")
	}
	if !(s.DueSoonFraction > 0 && s.DueSoonFraction < 1) {
		bad("due_soon_fraction", "between 0 and 1")
	}
	if s.MaxPhotoBytes < 1024 || s.MaxPhotoBytes > 100<<20 {
		bad("max_photo_bytes", "1 KiB to 100 MiB")
	}
	if s.MaxPhotosPerCase < 0 || s.MaxPhotoBytesPerCase < 0 || s.MaxPhotosPerCitizenDay < 0 || s.MaxPhotoBytesPerCitizenDay < 0 {
		bad("max_photos_per_case", "photo quotas must not be negative (0: the default)")
	}
	for i, r := range s.AutoDispatchRules {
		switch r {
		case "component_maintainer", "component_owner", "rule_table", "category_department", "fallback":
		default:
			bad(fmt.Sprintf("auto_dispatch_rules[%d]", i), "unknown rule")
		}
	}
	return es.Err()
}

// Light is a deadline's traffic light.
type Light string

// Lights: green under DueSoonFraction of the limit used, yellow up to the
// limit, red overdue; none without a running deadline.
const (
	LightNone   Light = ""
	LightGreen  Light = "green"
	LightYellow Light = "yellow"
	LightRed    Light = "red"
)

// Progress is how far a case's handling clock has run.
type Progress struct {
	Light   Light      `json:"light"`
	Used    float64    `json:"used"` // fraction of the limit (with extensions) used
	Overdue bool       `json:"overdue"`
	Paused  bool       `json:"paused,omitempty"`
	DueAt   *time.Time `json:"due_at,omitempty"`
	// Provisional: DueAt counts days of a year whose holiday arrangement
	// is not loaded (statutory days only); it may move once it is.
	Provisional bool `json:"provisional,omitempty"`
}

// AreaClassFromGrids is a Service.AreaClassAt for centres that draw their
// area classes as management grids: classOf maps a grid's code to A, B or
// C. A case takes the class of the grids its point lies in; where grids of
// several classes overlap the strictest wins (A before B before C), since
// the stricter limit is the one the area was drawn for. No class grid: "".
func AreaClassFromGrids(classOf map[string]string) func(p orb.Point, pl Place) string {
	return func(_ orb.Point, pl Place) string {
		best := ""
		for _, g := range pl.ManagementGrids {
			switch c := classOf[g]; c {
			case "A", "B", "C":
				if best == "" || c < best {
					best = c
				}
			}
		}
		return best
	}
}
