// Package pgschema brings a PostgreSQL schema of citygrid up to date: a
// list of migrations applied in order, the count applied recorded in a
// version table of the schema, under an advisory lock so that replicas
// starting together migrate once. The case store and the account store
// each keep their tables in a schema of their own this way.
package pgschema

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ident is what a schema name may be: a lower-case SQL identifier, safe to
// write into statements unquoted.
var ident = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidName reports whether name may be used as a schema name.
func ValidName(name string) bool { return ident.MatchString(name) }

// Plan says what to migrate.
type Plan struct {
	// What names the store in errors ("case store").
	What string
	// Schema is the schema the tables live in, created when missing.
	Schema string
	// Table is the version table inside Schema: (version integer PRIMARY
	// KEY, applied bigint NOT NULL), applied in Unix seconds.
	Table string
	// Lock names the advisory lock migrators take.
	Lock string
	// Steps are the migrations, each run with search_path set to Schema.
	Steps []string
}

// Migrate applies the steps of p not yet applied, in one transaction. A
// schema at a higher version than len(p.Steps) is refused: it was written
// by a newer citygrid.
func Migrate(ctx context.Context, pool *pgxpool.Pool, p Plan) error {
	if !ValidName(p.Schema) || !ValidName(p.Table) {
		return fmt.Errorf("%s: schema %q, table %q: want lower-case SQL identifiers", p.What, p.Schema, p.Table)
	}
	table := p.Schema + "." + p.Table
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, p.Lock); err != nil {
			return fmt.Errorf("%s: lock: %w", p.What, err)
		}
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+p.Schema+`;
			CREATE TABLE IF NOT EXISTS `+table+` (version integer PRIMARY KEY, applied bigint NOT NULL)`); err != nil {
			return fmt.Errorf("%s: schema: %w", p.What, err)
		}
		var v int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+table).Scan(&v); err != nil {
			return fmt.Errorf("%s: schema: %w", p.What, err)
		}
		if v > len(p.Steps) {
			return fmt.Errorf("%s: schema %s is at version %d, newer than this citygrid knows (%d)", p.What, p.Schema, v, len(p.Steps))
		}
		for i := v; i < len(p.Steps); i++ {
			if _, err := tx.Exec(ctx, `SET LOCAL search_path = `+p.Schema); err != nil {
				return fmt.Errorf("%s migration %d: %w", p.What, i+1, err)
			}
			if _, err := tx.Exec(ctx, p.Steps[i]); err != nil {
				return fmt.Errorf("%s migration %d: %w", p.What, i+1, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+table+` (version, applied) VALUES ($1, $2)`, i+1, time.Now().Unix()); err != nil {
				return fmt.Errorf("%s migration %d: %w", p.What, i+1, err)
			}
		}
		return nil
	})
}
