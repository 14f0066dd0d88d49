package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"citygrid/data"
)

var _ data.ChangeLog = (*Store)(nil)

// migrationChangeLog (migration 2) adds the change log, which is also the
// edit history: one row per committed change of a feature, numbered by
// seq, with the feature before and after as JSON (GeoJSON geometry; NULL
// for the side of an insert or delete that has none).
//
// change_counter is one row holding the last seq and the time of the last
// change. Every writing transaction updates it first, so it holds the row
// lock until it commits: writers are serialised across every replica, the
// seqs a transaction takes follow those of the transaction committed
// before it (Seq order = commit order, no gap a follower could see), and
// change times never go back even when replicas' clocks disagree.
const migrationChangeLog = `CREATE TABLE change_counter (one boolean PRIMARY KEY DEFAULT true CHECK (one),
  seq bigint NOT NULL, at timestamptz NOT NULL);
INSERT INTO change_counter (seq, at) VALUES (0, '1970-01-01 00:00:00+00');
CREATE TABLE changes (seq bigint PRIMARY KEY, layer text NOT NULL, code text NOT NULL, op text NOT NULL, version bigint NOT NULL,
  at timestamptz NOT NULL, "user" text NOT NULL, reason text NOT NULL, changeset text NOT NULL DEFAULT '', before jsonb, after jsonb);
CREATE INDEX changes_code_idx ON changes (layer, code, seq);
CREATE INDEX changes_at_idx ON changes (layer, at);`

// Channel is the PostgreSQL notification channel of the store's change
// log: every transaction that commits changes runs
// NOTIFY "<Channel()>", '<seq>' with the Seq of its last change.
// It is "citygrid_changes" followed by "_" and the schema when the schema
// is not the default one (replicas of different stores in one database
// do not wake each other), cut to PostgreSQL's 63-byte name limit.
func (s *Store) Channel() string {
	c := "citygrid_changes"
	if s.schema != "citygrid_store" {
		c += "_" + s.schema
	}
	if len(c) > 63 {
		c = c[:63]
	}
	return c
}

// LastChangeSeq is the Seq of the newest committed change (0: none).
func (s *Store) LastChangeSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.pool.QueryRow(ctx, `SELECT seq FROM change_counter`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("pgstore: last change: %w", err)
	}
	return seq, nil
}

// ChangesSince returns at most limit committed changes with Seq > after in
// Seq (commit) order. It fails wrapping data.ErrGone when the log no
// longer holds after+1 (pruned) or when after is beyond the store's last
// Seq (the store was recreated since the follower read it): the follower
// must reload.
func (s *Store) ChangesSince(ctx context.Context, after int64, limit int) ([]data.Change, error) {
	if limit <= 0 {
		limit = 1000
	}
	var out []data.Change
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var last int64
		if err := tx.QueryRow(ctx, `SELECT seq FROM change_counter`).Scan(&last); err != nil {
			return err
		}
		if after > last {
			return fmt.Errorf("change %d is beyond the store's last change %d (store recreated): %w", after, last, data.ErrGone)
		}
		rows, err := tx.Query(ctx, `SELECT seq, layer, code, op, version, at, "user", reason, changeset, before, after
FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
		if err != nil {
			return err
		}
		hs, err := scanChanges(rows)
		if err != nil {
			return err
		}
		if after < last && (len(hs) == 0 || hs[0].ID != after+1) {
			return fmt.Errorf("change %d is no longer in the log: %w", after+1, data.ErrGone)
		}
		out = make([]data.Change, len(hs))
		for i, h := range hs {
			out[i] = data.Change{Layer: h.Layer, Op: h.Op, Code: h.Code, Version: h.Version, At: h.At, User: h.User, Reason: h.Reason,
				BeforeComponent: h.BeforeComponent, AfterComponent: h.AfterComponent,
				BeforeUnitGrid: h.BeforeUnitGrid, AfterUnitGrid: h.AfterUnitGrid, Seq: h.ID}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: changes since %d: %w", after, err)
	}
	return out, nil
}

// scanChanges reads change rows (seq, layer, code, op, version, at, user,
// reason, changeset, before, after) as history entries (ID = seq).
func scanChanges(rows pgx.Rows) ([]data.HistoryEntry, error) {
	defer rows.Close()
	var out []data.HistoryEntry
	for rows.Next() {
		var h data.HistoryEntry
		var op string
		var before, after []byte
		if err := rows.Scan(&h.ID, &h.Layer, &h.Code, &op, &h.Version, &h.At, &h.User, &h.Reason, &h.Changeset, &before, &after); err != nil {
			return nil, err
		}
		h.Op, h.At = data.ChangeOp(op), h.At.UTC()
		if err := h.DecodeDocs(before, after); err != nil {
			return nil, fmt.Errorf("change %d: %w", h.ID, err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Listen follows the change log: on a dedicated connection it LISTENs on
// Channel(), then calls fn once with the last committed Seq (so nothing
// committed before the LISTEN took effect is missed) and again with the
// Seq of every notification, in order, from this goroutine. It returns nil
// when ctx ends, and an error (the connection failed or was lost) the
// caller retries on after a pause; fn must then read ChangesSince its last
// Seq again, which it does anyway on the first call.
func (s *Store) Listen(ctx context.Context, fn func(seq int64)) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("pgstore: listen: %w", err)
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn.Close(c)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{s.Channel()}.Sanitize()); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("pgstore: listen: %w", err)
	}
	var last int64
	if err := conn.QueryRow(ctx, `SELECT seq FROM change_counter`).Scan(&last); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("pgstore: listen: %w", err)
	}
	fn(last)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("pgstore: listen: %w", err)
		}
		seq, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			continue // not ours
		}
		fn(seq)
	}
}

// writeTx is one writing transaction: it holds the change counter's lock
// from its start, so its reads see every change committed before it and
// its changes take the next seqs.
type writeTx struct {
	ctx       context.Context
	tx        pgx.Tx
	meta      data.EditMeta
	changeset string // the stored changeset being applied, if any
	seq       int64  // last seq taken
	at        time.Time
	changes   []data.Change
	batch     pgx.Batch
	ref       *data.EditReference // reference layers as of this transaction
	grids     bool                // unit grids changed

	lastVersions map[string]int64 // changeset plans: last version of each given code

	logs    logRows         // change-log rows not yet sent
	preCode string          // read with the counter lock (writeCode)
	pre     *data.Component // its stored state, nil when not stored
}

// batchRows answers the next query of a batch whatever SQL it is asked
// for: the batch queued that SQL already.
type batchRows struct{ br pgx.BatchResults }

func (b batchRows) Query(context.Context, string, ...any) (pgx.Rows, error) { return b.br.Query() }

// errStop ends a write transaction without writing (rolled back) while
// returning no error to the caller.
var errStop = errors.New("nothing to write")

// write runs fn in one transaction that locks the change counter first,
// then records fn's changes in the log, advances the counter and notifies
// Channel(), and returns the changes with their Seqs once committed.
// changeset names the stored changeset being applied ("" for none).
func (s *Store) write(ctx context.Context, m data.EditMeta, changeset string, fn func(*writeTx) error) ([]data.Change, error) {
	return s.writeCode(ctx, m, changeset, "", fn)
}

// writeCode is write reading component code (when not "") together with
// the counter lock, in one round trip: the read is a statement after the
// lock in the same pipeline, so it sees every commit before the lock.
// fn's first w.stored(code) answers from it.
func (s *Store) writeCode(ctx context.Context, m data.EditMeta, changeset, code string, fn func(*writeTx) error) ([]data.Change, error) {
	var out []data.Change
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		w := &writeTx{ctx: ctx, tx: tx, meta: m, changeset: changeset}
		now := time.Now().UTC().Truncate(time.Millisecond)
		var key refKey
		var b pgx.Batch
		b.Queue(`UPDATE change_counter SET at = greatest(at, $1)
RETURNING seq, at, grids_seq, coalesce((SELECT value FROM meta WHERE key = $2), '')`, now, MetaGeneration)
		if code != "" {
			b.Queue(selectComponents+`WHERE code = $1`, code)
		}
		br := tx.SendBatch(ctx, &b)
		err := br.QueryRow().Scan(&w.seq, &w.at, &key.grids, &key.gen)
		if err == nil && code != "" {
			w.preCode = code
			err = scanComponentsErr(ctx, batchRows{br}, "", nil, func(c *data.Component) error {
				cc := *c
				w.pre = &cc
				return nil
			})
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("lock the change log: %w", err)
		}
		w.at = w.at.UTC()
		if w.ref, err = s.reference(ctx, tx, key); err != nil {
			return fmt.Errorf("read reference layers: %w", err)
		}
		if err := fn(w); err != nil {
			return err
		}
		if len(w.changes) == 0 {
			return errStop
		}
		if w.grids {
			w.batch.Queue(`UPDATE change_counter SET seq = $1, grids_seq = $1`, w.seq)
		} else {
			w.batch.Queue(`UPDATE change_counter SET seq = $1`, w.seq)
		}
		w.batch.Queue(`SELECT pg_notify($1, $2)`, s.Channel(), strconv.FormatInt(w.seq, 10))
		if err := w.flush(); err != nil {
			return fmt.Errorf("write the change log: %w", err)
		}
		out = w.changes
		return nil
	})
	if errors.Is(err, errStop) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// record appends a change: its log row is queued and sent with the
// counter update at commit.
func (w *writeTx) record(c data.Change) error {
	c.At, c.User, c.Reason = w.at, w.meta.User, w.meta.Reason
	return w.log(c)
}

// ImportChanges appends changes another store kept (migrate-store copies
// a GeoPackage's edit history) to the empty log in one transaction, in
// order, each keeping its time, user and reason and taking the next Seq,
// so that History, as-of reads and the rule that a code is never reused
// hold after the move. A log that already holds changes fails with
// data.ErrConflict.
func (s *Store) ImportChanges(ctx context.Context, changes []data.Change) error {
	_, err := s.write(ctx, data.EditMeta{}, "", func(w *writeTx) error {
		if w.seq != 0 {
			return fmt.Errorf("the change log already holds %d changes: %w", w.seq, data.ErrConflict)
		}
		for _, c := range changes {
			if c.Layer == data.LayerUnitGrids {
				w.grids = true
			}
			c.At = c.At.UTC()
			if err := w.log(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pgstore: import changes: %w", err)
	}
	return nil
}

// log queues c's row under the next seq.
func (w *writeTx) log(c data.Change) error {
	w.seq++
	c.Seq = w.seq
	var before, after []byte
	var err error
	switch c.Layer {
	case data.LayerComponents:
		if before, err = componentJSON(c.BeforeComponent); err == nil {
			after, err = componentJSON(c.AfterComponent)
		}
	case data.LayerUnitGrids:
		if before, err = unitGridJSON(c.BeforeUnitGrid); err == nil {
			after, err = unitGridJSON(c.AfterUnitGrid)
		}
	}
	if err != nil {
		return fmt.Errorf("change %s %s: %w", c.Layer, c.Code, err)
	}
	l := &w.logs
	l.seq, l.version, l.at = append(l.seq, c.Seq), append(l.version, c.Version), append(l.at, c.At)
	l.layer, l.code, l.op = append(l.layer, c.Layer), append(l.code, c.Code), append(l.op, string(c.Op))
	l.user, l.reason = append(l.user, c.User), append(l.reason, c.Reason)
	l.before, l.after = append(l.before, jsonText(before)), append(l.after, jsonText(after))
	w.changes = append(w.changes, c)
	if w.batch.Len() >= 4000 || len(l.seq) >= 5000 {
		return w.flush()
	}
	return nil
}

// logRows are change-log rows waiting for the next flush, column by
// column: they go in as one INSERT ... SELECT FROM unnest.
type logRows struct {
	seq, version                  []int64
	at                            []time.Time
	layer, code, op, user, reason []string
	before, after                 []*string
}

func jsonText(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

// flush sends the queued statements; their errors (a unique violation is
// a conflict) come back here.
func (w *writeTx) flush() error {
	if l := &w.logs; len(l.seq) > 0 {
		w.batch.Queue(`INSERT INTO changes (seq, layer, code, op, version, at, "user", reason, changeset, before, after)
SELECT seq, layer, code, op, version, at, "user", reason, $10, before::jsonb, after::jsonb
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[], $7::text[], $8::text[], $9::text[], $11::text[])
  AS t(seq, layer, code, op, version, at, "user", reason, before, after)`,
			l.seq, l.layer, l.code, l.op, l.version, l.at, l.user, l.reason, l.before, w.changeset, l.after)
		w.logs = logRows{}
	}
	if w.batch.Len() == 0 {
		return nil
	}
	err := w.tx.SendBatch(w.ctx, &w.batch).Close()
	w.batch = pgx.Batch{}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return insertError("the store", err)
	}
	return err
}

// The history documents (data.MarshalComponentDoc and friends).
var (
	componentJSON      = data.MarshalComponentDoc
	parseComponentJSON = data.UnmarshalComponentDoc
	unitGridJSON       = data.MarshalUnitGridDoc
	parseUnitGridJSON  = data.UnmarshalUnitGridDoc
)

// Schema is the PostgreSQL schema holding the store's tables.
func (s *Store) Schema() string { return s.schema }
