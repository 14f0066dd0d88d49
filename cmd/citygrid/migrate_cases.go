package main

import (
	"context"
	"fmt"
	"path/filepath"

	"citygrid/data/cases"
	"citygrid/data/gpkg"
)

// migrateCases moves the case workflow of a GeoPackage data directory into
// the PostgreSQL case store that `serve --store` replicas use (schema
// cases.DefaultPGSchema of the same database): cases with their ids,
// numbers and versions, transitions, attachment records and the photos'
// bytes (from DIR/uploads/cases, checked by size and SHA-256), and every
// configuration version. It verifies the copy by the case and transition
// counts read back from both sides. A directory without case tables has
// nothing to move.
func migrateCases(ctx context.Context, src *gpkg.Store, dir, url string) error {
	var has int
	if err := src.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'case_cases'`).Scan(&has); err != nil {
		return err
	}
	if has == 0 {
		fmt.Printf("%-16s %8s\n", "cases", "none")
		return nil
	}
	from, err := cases.NewSQLStore(ctx, src.DB())
	if err != nil {
		return err
	}
	to, err := cases.OpenPG(ctx, url, "")
	if err != nil {
		return err
	}
	defer to.Close()
	st, err := to.CopyFrom(ctx, from, nil)
	if err != nil {
		return err
	}
	loaded, missing, err := to.LoadAttachmentFiles(ctx, filepath.Join(dir, "uploads", "cases"))
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
	if a.Total != b.Total || st.Cases != a.Total {
		status = "DIFFERS"
	}
	fmt.Printf("%-16s %8d %8d  %s (%d transitions, %d configuration versions)\n", "cases", a.Total, b.Total, status, st.Transitions, st.ConfigVersions)
	fmt.Printf("%-16s %8d %8d  photos stored in the database, %d missing from %s\n", "case photos", st.Attachments, loaded, missing, filepath.Join(dir, "uploads", "cases"))
	if status != "ok" {
		return fmt.Errorf("cases: %d in the source, %d copied, %d read back", a.Total, st.Cases, b.Total)
	}
	return nil
}
