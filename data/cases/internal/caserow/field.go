package caserow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
)

// FieldTables are the tables of idempotent writes' answers, duty changes
// and position samples, the same in both dialects (times in epoch
// milliseconds; on_duty 0 or 1).
const FieldTables = `CREATE TABLE case_replays (
		"user" text NOT NULL,
		key text NOT NULL,
		request text NOT NULL,
		status integer NOT NULL,
		content_type text NOT NULL DEFAULT '',
		location text NOT NULL DEFAULT '',
		etag text NOT NULL DEFAULT '',
		body %[1]s,
		at bigint NOT NULL,
		PRIMARY KEY ("user", key)
	);
	CREATE INDEX case_replays_at ON case_replays(at);
	CREATE TABLE case_duty (
		"user" text PRIMARY KEY,
		on_duty integer NOT NULL,
		since bigint NOT NULL
	);
	CREATE TABLE case_positions (
		"user" text NOT NULL,
		at bigint NOT NULL,
		lon double precision NOT NULL,
		lat double precision NOT NULL,
		accuracy double precision NOT NULL DEFAULT 0,
		PRIMARY KEY ("user", at)
	);
	CREATE INDEX case_positions_at ON case_positions(at);`

// Exec runs one write statement written with ? parameters and reports
// the rows it affected.
type Exec func(ctx context.Context, q string, args ...any) (int64, error)

// Field implements data.ReplayStore and cases.FieldStore over a store's
// database: DB reads, Exec writes.
type Field struct {
	DB   DB
	Exec Exec
	// NoRows is the driver's error for a query that found no row.
	NoRows error
}

// BeginReplay implements data.ReplayStore.
func (f *Field) BeginReplay(ctx context.Context, r data.Replay) (data.Replay, bool, error) {
	n, err := f.Exec(ctx, `INSERT INTO case_replays("user", key, request, status, at) VALUES (?, ?, ?, 0, ?) ON CONFLICT ("user", key) DO NOTHING`,
		r.User, r.Key, r.Request, MS(r.At))
	if err != nil {
		return data.Replay{}, false, fmt.Errorf("begin idempotent write: %w", err)
	}
	if n == 1 {
		return r, true, nil
	}
	var s data.Replay
	var at int64
	err = f.DB.QueryRow(ctx, `SELECT "user", key, request, status, content_type, location, etag, body, at FROM case_replays WHERE "user" = ? AND key = ?`, r.User, r.Key).
		Scan(&s.User, &s.Key, &s.Request, &s.Status, &s.ContentType, &s.Location, &s.ETag, &s.Body, &at)
	if errors.Is(err, f.NoRows) { // pruned or abandoned in between: take it now
		return f.BeginReplay(ctx, r)
	}
	if err != nil {
		return data.Replay{}, false, fmt.Errorf("read idempotent write: %w", err)
	}
	s.At = FromMS(at)
	return s, false, nil
}

// FinishReplay implements data.ReplayStore.
func (f *Field) FinishReplay(ctx context.Context, r data.Replay) error {
	n, err := f.Exec(ctx, `UPDATE case_replays SET status = ?, content_type = ?, location = ?, etag = ?, body = ? WHERE "user" = ? AND key = ? AND status = 0`,
		r.Status, r.ContentType, r.Location, r.ETag, r.Body, r.User, r.Key)
	if err == nil && n != 1 {
		err = fmt.Errorf("key %q of %q is not in progress: %w", r.Key, r.User, data.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("finish idempotent write: %w", err)
	}
	return nil
}

// AbandonReplay implements data.ReplayStore.
func (f *Field) AbandonReplay(ctx context.Context, user, key string) error {
	if _, err := f.Exec(ctx, `DELETE FROM case_replays WHERE "user" = ? AND key = ? AND status = 0`, user, key); err != nil {
		return fmt.Errorf("abandon idempotent write: %w", err)
	}
	return nil
}

// PruneReplays implements data.ReplayStore.
func (f *Field) PruneReplays(ctx context.Context, before time.Time) (int64, error) {
	n, err := f.Exec(ctx, `DELETE FROM case_replays WHERE at < ?`, MS(before))
	if err != nil {
		return 0, fmt.Errorf("prune idempotent writes: %w", err)
	}
	return n, nil
}

// SetDuty implements cases.FieldStore.
func (f *Field) SetDuty(ctx context.Context, user string, on bool, t time.Time) error {
	v := 0
	if on {
		v = 1
	}
	if _, err := f.Exec(ctx, `INSERT INTO case_duty("user", on_duty, since) VALUES (?, ?, ?)
		ON CONFLICT ("user") DO UPDATE SET on_duty = excluded.on_duty, since = excluded.since`, user, v, MS(t)); err != nil {
		return fmt.Errorf("set duty of %s: %w", user, err)
	}
	return nil
}

// AddPositions implements cases.FieldStore.
func (f *Field) AddPositions(ctx context.Context, ps []cases.Position) (int, error) {
	added := 0
	for _, p := range ps {
		n, err := f.Exec(ctx, `INSERT INTO case_positions("user", at, lon, lat, accuracy) VALUES (?, ?, ?, ?, ?) ON CONFLICT ("user", at) DO NOTHING`,
			p.User, MS(p.At), p.Lon, p.Lat, p.Accuracy)
		if err != nil {
			return added, fmt.Errorf("store positions: %w", err)
		}
		added += int(n)
	}
	return added, nil
}

// LastPositions implements cases.FieldStore.
func (f *Field) LastPositions(ctx context.Context, since time.Time) ([]cases.LastPosition, error) {
	rows, err := f.DB.Query(ctx, `SELECT d."user", d.on_duty, d.since, p.at, p.lon, p.lat, p.accuracy FROM case_duty d
		LEFT JOIN case_positions p ON p."user" = d."user" AND p.at = (SELECT MAX(at) FROM case_positions q WHERE q."user" = d."user" AND q.at >= ?)
		ORDER BY d."user"`, MS(since))
	if err != nil {
		return nil, fmt.Errorf("last positions: %w", err)
	}
	defer rows.Close()
	out := []cases.LastPosition{}
	for rows.Next() {
		var l cases.LastPosition
		var on int
		var sinceMS int64
		var at *int64
		var lon, lat, acc *float64
		if err := rows.Scan(&l.User, &on, &sinceMS, &at, &lon, &lat, &acc); err != nil {
			return nil, fmt.Errorf("last positions: %w", err)
		}
		l.On, l.Since = on == 1, FromMS(sinceMS)
		if at != nil {
			l.Position = &cases.Position{User: l.User, At: FromMS(*at), Lon: *lon, Lat: *lat, Accuracy: *acc}
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Track implements cases.FieldStore.
func (f *Field) Track(ctx context.Context, user string, from, to time.Time) ([]cases.Position, error) {
	rows, err := f.DB.Query(ctx, `SELECT at, lon, lat, accuracy FROM case_positions WHERE "user" = ? AND at >= ? AND at < ? ORDER BY at`, user, MS(from), MS(to))
	if err != nil {
		return nil, fmt.Errorf("track of %s: %w", user, err)
	}
	defer rows.Close()
	out := []cases.Position{}
	for rows.Next() {
		p := cases.Position{User: user}
		var at int64
		if err := rows.Scan(&at, &p.Lon, &p.Lat, &p.Accuracy); err != nil {
			return nil, fmt.Errorf("track of %s: %w", user, err)
		}
		p.At = FromMS(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// PrunePositions implements cases.FieldStore.
func (f *Field) PrunePositions(ctx context.Context, before time.Time) (int64, error) {
	n, err := f.Exec(ctx, `DELETE FROM case_positions WHERE at < ?`, MS(before))
	if err != nil {
		return 0, fmt.Errorf("prune positions: %w", err)
	}
	return n, nil
}
