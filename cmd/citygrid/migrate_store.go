package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"citygrid/data"
	"citygrid/data/gpkg"
	"citygrid/data/pgstore"
)

// The subcommand registers itself here rather than in main.go's table.
func init() {
	commands["migrate-store"] = command{"copy a city between a GeoPackage directory and PostgreSQL, verified", runMigrateStore}
}

// migratedMeta are the metadata keys a migration carries over.
var migratedMeta = []string{metaDemoSeed, metaDemoScale, metaTilesVersion}

func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// openStoreAt opens the store a --from/--to value names: a postgres://
// URL (schema from --schema) or a data directory holding citygrid.gpkg.
func openStoreAt(ctx context.Context, where, schema string, create bool) (data.Store, error) {
	if isPostgresURL(where) {
		return pgstore.Open(ctx, where, pgstore.Options{Schema: schema})
	}
	path := filepath.Join(where, storeFile)
	if !create {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no store in %s: %w", where, err)
		}
	} else if err := os.MkdirAll(where, 0o755); err != nil {
		return nil, err
	}
	return gpkg.Open(ctx, path)
}

// runMigrateStore copies a whole city from one store to another and
// verifies the copy by counts and checksums per layer.
func runMigrateStore(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate-store", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: citygrid migrate-store --from DIR|postgres://... --to DIR|postgres://... [--schema S]

Copies the whole city from one store to another: a data directory holding
%s, or a PostgreSQL + PostGIS database (postgres://user@host:port/db; the
tables live in --schema, created and migrated when missing). The destination
must hold no city yet. The copy is one transaction; then both stores are read
back and compared layer by layer by feature count and SHA-256 of the
features, and the command fails if anything differs. The edit history goes
along. From a data directory into PostgreSQL the case workflow goes along
too (cases, transitions, configuration, photos; API tokens must be issued
anew with citygrid token --store).

flags:
`, storeFile)
		fs.PrintDefaults()
	}
	from := fs.String("from", "", "source: data directory or postgres:// URL (required)")
	to := fs.String("to", "", "destination: data directory or postgres:// URL (required)")
	schema := fs.String("schema", "citygrid_store", "PostgreSQL schema of the store")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("--from and --to are required, and nothing else")
	}
	start := time.Now()
	src, err := openStoreAt(ctx, *from, *schema, false)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer src.Close()
	dst, err := openStoreAt(ctx, *to, *schema, true)
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	defer dst.Close()
	ds, err := src.Load(ctx)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	existing, err := dst.Load(ctx)
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	if n := datasetSize(existing); n > 0 {
		return fmt.Errorf("destination already holds %d features: migrate into an empty store", n)
	}
	if err := dst.Insert(ctx, ds); err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	for _, k := range migratedMeta {
		v, err := src.Meta(ctx, k)
		if err != nil {
			return err
		}
		if v != "" {
			if err := dst.SetMeta(ctx, k, v); err != nil {
				return err
			}
		}
	}
	copied, err := copyHistory(ctx, src, dst)
	if err != nil {
		return fmt.Errorf("edit history: %w", err)
	}
	if g, ok := src.(*gpkg.Store); ok && isPostgresURL(*to) {
		if err := migrateCases(ctx, g, *from, *to); err != nil {
			return fmt.Errorf("cases: %w", err)
		}
		if err := migrateAccounts(ctx, g, *to); err != nil {
			return fmt.Errorf("accounts: %w", err)
		}
	} else if isPostgresURL(*from) {
		fmt.Println("cases stay in PostgreSQL: migrate-store copies cases only from a data directory into PostgreSQL")
	}
	// Verify: both read back anew.
	a, err := src.Load(ctx)
	if err != nil {
		return err
	}
	b, err := dst.Load(ctx)
	if err != nil {
		return err
	}
	da, db := datasetDigest(a), datasetDigest(b)
	bad := 0
	for _, l := range da {
		var o layerDigest
		for _, x := range db {
			if x.Layer == l.Layer {
				o = x
			}
		}
		status := "ok"
		if o != l {
			status = "DIFFERS"
			bad++
		}
		fmt.Printf("%-16s %8d %8d  %s…  %s\n", l.Layer, l.Count, o.Count, l.SHA256[:16], status)
	}
	if copied >= 0 {
		n, err := historyLen(ctx, dst.(data.ChangeLog))
		if err != nil {
			return err
		}
		status := "ok"
		if n != copied {
			status = "DIFFERS"
			bad++
		}
		fmt.Printf("%-16s %8d %8d  %s\n", "edit history", copied, n, status)
	}
	if bad > 0 {
		return fmt.Errorf("%d layer(s) differ after the copy", bad)
	}
	fmt.Printf("copied %d features from %s to %s in %.1f s; counts and checksums agree\n", datasetSize(a), redact(*from), redact(*to), time.Since(start).Seconds())
	return nil
}

// redact hides a password in a URL for printing.
func redact(s string) string {
	if i, j := strings.Index(s, "://"), strings.LastIndex(s, "@"); isPostgresURL(s) && i >= 0 && j > i {
		if k := strings.Index(s[i+3:j], ":"); k >= 0 {
			return s[:i+3+k] + ":***" + s[j:]
		}
	}
	return s
}

// layerDigest is a layer's feature count and the SHA-256 of its features
// in store order.
type layerDigest struct {
	Layer  string
	Count  int
	SHA256 string
}

func datasetSize(ds *data.Dataset) int {
	n := 0
	v := reflect.ValueOf(ds).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Kind() == reflect.Slice { // layers; not ChangeSeq
			n += v.Field(i).Len()
		}
	}
	return n
}

// datasetDigest hashes every layer: each feature as JSON (geometry
// coordinates as shortest round-trip decimals, times in UTC), in order.
func datasetDigest(ds *data.Dataset) []layerDigest {
	v := reflect.ValueOf(ds).Elem()
	out := make([]layerDigest, 0, v.NumField())
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if f.Kind() != reflect.Slice { // ChangeSeq: where each store's own log stands, not data
			continue
		}
		h := sha256.New()
		enc := json.NewEncoder(h)
		for j := 0; j < f.Len(); j++ {
			item := f.Index(j).Interface()
			if c, ok := item.(data.Component); ok {
				c.SurveyDate, c.ChangedAt = c.SurveyDate.UTC(), c.ChangedAt.UTC()
				item = c
			}
			if err := enc.Encode(item); err != nil {
				// Every field of the model encodes; keep the failure visible.
				fmt.Fprintf(h, "unencodable %d: %v\n", j, err)
			}
		}
		out = append(out, layerDigest{Layer: v.Type().Field(i).Name, Count: f.Len(), SHA256: hex.EncodeToString(h.Sum(nil))})
	}
	return out
}

// changeImporter is a store that takes another store's edit history
// (pgstore.Store.ImportChanges).
type changeImporter interface {
	ImportChanges(ctx context.Context, changes []data.Change) error
}

// copyHistory copies the source's edit history (its data.ChangeLog, in
// order) into the destination, so that feature histories, as-of reads and
// never-reused codes survive the move. It returns how many changes it
// copied, or -1 when there was nothing to copy or the destination keeps
// no importable log (said on stderr when the source has history).
func copyHistory(ctx context.Context, src, dst data.Store) (int, error) {
	log, ok := src.(data.ChangeLog)
	if !ok {
		return -1, nil
	}
	var all []data.Change
	for after := int64(0); ; {
		page, err := log.ChangesSince(ctx, after, 10000)
		if err != nil {
			return 0, fmt.Errorf("source: %w", err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].Seq
	}
	if len(all) == 0 {
		return -1, nil
	}
	imp, ok := dst.(changeImporter)
	if !ok {
		fmt.Fprintf(os.Stderr, "warning: the source's %d edit-history entries are not copied: only a PostgreSQL destination imports history (the source keeps them)\n", len(all))
		return -1, nil
	}
	if err := imp.ImportChanges(ctx, all); err != nil {
		return 0, fmt.Errorf("destination: %w", err)
	}
	return len(all), nil
}

// historyLen counts the changes a log holds.
func historyLen(ctx context.Context, log data.ChangeLog) (int, error) {
	n := 0
	for after := int64(0); ; {
		page, err := log.ChangesSince(ctx, after, 10000)
		if err != nil {
			return 0, err
		}
		if len(page) == 0 {
			return n, nil
		}
		n += len(page)
		after = page[len(page)-1].Seq
	}
}
