package spatial

import (
	"runtime"
	"slices"
	"sync"
	"time"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// ReplayCase is a past case as the replay audit reads it: where and what
// it was, and what was decided then.
type ReplayCase struct {
	ID         int64
	Number     string
	ReportedAt time.Time
	Point      orb.Point
	Kind       data.CategoryKind
	Category   string
	Component  string
	// Unit is the unit decided for the case then: the lookup's answer kept
	// with the case, else the unit of its first dispatch.
	Unit string
	// Rule and RuleID are the rule that decided then ("" unknown).
	Rule   string
	RuleID int64
	// UnitGrid and ManagementGrids are where the case was located then.
	UnitGrid        string
	ManagementGrids []string
}

// Why a replayed case's unit differs.
const (
	WhyRuleChange      = "rule_change"      // another rule-table row decides, or the deciding row changed
	WhyGridEdit        = "grid_edit"        // the point lies in another unit or management grid now
	WhyComponentChange = "component_change" // the component's maintainer or owner changed, or it moved or went
	WhyOther           = "other"            // a category's department or the fallback changed
)

// ReplayDiff is a past case whose unit differs on replay.
type ReplayDiff struct {
	CaseID     int64     `json:"case_id"`
	Number     string    `json:"number"`
	ReportedAt time.Time `json:"reported_at"`
	Category   string    `json:"category"`
	Was        string    `json:"was"`
	WasRule    string    `json:"was_rule,omitempty"`
	WasRuleID  int64     `json:"was_rule_id,omitempty"`
	Now        string    `json:"now"`
	NowRule    string    `json:"now_rule"`
	NowRuleID  int64     `json:"now_rule_id,omitempty"`
	Why        []string  `json:"why"`
	Reasons    []Reason  `json:"reasons"`
	Error      string    `json:"error,omitempty"`
}

// ReplayToday re-runs the responsible lookup for past cases against the
// rules and data in use today and lists, in case order, those whose unit
// differs from the one decided then, with why: a rule change, a grid edit
// (the case's grids differ), a component ownership change (a component
// decides now or then, and the units differ). A case the lookup cannot
// decide today is listed with its error.
func (ix *Index) ReplayToday(cs []ReplayCase) []ReplayDiff {
	return replayParallel(cs, func(c *ReplayCase, mg []ManagementGridRef, rs []Reason) (ReplayDiff, bool) {
		ix.live.rlock()
		r, err := ix.responsible(c.Point, c.Kind, c.Category, c.Component, mg, rs, nil)
		ix.live.runlock()
		if err != nil {
			return ReplayDiff{Error: err.Error(), Why: []string{WhyOther}}, true
		}
		if r.Unit.Code == c.Unit {
			return ReplayDiff{}, false
		}
		d := ReplayDiff{Now: r.Unit.Code, NowRule: r.Rule, NowRuleID: r.RuleID, Reasons: slices.Clone(r.Reasons)}
		if c.UnitGrid != "" && (c.UnitGrid != r.Location.UnitGrid.Code || !sameGrids(c.ManagementGrids, r.Location.ManagementGrids)) {
			d.Why = append(d.Why, WhyGridEdit)
		}
		component := func(rule string) bool { return rule == RuleComponentMaintainer || rule == RuleComponentOwner }
		if component(r.Rule) || component(c.Rule) {
			d.Why = append(d.Why, WhyComponentChange)
		}
		if r.Rule == RuleTable || c.Rule == RuleTable {
			d.Why = append(d.Why, WhyRuleChange)
		}
		if len(d.Why) == 0 {
			d.Why = append(d.Why, WhyOther)
		}
		return d, true
	})
}

// ReplayRules lists, in case order, the past cases whose unit a proposed
// rule table would change: each case is decided under the table in use
// and under the proposed one, against today's data. A case decided by its
// component under the table in use is skipped: rows cannot reach it.
func (ix *Index) ReplayRules(cs []ReplayCase, proposed *RuleSet) []ReplayDiff {
	return replayParallel(cs, func(c *ReplayCase, mg []ManagementGridRef, rs []Reason) (ReplayDiff, bool) {
		ix.live.rlock()
		defer ix.live.runlock()
		was, err := ix.responsible(c.Point, c.Kind, c.Category, c.Component, mg, rs, nil)
		if err != nil || was.Rule == RuleComponentMaintainer || was.Rule == RuleComponentOwner {
			return ReplayDiff{}, false
		}
		wasUnit, wasRule, wasID := was.Unit.Code, was.Rule, was.RuleID
		now, err := ix.responsible(c.Point, c.Kind, c.Category, c.Component, mg, rs, proposed)
		if err != nil {
			return ReplayDiff{Was: wasUnit, WasRule: wasRule, WasRuleID: wasID, Error: err.Error(), Why: []string{WhyRuleChange}}, true
		}
		if now.Unit.Code == wasUnit {
			return ReplayDiff{}, false
		}
		return ReplayDiff{Was: wasUnit, WasRule: wasRule, WasRuleID: wasID, Now: now.Unit.Code, NowRule: now.Rule,
			NowRuleID: now.RuleID, Why: []string{WhyRuleChange}, Reasons: slices.Clone(now.Reasons)}, true
	})
}

// replayParallel runs one replay per case over the processors, each
// worker with its own answer buffers, and returns the listed cases in
// input order with their identity filled in.
func replayParallel(cs []ReplayCase, one func(c *ReplayCase, mg []ManagementGridRef, rs []Reason) (ReplayDiff, bool)) []ReplayDiff {
	workers := min(runtime.GOMAXPROCS(0), max(1, len(cs)/256))
	found := make([][]ReplayDiff, workers)
	var wg sync.WaitGroup
	chunk := (len(cs) + workers - 1) / max(workers, 1)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mg := make([]ManagementGridRef, 0, 8)
			rs := make([]Reason, 0, maxReasons)
			for i := w * chunk; i < min(len(cs), (w+1)*chunk); i++ {
				c := &cs[i]
				d, ok := one(c, mg[:0], rs[:0])
				if !ok {
					continue
				}
				d.CaseID, d.Number, d.ReportedAt, d.Category = c.ID, c.Number, c.ReportedAt, string(c.Kind)+"/"+c.Category
				if d.Was == "" && d.WasRule == "" {
					d.Was, d.WasRule, d.WasRuleID = c.Unit, c.Rule, c.RuleID
				}
				if d.Reasons == nil {
					d.Reasons = []Reason{}
				}
				found[w] = append(found[w], d)
			}
		}()
	}
	wg.Wait()
	out := []ReplayDiff{}
	for _, f := range found {
		out = append(out, f...)
	}
	return out
}

func sameGrids(then []string, now []ManagementGridRef) bool {
	if len(then) != len(now) {
		return false
	}
	for _, m := range now {
		if !slices.Contains(then, m.Code) {
			return false
		}
	}
	return true
}
