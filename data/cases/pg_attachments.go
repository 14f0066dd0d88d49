package cases

import (
	"context"
	"errors"
	"fmt"

	"citygrid/data"

	"github.com/jackc/pgx/v5"
)

var _ AttachmentContent = (*PGStore)(nil)

// AddAttachmentContent records a stored file of a case with its bytes
// (case_attachments.content), so that every replica can serve it.
func (s *PGStore) AddAttachmentContent(ctx context.Context, a *Attachment, body []byte) error {
	err := s.pool.QueryRow(ctx, `INSERT INTO case_attachments(case_id, name, type, size, sha256, stage, "user", uploaded, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		a.CaseID, a.Name, a.Type, a.Size, a.SHA256, a.Stage, a.User, ms(a.Uploaded), body).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("attach to case %d: %w", a.CaseID, err)
	}
	return nil
}

// AttachmentContent returns the bytes of the case's attachment named name;
// one recorded without them (AddAttachment: a file on a server's disk)
// wraps data.ErrNotFound.
func (s *PGStore) AttachmentContent(ctx context.Context, caseID int64, name string) ([]byte, error) {
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
