package cases

import (
	"context"
	"fmt"

	"citygrid/data"
)

// History is a case record in bulk: cases with their transitions, the
// attachment records and configuration versions. It is what a generated
// demo history is and what moves when a city's cases change store; only
// the case stores write it into their tables (HistoryImporter).
type History struct {
	Cases       []Case
	Transitions []Transition
	Attachments []Attachment
	// Configs are configuration versions with their bodies.
	Configs []ConfigDoc
}

// ImportMode says how a history joins the cases a store holds.
type ImportMode int

const (
	// AppendHistory gives the history's cases new ids that follow the
	// store's own, so a generated history can join live cases. It takes
	// cases and transitions only: attachments and configuration belong to
	// a restore.
	AppendHistory ImportMode = iota
	// RestoreHistory keeps every id and version into a store that holds
	// no case and no configuration yet; the store's ids go on after the
	// restored ones.
	RestoreHistory
)

// HistoryImporter is a case store that writes a whole history in one
// transaction, with bulk statements where one Create per case would take
// minutes. Numbers, versions and seqs are kept, no change listener is
// called, and nothing is written on error. With AppendHistory the new ids
// are written back into h.
type HistoryImporter interface {
	ImportHistory(ctx context.Context, h *History, mode ImportMode) error
}

// ConfigNames are the configuration documents the workflow keeps
// (deadline table, working-time calendar, settings).
var ConfigNames = []string{"calendar", "deadlines", "settings"}

// ExportHistory reads everything src holds: every case with its
// transitions and attachment records, and every version of the
// configuration documents names (nil: ConfigNames).
func ExportHistory(ctx context.Context, src ServerStore, names []string) (*History, error) {
	if names == nil {
		names = ConfigNames
	}
	h := &History{}
	if err := src.All(ctx, func(c *Case) bool {
		h.Cases = append(h.Cases, *c)
		return true
	}); err != nil {
		return nil, fmt.Errorf("export cases: %w", err)
	}
	for _, c := range h.Cases {
		ts, err := src.Transitions(ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("export cases: %w", err)
		}
		h.Transitions = append(h.Transitions, ts...)
		as, err := src.Attachments(ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("export cases: %w", err)
		}
		h.Attachments = append(h.Attachments, as...)
	}
	for _, name := range names {
		vs, err := src.ConfigVersions(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("export config %s: %w", name, err)
		}
		for i := len(vs) - 1; i >= 0; i-- {
			d, err := src.Config(ctx, name, vs[i].Version)
			if err != nil {
				return nil, fmt.Errorf("export config %s: %w", name, err)
			}
			h.Configs = append(h.Configs, d)
		}
	}
	return h, nil
}

// Check reports what no store can import: a transition or attachment of
// a case not in the history, or (appending) attachments or configuration.
func (h *History) Check(mode ImportMode) error {
	if mode == AppendHistory && (len(h.Attachments) > 0 || len(h.Configs) > 0) {
		return &data.ValidationError{Where: "import cases", Field: "attachments", Reason: "attachments and configuration are restored, not appended"}
	}
	known := make(map[int64]bool, len(h.Cases))
	for i := range h.Cases {
		known[h.Cases[i].ID] = true
	}
	for _, t := range h.Transitions {
		if !known[t.CaseID] {
			return &data.ValidationError{Where: "import cases", Field: "transitions", Reason: fmt.Sprintf("transition %d of unknown case %d", t.Seq, t.CaseID)}
		}
	}
	for _, a := range h.Attachments {
		if !known[a.CaseID] {
			return &data.ValidationError{Where: "import cases", Field: "attachments", Reason: fmt.Sprintf("attachment %s of unknown case %d", a.Name, a.CaseID)}
		}
	}
	return nil
}

// Renumber gives the history's cases the ids a store allotted (ids[i] to
// Cases[i]) and moves their transitions with them; a number made from
// the id (CaseNumber) is made anew from the new id.
func (h *History) Renumber(ids []int64) {
	newID := make(map[int64]int64, len(h.Cases))
	for i := range h.Cases {
		c := &h.Cases[i]
		newID[c.ID] = ids[i]
		if c.Number == CaseNumber(NumberPrefix, c.ReportedAt, c.ID) {
			// A number made from the id follows it, or it would meet the
			// number of the live case that holds the old id.
			c.Number = CaseNumber(NumberPrefix, c.ReportedAt, ids[i])
		}
		c.ID = ids[i]
	}
	for i := range h.Transitions {
		h.Transitions[i].CaseID = newID[h.Transitions[i].CaseID]
	}
}
