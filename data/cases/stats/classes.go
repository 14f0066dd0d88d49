package stats

import (
	"fmt"
	"slices"
)

// Classes put the groups of a dimension into classes that are ranked
// apart (分类排名): cities rank their streets in classes A–E by how urban
// they are, and their departments in classes A–C by what they handle.
// The keys are dimension names (street, community, unit, department), the
// values map a group's key to its class.
type Classes map[string]map[string]string

// classLetters are the classes a dimension's groups may be put in.
func classLetters(dim string) []string {
	switch dim {
	case "street", "community", "grid":
		return []string{"A", "B", "C", "D", "E"}
	case "unit", "department":
		return []string{"A", "B", "C"}
	}
	return nil
}

// Validate checks the dimensions and the classes: A–E for regions, A–C
// for units and departments.
func (c Classes) Validate() error {
	for dim, m := range c {
		letters := classLetters(dim)
		if letters == nil {
			return fmt.Errorf("stats: classes: %q is not street, community, grid, unit or department", dim)
		}
		for key, cl := range m {
			if key == "" || !slices.Contains(letters, cl) {
				return fmt.Errorf("stats: classes of %s: %q is in class %q, not one of %v", dim, key, cl, letters)
			}
		}
	}
	return nil
}

// rankClasses sets Class and ClassRank on the rows of a classed
// dimension: each class ranked on its own, by the same order as Rank.
func rankClasses(rows []Row, classOf map[string]string, scored bool, minSample int, byReported bool) {
	if len(classOf) == 0 {
		return
	}
	byClass := map[string][]int{}
	for i := range rows {
		if cl, ok := classOf[rows[i].Key]; ok {
			rows[i].Class = cl
			byClass[cl] = append(byClass[cl], i)
		}
	}
	for _, idx := range byClass {
		sub := make([]Row, len(idx))
		for j, i := range idx {
			sub[j] = rows[i]
			sub[j].Rank = 0
		}
		rankRows(sub, scored, minSample, byReported)
		for j, i := range idx {
			rows[i].ClassRank = sub[j].Rank
		}
	}
}
