package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
)

// A unit token names a department of the city: NOPE is refused, D0003
// (南京水务集团 of the test city) is issued.
func TestAUnitTokenIsRefusedForADepartmentThatDoesNotExist(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := gpkg.Open(ctx, filepath.Join(dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	err = runToken(ctx, []string{"create", "--dir", dir, "--user", "water", "--role", "unit", "--unit", "NOPE"})
	if err == nil || !strings.Contains(err.Error(), `no department has code "NOPE"`) {
		t.Fatalf("NOPE: %v", err)
	}
	if err := runToken(ctx, []string{"create", "--dir", dir, "--user", "water", "--role", "unit", "--unit", "D0003"}); err != nil {
		t.Fatalf("D0003: %v", err)
	}
}
