package data

import (
	"context"
	"time"
)

// Replay is the stored answer to a write sent with an idempotency key
// (the Idempotency-Key header): a field app that lost the answer to a
// report sends the same request again and must get the first answer, not
// a second case. A Replay with Status 0 is a write still in progress.
type Replay struct {
	// User and Key identify the write: keys are chosen by clients, so
	// they are unique per user only.
	User string `json:"user"`
	Key  string `json:"key"`
	// Request is a hash of the method, path and body: the same key with
	// another request is a client error, not a retry.
	Request string `json:"request"`
	// Status, ContentType, Location, ETag and Body are the first answer.
	Status      int       `json:"status"`
	ContentType string    `json:"content_type"`
	Location    string    `json:"location"`
	ETag        string    `json:"etag"`
	Body        []byte    `json:"body"`
	At          time.Time `json:"at"`
}

// ReplayStore keeps the answers of idempotent writes. The case stores
// (SQLite and PostgreSQL) implement it, so every replica of a city sees
// the keys any of them stored.
type ReplayStore interface {
	// BeginReplay records r (Status 0: in progress) unless the user's key
	// is stored already; then it returns the stored Replay and false.
	BeginReplay(ctx context.Context, r Replay) (stored Replay, fresh bool, err error)
	// FinishReplay stores the answer of the write begun with r.User and
	// r.Key.
	FinishReplay(ctx context.Context, r Replay) error
	// AbandonReplay forgets a begun write whose answer must not be
	// replayed (a server error: the client may try again).
	AbandonReplay(ctx context.Context, user, key string) error
	// PruneReplays deletes the answers stored before t and reports how
	// many.
	PruneReplays(ctx context.Context, before time.Time) (int64, error)
}
