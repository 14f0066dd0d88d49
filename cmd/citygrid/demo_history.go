package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"citygrid/data"
	"citygrid/data/demo"
	"citygrid/data/gpkg"
	"citygrid/spatial"

	"github.com/paulmach/orb"
)

// demoHistoryDays is how long a generated demo city's case history runs,
// up to the moment the city is generated.
const demoHistoryDays = 365

// storeDemoHistory writes the demo city's case history into the case
// tables of st, so that a served demo city shows a year of work from the
// first request: the board and the statistics load what the store holds.
// The handling units come from the responsible lookup over ds.
func storeDemoHistory(ctx context.Context, st *gpkg.Store, ds *data.Dataset, seed int64, log *slog.Logger) error {
	t0 := time.Now()
	ix, err := spatial.Build(ds)
	if err != nil {
		return fmt.Errorf("demo case history: %w", err)
	}
	resolve := func(p orb.Point, kind data.CategoryKind, category, component string) string {
		r, err := ix.Responsible(p, kind, category, component)
		if err != nil {
			return ""
		}
		return r.Unit.Code
	}
	all, trs, err := demo.Cases(ds, demo.CaseOptions{Seed: seed, End: time.Now().Truncate(time.Minute), Days: demoHistoryDays, Responsible: resolve})
	if err != nil {
		return fmt.Errorf("demo case history: %w", err)
	}
	if err := demo.StoreCases(ctx, st.DB(), all, trs); err != nil {
		return err
	}
	log.Info("demo case history stored", "cases", len(all), "transitions", len(trs), "took", time.Since(t0).Round(time.Millisecond))
	return nil
}
