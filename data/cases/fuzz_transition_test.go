package cases_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/sqlitecases"
	"citygrid/data/gpkg"

	"github.com/paulmach/orb"
)

// fuzzResolver places every point in one grid and sends every case to
// unit U2 without auto-dispatch.
type fuzzResolver struct{}

func (fuzzResolver) Locate(orb.Point) (cases.Place, error) {
	return cases.Place{Covered: true, UnitGrid: "G1", Community: "C1", Street: "S1", District: "D1"}, nil
}

func (fuzzResolver) Responsible(orb.Point, data.CategoryKind, string, string) (cases.Decision, error) {
	return cases.Decision{Unit: "U2", Rule: "category_department", Candidates: []cases.Candidate{{Unit: "U2", Rank: 1}}}, nil
}

// fuzzPrincipals are the actors a fuzz input picks from: every role, and a
// unit handler of the case's unit and one of another unit.
var fuzzPrincipals = []data.Principal{
	{User: "v", Role: data.RoleViewer}, {User: "c", Role: data.RoleCitizen}, {User: "i", Role: data.RoleInspector},
	{User: "o", Role: data.RoleOperator}, {User: "s", Role: data.RoleSupervisor}, {User: "d", Role: data.RoleDispatcher},
	{User: "u2", Role: data.RoleUnit, Unit: "U2"}, {User: "u9", Role: data.RoleUnit, Unit: "U9"},
	{User: "y", Role: data.RoleSurveyor}, {User: "a", Role: data.RoleAdmin},
}

var fuzzCases atomic.Int64

// fuzzService is one service over a temporary store for the whole run.
var fuzzService = sync.OnceValues(func() (*cases.Service, error) {
	dir, err := os.MkdirTemp("", "fuzz-cases-")
	if err != nil {
		return nil, err
	}
	g, err := gpkg.Open(context.Background(), filepath.Join(dir, "c.gpkg"))
	if err != nil {
		return nil, err
	}
	st, err := sqlitecases.New(context.Background(), g.DB())
	if err != nil {
		return nil, err
	}
	return cases.NewService(st, fuzzResolver{}), nil
})

// FuzzTransition drives a fresh case through a sequence of actions chosen
// by the input (each byte: an action of the machine and an actor), then
// applies an arbitrary JSON transition body as the API would receive it.
// Whatever the input: no panic; a refusal is a typed domain error (400,
// 403, 404 or 409 — never a 500) and leaves the case as it was; an
// accepted action is one the machine allows from the case's state for the
// actor's role, and the recorded transition goes from that state to the
// case's new state with a higher version. Seeds live in
// testdata/fuzz/FuzzTransition.
func FuzzTransition(f *testing.F) {
	f.Add([]byte{0x00, 0x14, 0x25}, []byte(`{"action":"dispatch","unit":"U2"}`), uint8(5))
	f.Add([]byte{}, []byte(`{"action":"verify"}`), uint8(2))
	f.Add([]byte{0x00}, []byte(`{"action":"cancel","note":"  "}`), uint8(4))
	f.Add([]byte{0x00, 0x14, 0x35, 0x46}, []byte(`{"action":"return","note":"not ours"}`), uint8(7))
	f.Add([]byte{0x00}, []byte(`{"action":"request_extension","amount":-1e308,"note":"x"}`), uint8(6))
	f.Add([]byte{}, []byte(`{"action":"verify","version":99}`), uint8(9))
	f.Fuzz(func(t *testing.T, script, body []byte, actor uint8) {
		svc, err := fuzzService()
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		// Far from every earlier fuzz case, so the report is not linked
		// to one as a duplicate.
		n := fuzzCases.Add(1)
		lon, lat := 100+float64(n%5000)*0.01, 20+float64(n/5000)*0.01
		c, err := svc.Report(ctx, data.Principal{User: "c", Role: data.RoleCitizen}, cases.NewCase{Kind: data.KindEvent, Category: "0101", Lon: &lon, Lat: &lat, Description: "fuzz"})
		if err != nil {
			t.Fatalf("report: %v", err)
		}
		if c.DuplicateOf != 0 {
			return // linked to an earlier fuzz case: nothing to act on
		}
		if len(script) > 16 {
			script = script[:16]
		}
		for _, b := range script {
			rule := cases.Machine[int(b)%len(cases.Machine)]
			p := fuzzPrincipals[int(b>>4)%len(fuzzPrincipals)]
			_, _, _ = svc.Act(ctx, p, c.ID, cases.ActionRequest{Action: rule.Action, Note: "n", Unit: "U2", Amount: 1})
		}
		var req cases.ActionRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return // the API answers 400 before the service sees it
		}
		p := fuzzPrincipals[int(actor)%len(fuzzPrincipals)]
		before, err := svc.Store.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		after, tr, err := svc.Act(ctx, p, c.ID, req)
		if err != nil {
			var ve *data.ValidationError
			var ves data.ValidationErrors
			var ce *cases.ConflictError
			if !errors.As(err, &ve) && !errors.As(err, &ves) && !errors.As(err, &ce) &&
				!errors.Is(err, data.ErrForbidden) && !errors.Is(err, data.ErrNotFound) && !errors.Is(err, data.ErrConflict) {
				t.Fatalf("%s by %s from %s: untyped error %v (would be a 500)", req.Action, p.Role, before.State, err)
			}
			now, gerr := svc.Store.Get(ctx, c.ID)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if now.Version != before.Version || now.State != before.State {
				t.Fatalf("refused %s changed the case: %s v%d → %s v%d", req.Action, before.State, before.Version, now.State, now.Version)
			}
			return
		}
		allowed := cases.AllowedFor(before.State, p.Role)
		if p.Role == data.RoleAdmin {
			allowed = cases.Allowed(before.State)
		}
		if !slices.Contains(allowed, req.Action) {
			t.Fatalf("%s by %s accepted from %s, which allows %v", req.Action, p.Role, before.State, allowed)
		}
		if tr == nil || tr.From != before.State || tr.To != after.State || after.Version <= before.Version {
			t.Fatalf("%s: transition %s, case %s v%d → %s v%d", req.Action, fmt.Sprint(tr), before.State, before.Version, after.State, after.Version)
		}
	})
}
