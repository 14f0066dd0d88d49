package main

import (
	"context"
	"fmt"

	"citygrid/data"
	"citygrid/data/cases/pgcases"
)

// tokenStore is where `citygrid token` issues, lists and revokes tokens.
type tokenStore interface {
	data.TokenStore
	Close() error
}

// openTokenStore opens the tokens of a PostgreSQL deployment when store is
// a postgres:// URL — the case store's citygrid_tokens, which every
// `serve --store` replica of that database authenticates against — and
// otherwise the GeoPackage store of dir.
func openTokenStore(ctx context.Context, dir, store string) (tokenStore, error) {
	if store == "" {
		return openExisting(ctx, dir)
	}
	if !isPostgresURL(store) {
		return nil, fmt.Errorf("--store: want a postgres:// URL, got %q", redactURL(store))
	}
	cs, err := pgcases.Open(ctx, store, "")
	if err != nil {
		return nil, fmt.Errorf("open the tokens of %s: %w", redactURL(store), err)
	}
	return cs, nil
}
