package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"citygrid/data"
	"citygrid/test/harness"
)

// TestADemoUserSignsInAndWritesWithTheCookieAndCSRFToken: on the real
// binary, the demo's supervisor (值班长 zbz01, given a new password with
// `citygrid user reset`) signs in, reads the session, opens /command,
// reports a case with the cookie and the CSRF token (refused without the
// token), is refused a step and a route of other roles, and signs out; the password and the session
// secret never reach the server's log.
func TestADemoUserSignsInAndWritesWithTheCookieAndCSRFToken(t *testing.T) {
	dir := city.Dir(t)
	pw := strings.TrimSpace(harness.MustRun(t, "user", "reset", "--dir", dir, "zbz01", "--generate"))
	if pw == "" || strings.ContainsAny(pw, " \n") {
		t.Fatalf("reset printed %q, want one password", pw)
	}
	ds := loadCity(t, dir)
	var category string
	for _, c := range ds.Categories {
		if c.Kind == data.KindEvent {
			category = c.Code
			break
		}
	}
	p, ok := interiorPoint(ds.UnitGrids[0].Geometry)
	if !ok || category == "" {
		t.Fatal("no event category or grid point in the demo city")
	}
	s := serve(t, dir)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	call := func(method, path, body, csrf string) (int, map[string]any, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return resp.StatusCode, m, resp.Header
	}

	if code, _, h := call("GET", "/command", "", ""); code != http.StatusSeeOther || h.Get("Location") != "/login?next=%2Fcommand" {
		t.Fatalf("/command before sign-in: %d %q", code, h.Get("Location"))
	}
	if code, _, _ := call("POST", "/api/v1/session", `{"username":"zbz01","password":"wrong-password-1"}`, ""); code != 401 {
		t.Fatalf("wrong password: %d", code)
	}
	code, in, h := call("POST", "/api/v1/session", `{"username":"zbz01","password":"`+pw+`"}`, "")
	if code != 201 || !strings.HasPrefix(h.Get("Set-Cookie"), "citygrid_session=cgs_") {
		t.Fatalf("sign in: %d %v %q", code, in, h.Get("Set-Cookie"))
	}
	user := in["user"].(map[string]any)
	csrf := in["csrf_token"].(string)
	if user["username"] != "zbz01" || user["role"] != "supervisor" || user["display_name"] == "" {
		t.Fatalf("signed in as %v", user)
	}
	secret := ""
	for _, c := range jar.Cookies(mustURL(t, s.URL)) {
		if c.Name == "citygrid_session" {
			secret = c.Value
		}
	}
	if code, cur, _ := call("GET", "/api/v1/session", "", ""); code != 200 || cur["csrf_token"] != csrf {
		t.Fatalf("GET session: %d %v", code, cur)
	}
	if code, _, h := call("GET", "/command", "", ""); code != 200 || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'self'") {
		t.Fatalf("/command signed in: %d %v", code, h)
	}
	report := fmt.Sprintf(`{"kind":"event","category":%q,"lon":%v,"lat":%v,"description":"e2e 会话"}`, category, p[0], p[1])
	if code, m, _ := call("POST", "/api/v1/cases", report, ""); code != 403 {
		t.Fatalf("write without the CSRF token: %d %v", code, m)
	}
	code, c, _ := call("POST", "/api/v1/cases", report, csrf)
	if code != 201 || c["reporter"] != "zbz01" {
		t.Fatalf("report with cookie and CSRF token: %d %v", code, c)
	}
	id := fmt.Sprint(int64(c["id"].(float64)))
	// A step the supervisor's role may not take is refused (verifying is
	// the operators' and inspectors'), as is an admin-only route.
	if code, m, _ := call("POST", "/api/v1/cases/"+id+"/actions/verify", "", csrf); code != 403 {
		t.Fatalf("verify as a supervisor: %d %v", code, m)
	}
	if code, m, _ := call("PUT", "/api/v1/stats/scoring", "{}", csrf); code != 403 {
		t.Fatalf("admin route as a supervisor: %d %v", code, m)
	}
	if code, _, _ := call("DELETE", "/api/v1/session", "", csrf); code != 204 {
		t.Fatalf("sign out: %d", code)
	}
	if code, _, _ := call("GET", "/api/v1/session", "", ""); code != 401 {
		t.Fatalf("after sign-out: %d", code)
	}
	logs := s.Logs()
	if !strings.Contains(logs, "signed in") {
		t.Errorf("the sign-in is not logged")
	}
	for name, v := range map[string]string{"password": pw, "session secret": secret, "CSRF token": csrf} {
		if v != "" && strings.Contains(logs, v) {
			t.Errorf("the %s appears in the server log", name)
		}
	}
	if secret == "" {
		t.Error("no session cookie in the jar")
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
