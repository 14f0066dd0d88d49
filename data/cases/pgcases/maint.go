package pgcases

import (
	"context"
	"fmt"
)

// Analyze vacuums the case tables and refreshes their planner statistics,
// as a bulk load (ImportHistory) leaves them stale until
// autovacuum comes round: meanwhile queue listings may pick poor plans,
// and their counts cannot use index-only scans (the visibility map is not
// set yet), reading every matching row from the table instead.
func (s *Store) Analyze(ctx context.Context) error {
	for _, table := range []string{"case_cases", "case_transitions"} {
		if _, err := s.pool.Exec(ctx, `VACUUM (ANALYZE) `+table); err != nil {
			return fmt.Errorf("case store: vacuum %s: %w", table, err)
		}
	}
	return nil
}
