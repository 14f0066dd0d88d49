package pgcases_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citygrid/data"
	"citygrid/data/cases"

	"github.com/paulmach/orb"
)

// Attachment bytes kept by the PostgreSQL store, and the photos of a
// GeoPackage server (files) loaded into it after a restore (ImportHistory).
func TestPGAttachmentContent(t *testing.T) {
	ctx := context.Background()
	s := openPG(t, 1)[0]
	c := &cases.Case{Kind: data.KindEvent, Category: "0101", State: cases.StateReported, Source: cases.SourceInspector, Point: orb.Point{118.7, 31.9}}
	if err := s.Create(ctx, c, &cases.Transition{Action: "report", To: cases.StateReported, User: "i"}); err != nil {
		t.Fatal(err)
	}
	rec := func(name, body string) *cases.Attachment {
		sum := sha256.Sum256([]byte(body))
		return &cases.Attachment{CaseID: c.ID, Name: name, Type: "image/png", Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:]), Stage: c.State, User: "i", Uploaded: time.Now()}
	}
	// Kept with its record.
	in := rec("a.png", "photo-a")
	if err := s.AddAttachmentContent(ctx, in, []byte("photo-a")); err != nil || in.ID == 0 {
		t.Fatal(in.ID, err)
	}
	if got, err := s.AttachmentContent(ctx, c.ID, "a.png"); err != nil || string(got) != "photo-a" {
		t.Fatalf("content %q, %v", got, err)
	}
	if _, err := s.AttachmentContent(ctx, c.ID+1, "a.png"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("another case's name: %v", err)
	}
	// Records without bytes, as a restore leaves them: b's file is in the
	// uploads directory, c's is not, d's was changed after upload.
	dir := t.TempDir()
	for name, body := range map[string]string{"b.png": "photo-b", "d.png": "photo-d-changed"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []*cases.Attachment{rec("b.png", "photo-b"), rec("c.png", "photo-c")} {
		if err := s.AddAttachment(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AttachmentContent(ctx, c.ID, "b.png"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("a record without bytes: %v", err)
	}
	loaded, missing, err := s.LoadAttachmentFiles(ctx, dir)
	if err != nil || loaded != 1 || missing != 1 {
		t.Fatalf("loaded %d, missing %d, %v; want 1, 1", loaded, missing, err)
	}
	if got, err := s.AttachmentContent(ctx, c.ID, "b.png"); err != nil || string(got) != "photo-b" {
		t.Fatalf("loaded content %q, %v", got, err)
	}
	if loaded, missing, err := s.LoadAttachmentFiles(ctx, dir); err != nil || loaded != 0 || missing != 1 {
		t.Fatalf("second run: loaded %d, missing %d, %v; want 0, 1", loaded, missing, err)
	}
	if err := s.AddAttachment(ctx, rec("d.png", "photo-d")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.LoadAttachmentFiles(ctx, dir); err == nil || !strings.Contains(err.Error(), "d.png") {
		t.Fatalf("a file not matching its record: %v", err)
	}
	if _, err := s.AttachmentContent(ctx, c.ID, "d.png"); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("the changed file was stored: %v", err)
	}
}
