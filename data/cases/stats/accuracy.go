package stats

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
)

// First-time dispatch accuracy (首派准确率) measures the responsibility
// rules and the dispatchers by what the units did with the cases: a first
// dispatch stuck when the unit it named kept the case — it was not
// returned (回退), so it was neither redispatched nor sent to arbitration.
// The workflow only lets a case be redispatched or arbitrated after a
// return, and the first return is the first unit's, so a case's first
// dispatch stuck exactly when its ReturnCount is 0.
//
// Per case (dispatched at all):
//
//	first_unit   the unit of the first dispatch: ReturnedBy[0] when the
//	             case was returned, else its unit
//	rule         the responsible lookup's deciding rule kept in the case's
//	             resolution (rule_table rows as rule_table#ID); "unrecorded"
//	             for cases created without a lookup
//	auto         the first dispatch was automatic
//	followed     the first unit is the one the lookup decided
//
// A group counts the cases first dispatched in the period:
//
//	dispatched     cases                                  派遣数
//	stuck          of these, first dispatch stuck          首派准确数
//	returned       of these, returned at least once        回退案件数
//	auto           of these, dispatched automatically      自动派遣数
//	followed       of these, to the lookup's unit          按规则派遣数
//	accuracy       stuck / dispatched                      首派准确率
//
// Outcomes are as the table knows them now (a case returned after the
// period still counts against it), like the post scores'.

// Accuracy groups.
const (
	AccuracyByCategory = "category" // small class, kind/code
	AccuracyByRule     = "rule"     // the deciding rule of the lookup
	AccuracyByUnit     = "unit"     // the unit of the first dispatch
)

// RuleUnrecorded is the rule key of cases without a recorded lookup.
const RuleUnrecorded = "unrecorded"

// FirstDispatch is what a case's first dispatch was and whether it stuck.
type FirstDispatch struct {
	CaseID   int64
	At       time.Time
	Category string // kind/code
	Unit     string
	Rule     string
	Auto     bool
	Followed bool
	Stuck    bool
	Returned bool
}

// FirstDispatchOf reads a case's first dispatch; false when the case was
// never dispatched.
func FirstDispatchOf(c *cases.Case) (FirstDispatch, bool) {
	if c.DispatchedAt == nil {
		return FirstDispatch{}, false
	}
	f := FirstDispatch{CaseID: c.ID, At: *c.DispatchedAt, Category: CategoryKey(c), Unit: c.Unit,
		Stuck: c.ReturnCount == 0, Returned: c.ReturnCount > 0, Rule: RuleUnrecorded}
	if len(c.ReturnedBy) > 0 {
		f.Unit = c.ReturnedBy[0]
	}
	if len(c.Resolution) > 0 {
		var res cases.Resolution
		if json.Unmarshal(c.Resolution, &res) == nil && res.Rule != "" {
			f.Rule = RuleKey(res.Rule, res.Reasons)
			f.Auto = res.Auto
			f.Followed = res.Unit != "" && res.Unit == f.Unit
		}
	}
	return f, true
}

// RuleKey names a deciding rule for grouping: a rule-table decision
// carries the row's ID (rule_table#12), so each row is measured alone.
func RuleKey(rule string, reasons []cases.Step) string {
	if rule == "rule_table" {
		for _, r := range reasons {
			if r.Decided && r.RuleID != 0 {
				return "rule_table#" + strconv.FormatInt(r.RuleID, 10)
			}
		}
	}
	return rule
}

// AccuracyRow is one group's first-dispatch counts.
type AccuracyRow struct {
	Key        string   `json:"key"`
	Name       string   `json:"name,omitempty"`
	Dispatched int      `json:"dispatched"`
	Stuck      int      `json:"stuck"`
	Returned   int      `json:"returned"`
	Auto       int      `json:"auto"`
	Followed   int      `json:"followed"`
	Accuracy   *float64 `json:"accuracy"`
}

func (r *AccuracyRow) add(f *FirstDispatch) {
	r.Dispatched++
	if f.Stuck {
		r.Stuck++
	}
	if f.Returned {
		r.Returned++
	}
	if f.Auto {
		r.Auto++
	}
	if f.Followed {
		r.Followed++
	}
}

// AccuracyResult is first-dispatch accuracy of a period by a group.
type AccuracyResult struct {
	Group string        `json:"group"`
	From  time.Time     `json:"from"`
	To    time.Time     `json:"to"`
	Rows  []AccuracyRow `json:"rows"`
	Total AccuracyRow   `json:"total"`
}

// AccuracyTable keeps every dispatched case's first dispatch, fed like the
// statistics table from the case store and its change listener.
type AccuracyTable struct {
	mu   sync.RWMutex
	byID map[int64]FirstDispatch
}

// NewAccuracyTable returns an empty table.
func NewAccuracyTable() *AccuracyTable { return &AccuracyTable{byID: map[int64]FirstDispatch{}} }

// Put records (or replaces) a case's first dispatch.
func (t *AccuracyTable) Put(c *cases.Case) {
	f, ok := FirstDispatchOf(c)
	t.mu.Lock()
	defer t.mu.Unlock()
	if ok {
		t.byID[c.ID] = f
	} else {
		delete(t.byID, c.ID)
	}
}

// PutAll records many cases.
func (t *AccuracyTable) PutAll(cs []cases.Case) {
	for i := range cs {
		t.Put(&cs[i])
	}
}

// Len is the number of dispatched cases held.
func (t *AccuracyTable) Len() int { t.mu.RLock(); defer t.mu.RUnlock(); return len(t.byID) }

func groupKey(group string, f *FirstDispatch) (string, error) {
	switch group {
	case AccuracyByCategory, "":
		return f.Category, nil
	case AccuracyByRule:
		return f.Rule, nil
	case AccuracyByUnit:
		return f.Unit, nil
	}
	return "", fmt.Errorf("group %q: category, rule or unit", group)
}

// Compute counts the cases first dispatched in [from, to) by group
// (category, rule or unit); rows by key. A zero bound is open.
func (t *AccuracyTable) Compute(group string, from, to time.Time) (*AccuracyResult, error) {
	if _, err := groupKey(group, &FirstDispatch{}); err != nil {
		return nil, err
	}
	if group == "" {
		group = AccuracyByCategory
	}
	rows := map[string]*AccuracyRow{}
	res := &AccuracyResult{Group: group, From: from, To: to, Rows: []AccuracyRow{}, Total: AccuracyRow{Key: "total"}}
	t.mu.RLock()
	for _, f := range t.byID {
		if (!from.IsZero() && f.At.Before(from)) || (!to.IsZero() && !f.At.Before(to)) {
			continue
		}
		k, _ := groupKey(group, &f)
		r := rows[k]
		if r == nil {
			r = &AccuracyRow{Key: k}
			rows[k] = r
		}
		r.add(&f)
		res.Total.add(&f)
	}
	t.mu.RUnlock()
	for _, r := range rows {
		r.Accuracy = ratio(r.Stuck, r.Dispatched)
		res.Rows = append(res.Rows, *r)
	}
	res.Total.Accuracy = ratio(res.Total.Stuck, res.Total.Dispatched)
	slices.SortFunc(res.Rows, func(a, b AccuracyRow) int { return cmp.Compare(a.Key, b.Key) })
	return res, nil
}

// Recent counts, per small class, its last n cases first dispatched
// before end (the latest first dispatches; ties by case ID): the window
// auto-dispatch proposals are judged on.
func (t *AccuracyTable) Recent(n int, end time.Time) map[string]AccuracyRow {
	byCat := map[string][]FirstDispatch{}
	t.mu.RLock()
	for _, f := range t.byID {
		if !end.IsZero() && !f.At.Before(end) {
			continue
		}
		byCat[f.Category] = append(byCat[f.Category], f)
	}
	t.mu.RUnlock()
	out := make(map[string]AccuracyRow, len(byCat))
	for k, fs := range byCat {
		slices.SortFunc(fs, func(a, b FirstDispatch) int {
			if c := b.At.Compare(a.At); c != 0 {
				return c
			}
			return cmp.Compare(b.CaseID, a.CaseID)
		})
		if len(fs) > n {
			fs = fs[:n]
		}
		r := AccuracyRow{Key: k}
		for i := range fs {
			r.add(&fs[i])
		}
		r.Accuracy = ratio(r.Stuck, r.Dispatched)
		out[k] = r
	}
	return out
}

// AccuracyColumns are the export columns of first-dispatch accuracy.
var AccuracyColumns = []string{"key", "name", "dispatched", "stuck", "returned_cases", "auto", "followed", "accuracy_rate"}

// AccuracySheetOf lays an accuracy result out for export, the total last.
func AccuracySheetOf(res *AccuracyResult) *Sheet {
	s := &Sheet{Name: "accuracy_" + res.Group, Title: "首派准确率（" + accuracyGroupTitle[res.Group] + "）", Header: AccuracyColumns}
	add := func(r *AccuracyRow) {
		s.Rows = append(s.Rows, []any{r.Key, r.Name, r.Dispatched, r.Stuck, r.Returned, r.Auto, r.Followed, r.Accuracy})
	}
	for i := range res.Rows {
		add(&res.Rows[i])
	}
	add(&res.Total)
	return s
}

var accuracyGroupTitle = map[string]string{AccuracyByCategory: "按小类", AccuracyByRule: "按规则", AccuracyByUnit: "按单位"}

// splitClass splits a kind/code key.
func splitClass(k string) (data.CategoryKind, string) {
	kind, code, _ := strings.Cut(k, "/")
	return data.CategoryKind(kind), code
}
