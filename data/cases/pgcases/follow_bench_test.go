package pgcases_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"citygrid/data/cases"
)

// BenchmarkPGRemoteFollow measures how many case writes of another
// replica a follower takes in per second (ListenRemote: a notification,
// then the case and its transition read back): one store writes b.N
// transitions on 64 cases from 4 goroutines, the other's ListenRemote
// counts them; the time runs until the last one arrived.
//
//	go test ./data/cases/ -run '^$' -bench PGRemoteFollow -benchtime 5000x
func BenchmarkPGRemoteFollow(b *testing.B) {
	st := openPG(b, 2)
	w, f := st[0], st[1]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const n = 64
	ids := make([]*cases.Case, n)
	for i := range ids {
		c := &cases.Case{Kind: "event", Category: "0101", State: cases.StateReported, Source: cases.SourceInspector, Point: [2]float64{118.7, 31.9}}
		if err := w.Create(ctx, c, &cases.Transition{Action: "report", To: cases.StateReported, User: "i"}); err != nil {
			b.Fatal(err)
		}
		ids[i] = c
	}
	var got atomic.Int64
	all := make(chan struct{})
	target := int64(b.N)
	ready := make(chan struct{})
	var once sync.Once
	f.OnRemoteReady(func() { once.Do(func() { close(ready) }) })
	done := make(chan error, 1)
	go func() {
		done <- f.ListenRemote(ctx, func(c *cases.Case, t *cases.Transition) {
			if got.Add(1) == target {
				close(all)
			}
		})
	}()
	<-ready
	b.ReportAllocs()
	b.ResetTimer()
	t0 := time.Now()
	next := make(chan int, b.N)
	for i := range b.N {
		next <- i % n
	}
	close(next)
	var wg sync.WaitGroup
	var mu [n]sync.Mutex
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				mu[i].Lock()
				c := ids[i]
				c.UpdatedAt = time.Now()
				if err := w.Update(ctx, c, &cases.Transition{Action: "note", User: "d"}); err != nil {
					b.Error(err)
				}
				mu[i].Unlock()
			}
		}()
	}
	wg.Wait()
	written := time.Since(t0)
	select {
	case <-all:
	case err := <-done:
		b.Fatalf("follow ended after %d of %d: %v", got.Load(), b.N, err)
	case <-time.After(time.Minute):
		b.Fatalf("%d of %d writes followed after a minute", got.Load(), b.N)
	}
	took := time.Since(t0)
	b.ReportMetric(float64(b.N)/took.Seconds(), "followed/s")
	b.ReportMetric(float64(b.N)/written.Seconds(), "written/s")
	b.ReportMetric(float64((took - written).Milliseconds()), "ms_behind_at_end")
}
