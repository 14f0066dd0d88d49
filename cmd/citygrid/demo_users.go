package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"text/tabwriter"

	"citygrid/api/auth"
	"citygrid/data"
	"citygrid/data/accounts"
	"citygrid/data/gpkg"
)

// addDemoUsers creates the demo city's accounts, one for every role, in
// the new store, and prints them with their one generated password on w.
// This is the only time the password is shown: the store keeps hashes.
func addDemoUsers(ctx context.Context, st *gpkg.Store, ds *data.Dataset, log *slog.Logger, w io.Writer, addr string) error {
	as, err := accounts.NewSQLStore(ctx, st.DB())
	if err != nil {
		return fmt.Errorf("demo accounts: %w", err)
	}
	svc := accounts.NewService(as, accounts.NewDatasetDirectory(ds), accounts.Options{Log: log})
	password, users, err := svc.CreateDemoUsers(ctx, ds)
	if err != nil {
		return err
	}
	return printDemoUsers(w, users, password, signInURL(addr))
}

// signInURL is where a newcomer signs in to the server listening on addr:
// a wildcard or empty host is reached as localhost.
func signInURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + auth.SignInPath
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + auth.SignInPath
}

// printDemoUsers writes the demo accounts as a table a newcomer reads once.
func printDemoUsers(w io.Writer, users []accounts.User, password, url string) error {
	fmt.Fprintf(w, "\nSign in at %s (登录) once the server is ready.\n", url)
	fmt.Fprintln(w, "Demo accounts, one password for all, shown only now ('citygrid user reset NAME' sets a new one):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ROLE\tUSER\tNAME")
	for _, u := range users {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", joinRoleNames(u.Roles), u.Name, u.DisplayName)
	}
	fmt.Fprintf(tw, "  password\t%s\t\n\n", password)
	return tw.Flush()
}
