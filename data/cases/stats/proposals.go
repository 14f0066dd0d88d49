package stats

import (
	"cmp"
	"slices"
	"time"

	"citygrid/data/cases"
)

// Proposal verdicts for a class's automatic dispatch.
const (
	ProposeOn   = "propose_on" // off, and its accuracy clears the threshold: switch it on
	FlagBelow   = "flag_below" // on, and its accuracy fell below the threshold: switch it off?
	KeepOn      = "keep_on"    // on and above the threshold
	KeepOff     = "keep_off"   // off and below the threshold
	TooFewCases = "too_few"    // fewer than MinCases dispatches in the window
)

// Proposal is the verdict on one small class.
type Proposal struct {
	Class    string      `json:"class"`
	On       bool        `json:"on"`
	Verdict  string      `json:"verdict"`
	Window   AccuracyRow `json:"window"`
	Accuracy *float64    `json:"accuracy"`
}

// Proposals judges every class with dispatched cases against the auto
// dispatch document: its last a.Window first dispatches before end, their
// accuracy against a.Threshold. Classes proposed or flagged come first,
// then by class.
func (t *AccuracyTable) Proposals(a *cases.AutoDispatch, end time.Time) []Proposal {
	out := []Proposal{}
	for k, r := range t.Recent(a.Window, end) {
		kind, code := splitClass(k)
		p := Proposal{Class: k, On: a.On(kind, code), Window: r, Accuracy: r.Accuracy}
		above := r.Accuracy != nil && *r.Accuracy >= a.Threshold
		switch {
		case r.Dispatched < a.MinCases:
			p.Verdict = TooFewCases
		case !p.On && above:
			p.Verdict = ProposeOn
		case p.On && !above:
			p.Verdict = FlagBelow
		case p.On:
			p.Verdict = KeepOn
		default:
			p.Verdict = KeepOff
		}
		out = append(out, p)
	}
	urgent := func(v string) int {
		if v == ProposeOn || v == FlagBelow {
			return 0
		}
		return 1
	}
	slices.SortFunc(out, func(x, y Proposal) int {
		if c := cmp.Compare(urgent(x.Verdict), urgent(y.Verdict)); c != 0 {
			return c
		}
		return cmp.Compare(x.Class, y.Class)
	})
	return out
}
