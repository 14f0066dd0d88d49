package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
)

func TestDatasetDigest(t *testing.T) {
	a, b := gpkgtest.City(), gpkgtest.City()
	if da, db := datasetDigest(a), datasetDigest(b); !equalDigests(da, db) {
		t.Fatal("two copies of one city digest differently")
	}
	// The same instant in another zone is the same data.
	b.Components[0].ChangedAt = b.Components[0].ChangedAt.In(time.FixedZone("CST", 8*3600))
	if !equalDigests(datasetDigest(a), datasetDigest(b)) {
		t.Error("a time in another zone changed the digest")
	}
	b.Components[1].Note += "x"
	db := datasetDigest(b)
	for i, l := range datasetDigest(a) {
		if (l.Layer == "Components") == (l == db[i]) {
			t.Errorf("layer %s: digest equal = %v after changing one component", l.Layer, l == db[i])
		}
	}
}

func equalDigests(a, b []layerDigest) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestMigrateStoreBetweenDirectories runs the command from GeoPackage to
// GeoPackage (the PostgreSQL side is exercised by data/pgstore's tests and
// the command against a server by hand, see the README): the copy holds the
// same city and meta, and a second copy into it is refused.
func TestMigrateStoreBetweenDirectories(t *testing.T) {
	ctx := context.Background()
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "copy")
	st, err := gpkg.Open(ctx, filepath.Join(src, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	if err := st.SetMeta(ctx, metaDemoSeed, "7"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	stdout := os.Stdout
	r, w, _ := os.Pipe()
	os.Stdout = w
	err = runMigrateStore(ctx, []string{"--from", src, "--to", dst})
	w.Close()
	os.Stdout = stdout
	out := make([]byte, 1<<16)
	n, _ := r.Read(out)
	if err != nil {
		t.Fatalf("migrate-store: %v\n%s", err, out[:n])
	}
	if !strings.Contains(string(out[:n]), "counts and checksums agree") {
		t.Errorf("output lacks the verification line:\n%s", out[:n])
	}
	cp, err := gpkg.Open(ctx, filepath.Join(dst, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	got, err := cp.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !equalDigests(datasetDigest(got), datasetDigest(gpkgtest.City())) {
		t.Error("the copy differs from the source city")
	}
	if v, _ := cp.Meta(ctx, metaDemoSeed); v != "7" {
		t.Errorf("meta %s = %q, want 7", metaDemoSeed, v)
	}
	cp.Close()
	if err := runMigrateStore(ctx, []string{"--from", src, "--to", dst}); err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Errorf("second copy into a full store: %v, want a refusal", err)
	}
	if err := runMigrateStore(ctx, []string{"--from", filepath.Join(src, "absent"), "--to", t.TempDir()}); err == nil {
		t.Error("a missing source was accepted")
	}
}
