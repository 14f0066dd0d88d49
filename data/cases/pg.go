package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"citygrid/data"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PGStore is the case Store on PostgreSQL, shared by every citygrid
// replica of a city: the tables of SQLStore (same names, same columns,
// times as epoch milliseconds, the case as JSON in a json column: kept
// byte for byte, as SQLite keeps it, where jsonb would reorder the keys of
// its raw parts such as Resolution) in a schema of their own (default
// DefaultPGSchema), migrated through
// case_schema under an advisory lock, plus the API tokens
// (citygrid_tokens; PGStore is a data.TokenStore).
//
// Concurrency is decided inside the database: Update is one statement,
// `UPDATE ... WHERE id = $1 AND version = $2` chained to the transition's
// INSERT, so of two replicas acting on one case at the same version one
// wins and the other gets a *ConflictError (409). Case ids come from one
// sequence, so case numbers (date + id) are unique across replicas.
//
// Every committed case write sends `NOTIFY <schema>, '<id>:<seq>'` (the
// channel is the schema name, "citygrid_cases" by default; seq is the
// transition's), every configuration version `'config:<name>'`;
// ListenRemote follows the writes of other processes.
type PGStore struct {
	pool    *pgxpool.Pool
	schema  string
	channel string

	lmu       sync.RWMutex
	listeners []func(*Case, *Transition)
	configFns []func(name string)
	readyFns  []func()

	// own holds the backend PIDs of the pool's connections: their
	// notifications are this process's own writes, already reported to
	// the listeners.
	own sync.Map // uint32 → struct{}
}

// DefaultPGSchema is the schema OpenPG uses when given none.
const DefaultPGSchema = "citygrid_cases"

var (
	_ ServerStore     = (*PGStore)(nil)
	_ RemoteFollower  = (*PGStore)(nil)
	_ data.TokenStore = (*PGStore)(nil)
)

var pgIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// pgMigrations bring the case schema up to date, in order (case_schema
// records how many ran). Times are epoch milliseconds as in SQLStore, so
// both stores share the filter code.
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
	CREATE INDEX case_cases_state_due ON case_cases(state, due_at);
	CREATE INDEX case_cases_unit_state_due ON case_cases(unit, state, due_at);
	CREATE INDEX case_cases_dispatcher_state_due ON case_cases(dispatcher, state, due_at);
	CREATE INDEX case_cases_reported ON case_cases(reported_at);
	CREATE INDEX case_cases_updated ON case_cases(updated_at);
	CREATE INDEX case_cases_category_reported ON case_cases(category, reported_at);
	CREATE INDEX case_cases_street ON case_cases(street, state);
	CREATE INDEX case_cases_community ON case_cases(community, state);
	CREATE INDEX case_cases_grid ON case_cases(unit_grid, state);
	CREATE INDEX case_cases_reporter ON case_cases(reporter) WHERE reporter <> '';
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

// OpenPG connects to the PostgreSQL database at url (a postgres:// URL or
// a keyword/value string) and opens the case tables in schema (""
// means DefaultPGSchema; a lower-case SQL identifier), creating or
// migrating them. Several processes may open one database at once: the
// migrations run under an advisory lock. Close releases the connections.
func OpenPG(ctx context.Context, url, schema string) (*PGStore, error) {
	if schema == "" {
		schema = DefaultPGSchema
	}
	if !pgIdent.MatchString(schema) {
		return nil, fmt.Errorf("case store: schema %q: want a lower-case SQL identifier", schema)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("case store: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	s := &PGStore{schema: schema, channel: schema}
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
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *PGStore) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('citygrid case schema'))`); err != nil {
			return fmt.Errorf("case store: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+s.schema+`;
			CREATE TABLE IF NOT EXISTS `+s.schema+`.case_schema (version integer PRIMARY KEY, applied bigint NOT NULL)`); err != nil {
			return fmt.Errorf("case store: schema: %w", err)
		}
		var v int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+s.schema+`.case_schema`).Scan(&v); err != nil {
			return fmt.Errorf("case store: schema: %w", err)
		}
		if v > len(pgMigrations) {
			return fmt.Errorf("case store: schema %s is at version %d, newer than this citygrid knows (%d)", s.schema, v, len(pgMigrations))
		}
		for i := v; i < len(pgMigrations); i++ {
			if _, err := tx.Exec(ctx, `SET LOCAL search_path = `+s.schema); err != nil {
				return fmt.Errorf("case migration %d: %w", i+1, err)
			}
			if _, err := tx.Exec(ctx, pgMigrations[i]); err != nil {
				return fmt.Errorf("case migration %d: %w", i+1, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+s.schema+`.case_schema(version, applied) VALUES ($1, $2)`, i+1, time.Now().Unix()); err != nil {
				return fmt.Errorf("case migration %d: %w", i+1, err)
			}
		}
		return nil
	})
}

// Close releases the store's connections.
func (s *PGStore) Close() error {
	s.pool.Close()
	return nil
}

// Schema is the schema the store's tables are in (also the NOTIFY channel).
func (s *PGStore) Schema() string { return s.schema }

// DropSchema removes the store's schema and everything in it (tests).
func (s *PGStore) DropSchema(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+s.schema+` CASCADE`); err != nil {
		return fmt.Errorf("case store: drop schema: %w", err)
	}
	return nil
}

// OnChange registers a listener for writes committed through this store.
func (s *PGStore) OnChange(fn func(*Case, *Transition)) {
	s.lmu.Lock()
	s.listeners = append(s.listeners, fn)
	s.lmu.Unlock()
}

func (s *PGStore) notify(c *Case, t *Transition) {
	s.lmu.RLock()
	ls := s.listeners
	s.lmu.RUnlock()
	for _, fn := range ls {
		cc := *c
		tt := *t
		fn(&cc, &tt)
	}
}

// pgArgs rewrites the ? placeholders of SQLStore's filter SQL (which
// holds no other question mark) to $n, numbering from first.
func pgArgs(q string, first int) string {
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

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

const pgTransitionCols = `case_id, seq, at, action, from_state, to_state, "user", role, unit, note, step_due_at`

// Create stores a new case and its first transition in one statement.
func (s *PGStore) Create(ctx context.Context, c *Case, t *Transition) error {
	if c.ReportedAt.IsZero() {
		c.ReportedAt = time.Now().UTC()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.ReportedAt
	}
	if err := s.pool.QueryRow(ctx, `SELECT nextval('case_cases_id_seq')`).Scan(&c.ID); err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	c.Version = 1
	c.Lon, c.Lat = c.Point[0], c.Point[1]
	if c.Number == "" {
		c.Number = fmt.Sprintf("%s%07d", c.ReportedAt.In(chinaTZ).Format("20060102"), c.ID)
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	if t.At.IsZero() {
		t.At = time.Now().UTC()
	}
	t.CaseID, t.Seq = c.ID, 1
	_, err = s.pool.Exec(ctx, `WITH c AS (
		INSERT INTO case_cases(id, number, state, kind, category, source, unit, street, community, unit_grid, dispatcher, reporter, lon, lat, reported_at, updated_at, due_at, version, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 1, $18) RETURNING id),
	t AS (INSERT INTO case_transitions(`+pgTransitionCols+`)
		SELECT id, 1, $19, $20, $21, $22, $23, $24, $25, $26, $27 FROM c RETURNING case_id)
	SELECT pg_notify($28, case_id || ':1') FROM t`,
		c.ID, c.Number, c.State, c.Kind, c.Category, c.Source, c.Unit, c.Street, c.Community, c.UnitGrid, c.Dispatcher, c.Reporter,
		c.Point[0], c.Point[1], ms(c.ReportedAt), ms(c.UpdatedAt), msPtr(c.DueAt), string(doc),
		ms(t.At), t.Action, t.From, t.To, t.User, t.Role, t.Unit, t.Note, msPtr(t.StepDueAt), s.channel)
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("create case: number %q exists: %w", c.Number, data.ErrConflict)
		}
		return fmt.Errorf("create case: %w", err)
	}
	s.notify(c, t)
	return nil
}

// Update stores c and t if c.Version is still the stored version: one
// statement (conditional UPDATE, the transition's INSERT, NOTIFY), so the
// database decides between replicas.
func (s *PGStore) Update(ctx context.Context, c *Case, t *Transition) error {
	old := c.Version
	c.Version = old + 1
	c.Lon, c.Lat = c.Point[0], c.Point[1]
	doc, err := json.Marshal(c)
	if err != nil {
		c.Version = old
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	if t.At.IsZero() {
		t.At = time.Now().UTC()
	}
	var seq int
	err = s.pool.QueryRow(ctx, `WITH u AS (
		UPDATE case_cases SET state = $3, kind = $4, category = $5, source = $6, unit = $7, street = $8, community = $9, unit_grid = $10, dispatcher = $11, reporter = $12,
			lon = $13, lat = $14, updated_at = $15, due_at = $16, version = $2 + 1, doc = $17
		WHERE id = $1 AND version = $2 RETURNING id),
	t AS (INSERT INTO case_transitions(`+pgTransitionCols+`)
		SELECT id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM case_transitions WHERE case_id = $1), $18, $19, $20, $21, $22, $23, $24, $25, $26 FROM u RETURNING seq)
	SELECT seq FROM t CROSS JOIN LATERAL (SELECT pg_notify($27, $1::text || ':' || t.seq)) n`,
		c.ID, old, c.State, c.Kind, c.Category, c.Source, c.Unit, c.Street, c.Community, c.UnitGrid, c.Dispatcher, c.Reporter,
		c.Point[0], c.Point[1], ms(c.UpdatedAt), msPtr(c.DueAt), string(doc),
		ms(t.At), t.Action, t.From, t.To, t.User, t.Role, t.Unit, t.Note, msPtr(t.StepDueAt), s.channel).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) || isUnique(err) {
		c.Version = old
		var st State
		var v int64
		err := s.pool.QueryRow(ctx, `SELECT state, version FROM case_cases WHERE id = $1`, c.ID).Scan(&st, &v)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("case %d: %w", c.ID, data.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("update case %d: %w", c.ID, err)
		}
		return &ConflictError{ID: c.ID, Action: t.Action, State: st, Version: v, Reason: fmt.Sprintf("changed by someone else (version %d, not %d)", v, old)}
	}
	if err != nil {
		c.Version = old
		return fmt.Errorf("update case %d: %w", c.ID, err)
	}
	t.CaseID, t.Seq = c.ID, seq
	s.notify(c, t)
	return nil
}

// Get returns one case.
func (s *PGStore) Get(ctx context.Context, id int64) (*Case, error) {
	var doc string
	var lon, lat float64
	err := s.pool.QueryRow(ctx, `SELECT doc::text, lon, lat FROM case_cases WHERE id = $1`, id).Scan(&doc, &lon, &lat)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("case %d: %w", id, data.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("case %d: %w", id, err)
	}
	return decodeCase(doc, lon, lat)
}

// List returns one page of matching cases.
func (s *PGStore) List(ctx context.Context, f Filter) (Page, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultPageSize
	}
	if f.Limit > MaxPageSize {
		f.Limit = MaxPageSize
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	where, args := f.where()
	order := " ORDER BY id DESC"
	if f.Sort == SortDue {
		order = " ORDER BY due_at IS NULL, due_at, id"
	}
	p := Page{Cases: []*Case{}, Offset: f.Offset, Limit: f.Limit, Total: -1}
	rows, err := s.pool.Query(ctx, pgArgs(`SELECT doc::text, lon, lat FROM case_cases`+where+order+` LIMIT ? OFFSET ?`, 1), append(args, f.Limit, f.Offset)...)
	if err != nil {
		return p, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var doc string
		var lon, lat float64
		if err := rows.Scan(&doc, &lon, &lat); err != nil {
			return p, fmt.Errorf("list cases: %w", err)
		}
		c, err := decodeCase(doc, lon, lat)
		if err != nil {
			return p, err
		}
		p.Cases = append(p.Cases, c)
	}
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("list cases: %w", err)
	}
	if !f.NoTotal {
		if err := s.pool.QueryRow(ctx, pgArgs(`SELECT COUNT(*) FROM case_cases`+where, 1), args...).Scan(&p.Total); err != nil {
			return p, fmt.Errorf("count cases: %w", err)
		}
	}
	return p, nil
}

// Transitions returns a case's transitions in order.
func (s *PGStore) Transitions(ctx context.Context, id int64) ([]Transition, error) {
	out, err := s.transitions(ctx, `SELECT `+pgTransitionCols+` FROM case_transitions WHERE case_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("transitions of case %d: %w", id, err)
	}
	if len(out) == 0 {
		if _, err := s.Get(ctx, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TransitionsBetween returns the transitions recorded in [from, to).
func (s *PGStore) TransitionsBetween(ctx context.Context, from, to time.Time, limit int) ([]Transition, error) {
	out, err := s.transitions(ctx, `SELECT `+pgTransitionCols+` FROM case_transitions WHERE at >= $1 AND at < $2 ORDER BY at, case_id, seq LIMIT $3`, ms(from), ms(to), limit)
	if err != nil {
		return nil, fmt.Errorf("transitions: %w", err)
	}
	return out, nil
}

func (s *PGStore) transitions(ctx context.Context, q string, args ...any) ([]Transition, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Transition{}
	for rows.Next() {
		var t Transition
		var at int64
		var due *int64
		if err := rows.Scan(&t.CaseID, &t.Seq, &at, &t.Action, &t.From, &t.To, &t.User, &t.Role, &t.Unit, &t.Note, &due); err != nil {
			return nil, err
		}
		t.At = fromMS(at)
		if due != nil {
			d := fromMS(*due)
			t.StepDueAt = &d
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Scan calls fn for the cases reported in [from, to).
func (s *PGStore) Scan(ctx context.Context, from, to time.Time, fn func(*Case) bool) error {
	f := Filter{ReportedFrom: from, ReportedTo: to}
	where, args := f.where()
	return s.scan(ctx, where, args, fn)
}

// All calls fn for every case.
func (s *PGStore) All(ctx context.Context, fn func(*Case) bool) error {
	return s.scan(ctx, "", nil, fn)
}

// scan pages by id (no long-lived cursor), decoding each page before
// calling fn.
func (s *PGStore) scan(ctx context.Context, where string, args []any, fn func(*Case) bool) error {
	var after int64
	q := pgArgs(`SELECT id, doc::text, lon, lat FROM case_cases`+andWhere(where, "id > ?")+` ORDER BY id LIMIT `+strconv.Itoa(scanPage), 1)
	for {
		rows, err := s.pool.Query(ctx, q, append(append([]any{}, args...), after)...)
		if err != nil {
			return fmt.Errorf("scan cases: %w", err)
		}
		var page []*Case
		for rows.Next() {
			var doc string
			var lon, lat float64
			if err := rows.Scan(&after, &doc, &lon, &lat); err != nil {
				rows.Close()
				return fmt.Errorf("scan cases: %w", err)
			}
			c, err := decodeCase(doc, lon, lat)
			if err != nil {
				rows.Close()
				return err
			}
			page = append(page, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("scan cases: %w", err)
		}
		for _, c := range page {
			if !fn(c) {
				return nil
			}
		}
		if len(page) < scanPage {
			return nil
		}
	}
}

// AddAttachment records a stored file of a case.
func (s *PGStore) AddAttachment(ctx context.Context, a *Attachment) error {
	err := s.pool.QueryRow(ctx, `INSERT INTO case_attachments(case_id, name, type, size, sha256, stage, "user", uploaded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		a.CaseID, a.Name, a.Type, a.Size, a.SHA256, a.Stage, a.User, ms(a.Uploaded)).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("attach to case %d: %w", a.CaseID, err)
	}
	return nil
}

// Attachments lists a case's files.
func (s *PGStore) Attachments(ctx context.Context, caseID int64) ([]Attachment, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, case_id, name, type, size, sha256, stage, "user", uploaded FROM case_attachments WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("attachments of case %d: %w", caseID, err)
	}
	defer rows.Close()
	out := []Attachment{}
	for rows.Next() {
		var a Attachment
		var at int64
		if err := rows.Scan(&a.ID, &a.CaseID, &a.Name, &a.Type, &a.Size, &a.SHA256, &a.Stage, &a.User, &at); err != nil {
			return nil, fmt.Errorf("attachments of case %d: %w", caseID, err)
		}
		a.Uploaded = fromMS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// PutConfig stores a new version of the named configuration document.
// Writers of one name are serialised by a transaction-scoped advisory
// lock, so versions have no gaps and ifVersion is checked against the
// version the new one follows.
func (s *PGStore) PutConfig(ctx context.Context, name string, body []byte, user string, ifVersion int64) (ConfigDoc, error) {
	var d ConfigDoc
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('citygrid case config ' || $1))`, name); err != nil {
			return err
		}
		var cur int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM case_config WHERE name = $1`, name).Scan(&cur); err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != cur {
			return &VersionError{Name: name, Current: cur}
		}
		at := time.Now().UTC()
		if _, err := tx.Exec(ctx, `INSERT INTO case_config(name, version, body, "user", at) VALUES ($1, $2, $3, $4, $5)`, name, cur+1, string(body), user, ms(at)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, 'config:' || $2)`, s.channel, name); err != nil {
			return err
		}
		d = ConfigDoc{Name: name, Version: cur + 1, Body: body, User: user, At: at}
		return nil
	})
	var ve *VersionError
	if errors.As(err, &ve) {
		return ConfigDoc{}, err
	}
	if err != nil {
		return ConfigDoc{}, fmt.Errorf("config %s: %w", name, err)
	}
	return d, nil
}

// Config returns the named document at version (0: the latest).
func (s *PGStore) Config(ctx context.Context, name string, version int64) (ConfigDoc, error) {
	q := `SELECT version, body, "user", at FROM case_config WHERE name = $1 ORDER BY version DESC LIMIT 1`
	args := []any{name}
	if version > 0 {
		q = `SELECT version, body, "user", at FROM case_config WHERE name = $1 AND version = $2`
		args = append(args, version)
	}
	d := ConfigDoc{Name: name}
	var body string
	var at int64
	err := s.pool.QueryRow(ctx, q, args...).Scan(&d.Version, &body, &d.User, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("config %s: %w", name, data.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("config %s: %w", name, err)
	}
	d.Body, d.At = []byte(body), fromMS(at)
	return d, nil
}

// ConfigVersions lists the stored versions of a document, newest first.
func (s *PGStore) ConfigVersions(ctx context.Context, name string) ([]ConfigDoc, error) {
	rows, err := s.pool.Query(ctx, `SELECT version, "user", at FROM case_config WHERE name = $1 ORDER BY version DESC`, name)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	defer rows.Close()
	out := []ConfigDoc{}
	for rows.Next() {
		d := ConfigDoc{Name: name}
		var at int64
		if err := rows.Scan(&d.Version, &d.User, &at); err != nil {
			return nil, fmt.Errorf("config %s: %w", name, err)
		}
		d.At = fromMS(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// MarkNotified records that a notification went out; false when it had
// already been recorded (by any replica).
func (s *PGStore) MarkNotified(ctx context.Context, caseID int64, kind string, dueAt time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO case_notifications(case_id, kind, due_at, sent_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, caseID, kind, ms(dueAt), ms(time.Now()))
	if err != nil {
		return false, fmt.Errorf("notification of case %d: %w", caseID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseNotification removes a notification record (the Notifier's
// claim when its delivery failed; see NotificationClaimer).
func (s *PGStore) ReleaseNotification(ctx context.Context, caseID int64, kind string, dueAt time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM case_notifications WHERE case_id = $1 AND kind = $2 AND due_at = $3`, caseID, kind, ms(dueAt)); err != nil {
		return fmt.Errorf("notification of case %d: %w", caseID, err)
	}
	return nil
}

// Notified reports whether the notification was recorded.
func (s *PGStore) Notified(ctx context.Context, caseID int64, kind string, dueAt time.Time) (bool, error) {
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM case_notifications WHERE case_id = $1 AND kind = $2 AND due_at = $3)`, caseID, kind, ms(dueAt)).Scan(&ok); err != nil {
		return false, fmt.Errorf("notification of case %d: %w", caseID, err)
	}
	return ok, nil
}

// CaseIDByNumber finds a case by its number.
func (s *PGStore) CaseIDByNumber(ctx context.Context, number string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM case_cases WHERE number = $1`, number).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("case number %q: %w", number, data.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("case number %q: %w", number, err)
	}
	return id, nil
}

// ImportCases writes a generated history in bulk (data/demo.CaseImporter):
// one transaction, COPY for both tables, ids taken from the case sequence
// (so they never collide with other replicas' cases) and written back into
// cs and trs. Numbers, versions and seqs are kept; no listener is called;
// one NOTIFY 'reload' tells other processes' ListenRemote to end with
// ErrReload.
func (s *PGStore) ImportCases(ctx context.Context, cs []Case, trs []Transition) error {
	if len(cs) == 0 {
		return nil
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT nextval('case_cases_id_seq') FROM generate_series(1, $1) ORDER BY 1`, len(cs))
		if err != nil {
			return fmt.Errorf("import cases: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("import cases: %w", err)
		}
		newID := make(map[int64]int64, len(cs))
		caseRows := make([][]any, len(cs))
		for i := range cs {
			c := &cs[i]
			newID[c.ID] = ids[i]
			c.ID = ids[i]
			c.Lon, c.Lat = c.Point[0], c.Point[1]
			doc, err := json.Marshal(c)
			if err != nil {
				return fmt.Errorf("import case %s: %w", c.Number, err)
			}
			caseRows[i] = []any{c.ID, c.Number, string(c.State), string(c.Kind), c.Category, string(c.Source), c.Unit, c.Street, c.Community, c.UnitGrid, c.Dispatcher, c.Reporter,
				c.Point[0], c.Point[1], ms(c.ReportedAt), ms(c.UpdatedAt), msPtr(c.DueAt), c.Version, string(doc)}
		}
		trRows := make([][]any, len(trs))
		for i := range trs {
			t := &trs[i]
			id, ok := newID[t.CaseID]
			if !ok {
				return fmt.Errorf("import cases: transition of unknown case %d", t.CaseID)
			}
			t.CaseID = id
			trRows[i] = []any{t.CaseID, int32(t.Seq), ms(t.At), t.Action, string(t.From), string(t.To), t.User, string(t.Role), t.Unit, t.Note, msPtr(t.StepDueAt)}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"case_cases"}, []string{"id", "number", "state", "kind", "category", "source", "unit", "street", "community", "unit_grid", "dispatcher", "reporter",
			"lon", "lat", "reported_at", "updated_at", "due_at", "version", "doc"}, pgx.CopyFromRows(caseRows)); err != nil {
			if isUnique(err) {
				return fmt.Errorf("import cases: a number exists: %w", data.ErrConflict)
			}
			return fmt.Errorf("import cases: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"case_transitions"}, []string{"case_id", "seq", "at", "action", "from_state", "to_state", "user", "role", "unit", "note", "step_due_at"},
			pgx.CopyFromRows(trRows)); err != nil {
			return fmt.Errorf("import transitions: %w", err)
		}
		// Followers reload (ListenRemote ends with ErrReload).
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, 'reload')`, s.channel); err != nil {
			return fmt.Errorf("import cases: %w", err)
		}
		return nil
	})
}

// ErrReload ends ListenRemote when another process wrote in bulk
// (ImportCases) instead of case by case: the follower reloads what it
// shows from the store and listens again.
var ErrReload = errors.New("cases written in bulk by another process: reload")

// ListenRemote follows the case writes of other processes (see
// RemoteFollower): a dedicated connection LISTENs on the store's channel;
// each notification not sent by one of this store's own connections is
// read back (the case, and the transition its seq names) and handed to fn.
func (s *PGStore) ListenRemote(ctx context.Context, fn func(c *Case, t *Transition)) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("listen for case writes: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen for case writes: %w", err)
	}
	s.lmu.RLock()
	ready := s.readyFns
	s.lmu.RUnlock()
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
			s.lmu.RLock()
			fns := s.configFns
			s.lmu.RUnlock()
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
		ts, err := s.transitions(ctx, `SELECT `+pgTransitionCols+` FROM case_transitions WHERE case_id = $1 AND seq = $2`, id, seq)
		if err != nil || len(ts) == 0 {
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		fn(c, &ts[0])
	}
}

// OnRemoteConfig registers fn for configuration documents stored by other
// processes (see ConfigFollower).
func (s *PGStore) OnRemoteConfig(fn func(name string)) {
	s.lmu.Lock()
	s.configFns = append(s.configFns, fn)
	s.lmu.Unlock()
}

// OnRemoteReady registers fn, called by ListenRemote each time its LISTEN
// is in place, before it reports any write: writes committed before that
// moment are not reported, so a caller that loaded what it shows earlier
// (or lost the connection) reloads it then. A replica starting while
// others write would otherwise miss the writes between its load and its
// LISTEN.
func (s *PGStore) OnRemoteReady(fn func()) {
	s.lmu.Lock()
	s.readyFns = append(s.readyFns, fn)
	s.lmu.Unlock()
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
