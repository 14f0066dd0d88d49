package city

import (
	"context"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
)

// Retention defaults of what the field app sends.
const (
	// DefaultPositionRetention is how long inspectors' position samples
	// are kept: a month of tracks for the monthly evaluation.
	DefaultPositionRetention = 30 * 24 * time.Hour
	// ReplayRetention is how long the answer to an idempotent write is
	// kept: two days, more than a phone spends offline in a working day
	// and the night after it.
	ReplayRetention = 48 * time.Hour
	// fieldPruneEvery is how often old positions and answers are deleted.
	fieldPruneEvery = time.Hour
)

// Field returns the store of inspectors' duty and positions (nil: the
// city has no case store, or one without them).
func (c *City) Field() cases.FieldStore {
	if c == nil || c.Workflow == nil {
		return nil
	}
	f, _ := c.Workflow.Store.(cases.FieldStore)
	return f
}

// Replays returns the store of idempotent writes' answers (nil: none).
func (c *City) Replays() data.ReplayStore {
	if c == nil || c.Workflow == nil {
		return nil
	}
	r, _ := c.Workflow.Store.(data.ReplayStore)
	return r
}

// PositionRetention is how long position samples are kept.
func (c *City) PositionRetention() time.Duration { return c.positionRetention }

// startFieldPruning deletes, once at start and then every hour until the
// City closes, the positions older than the retention and the stored
// answers of idempotent writes older than ReplayRetention.
func (c *City) startFieldPruning(every time.Duration) {
	f, rs := c.Field(), c.Replays()
	if f == nil && rs == nil {
		return
	}
	c.bg.spawn(func(ctx context.Context) {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			now := time.Now()
			if f != nil {
				if n, err := f.PrunePositions(ctx, now.Add(-c.positionRetention)); err != nil && ctx.Err() == nil {
					c.log.Error("pruning inspectors' positions", "err", err)
				} else if n > 0 {
					c.log.Info("inspectors' positions pruned", "deleted", n, "retention", c.positionRetention)
				}
			}
			if rs != nil {
				if _, err := rs.PruneReplays(ctx, now.Add(-ReplayRetention)); err != nil && ctx.Err() == nil {
					c.log.Error("pruning idempotent answers", "err", err)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}
