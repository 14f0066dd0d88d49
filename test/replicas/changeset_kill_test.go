package replicas

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/pgstore"
)

// storeHas counts the components of codes the store holds.
func storeHas(t *testing.T, codes map[string]bool) (int, int) {
	t.Helper()
	ctx := context.Background()
	st, err := pgstore.Open(ctx, pgURL, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ds, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range ds.Components {
		if codes[c.Code] {
			n++
		}
	}
	return n, len(ds.Components)
}

// TestReplicaKilledMidChangeset: replica A is SIGKILLed while it applies a
// 2,000-feature survey changeset (the request in flight); the changeset
// is in the store whole or not at all, replica B ends with exactly what the
// store holds (every feature of the changeset found or none, the same
// component count), and A restarted serves the same. A first changeset is
// applied whole and times the apply; B is SIGKILLed as A answers it
// (while B takes in the 2,000-change batch) and restarted, and must hold
// all of it. Three more are killed at random moments from a third into
// the apply to just after it.
func TestReplicaKilledMidChangeset(t *testing.T) {
	tokens := city(t)
	tok := tokens[data.RoleSurveyor]
	dirA := t.TempDir()
	a := startReplica(t, "A", dirA)
	dirB := t.TempDir()
	b := startReplica(t, "B", dirB)
	const n = 2000
	outcomes := map[string]int{}
	var took time.Duration // round 0 is applied whole, timing the apply
	for round := 0; round < 4; round++ {
		codes := map[string]bool{}
		var sb strings.Builder
		sb.WriteString(`{"type":"FeatureCollection","features":[`)
		for i := 0; i < n; i++ {
			k := round*n + i
			p := coverAt(k)
			code := data.ComponentCode("320114", "0101", 800000+k)
			codes[code] = true
			if i > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"type":"Feature","geometry":{"type":"Point","coordinates":[%.9f,%.9f]},"properties":{"code":%q,"category":"0101","name":"普查","department":"D0003","status":"intact"}}`, p[0], p[1], code)
		}
		sb.WriteString(`]}`)
		answered := make(chan int, 1)
		start := time.Now()
		go func() {
			req, _ := http.NewRequest("POST", a.URL+"/api/v1/changesets?apply=true", strings.NewReader(sb.String()))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/geo+json")
			resp, err := client.Do(req)
			if err != nil {
				answered <- 0
				return
			}
			resp.Body.Close()
			answered <- resp.StatusCode
		}()
		var st int
		if round == 0 {
			if st = <-answered; st != http.StatusCreated {
				t.Fatalf("changeset through A: %d\n%s", st, a.Logs())
			}
			took = time.Since(start)
			// B is SIGKILLed as A answers, while it takes in the
			// 2,000-change batch; restarted, it must hold all of it.
			b.Kill()
			b = b.restart()
		} else {
			// Anywhere from a third into the apply to after it.
			time.Sleep(took/3 + time.Duration(rand.Int64N(int64(took)*3/2)))
			a.Kill()
			st = <-answered
		}
		have, total := storeHas(t, codes)
		switch {
		case round == 0 && have == n:
		case have == 0 && st == 0:
			outcomes["killed before commit"]++
		case have == n && st == 0:
			outcomes["killed after commit, before the answer"]++
		case have == n && st == http.StatusCreated:
			outcomes["answered before the kill"]++
		default:
			t.Fatalf("round %d: the store holds %d of the %d features; A answered %d (0: killed)", round, have, n, st)
		}
		last := storeSeq(t)
		waitUntil(t, "B follows the store", func() bool { return b.metric("citygrid_replica_seq") >= float64(last) })
		if got := b.components(); got != total {
			t.Fatalf("round %d: B's index holds %d components, the store %d", round, got, total)
		}
		for _, i := range []int{0, n / 2, n - 1} {
			k := round*n + i
			p := coverAt(k)
			want := ""
			if have == n {
				want = data.ComponentCode("320114", "0101", 800000+k)
			}
			if got := b.nearest(p); got != want {
				t.Fatalf("round %d: B's nearest at feature %d: %q, want %q", round, i, got, want)
			}
		}
		if round == 0 {
			continue
		}
		a = a.restart()
		if got := a.components(); got != total {
			t.Fatalf("round %d: restarted A's index holds %d components, the store %d", round, got, total)
		}
	}
	t.Logf("a %d-feature changeset applied in %v; outcomes of 3 kills during one: %v", n, took, outcomes)
	a.Stop()
	b.Stop()
}

// components is the component count of r's index (from /metrics).
func (r *replica) components() int {
	r.t.Helper()
	resp, err := client.Get(r.URL + "/metrics")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, `citygrid_index_features{layer="components"} `); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				r.t.Fatalf("metrics line %q", line)
			}
			return n
		}
	}
	r.t.Fatal("no citygrid_index_features{layer=\"components\"} in /metrics")
	return -1
}
