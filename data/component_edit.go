package data

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// ComponentTx is a store's write transaction as the component edits and
// changesets work through it: the reads PlanChangeset needs, the stored
// component, and the three writes, each recording its Change. The rules
// of an edit (versions, preconditions, what a changeset may apply) are
// here, once; a store implements only its SQL.
type ComponentTx interface {
	ChangesetBase
	// StoredComponent reads one component (nil: not stored).
	StoredComponent(code string) (*Component, error)
	// InsertComponent stores c, which is not stored yet.
	InsertComponent(c *Component) error
	// UpdateComponent replaces the stored before by after (same code).
	UpdateComponent(before, after *Component) error
	// DeleteComponent removes the stored before.
	DeleteComponent(before *Component) error
}

// CheckVersion compares a stored component (nil: not stored) with the
// version the caller read (AnyVersion: any): a mismatch is a
// *PreconditionError, a missing component ErrNotFound.
func CheckVersion(code string, cur *Component, expected int64) error {
	if cur == nil {
		if expected != AnyVersion {
			return &PreconditionError{Layer: LayerComponents, Code: code, Expected: expected}
		}
		return fmt.Errorf("component %s: %w", code, ErrNotFound)
	}
	if expected != AnyVersion && cur.Version != expected {
		return &PreconditionError{Layer: LayerComponents, Code: code, Expected: expected, Current: cur.Version, Exists: true}
	}
	return nil
}

// CreateComponentIn stores a new component: the store derives its code,
// unit grid and change time; its version follows the last its code ever
// had, so a deleted code's history goes on.
func CreateComponentIn(tx ComponentTx, c Component) error {
	if err := tx.Prepare(&c, "", map[string]int{}); err != nil {
		return err
	}
	cur, err := tx.StoredComponent(c.Code)
	if err != nil {
		return err
	}
	if cur != nil {
		return fmt.Errorf("component %s is already stored (version %d): %w", c.Code, cur.Version, ErrConflict)
	}
	last, err := tx.LastVersion(c.Code)
	if err != nil {
		return err
	}
	c.Version = last + 1
	return tx.InsertComponent(&c)
}

// PatchComponentIn changes the stored component code, read at version
// expected, by patch; the code cannot change.
func PatchComponentIn(tx ComponentTx, code string, expected int64, patch func(*Component) error) error {
	cur, err := tx.StoredComponent(code)
	if err != nil {
		return err
	}
	if err := CheckVersion(code, cur, expected); err != nil {
		return err
	}
	next := *cur
	if err := patch(&next); err != nil {
		return err
	}
	if next.Code != code {
		return ValidationErrors{{Field: "code", Reason: fmt.Sprintf("is %s in the body but %s in the path; a code cannot change", next.Code, code)}}
	}
	if err := tx.Prepare(&next, "", nil); err != nil {
		return err
	}
	next.Version = cur.Version + 1
	return tx.UpdateComponent(cur, &next)
}

// ReplaceComponent is the patch of a full update: everything but the code
// becomes c's.
func ReplaceComponent(c Component) func(*Component) error {
	return func(cur *Component) error {
		code := cur.Code
		*cur = c
		cur.Code = code
		return nil
	}
}

// DeleteComponentIn removes the stored component code read at version
// expected.
func DeleteComponentIn(tx ComponentTx, code string, expected int64) error {
	cur, err := tx.StoredComponent(code)
	if err != nil {
		return err
	}
	if err := CheckVersion(code, cur, expected); err != nil {
		return err
	}
	return tx.DeleteComponent(cur)
}

// ChangesetTx is a ComponentTx of a store that keeps uploaded changesets
// to apply later.
type ChangesetTx interface {
	ComponentTx
	// ChangesetStatus is a stored changeset's status ("" when not stored),
	// read so that a concurrent apply waits for this one.
	ChangesetStatus(id string) (string, error)
	// MarkChangesetApplied records that the stored changeset is applied.
	MarkChangesetApplied(id string) error
}

// ApplyChangeset applies cs in the one transaction write runs: a stored
// changeset (cs.ID) must not be applied yet and is marked applied with
// it. The plan is written only when every item is valid and none
// conflicts with a change made since the survey; otherwise the error is
// ValidationErrors, or ErrConflict naming the first conflict. The report
// is returned in every case, Applied only when write committed.
func ApplyChangeset(cs *Changeset, write func(func(ChangesetTx) error) ([]Change, error)) (*ChangesetReport, []Change, error) {
	var rep *ChangesetReport
	changes, err := write(func(tx ChangesetTx) error {
		if cs.ID != "" {
			status, err := tx.ChangesetStatus(cs.ID)
			if err != nil {
				return err
			}
			if status == ChangesetApplied {
				return fmt.Errorf("changeset %s is already applied: %w", cs.ID, ErrConflict)
			}
		}
		r, err := applyPlan(tx, cs)
		rep = r
		if err != nil {
			return err
		}
		if cs.ID != "" {
			if err := tx.MarkChangesetApplied(cs.ID); err != nil {
				return err
			}
		}
		r.Applied = true
		return nil
	})
	if err != nil {
		if rep != nil {
			rep.Applied = false
		}
		return rep, nil, err
	}
	return rep, changes, nil
}

// applyPlan plans cs in tx and writes the plan when it is applicable.
func applyPlan(tx ComponentTx, cs *Changeset) (*ChangesetReport, error) {
	r, plan, err := PlanChangeset(cs, tx)
	if err != nil {
		return r, err
	}
	if len(r.Invalid) > 0 {
		return r, r.Invalid
	}
	if len(r.Conflicts) > 0 {
		c := r.Conflicts[0]
		return r, fmt.Errorf("changeset: %d features changed in the store since the survey (first: %s %s: %s): %w",
			len(r.Conflicts), c.Where, c.Code, c.Reason, ErrConflict)
	}
	for _, p := range plan {
		var err error
		switch p.Op {
		case CSAdd:
			err = tx.InsertComponent(p.After)
		case CSModify:
			err = tx.UpdateComponent(p.Before, p.After)
		case CSDelete:
			err = tx.DeleteComponent(p.Before)
		}
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// Changeset status values of a stored changeset.
const (
	ChangesetPending = "pending"
	ChangesetApplied = "applied"
)

// NextComponentCode assigns the next free sequence of county+category.
// taken counts the sequences assigned so far in this transaction by
// prefix; last reads the largest code of a prefix the store ever held
// (deleted ones included, so a code is never reused; "" for none).
func NextComponentCode(county, category string, taken map[string]int, last func(lo, hi string) (string, error)) (string, error) {
	prefix := county + category
	if n, ok := taken[prefix]; ok {
		taken[prefix] = n + 1
		return ComponentCode(county, category, n+1), nil
	}
	l, err := last(prefix+"000000", prefix+"999999")
	if err != nil {
		return "", err
	}
	n := 0
	if l != "" {
		n, _ = strconv.Atoi(l[len(prefix):])
	}
	if n >= 999999 {
		return "", &ValidationError{Field: "code", Reason: fmt.Sprintf("every sequence of %s is used", prefix)}
	}
	taken[prefix] = n + 1
	return ComponentCode(county, category, n+1), nil
}

// changesetDoc is how a stored changeset keeps its items.
type changesetDoc struct {
	BaseTime string    `json:"base_time,omitempty"`
	Items    []itemDoc `json:"items"`
}

type itemDoc struct {
	Op          string          `json:"op,omitempty"`
	Where       string          `json:"where,omitempty"`
	BaseVersion int64           `json:"base_version,omitempty"`
	Fields      []string        `json:"fields,omitempty"`
	AllFields   bool            `json:"all_fields,omitempty"`
	Component   json.RawMessage `json:"component"`
}

// StoredChangeset is a changeset as a store keeps it to apply later.
type StoredChangeset struct {
	ID string
	// BaseTime is the changeset's base time in RFC 3339, "" for none.
	BaseTime string
	// Items is the JSON document of the items.
	Items []byte
}

// EncodeChangeset gives cs a new ID (cs_ and 24 hex digits) and encodes
// it for storing.
func EncodeChangeset(cs *Changeset) (StoredChangeset, error) {
	var buf [12]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return StoredChangeset{}, err
	}
	doc := changesetDoc{Items: make([]itemDoc, len(cs.Items))}
	if !cs.BaseTime.IsZero() {
		doc.BaseTime = cs.BaseTime.UTC().Format(time.RFC3339Nano)
	}
	for i := range cs.Items {
		it := &cs.Items[i]
		c, err := MarshalComponentDoc(&it.Component)
		if err != nil {
			return StoredChangeset{}, err
		}
		d := itemDoc{Op: string(it.Op), Where: it.Where, BaseVersion: it.BaseVersion, Component: c, AllFields: it.Fields == nil}
		for f := range it.Fields {
			d.Fields = append(d.Fields, f)
		}
		sort.Strings(d.Fields)
		doc.Items[i] = d
	}
	blob, err := json.Marshal(doc)
	if err != nil {
		return StoredChangeset{}, err
	}
	return StoredChangeset{ID: "cs_" + hex.EncodeToString(buf[:]), BaseTime: doc.BaseTime, Items: blob}, nil
}

// DecodeChangeset reads the stored items of changeset id.
func DecodeChangeset(id string, items []byte) (*Changeset, error) {
	var doc changesetDoc
	if err := json.Unmarshal(items, &doc); err != nil {
		return nil, fmt.Errorf("changeset %s: %w", id, err)
	}
	cs := &Changeset{ID: id, Items: make([]ChangesetItem, len(doc.Items))}
	if doc.BaseTime != "" {
		t, err := time.Parse(time.RFC3339Nano, doc.BaseTime)
		if err != nil {
			return nil, fmt.Errorf("changeset %s: %w", id, err)
		}
		cs.BaseTime = t
	}
	for i, d := range doc.Items {
		c, err := UnmarshalComponentDoc(d.Component)
		if err != nil {
			return nil, fmt.Errorf("changeset %s: %w", id, err)
		}
		it := ChangesetItem{Op: ChangesetOp(d.Op), Where: d.Where, BaseVersion: d.BaseVersion, Component: *c}
		if !d.AllFields {
			it.Fields = map[string]bool{}
			for _, f := range d.Fields {
				it.Fields[f] = true
			}
		}
		cs.Items[i] = it
	}
	return cs, nil
}

// FeaturesAsOf is a layer as it was at some time: the current features
// (streamed by scan), with every feature then names put back as it was
// (nil: not there then), in code order.
func FeaturesAsOf[T any](then map[string]*T, code func(*T) string, scan func(keep func(*T)) error) ([]T, error) {
	var out []T
	err := scan(func(f *T) {
		if _, changed := then[code(f)]; !changed {
			out = append(out, *f)
		}
	})
	if err != nil {
		return nil, err
	}
	for _, f := range then {
		if f != nil {
			out = append(out, *f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return code(&out[i]) < code(&out[j]) })
	return out, nil
}

// AsOf gives a store the as-of reads of Editor and UnitGridHistory from
// its two layer reads. A layer as it was at t is the current features,
// with every feature changed after t put back as it was before its first
// change after t: retired grids and deleted components come back, those
// created since are left out; features imported (not edited) count as
// present since the store began. Answers are in code order.
type AsOf struct {
	// Components reads the component layer as it was at t; only code
	// when not "".
	Components func(ctx context.Context, t time.Time, code string) ([]Component, error)
	// UnitGrids reads the unit-grid layer likewise.
	UnitGrids func(ctx context.Context, t time.Time, code string) ([]UnitGrid, error)
}

// ComponentsAsOf reads the component layer as it was at t.
func (a AsOf) ComponentsAsOf(ctx context.Context, t time.Time) ([]Component, error) {
	return a.Components(ctx, t, "")
}

// ComponentAsOf reads one component as it was at t (ErrNotFound when it
// did not exist then).
func (a AsOf) ComponentAsOf(ctx context.Context, code string, t time.Time) (Component, error) {
	cs, err := a.Components(ctx, t, code)
	return featureAsOf(cs, err, "component", code, t)
}

// UnitGridsAsOf reads the unit-grid layer as it was at t.
func (a AsOf) UnitGridsAsOf(ctx context.Context, t time.Time) ([]UnitGrid, error) {
	return a.UnitGrids(ctx, t, "")
}

// UnitGridAsOf reads one unit grid as it was at t (ErrNotFound when it
// did not exist then).
func (a AsOf) UnitGridAsOf(ctx context.Context, code string, t time.Time) (UnitGrid, error) {
	gs, err := a.UnitGrids(ctx, t, code)
	return featureAsOf(gs, err, "unit grid", code, t)
}

// featureAsOf is the one feature an as-of read of code found.
func featureAsOf[T any](fs []T, err error, what, code string, t time.Time) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	if len(fs) == 0 {
		return zero, fmt.Errorf("%s %s as of %s: %w", what, code, t.UTC().Format(time.RFC3339), ErrNotFound)
	}
	return fs[0], nil
}
