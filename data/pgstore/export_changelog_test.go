package pgstore

import (
	"context"

	"citygrid/data"
)

// RecordForTest commits the given changes to the log in one writing
// transaction, as an edit would, without touching any layer.
func RecordForTest(ctx context.Context, s *Store, cs ...data.Change) ([]data.Change, error) {
	return s.write(ctx, data.EditMeta{User: "test", Reason: "log"}, "", func(w *writeTx) error {
		for _, c := range cs {
			if err := w.record(c); err != nil {
				return err
			}
		}
		return nil
	})
}

// PruneChangesForTest deletes the log rows with seq <= upTo, as a pruning
// would.
func PruneChangesForTest(ctx context.Context, s *Store, upTo int64) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM changes WHERE seq <= $1`, upTo)
	return err
}
