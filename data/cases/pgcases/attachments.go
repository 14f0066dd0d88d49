package pgcases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/internal/caserow"

	"github.com/jackc/pgx/v5"
)

var _ cases.AttachmentContent = (*Store)(nil)

// AddAttachmentContent records a stored file of a case with its bytes
// (case_attachments.content), so that every replica can serve it.
func (s *Store) AddAttachmentContent(ctx context.Context, a *cases.Attachment, body []byte) error {
	vals := append(caserow.AttachmentValues(a)[1:], body)
	err := s.pool.QueryRow(ctx, `INSERT INTO case_attachments(`+caserow.Columns(caserow.AttachmentColumns[1:])+`, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, vals...).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("attach to case %d: %w", a.CaseID, err)
	}
	return nil
}

// AttachmentContent returns the bytes of the case's attachment named name;
// one recorded without them (AddAttachment: a file on a server's disk)
// wraps data.ErrNotFound.
func (s *Store) AttachmentContent(ctx context.Context, caseID int64, name string) ([]byte, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, `SELECT content FROM case_attachments WHERE case_id = $1 AND name = $2`, caseID, name).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && body == nil {
		return nil, fmt.Errorf("attachment %s of case %d: %w", name, caseID, data.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("attachment %s of case %d: %w", name, caseID, err)
	}
	return body, nil
}

// LoadAttachmentFiles stores in the database the bytes of every attachment
// recorded without them — those ImportHistory restored from a GeoPackage
// server, whose photos are files in its uploads directory dir
// (DIR/uploads/cases) — so that every replica serves them, not only the
// one that has that directory. A file must match its record's size and
// SHA-256, else the error names it (files before it stay loaded; running
// again resumes). A missing file is counted, not an error. Safe to run
// while replicas serve.
func (s *Store) LoadAttachmentFiles(ctx context.Context, dir string) (loaded, missing int, err error) {
	type rec struct {
		id         int64
		name, hash string
		size       int64
	}
	rows, err := s.pool.Query(ctx, `SELECT id, name, sha256, size FROM case_attachments WHERE content IS NULL ORDER BY id`)
	if err != nil {
		return 0, 0, fmt.Errorf("attachment files: %w", err)
	}
	recs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rec, error) {
		var a rec
		err := r.Scan(&a.id, &a.name, &a.hash, &a.size)
		return a, err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("attachment files: %w", err)
	}
	for _, a := range recs {
		if a.name != filepath.Base(a.name) || strings.HasPrefix(a.name, ".") {
			return loaded, missing, fmt.Errorf("attachment %d: stored name %q is not a file name", a.id, a.name)
		}
		body, err := os.ReadFile(filepath.Join(dir, a.name))
		if errors.Is(err, os.ErrNotExist) {
			missing++
			continue
		}
		if err != nil {
			return loaded, missing, fmt.Errorf("attachment %d: %w", a.id, err)
		}
		sum := sha256.Sum256(body)
		if int64(len(body)) != a.size || hex.EncodeToString(sum[:]) != a.hash {
			return loaded, missing, fmt.Errorf("attachment %d: file %s does not match its record (size %d, want %d, or SHA-256)", a.id, a.name, len(body), a.size)
		}
		if _, err := s.pool.Exec(ctx, `UPDATE case_attachments SET content = $1 WHERE id = $2 AND content IS NULL`, body, a.id); err != nil {
			return loaded, missing, fmt.Errorf("attachment %d: %w", a.id, err)
		}
		loaded++
	}
	return loaded, missing, nil
}
