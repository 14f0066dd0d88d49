package main

import (
	"bytes"
	"citygrid/api/auth"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"citygrid/data"
	"citygrid/data/accounts"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
	"citygrid/data/pgstore"
	"citygrid/test/pgtest"
)

// run runs `citygrid user ARGS` with stdin and returns stdout and stderr.
func runUserCLI(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := userCommand(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// cityDir returns a data directory holding the sample city of gpkgtest.
func cityDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	st, err := gpkg.Open(context.Background(), filepath.Join(dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Insert(context.Background(), gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	return dir
}

// signIn tries a password against the accounts the CLI wrote.
func signIn(t *testing.T, openSvc func() (*accounts.Service, func()), name, password string) error {
	t.Helper()
	svc, done := openSvc()
	defer done()
	_, err := svc.SignIn(context.Background(), name, password, "127.0.0.1", "test")
	return err
}

// testUserCommands walks every user subcommand against one store, named by
// the location flags loc (--dir D or --store URL).
func testUserCommands(t *testing.T, loc []string, openSvc func() (*accounts.Service, func())) {
	with := func(args ...string) []string { return append(append(args[:1:1], loc...), args[1:]...) }
	const pw = "Tq7-kettle-雨花"
	out, msg, err := runUserCLI(t, pw+"\n", with("add", "--name", "Zhang.Wei", "--display", "张伟", "--roles", "unit,viewer", "--unit", "D0001")...)
	if err != nil || out != "" || !strings.Contains(msg, "user zhang.wei (张伟) created with roles unit,viewer") {
		t.Fatalf("add: %v; stdout %q; stderr %q", err, out, msg)
	}
	if err := signIn(t, openSvc, "zhang.wei", pw); err != nil {
		t.Fatalf("sign in with the password given on stdin: %v", err)
	}
	for _, c := range []struct {
		why  string
		in   string
		args []string
		want string
	}{
		{"a password as an argument", pw, with("add", "--name", "li", "--display", "李", "--roles", "viewer", pw), "1 unexpected arguments (passwords are never arguments)"},
		{"an unknown department", pw, with("add", "--name", "li", "--display", "李", "--roles", "unit", "--unit", "NOPE"), `no department has code "NOPE"`},
		{"a grid that is not an inspector work grid", pw, with("add", "--name", "li", "--display", "李", "--roles", "inspector", "--grid", "ZR001"), `no inspector work grid has code "ZR001"`},
		{"a short password", "short\n", with("add", "--name", "li", "--display", "李", "--roles", "viewer"), "at least 10 characters"},
		{"no password", "", with("add", "--name", "li", "--display", "李", "--roles", "viewer"), "no password on standard input"},
		{"a taken name", pw, with("add", "--name", "ZHANG.WEI", "--display", "张伟", "--roles", "viewer"), "exists"},
		{"an unknown user", pw, with("disable", "nobody"), "not found"},
		{"an unknown subcommand", "", with("delete", "x"), "unknown subcommand"},
	} {
		_, msg, err := runUserCLI(t, c.in, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.why, err, c.want)
		}
		if strings.Contains(msg, pw) || (err != nil && strings.Contains(err.Error(), pw)) {
			t.Errorf("%s: the password was echoed: %v %s", c.why, err, msg)
		}
	}
	if _, _, err := runUserCLI(t, "", with("add", "--name", "zbz01", "--display", "王强", "--roles", "supervisor", "--generate")...); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runUserCLI(t, "", with("roles", "zbz01", "--roles", "inspector,supervisor", "--grid", "JD001")...); err != nil {
		t.Fatal(err)
	}
	out, _, err = runUserCLI(t, "", with("list", "--json")...)
	var users []accounts.User
	if err != nil || json.Unmarshal([]byte(out), &users) != nil || len(users) != 2 {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if u := users[0]; u.Name != "zbz01" || u.Grid != "JD001" || len(u.Roles) != 2 || u.Roles[0] != data.RoleInspector {
		t.Fatalf("zbz01 after roles: %+v", u)
	}
	if out, _, _ = runUserCLI(t, "", with("list")...); !regexp.MustCompile(`zhang\.wei\s+unit,viewer\s+D0001\s+active\s+\S+\s+张伟`).MatchString(out) {
		t.Fatalf("list:\n%s", out)
	}
	if _, _, err := runUserCLI(t, "", with("disable", "Zhang.Wei")...); err != nil {
		t.Fatal(err)
	}
	if err := signIn(t, openSvc, "zhang.wei", pw); !errors.Is(err, accounts.ErrDisabled) {
		t.Fatalf("sign in after disable: %v, want ErrDisabled", err)
	}
	if _, _, err := runUserCLI(t, "", with("enable", "zhang.wei")...); err != nil {
		t.Fatal(err)
	}
	newPW, msg, err := runUserCLI(t, "", with("reset", "zhang.wei", "--generate")...)
	newPW = strings.TrimSpace(newPW)
	if err != nil || len(newPW) != 14 || strings.Contains(msg, newPW) {
		t.Fatalf("reset --generate: %v; stdout %q; stderr %q: want the password on stdout only", err, newPW, msg)
	}
	if err := signIn(t, openSvc, "zhang.wei", pw); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatalf("old password after reset: %v", err)
	}
	if err := signIn(t, openSvc, "zhang.wei", newPW); err != nil {
		t.Fatalf("generated password after reset: %v", err)
	}
}

// TestUserCommandsOnADataDirectory: the user subcommands on the
// GeoPackage of a data directory, checked by signing in with what they
// wrote.
func TestUserCommandsOnADataDirectory(t *testing.T) {
	ctx := context.Background()
	dir := cityDir(t)
	testUserCommands(t, []string{"--dir", dir}, func() (*accounts.Service, func()) {
		svc, done, err := openAccounts(ctx, dir, "", "", &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		return svc, done
	})
}

// TestUserCommandsOnPostgreSQL: the same against a PostgreSQL deployment,
// departments and grids checked against the city in its store schema.
func TestUserCommandsOnPostgreSQL(t *testing.T) {
	cl := pgtest.ForTest(t)
	ctx := context.Background()
	city, err := pgstore.Open(ctx, cl.URL, pgstore.Options{Schema: "city_a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := city.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	city.Close()
	testUserCommands(t, []string{"--store", cl.URL, "--store-schema", "city_a"}, func() (*accounts.Service, func()) {
		svc, done, err := openAccounts(ctx, "", cl.URL, "city_a", &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		return svc, done
	})
}

// TestDemoUsersArePrintedOnceAndSignIn: the demo's accounts, one per role,
// all sign in with the one password printed.
func TestDemoUsersArePrintedOnceAndSignIn(t *testing.T) {
	ctx := context.Background()
	st, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), storeFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ds := gpkgtest.City()
	if err := st.Insert(ctx, ds); err != nil {
		t.Fatal(err)
	}
	var out, logged bytes.Buffer
	if err := addDemoUsers(ctx, st, ds, slog.New(slog.NewTextHandler(&logged, nil)), &out, "0.0.0.0:8080"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Sign in at http://localhost:8080"+auth.SignInPath+" ") {
		t.Errorf("no sign-in URL in\n%s", out.String())
	}
	m := regexp.MustCompile(`password\s+(\S{4}-\S{4}-\S{4})`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no password in\n%s", out.String())
	}
	if strings.Count(out.String(), m[1]) != 1 || strings.Contains(logged.String(), m[1]) {
		t.Fatalf("the password is shown more than once or logged:\n%s\n%s", out.String(), logged.String())
	}
	svc, done, err := openAccounts(ctx, filepath.Dir(st.Path()), "", "", &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	for _, r := range data.Roles {
		row := regexp.MustCompile(`(?m)^  ` + string(r) + `\s+(\S+)\s+\S+`).FindStringSubmatch(out.String())
		if row == nil {
			t.Errorf("no demo account for %s in\n%s", r, out.String())
			continue
		}
		if _, err := svc.SignIn(ctx, row[1], m[1], "127.0.0.1", "test"); err != nil {
			t.Errorf("demo account %s (%s): %v", row[1], r, err)
		}
	}
}

// TestMigrateStoreCopiesUsers: migrate-store into PostgreSQL brings the
// data directory's users along, and they sign in to the replicas' account
// store with the passwords they had.
func TestMigrateStoreCopiesUsers(t *testing.T) {
	cl := pgtest.ForTest(t)
	ctx := context.Background()
	dir := cityDir(t)
	const pw = "Tq7-kettle-雨花"
	if _, _, err := runUserCLI(t, pw, "add", "--dir", dir, "--name", "d000101", "--display", "赵磊", "--roles", "unit", "--unit", "D0001"); err != nil {
		t.Fatal(err)
	}
	if err := runMigrateStore(ctx, []string{"--from", dir, "--to", cl.URL, "--schema", "city_a"}); err != nil {
		t.Fatal(err)
	}
	svc, done, err := openAccounts(ctx, "", cl.URL, "city_a", &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	in, err := svc.SignIn(ctx, "d000101", pw, "127.0.0.1", "test")
	if err != nil {
		t.Fatalf("sign in after the migration: %v", err)
	}
	if cur, err := svc.Session(ctx, in.Secret); err != nil || cur.Principal != (data.Principal{User: "d000101", Role: data.RoleUnit, Unit: "D0001"}) {
		t.Fatalf("session %+v %v", cur.Principal, err)
	}
}
