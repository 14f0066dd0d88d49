package data

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// ChangeOp is what a change did to a feature.
type ChangeOp string

// Change operations.
const (
	OpInsert ChangeOp = "insert"
	OpUpdate ChangeOp = "update"
	OpDelete ChangeOp = "delete"
)

// Change is one committed change to a stored feature, as the store reports
// it after a successful write. The live in-memory indexes and the tile
// caches apply Changes to follow the store without a reload; a unit-grid
// split or merge is several Changes (deletes of the old grids, inserts of
// the new ones, updates of the re-attributed components).
//
// Exactly one of the Before/After pairs is used, by Layer. Before is nil for
// an insert, After is nil for a delete.
type Change struct {
	Layer   string // "components", "unit_grids"
	Op      ChangeOp
	Code    string
	Version int64 // version after the change (the deleted version for deletes)
	At      time.Time
	User    string
	Reason  string

	BeforeComponent, AfterComponent *Component
	BeforeUnitGrid, AfterUnitGrid   *UnitGrid

	// Seq is the change's place in the store's ChangeLog: strictly
	// increasing in commit order. 0 when the store keeps no log.
	Seq int64
}

// ChangesetBase is what PlanChangeset reads from a store, inside the
// store's transaction, to resolve a survey batch against it.
type ChangesetBase interface {
	// StoredComponents reads the stored components among codes.
	StoredComponents(codes []string) (map[string]*Component, error)
	// ChangedSince maps the components changed after t to their first
	// change after it.
	ChangedSince(t time.Time) (map[string]ChangeMark, error)
	// Prepare derives what the store owns (unit grid, code when empty —
	// taken counts the sequences assigned so far per county+category —,
	// change time) and validates c; where names it in errors, which are
	// ValidationErrors for invalid input.
	Prepare(c *Component, where string, taken map[string]int) error
	// LastVersion is the highest version code ever had (0: never stored).
	LastVersion(code string) (int64, error)
}

// ChangeMark is when and by whom a feature was changed.
type ChangeMark struct {
	At   time.Time
	User string
}

// PlannedChange is one changeset item resolved against a store: what it
// does, the stored component it replaces (nil for an add) and the one it
// stores (nil for a delete).
type PlannedChange struct {
	Op            ChangesetOp
	Before, After *Component
}

// PlanChangeset resolves every item of cs against base: its operation
// (add or modify by whether the code is stored, when not given), the
// component it stores (a modification overlays the fields given on the
// stored one) and its version, conflicts (the store changed the feature
// after the survey's base version or base time) and invalid features.
// Unchanged modifications are counted and left out of the plan. The
// report is Applicable when nothing is invalid or in conflict.
func PlanChangeset(cs *Changeset, base ChangesetBase) (*ChangesetReport, []PlannedChange, error) {
	rep := &ChangesetReport{ID: cs.ID, Features: len(cs.Items), Conflicts: []ChangesetConflict{}, Invalid: ValidationErrors{}}
	codes := make([]string, 0, len(cs.Items))
	for i := range cs.Items {
		if c := cs.Items[i].Component.Code; c != "" {
			codes = append(codes, c)
		}
	}
	stored, err := base.StoredComponents(codes)
	if err != nil {
		return nil, nil, err
	}
	var since map[string]ChangeMark
	if !cs.BaseTime.IsZero() {
		if since, err = base.ChangedSince(cs.BaseTime); err != nil {
			return nil, nil, err
		}
	}
	seen := map[string]string{}
	taken := map[string]int{}
	var plan []PlannedChange
	invalid := func(where, field, format string, args ...any) {
		rep.Invalid = append(rep.Invalid, &ValidationError{Where: where, Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	for i := range cs.Items {
		it := &cs.Items[i]
		where := it.Where
		if where == "" {
			where = fmt.Sprintf("feature %d", i)
		}
		code := it.Component.Code
		if code != "" {
			if first, dup := seen[code]; dup {
				invalid(where, "code", "%s is given twice (also at %s)", code, first)
				continue
			}
			seen[code] = where
		}
		cur := stored[code]
		op := it.Op
		if op == "" {
			op = CSAdd
			if cur != nil {
				op = CSModify
			}
		}
		conflict := func(reason string) bool {
			if cur == nil {
				return false
			}
			c := ChangesetConflict{Where: where, Code: code, Op: string(op), BaseVersion: it.BaseVersion, CurrentVersion: cur.Version}
			if it.BaseVersion > 0 && cur.Version != it.BaseVersion {
				c.Reason = fmt.Sprintf("the survey started from version %d, the store holds version %d", it.BaseVersion, cur.Version)
			} else if h, ok := since[code]; ok && it.BaseVersion == 0 {
				c.Reason = fmt.Sprintf("changed in the store at %s by %s, after the survey's base time", h.At.Format(time.RFC3339), h.User)
				c.ChangedAt, c.ChangedBy = h.At, h.User
			} else {
				return false
			}
			if reason != "" {
				c.Reason = reason + ": " + c.Reason
			}
			rep.Conflicts = append(rep.Conflicts, c)
			return true
		}
		switch op {
		case CSDelete:
			if code == "" {
				invalid(where, "code", "is missing: a deletion names the component by code")
				continue
			}
			if cur == nil {
				invalid(where, "code", "component %s is not stored, so it cannot be deleted", code)
				continue
			}
			if conflict("") {
				continue
			}
			rep.Deletes++
			plan = append(plan, PlannedChange{Op: op, Before: cur})
		case CSModify, CSAdd:
			var next Component
			if op == CSModify {
				if code == "" {
					invalid(where, "code", "is missing: a modification names the component by code")
					continue
				}
				if cur == nil {
					invalid(where, "code", "component %s is not stored, so it cannot be modified", code)
					continue
				}
				if conflict("") {
					continue
				}
				next = overlay(*cur, it.Component, it.Fields)
			} else {
				if cur != nil {
					if !conflict("added in the store since the survey") {
						invalid(where, "code", "component %s is already stored (version %d); modify it instead", code, cur.Version)
					}
					continue
				}
				next = it.Component
			}
			if err := base.Prepare(&next, where, taken); err != nil {
				var ves ValidationErrors
				if !errors.As(err, &ves) {
					return nil, nil, err
				}
				rep.Invalid = append(rep.Invalid, ves...)
				continue
			}
			if op == CSModify {
				if sameSurveyed(cur, &next) {
					rep.Unchanged++
					continue
				}
				next.Version = cur.Version + 1
				rep.Modifies++
			} else {
				last, err := base.LastVersion(next.Code)
				if err != nil {
					return nil, nil, err
				}
				next.Version = last + 1
				rep.Adds++
			}
			n := next
			plan = append(plan, PlannedChange{Op: op, Before: cur, After: &n})
		default:
			invalid(where, "_op", "unknown operation %q (add, modify, delete)", op)
		}
	}
	rep.Applicable = len(rep.Invalid) == 0 && len(rep.Conflicts) == 0
	return rep, plan, nil
}

// overlay is cur with the fields the changeset feature gives (all of them
// when fields is nil).
func overlay(cur, in Component, fields map[string]bool) Component {
	has := func(f string) bool { return fields == nil || fields[f] }
	if has("geometry") && in.Geometry != nil {
		cur.Geometry = in.Geometry
	}
	if has("category") {
		cur.Category = in.Category
	}
	if has("name") {
		cur.Name = in.Name
	}
	if has("department") {
		cur.Department = in.Department
	}
	if has("owner") {
		cur.Owner = in.Owner
	}
	if has("maintainer") {
		cur.Maintainer = in.Maintainer
	}
	if has("status") {
		cur.Status = in.Status
	}
	if has("survey_date") {
		cur.SurveyDate = in.SurveyDate
	}
	if has("note") {
		cur.Note = in.Note
	}
	return cur
}

// sameSurveyed compares what a survey can change (geometry as GeoJSON, so
// equal coordinates compare equal whatever the geometry's Go type).
func sameSurveyed(a, b *Component) bool {
	if a.Category != b.Category || a.Name != b.Name || a.Department != b.Department || a.Owner != b.Owner ||
		a.Maintainer != b.Maintainer || a.Status != b.Status || a.Note != b.Note || a.UnitGrid != b.UnitGrid ||
		!a.SurveyDate.Equal(b.SurveyDate) {
		return false
	}
	if a.Geometry == nil || b.Geometry == nil {
		return a.Geometry == nil && b.Geometry == nil
	}
	ga, err1 := geojson.NewGeometry(a.Geometry).MarshalJSON()
	gb, err2 := geojson.NewGeometry(b.Geometry).MarshalJSON()
	return err1 == nil && err2 == nil && string(ga) == string(gb)
}

// splitAreaTolerance is how far, relatively, the parts' areas may sum away
// from the split grid's area (rounding of surveyed coordinates).
const splitAreaTolerance = 0.005

// SplitParts checks the parts a unit grid is split into — closed finite
// rings, at least two, each inside old, none overlapping another, their
// areas summing to old's within 0.5 % — and returns them in GB/T 30428.1
// numbering order (north→south by rows, west→east in a row). Problems are
// ValidationErrors naming parts[i].
func SplitParts(old *UnitGrid, parts []orb.MultiPolygon) ([]orb.MultiPolygon, error) {
	if len(parts) < 2 {
		return nil, ValidationErrors{{Field: "parts", Reason: fmt.Sprintf("a split needs at least 2 parts, has %d", len(parts))}}
	}
	var errs ValidationErrors
	bad := func(i int, format string, args ...any) {
		errs = append(errs, &ValidationError{Where: fmt.Sprintf("parts[%d]", i), Field: "geometry", Reason: fmt.Sprintf(format, args...)})
	}
	ob := old.Geometry.Bound().Pad(1e-9)
	sum := 0.0
	for i, p := range parts {
		if msg := polygonProblem(p); msg != "" {
			bad(i, "%s", msg)
			continue
		}
		if !ob.Contains(p.Bound().Min) || !ob.Contains(p.Bound().Max) {
			bad(i, "extends outside unit grid %s", old.Code)
			continue
		}
		if rp, _ := Representative(p); !planar.MultiPolygonContains(old.Geometry, rp) {
			bad(i, "lies outside unit grid %s", old.Code)
			continue
		}
		sum += AreaM2(p)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for i := range parts {
		rp, _ := Representative(parts[i])
		for j := range parts {
			if i != j && planar.MultiPolygonContains(parts[j], rp) {
				bad(i, "overlaps part %d", j)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if math.Abs(sum-old.AreaM2) > splitAreaTolerance*old.AreaM2 {
		return nil, ValidationErrors{{Field: "parts", Reason: fmt.Sprintf("the parts cover %.1f m² but unit grid %s is %.1f m²: parts must cover the grid without overlap", sum, old.Code, old.AreaM2)}}
	}
	return readingOrder(parts), nil
}

// polygonProblem says what is wrong with a part's geometry, "" if nothing.
func polygonProblem(mp orb.MultiPolygon) string {
	if len(mp) == 0 {
		return "is empty"
	}
	for _, p := range mp {
		if len(p) == 0 {
			return "a polygon needs an outer ring"
		}
		for _, r := range p {
			if len(r) < 4 {
				return fmt.Sprintf("a ring has %d points; a closed ring needs at least 4", len(r))
			}
			if r[0] != r[len(r)-1] {
				return "a ring is not closed"
			}
			for _, q := range r {
				if math.IsNaN(q[0]) || math.IsNaN(q[1]) || math.IsInf(q[0], 0) || math.IsInf(q[1], 0) {
					return fmt.Sprintf("coordinate (%v, %v) is not a finite number", q[0], q[1])
				}
			}
		}
	}
	return ""
}

// readingOrder sorts parts north→south by rows, then west→east: a part
// joins the current row when its centroid's latitude lies within the
// latitude span of the row's first part.
func readingOrder(parts []orb.MultiPolygon) []orb.MultiPolygon {
	type item struct {
		p  orb.MultiPolygon
		rp orb.Point
		b  orb.Bound
	}
	items := make([]item, len(parts))
	for i, p := range parts {
		rp, _ := Representative(p)
		if c, a := planar.CentroidArea(p); a > 0 {
			rp = c
		}
		items[i] = item{p, rp, p.Bound()}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].rp[1] > items[j].rp[1] })
	out := make([]orb.MultiPolygon, 0, len(parts))
	for i := 0; i < len(items); {
		row := items[i].b
		j := i + 1
		for j < len(items) && items[j].rp[1] >= row.Min[1] && items[j].rp[1] <= row.Max[1] {
			j++
		}
		r := items[i:j]
		sort.SliceStable(r, func(a, b int) bool { return r[a].rp[0] < r[b].rp[0] })
		for _, it := range r {
			out = append(out, it.p)
		}
		i = j
	}
	return out
}

// ReattributeTo is the unit grid a component of a retired grid moves to:
// the only new grid, else the new grid containing its representative
// point, else elsewhere(point) (another stored grid containing it, ""
// for none), else the new grid whose bound centre is nearest.
func ReattributeTo(g orb.Geometry, news []*UnitGrid, elsewhere func(orb.Point) string) string {
	if len(news) == 1 {
		return news[0].Code
	}
	p, ok := Representative(g)
	if ok {
		for _, n := range news {
			if planar.MultiPolygonContains(n.Geometry, p) {
				return n.Code
			}
		}
		if c := elsewhere(p); c != "" {
			return c
		}
	}
	best, bd := 0, math.Inf(1)
	for i, n := range news {
		if d := planar.DistanceSquared(n.Geometry.Bound().Center(), p); d < bd {
			best, bd = i, d
		}
	}
	return news[best].Code
}
