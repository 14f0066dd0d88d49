package pgstore

import "context"

// BumpSchemaForTest records a migration this binary does not know.
func BumpSchemaForTest(ctx context.Context, s *Store) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO `+s.schema+`.store_schema (version) VALUES ($1)`, len(migrations)+1)
	return err
}
