package data

import (
	"encoding/json"
	"fmt"
)

// CatalogueJSON writes categories as a catalogue file (the format
// ReadCatalogue reads), big classes taken from the categories' Big and
// BigName: the export an administrator edits and imports again.
func CatalogueJSON(cats []Category) ([]byte, error) {
	f := catalogueFile{BigClasses: []catalogueBig{}, Categories: make([]catalogueEntry, 0, len(cats))}
	seen := map[string]bool{}
	for _, c := range cats {
		if f.Scheme == "" {
			f.Scheme = c.Scheme
		} else if c.Scheme != "" && c.Scheme != f.Scheme {
			return nil, fmt.Errorf("catalogue: categories of schemes %s and %s", f.Scheme, c.Scheme)
		}
		if k := string(c.Kind) + "/" + c.Big; c.Big != "" && !seen[k] {
			seen[k] = true
			f.BigClasses = append(f.BigClasses, catalogueBig{Kind: c.Kind, Code: c.Big, Name: c.BigName})
		}
		f.Categories = append(f.Categories, catalogueEntry{Kind: c.Kind, Code: c.Code, Name: c.Name, Geometry: c.Geometry,
			Department: c.Department, DeadlineClass: c.DeadlineClass})
	}
	return json.MarshalIndent(f, "", "  ")
}
