package tiles

import (
	"testing"
	"time"
)

// TestRewriterYieldsWhileEditsComeIn checks the rewriter's rest after a
// round: three times the round's length while the last edit is recent
// (rounds then take a quarter of the time), nothing once edits have paused
// for rewriteQuiet or before any edit.
func TestRewriterYieldsWhileEditsComeIn(t *testing.T) {
	p := &Provider{}
	rw := &rewriter{p: p}
	now := time.Unix(1_800_000_000, 0)
	if got := rw.pause(40*time.Millisecond, now); got != 0 {
		t.Errorf("before any edit: pause %v, want 0", got)
	}
	p.lastEdit.Store(now.Add(-100 * time.Millisecond).UnixNano())
	if got := rw.pause(40*time.Millisecond, now); got != 120*time.Millisecond {
		t.Errorf("edit 100 ms ago: pause %v, want 120ms", got)
	}
	p.lastEdit.Store(now.Add(time.Millisecond).UnixNano()) // an edit during the round
	if got := rw.pause(10*time.Millisecond, now); got != 30*time.Millisecond {
		t.Errorf("edit during the round: pause %v, want 30ms", got)
	}
	p.lastEdit.Store(now.Add(-rewriteQuiet - time.Millisecond).UnixNano())
	if got := rw.pause(40*time.Millisecond, now); got != 0 {
		t.Errorf("edits paused: pause %v, want 0", got)
	}
}
