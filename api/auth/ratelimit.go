package auth

import (
	"fmt"
	"hash/maphash"
	"math"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"citygrid/api/httpx"
	"citygrid/data"

	"golang.org/x/time/rate"
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
	// Reports limits anonymous writes per client address (Open311 POST
	// and any other write without a token), on top of PerIP: a report
	// costs a store write and a place in a dispatcher's queue, so a
	// flood must stop long before a lookup flood would.
	Reports RateLimit
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

// limiter is a set of token buckets (golang.org/x/time/rate) keyed by
// client (address or user), sharded to keep lock contention low at tens
// of thousands of requests per second. Idle buckets (full again) are
// dropped when a shard grows, so a scan from many addresses cannot grow
// it without bound.
type limiter struct {
	limit  RateLimit
	seed   maphash.Seed
	shards [16]limiterShard
}

type limiterShard struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// maxBucketsPerShard bounds the memory of one shard (16 shards × 64k
// buckets × ~150 bytes ≈ 150 MB worst case under a distributed scan).
const maxBucketsPerShard = 1 << 16

func newLimiter(l RateLimit) *limiter {
	if l.Burst < 1 {
		l.Burst = max(1, int(math.Ceil(l.Rate)))
	}
	lm := &limiter{limit: l, seed: maphash.MakeSeed()}
	for i := range lm.shards {
		lm.shards[i].buckets = map[string]*rate.Limiter{}
	}
	return lm
}

// bucketOf returns key's bucket, made full on first use.
func (l *limiter) bucketOf(key string, now time.Time) *rate.Limiter {
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, ok := sh.buckets[key]
	if !ok {
		if len(sh.buckets) >= maxBucketsPerShard {
			sh.sweep(now, l.limit)
		}
		b = rate.NewLimiter(rate.Limit(l.limit.Rate), l.limit.Burst)
		sh.buckets[key] = b
	}
	return b
}

// take spends cost tokens of key's bucket when it has them. When it has
// not, it reports how long until it has.
func (l *limiter) take(key string, now time.Time, cost int) (ok bool, retryAfter time.Duration) {
	b := l.bucketOf(key, now)
	if b.AllowN(now, cost) {
		return true, 0
	}
	return false, l.wait(b.TokensAt(now), float64(cost))
}

// empty reports whether key's bucket has less than one token, and how long
// until it has one, without spending.
func (l *limiter) empty(key string, now time.Time) (bool, time.Duration) {
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	sh.mu.Lock()
	b, ok := sh.buckets[key]
	sh.mu.Unlock()
	if !ok {
		return false, 0
	}
	if t := b.TokensAt(now); t < 1 {
		return true, l.wait(t, 1)
	}
	return false, 0
}

// wait is how long a bucket holding tokens takes to hold need.
func (l *limiter) wait(tokens, need float64) time.Duration {
	return time.Duration((need - tokens) / l.limit.Rate * float64(time.Second))
}

// sweep drops the buckets that are full again: forgetting them changes
// nothing. If that frees nothing (a flood of distinct clients), it drops
// everything — better than unbounded memory.
func (sh *limiterShard) sweep(now time.Time, l RateLimit) {
	for k, b := range sh.buckets {
		if b.TokensAt(now) >= float64(l.Burst) {
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

// anonymousWrite reports whether r writes (a method other than GET, HEAD
// and OPTIONS, and not one of the read-only POSTs).
func anonymousWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return !slices.Contains(ReadOnlyPosts, r.URL.Path)
}

// LimitRates applies the per-IP limit to anonymous requests and the
// per-user limit to authenticated ones (after authenticate).
func LimitRates(rl RateLimits, trusted []netip.Prefix, sec *Counters) func(http.Handler) http.Handler {
	var perIP, perUser, reports *limiter
	if rl.PerIP.Rate > 0 {
		perIP = newLimiter(rl.PerIP)
	}
	if rl.PerToken.Rate > 0 {
		perUser = newLimiter(rl.PerToken)
	}
	if rl.Reports.Rate > 0 {
		reports = newLimiter(rl.Reports)
	}
	return func(next http.Handler) http.Handler {
		if perIP == nil && perUser == nil && reports == nil {
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
			} else {
				// The report limit first: a refused report flood spends
				// nothing of the address's lookup budget.
				ip := ClientIP(r, trusted)
				if reports != nil && anonymousWrite(r) {
					if ok, wait := reports.take(ip, now, 1); !ok {
						sec.limited[limitReport].Add(1)
						tooMany(w, wait, "report limit of this address exceeded")
						return
					}
				}
				if perIP != nil {
					if ok, wait := perIP.take(ip, now, 1); !ok {
						sec.limited[limitIP].Add(1)
						tooMany(w, wait, "rate limit of this address exceeded")
						return
					}
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}
