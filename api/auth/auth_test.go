package auth

import (
	"citygrid/data"
	"citygrid/data/gpkg"
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRevocationByAnotherProcessIsSeenWithinAPoll: the cache of a running
// server drops a token revoked directly in the store (as `citygrid token
// revoke` does) at the next revocation poll.
func TestRevocationByAnotherProcessIsSeenWithinAPoll(t *testing.T) {
	ctx := context.Background()
	st, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "t.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tok, info, err := st.CreateToken(ctx, data.Principal{User: "a", Role: data.RoleViewer}, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	a := NewStoreTokens(st)
	a.now = func() time.Time { return now }
	for range 3 {
		if _, err := a.Authenticate(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if h, m := a.CacheStats(); h != 2 || m != 1 {
		t.Fatalf("cache hits %d misses %d, want 2 and 1", h, m)
	}
	if _, err := st.RevokeToken(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	now = now.Add(a.PollInterval / 2)
	if _, err := a.Authenticate(ctx, tok); err != nil {
		t.Fatalf("within the poll interval the cache still answers: %v", err)
	}
	now = now.Add(a.PollInterval)
	if _, err := a.Authenticate(ctx, tok); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("after a poll: %v, want revoked", err)
	}
}

func TestExpiredTokenIsRefused(t *testing.T) {
	ctx := context.Background()
	st, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "t.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tok, _, err := st.CreateToken(ctx, data.Principal{User: "a", Role: data.RoleViewer}, "", time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	a := NewStoreTokens(st)
	if _, err := a.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	a.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if _, err := a.Authenticate(ctx, tok); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("after expiry: %v", err)
	}
}

func TestTokenBucketRefillsAtItsRate(t *testing.T) {
	l := newLimiter(RateLimit{Rate: 2, Burst: 4})
	t0 := time.Unix(0, 0)
	for i := range 4 {
		if ok, _ := l.take("k", t0, 1); !ok {
			t.Fatalf("burst request %d refused", i)
		}
	}
	ok, wait := l.take("k", t0, 1)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("5th: ok=%v wait=%v, want refused for 500ms", ok, wait)
	}
	if ok, _ := l.take("k", t0.Add(499*time.Millisecond), 1); ok {
		t.Fatal("admitted before a token refilled")
	}
	if ok, _ := l.take("k", t0.Add(1000*time.Millisecond), 1); !ok {
		t.Fatal("refused after a token refilled")
	}
	// A long pause refills to the burst, not beyond.
	t1 := t0.Add(time.Hour)
	n := 0
	for {
		if ok, _ := l.take("k", t1, 1); !ok {
			break
		}
		n++
	}
	if n != 4 {
		t.Fatalf("after an hour %d requests admitted, want the burst 4", n)
	}
	if ok, _ := l.take("other", t1, 1); !ok {
		t.Fatal("another key shares the bucket")
	}
}

func TestClientIPTrustsOnlyConfiguredProxies(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, c := range []struct {
		remote, xff string
		trusted     []netip.Prefix
		want        string
	}{
		{"203.0.113.5:1", "1.2.3.4", nil, "203.0.113.5"},
		{"203.0.113.5:1", "1.2.3.4", proxy, "203.0.113.5"},
		{"10.1.1.1:1", "1.2.3.4", proxy, "1.2.3.4"},
		{"10.1.1.1:1", "6.6.6.6, 1.2.3.4, 10.2.2.2", proxy, "1.2.3.4"},
		{"10.1.1.1:1", "", proxy, "10.1.1.1"},
		{"10.1.1.1:1", "garbage", proxy, "10.1.1.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := ClientIP(r, c.trusted); got != c.want {
			t.Errorf("%s via %q: %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

// TestCaseTilesNeedATokenOnAPrivateServer: with public_lookups off the
// map's tiles stay public but the case map (every case's place and
// category) needs a token like the case lists.
func TestCaseTilesNeedATokenOnAPrivateServer(t *testing.T) {
	h := ReadPolicy(true)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	for path, want := range map[string]int{
		"/tiles/city.json":           200,
		"/tiles/city/14/1/1.mvt":     200,
		"/tiles/cases.json":          401,
		"/tiles/cases/16/1/1.mvt":    401,
		"/open311/v2/discovery.json": 200,
		"/api/v1/cases":              401,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("%s anonymously on a private server: %d, want %d", path, rec.Code, want)
		}
	}
}
