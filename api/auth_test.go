package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/httpx"
	"citygrid/api/signin"
	"citygrid/data"
	"citygrid/data/gpkg"

	"github.com/go-chi/chi/v5"
)

// authFixture is the real router over the test city with a token store
// holding one token per role.
type authFixture struct {
	h      http.Handler
	store  *gpkg.Store
	tokens map[data.Role]string
	log    *bytes.Buffer
}

func newAuthFixture(t *testing.T, mutate func(*Config)) *authFixture {
	t.Helper()
	ctx := context.Background()
	st, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "citygrid.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &authFixture{store: st, tokens: map[data.Role]string{}, log: new(bytes.Buffer)}
	for _, role := range data.Roles {
		p := data.Principal{User: "user-" + string(role), Role: role}
		if role == data.RoleUnit {
			p.Unit = "D-WATER"
		}
		tok, _, err := st.CreateToken(ctx, p, "", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[role] = tok
	}
	ix, err := newTestIndex()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Tokens: st, Logger: slog.New(slog.NewTextHandler(f.log, nil)), MaxBatchPoints: 1000}
	if mutate != nil {
		mutate(&cfg)
	}
	f.h, err = newServer(t, city.Config{Store: st, Index: ix, Dir: t.TempDir()}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// do serves one request; token "" sends none.
func (f *authFixture) do(method, path, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.1:1234"
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return w
}

// authRoute is one method and pattern registered in the router.
type authRoute struct{ method, pattern string }

var urlParam = regexp.MustCompile(`\{[^}]*\}`)

// path turns a pattern into a concrete path: every parameter "x", a
// trailing wildcard "x".
func (r authRoute) path() string {
	p := strings.ReplaceAll(r.pattern, "/*/", "/")
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	p = urlParam.ReplaceAllString(p, "x")
	return strings.ReplaceAll(p, "*", "x")
}

func isWriteMethod(m string) bool {
	return m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch || m == http.MethodDelete
}

// walkRoutes walks every route the router registers, including those of
// sub-routers mounted by other services.
func walkRoutes(t *testing.T, h http.Handler) []authRoute {
	t.Helper()
	var out []authRoute
	err := chi.Walk(h.(chi.Routes), func(method, pattern string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, authRoute{method, pattern})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantWriteRoles pins who may call the write routes whose roles were
// reviewed. A write route missing here is still checked (401 anonymous,
// 403 for viewer and every role it does not admit, admitted for admin);
// its admitted roles are logged for review.
var wantWriteRoles = map[string][]data.Role{
	"POST /api/v1/tokens":        {data.RoleAdmin},
	"DELETE /api/v1/tokens/{id}": {data.RoleAdmin},
	// Surveyors keep the component and grid layers (issue 5).
	"POST /api/v1/components":              {data.RoleSurveyor, data.RoleAdmin},
	"PUT /api/v1/components/{code}":        {data.RoleSurveyor, data.RoleAdmin},
	"PATCH /api/v1/components/{code}":      {data.RoleSurveyor, data.RoleAdmin},
	"DELETE /api/v1/components/{code}":     {data.RoleSurveyor, data.RoleAdmin},
	"POST /api/v1/changesets":              {data.RoleSurveyor, data.RoleAdmin},
	"POST /api/v1/changesets/{id}/apply":   {data.RoleSurveyor, data.RoleAdmin},
	"POST /api/v1/unit_grids/{code}/split": {data.RoleSurveyor, data.RoleAdmin},
	"POST /api/v1/unit_grids/merge":        {data.RoleSurveyor, data.RoleAdmin},
	// OGC API Features Part 4 writes the same components.
	"POST /ogc/collections/{collection}/items":          {data.RoleSurveyor, data.RoleAdmin},
	"PUT /ogc/collections/{collection}/items/{item}":    {data.RoleSurveyor, data.RoleAdmin},
	"PATCH /ogc/collections/{collection}/items/{item}":  {data.RoleSurveyor, data.RoleAdmin},
	"DELETE /ogc/collections/{collection}/items/{item}": {data.RoleSurveyor, data.RoleAdmin},
	"PUT /api/v1/stats/scoring":                         {data.RoleAdmin},
	// Cases (issue 6): reporters report and attach photos; the action
	// route admits every role the state machine names and the service
	// checks the action's own roles (and a unit handler's own unit).
	"POST /api/v1/cases":                       {data.RoleCitizen, data.RoleInspector, data.RoleOperator, data.RoleSupervisor, data.RoleDispatcher, data.RoleUnit, data.RoleAdmin},
	"POST /api/v1/cases/{id}/attachments":      {data.RoleCitizen, data.RoleInspector, data.RoleOperator, data.RoleSupervisor, data.RoleDispatcher, data.RoleUnit, data.RoleAdmin},
	"POST /api/v1/cases/{id}/actions/{action}": {data.RoleInspector, data.RoleOperator, data.RoleSupervisor, data.RoleDispatcher, data.RoleUnit, data.RoleAdmin},
	"PUT /api/v1/cases/config/{name}":          {data.RoleAdmin},
}

// TestEveryWriteRouteRefusesAnonymousAndWrongRoles walks the router, so a
// write route added later by any service is checked without touching this
// test: no token → 401, a role it does not admit → 403 (never 2xx, 4xx
// of the handler or 500), viewers never write, admins always may.
func TestEveryWriteRouteRefusesAnonymousAndWrongRoles(t *testing.T) {
	f := newAuthFixture(t, nil)
	writes := 0
	for _, rt := range walkRoutes(t, f.h) {
		name := rt.method + " " + rt.pattern
		if !isWriteMethod(rt.method) || auth.PublicPath(rt.path()) || slices.Contains(auth.ReadOnlyPosts, rt.pattern) ||
			slices.Contains(signin.SelfServiceRoutes, name) {
			continue
		}
		writes++
		t.Run(name, func(t *testing.T) {
			if w := f.do(rt.method, rt.path(), "", "{"); w.Code != http.StatusUnauthorized {
				t.Errorf("without a token: %d %s, want 401", w.Code, w.Body)
			} else if w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			var admitted []data.Role
			for _, role := range data.Roles {
				w := f.do(rt.method, rt.path(), f.tokens[role], "{")
				switch w.Code {
				case http.StatusUnauthorized:
					t.Errorf("role %s: 401 with a valid token: %s", role, w.Body)
				case http.StatusForbidden:
				default:
					admitted = append(admitted, role)
				}
			}
			if !slices.Contains(admitted, data.RoleAdmin) {
				t.Errorf("admin refused")
			}
			if slices.Contains(admitted, data.RoleViewer) {
				t.Errorf("viewer admitted to a write route (roles admitted: %v)", admitted)
			}
			if want, ok := wantWriteRoles[name]; ok {
				slices.Sort(want)
				slices.Sort(admitted)
				if !slices.Equal(admitted, want) {
					t.Errorf("admitted roles %v, want %v", admitted, want)
				}
			} else {
				t.Logf("admitted roles (not pinned): %v", admitted)
			}
		})
	}
	if writes < len(wantWriteRoles) {
		t.Fatalf("walked %d write routes, fewer than the %d pinned ones", writes, len(wantWriteRoles))
	}
	for name := range wantWriteRoles {
		method, pattern, _ := strings.Cut(name, " ")
		if !slices.Contains(walkRoutes(t, f.h), authRoute{method, pattern}) {
			t.Errorf("pinned route %s is not registered", name)
		}
	}
}

// TestPrivateReadsCloseEverythingButThePublicList: with public_lookups off,
// every registered route outside the explicit public list answers 401 to a
// request without a token, and the public ones do not.
func TestPrivateReadsCloseEverythingButThePublicList(t *testing.T) {
	f := newAuthFixture(t, func(c *Config) { c.PrivateReads = true })
	var closed, open int
	for _, rt := range walkRoutes(t, f.h) {
		w := f.do(rt.method, rt.path(), "", "{")
		if auth.PublicPath(rt.path()) {
			open++
			if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden {
				t.Errorf("public %s %s: %d without a token", rt.method, rt.pattern, w.Code)
			}
			continue
		}
		closed++
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d, want 401", rt.method, rt.pattern, w.Code)
		}
	}
	if closed == 0 || open == 0 {
		t.Fatalf("%d closed and %d public routes: the walk found nothing", closed, open)
	}
	// A viewer token reads the lookups.
	if w := f.do("GET", "/api/v1/locate?lon=118.705&lat=31.91", f.tokens[data.RoleViewer], ""); w.Code != http.StatusOK {
		t.Errorf("locate with a viewer token: %d %s", w.Code, w.Body)
	}
	if w := f.do("GET", "/metrics", "", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("metrics without a token: %d", w.Code)
	}
}

func TestPublicLookupsByDefault(t *testing.T) {
	f := newAuthFixture(t, nil)
	if w := f.do("GET", "/api/v1/locate?lon=118.705&lat=31.91", "", ""); w.Code != http.StatusOK {
		t.Errorf("anonymous locate: %d %s", w.Code, w.Body)
	}
}

func TestTokenAPIIssuesUsableTokensAndRevocationTakesEffectAtOnce(t *testing.T) {
	f := newAuthFixture(t, nil)
	admin := f.tokens[data.RoleAdmin]
	w := f.do("POST", "/api/v1/tokens", admin, `{"user":"li","role":"unit","unit":"D-LIGHT","expires_in":"1h"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	var issued struct {
		Token     string         `json:"token"`
		ID        string         `json:"id"`
		Principal data.Principal `json:"principal"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &issued); err != nil {
		t.Fatal(err)
	}
	if issued.ID != data.HashToken(issued.Token).ID() {
		t.Fatalf("id %s is not the hash prefix of the token", issued.ID)
	}
	w = f.do("GET", "/api/v1/whoami", issued.Token, "")
	var who data.Principal
	_ = json.Unmarshal(w.Body.Bytes(), &who)
	if w.Code != 200 || who != (data.Principal{User: "li", Role: data.RoleUnit, Unit: "D-LIGHT"}) {
		t.Fatalf("whoami: %d %s", w.Code, w.Body)
	}
	// Listing never shows token text.
	w = f.do("GET", "/api/v1/tokens", admin, "")
	if w.Code != 200 || strings.Contains(w.Body.String(), issued.Token) || !strings.Contains(w.Body.String(), issued.ID) {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	if w := f.do("DELETE", "/api/v1/tokens/"+issued.ID, admin, ""); w.Code != 200 {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	w = f.do("GET", "/api/v1/whoami", issued.Token, "")
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "revoked") {
		t.Fatalf("revoked token: %d %s", w.Code, w.Body)
	}
	for body, field := range map[string]string{
		`{"user":"x","role":"root"}`:                      "role",
		`{"user":"x","role":"viewer","expires_in":"-1h"}`: "expires_in",
		`{"user":"x","role":"unit"}`:                      "unit",
	} {
		w := f.do("POST", "/api/v1/tokens", admin, body)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"`+field+`"`) {
			t.Errorf("%s: %d %s, want 400 naming %s", body, w.Code, w.Body, field)
		}
	}
}

// TestFailedAuthenticationIsLoggedAndLimited: ten bad tokens from one
// address are answered 401 and logged without the token; the eleventh
// request with that token gets 429 and Retry-After; a valid token from the
// same address and another address are unaffected.
func TestFailedAuthenticationIsLoggedAndLimited(t *testing.T) {
	f := newAuthFixture(t, nil)
	bad := data.TokenPrefix + "guessedguessedguessedguessedguessedguessed1"
	for i := range auth.DefaultAuthFailures.Burst {
		if w := f.do("GET", "/api/v1/whoami", bad, ""); w.Code != http.StatusUnauthorized {
			t.Fatalf("bad token %d: %d", i, w.Code)
		}
	}
	w := f.do("GET", "/api/v1/whoami", bad, "")
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("after %d failures: %d %s, want 429", auth.DefaultAuthFailures.Burst, w.Code, w.Body)
	}
	if ra := w.Header().Get("Retry-After"); ra != "6" {
		t.Errorf("Retry-After %q, want 6 (one failure refills in 6 s)", ra)
	}
	// A valid token from the same address is not refused.
	if w := f.do("GET", "/api/v1/whoami", f.tokens[data.RoleAdmin], ""); w.Code != 200 {
		t.Errorf("a valid token from the same address: %d %s", w.Code, w.Body)
	}
	// Without a token the public routes still serve this address.
	if w := f.do("GET", "/healthz", "", ""); w.Code != 200 {
		t.Errorf("healthz: %d", w.Code)
	}
	req := httptest.NewRequest("GET", "/api/v1/whoami", nil)
	req.RemoteAddr = "198.51.100.7:999"
	req.Header.Set("Authorization", "Bearer "+f.tokens[data.RoleViewer])
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("another address: %d", rec.Code)
	}
	logs := f.log.String()
	if strings.Count(logs, "authentication failed") != auth.DefaultAuthFailures.Burst {
		t.Errorf("want %d failure log lines:\n%s", auth.DefaultAuthFailures.Burst, logs)
	}
	if strings.Contains(logs, bad) || strings.Contains(logs, bad[len(data.TokenPrefix):]) {
		t.Error("the token appears in the log")
	}
	if !strings.Contains(logs, data.HashToken(bad).ID()) || !strings.Contains(logs, "192.0.2.1") {
		t.Errorf("log lines should name the token id and the address:\n%s", logs)
	}
	m := f.do("GET", "/metrics", "", "").Body.String()
	for _, want := range []string{`citygrid_auth_failures_total{reason="unknown"} 10`, `citygrid_rate_limited_total{limit="auth_failure"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestStaleTokenDoesNotLockOutAColleagueBehindTheSameAddress: a command
// page left open with a revoked token reconnects the event stream every
// 2 s; after 40 s of that, a colleague's valid token from the same
// address (one NAT) still gets every answer, and the stale token itself
// gets 429 instead of being looked up again.
func TestStaleTokenDoesNotLockOutAColleagueBehindTheSameAddress(t *testing.T) {
	f := newAuthFixture(t, nil)
	stale, _, err := f.store.CreateToken(context.Background(), data.Principal{User: "night-shift", Role: data.RoleViewer}, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if w := f.do("DELETE", "/api/v1/tokens/"+data.HashToken(stale).ID(), f.tokens[data.RoleAdmin], ""); w.Code != 200 {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	last := 0
	for range 20 {
		last = f.do("GET", "/api/v1/case-events", stale, "").Code
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("the stale token's 20th reconnection: %d, want 429", last)
	}
	for i := range 5 {
		if w := f.do("GET", "/api/v1/whoami", f.tokens[data.RoleDispatcher], ""); w.Code != 200 {
			t.Errorf("colleague's request %d: %d %s", i, w.Code, w.Body)
		}
	}
	// Many different bad tokens from the address are slowed down as a
	// whole (429 instead of 401), still without refusing a valid one.
	codes := map[int]int{}
	for i := range 150 {
		codes[f.do("GET", "/api/v1/whoami", fmt.Sprintf("%sguess%040d", data.TokenPrefix, i), "").Code]++
	}
	if codes[http.StatusTooManyRequests] == 0 {
		t.Errorf("150 guessed tokens from one address: %v, want some 429", codes)
	}
	if w := f.do("GET", "/api/v1/whoami", f.tokens[data.RoleDispatcher], ""); w.Code != 200 {
		t.Errorf("colleague after the guesses: %d", w.Code)
	}
}

func TestPerIPAndPerUserRateLimits(t *testing.T) {
	f := newAuthFixture(t, func(c *Config) {
		c.RateLimits = auth.RateLimits{PerIP: auth.RateLimit{Rate: 0.5, Burst: 3}, PerToken: auth.RateLimit{Rate: 0.25, Burst: 2}}
	})
	for i := range 3 {
		if w := f.do("GET", "/api/v1/locate?lon=118.705&lat=31.91", "", ""); w.Code != 200 {
			t.Fatalf("anonymous request %d: %d", i, w.Code)
		}
	}
	w := f.do("GET", "/api/v1/locate?lon=118.705&lat=31.91", "", "")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "2" {
		t.Fatalf("4th anonymous request: %d Retry-After %q, want 429 and 2", w.Code, w.Header().Get("Retry-After"))
	}
	// The probes are exempt; a token holder has its own bucket.
	if w := f.do("GET", "/healthz", "", ""); w.Code != 200 {
		t.Errorf("healthz limited: %d", w.Code)
	}
	tok := f.tokens[data.RoleViewer]
	for i := range 2 {
		if w := f.do("GET", "/api/v1/whoami", tok, ""); w.Code != 200 {
			t.Fatalf("token request %d: %d", i, w.Code)
		}
	}
	w = f.do("GET", "/api/v1/whoami", tok, "")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "4" {
		t.Fatalf("3rd token request: %d Retry-After %q, want 429 and 4", w.Code, w.Header().Get("Retry-After"))
	}
	var body httpx.ErrorBody
	_ = json.NewDecoder(w.Body).Decode(&body)
	if !strings.Contains(body.Error, "user-viewer") {
		t.Errorf("429 body %q should name the user", body.Error)
	}
	m := f.do("GET", "/metrics", "", "").Body.String()
	for _, want := range []string{`citygrid_rate_limited_total{limit="ip"} 1`, `citygrid_rate_limited_total{limit="token"} 1`, `citygrid_index_features{layer="components"} 5`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestAccessLogNamesTheAuthenticatedUser(t *testing.T) {
	f := newAuthFixture(t, func(c *Config) { c.AccessLog = true })
	f.do("GET", "/api/v1/whoami", f.tokens[data.RoleDispatcher], "")
	f.do("GET", "/healthz", "", "")
	var lines []string
	for _, l := range strings.Split(f.log.String(), "\n") {
		if strings.Contains(l, "msg=request ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 || !strings.Contains(lines[0], "user=user-dispatcher role=dispatcher") || !strings.Contains(lines[1], `user="" role=""`) {
		t.Fatalf("access log:\n%s", f.log)
	}
	if strings.Contains(f.log.String(), f.tokens[data.RoleDispatcher]) {
		t.Fatal("the token is in the access log")
	}
}

func TestQueryPolygonsHaveAVertexCap(t *testing.T) {
	f := newAuthFixture(t, nil)
	ring := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"type":"Polygon","coordinates":[[`)
		for i := range n - 1 {
			// A fan of points along two edges of the test city.
			fmt.Fprintf(&b, "[%.7f,31.905],", 118.705+0.03*float64(i)/float64(n))
		}
		b.WriteString(`[118.72,31.915],[118.705,31.905]]]}`)
		return b.String()
	}
	if w := f.do("POST", "/api/v1/within", "", ring(httpx.MaxPolygonVertices-1)); w.Code != 200 {
		t.Fatalf("%d vertices: %d %.300s", httpx.MaxPolygonVertices, w.Code, w.Body)
	}
	w := f.do("POST", "/api/v1/within", "", ring(httpx.MaxPolygonVertices+1))
	if w.Code != 400 || !strings.Contains(w.Body.String(), `"geometry"`) {
		t.Fatalf("%d vertices: %d %.300s", httpx.MaxPolygonVertices+2, w.Code, w.Body)
	}
}
