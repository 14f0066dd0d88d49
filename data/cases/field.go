package cases

import (
	"context"
	"time"
)

// Position is one sample of an inspector's position while on duty, in
// the storage CRS (CGCS2000 lon/lat): clients that send GCJ-02 are
// converted before the position is stored.
type Position struct {
	User string    `json:"user"`
	At   time.Time `json:"at"`
	Lon  float64   `json:"lon"`
	Lat  float64   `json:"lat"`
	// Accuracy is the device's stated accuracy in metres (0: unknown).
	Accuracy float64 `json:"accuracy,omitempty"`
}

// Duty is an inspector's last 上班/下班 change.
type Duty struct {
	User  string    `json:"user"`
	On    bool      `json:"on_duty"`
	Since time.Time `json:"since"`
}

// LastPosition is an inspector's duty state with his newest position
// (Position nil when he has sent none yet).
type LastPosition struct {
	Duty
	Position *Position `json:"position"`
}

// FieldStore keeps what inspectors send from the street: duty changes and
// position samples. The case stores implement it; positions older than
// the retention are pruned by the city.
type FieldStore interface {
	// SetDuty records that user went on (on) or off duty at t.
	SetDuty(ctx context.Context, user string, on bool, t time.Time) error
	// AddPositions stores samples of one user; a sample with the same user
	// and time as a stored one is ignored (a batch sent twice).
	AddPositions(ctx context.Context, ps []Position) (added int, err error)
	// LastPositions returns every user with a duty record, with his newest
	// position at or after since, ordered by user.
	LastPositions(ctx context.Context, since time.Time) ([]LastPosition, error)
	// Track returns one user's positions in [from, to), in time order.
	Track(ctx context.Context, user string, from, to time.Time) ([]Position, error)
	// PrunePositions deletes positions older than before.
	PrunePositions(ctx context.Context, before time.Time) (int64, error)
}
