package main

import (
	"context"

	"citygrid/data/accounts"
)

// accountUsers lists the accounts people sign in with, from which the
// workflow learns which inspector walks which work grid (核实 and 核查 go
// to that inspector): city.Config.Users over the accounts service.
type accountUsers struct{ svc *accounts.Service }

// Users lists every account.
func (a accountUsers) Users(ctx context.Context) ([]accounts.User, error) {
	return a.svc.ListUsers(ctx)
}
