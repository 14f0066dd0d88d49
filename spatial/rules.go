package spatial

import "citygrid/data"

// SetRules replaces the responsibility rule table, for a rule table edited
// or imported while the server runs. Lookups running meanwhile see the old
// table or the new one, never a mixture. The index keeps rules, so the
// caller must not modify it afterwards.
func (ix *Index) SetRules(rules []data.Rule) {
	byCat := make(map[string][]uint32, len(rules))
	for i, r := range rules {
		byCat[r.Category] = append(byCat[r.Category], uint32(i))
	}
	ix.live.lock()
	defer ix.live.unlock()
	ix.ds.Rules = rules
	ix.rulesByCat = byCat
}
