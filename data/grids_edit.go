package data

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// GridWriter is a store's write transaction as the unit-grid edits use it;
// SplitUnitGridIn and MergeUnitGridsIn hold the rules, the stores only the
// SQL.
type GridWriter interface {
	// UnitGrid reads one stored grid (an error wrapping ErrNotFound when
	// it is not stored).
	UnitGrid(code string) (*UnitGrid, error)
	// LastGridCode is the largest code a unit grid of the community ever
	// had, retired ones included (codes are never reused); "" for none.
	LastGridCode(community string) (string, error)
	DeleteUnitGrid(g *UnitGrid) error
	InsertUnitGrid(g *UnitGrid) error
	// Reattribute moves the components of the retired grids to the new
	// ones (the store reads them and calls ReattributeComponents).
	Reattribute(retired []string, news []*UnitGrid) error
	// DefaultReason is the history reason when the editor gave none.
	DefaultReason(reason string)
}

// lastGridSequence is the highest sequence the community's grid codes
// ever had.
func lastGridSequence(w GridWriter, community string) (int, error) {
	last, err := w.LastGridCode(community)
	if err != nil || len(last) <= len(community) {
		return 0, err
	}
	n, err := strconv.Atoi(last[len(community):])
	if err != nil {
		return 0, fmt.Errorf("unit grid code %s: %w", last, err)
	}
	return n, nil
}

// ReattributeComponents moves comps, the components of the retired grids,
// to the new grid containing them (ReattributeTo; one on none goes to any
// other grid of ref containing it) through update, each as a new version
// changed at.
func ReattributeComponents(comps []Component, retired []string, news []*UnitGrid, ref *EditReference, at time.Time, update func(before, after *Component) error) error {
	gone := map[string]bool{}
	for _, c := range retired {
		gone[c] = true
	}
	elsewhere := func(p orb.Point) string { return ref.GridAt(p, gone) }
	for i := range comps {
		cur := &comps[i]
		next := *cur
		next.UnitGrid, next.ChangedAt, next.Version = ReattributeTo(cur.Geometry, news, elsewhere), at, cur.Version+1
		if err := update(cur, &next); err != nil {
			return err
		}
	}
	return nil
}

// SplitUnitGridIn replaces the unit grid code by parts: the old grid is
// retired, the parts (checked and ordered by SplitParts) take the next
// unused sequences of the community, and the old grid's components move
// to the parts containing them.
func SplitUnitGridIn(w GridWriter, code string, parts []orb.MultiPolygon) error {
	old, err := w.UnitGrid(code)
	if err != nil {
		return err
	}
	ordered, err := SplitParts(old, parts)
	if err != nil {
		return err
	}
	w.DefaultReason("unit grid " + code + " split")
	seq, err := lastGridSequence(w, old.Community)
	if err != nil {
		return err
	}
	if seq+len(ordered) > 999 {
		return ValidationErrors{{Field: "parts", Reason: fmt.Sprintf("community %s has no free unit-grid sequence left", old.Community)}}
	}
	if err := w.DeleteUnitGrid(old); err != nil {
		return err
	}
	news := make([]*UnitGrid, len(ordered))
	for i, p := range ordered {
		g := &UnitGrid{Code: old.Community + fmt.Sprintf("%03d", seq+1+i), Community: old.Community, Geometry: OrientRFC7946(p)}
		g.AreaM2 = AreaM2(g.Geometry)
		if err := w.InsertUnitGrid(g); err != nil {
			return err
		}
		news[i] = g
	}
	return w.Reattribute([]string{code}, news)
}

// MergeUnitGridsIn replaces grids of one community by their union (shared
// edges dissolved) under the next unused sequence of the community and
// moves their components to it.
func MergeUnitGridsIn(w GridWriter, codes []string) error {
	if len(codes) < 2 {
		return ValidationErrors{{Field: "codes", Reason: fmt.Sprintf("a merge needs at least 2 unit grids, has %d", len(codes))}}
	}
	var olds []*UnitGrid
	seen := map[string]bool{}
	var all orb.MultiPolygon
	for _, c := range codes {
		if seen[c] {
			return ValidationErrors{{Field: "codes", Reason: fmt.Sprintf("%s is given twice", c)}}
		}
		seen[c] = true
		g, err := w.UnitGrid(c)
		if err != nil {
			return err
		}
		if len(olds) > 0 && g.Community != olds[0].Community {
			return ValidationErrors{{Field: "codes", Reason: fmt.Sprintf("%s lies in community %s but %s in %s: a unit grid never crosses a community border", c, g.Community, olds[0].Code, olds[0].Community)}}
		}
		olds = append(olds, g)
		all = append(all, g.Geometry...)
	}
	w.DefaultReason("unit grids " + strings.Join(codes, ", ") + " merged")
	community := olds[0].Community
	seq, err := lastGridSequence(w, community)
	if err != nil {
		return err
	}
	if seq >= 999 {
		return ValidationErrors{{Field: "codes", Reason: fmt.Sprintf("community %s has no free unit-grid sequence left", community)}}
	}
	for _, g := range olds {
		if err := w.DeleteUnitGrid(g); err != nil {
			return err
		}
	}
	merged := &UnitGrid{Code: community + fmt.Sprintf("%03d", seq+1), Community: community, Geometry: Dissolve(all)}
	merged.AreaM2 = AreaM2(merged.Geometry)
	if err := w.InsertUnitGrid(merged); err != nil {
		return err
	}
	return w.Reattribute(codes, []*UnitGrid{merged})
}
