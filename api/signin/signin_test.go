package signin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"citygrid/api"
	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/internal/apitest"
	"citygrid/api/internal/routertest"
	"citygrid/api/signin"
	"citygrid/data"
	"citygrid/data/accounts"
	"citygrid/data/accounts/password"
)

// sessionPassword is every test user's password (it passes the policy).
const sessionPassword = "Lantern-Orchard-42"

// sessionFixture is the real router over the stored test city (cases
// handled by units D0003 and D0002) with accounts in its GeoPackage and
// one bearer token.
type sessionFixture struct {
	h     http.Handler
	svc   *accounts.Service
	log   *bytes.Buffer
	token string // a supervisor's bearer token
}

func newSessionFixture(t *testing.T, mutate func(*api.Config)) *sessionFixture {
	t.Helper()
	ctx := context.Background()
	st, ix := apitest.StoredCity(t, t.TempDir())
	as, err := accounts.NewSQLStore(ctx, st.DB())
	if err != nil {
		t.Fatal(err)
	}
	f := &sessionFixture{log: new(bytes.Buffer)}
	log := slog.New(slog.NewTextHandler(f.log, nil))
	f.svc = accounts.NewService(as, accounts.SQLDirectory{DB: st.DB()}, accounts.Options{Params: password.Params{Memory: 256, Time: 1, Threads: 1}, Log: log})
	for _, u := range []accounts.User{
		{Name: "sup", DisplayName: "值班长", Roles: []data.Role{data.RoleSupervisor}},
		{Name: "ins", DisplayName: "监督员", Roles: []data.Role{data.RoleInspector}},
		{Name: "u3", DisplayName: "三号单位", Roles: []data.Role{data.RoleUnit}, Unit: "D0003"},
		{Name: "u2", DisplayName: "二号单位", Roles: []data.Role{data.RoleUnit}, Unit: "D0002"},
		{Name: "adm", DisplayName: "管理员", Roles: []data.Role{data.RoleAdmin}},
		{Name: "multi", DisplayName: "多岗", Roles: []data.Role{data.RoleViewer, data.RoleDispatcher}},
		{Name: "gone", DisplayName: "停用", Roles: []data.Role{data.RoleViewer}},
	} {
		if _, err := f.svc.CreateUser(ctx, u, sessionPassword); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.DisableUser(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if f.token, _, err = st.CreateToken(ctx, data.Principal{User: "bot", Role: data.RoleSupervisor}, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Tokens: st, Accounts: f.svc, Logger: log, MaxBatchPoints: 1000, AccessLog: true}
	if mutate != nil {
		mutate(&cfg)
	}
	if f.h, err = routertest.Server(t, city.Config{Store: st, Index: ix, Dir: t.TempDir()}, cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

// browser is one browser: its cookie jar (one session cookie) and the
// CSRF token its page got at sign-in.
type browser struct {
	f      *sessionFixture
	addr   string
	cookie *http.Cookie
	csrf   string
}

func (f *sessionFixture) browser() *browser { return &browser{f: f, addr: "192.0.2.10:5000"} }

// do sends a same-origin request as a browser's page does: the cookie,
// Sec-Fetch-Site same-origin and, on writes, the CSRF token.
func (b *browser) do(method, path, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = b.addr
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	if b.csrf != "" && method != "GET" {
		req.Header.Set(auth.CSRFHeader, b.csrf)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	b.f.h.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.Name == auth.PlainCookieName || c.Name == auth.SecureCookieName {
			if c.MaxAge < 0 {
				b.cookie = nil
			} else {
				b.cookie = c
			}
		}
	}
	return w
}

// signIn signs b in as user and keeps its CSRF token.
func (b *browser) signIn(t *testing.T, user string) signin.SessionBody {
	t.Helper()
	w := b.do("POST", "/api/v1/session", fmt.Sprintf(`{"username":%q,"password":%q}`, user, sessionPassword))
	if w.Code != http.StatusCreated {
		t.Fatalf("sign in %s: %d %s", user, w.Code, w.Body)
	}
	var s signin.SessionBody
	if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	b.csrf = s.CSRFToken
	return s
}

func TestSignInSetsAHostOnlyHttpOnlyLaxCookieAndAnswersTheUser(t *testing.T) {
	f := newSessionFixture(t, nil)
	b := f.browser()
	w := b.do("POST", "/api/v1/session", `{"username":" U3 ","password":"`+sessionPassword+`"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("sign in: %d %s", w.Code, w.Body)
	}
	var m map[string]any
	json.Unmarshal(w.Body.Bytes(), &m)
	u := m["user"].(map[string]any)
	if u["username"] != "u3" || u["display_name"] != "三号单位" || u["department"] != "D0003" || u["role"] != "unit" ||
		fmt.Sprint(u["roles"]) != "[unit]" || m["csrf_token"] == "" || m["expires_at"] == nil {
		t.Fatalf("body %s", w.Body)
	}
	setCookie := w.Header().Get("Set-Cookie")
	for _, want := range []string{auth.PlainCookieName + "=cgs_", "Path=/", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(setCookie, want) {
			t.Errorf("Set-Cookie %q lacks %q", setCookie, want)
		}
	}
	for _, not := range []string{"Max-Age", "Expires", "Secure", "Domain"} {
		if strings.Contains(setCookie, not) {
			t.Errorf("Set-Cookie %q has %s on plain HTTP", setCookie, not)
		}
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	g := b.do("GET", "/api/v1/session", "")
	if g.Code != 200 || g.Header().Get("Cache-Control") != "no-store" || !strings.Contains(g.Body.String(), `"username":"u3"`) ||
		!strings.Contains(g.Body.String(), m["csrf_token"].(string)) {
		t.Fatalf("GET session: %d %s", g.Code, g.Body)
	}
}

func TestSessionCookieIsSecureAndHostPrefixedOverTLS(t *testing.T) {
	f := newSessionFixture(t, func(c *api.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} })
	body := `{"username":"sup","password":"` + sessionPassword + `"}`
	for _, tc := range []struct {
		name, remote, proto string
		tls                 bool
		want                string
	}{
		{"direct TLS", "192.0.2.1:1", "", true, auth.SecureCookieName},
		{"TLS at a trusted proxy", "10.1.2.3:1", "https", false, auth.SecureCookieName},
		{"an untrusted peer claiming https", "192.0.2.1:1", "https", false, auth.PlainCookieName},
		{"plain HTTP", "192.0.2.1:1", "", false, auth.PlainCookieName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "https://citygrid.example/api/v1/session", strings.NewReader(body))
			if !tc.tls {
				req.TLS = nil
				req.URL.Scheme = "http"
			}
			req.RemoteAddr = tc.remote
			req.Header.Set("Content-Type", "application/json")
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, req)
			sc := w.Header().Get("Set-Cookie")
			if w.Code != 201 || !strings.HasPrefix(sc, tc.want+"=") {
				t.Fatalf("%d Set-Cookie %q, want %s", w.Code, sc, tc.want)
			}
			if secure := strings.Contains(sc, "; Secure"); secure != (tc.want == auth.SecureCookieName) {
				t.Errorf("Secure=%v in %q", secure, sc)
			}
		})
	}
}

func TestSignInFailuresAnswer401403429AndBadBodies400(t *testing.T) {
	f := newSessionFixture(t, nil)
	b := f.browser()
	for _, tc := range []struct {
		body string
		want int
	}{
		{`{"username":"sup","password":"wrong-password-1"}`, 401},
		{`{"username":"nobody","password":"wrong-password-1"}`, 401},
		{`{"username":"gone","password":"` + sessionPassword + `"}`, 403},
		{`{"username":"sup"}`, 400},
		{`{"username":"sup","password":"x","remember":true}`, 400},
		{`not json`, 400},
		{`{"username":"sup","password":"` + strings.Repeat("x", 5000) + `"}`, 413},
	} {
		if w := b.do("POST", "/api/v1/session", tc.body); w.Code != tc.want {
			t.Errorf("%.60s: %d %s, want %d", tc.body, w.Code, w.Body, tc.want)
		} else if w.Header().Get("Set-Cookie") != "" {
			t.Errorf("%.60s: a refused sign-in set a cookie", tc.body)
		}
	}
	// Five failures lock an account (accounts.DefaultAccountLimit), the
	// right password included, with the wait in Retry-After.
	for range 5 {
		b.do("POST", "/api/v1/session", `{"username":"ins","password":"wrong-password-1"}`)
	}
	w := b.do("POST", "/api/v1/session", `{"username":"ins","password":"`+sessionPassword+`"}`)
	if w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("locked account: %d Retry-After %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	// Another account from the same address signs in.
	f.browser().signIn(t, "sup")
}

func TestCookieSessionsGoThroughTheSameRoleChecksAndUnitScopingAsTokens(t *testing.T) {
	f := newSessionFixture(t, nil)
	ins, sup, u2, u3 := f.browser(), f.browser(), f.browser(), f.browser()
	ins.signIn(t, "ins")
	sup.signIn(t, "sup")
	u2.signIn(t, "u2")
	u3.signIn(t, "u3")
	// A broken manhole cover by the surveyed one: its maintainer is D0003.
	m := apitest.MustStatus(t, ins.do("POST", "/api/v1/cases", `{"kind":"component","category":"0101","lon":118.76505,"lat":31.99502,"description":"井盖破损"}`), 201)
	id := int64(m["id"].(float64))
	if m["reporter"] != "ins" {
		t.Errorf("reporter %v, want the signed-in user", m["reporter"])
	}
	apitest.MustStatus(t, ins.do("POST", fmt.Sprintf("/api/v1/cases/%d/actions/register", id), ""), 403)
	r := apitest.MustStatus(t, sup.do("POST", fmt.Sprintf("/api/v1/cases/%d/actions/register", id), ""), 200)
	if c := r["case"].(map[string]any); c["unit"] != "D0003" {
		t.Fatalf("registered %v", c)
	}
	// Another unit's handler: not found and forbidden, as over tokens.
	apitest.MustStatus(t, u2.do("GET", fmt.Sprintf("/api/v1/cases/%d", id), ""), 404)
	apitest.MustStatus(t, u2.do("POST", fmt.Sprintf("/api/v1/cases/%d/actions/handle", id), `{"note":"x"}`), 403)
	apitest.MustStatus(t, u3.do("POST", fmt.Sprintf("/api/v1/cases/%d/actions/handle", id), `{"note":"修好了"}`), 200)
	// Without a session: 401.
	apitest.MustStatus(t, f.browser().do("GET", "/api/v1/cases", ""), 401)
}

func TestCookieWritesNeedTheCSRFTokenAndASameOriginRequest(t *testing.T) {
	f := newSessionFixture(t, nil)
	b := f.browser()
	b.signIn(t, "sup")
	csrf := b.csrf
	const path = "/api/v1/cases"
	const body = `{"kind":"event","category":"0101","lon":118.775,"lat":31.998,"description":"垃圾"}`
	b.csrf = ""
	if w := b.do("POST", path, body); w.Code != 403 || !strings.Contains(w.Body.String(), auth.CSRFHeader) {
		t.Errorf("without the CSRF token: %d %s", w.Code, w.Body)
	}
	if w := b.do("POST", path, body, auth.CSRFHeader, "forged"); w.Code != 403 {
		t.Errorf("with a wrong CSRF token: %d %s", w.Code, w.Body)
	}
	// A form another site posts: the browser sends the cookie (a top-level
	// POST) but the site cannot know the token; even with it, the origin
	// check refuses.
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site", "Content-Type", "application/x-www-form-urlencoded"},
		{"Sec-Fetch-Site", "cross-site", auth.CSRFHeader, csrf},
		{"Sec-Fetch-Site", "", "Origin", "https://evil.example", auth.CSRFHeader, csrf},
	} {
		if w := b.do("POST", path, body, h...); w.Code != 403 {
			t.Errorf("cross-site post %v: %d %s", h, w.Code, w.Body)
		}
	}
	if w := b.do("POST", path, body, auth.CSRFHeader, csrf); w.Code != 201 {
		t.Errorf("with the CSRF token: %d %s", w.Code, w.Body)
	}
	// GET needs no token.
	if w := b.do("GET", path, ""); w.Code != 200 {
		t.Errorf("GET: %d", w.Code)
	}
	// A bearer token wins over the cookie and needs no CSRF token.
	if w := b.do("POST", path, body, "Authorization", "Bearer "+f.token, "Sec-Fetch-Site", "cross-site"); w.Code != 201 {
		t.Errorf("bearer with a cookie: %d %s", w.Code, w.Body)
	} else if m := apitest.DecodeBody(t, w); m["reporter"] != "bot" {
		t.Errorf("bearer request acted as %v, want the token's user", m["reporter"])
	}
	// Signing in from another site's form is refused (login CSRF).
	x := f.browser()
	if w := x.do("POST", "/api/v1/session", `{"username":"sup","password":"`+sessionPassword+`"}`, "Sec-Fetch-Site", "cross-site"); w.Code != 403 || x.cookie != nil {
		t.Errorf("cross-site sign-in: %d %s", w.Code, w.Body)
	}
}

func TestSignOutEndsTheSessionAndClearsTheCookie(t *testing.T) {
	f := newSessionFixture(t, nil)
	b := f.browser()
	b.signIn(t, "sup")
	old := b.cookie
	w := b.do("DELETE", "/api/v1/session", "")
	if w.Code != 204 || b.cookie != nil || !strings.Contains(w.Header().Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("sign out: %d Set-Cookie %q", w.Code, w.Header().Get("Set-Cookie"))
	}
	b.cookie = old // a copy of the cookie kept elsewhere no longer works
	if w := b.do("GET", "/api/v1/session", ""); w.Code != 401 || b.cookie != nil {
		t.Fatalf("after sign-out: %d, cookie kept %v", w.Code, b.cookie)
	}
	// Signing out without a session still clears the cookie.
	if w := f.browser().do("DELETE", "/api/v1/session", ""); w.Code != 204 {
		t.Errorf("sign out without a session: %d", w.Code)
	}
}

func TestASignedInBrowserSignsInAgainAsSomeoneElseFromTheSignInPage(t *testing.T) {
	f := newSessionFixture(t, nil)
	b := f.browser()
	b.signIn(t, "sup")
	old := b.cookie
	b.csrf = "" // the sign-in page has none
	if s := b.signIn(t, "ins"); s.User.Username != "ins" {
		t.Fatalf("signed in as %+v", s.User)
	}
	b.cookie = old
	apitest.MustStatus(t, b.do("GET", "/api/v1/session", ""), 401) // the first session ended
}

func TestSelectRoleSwitchesWhatTheSessionMayDo(t *testing.T) {
	f := newSessionFixture(t, nil)
	b := f.browser()
	if s := b.signIn(t, "multi"); s.User.Role != data.RoleViewer || len(s.User.Roles) != 2 {
		t.Fatalf("signed in as %+v", s.User)
	}
	body := `{"kind":"event","category":"0101","lon":118.775,"lat":31.998,"description":"垃圾"}`
	apitest.MustStatus(t, b.do("POST", "/api/v1/cases", body), 403)
	m := apitest.MustStatus(t, b.do("PUT", "/api/v1/session/role", `{"role":"dispatcher"}`), 200)
	if m["user"].(map[string]any)["role"] != "dispatcher" {
		t.Fatalf("after switch %v", m)
	}
	apitest.MustStatus(t, b.do("POST", "/api/v1/cases", body), 201)
	apitest.MustStatus(t, b.do("PUT", "/api/v1/session/role", `{"role":"admin"}`), 400)
	if w := b.do("GET", "/api/v1/whoami", ""); !strings.Contains(w.Body.String(), `"dispatcher"`) {
		t.Errorf("whoami %s", w.Body)
	}
}

func TestChangePasswordNeedsTheOldOneAndEndsOtherSessions(t *testing.T) {
	f := newSessionFixture(t, nil)
	here, there := f.browser(), f.browser()
	here.signIn(t, "sup")
	there.signIn(t, "sup")
	apitest.MustStatus(t, here.do("POST", "/api/v1/session/password", `{"old_password":"wrong-password-1","new_password":"Quiet-River-Stone-9"}`), 400)
	apitest.MustStatus(t, here.do("POST", "/api/v1/session/password", `{"old_password":"`+sessionPassword+`","new_password":"short"}`), 400)
	apitest.MustStatus(t, here.do("POST", "/api/v1/session/password", `{"old_password":"`+sessionPassword+`","new_password":"Quiet-River-Stone-9"}`), 204)
	apitest.MustStatus(t, here.do("GET", "/api/v1/session", ""), 200)
	apitest.MustStatus(t, there.do("GET", "/api/v1/session", ""), 401)
	apitest.MustStatus(t, f.browser().do("POST", "/api/v1/session", `{"username":"sup","password":"Quiet-River-Stone-9"}`), 201)
}

func TestSignedInElsewhereListsAndEndsTheUsersOwnSessions(t *testing.T) {
	f := newSessionFixture(t, nil)
	here, there, other := f.browser(), f.browser(), f.browser()
	me := here.signIn(t, "sup")
	elsewhere := there.signIn(t, "sup")
	theirs := other.signIn(t, "ins")
	m := apitest.MustStatus(t, here.do("GET", "/api/v1/sessions", ""), 200)
	ss := m["sessions"].([]any)
	if len(ss) != 2 {
		t.Fatalf("sessions %v", ss)
	}
	for _, x := range ss {
		s := x.(map[string]any)
		if cur := s["id"] == me.SessionID; s["current"] != cur || s["addr"] == "" {
			t.Errorf("session %v (mine %s)", s, me.SessionID)
		}
	}
	apitest.MustStatus(t, here.do("DELETE", "/api/v1/sessions/"+theirs.SessionID, ""), 404)
	apitest.MustStatus(t, here.do("DELETE", "/api/v1/sessions/"+elsewhere.SessionID, ""), 204)
	apitest.MustStatus(t, there.do("GET", "/api/v1/session", ""), 401)
	apitest.MustStatus(t, other.do("GET", "/api/v1/session", ""), 200)
	apitest.MustStatus(t, f.browser().do("GET", "/api/v1/sessions", ""), 401)
}

func TestAdminsCreateUpdateDisableAndResetUsers(t *testing.T) {
	f := newSessionFixture(t, nil)
	adm, sup := f.browser(), f.browser()
	adm.signIn(t, "adm")
	sup.signIn(t, "sup")
	apitest.MustStatus(t, sup.do("GET", "/api/v1/users", ""), 403)
	apitest.MustStatus(t, sup.do("POST", "/api/v1/users", `{"username":"x1","display_name":"某","roles":["viewer"],"generate":true}`), 403)
	c := apitest.MustStatus(t, adm.do("POST", "/api/v1/users", `{"username":"hw09","display_name":"钱峰","roles":["unit"],"department":"D0002","generate":true}`), 201)
	pw := c["password"].(string)
	if u := c["user"].(map[string]any); u["username"] != "hw09" || u["department"] != "D0002" || u["disabled"] != false {
		t.Fatalf("created %v", c)
	}
	apitest.MustStatus(t, adm.do("POST", "/api/v1/users", `{"username":"hw10","display_name":"钱","roles":["unit"],"department":"NOPE","password":"`+sessionPassword+`"}`), 400)
	apitest.MustStatus(t, adm.do("POST", "/api/v1/users", `{"username":"hw09","display_name":"钱","roles":["viewer"],"password":"`+sessionPassword+`"}`), 409)
	l := apitest.MustStatus(t, adm.do("GET", "/api/v1/users", ""), 200)
	if n := len(l["users"].([]any)); n != 8 {
		t.Errorf("%d users listed, want 8", n)
	}
	if strings.Contains(adm.do("GET", "/api/v1/users", "").Body.String(), "argon2") {
		t.Error("the user list shows password hashes")
	}
	hw := f.browser()
	w := hw.do("POST", "/api/v1/session", `{"username":"hw09","password":"`+pw+`"}`)
	if w.Code != 201 {
		t.Fatalf("generated password: %d %s", w.Code, w.Body)
	}
	u := apitest.MustStatus(t, adm.do("PATCH", "/api/v1/users/hw09", `{"display_name":"钱峰峰","roles":["unit","viewer"],"department":"D0003"}`), 200)
	if u["display_name"] != "钱峰峰" || u["department"] != "D0003" || fmt.Sprint(u["roles"]) != "[unit viewer]" {
		t.Fatalf("patched %v", u)
	}
	apitest.MustStatus(t, hw.do("GET", "/api/v1/session", ""), 401) // a role change ends sessions
	signIn := func(pw string) int {
		return hw.do("POST", "/api/v1/session", `{"username":"hw09","password":"`+pw+`"}`).Code
	}
	if c := signIn(pw); c != 201 {
		t.Fatalf("sign in again: %d", c)
	}
	apitest.MustStatus(t, adm.do("PATCH", "/api/v1/users/hw09", `{"disabled":true}`), 200)
	apitest.MustStatus(t, hw.do("GET", "/api/v1/session", ""), 401)
	if c := signIn(pw); c != 403 {
		t.Errorf("disabled user signs in: %d, want 403", c)
	}
	apitest.MustStatus(t, adm.do("PATCH", "/api/v1/users/hw09", `{"disabled":false}`), 200)
	r := apitest.MustStatus(t, adm.do("POST", "/api/v1/users/hw09/password", `{"generate":true}`), 200)
	if c := signIn(pw); c != 401 {
		t.Errorf("old password after reset: %d", c)
	}
	if c := signIn(r["password"].(string)); c != 201 {
		t.Errorf("reset password: %d", c)
	}
	apitest.MustStatus(t, adm.do("POST", "/api/v1/users/hw09/password", `{"password":"`+sessionPassword+`"}`), 204)
	apitest.MustStatus(t, adm.do("POST", "/api/v1/users/nobody/password", `{"password":"`+sessionPassword+`"}`), 404)
	// A refused change changes nothing.
	apitest.MustStatus(t, adm.do("PATCH", "/api/v1/users/hw09", `{"display_name":"新名字","roles":["warlord"]}`), 400)
	apitest.MustStatus(t, adm.do("PATCH", "/api/v1/users/hw09", `{"display_name":"","roles":["viewer"]}`), 400)
	apitest.MustStatus(t, adm.do("PATCH", "/api/v1/users/hw09", `{"disabled":"yes"}`), 400)
	after := apitest.MustStatus(t, adm.do("GET", "/api/v1/users", ""), 200)
	for _, x := range after["users"].([]any) {
		if u := x.(map[string]any); u["username"] == "hw09" && (u["display_name"] != "钱峰峰" || fmt.Sprint(u["roles"]) != "[unit viewer]") {
			t.Errorf("a refused PATCH changed the user: %v", u)
		}
	}
	apitest.MustStatus(t, adm.do("PATCH", "/api/v1/users/nobody", `{"disabled":true}`), 404)
}

func TestCommandPagesSendBrowsersThatAreNotSignedInToTheSignInPage(t *testing.T) {
	f := newSessionFixture(t, nil)
	for _, page := range []string{"/command", "/command/report"} {
		w := f.browser().do("GET", page+"?token=cg_leaked", "")
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != auth.SignInPath+"?next="+url.QueryEscape(page) {
			t.Errorf("%s anonymous: %d Location %q", page, w.Code, w.Header().Get("Location"))
		}
	}
	b := f.browser()
	b.signIn(t, "sup")
	for _, page := range []string{"/command", "/command/report"} {
		w := b.do("GET", page, "")
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || strings.Contains(w.Body.String(), "token") {
			t.Errorf("%s signed in: %d %q", page, w.Code, w.Header().Get("Content-Type"))
		}
	}
	w := f.browser().do("GET", auth.SignInPath+"?next=%2Fcommand", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "登录") || !strings.Contains(w.Body.String(), `type="password"`) {
		t.Fatalf("sign-in page: %d %s", w.Code, w.Body)
	}
	if w := f.browser().do("GET", auth.SignInPath+"/assets/login.js", ""); w.Code != 200 || !strings.Contains(w.Body.String(), "/api/v1/session") {
		t.Errorf("sign-in script: %d", w.Code)
	}
	if w := f.browser().do("GET", auth.SignInPath+"/assets/login.html", ""); w.Code != 404 {
		t.Errorf("the page as an asset: %d", w.Code)
	}
}

func TestSignInPageAndSessionRouteStayOpenWithPrivateReads(t *testing.T) {
	f := newSessionFixture(t, func(c *api.Config) { c.PrivateReads = true })
	if w := f.browser().do("GET", auth.SignInPath, ""); w.Code != 200 {
		t.Errorf("sign-in page: %d", w.Code)
	}
	b := f.browser()
	b.signIn(t, "sup")
	apitest.MustStatus(t, b.do("GET", "/api/v1/stats/today", ""), 200)
	apitest.MustStatus(t, f.browser().do("GET", "/api/v1/stats/today", ""), 401)
}

func TestEveryPageAndAssetCarriesTheSecurityHeaders(t *testing.T) {
	f := newSessionFixture(t, nil)
	b := f.browser()
	b.signIn(t, "sup")
	for _, path := range []string{"/", "/command", "/command/report", "/command/assets/command.js", "/command/assets/command.css",
		"/web/app.js", auth.SignInPath, auth.SignInPath + "/assets/login.js", "/api/v1/session", "/styles/default.json", "/no/such/page"} {
		w := b.do("GET", path, "")
		h := w.Header()
		csp := h.Get("Content-Security-Policy")
		if h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "SAMEORIGIN" ||
			!strings.Contains(csp, "frame-ancestors 'self'") || !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "worker-src 'self' blob:") {
			t.Errorf("%s (%d): headers %v", path, w.Code, h)
		}
	}
}

func TestAStaleSessionCookieIsClearedAndLocksNobodyOut(t *testing.T) {
	f := newSessionFixture(t, nil)
	stale := f.browser()
	stale.signIn(t, "sup")
	stale.do("DELETE", "/api/v1/session", "")
	colleague := f.browser()
	colleague.signIn(t, "ins")
	for i := range 50 {
		stale.cookie = &http.Cookie{Name: auth.PlainCookieName, Value: "cgs_" + strings.Repeat("x", 43)}
		w := stale.do("GET", "/api/v1/case-events", "")
		if w.Code != 401 || stale.cookie != nil {
			t.Fatalf("stale cookie %d: %d, cookie %v", i, w.Code, stale.cookie)
		}
	}
	apitest.MustStatus(t, colleague.do("GET", "/api/v1/stats/today", ""), 200)
	apitest.MustStatus(t, f.browser().do("POST", "/api/v1/session", `{"username":"sup","password":"`+sessionPassword+`"}`), 201)
}

// TestNoPasswordOrSessionSecretReachesTheLogOrAURL drives sign-in, a
// failed sign-in with the password typed as the name, pages, writes and
// sign-out, then looks for every secret in the log and in every URL the
// server sent back.
func TestNoPasswordOrSessionSecretReachesTheLogOrAURL(t *testing.T) {
	f := newSessionFixture(t, nil)
	b := f.browser()
	typo := f.browser().do("POST", "/api/v1/session", `{"username":"`+sessionPassword+`","password":"sup"}`)
	if typo.Code != 401 {
		t.Fatalf("password as the name: %d", typo.Code)
	}
	s := b.signIn(t, "sup")
	secret := b.cookie.Value
	var locations []string
	for _, p := range []string{"/command", "/command/report", "/api/v1/session", "/api/v1/sessions"} {
		locations = append(locations, b.do("GET", p, "").Header().Get("Location"))
	}
	b.do("POST", "/api/v1/cases", `{"kind":"event","category":"0101","lon":118.775,"lat":31.998,"description":"垃圾"}`, auth.CSRFHeader, "forged")
	b.do("PUT", "/api/v1/session/role", `{"role":"supervisor"}`)
	b.do("DELETE", "/api/v1/session", "")
	anon := f.browser().do("GET", "/command", "")
	locations = append(locations, anon.Header().Get("Location"))
	logs := f.log.String()
	for name, v := range map[string]string{"password": sessionPassword, "session secret": secret, "secret body": strings.TrimPrefix(secret, accounts.SessionPrefix), "CSRF token": s.CSRFToken} {
		if strings.Contains(logs, v) {
			t.Errorf("the %s appears in the log", name)
		}
		for _, l := range locations {
			if strings.Contains(l, v) {
				t.Errorf("the %s appears in a URL: %s", name, l)
			}
		}
	}
	if !strings.Contains(logs, "signed in") || !strings.Contains(logs, s.SessionID) || !strings.Contains(logs, "csrf token missing or wrong") {
		t.Errorf("the log should name sign-ins and CSRF refusals by session id:\n%s", logs)
	}
}
