package main

import (
	"context"
	"fmt"

	"citygrid/data/accounts"
	"citygrid/data/gpkg"
)

// migrateAccounts copies the users of a GeoPackage data directory, with
// their password hashes, into the account store of the PostgreSQL
// deployment at url (schema accounts.DefaultPGSchema), so that people sign
// in to the replicas with the passwords they have. Sessions are not
// copied. A directory without account tables has nothing to copy.
func migrateAccounts(ctx context.Context, src *gpkg.Store, url string) error {
	var has int
	if err := src.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'account_users'`).Scan(&has); err != nil {
		return err
	}
	if has == 0 {
		fmt.Printf("%-16s %8s\n", "users", "none")
		return nil
	}
	from, err := accounts.NewSQLStore(ctx, src.DB())
	if err != nil {
		return err
	}
	to, err := accounts.OpenPG(ctx, url, "")
	if err != nil {
		return err
	}
	defer to.Close()
	n, err := accounts.CopyUsers(ctx, from, to)
	if err != nil {
		return err
	}
	fmt.Printf("%-16s %8d %8d  ok (password hashes kept; sessions are not copied)\n", "users", n, n)
	return nil
}
