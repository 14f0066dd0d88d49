package cases

import (
	"fmt"
	"strings"

	"citygrid/data"
)

// AutoDispatch switches automatic dispatch per small class (按小类开启自动派遣):
// a class switched off waits for the dispatcher with the ranked candidates
// even when its deciding rule is unambiguous. It is a versioned
// configuration document ("auto_dispatch") like the deadline table, so
// every switch is attributed and can be rolled back. The proposal fields
// say how the measured first-time accuracy (首派准确率) judges a class.
type AutoDispatch struct {
	// Classes switches classes, keyed kind/code (event/0101), on (true) or
	// off (false). A class not listed follows Default.
	Classes map[string]bool `json:"classes"`
	// Default is the switch of classes not listed: true keeps today's
	// behaviour (the deciding rule alone decides).
	Default bool `json:"default"`
	// Window is how many of a class's latest first dispatches are judged.
	Window int `json:"window"`
	// Threshold is the first-time accuracy (0–1) a class must reach over
	// the window to be proposed for auto-dispatch; a class switched on that
	// falls below it is flagged.
	Threshold float64 `json:"threshold"`
	// MinCases is the fewest dispatches in the window a proposal needs.
	MinCases int `json:"min_cases"`
}

// DefaultAutoDispatch has every class on, judged on its last 200 cases
// against 99 % (the reference cities' figure for the classes they trust),
// with at least 30 cases.
func DefaultAutoDispatch() *AutoDispatch {
	return &AutoDispatch{Classes: map[string]bool{}, Default: true, Window: 200, Threshold: 0.99, MinCases: 30}
}

// ClassKey is a small class's key in AutoDispatch.Classes.
func ClassKey(kind data.CategoryKind, code string) string { return string(kind) + "/" + code }

// On reports whether cases of the class are dispatched automatically.
func (a *AutoDispatch) On(kind data.CategoryKind, code string) bool {
	if v, ok := a.Classes[ClassKey(kind, code)]; ok {
		return v
	}
	return a.Default
}

// Check validates the document.
func (a *AutoDispatch) Check() error {
	var es data.ValidationErrors
	bad := func(f, r string) { es = append(es, &data.ValidationError{Field: f, Reason: r}) }
	for k := range a.Classes {
		kind, code, ok := strings.Cut(k, "/")
		if !ok || (kind != string(data.KindComponent) && kind != string(data.KindEvent)) || code == "" || len(code) > 16 {
			bad(fmt.Sprintf("classes[%q]", k), "kind/code, kind component or event")
		}
	}
	if a.Window < 1 || a.Window > 100000 {
		bad("window", "1 to 100000")
	}
	if !(a.Threshold > 0 && a.Threshold <= 1) {
		bad("threshold", "more than 0, at most 1")
	}
	if a.MinCases < 1 || a.MinCases > a.Window {
		bad("min_cases", "1 to window")
	}
	return es.Err()
}

// AutoDispatch returns the per-class switch in use.
func (s *Service) AutoDispatch() *AutoDispatch {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.auto == nil {
		return DefaultAutoDispatch()
	}
	return s.auto
}

// SetAutoDispatch replaces the per-class switch after checking it.
func (s *Service) SetAutoDispatch(a *AutoDispatch) error {
	if a.Classes == nil {
		a.Classes = map[string]bool{}
	}
	if err := a.Check(); err != nil {
		return err
	}
	s.mu.Lock()
	s.auto = a
	s.mu.Unlock()
	return nil
}
