package main

import (
	"context"
	"log/slog"

	"citygrid/api/city"
	"citygrid/data"
	"citygrid/data/accounts"
	"citygrid/data/gpkg"
)

// taskAccounts is the accounts of a GeoPackage city, from which the
// workflow learns which inspector walks which work grid (核实 and 核查 go
// to that inspector). A PostgreSQL deployment gets none here: its tasks
// go to the settings' pool or the centre. An error is logged, not fatal:
// the tasks then go the same way.
func taskAccounts(ctx context.Context, st data.Store, log *slog.Logger) city.UserLister {
	g, ok := st.(*gpkg.Store)
	if !ok || g.DB() == nil {
		return nil
	}
	as, err := accounts.NewSQLStore(ctx, g.DB())
	if err != nil {
		log.Warn("accounts not read: inspector tasks go to the pool or the centre", "err", err)
		return nil
	}
	return as
}
