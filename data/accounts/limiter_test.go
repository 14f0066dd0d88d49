package accounts

import (
	"strconv"
	"testing"
	"time"
)

func TestLimiterLocksAtTheLimitAndForgivesOneFailurePerPeriod(t *testing.T) {
	l := newLimiter(Limit{Failures: 3, Forgive: time.Minute})
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := range 2 {
		l.fail("k", t0)
		if w := l.wait("k", t0); w != 0 {
			t.Fatalf("after %d failures: wait %s, want none", i+1, w)
		}
	}
	l.fail("k", t0)
	// Level 3, allowed up to 2: one failure must be forgiven, a minute.
	if w := l.wait("k", t0); w != time.Minute {
		t.Fatalf("after 3 failures: wait %s, want 1m", w)
	}
	if w := l.wait("k", t0.Add(45*time.Second)); w != 15*time.Second {
		t.Fatalf("45 s later: wait %s, want 15s", w)
	}
	if w := l.wait("k", t0.Add(time.Minute)); w != 0 {
		t.Fatalf("a minute later: wait %s, want none", w)
	}
	// A failure on the regained attempt locks it again for a minute.
	l.fail("k", t0.Add(time.Minute))
	if w := l.wait("k", t0.Add(time.Minute)); w != time.Minute {
		t.Fatalf("failing again: wait %s, want 1m", w)
	}
	if got := l.failures("k", t0.Add(4*time.Minute)); got != 0 {
		t.Fatalf("4 minutes later: %g failures, want all forgiven", got)
	}
	if w := l.wait("other", t0); w != 0 {
		t.Fatalf("another key waits %s", w)
	}
	l.reset("k")
	if w := l.wait("k", t0.Add(time.Minute)); w != 0 {
		t.Fatalf("after reset: wait %s", w)
	}
}

func TestLimiterMemoryIsBoundedUnderAFloodOfKeys(t *testing.T) {
	l := newLimiter(Limit{Failures: 3, Forgive: time.Hour})
	l.maxKeys = 1000
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := range 10_000 {
		l.fail(strconv.Itoa(i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := len(l.m); n > l.maxKeys {
		t.Fatalf("%d keys kept, bound %d", n, l.maxKeys)
	}
	if l.failures("9999", t0.Add(10*time.Second)) == 0 {
		t.Fatal("the newest key was dropped")
	}
}

func TestAddressKeysGroupIPv6ByPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":                  "192.0.2.7",
		"192.0.2.7:51234":            "192.0.2.7",
		"::ffff:192.0.2.7":           "192.0.2.7",
		"2001:db8:1:2:aaaa::1":       "2001:db8:1:2::/64",
		"[2001:db8:1:2:bbbb::9]:443": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":            "2001:db8:1:3::/64",
		"not an address":             "not an address",
	} {
		if got := addressKey(in); got != want {
			t.Errorf("addressKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSRFTokensBelongToOneSession(t *testing.T) {
	a, b := "cgs_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "cgs_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"
	if !CheckCSRF(a, CSRFToken(a)) {
		t.Fatal("a session's own token is refused")
	}
	if CheckCSRF(b, CSRFToken(a)) || CheckCSRF(a, "") || CheckCSRF(a, a) {
		t.Fatal("a token of another session, an empty one or the secret itself is accepted")
	}
	h := HashSession(a)
	if CSRFToken(a) == string(h[:]) || len(CSRFToken(a)) != 43 {
		t.Fatalf("CSRF token %q: want 43 base64url characters, not the stored hash", CSRFToken(a))
	}
}
