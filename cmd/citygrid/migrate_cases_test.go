package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/pgcases"
	"citygrid/data/cases/sqlitecases"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
	"citygrid/test/pgtest"
)

// TestMigrateStoreMovesCasesIntoPostgreSQL: a data directory with cases (a
// transition with its step deadline, a photo) migrated into PostgreSQL
// reads back with the same ids, numbers, versions, transitions and photo
// bytes from the case store the replicas open; a second migration into the
// same database is refused.
func TestMigrateStoreMovesCasesIntoPostgreSQL(t *testing.T) {
	cl, err := pgtest.Start()
	if err != nil {
		if pgtest.InCI() {
			t.Fatalf("no PostgreSQL in CI: %v", err)
		}
		t.Skipf("no PostgreSQL: %v", err)
	}
	t.Cleanup(cl.Stop)
	ctx := context.Background()
	dir := t.TempDir()
	st, err := gpkg.Open(ctx, filepath.Join(dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, gpkgtest.City()); err != nil {
		t.Fatal(err)
	}
	cs, err := sqlitecases.New(ctx, st.DB())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	due := at.Add(time.Hour)
	var ids []int64
	for i, cat := range []string{"0101", "0201"} {
		c := &cases.Case{Source: cases.SourceInspector, Kind: data.KindEvent, Category: cat, Urgency: cases.UrgencyNormal,
			Point: orb.Point{118.765, 31.995}, State: cases.StateReported, ReportedAt: at.Add(time.Duration(i) * time.Minute), UpdatedAt: at}
		if err := cs.Create(ctx, c, &cases.Transition{At: c.ReportedAt, Action: "report", To: cases.StateReported, User: "insp1", Role: data.RoleInspector}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	c, err := cs.Get(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	c.State = cases.StateVerified
	if err := cs.Update(ctx, c, &cases.Transition{At: at.Add(30 * time.Minute), Action: "verify", From: cases.StateReported, To: cases.StateVerified, User: "insp1", Role: data.RoleInspector, StepDueAt: &due}); err != nil {
		t.Fatal(err)
	}
	photo := []byte("\x89PNG\r\n\x1a\n not really a png, but bytes to carry")
	sum := sha256.Sum256(photo)
	uploads := filepath.Join(dir, "uploads", "cases")
	if err := os.MkdirAll(uploads, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(uploads, "p1.png"), photo, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cs.AddAttachment(ctx, &cases.Attachment{CaseID: ids[0], Name: "p1.png", Type: "image/png", Size: int64(len(photo)),
		SHA256: hex.EncodeToString(sum[:]), Stage: cases.StateReported, User: "insp1", Uploaded: at}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	url := cl.URL
	if err := runMigrateStore(ctx, []string{"--from", dir, "--to", url, "--schema", "city_a"}); err != nil {
		t.Fatal(err)
	}
	pg, err := pgcases.Open(ctx, url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for _, id := range ids {
		got, err := pg.Get(ctx, id)
		if err != nil {
			t.Fatalf("case %d: %v", id, err)
		}
		if id == ids[0] && (got.State != cases.StateVerified || got.Version != 2 || got.Number != c.Number) {
			t.Fatalf("case %d read back as %s v%d %s, want verified v2 %s", id, got.State, got.Version, got.Number, c.Number)
		}
	}
	ts, err := pg.Transitions(ctx, ids[0])
	if err != nil || len(ts) != 2 || ts[1].StepDueAt == nil || !ts[1].StepDueAt.Equal(due) {
		t.Fatalf("transitions %+v %v", ts, err)
	}
	as, err := pg.Attachments(ctx, ids[0])
	if err != nil || len(as) != 1 {
		t.Fatalf("attachments %+v %v", as, err)
	}
	body, err := pg.AttachmentContent(ctx, ids[0], as[0].Name)
	if err != nil || !bytes.Equal(body, photo) {
		t.Fatalf("photo bytes %q %v", body, err)
	}
	// Cases are refused into a database that holds some already.
	dir2 := t.TempDir()
	st2, _ := gpkg.Open(ctx, filepath.Join(dir2, storeFile))
	st2.Insert(ctx, gpkgtest.City())
	cs2, _ := sqlitecases.New(ctx, st2.DB())
	cs2.Create(ctx, &cases.Case{Source: cases.SourceInspector, Kind: data.KindEvent, Category: "0101", Point: orb.Point{118.765, 31.995},
		State: cases.StateReported, ReportedAt: at, UpdatedAt: at}, &cases.Transition{At: at, Action: "report", To: cases.StateReported, User: "x", Role: data.RoleInspector})
	st2.Close()
	if err := runMigrateStore(ctx, []string{"--from", dir2, "--to", url, "--schema", "city_b"}); err == nil {
		t.Fatal("cases migrated into a case store that holds some")
	}
}
