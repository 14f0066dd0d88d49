package auth

import "sync/atomic"

// Kinds of rate limit, for citygrid_rate_limited_total.
const (
	limitIP = iota
	limitToken
	limitAuthFailure
	limitReport
	nLimits
)

var limitNames = [nLimits]string{"ip", "token", "auth_failure", "report"}

// Reasons of failed authentication, for citygrid_auth_failures_total.
const (
	failMalformed = "malformed"
	failUnknown   = "unknown"
	failRevoked   = "revoked"
	failExpired   = "expired"
)

// Counters counts what the security middleware refused, for the
// server's metrics.
type Counters struct {
	limited      [nLimits]atomic.Uint64
	authFailures map[string]*atomic.Uint64
}

// NewCounters returns zeroed counters.
func NewCounters() *Counters {
	s := &Counters{authFailures: map[string]*atomic.Uint64{}}
	for _, r := range []string{failMalformed, failUnknown, failRevoked, failExpired} {
		s.authFailures[r] = new(atomic.Uint64)
	}
	return s
}

// Limited calls fn with every kind of rate limit and the requests it
// refused with 429.
func (c *Counters) Limited(fn func(limit string, n uint64)) {
	for i, n := range limitNames {
		fn(n, c.limited[i].Load())
	}
}

// AuthFailures calls fn with every reason of failed authentication and
// its count, in a fixed order.
func (c *Counters) AuthFailures(fn func(reason string, n uint64)) {
	for _, r := range []string{failExpired, failMalformed, failRevoked, failUnknown} {
		fn(r, c.authFailures[r].Load())
	}
}
