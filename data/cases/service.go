package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// Place is where a point lies, as the Resolver answers.
type Place struct {
	Covered         bool
	UnitGrid        string
	Community       string
	Street          string
	District        string
	ManagementGrids []string
}

// Candidate is a unit that may handle a case, ranked (1 = best).
type Candidate struct {
	Unit string `json:"unit"`
	Name string `json:"name,omitempty"`
	Rank int    `json:"rank"`
	Why  string `json:"why"`
}

// Step is one step of a responsibility reason chain, as the spatial
// responsibility lookup gives it.
type Step = data.Reason

// Decision is the responsible unit the Resolver found.
type Decision struct {
	Unit       string      `json:"unit"`
	Rule       string      `json:"rule"` // the rule that decided
	Reasons    []Step      `json:"reasons"`
	Candidates []Candidate `json:"candidates"`
	Component  string      `json:"component,omitempty"`
}

// Resolver locates points and decides responsibility; the api adapts
// *spatial.Index to it (this package does not import spatial).
type Resolver interface {
	Locate(p orb.Point) (Place, error)
	Responsible(p orb.Point, kind data.CategoryKind, category, component string) (Decision, error)
}

// Resolution is what the case keeps of the responsibility decision.
type Resolution struct {
	Decision
	Auto   bool   `json:"auto"`             // dispatched automatically
	Why    string `json:"why,omitempty"`    // why (not) automatic
	Failed string `json:"failed,omitempty"` // the resolver's error, if any
}

// Service runs the workflow over a Store: it checks roles and the state
// machine, applies side effects and deadlines, detects duplicates and
// dispatches automatically.
type Service struct {
	Store    Store
	Resolver Resolver // nil: no locate, no auto-dispatch
	// Geocode turns an address into a point for reports without one; nil:
	// a location is required.
	Geocode func(address string) (orb.Point, bool)
	// UnitExists tells whether a department code names a handling unit;
	// nil accepts any code.
	UnitExists func(code string) bool
	// Now is the clock (tests set it); nil: time.Now.
	Now func() time.Time
	// Category looks a small class up in the city's catalogue; its
	// deadline class picks the row of the deadline table. nil: cases get
	// no deadline class. CatalogueLookup builds one from a catalogue.
	Category func(kind data.CategoryKind, code string) (data.Category, bool)
	// AreaClassAt tells the area class (A, B or C) at a case's point, from
	// the place Locate found (a layer of area-class grids, or a rule); ""
	// when nothing says. nil: only the reporter's area class is used.
	AreaClassAt func(p orb.Point, pl Place) string
	// InspectorOf names the inspector who walks one of the given
	// management grids (those of kind inspector, 监督员工作网格); "" when
	// none. nil: tasks go to the settings' pool or the centre.
	InspectorOf func(grids []string) string
	// InspectorExists tells whether a user is an inspector (reassignment
	// checks it); nil accepts any name.
	InspectorExists func(user string) bool
	// Senders are the notification channels an urge (督办) goes out
	// through; OnSendError hears their failures (nil: dropped), since
	// the urge itself stands.
	Senders     []Sender
	OnSendError func(err error)

	// poolTurn hands the inspector pool's members out in turn.
	poolTurn atomic.Uint64

	mu       sync.RWMutex
	cal      *Calendar
	table    *DeadlineTable
	settings *Settings
	auto     *AutoDispatch // nil: DefaultAutoDispatch
}

// NewService builds a service with the default calendar, deadline table
// and settings.
func NewService(st Store, r Resolver) *Service {
	return &Service{Store: st, Resolver: r, cal: DefaultCalendar(), table: DefaultDeadlines(), settings: DefaultSettings()}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Calendar returns the working-time calendar in use.
func (s *Service) Calendar() *Calendar { s.mu.RLock(); defer s.mu.RUnlock(); return s.cal }

// Deadlines returns the deadline table in use.
func (s *Service) Deadlines() *DeadlineTable { s.mu.RLock(); defer s.mu.RUnlock(); return s.table }

// Settings returns the workflow settings in use.
func (s *Service) Settings() *Settings { s.mu.RLock(); defer s.mu.RUnlock(); return s.settings }

// SetCalendar replaces the calendar after checking it.
func (s *Service) SetCalendar(c *Calendar) error {
	if err := c.Compile(); err != nil {
		return err
	}
	s.mu.Lock()
	s.cal = c
	s.mu.Unlock()
	return nil
}

// SetDeadlines replaces the deadline table after checking it.
func (s *Service) SetDeadlines(t *DeadlineTable) error {
	if err := t.Check(); err != nil {
		return err
	}
	s.mu.Lock()
	s.table = t
	s.mu.Unlock()
	return nil
}

// SetSettings replaces the settings after checking them.
func (s *Service) SetSettings(st *Settings) error {
	if err := st.Check(); err != nil {
		return err
	}
	s.mu.Lock()
	s.settings = st
	s.mu.Unlock()
	return nil
}

// CatalogueLookup indexes a catalogue (data.ReadCatalogue,
// data.DefaultCatalogue) for Service.Category.
func CatalogueLookup(cats []data.Category) func(kind data.CategoryKind, code string) (data.Category, bool) {
	m := make(map[string]data.Category, len(cats))
	for _, c := range cats {
		m[string(c.Kind)+"/"+c.Code] = c
	}
	return func(kind data.CategoryKind, code string) (data.Category, bool) {
		c, ok := m[string(kind)+"/"+code]
		return c, ok
	}
}

// LoadArrangement puts a year's national holiday arrangement into the
// calendar in use (replacing a built-in or earlier one of that year). The
// deadlines already set stay until RefreshProvisional recomputes them.
func (s *Service) LoadArrangement(a Arrangement) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.cal.WithArrangement(a)
	if err != nil {
		return err
	}
	s.cal = n
	return nil
}

// ArrangementWarnings are the calendar's warnings at the service's now:
// the years without a holiday arrangement admins must load soon.
func (s *Service) ArrangementWarnings() []ArrangementWarning {
	return s.Calendar().ArrangementWarnings(s.now())
}

// RefreshProvisional recomputes the deadlines of the open cases marked
// provisional against the calendar in use (after LoadArrangement), each
// with a recalculate transition by "system". It returns how many cases it
// changed.
func (s *Service) RefreshProvisional(ctx context.Context) (int, error) {
	var ids []int64
	if err := s.Store.All(ctx, func(c *Case) bool {
		if !c.State.Terminal() && (c.DueProvisional || c.StepDueProvisional) {
			ids = append(ids, c.ID)
		}
		return true
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		for range 5 {
			c, err := s.Store.Get(ctx, id)
			if err != nil {
				return n, err
			}
			stepBefore := copyTime(c.StepDueAt)
			s.recompute(c)
			if c.StepDueAt != nil && c.StepDueProvisional {
				// The step clock started at the transition that set it.
				if started, ok := s.stepStart(ctx, c); ok {
					s.stepDueFrom(c, started)
				}
			}
			now := s.now()
			c.UpdatedAt = now
			t := &Transition{At: now, Action: ActRecalculate, From: c.State, To: c.State, User: "system", Role: data.RoleAdmin,
				Note: "holiday arrangement loaded: deadlines recomputed", StepDueAt: stepBefore}
			err = s.Store.Update(ctx, c, t)
			if errors.Is(err, data.ErrConflict) {
				continue
			}
			if err != nil {
				return n, err
			}
			n++
			break
		}
	}
	return n, nil
}

// stepStart is when the case's current step began: the last transition
// that changed the state (actions that stay leave the step's clock alone).
func (s *Service) stepStart(ctx context.Context, c *Case) (time.Time, bool) {
	ts, err := s.Store.Transitions(ctx, c.ID)
	if err != nil || len(ts) == 0 {
		return time.Time{}, false
	}
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].From != ts[i].To {
			return ts[i].At, true
		}
	}
	return ts[len(ts)-1].At, true
}

// NewCase is a report.
type NewCase struct {
	Source      Source            `json:"source"`
	Kind        data.CategoryKind `json:"kind"`
	Category    string            `json:"category"`
	Condition   string            `json:"condition,omitempty"`
	Urgency     Urgency           `json:"urgency,omitempty"`
	Lon         *float64          `json:"lon,omitempty"`
	Lat         *float64          `json:"lat,omitempty"`
	Address     string            `json:"address,omitempty"`
	Description string            `json:"description,omitempty"`
	Reporter    string            `json:"reporter,omitempty"`
	Component   string            `json:"component,omitempty"`
	AreaClass   string            `json:"area_class,omitempty"`
	MediaURL    string            `json:"media_url,omitempty"`
}

// Report creates a case from a report by p. Inspectors' reports start
// verified (the inspector is on site); others start reported. A report
// of the same category near an open case is linked to it: it is stored
// cancelled with DuplicateOf set and the open case's Duplicates counted,
// so the first reporter keeps the credit.
func (s *Service) Report(ctx context.Context, p data.Principal, in NewCase) (*Case, error) {
	if p.Role != data.RoleAdmin && !slices.Contains(ReportRoles, p.Role) {
		return nil, fmt.Errorf("role %q may not report cases: %w", p.Role, data.ErrForbidden)
	}
	var es data.ValidationErrors
	bad := func(f, r string) { es = append(es, &data.ValidationError{Field: f, Reason: r}) }
	if in.Source == "" {
		in.Source = SourceCitizen
		switch p.Role {
		case data.RoleInspector:
			in.Source = SourceInspector
		case data.RoleOperator:
			in.Source = SourceHotline
		}
	}
	switch in.Source {
	case SourceInspector, SourceHotline, SourceCitizen, SourceVideo, SourceSelf:
	default:
		bad("source", "one of inspector, hotline, citizen, video, self")
	}
	if p.Role == data.RoleCitizen {
		in.Source = SourceCitizen
		in.Reporter = p.User
	}
	if in.Kind != data.KindComponent && in.Kind != data.KindEvent {
		bad("kind", "component or event")
	}
	if in.Category == "" || len(in.Category) > 16 {
		bad("category", "required, a small-class code")
	}
	if in.Urgency == "" {
		in.Urgency = UrgencyNormal
	}
	if in.Urgency != UrgencyNormal && in.Urgency != UrgencyUrgent {
		bad("urgency", "normal or urgent")
	}
	if in.AreaClass != "" && in.AreaClass != "A" && in.AreaClass != "B" && in.AreaClass != "C" {
		bad("area_class", "A, B or C")
	}
	if len(in.Description) > 4000 {
		bad("description", "at most 4000 bytes")
	}
	if len(in.Address) > 500 {
		bad("address", "at most 500 bytes")
	}
	if in.MediaURL != "" && (len(in.MediaURL) > 2000 || !(strings.HasPrefix(in.MediaURL, "https://") || strings.HasPrefix(in.MediaURL, "http://"))) {
		bad("media_url", "an http(s) URL of at most 2000 bytes")
	}
	var pt orb.Point
	geocoded := false
	switch {
	case in.Lon != nil && in.Lat != nil:
		pt = orb.Point{*in.Lon, *in.Lat}
		if !(pt[0] >= -180 && pt[0] <= 180) {
			bad("lon", "between -180 and 180")
		}
		if !(pt[1] >= -90 && pt[1] <= 90) {
			bad("lat", "between -90 and 90")
		}
	case in.Lon != nil || in.Lat != nil:
		bad("lat", "lon and lat go together")
	case strings.TrimSpace(in.Address) != "" && s.Geocode != nil:
		if p, ok := s.Geocode(in.Address); ok {
			pt, geocoded = p, true
		} else {
			bad("address", "could not be geocoded; give lon and lat")
		}
	default:
		bad("lon", "a location (lon and lat, or an address) is required")
	}
	if err := es.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	c := &Case{
		Source: in.Source, Kind: in.Kind, Category: in.Category, Condition: in.Condition, Urgency: in.Urgency,
		Point: pt, Address: in.Address, Description: in.Description, Reporter: in.Reporter, Component: in.Component,
		AreaClass: in.AreaClass, State: StateReported, ReportedAt: now, UpdatedAt: now, MediaURL: in.MediaURL, Geocoded: geocoded,
	}
	if c.Reporter == "" {
		c.Reporter = p.User
	}
	if c.AreaClass != "" {
		c.AreaClassFrom = ClassFromReporter
	}
	if s.Category != nil {
		if cat, ok := s.Category(c.Kind, c.Category); ok && cat.DeadlineClass != "" {
			c.DeadlineClass, c.DeadlineClassFrom = cat.DeadlineClass, ClassFromCatalogue
		}
	}
	if err := s.place(c, pt); err != nil {
		return nil, err
	}
	act := ActReport
	if in.Source == SourceInspector && (p.Role == data.RoleInspector || p.Role == data.RoleAdmin) {
		c.State = StateVerified
		c.VerifiedAt = &now
	}
	s.stepDue(c, now)
	s.assignInspector(c)
	// Duplicate detection.
	set := s.Settings()
	if set.DuplicateRadiusM > 0 {
		if orig, err := s.findDuplicate(ctx, c, set); err != nil {
			return nil, err
		} else if orig != nil {
			c.DuplicateOf = orig.ID
			c.State = StateCancelled
			c.Reason = fmt.Sprintf("duplicate of case %d (%s)", orig.ID, orig.Number)
			c.StepDueAt = nil
			c.Inspector, c.InspectorFrom = "", ""
			if err := s.Store.Create(ctx, c, &Transition{At: now, Action: act, From: "", To: StateCancelled, User: p.User, Role: p.Role, Note: c.Reason}); err != nil {
				return nil, err
			}
			// Count the link on the original; retry on concurrent changes.
			for range 5 {
				o, err := s.Store.Get(ctx, orig.ID)
				if err != nil {
					return c, nil
				}
				o.Duplicates++
				o.UpdatedAt = now
				err = s.Store.Update(ctx, o, &Transition{At: now, Action: ActLinkDuplicate, From: o.State, To: o.State, User: p.User, Role: p.Role, Note: fmt.Sprintf("case %d linked as a duplicate", c.ID)})
				if !errors.Is(err, data.ErrConflict) {
					break
				}
			}
			return c, nil
		}
	}
	t := &Transition{At: now, Action: act, From: "", To: c.State, User: p.User, Role: p.Role}
	if err := s.Store.Create(ctx, c, t); err != nil {
		return nil, err
	}
	return c, nil
}

// place puts c at pt: where it lies (locate), who is responsible (the
// resolution) and the area class of the layer there.
func (s *Service) place(c *Case, pt orb.Point) error {
	c.Point = pt
	res := Resolution{}
	var pl Place
	if s.Resolver != nil {
		var err error
		pl, err = s.Resolver.Locate(pt)
		if err != nil && !errors.Is(err, data.ErrNotFound) {
			return fmt.Errorf("locate case: %w", err)
		}
		c.UnitGrid, c.Community, c.Street, c.District, c.ManagementGrids = pl.UnitGrid, pl.Community, pl.Street, pl.District, pl.ManagementGrids
		d, err := s.Resolver.Responsible(pt, c.Kind, c.Category, c.Component)
		if err != nil {
			var ve *data.ValidationError
			if errors.As(err, &ve) {
				return err
			}
			res.Failed = err.Error()
		} else {
			res.Decision = d
		}
	}
	if s.AreaClassAt != nil && c.AreaClassFrom != ClassFromOperator {
		// Where the case is decides its area class, not what the reporter
		// says; an operator can still override it (reclassify).
		switch ac := s.AreaClassAt(pt, pl); ac {
		case "A", "B", "C":
			c.AreaClass, c.AreaClassFrom = ac, ClassFromLayer
		}
	}
	if res.Reasons == nil {
		res.Reasons = []Step{}
	}
	if res.Candidates == nil {
		res.Candidates = []Candidate{}
	}
	c.Resolution, _ = json.Marshal(res)
	return nil
}

// correctPlace moves a case the inspector found elsewhere on site (核实
// with a position): it is located and resolved anew there.
func (s *Service) correctPlace(c *Case, t *Transition, req ActionRequest) error {
	if req.Lon == nil && req.Lat == nil {
		return nil
	}
	if req.Lon == nil || req.Lat == nil {
		return &data.ValidationError{Field: "lat", Reason: "lon and lat go together"}
	}
	pt := orb.Point{*req.Lon, *req.Lat}
	if !(pt[0] >= -180 && pt[0] <= 180) || !(pt[1] >= -90 && pt[1] <= 90) {
		return &data.ValidationError{Field: "lon", Reason: "lon between -180 and 180, lat between -90 and 90"}
	}
	moved := data.HaversineM(c.Point, pt)
	if err := s.place(c, pt); err != nil {
		return err
	}
	c.Geocoded = false
	t.Note = strings.TrimSpace(fmt.Sprintf("位置更正 %.0f m → %.6f,%.6f (%s). %s", moved, pt[0], pt[1], c.UnitGrid, t.Note))
	return nil
}

// findDuplicate returns the oldest open case of the same kind and
// category within the settings' radius and window of c, or nil.
func (s *Service) findDuplicate(ctx context.Context, c *Case, set *Settings) (*Case, error) {
	f := Filter{Kind: c.Kind, Category: c.Category, Open: true, Limit: MaxPageSize, NoTotal: true,
		ReportedFrom: c.ReportedAt.Add(-time.Duration(set.DuplicateWindowH * float64(time.Hour)))}
	var best *Case
	for off := 0; off < 10*MaxPageSize; off += MaxPageSize {
		f.Offset = off
		p, err := s.Store.List(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, o := range p.Cases {
			if o.DuplicateOf != 0 || o.State == StateSuspended {
				continue
			}
			if data.HaversineM(o.Point, c.Point) <= set.DuplicateRadiusM && (best == nil || o.ID < best.ID) {
				best = o
			}
		}
		if len(p.Cases) < MaxPageSize {
			break
		}
	}
	return best, nil
}

// ActionRequest is one action on a case.
type ActionRequest struct {
	Action string `json:"action"`
	Note   string `json:"note,omitempty"`
	Unit   string `json:"unit,omitempty"`
	// Amount is an extension's length, in the unit of the case's limit.
	Amount float64 `json:"amount,omitempty"`
	// Version, when not 0, must be the case's current version.
	Version int64 `json:"version,omitempty"`
	// AreaClass and DeadlineClass are the classes reclassify sets (either
	// or both).
	AreaClass     string `json:"area_class,omitempty"`
	DeadlineClass string `json:"deadline_class,omitempty"`
	// Inspector is the inspector assign_inspector gives the task to.
	Inspector string `json:"inspector,omitempty"`
	// Satisfaction is the grade follow_up records.
	Satisfaction Satisfaction `json:"satisfaction,omitempty"`
	// Lon and Lat (verify): where the inspector found the problem, when
	// not where it was reported; the case is located anew there.
	Lon *float64 `json:"lon,omitempty"`
	Lat *float64 `json:"lat,omitempty"`
	// Fault is what appeal appeals against (and which pending appeal
	// accept_appeal or reject_appeal decides, when given).
	Fault Fault `json:"fault,omitempty"`
}

func conflict(c *Case, action, reason string, role data.Role) *ConflictError {
	return &ConflictError{ID: c.ID, Action: action, State: c.State, Version: c.Version, Allowed: AllowedOn(c, role), Reason: reason}
}

// Act applies an action to a case for p. A role that may never take the
// action is data.ErrForbidden; a unit acting on another unit's case too; an
// action not allowed from the case's state (or a stale Version) is a
// *ConflictError naming the state and the allowed actions; missing inputs
// are *data.ValidationError. Concurrent actions on one case: one wins, the
// others get a *ConflictError.
func (s *Service) Act(ctx context.Context, p data.Principal, id int64, req ActionRequest) (*Case, *Transition, error) {
	rule, ok := RuleOf(req.Action)
	if !ok {
		return nil, nil, &data.ValidationError{Field: "action", Reason: fmt.Sprintf("unknown action %q", req.Action)}
	}
	if p.Role != data.RoleAdmin && !slices.Contains(rule.Roles, p.Role) {
		return nil, nil, fmt.Errorf("action %s needs role %v, not %q: %w", rule.Action, rule.Roles, p.Role, data.ErrForbidden)
	}
	req.Note = strings.TrimSpace(req.Note)
	if rule.Reason && req.Note == "" {
		return nil, nil, &data.ValidationError{Field: "note", Reason: "a reason is required for " + rule.Action}
	}
	if len(req.Note) > 4000 {
		return nil, nil, &data.ValidationError{Field: "note", Reason: "at most 4000 bytes"}
	}
	if (req.Lon != nil || req.Lat != nil) && rule.Action != ActVerify {
		return nil, nil, &data.ValidationError{Field: "lon", Reason: "only verify takes a position"}
	}
	if rule.Unit && strings.TrimSpace(req.Unit) == "" {
		return nil, nil, &data.ValidationError{Field: "unit", Reason: "the unit to dispatch to is required for " + rule.Action}
	}
	if rule.Unit && s.UnitExists != nil && !s.UnitExists(strings.TrimSpace(req.Unit)) {
		return nil, nil, &data.ValidationError{Field: "unit", Reason: fmt.Sprintf("no department %q", req.Unit)}
	}
	c, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if rule.OwnUnit && p.Role == data.RoleUnit && (p.Unit == "" || p.Unit != c.Unit) {
		return nil, nil, fmt.Errorf("case %d is not with unit %q: %w", id, p.Unit, data.ErrForbidden)
	}
	if req.Version != 0 && req.Version != c.Version {
		return nil, nil, conflict(c, rule.Action, fmt.Sprintf("version %d is current, not %d", c.Version, req.Version), p.Role)
	}
	if !slices.Contains(rule.From, c.State) {
		return nil, nil, conflict(c, rule.Action, fmt.Sprintf("%s is not allowed from state %s", rule.Action, c.State), p.Role)
	}
	now := s.now()
	t := &Transition{At: now, Action: rule.Action, From: c.State, To: rule.To, User: p.User, Role: p.Role, Note: req.Note}
	t.StepDueAt = copyTime(c.StepDueAt)
	if rule.Stay {
		t.To = c.State
	}
	if err := s.apply(c, t, p, req, now); err != nil {
		return nil, nil, err
	}
	auto := t.To == StateRegistered && s.decideAuto(c)
	moved := c.State != t.To
	c.State = t.To
	c.UpdatedAt = now
	if moved {
		s.stepDue(c, now) // an action that stays leaves the step's clock alone
		s.assignInspector(c)
	}
	if err := s.Store.Update(ctx, c, t); err != nil {
		var ce *ConflictError
		if errors.As(err, &ce) {
			if cur, gerr := s.Store.Get(ctx, id); gerr == nil {
				ce.Allowed = AllowedOn(cur, p.Role)
			}
		}
		return nil, nil, err
	}
	if t.Action == ActUrge {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		err := s.send(sctx, urgeNotification(c, t))
		cancel()
		if err != nil && s.OnSendError != nil {
			s.OnSendError(fmt.Errorf("urge case %d: %w", c.ID, err))
		}
	}
	if auto {
		if dc, dt, derr := s.autoDispatch(ctx, c, now); derr == nil {
			return dc, dt, nil
		}
	}
	return c, t, nil
}

// apply performs an action's side effects on c (state not yet changed).
func (s *Service) apply(c *Case, t *Transition, p data.Principal, req ActionRequest, now time.Time) error {
	set := s.Settings()
	switch t.Action {
	case ActVerify:
		c.VerifiedAt = &now
		if err := s.correctPlace(c, t, req); err != nil {
			return err
		}
	case ActRegister:
		c.RegisteredAt = &now
	case ActNotRegister, ActCancel:
		// Terminal but not 结案: ClosedAt stays for closure proper.
		c.Reason = req.Note
		c.PendingExtension = nil
		c.SuspensionRequested = ""
		if c.State == StateSuspended {
			closePause(c, now)
		}
	case ActDispatch, ActRedispatch, ActArbitrate:
		c.Unit = strings.TrimSpace(req.Unit)
		t.Unit = c.Unit
		if t.Action == ActArbitrate {
			c.OwnerFixed = true
		} else {
			c.Dispatcher = t.User
		}
		s.startClock(c, now)
	case ActHandle:
		c.HandledAt = &now
		c.PendingExtension = nil
		c.SuspensionRequested = ""
		t.Unit = c.Unit
	case ActCheckPass:
	case ActCheckFail:
		// 返工: back to the same unit; the deadline keeps running.
		c.ReworkCount++
		t.Unit = c.Unit
	case ActClose:
		c.ClosedAt = &now
		if c.HandledAt != nil && c.DueAt != nil {
			on := !c.HandledAt.After(*c.DueAt)
			c.HandledOnTime = &on
		}
	case ActReturn:
		if c.OwnerFixed {
			return conflict(c, t.Action, "the shift supervisor fixed the owner after arbitration: the case cannot be returned", data.RoleUnit)
		}
		c.ReturnCount++
		c.ReturnedBy = append(c.ReturnedBy, c.Unit)
		c.Reason = req.Note
		t.Unit = c.Unit
		c.PendingExtension = nil
		c.SuspensionRequested = ""
		if c.ReturnCount >= set.ArbitrationAfter {
			t.To = StateArbitration
		}
		c.Unit = ""
		c.DueAt, c.ClockStart, c.Limit, c.Pauses, c.ExtendedBy = nil, nil, nil, nil, 0
	case ActRequestExtension:
		if c.PendingExtension != nil {
			return conflict(c, t.Action, "an extension request is already waiting for approval", data.RoleUnit)
		}
		if c.ExtensionCount >= set.MaxExtensions {
			return conflict(c, t.Action, fmt.Sprintf("at most %d extensions per case", set.MaxExtensions), data.RoleUnit)
		}
		if c.DueAt != nil && now.After(*c.DueAt) {
			return conflict(c, t.Action, "the case is already overdue: no extension", data.RoleUnit)
		}
		if c.Limit == nil {
			return conflict(c, t.Action, "the case has no deadline", data.RoleUnit)
		}
		if !(req.Amount > 0) || req.Amount > c.Limit.Amount*set.MaxExtensionFactor {
			return &data.ValidationError{Field: "amount", Reason: fmt.Sprintf("more than 0 and at most %g %s", c.Limit.Amount*set.MaxExtensionFactor, c.Limit.Unit)}
		}
		c.PendingExtension = &ExtensionRequest{Amount: req.Amount, Reason: req.Note, By: t.User, At: now}
		t.Unit = c.Unit
		t.Note = fmt.Sprintf("%g %s: %s", req.Amount, c.Limit.Unit, req.Note)
	case ActApproveExtension:
		if c.PendingExtension == nil {
			return conflict(c, t.Action, "no extension request is waiting", data.RoleDispatcher)
		}
		if c.DueAt != nil && now.After(*c.DueAt) {
			return conflict(c, t.Action, "the case is already overdue: no extension", data.RoleDispatcher)
		}
		c.ExtendedBy += c.PendingExtension.Amount
		c.ExtensionCount++
		c.PendingExtension = nil
		s.recompute(c)
	case ActRejectExtension:
		if c.PendingExtension == nil {
			return conflict(c, t.Action, "no extension request is waiting", data.RoleDispatcher)
		}
		c.PendingExtension = nil
	case ActRequestSuspension:
		if c.SuspensionRequested != "" {
			return conflict(c, t.Action, "a suspension request is already waiting for approval", data.RoleUnit)
		}
		c.SuspensionRequested = req.Note
		t.Unit = c.Unit
	case ActRejectSuspension:
		if c.SuspensionRequested == "" {
			return conflict(c, t.Action, "no suspension request is waiting", data.RoleDispatcher)
		}
		c.SuspensionRequested = ""
	case ActSuspend:
		// The dispatcher approves the unit's request, or suspends on
		// their own authority.
		c.SuspensionRequested = ""
		c.Reason = req.Note
		c.PendingExtension = nil
		c.Pauses = append(c.Pauses, Pause{From: now})
		c.DueAt = nil
	case ActResume:
		closePause(c, now)
		s.recompute(c)
	case ActReclassify:
		return s.reclassify(c, t, req)
	case ActUrge:
		return urge(c, t)
	case ActFollowUp:
		return followUp(c, t, req, now)
	case ActAppeal:
		return appeal(c, t, p, req, now)
	case ActAcceptAppeal, ActRejectAppeal:
		return decideAppeal(c, t, req, now)
	case ActAssignInspector:
		return s.reassignInspector(c, t, req)
	case ActRecalculate:
		// After the deadline table changed: the new limit from the same
		// clock start, every earlier pause and approved extension kept.
		l, _ := s.Deadlines().For(c)
		old := "none"
		if c.Limit != nil {
			old = fmt.Sprintf("%g %s", c.Limit.Amount, c.Limit.Unit)
		}
		c.Limit = &l
		s.recompute(c)
		t.Note = strings.TrimSpace(fmt.Sprintf("limit %s → %g %s. %s", old, l.Amount, l.Unit, req.Note))
	}
	return nil
}

// reclassify sets the area and/or deadline class an operator chose and,
// when the handling clock runs, the limit that follows from them (same
// clock start, pauses and extensions kept). The note records the change
// and the reason.
func (s *Service) reclassify(c *Case, t *Transition, req ActionRequest) error {
	area, class := strings.TrimSpace(req.AreaClass), strings.TrimSpace(req.DeadlineClass)
	if area == "" && class == "" {
		return &data.ValidationError{Field: "area_class", Reason: "give area_class, deadline_class or both"}
	}
	if area != "" && area != "A" && area != "B" && area != "C" {
		return &data.ValidationError{Field: "area_class", Reason: "A, B or C"}
	}
	if class != "" {
		if known := s.Deadlines().Classes(); !slices.Contains(known, class) {
			return &data.ValidationError{Field: "deadline_class", Reason: fmt.Sprintf("one of the deadline table's classes %v", known)}
		}
	}
	orNone := func(v string) string {
		if v == "" {
			return "none"
		}
		return v
	}
	var parts []string
	if area != "" {
		parts = append(parts, fmt.Sprintf("area class %s → %s", orNone(c.AreaClass), area))
		c.AreaClass, c.AreaClassFrom = area, ClassFromOperator
	}
	if class != "" {
		parts = append(parts, fmt.Sprintf("deadline class %s → %s", orNone(c.DeadlineClass), class))
		c.DeadlineClass, c.DeadlineClassFrom = class, ClassFromOperator
	}
	if c.ClockStart != nil {
		l, _ := s.Deadlines().For(c)
		if c.Limit != nil && (c.Limit.Amount != l.Amount || c.Limit.Unit != l.Unit) {
			parts = append(parts, fmt.Sprintf("limit %g %s → %g %s", c.Limit.Amount, c.Limit.Unit, l.Amount, l.Unit))
			if c.Limit.Unit != l.Unit {
				c.ExtendedBy = 0 // an extension in the old unit means nothing in the new one
			}
		}
		c.Limit = &l
		s.recompute(c)
	}
	t.Note = strings.Join(parts, "; ") + ": " + req.Note
	t.Unit = c.Unit
	return nil
}

func closePause(c *Case, now time.Time) {
	if n := len(c.Pauses); n > 0 && c.Pauses[n-1].To == nil {
		c.Pauses[n-1].To = &now
	}
}

// startClock starts the handling clock at a (re)dispatch.
func (s *Service) startClock(c *Case, now time.Time) {
	l, _ := s.Deadlines().For(c)
	c.Limit = &l
	c.ClockStart = &now
	c.Pauses = nil
	c.ExtendedBy = 0
	if c.DispatchedAt == nil {
		c.DispatchedAt = &now
	}
	s.recompute(c)
}

// recompute sets DueAt from the limit, extensions and every pause.
func (s *Service) recompute(c *Case) {
	if c.Limit == nil || c.ClockStart == nil {
		c.DueAt = nil
		return
	}
	ext := Limit{Amount: c.ExtendedBy, Unit: c.Limit.Unit}.Duration()
	cal := s.Calendar()
	due, ok := cal.Deadline(*c.Limit, ext, *c.ClockStart, c.Pauses)
	if !ok {
		c.DueAt, c.DueProvisional = nil, false
		return
	}
	c.DueAt = &due
	c.DueProvisional = !c.Limit.Continuous() && cal.Provisional(*c.ClockStart, due)
}

// stepDue sets the deadline of the centre's current step, started now.
func (s *Service) stepDue(c *Case, now time.Time) { s.stepDueFrom(c, now) }

// stepDueFrom sets the deadline of the centre's current step started at
// from, counted on the centre's calendar.
func (s *Service) stepDueFrom(c *Case, now time.Time) {
	step := ""
	switch c.State {
	case StateReported:
		step = StepVerify
	case StateVerified:
		step = StepRegister
	case StateRegistered, StateReturned:
		step = StepDispatch
	case StateHandled:
		step = StepCheck
	}
	l, ok := s.Deadlines().Steps[step]
	if step == "" || !ok {
		c.StepDueAt, c.StepDueProvisional = nil, false
		return
	}
	centre := s.Calendar().CentreCalendar()
	d := centre.Add(l, now, l.Duration())
	c.StepDueAt = &d
	c.StepDueProvisional = !l.Continuous() && centre.Provisional(now, d)
}

// Progress reports how far the case's handling clock has run at now.
func (s *Service) Progress(c *Case, now time.Time) Progress {
	var p Progress
	if c.Limit == nil || c.ClockStart == nil || c.State.Terminal() {
		if c.DueAt != nil && c.HandledAt != nil && c.HandledAt.After(*c.DueAt) {
			p.Overdue = true
		}
		p.DueAt = c.DueAt
		return p
	}
	p.DueAt = c.DueAt
	p.Provisional = c.DueProvisional
	p.Paused = c.State == StateSuspended
	total := Limit{Amount: c.Limit.Amount + c.ExtendedBy, Unit: c.Limit.Unit}.Duration()
	at := now
	if c.State == StateHandled || c.State == StateChecked {
		if c.HandledAt != nil {
			at = *c.HandledAt // the unit's clock stopped at feedback
		}
	}
	used := s.Calendar().Used(*c.Limit, *c.ClockStart, at, c.Pauses)
	if total > 0 {
		p.Used = float64(used) / float64(total)
	}
	p.Overdue = c.DueAt != nil && at.After(*c.DueAt)
	switch {
	case p.Overdue:
		p.Light = LightRed
	case p.Used >= s.Settings().DueSoonFraction:
		p.Light = LightYellow
	default:
		p.Light = LightGreen
	}
	return p
}

// decideAuto decides whether a case being registered is dispatched
// automatically: its responsibility is unambiguous (the deciding rule is
// one of the settings' auto rules, the category is not excluded and its
// class is switched on in the AutoDispatch document). The
// answer and why are written into c.Resolution.
func (s *Service) decideAuto(c *Case) bool {
	var res Resolution
	if len(c.Resolution) > 0 {
		_ = json.Unmarshal(c.Resolution, &res)
	}
	set := s.Settings()
	switch {
	case res.Unit == "":
		res.Why = "no responsible unit found: to the dispatcher queue"
	case slices.Contains(set.NoAutoDispatch, c.Category):
		res.Why = "category " + c.Category + " is excluded from auto-dispatch: to the dispatcher queue"
	case !s.AutoDispatch().On(c.Kind, c.Category):
		res.Why = "auto-dispatch of class " + ClassKey(c.Kind, c.Category) + " is switched off: to the dispatcher queue with the candidates"
	case !slices.Contains(set.AutoDispatchRules, res.Rule):
		res.Why = "decided by " + res.Rule + ", not unambiguous enough: to the dispatcher queue with the candidates"
	default:
		res.Auto = true
		res.Why = "decided by " + res.Rule + ": dispatched automatically to " + res.Unit
	}
	c.Resolution, _ = json.Marshal(res)
	return res.Auto
}

// autoDispatch dispatches a just-registered case to the unit of its
// resolution, as the user "system".
func (s *Service) autoDispatch(ctx context.Context, c *Case, now time.Time) (*Case, *Transition, error) {
	var res Resolution
	_ = json.Unmarshal(c.Resolution, &res)
	t := &Transition{At: now, Action: ActDispatch, From: c.State, To: StateDispatched, User: "system", Role: data.RoleDispatcher, Unit: res.Unit, Note: res.Why}
	t.StepDueAt = copyTime(c.StepDueAt)
	c.Unit = res.Unit
	c.Dispatcher = "system"
	s.startClock(c, now)
	c.State = StateDispatched
	c.UpdatedAt = now
	s.stepDue(c, now)
	if err := s.Store.Update(ctx, c, t); err != nil {
		return nil, nil, err
	}
	return c, t, nil
}

// copyTime returns a copy of *p, or nil.
func copyTime(p *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
