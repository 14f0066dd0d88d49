package main

import (
	"context"
	"fmt"
	"path/filepath"

	"citygrid/data/cases"
	"citygrid/data/cases/pgcases"
	"citygrid/data/cases/sqlitecases"
	"citygrid/data/gpkg"
)

// migrateCases moves the case workflow of a GeoPackage data directory into
// the PostgreSQL case store that `serve --store` replicas use (schema
// pgcases.DefaultSchema of the same database): cases with their ids,
// numbers and versions, transitions, attachment records and the photos'
// bytes (from DIR/uploads/cases, checked by size and SHA-256), and every
// configuration version. It verifies the copy by the case and transition
// counts read back from both sides. A directory without case tables has
// nothing to move.
func migrateCases(ctx context.Context, src *gpkg.Store, dir, url string) error {
	has, err := sqlitecases.Has(ctx, src.DB())
	if err != nil {
		return err
	}
	if !has {
		fmt.Printf("%-16s %8s\n", "cases", "none")
		return nil
	}
	from, err := sqlitecases.New(ctx, src.DB())
	if err != nil {
		return err
	}
	to, err := pgcases.Open(ctx, url, "")
	if err != nil {
		return err
	}
	defer to.Close()
	h, err := cases.ExportHistory(ctx, from, nil)
	if err != nil {
		return err
	}
	if err := to.ImportHistory(ctx, h, cases.RestoreHistory); err != nil {
		return err
	}
	uploads := filepath.Join(dir, "uploads", "cases")
	loaded, missing, err := to.LoadAttachmentFiles(ctx, uploads)
	if err != nil {
		return fmt.Errorf("photos: %w", err)
	}
	a, err := from.List(ctx, cases.Filter{Limit: 1})
	if err != nil {
		return err
	}
	b, err := to.List(ctx, cases.Filter{Limit: 1})
	if err != nil {
		return err
	}
	status := "ok"
	if a.Total != b.Total || len(h.Cases) != a.Total {
		status = "DIFFERS"
	}
	fmt.Printf("%-16s %8d %8d  %s (%d transitions, %d configuration versions)\n", "cases", a.Total, b.Total, status, len(h.Transitions), len(h.Configs))
	fmt.Printf("%-16s %8d %8d  photos stored in the database, %d missing from %s\n", "case photos", len(h.Attachments), loaded, missing, uploads)
	if status != "ok" {
		return fmt.Errorf("cases: %d in the source, %d copied, %d read back", a.Total, len(h.Cases), b.Total)
	}
	return nil
}
