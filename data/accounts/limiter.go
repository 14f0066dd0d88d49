package accounts

import (
	"net/netip"
	"sync"
	"time"
)

// Limit is how many failed sign-ins a key may collect before it is
// locked, and how fast they are forgiven.
type Limit struct {
	// Failures locks the key once this many unforgiven failures are
	// counted.
	Failures float64
	// Forgive is the time after which one failure is forgiven; a locked key
	// gets one attempt back after it.
	Forgive time.Duration
}

// Default limits. Per account: 5 failures, then one attempt every 2
// minutes, about 720 guesses a day at most, which no password the policy
// admits falls to. Per address: 50 failures, then one every 12 seconds:
// an office behind one NAT address never makes 50 typing mistakes in a
// row, a password sprayer across accounts is slowed to 300 an hour.
var (
	DefaultAccountLimit = Limit{Failures: 5, Forgive: 2 * time.Minute}
	DefaultAddressLimit = Limit{Failures: 50, Forgive: 12 * time.Second}
)

// limiter counts failed sign-ins per key with a linear decay: a leaky
// bucket that fills by one per failure and drains by one per Forgive.
//
// It is a small counter rather than golang.org/x/time/rate because it
// counts failures only, after the fact, and must be reset by a success;
// rate.Limiter takes a token before the attempt, has no reset and would
// need one limiter object per key anyway. The counter is two numbers per
// key and answers "how long until the next attempt" directly.
//
// Counts live in the process: behind several replicas each keeps its own,
// which multiplies the allowed guesses by the number of replicas (a
// handful) and leaves the argon2id cost of each guess untouched.
type limiter struct {
	limit Limit
	mu    sync.Mutex
	m     map[string]*bucket
	// maxKeys bounds memory under a flood of distinct keys: beyond it
	// drained buckets are swept, then the oldest ones dropped.
	maxKeys int
}

type bucket struct {
	level float64
	at    time.Time
}

func newLimiter(l Limit) *limiter {
	return &limiter{limit: l, m: map[string]*bucket{}, maxKeys: 100_000}
}

// drained returns the bucket's level at now.
func (l *limiter) drained(b *bucket, now time.Time) float64 {
	if l.limit.Forgive <= 0 {
		return 0
	}
	lv := b.level - float64(now.Sub(b.at))/float64(l.limit.Forgive)
	return max(lv, 0)
}

// wait returns how long key must wait before its next attempt (zero when
// it may try now).
func (l *limiter) wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.m[key]
	if b == nil {
		return 0
	}
	over := l.drained(b, now) - (l.limit.Failures - 1)
	if over <= 0 {
		return 0
	}
	return time.Duration(over * float64(l.limit.Forgive))
}

// take is an attempt of key at now: when key is locked it returns the
// wait and counts nothing; otherwise it counts a failure in advance and
// returns zero. Counting before the password is checked bounds the
// attempts in flight: a thousand concurrent guesses at one account get
// Failures checks, not a thousand. A success gives the charge back
// (reset or refund).
func (l *limiter) take(key string, now time.Time) time.Duration {
	if w := l.wait(key, now); w > 0 {
		return w
	}
	l.fail(key, now)
	return 0
}

// refund gives back one failure counted by take.
func (l *limiter) refund(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.m[key]; b != nil {
		b.level = max(b.level-1, 0)
	}
}

// fail counts one failure of key at now.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.m[key]
	if b == nil {
		if len(l.m) >= l.maxKeys {
			l.sweep(now)
		}
		b = &bucket{}
		l.m[key] = b
	}
	b.level = l.drained(b, now) + 1
	b.at = now
}

// failures returns key's unforgiven failure count at now.
func (l *limiter) failures(key string, now time.Time) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.m[key]; b != nil {
		return l.drained(b, now)
	}
	return 0
}

// reset forgets key's failures.
func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
}

// sweep drops drained buckets and, if that is not enough, the half that
// failed longest ago. Called with mu held.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.m {
		if l.drained(b, now) == 0 {
			delete(l.m, k)
		}
	}
	if len(l.m) < l.maxKeys {
		return
	}
	var cut time.Time
	n := 0
	for _, b := range l.m {
		if n == 0 || b.at.Before(cut) {
			cut = b.at
		}
		n++
	}
	// Drop everything older than the midpoint between the oldest failure
	// and now: cheap, and keeps the most recent (most active) keys.
	mid := cut.Add(now.Sub(cut) / 2)
	for k, b := range l.m {
		if b.at.Before(mid) {
			delete(l.m, k)
		}
	}
}

// addressKey is the limiter key of a client address: the address itself
// for IPv4, its /64 for IPv6 (one host usually holds a whole /64, so
// counting single IPv6 addresses would let it rotate past the limit).
// Something that is not an address counts as itself.
func addressKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return addr
		}
		a = ap.Addr()
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
