package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"citygrid/data"
	"citygrid/data/accounts"
	"citygrid/data/gpkg"
)

// runToken is `citygrid token create|list|revoke`: API tokens in the
// store of a data directory. It works while a server serves the directory:
// a new token is valid at once, a revocation within a second.
func runToken(ctx context.Context, args []string) error {
	usage := `usage:
  citygrid token create --dir DIR --user USER --role ROLE [--unit CODE] [--expires 720h] [--note TEXT]
                        (--unit must name a department of the city)
  citygrid token list   --dir DIR [--json]
  citygrid token revoke --dir DIR ID
  (--store postgres://... instead of --dir: the tokens of replicas serving
  from PostgreSQL, kept beside the cases in that database)

create prints the new token once, on standard output; the store keeps only
its SHA-256 hash. Roles: viewer, citizen, inspector, operator, supervisor,
dispatcher, unit (needs --unit, the department code), surveyor, admin.
`
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(os.Stderr, usage)
		if len(args) == 0 {
			return errors.New("token: which subcommand? create, list or revoke")
		}
		return nil
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage+"\nflags:\n"); fs.PrintDefaults() }
	dir := fs.String("dir", "./city", "data directory holding citygrid.gpkg")
	store := fs.String("store", "", "postgres:// URL of a PostgreSQL deployment: the tokens every serve --store replica of it accepts (instead of --dir)")
	switch sub {
	case "create":
		user := fs.String("user", "", "user the token is issued to (required)")
		role := fs.String("role", "", "role of the token (required)")
		unit := fs.String("unit", "", "department code of a unit handler's unit")
		storeSchema := fs.String("store-schema", "citygrid_store", "with --store: the schema of the city, whose departments --unit is checked against")
		expires := fs.Duration("expires", 0, "lifetime, e.g. 720h; 0: never expires")
		note := fs.String("note", "", "what the token is for")
		if err := fs.Parse(args); err != nil {
			return helpIsNotAnError(err)
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("unexpected arguments %q", fs.Args())
		}
		if *expires < 0 {
			return errors.New("--expires must not be negative")
		}
		st, err := openTokenStore(ctx, *dir, *store)
		if err != nil {
			return err
		}
		defer st.Close()
		if err := checkTokenUnit(ctx, st, *store, *storeSchema, *unit); err != nil {
			return err
		}
		var exp time.Time
		if *expires > 0 {
			exp = time.Now().Add(*expires)
		}
		tok, t, err := st.CreateToken(ctx, data.Principal{User: *user, Role: data.Role(*role), Unit: *unit}, *note, exp)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "token %s issued to %s (%s); it is shown only now:\n", t.ID, t.Principal.User, t.Principal.Role)
		fmt.Println(tok)
		return nil
	case "list":
		asJSON := fs.Bool("json", false, "print JSON")
		if err := fs.Parse(args); err != nil {
			return helpIsNotAnError(err)
		}
		st, err := openTokenStore(ctx, *dir, *store)
		if err != nil {
			return err
		}
		defer st.Close()
		ts, err := st.Tokens(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(ts)
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSER\tROLE\tUNIT\tCREATED\tEXPIRES\tSTATE\tNOTE")
		now := time.Now()
		for _, t := range ts {
			state := "valid"
			switch {
			case !t.RevokedAt.IsZero():
				state = "revoked " + t.RevokedAt.Format(time.RFC3339)
			case !t.Valid(now):
				state = "expired"
			}
			exp := "never"
			if !t.ExpiresAt.IsZero() {
				exp = t.ExpiresAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Principal.User, t.Principal.Role, t.Principal.Unit,
				t.CreatedAt.Format(time.RFC3339), exp, state, t.Note)
		}
		return tw.Flush()
	case "revoke":
		if err := fs.Parse(args); err != nil {
			return helpIsNotAnError(err)
		}
		if fs.NArg() != 1 {
			return errors.New("token revoke: want one token id (see 'citygrid token list')")
		}
		st, err := openTokenStore(ctx, *dir, *store)
		if err != nil {
			return err
		}
		defer st.Close()
		t, err := st.RevokeToken(ctx, fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "token %s of %s revoked at %s\n", t.ID, t.Principal.User, t.RevokedAt.Format(time.RFC3339))
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("token: unknown subcommand %q", sub)
}

// checkTokenUnit refuses a unit token for a department the city does not
// have: its holder could act on no case, and a typo would go unnoticed.
func checkTokenUnit(ctx context.Context, st tokenStore, store, storeSchema, unit string) error {
	if unit == "" {
		return nil
	}
	var dir accounts.Directory
	if db, ok := st.(interface{ DB() *sql.DB }); ok {
		dir = accounts.SQLDirectory{DB: db.DB()}
	} else {
		pg, err := accounts.OpenPG(ctx, store, "")
		if err != nil {
			return fmt.Errorf("check --unit against %s: %w", redactURL(store), err)
		}
		defer pg.Close()
		if dir, err = pg.Directory(storeSchema); err != nil {
			return err
		}
	}
	if _, err := dir.DepartmentName(ctx, unit); errors.Is(err, data.ErrNotFound) {
		return fmt.Errorf("--unit: no department has code %q", unit)
	} else if err != nil {
		return fmt.Errorf("check --unit %s: %w", unit, err)
	}
	return nil
}

// openExisting opens the store of a data directory that must exist.
func openExisting(ctx context.Context, dir string) (*gpkg.Store, error) {
	path := filepath.Join(dir, storeFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no city in %s: %w", dir, err)
	}
	return gpkg.Open(ctx, path)
}
