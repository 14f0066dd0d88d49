package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/gpkg/gpkgtest"
	"citygrid/data/pgstore"
)

func TestChangeLog(t *testing.T) {
	url := testURL(t)
	ctx := context.Background()
	st := openTemp(t, url)
	defer st.Close()
	if seq, err := st.LastChangeSeq(ctx); err != nil || seq != 0 {
		t.Fatalf("LastChangeSeq of a new store = %d, %v; want 0", seq, err)
	}
	if cs, err := st.ChangesSince(ctx, 0, 10); err != nil || len(cs) != 0 {
		t.Fatalf("ChangesSince(0) of a new store = %v, %v", cs, err)
	}
	c := gpkgtest.City().Components[0]
	upd := c
	upd.Name, upd.Version = "renamed", c.Version+1
	got, err := pgstore.RecordForTest(ctx, st,
		data.Change{Layer: "components", Op: data.OpInsert, Code: c.Code, Version: c.Version, AfterComponent: &c},
		data.Change{Layer: "components", Op: data.OpUpdate, Code: c.Code, Version: upd.Version, BeforeComponent: &c, AfterComponent: &upd})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Seq != 1 || got[1].Seq != 2 {
		t.Fatalf("committed changes have seqs %v, want 1, 2", seqs(got))
	}
	if _, err := pgstore.RecordForTest(ctx, st, data.Change{Layer: "components", Op: data.OpDelete, Code: c.Code, Version: upd.Version, BeforeComponent: &upd}); err != nil {
		t.Fatal(err)
	}
	if seq, err := st.LastChangeSeq(ctx); err != nil || seq != 3 {
		t.Fatalf("LastChangeSeq = %d, %v; want 3", seq, err)
	}
	all, err := st.ChangesSince(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs(all)) != "[1 2 3]" {
		t.Fatalf("ChangesSince(0) seqs %v, want [1 2 3]", seqs(all))
	}
	if all[1].Op != data.OpUpdate || all[1].BeforeComponent == nil || all[1].AfterComponent.Name != "renamed" ||
		all[2].Op != data.OpDelete || all[2].AfterComponent != nil || all[0].BeforeComponent != nil || all[0].User != "test" {
		t.Errorf("log rows lost what the changes said: %+v", all)
	}
	if !orb.Equal(all[0].AfterComponent.Geometry, c.Geometry) {
		t.Errorf("geometry through the log: %v, want %v", all[0].AfterComponent.Geometry, c.Geometry)
	}
	if part, err := st.ChangesSince(ctx, 1, 1); err != nil || fmt.Sprint(seqs(part)) != "[2]" {
		t.Errorf("ChangesSince(1, limit 1) = %v, %v; want [2]", seqs(part), err)
	}
	if part, err := st.ChangesSince(ctx, 3, 10); err != nil || len(part) != 0 {
		t.Errorf("ChangesSince(last) = %v, %v; want none", seqs(part), err)
	}
	// A follower ahead of the store (store recreated) must reload.
	if _, err := st.ChangesSince(ctx, 4, 10); !errors.Is(err, data.ErrGone) {
		t.Errorf("ChangesSince beyond the last seq: %v, want ErrGone", err)
	}
	// Pruned: after+1 is no longer there.
	if err := pgstore.PruneChangesForTest(ctx, st, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ChangesSince(ctx, 0, 10); !errors.Is(err, data.ErrGone) {
		t.Errorf("ChangesSince(0) after pruning seq 1: %v, want ErrGone", err)
	}
	if part, err := st.ChangesSince(ctx, 1, 10); err != nil || fmt.Sprint(seqs(part)) != "[2 3]" {
		t.Errorf("ChangesSince(1) after pruning seq 1 = %v, %v; want [2 3]", seqs(part), err)
	}
	ds, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ds.ChangeSeq != 3 {
		t.Errorf("Load ChangeSeq = %d, want 3", ds.ChangeSeq)
	}
}

// Concurrent writers through two stores on one database take seqs in
// commit order without gaps, and a listener hears the last of them.
func TestChangeLogConcurrentWritersAndListen(t *testing.T) {
	url := testURL(t)
	ctx := context.Background()
	a := openTemp(t, url)
	defer a.Close()
	b, err := pgstore.Open(ctx, url, pgstore.Options{Schema: a.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	lctx, cancel := context.WithCancel(ctx)
	heard := make(chan int64, 1000)
	done := make(chan error, 1)
	go func() { done <- b.Listen(lctx, func(seq int64) { heard <- seq }) }()
	if first := <-heard; first != 0 {
		t.Fatalf("Listen's first call = %d, want the last seq 0", first)
	}

	c := gpkgtest.City().Components[0]
	const writers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		st := a
		if w%2 == 1 {
			st = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				_, err := pgstore.RecordForTest(ctx, st,
					data.Change{Layer: "components", Op: data.OpInsert, Code: c.Code, Version: 1, AfterComponent: &c},
					data.Change{Layer: "components", Op: data.OpDelete, Code: c.Code, Version: 1, BeforeComponent: &c})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	all, err := a.ChangesSince(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2*writers*each {
		t.Fatalf("%d changes in the log, want %d", len(all), 2*writers*each)
	}
	for i, ch := range all {
		if ch.Seq != int64(i+1) {
			t.Fatalf("change %d has seq %d: gap or disorder", i, ch.Seq)
		}
		// One transaction's insert and delete are adjacent: writers
		// were serialised.
		if want := []data.ChangeOp{data.OpInsert, data.OpDelete}[i%2]; ch.Op != want {
			t.Fatalf("change seq %d is %s, want %s: transactions interleaved", ch.Seq, ch.Op, want)
		}
		if i > 0 && ch.At.Before(all[i-1].At) {
			t.Fatalf("change seq %d at %v is before seq %d at %v", ch.Seq, ch.At, ch.Seq-1, all[i-1].At)
		}
	}
	want := int64(2 * writers * each)
	timeout := time.After(10 * time.Second)
	for last := int64(0); last != want; {
		select {
		case seq := <-heard:
			if seq < last {
				t.Fatalf("notification %d after %d", seq, last)
			}
			last = seq
		case <-timeout:
			t.Fatalf("no notification of seq %d (last heard %d)", want, last)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Listen returned %v when its context ended, want nil", err)
	}
}

func seqs(cs []data.Change) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.Seq
	}
	return out
}

// A listener whose connection is lost returns an error (the follower
// retries and re-reads the log) instead of waiting forever.
func TestListenReturnsWhenTheConnectionIsLost(t *testing.T) {
	url := testURL(t)
	ctx := context.Background()
	st := openTemp(t, url)
	defer st.Close()
	heard := make(chan int64, 10)
	done := make(chan error, 1)
	// The listener's connection is the one whose last statement read the
	// counter (only this test's backends: a shared server keeps others').
	start := time.Now()
	go func() { done <- st.Listen(ctx, func(seq int64) { heard <- seq }) }()
	<-heard // listening
	killer, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(ctx)
	var n int
	if err := killer.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
  AND state = 'idle' AND query = 'SELECT seq FROM change_counter' AND backend_start > $1`, start).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no backend to terminate")
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Listen returned nil after its connection was lost; want an error to retry on")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Listen still waiting 10 s after its connection was terminated")
	}
	// The store itself recovers (the pool reconnects), and a new listener
	// hears the next change.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { done <- st.Listen(lctx, func(seq int64) { heard <- seq }) }()
	if first := <-heard; first != 0 {
		t.Fatalf("new listener's first call %d, want 0", first)
	}
	c := gpkgtest.City().Components[0]
	var got []data.Change
	for range 3 { // the pool may hand out a terminated connection first
		if got, err = pgstore.RecordForTest(ctx, st, data.Change{Layer: "components", Op: data.OpInsert, Code: c.Code, Version: 1, AfterComponent: &c}); err == nil {
			break
		}
	}
	if err != nil || len(got) != 1 || got[0].Seq != 1 {
		t.Fatalf("write after the connection loss: %v %v", got, err)
	}
	select {
	case seq := <-heard:
		if seq != 1 {
			t.Fatalf("heard %d, want 1", seq)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the new listener heard nothing")
	}
}
