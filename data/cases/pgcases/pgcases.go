// Package pgcases is the case store on PostgreSQL, shared by every
// citygrid replica of a city: the tables of sqlitecases (same names, same
// columns, times as epoch milliseconds, the case as JSON in a json column:
// kept byte for byte, as SQLite keeps it, where jsonb would reorder the
// keys of its raw parts such as Resolution) in a schema of their own
// (default DefaultSchema), migrated through case_schema under an advisory
// lock, plus the API tokens (citygrid_tokens; Store is a data.TokenStore).
// The row codec is the one sqlitecases shares
// (data/cases/internal/caserow).
//
// Concurrency is decided inside the database: Update is one statement,
// `UPDATE ... WHERE id = $1 AND version = $2` chained to the transition's
// INSERT, so of two replicas acting on one case at the same version one
// wins and the other gets a *cases.ConflictError (409). Case ids come from
// one sequence, so case numbers (date + id) are unique across replicas.
//
// Every committed case write sends `NOTIFY <schema>, '<id>:<seq>'` (the
// channel is the schema name, "citygrid_cases" by default; seq is the
// transition's), every configuration version `'config:<name>'`;
// ListenRemote follows the writes of other processes.
package pgcases

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/internal/caserow"
	"citygrid/data/pgschema"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is the case store on PostgreSQL.
type Store struct {
	caserow.Reader
	pool    *pgxpool.Pool
	schema  string
	channel string

	listeners caserow.Listeners
	fmu       sync.RWMutex
	configFns []func(name string)
	readyFns  []func()

	// own holds the backend PIDs of the pool's connections: their
	// notifications are this process's own writes, already reported to
	// the listeners.
	own sync.Map // uint32 → struct{}
}

// DefaultSchema is the schema Open uses when given none.
const DefaultSchema = "citygrid_cases"

var (
	_ cases.ServerStore         = (*Store)(nil)
	_ cases.RemoteFollower      = (*Store)(nil)
	_ cases.ConfigFollower      = (*Store)(nil)
	_ cases.NotificationClaimer = (*Store)(nil)
	_ cases.HistoryImporter     = (*Store)(nil)
	_ data.TokenStore           = (*Store)(nil)
)

var pgIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// pgMigrations bring the case schema up to date, in order (case_schema
// records how many ran). Times are epoch milliseconds as in sqlitecases, so
// both stores share the row codec.
var pgMigrations = []string{
	`CREATE TABLE case_cases (
		id bigserial PRIMARY KEY,
		number text NOT NULL UNIQUE,
		state text NOT NULL,
		kind text NOT NULL,
		category text NOT NULL,
		source text NOT NULL,
		unit text NOT NULL DEFAULT '',
		street text NOT NULL DEFAULT '',
		community text NOT NULL DEFAULT '',
		unit_grid text NOT NULL DEFAULT '',
		dispatcher text NOT NULL DEFAULT '',
		reporter text NOT NULL DEFAULT '',
		lon double precision NOT NULL,
		lat double precision NOT NULL,
		reported_at bigint NOT NULL,
		updated_at bigint NOT NULL,
		due_at bigint,
		version bigint NOT NULL,
		doc json NOT NULL
	);
` + caserow.CaseIndexes + `
	CREATE TABLE case_transitions (
		case_id bigint NOT NULL REFERENCES case_cases(id),
		seq integer NOT NULL,
		at bigint NOT NULL,
		action text NOT NULL,
		from_state text NOT NULL,
		to_state text NOT NULL,
		"user" text NOT NULL,
		role text NOT NULL,
		unit text NOT NULL DEFAULT '',
		note text NOT NULL DEFAULT '',
		step_due_at bigint,
		PRIMARY KEY (case_id, seq)
	);
	CREATE INDEX case_transitions_at ON case_transitions(at, case_id, seq);
	CREATE TABLE case_attachments (
		id bigserial PRIMARY KEY,
		case_id bigint NOT NULL REFERENCES case_cases(id),
		name text NOT NULL UNIQUE,
		type text NOT NULL,
		size bigint NOT NULL,
		sha256 text NOT NULL,
		stage text NOT NULL,
		"user" text NOT NULL,
		uploaded bigint NOT NULL
	);
	CREATE INDEX case_attachments_case ON case_attachments(case_id);
	CREATE TABLE case_config (
		name text NOT NULL,
		version bigint NOT NULL,
		body text NOT NULL,
		"user" text NOT NULL,
		at bigint NOT NULL,
		PRIMARY KEY (name, version)
	);
	CREATE TABLE case_notifications (
		case_id bigint NOT NULL,
		kind text NOT NULL,
		due_at bigint NOT NULL,
		sent_at bigint NOT NULL,
		PRIMARY KEY (case_id, kind, due_at)
	);
	CREATE SEQUENCE citygrid_token_revocations;
	CREATE TABLE citygrid_tokens (
		id text PRIMARY KEY,
		hash bytea NOT NULL UNIQUE,
		"user" text NOT NULL,
		role text NOT NULL,
		unit text NOT NULL DEFAULT '',
		note text NOT NULL DEFAULT '',
		created_at timestamptz NOT NULL,
		expires_at timestamptz,
		revoked_at timestamptz,
		revocation bigint NOT NULL DEFAULT 0
	);`,
	// 2: attachments' bytes (replicas share no disk; pg_attachments.go).
	`ALTER TABLE case_attachments ADD COLUMN content bytea`,
}

// Open connects to the PostgreSQL database at url (a postgres:// URL or
// a keyword/value string) and opens the case tables in schema (""
// means DefaultSchema; a lower-case SQL identifier), creating or
// migrating them. Several processes may open one database at once: the
// migrations run under an advisory lock. Close releases the connections.
func Open(ctx context.Context, url, schema string) (*Store, error) {
	if schema == "" {
		schema = DefaultSchema
	}
	if !pgIdent.MatchString(schema) {
		return nil, fmt.Errorf("case store: schema %q: want a lower-case SQL identifier", schema)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("case store: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	s := &Store{schema: schema, channel: schema}
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		s.own.Store(c.PgConn().PID(), struct{}{})
		return nil
	}
	cfg.BeforeClose = func(c *pgx.Conn) { s.own.Delete(c.PgConn().PID()) }
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("case store: %w", err)
	}
	s.pool = pool
	s.Reader = caserow.Reader{DB: pgDB{pool}, Doc: "doc::text", NoRows: pgx.ErrNoRows}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	return pgschema.Migrate(ctx, s.pool, pgschema.Plan{What: "case store", Schema: s.schema, Table: "case_schema",
		Lock: "citygrid case schema", Steps: pgMigrations})
}

// Close releases the store's connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Schema is the schema the store's tables are in (also the NOTIFY channel).
func (s *Store) Schema() string { return s.schema }

// DropSchema removes the store's schema and everything in it (tests).
func (s *Store) DropSchema(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+s.schema+` CASCADE`); err != nil {
		return fmt.Errorf("case store: drop schema: %w", err)
	}
	return nil
}

// OnChange registers a listener for writes committed through this store.
func (s *Store) OnChange(fn func(*cases.Case, *cases.Transition)) { s.listeners.Add(fn) }

// dollars rewrites the ? parameters of the shared row SQL (which holds no
// other question mark) to $n, numbering from first.
func dollars(q string, first int) string {
	var b strings.Builder
	n := first
	for _, r := range q {
		if r == '?' {
			b.WriteString("$" + strconv.Itoa(n))
			n++
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pgDB is the pool or a transaction as the shared reads' caserow.DB,
// numbering the ? parameters.
type pgDB struct {
	db interface {
		Query(ctx context.Context, q string, args ...any) (pgx.Rows, error)
		QueryRow(ctx context.Context, q string, args ...any) pgx.Row
	}
}

func (d pgDB) Query(ctx context.Context, q string, args ...any) (caserow.Rows, error) {
	return d.db.Query(ctx, dollars(q, 1), args...)
}

func (d pgDB) QueryRow(ctx context.Context, q string, args ...any) caserow.Row {
	return d.db.QueryRow(ctx, dollars(q, 1), args...)
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

var transitionCols = caserow.Columns(caserow.TransitionColumns)

// Create stores a new case and its first transition in one statement.
func (s *Store) Create(ctx context.Context, c *cases.Case, t *cases.Transition) error {
	caserow.NewCase(c)
	if err := s.pool.QueryRow(ctx, `SELECT nextval('case_cases_id_seq')`).Scan(&c.ID); err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	if c.Number == "" {
		c.Number = caserow.Number(c)
	}
	vals, err := caserow.CaseValues(c)
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	t.CaseID, t.Seq = c.ID, 1
	args := append(append(vals, caserow.TransitionValues(t)[2:]...), s.channel)
	_, err = s.pool.Exec(ctx, `WITH c AS (
		INSERT INTO case_cases(`+caserow.Columns(caserow.CaseColumns)+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id),
	t AS (INSERT INTO case_transitions(`+transitionCols+`)
		SELECT id, 1, $20, $21, $22, $23, $24, $25, $26, $27, $28 FROM c RETURNING case_id)
	SELECT pg_notify($29, case_id || ':1') FROM t`, args...)
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("create case: number %q exists: %w", c.Number, data.ErrConflict)
		}
		return fmt.Errorf("create case: %w", err)
	}
	s.listeners.Notify(c, t)
	return nil
}

// Update stores c and t if c.Version is still the stored version: one
// statement (conditional UPDATE, the transition's INSERT, NOTIFY), so the
// database decides between replicas.
func (s *Store) Update(ctx context.Context, c *cases.Case, t *cases.Transition) error {
	old := c.Version
	c.Version = old + 1
	vals, err := caserow.CaseValues(c)
	if err != nil {
		c.Version = old
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	// $1 id, $2 the version read, $3..$19 the case's other columns from
	// state on, $20..$28 the transition's from at on, $29 the channel.
	args := append(append(append([]any{c.ID, old}, vals[2:]...), caserow.TransitionValues(t)[2:]...), s.channel)
	var seq int
	err = s.pool.QueryRow(ctx, `WITH u AS (
		UPDATE case_cases SET state = $3, kind = $4, category = $5, source = $6, unit = $7, street = $8, community = $9, unit_grid = $10, dispatcher = $11, reporter = $12,
			lon = $13, lat = $14, reported_at = $15, updated_at = $16, due_at = $17, version = $18, doc = $19
		WHERE id = $1 AND version = $2 RETURNING id),
	t AS (INSERT INTO case_transitions(`+transitionCols+`)
		SELECT id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM case_transitions WHERE case_id = $1), $20, $21, $22, $23, $24, $25, $26, $27, $28 FROM u RETURNING seq)
	SELECT seq FROM t CROSS JOIN LATERAL (SELECT pg_notify($29, $1::text || ':' || t.seq)) n`, args...).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) || isUnique(err) {
		c.Version = old
		return s.Conflict(s.pool.QueryRow(ctx, `SELECT state, version FROM case_cases WHERE id = $1`, c.ID), c, t, old)
	}
	if err != nil {
		c.Version = old
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	t.CaseID, t.Seq = c.ID, seq
	s.listeners.Notify(c, t)
	return nil
}

// AddAttachment records a stored file of a case.
func (s *Store) AddAttachment(ctx context.Context, a *cases.Attachment) error {
	return s.AddAttachmentContent(ctx, a, nil)
}

// PutConfig stores a new version of the named configuration document.
// Writers of one name are serialised by a transaction-scoped advisory
// lock, so versions have no gaps and ifVersion is checked against the
// version the new one follows.
func (s *Store) PutConfig(ctx context.Context, name string, body []byte, user string, ifVersion int64) (cases.ConfigDoc, error) {
	var d cases.ConfigDoc
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('citygrid case config ' || $1))`, name); err != nil {
			return err
		}
		var cur int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM case_config WHERE name = $1`, name).Scan(&cur); err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != cur {
			return &cases.VersionError{Name: name, Current: cur}
		}
		d = cases.ConfigDoc{Name: name, Version: cur + 1, Body: body, User: user, At: time.Now().UTC()}
		if _, err := tx.Exec(ctx, `INSERT INTO case_config(`+caserow.Columns(caserow.ConfigColumns)+`) VALUES ($1, $2, $3, $4, $5)`, caserow.ConfigValues(&d)...); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT pg_notify($1, 'config:' || $2)`, s.channel, name)
		return err
	})
	var ve *cases.VersionError
	if errors.As(err, &ve) {
		return cases.ConfigDoc{}, err
	}
	if err != nil {
		return cases.ConfigDoc{}, fmt.Errorf("config %s: %w", name, err)
	}
	return d, nil
}

// MarkNotified records that a notification went out; false when it had
// already been recorded (by any replica).
func (s *Store) MarkNotified(ctx context.Context, caseID int64, kind string, dueAt time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO case_notifications(case_id, kind, due_at, sent_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, caseID, kind, caserow.MS(dueAt), caserow.MS(time.Now()))
	if err != nil {
		return false, fmt.Errorf("notification of case %d: %w", caseID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseNotification removes a notification record (the Notifier's
// claim when its delivery failed; see cases.NotificationClaimer).
func (s *Store) ReleaseNotification(ctx context.Context, caseID int64, kind string, dueAt time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM case_notifications WHERE case_id = $1 AND kind = $2 AND due_at = $3`, caseID, kind, caserow.MS(dueAt)); err != nil {
		return fmt.Errorf("notification of case %d: %w", caseID, err)
	}
	return nil
}

// ErrReload ends ListenRemote when another process wrote in bulk
// (ImportHistory) instead of case by case: the follower reloads what it
// shows from the store and listens again.
var ErrReload = errors.New("cases written in bulk by another process: reload")

// ListenRemote follows the case writes of other processes (see
// RemoteFollower): a dedicated connection LISTENs on the store's channel;
// each notification not sent by one of this store's own connections is
// read back (the case, and the transition its seq names) and handed to fn.
func (s *Store) ListenRemote(ctx context.Context, fn func(c *cases.Case, t *cases.Transition)) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("listen for case writes: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen for case writes: %w", err)
	}
	s.fmu.RLock()
	ready := s.readyFns
	s.fmu.RUnlock()
	for _, r := range ready {
		r()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("listen for case writes: %w", err)
		}
		if _, mine := s.own.Load(n.PID); mine {
			continue
		}
		if n.Payload == "reload" {
			return ErrReload
		}
		if name, ok := strings.CutPrefix(n.Payload, "config:"); ok {
			s.fmu.RLock()
			fns := s.configFns
			s.fmu.RUnlock()
			for _, fn := range fns {
				fn(name)
			}
			continue
		}
		id, seq, ok := parseCasePayload(n.Payload)
		if !ok {
			continue
		}
		c, err := s.Get(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			continue // gone (a dropped schema): nothing to show
		}
		t, err := s.Transition(ctx, id, seq)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		fn(c, &t)
	}
}

// OnRemoteConfig registers fn for configuration documents stored by other
// processes (see ConfigFollower).
func (s *Store) OnRemoteConfig(fn func(name string)) {
	s.fmu.Lock()
	s.configFns = append(s.configFns, fn)
	s.fmu.Unlock()
}

// OnRemoteReady registers fn, called by ListenRemote each time its LISTEN
// is in place, before it reports any write: writes committed before that
// moment are not reported, so a caller that loaded what it shows earlier
// (or lost the connection) reloads it then. A replica starting while
// others write would otherwise miss the writes between its load and its
// LISTEN.
func (s *Store) OnRemoteReady(fn func()) {
	s.fmu.Lock()
	s.readyFns = append(s.readyFns, fn)
	s.fmu.Unlock()
}

// parseCasePayload reads a notification's '<id>:<seq>'.
func parseCasePayload(p string) (id int64, seq int, ok bool) {
	a, b, found := strings.Cut(p, ":")
	if !found {
		return 0, 0, false
	}
	id, err1 := strconv.ParseInt(a, 10, 64)
	seq, err2 := strconv.Atoi(b)
	return id, seq, err1 == nil && err2 == nil
}
