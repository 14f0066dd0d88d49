package auth

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkLimiterTake is the rate limit's share of every request: one
// take on the bucket of one of 1,000 client addresses, from parallel
// goroutines as the server's connections do it.
func BenchmarkLimiterTake(b *testing.B) {
	l := newLimiter(RateLimit{Rate: 1e9, Burst: 1 << 30})
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "203.0.113." + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.take(keys[i%len(keys)], time.Now(), 1)
			i++
		}
	})
}
