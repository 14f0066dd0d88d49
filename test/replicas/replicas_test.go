// Package replicas is the end-to-end test of replicas: the real
// citygrid binary, two replicas serving one city from one PostgreSQL +
// PostGIS database on loopback (a throwaway cluster, test/pgtest).
package replicas

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"citygrid/data"
	"citygrid/data/cases/pgcases"
	"citygrid/data/gpkg/gpkgtest"
	"citygrid/data/pgstore"
	"citygrid/test/harness"
	"citygrid/test/pgtest"
)

var (
	pgURL string // the throwaway cluster; "" when none (tests skip)
	pgErr error
)

func TestMain(m *testing.M) {
	code := func() int {
		c, err := pgtest.Start()
		if err != nil {
			if pgtest.InCI() {
				fmt.Fprintf(os.Stderr, "replica tests: CI is set and PostgreSQL + PostGIS cannot be started (.ci/run installs them): %v\n", err)
				return 1
			}
			pgErr = err
			return m.Run()
		}
		defer c.Stop()
		pgURL = c.URL
		return harness.Main(m)
	}()
	os.Exit(code)
}

// replica is one running citygrid serve --store postgres://.
type replica struct {
	*harness.Server
	t    *testing.T
	name string
}

// startReplica runs a replica on dir (its own tiles and uploads) and waits
// until it is ready.
func startReplica(t *testing.T, name, dir string, extra ...string) *replica {
	t.Helper()
	s := harness.Serve(t, dir, append([]string{"--store", pgURL, "--access-log=false",
		"--public-lookups=true", "--log-level", "info"}, extra...)...)
	return &replica{Server: s, t: t, name: name}
}

// restart starts r again on its directory and address once it has exited
// and waits until it is ready.
func (r *replica) restart() *replica {
	r.t.Helper()
	return &replica{Server: r.Restart(), t: r.t, name: r.name}
}

var client = &http.Client{Timeout: 30 * time.Second}

// do sends a request and decodes a JSON answer into v (when not nil).
func (r *replica) do(method, path, token, body string, v any, header ...string) (int, http.Header) {
	r.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, r.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s %s: %v", r.name, method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil && len(b) > 0 {
		if err := json.Unmarshal(b, v); err != nil && resp.StatusCode < 300 {
			r.t.Fatalf("%s %s %s: %d %s: %v", r.name, method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode, resp.Header
}

// nearest is the code of the component nearest p within 5 m, or "".
func (r *replica) nearest(p orb.Point) string {
	r.t.Helper()
	var ans struct {
		Components []struct{ Code string } `json:"components"`
	}
	path := fmt.Sprintf("/api/v1/nearest?lon=%.9f&lat=%.9f&k=1&radius=5", p[0], p[1])
	if st, _ := r.do("GET", path, "", "", &ans); st != 200 {
		r.t.Fatalf("%s nearest: %d", r.name, st)
	}
	if len(ans.Components) == 0 {
		return ""
	}
	return ans.Components[0].Code
}

// tileHas reports whether the z17 tile holding p draws component code.
func (r *replica) tileHas(p orb.Point, code string) bool {
	r.t.Helper()
	tl := maptile.At(p, 17)
	resp, err := client.Get(fmt.Sprintf("%s/tiles/city/17/%d/%d.mvt", r.URL, tl.X, tl.Y))
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusNoContent {
		return false
	}
	if resp.StatusCode != 200 {
		r.t.Fatalf("%s tile: %d %s", r.name, resp.StatusCode, b)
	}
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		if ls, err = mvt.UnmarshalGzipped(b); err != nil {
			r.t.Fatalf("%s tile: %v", r.name, err)
		}
	}
	for _, l := range ls {
		for _, f := range l.Features {
			if l.Name == "components" && f.Properties["code"] == code {
				return true
			}
		}
	}
	return false
}

// metric reads one unlabelled value from /metrics.
func (r *replica) metric(name string) float64 {
	r.t.Helper()
	resp, err := client.Get(r.URL + "/metrics")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	return -1
}

// city stores gpkgtest.City in the cluster (a fresh schema per test) and
// returns tokens of the roles the tests use, stored in the shared case
// store, so every replica accepts them.
func city(t *testing.T) map[data.Role]string {
	t.Helper()
	if pgURL == "" {
		t.Skipf("no PostgreSQL + PostGIS to test against: %v", pgErr)
	}
	ctx := context.Background()
	st, err := pgstore.Open(ctx, pgURL, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	cs, err := pgcases.Open(ctx, pgURL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	tokens := map[data.Role]string{}
	for _, role := range []data.Role{data.RoleSurveyor, data.RoleInspector, data.RoleSupervisor, data.RoleDispatcher} {
		tok, _, err := cs.CreateToken(ctx, data.Principal{User: "e2e-" + string(role), Role: role}, "replicas e2e", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		tokens[role] = tok
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if st, err := pgstore.Open(ctx, pgURL, pgstore.Options{}); err == nil {
			_ = st.DropSchema(ctx)
			st.Close()
		}
		if cs, err := pgcases.Open(ctx, pgURL, ""); err == nil {
			_ = cs.DropSchema(ctx)
			cs.Close()
		}
	})
	return tokens
}

// lampBody is a new water cover (category 0101) at p in gpkgtest.City.
func coverBody(code string, p orb.Point) string {
	return fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%.9f,%.9f]},"properties":{"code":%q,"category":"0101","name":"副本新增","department":"D0003","status":"intact"}}`,
		p[0], p[1], code)
}

// coverAt is the i-th test point: a 10 × 100 lattice 5 m apart inside unit
// grid 320114001001002 (lon 118.77–118.78, lat 31.99–32.00), away from the
// city's own components.
func coverAt(i int) orb.Point {
	return orb.Point{118.7705 + float64(i%100)*0.00008, 31.9935 + float64(i/100)*0.00006}
}

func coverCode(i int) string { return data.ComponentCode("320114", "0101", 900000+i) }

// create posts cover i through r and reports the status.
func (r *replica) create(token string, i int) int {
	st, _ := r.do("POST", "/api/v1/components", token, coverBody(coverCode(i), coverAt(i)), nil, "Content-Type", "application/geo+json")
	return st
}

// TestEditThroughOneReplicaReachesTheOther: a component created through
// replica A is found by nearest on replica B and drawn in B's z17 tile
// within 1 s of A's answer; a move through B reaches A the same way; no
// replica applies its own edit twice (no drift warning in the logs).
func TestEditThroughOneReplicaReachesTheOther(t *testing.T) {
	tokens := city(t)
	a := startReplica(t, "A", t.TempDir())
	b := startReplica(t, "B", t.TempDir())
	within := func(what string, cond func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !cond() {
			if d := time.Since(start); d > time.Second {
				t.Fatalf("%s: not within 1 s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Since(start)
	}
	p := coverAt(0)
	if b.nearest(p) != "" || b.tileHas(p, coverCode(0)) {
		t.Fatal("the cover is there before it was created")
	}
	if st := a.create(tokens[data.RoleSurveyor], 0); st != http.StatusCreated {
		t.Fatalf("create through A: %d\n%s", st, a.Logs())
	}
	d1 := within("nearest on B finds the cover created through A", func() bool { return b.nearest(p) == coverCode(0) })
	d2 := within("B's z17 tile draws the cover created through A", func() bool { return b.tileHas(p, coverCode(0)) })
	t.Logf("A→B: nearest after %v, tile after %v more", d1, d2)

	// A move through B, with B's ETag.
	var f struct{}
	_, h := b.do("GET", "/api/v1/components/"+coverCode(0), "", "", &f)
	q := orb.Point{p[0] + 0.002, p[1] + 0.002}
	body := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%.9f,%.9f]},"properties":{}}`, q[0], q[1])
	var e map[string]any
	if st, _ := b.do("PATCH", "/api/v1/components/"+coverCode(0), tokens[data.RoleSurveyor], body, &e, "If-Match", h.Get("ETag")); st != 200 {
		t.Fatalf("move through B: %d %v", st, e)
	}
	d3 := within("nearest on A finds the cover where B moved it", func() bool { return a.nearest(q) == coverCode(0) && a.nearest(p) == "" })
	d4 := within("A's tiles follow the move", func() bool { return a.tileHas(q, coverCode(0)) && !a.tileHas(p, coverCode(0)) })
	t.Logf("B→A: nearest after %v, tiles after %v more", d3, d4)
	for _, r := range []*replica{a, b} {
		if s := r.Logs(); strings.Contains(s, "drifted") || strings.Contains(s, "could not replay") {
			t.Errorf("replica %s replayed a change that did not fit its index:\n%s", r.name, s)
		}
	}
	a.Stop()
	b.Stop()
}

// TestReplicaKilledMidBatchCatchesUp: replica B is killed with SIGKILL
// while A commits a stream of edits (B applying them as they come); A
// goes on writing while B is down; B restarted on the same directory
// finds every edit A acknowledged, and its follower reaches the store's
// last Seq. Then A itself is killed mid-stream: every edit it acknowledged
// before dying is in the store and reaches B, and A restarted serves them.
func TestReplicaKilledMidBatchCatchesUp(t *testing.T) {
	tokens := city(t)
	tok := tokens[data.RoleSurveyor]
	dirA, dirB := t.TempDir(), t.TempDir()
	a := startReplica(t, "A", dirA)
	b := startReplica(t, "B", dirB)

	var mu sync.Mutex
	var acked []int
	write := func(r *replica, from, to int, stop <-chan struct{}) {
		for i := from; i < to; i++ {
			select {
			case <-stop:
				return
			default:
			}
			req, _ := http.NewRequest("POST", r.URL+"/api/v1/components", strings.NewReader(coverBody(coverCode(i), coverAt(i))))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/geo+json")
			resp, err := client.Do(req)
			if err != nil {
				return // the writer was killed
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusCreated {
				mu.Lock()
				acked = append(acked, i)
				mu.Unlock()
			}
		}
	}
	ackedCount := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }

	// B dies while following A's stream.
	done := make(chan struct{})
	go func() { defer close(done); write(a, 0, 300, nil) }()
	for ackedCount() < 60 {
		time.Sleep(2 * time.Millisecond)
	}
	seqBefore := b.metric("citygrid_replica_seq")
	b.Kill()
	<-done
	if n := ackedCount(); n != 300 {
		t.Fatalf("A acknowledged %d of 300 creations\n%s", n, a.Logs())
	}
	b = b.restart()
	last := storeSeq(t)
	waitUntil(t, "B's follower reaches the store's last Seq", func() bool { return b.metric("citygrid_replica_seq") >= float64(last) })
	t.Logf("B killed at replica Seq %v (of %d acked writes 60+), restarted, store Seq %d", seqBefore, 300, last)
	for _, i := range acked {
		if got := b.nearest(coverAt(i)); got != coverCode(i) {
			t.Fatalf("restarted B: nearest at cover %d is %q, want %s", i, got, coverCode(i))
		}
	}

	// A dies mid-stream: what it acknowledged is committed and reaches B.
	mu.Lock()
	acked = nil
	mu.Unlock()
	stop := make(chan struct{})
	done = make(chan struct{})
	go func() { defer close(done); write(a, 300, 1000, stop) }()
	for ackedCount() < 50 {
		time.Sleep(2 * time.Millisecond)
	}
	a.Kill()
	close(stop)
	<-done
	n := ackedCount()
	if n >= 700 {
		t.Fatal("A finished before it was killed: nothing was interrupted")
	}
	last = storeSeq(t)
	waitUntil(t, "B applies everything A committed before it died", func() bool { return b.metric("citygrid_replica_seq") >= float64(last) })
	for _, i := range acked {
		if got := b.nearest(coverAt(i)); got != coverCode(i) {
			t.Fatalf("B after A's death: nearest at cover %d is %q, want %s", i, got, coverCode(i))
		}
	}
	a = a.restart()
	for _, i := range acked {
		if got := a.nearest(coverAt(i)); got != coverCode(i) {
			t.Fatalf("restarted A: nearest at cover %d is %q, want %s", i, got, coverCode(i))
		}
	}
	t.Logf("A killed after %d acknowledged creations; all of them in the store, on B and on restarted A", n)
	a.Stop()
	b.Stop()
}

// TestTwoDispatchersOnOneCaseAcrossReplicas: a case reported through
// replica A, verified through A and registered through B is acted on at the
// same version by one dispatcher through A and another through B (suspend
// when registering dispatched it, else dispatch): one answer is 200, the
// other 409, and both replicas then show the case in the winner's state
// with one such transition stored.
func TestTwoDispatchersOnOneCaseAcrossReplicas(t *testing.T) {
	tokens := city(t)
	a := startReplica(t, "A", t.TempDir())
	b := startReplica(t, "B", t.TempDir())
	form := url.Values{"service_code": {"E0101"}, "lat": {"31.9951"}, "long": {"118.7651"}, "description": {"replicas e2e"}, "phone": {"13700000000"}}
	var created []struct {
		ID string `json:"service_request_id"`
	}
	if st, _ := a.do("POST", "/open311/v2/requests.json", "", form.Encode(), &created, "Content-Type", "application/x-www-form-urlencoded"); st != 201 || len(created) != 1 {
		t.Fatalf("open311 post through A: %d %v\n%s", st, created, a.Logs())
	}
	id := created[0].ID
	act := func(r *replica, role data.Role, action, body string) map[string]any {
		t.Helper()
		var ans map[string]any
		if st, _ := r.do("POST", "/api/v1/cases/"+id+"/actions/"+action, tokens[role], body, &ans, "Content-Type", "application/json"); st != 200 {
			t.Fatalf("%s through %s: %d %v", action, r.name, st, ans)
		}
		return ans["case"].(map[string]any)
	}
	act(a, data.RoleInspector, "verify", "")
	c := act(b, data.RoleSupervisor, "register", "")
	// The city's rule makes the case dispatch itself on register; then
	// the dispatchers race to suspend it, else to dispatch it.
	action, bodies, want := "dispatch", []string{`{"unit":"D0002"}`, `{"unit":"D0003"}`}, "dispatched"
	switch c["state"] {
	case "registered":
	case "dispatched":
		action, bodies, want = "suspend", []string{`{"note":"A 暂缓"}`, `{"note":"B 暂缓"}`}, "suspended"
	default:
		t.Fatalf("registered case is %v", c["state"])
	}
	version := fmt.Sprint(c["version"])
	type answer struct {
		status int
		body   map[string]any
	}
	answers := make([]answer, 2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, r := range []*replica{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var ans map[string]any
			st, _ := r.do("POST", "/api/v1/cases/"+id+"/actions/"+action, tokens[data.RoleDispatcher], bodies[i], &ans,
				"Content-Type", "application/json", "If-Match", `"`+version+`"`)
			answers[i] = answer{st, ans}
		}()
	}
	close(start)
	wg.Wait()
	codes := []int{answers[0].status, answers[1].status}
	if !(codes[0] == 200 && codes[1] == 409) && !(codes[0] == 409 && codes[1] == 200) {
		t.Fatalf("%s through A and B at version %s: %v, want one 200 and one 409 (%v)", action, version, codes, answers)
	}
	for _, r := range []*replica{a, b} {
		var got map[string]any
		if st, _ := r.do("GET", "/api/v1/cases/"+id, tokens[data.RoleSupervisor], "", &got); st != 200 || got["state"] != want {
			t.Errorf("case on %s after the race: %d %v, want %s", r.name, st, got, want)
		}
		var trs struct {
			Transitions []map[string]any `json:"transitions"`
		}
		r.do("GET", "/api/v1/cases/"+id+"/transitions", tokens[data.RoleSupervisor], "", &trs)
		n := 0
		for _, tr := range trs.Transitions {
			if tr["action"] == action {
				n++
			}
		}
		if n != 1 {
			t.Errorf("case on %s: %d %s transitions stored, want 1 (%v)", r.name, n, action, trs)
		}
	}
	a.Stop()
	b.Stop()
}

// storeSeq is the store's last committed change Seq.
func storeSeq(t *testing.T) int64 {
	t.Helper()
	ctx := context.Background()
	st, err := pgstore.Open(ctx, pgURL, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seq, err := st.LastChangeSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// waitUntil polls cond for up to 60 s (a bound against hanging, not a
// latency assertion).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
