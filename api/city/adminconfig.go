package city

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"citygrid/api/city/caseboard"
	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/stats"
)

// The administrators' configuration documents, versioned in the case
// store next to the workflow's own: every change is attributed (the
// user), listed (ConfigVersions) and can be rolled back by storing an
// earlier version's body again.
const (
	// ConfigAutoDispatch switches automatic dispatch per small class
	// (cases.AutoDispatch).
	ConfigAutoDispatch = "auto_dispatch"
	// ConfigRules is the responsibility rule table (RulesDoc); once stored
	// it replaces the table imported with the city.
	ConfigRules = "rules"
	// ConfigCatalogue is the category catalogue, in the catalogue file
	// format of data/catalogue (names, default units, deadline classes);
	// once stored it replaces the catalogue imported with the city.
	ConfigCatalogue = "catalogue"
	// ConfigScoring is the evaluation's weights and grade bands
	// (stats.Scoring), also kept in the store's metadata where the board
	// reads it at start-up.
	ConfigScoring = "scoring"
)

// RulesDoc is the rule table document.
type RulesDoc struct {
	Rules []data.RuleDoc `json:"rules"`
}

// RulesDocOf is the document of a rule table.
func RulesDocOf(rules []data.Rule) RulesDoc {
	d := RulesDoc{Rules: make([]data.RuleDoc, len(rules))}
	for i, r := range rules {
		d.Rules[i] = data.DocOf(r)
	}
	return d
}

// decodeRules reads and checks a rule table document against the city.
func (w *Workflow) decodeRules(body []byte) ([]data.Rule, error) {
	var d RulesDoc
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, &data.ValidationError{Field: "rules", Reason: err.Error()}
	}
	rules := make([]data.Rule, len(d.Rules))
	for i, r := range d.Rules {
		rules[i] = r.Rule()
	}
	if w.ix != nil {
		if err := w.ix.CheckRules(rules); err != nil {
			return nil, err
		}
	}
	return rules, nil
}

// decodeCatalogue reads a catalogue file and checks its departments
// against the city.
func (w *Workflow) decodeCatalogue(body []byte) ([]data.Category, error) {
	cats, err := data.ReadCatalogue(bytes.NewReader(body))
	if err != nil {
		var ve data.ValidationErrors
		if errors.As(err, &ve) {
			return nil, ve
		}
		return nil, &data.ValidationError{Field: "catalogue", Reason: err.Error()}
	}
	if w.ix != nil {
		var es data.ValidationErrors
		for i, c := range cats {
			if _, ok := w.ix.Department(c.Department); !ok {
				es = append(es, &data.ValidationError{Field: fmt.Sprintf("categories[%d].department", i),
					Reason: fmt.Sprintf("unknown department %q", c.Department)})
			}
		}
		if err := es.Err(); err != nil {
			return nil, err
		}
	}
	return cats, nil
}

// applyAdminConfig applies one of the administrators' documents; false
// when name is none of them.
func (w *Workflow) applyAdminConfig(name string, body []byte) (bool, error) {
	switch name {
	case ConfigAutoDispatch:
		a := cases.DefaultAutoDispatch()
		if err := json.Unmarshal(body, a); err != nil {
			return true, err
		}
		return true, w.Service.SetAutoDispatch(a)
	case ConfigRules:
		rules, err := w.decodeRules(body)
		if err == nil && w.ix != nil {
			w.ix.SetRules(rules)
		}
		return true, err
	case ConfigScoring:
		var sc stats.Scoring
		if err := json.Unmarshal(body, &sc); err != nil {
			return true, err
		}
		if err := sc.Validate(); err != nil {
			return true, &data.ValidationError{Field: "body", Reason: err.Error()}
		}
		if b := w.board.Load(); b != nil {
			return true, b.SetScoring(context.Background(), sc)
		}
		return true, nil
	case ConfigCatalogue:
		cats, err := w.decodeCatalogue(body)
		if err == nil && w.ix != nil {
			w.ix.SetCategories(cats)
			w.setCatalogue(cats)
		}
		return true, err
	}
	return false, nil
}

// currentAdminConfig is the administrators' document in use; false when
// name is none of them.
func (w *Workflow) currentAdminConfig(name string) (any, bool) {
	switch name {
	case ConfigAutoDispatch:
		return w.Service.AutoDispatch(), true
	case ConfigScoring:
		if b := w.board.Load(); b != nil {
			return b.Scoring(), true
		}
		return stats.DefaultScoring(), true
	case ConfigRules:
		if w.ix == nil {
			return RulesDoc{Rules: []data.RuleDoc{}}, true
		}
		return RulesDocOf(w.ix.Rules()), true
	case ConfigCatalogue:
		if w.ix == nil {
			return json.RawMessage(`{"categories":[]}`), true
		}
		b, err := data.CatalogueJSON(w.ix.Dataset().Categories)
		if err != nil {
			return nil, false
		}
		return json.RawMessage(b), true
	}
	return nil, false
}

// recordScoring makes every scoring change through the statistics API a
// version of the scoring document: attributed, in the audit log, and
// reversible like the others.
func (w *Workflow) recordScoring(b *caseboard.Board) {
	w.board.Store(b)
	b.SetScoringRecorder(func(ctx context.Context, body []byte, user string) error {
		if _, err := w.Store.PutConfig(ctx, ConfigScoring, body, user, 0); err != nil {
			return err
		}
		return w.ApplyConfig(ConfigScoring, body)
	})
}

// setCatalogue makes the service take deadline classes from cats.
func (w *Workflow) setCatalogue(cats []data.Category) {
	f := cases.CatalogueLookup(cats)
	w.catalogue.Store(&f)
}

// lookupCategory is the service's Category: the catalogue in use, which
// an administrator may replace while cases are reported.
func (w *Workflow) lookupCategory(kind data.CategoryKind, code string) (data.Category, bool) {
	f := w.catalogue.Load()
	if f == nil {
		return data.Category{}, false
	}
	return (*f)(kind, code)
}
