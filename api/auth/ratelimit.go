package auth

import (
	"fmt"
	"hash/maphash"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"citygrid/api/httpx"
	"citygrid/data"
)

// RateLimit is one token-bucket limit: Rate requests per second on
// average, bursts of up to Burst. A zero Rate means no limit.
type RateLimit struct {
	Rate  float64
	Burst int
}

// RateLimits are the server's request limits.
type RateLimits struct {
	// PerIP limits anonymous requests per client address.
	PerIP RateLimit
	// PerToken limits authenticated requests per user (all of a user's
	// tokens share one bucket).
	PerToken RateLimit
	// AuthFailures limits failed authentications per (client address,
	// token id): once a token has used up its burst of failures from an
	// address, requests with that token from there are answered 429 until
	// the bucket refills; other tokens from the same address are not
	// affected (Authenticate). Zero Rate means the default, 1 per 6 s with
	// a burst of 10.
	AuthFailures RateLimit
}

// Default failed-authentication limit.
var DefaultAuthFailures = RateLimit{Rate: 1.0 / 6, Burst: 10}

// limiter is a set of token buckets keyed by client (address or user),
// sharded to keep lock contention low at tens of thousands of requests per
// second. Idle buckets (full again) are dropped when a shard grows, so a
// scan from many addresses cannot grow it without bound.
type limiter struct {
	limit  RateLimit
	seed   maphash.Seed
	shards [16]limiterShard
}

type limiterShard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBucketsPerShard bounds the memory of one shard (16 shards × 64k
// buckets × ~100 bytes ≈ 100 MB worst case under a distributed scan).
const maxBucketsPerShard = 1 << 16

func newLimiter(l RateLimit) *limiter {
	if l.Burst < 1 {
		l.Burst = max(1, int(math.Ceil(l.Rate)))
	}
	lm := &limiter{limit: l, seed: maphash.MakeSeed()}
	for i := range lm.shards {
		lm.shards[i].buckets = map[string]*bucket{}
	}
	return lm
}

// take spends cost tokens of key's bucket when it has them. When it has
// not, it reports how long until it has.
func (l *limiter) take(key string, now time.Time, cost float64) (ok bool, retryAfter time.Duration) {
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b := sh.bucket(key, now, l.limit)
	if b.tokens >= cost {
		b.tokens -= cost
		return true, 0
	}
	need := (cost - b.tokens) / l.limit.Rate
	return false, time.Duration(need * float64(time.Second))
}

// empty reports whether key's bucket has less than one token, and how long
// until it has one, without spending.
func (l *limiter) empty(key string, now time.Time) (bool, time.Duration) {
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, ok := sh.buckets[key]
	if !ok {
		return false, 0
	}
	sh.refill(b, now, l.limit)
	if b.tokens >= 1 {
		return false, 0
	}
	return true, time.Duration((1 - b.tokens) / l.limit.Rate * float64(time.Second))
}

func (sh *limiterShard) bucket(key string, now time.Time, l RateLimit) *bucket {
	b, ok := sh.buckets[key]
	if ok {
		sh.refill(b, now, l)
		return b
	}
	if len(sh.buckets) >= maxBucketsPerShard {
		sh.sweep(now, l)
	}
	b = &bucket{tokens: float64(l.Burst), last: now}
	sh.buckets[key] = b
	return b
}

func (sh *limiterShard) refill(b *bucket, now time.Time, l RateLimit) {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(float64(l.Burst), b.tokens+dt*l.Rate)
		b.last = now
	}
}

// sweep drops the buckets that are full again: forgetting them changes
// nothing. If that frees nothing (a flood of distinct clients), it drops
// everything — better than unbounded memory.
func (sh *limiterShard) sweep(now time.Time, l RateLimit) {
	for k, b := range sh.buckets {
		sh.refill(b, now, l)
		if b.tokens >= float64(l.Burst) {
			delete(sh.buckets, k)
		}
	}
	if len(sh.buckets) >= maxBucketsPerShard {
		clear(sh.buckets)
	}
}

// RetryAfterSeconds rounds a wait up to whole seconds, at least 1, as the
// Retry-After header wants.
func RetryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(max(1, int64(math.Ceil(d.Seconds()))), 10)
}

// tooMany answers 429 with Retry-After.
func tooMany(w http.ResponseWriter, wait time.Duration, what string) {
	w.Header().Set("Retry-After", RetryAfterSeconds(wait))
	httpx.WriteError(w, fmt.Errorf("%s; retry after %s s: %w", what, RetryAfterSeconds(wait), data.ErrTooManyRequests))
}

// ClientIP returns the address a request comes from: the connection's
// peer, or — when the peer is a trusted reverse proxy — the right-most
// address in X-Forwarded-For that is not itself a trusted proxy (the
// left-most entries are whatever the client claimed).
func ClientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(trusted) == 0 {
		return host
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !inPrefixes(peer, trusted) {
		return host
	}
	xff := r.Header.Values("X-Forwarded-For")
	addrs := strings.Split(strings.Join(xff, ","), ",")
	for i := len(addrs) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(addrs[i]))
		if err != nil {
			break
		}
		if !inPrefixes(a, trusted) {
			return a.String()
		}
	}
	return host
}

func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// exemptFromLimits are the paths probes and scrapers hit on a schedule;
// limiting them would turn a busy server into one reported as dead.
func exemptFromLimits(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// LimitRates applies the per-IP limit to anonymous requests and the
// per-user limit to authenticated ones (after authenticate).
func LimitRates(rl RateLimits, trusted []netip.Prefix, sec *Counters) func(http.Handler) http.Handler {
	var perIP, perUser *limiter
	if rl.PerIP.Rate > 0 {
		perIP = newLimiter(rl.PerIP)
	}
	if rl.PerToken.Rate > 0 {
		perUser = newLimiter(rl.PerToken)
	}
	return func(next http.Handler) http.Handler {
		if perIP == nil && perUser == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if exemptFromLimits(r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			now := time.Now()
			if p := PrincipalOf(r); !p.Anonymous() {
				if perUser != nil {
					if ok, wait := perUser.take(p.User, now, 1); !ok {
						sec.limited[limitToken].Add(1)
						tooMany(w, wait, "rate limit of user "+p.User+" exceeded")
						return
					}
				}
			} else if perIP != nil {
				if ok, wait := perIP.take(ClientIP(r, trusted), now, 1); !ok {
					sec.limited[limitIP].Add(1)
					tooMany(w, wait, "rate limit of this address exceeded")
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}
