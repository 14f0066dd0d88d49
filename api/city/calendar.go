package city

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"citygrid/data"
	"citygrid/data/cases"
)

// ArrangementLoad is what loading a year's holiday arrangement did.
type ArrangementLoad struct {
	Year int `json:"year"`
	// Version is the calendar document's new version, which keeps the
	// arrangement across restarts and hands it to other replicas.
	Version int64 `json:"version"`
	// Refreshed counts the open cases whose provisional deadlines were
	// recomputed.
	Refreshed int `json:"refreshed"`
}

// LoadArrangement puts a checked national holiday arrangement into the
// calendar: it stores the calendar with it as a new version of the
// "calendar" document (so it survives restarts and reaches every
// replica), uses it at once, and recomputes the provisional deadlines of
// the open cases.
func (w *Workflow) LoadArrangement(ctx context.Context, a cases.Arrangement, user string) (ArrangementLoad, error) {
	out := ArrangementLoad{Year: a.Year}
	for range 5 {
		var cur int64
		if d, err := w.Store.Config(ctx, "calendar", 0); err == nil {
			cur = d.Version
		} else if !errors.Is(err, data.ErrNotFound) {
			return out, err
		}
		n, err := w.Service.Calendar().WithArrangement(a)
		if err != nil {
			return out, err
		}
		body, err := json.Marshal(n)
		if err != nil {
			return out, fmt.Errorf("encode calendar: %w", err)
		}
		doc, err := w.Store.PutConfig(ctx, "calendar", body, user, cur)
		if errors.Is(err, data.ErrPrecondition) {
			continue // another admin stored a calendar meanwhile: build on theirs
		}
		if err != nil {
			return out, err
		}
		if err := w.ApplyConfig("calendar", body); err != nil {
			return out, err
		}
		out.Version = doc.Version
		out.Refreshed, err = w.Service.RefreshProvisional(ctx)
		return out, err
	}
	return out, fmt.Errorf("load holiday arrangement %d: the calendar kept changing: %w", a.Year, data.ErrConflict)
}

// ArrangementYear is one year of the calendar's national arrangements.
type ArrangementYear struct {
	Year      int    `json:"year"`
	Source    string `json:"source"` // cases.ArrangementBuiltin or cases.ArrangementLoaded
	Title     string `json:"title,omitempty"`
	Published string `json:"published,omitempty"`
}

// Arrangements lists the years the calendar in use has an arrangement for.
func (w *Workflow) Arrangements() []ArrangementYear {
	cal := w.Service.Calendar()
	byYear := map[int]cases.Arrangement{}
	for _, a := range cases.BuiltinArrangements() {
		byYear[a.Year] = a
	}
	for _, a := range cal.Arrangements {
		byYear[a.Year] = a
	}
	out := []ArrangementYear{}
	for _, y := range cal.ArrangedYears() {
		src, _ := cal.Arranged(y)
		a := byYear[y]
		out = append(out, ArrangementYear{Year: y, Source: src, Title: a.Title, Published: a.Published})
	}
	return out
}
