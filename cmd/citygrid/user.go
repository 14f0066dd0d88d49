package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"citygrid/data"
	"citygrid/data/accounts"
	"citygrid/data/accounts/password"
)

const userUsage = `usage:
  citygrid user add     --dir DIR --name NAME --display 姓名 --roles ROLE[,ROLE] [--unit CODE] [--grid CODE] [--generate]
  citygrid user list    --dir DIR [--json]
  citygrid user disable --dir DIR NAME
  citygrid user enable  --dir DIR NAME
  citygrid user reset   --dir DIR NAME [--generate]
  citygrid user roles   --dir DIR NAME --roles ROLE[,ROLE] [--unit CODE] [--grid CODE]
  (--store postgres://... [--store-schema citygrid_store] instead of --dir:
  the accounts every serve --store replica of that database signs in)

People who sign in to the work screens. Passwords are never arguments: add
and reset ask for one twice on a terminal, read one line from standard input
otherwise, or with --generate make one and print it once on standard output.
The store keeps only an argon2id hash. Disabling a user, a reset and a role
change end the user's sessions at once.

Roles: viewer, citizen, inspector, operator, supervisor, dispatcher, unit
(needs --unit, a department code), surveyor, admin. An inspector may name the
inspector work grid (--grid) they walk.
`

// runUser is `citygrid user add|list|disable|enable|reset|roles`.
func runUser(ctx context.Context, args []string) error {
	return userCommand(ctx, args, os.Stdin, os.Stdout, os.Stderr)
}

// userCommand runs a user subcommand with the given standard streams.
func userCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, userUsage)
		if len(args) == 0 {
			return errors.New("user: which subcommand? add, list, disable, enable, reset or roles")
		}
		return nil
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), userUsage+"\nflags:\n"); fs.PrintDefaults() }
	dir := fs.String("dir", "./city", "data directory holding citygrid.gpkg")
	store := fs.String("store", "", "postgres:// URL of a PostgreSQL deployment (instead of --dir)")
	storeSchema := fs.String("store-schema", "citygrid_store", "with --store: the schema of the city, whose departments and grids users are checked against")
	var name, display, roles, unit, grid *string
	var generate, asJSON *bool
	switch sub {
	case "add":
		name = fs.String("name", "", "sign-in name: lower-case letters, digits, '.', '-', '_' (required)")
		display = fs.String("display", "", "the person's name as colleagues read it, e.g. 张伟 (required)")
	case "list":
		asJSON = fs.Bool("json", false, "print JSON")
	case "disable", "enable", "reset", "roles":
	default:
		fmt.Fprint(stderr, userUsage)
		return fmt.Errorf("user: unknown subcommand %q", sub)
	}
	if sub == "add" || sub == "roles" {
		roles = fs.String("roles", "", "comma-separated roles (required)")
		unit = fs.String("unit", "", "department code of a unit handler")
		grid = fs.String("grid", "", "inspector work grid code of an inspector")
	}
	if sub == "add" || sub == "reset" {
		generate = fs.Bool("generate", false, "generate the password and print it once instead of reading it")
	}
	// Flags may follow the user name ("roles NAME --roles ..."), which
	// the flag package alone stops at.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return helpIsNotAnError(err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	wantArgs := 1
	if sub == "add" || sub == "list" {
		wantArgs = 0
	}
	if len(pos) != wantArgs {
		// The extra words are not echoed: one may be a password.
		if wantArgs == 0 {
			return fmt.Errorf("user %s: %d unexpected arguments (passwords are never arguments)", sub, len(pos))
		}
		return fmt.Errorf("user %s: want one user name (see 'citygrid user list')", sub)
	}
	target := ""
	if len(pos) == 1 {
		target = pos[0]
	}
	svc, closeStore, err := openAccounts(ctx, *dir, *store, *storeSchema, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	switch sub {
	case "add":
		u := accounts.User{Name: *name, DisplayName: *display, Roles: parseRoles(*roles), Unit: *unit, Grid: *grid}
		pw, err := newPassword(stdin, stderr, *generate)
		if err != nil {
			return err
		}
		created, err := svc.CreateUser(ctx, u, pw)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "user %s (%s) created with roles %s\n", created.Name, created.DisplayName, joinRoleNames(created.Roles))
		if *generate {
			fmt.Fprintf(stderr, "password of %s, shown only now:\n", created.Name)
			fmt.Fprintln(stdout, pw)
		}
		return nil
	case "list":
		us, err := svc.ListUsers(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if us == nil {
				us = []accounts.User{}
			}
			return enc.Encode(us)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		// The display name goes last: tabwriter counts a Chinese character
		// as one column where a terminal shows two.
		fmt.Fprintln(tw, "NAME\tROLES\tUNIT\tGRID\tSTATE\tPASSWORD CHANGED\tDISPLAY")
		for _, u := range us {
			state := "active"
			if u.Disabled {
				state = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, joinRoleNames(u.Roles), u.Unit, u.Grid, state,
				u.PasswordChangedAt.Format(time.RFC3339), u.DisplayName)
		}
		return tw.Flush()
	case "disable", "enable":
		u, err := svc.SetDisabled(ctx, target, sub == "disable")
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "user %s %sd\n", u.Name, sub)
		return nil
	case "reset":
		if _, err := svc.User(ctx, target); err != nil {
			return err
		}
		pw, err := newPassword(stdin, stderr, *generate)
		if err != nil {
			return err
		}
		if err := svc.ResetPassword(ctx, target, pw); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "password of %s reset; their sessions have ended\n", accounts.NormalizeName(target))
		if *generate {
			fmt.Fprintln(stdout, pw)
		}
		return nil
	case "roles":
		u, err := svc.SetRoles(ctx, target, parseRoles(*roles), *unit, *grid)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "user %s now has roles %s; their sessions have ended\n", u.Name, joinRoleNames(u.Roles))
		return nil
	}
	return nil
}

// openAccounts opens the account service of a data directory's GeoPackage
// or, for a postgres:// store, of that database (departments and grids
// then come from the city in storeSchema). Its log goes to stderr from
// warnings up: the command prints its own lines.
func openAccounts(ctx context.Context, dir, store, storeSchema string, stderr io.Writer) (*accounts.Service, func(), error) {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if store == "" {
		st, err := openExisting(ctx, dir)
		if err != nil {
			return nil, nil, err
		}
		as, err := accounts.NewSQLStore(ctx, st.DB())
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		return accounts.NewService(as, accounts.SQLDirectory{DB: st.DB()}, accounts.Options{Log: log}), func() { st.Close() }, nil
	}
	if !isPostgresURL(store) {
		return nil, nil, fmt.Errorf("--store: want a postgres:// URL, got %q", redactURL(store))
	}
	pg, err := accounts.OpenPG(ctx, store, "")
	if err != nil {
		return nil, nil, fmt.Errorf("open the accounts of %s: %w", redactURL(store), err)
	}
	cityDir, err := pg.Directory(storeSchema)
	if err != nil {
		pg.Close()
		return nil, nil, err
	}
	return accounts.NewService(pg, cityDir, accounts.Options{Log: log}), func() { pg.Close() }, nil
}

func parseRoles(s string) []data.Role {
	var rs []data.Role
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			rs = append(rs, data.Role(r))
		}
	}
	return rs
}

func joinRoleNames(rs []data.Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ",")
}

// newPassword gets a new password: generated, asked twice without echo
// on a terminal, or the first line of a pipe (so scripts can feed it from
// a secret store without it showing in the process list).
func newPassword(stdin io.Reader, stderr io.Writer, generate bool) (string, error) {
	if generate {
		return password.Generate()
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(stderr, "New password (at least %d characters): ", password.MinLength)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, password.MaxBytes+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input (or use --generate)")
	}
	return line, nil
}
