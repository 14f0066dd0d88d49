package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"citygrid/data"
	"citygrid/data/geoio"
)

const changesetUsage = `usage: citygrid changeset --dir DIR [--apply] [--base-time T] [--user U] [--reason R] FILE

Checks a survey changeset (GeoJSON FeatureCollection or GeoPackage of
component features with optional _op = add|modify|delete and _base_version
properties) against the store and prints the dry-run report as JSON: counts
of adds, modifies, deletes, unchanged features, conflicts and invalid
features. With --apply the batch is applied in one transaction, all or
nothing; a server must not be serving the directory then (it would not see
the change) — upload to a running server with POST /api/v1/changesets.
Exit status 1 when the batch cannot be applied.
`

// runChangeset checks or applies a changeset file.
func runChangeset(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("changeset", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), changesetUsage+"\nflags:\n"); fs.PrintDefaults() }
	dir := fs.String("dir", "./city", "data directory holding citygrid.gpkg")
	apply := fs.Bool("apply", false, "apply the batch (default: dry run only)")
	base := fs.String("base-time", "", "RFC 3339 time the survey copied the store at: later store changes are conflicts")
	user := fs.String("user", os.Getenv("USER"), "who applies the batch (kept in the history)")
	reason := fs.String("reason", "", "why (kept in the history)")
	if err := fs.Parse(args); err != nil {
		return helpIsNotAnError(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("changeset: name one file")
	}
	path := fs.Arg(0)
	var cs *data.Changeset
	var err error
	switch {
	case strings.HasSuffix(strings.ToLower(path), ".gpkg"):
		cs, err = geoio.ReadChangesetGeoPackage(ctx, path)
	default:
		var f *os.File
		if f, err = os.Open(path); err != nil {
			return err
		}
		cs, err = geoio.ReadChangesetGeoJSON(f)
		f.Close()
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if *base != "" {
		if cs.BaseTime, err = time.Parse(time.RFC3339Nano, *base); err != nil {
			return fmt.Errorf("--base-time: want an RFC 3339 time: %w", err)
		}
	}
	if *apply {
		unlock, err := lockServing(*dir, true)
		if err != nil {
			return err
		}
		defer unlock()
	}
	st, err := openExisting(ctx, *dir)
	if err != nil {
		return err
	}
	defer st.Close()
	var rep *data.ChangesetReport
	if *apply {
		var changes []data.Change
		rep, changes, err = st.ApplyChangeset(ctx, cs, data.EditMeta{User: *user, Reason: *reason})
		if err == nil {
			fmt.Fprintf(os.Stderr, "applied: %d changes\n", len(changes))
		}
	} else {
		rep, err = st.PlanChangeset(ctx, cs)
	}
	if rep != nil {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(rep)
	}
	if err != nil {
		return err
	}
	if !rep.Applicable && !rep.Applied {
		return fmt.Errorf("the batch cannot be applied: %d conflicts, %d invalid features", len(rep.Conflicts), len(rep.Invalid))
	}
	return nil
}
