package replicas

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citygrid/data"
)

// TestOneComponentRacedThroughTwoReplicas: two surveyors, one on each
// replica, move one component from the same version (the same If-Match)
// at the same moment, several rounds: each round exactly one 200 and one
// 412 whose details name the winner's version; the store holds the
// winner's place, and both replicas' nearest converge on it within 1 s —
// the loser's replica too, whose index never held the losing move.
func TestOneComponentRacedThroughTwoReplicas(t *testing.T) {
	tokens := city(t)
	tok := tokens[data.RoleSurveyor]
	a := startReplica(t, "A", t.TempDir())
	b := startReplica(t, "B", t.TempDir())
	const i = 500
	code := coverCode(i)
	if st := a.create(tok, i); st != http.StatusCreated {
		t.Fatalf("create through A: %d", st)
	}
	waitUntil(t, "B sees the new cover", func() bool { return b.nearest(coverAt(i)) == code })

	version := int64(1)
	wins := map[string]int{}
	for round := 0; round < 6; round++ {
		// A goes east, B goes west, by round+1 lattice steps (5 m each).
		d := float64(round+1) * 0.00008
		p := coverAt(i)
		targets := []orb.Point{{p[0] + d, p[1]}, {p[0] - d, p[1]}}
		etag := data.ETag(code, version)
		statuses := make([]int, 2)
		currents := make([]int64, 2)
		var wg sync.WaitGroup
		for k, r := range []*replica{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%.9f,%.9f]},"properties":{}}`, targets[k][0], targets[k][1])
				var e struct {
					Error   string `json:"error"`
					Details struct {
						CurrentVersion int64 `json:"current_version"`
					} `json:"details"`
				}
				statuses[k], _ = r.do("PATCH", "/api/v1/components/"+code, tok, body, &e,
					"If-Match", etag, "Content-Type", "application/geo+json")
				currents[k] = e.Details.CurrentVersion
				if statuses[k] != http.StatusOK && statuses[k] != http.StatusPreconditionFailed {
					t.Errorf("replica %s: PATCH answered %d: %s", r.name, statuses[k], e.Error)
				}
			}()
		}
		wg.Wait()
		sorted := append([]int(nil), statuses...)
		sort.Ints(sorted)
		if sorted[0] != http.StatusOK || sorted[1] != http.StatusPreconditionFailed {
			t.Fatalf("round %d: PATCHes at one If-Match through A and B answered %v, want one 200 and one 412", round, statuses)
		}
		winner := 0
		if statuses[1] == http.StatusOK {
			winner = 1
		}
		wins[[]string{"A", "B"}[winner]]++
		if cur := currents[1-winner]; cur != version+1 {
			t.Errorf("round %d: the 412 names current version %d, want %d", round, cur, version+1)
		}
		version++
		won := targets[winner]
		start := time.Now()
		for _, r := range []*replica{a, b} {
			waitUntil(t, fmt.Sprintf("round %d: replica %s finds the winning move", round, r.name), func() bool {
				return r.nearest(won) == code && r.nearest(targets[1-winner]) == ""
			})
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("round %d: replicas converged on the winner after %v, want within 1 s", round, d)
		}
		var f struct{}
		for _, r := range []*replica{a, b} {
			if _, h := r.do("GET", "/api/v1/components/"+code, "", "", &f); h.Get("ETag") != data.ETag(code, version) {
				t.Errorf("round %d: replica %s serves ETag %s, want %s", round, r.name, h.Get("ETag"), data.ETag(code, version))
			}
		}
	}
	t.Logf("winners over 6 rounds: %v", wins)
	a.Stop()
	b.Stop()
}
