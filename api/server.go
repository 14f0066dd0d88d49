// Package api is citygrid's HTTP layer: routes, thin handlers over the
// spatial, tiles and data packages, middleware, and the one function that
// maps domain errors to HTTP status codes.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/spatial"

	"github.com/go-chi/chi/v5"
)

// Config is what the HTTP layer serves.
type Config struct {
	Store  data.Store
	Index  *spatial.Index
	Dir    string // data directory: citygrid.gpkg, citygrid.mbtiles, uploads
	Logger *slog.Logger
	// Auth checks bearer tokens; nil means the tokens of Tokens when that
	// is set, else no token is valid (every route behind requireRole
	// answers 401).
	Auth Authenticator
	// Tokens is where API tokens are issued (`citygrid token`, the
	// /api/v1/tokens admin API); nil: no token API.
	Tokens data.TokenStore
	// Cases is the case workflow's store (e.g. cases.OpenPG for replicas
	// sharing PostgreSQL); nil: the SQLite case tables in the GeoPackage
	// of Store (cases.NewSQLStore on its DB()), or no workflow when Store
	// has no SQL database. A store that is a cases.RemoteFollower also
	// feeds the case board with other replicas' case writes.
	Cases cases.ServerStore
	// PrivateReads closes every route outside the public list (map, tiles,
	// styles, fonts, Open311, probes) to requests without a valid token:
	// the production setting. The zero value (the demo's) lets anyone read
	// the lookups; writes need their role either way.
	PrivateReads bool
	// RateLimits are the per-IP, per-user and failed-authentication
	// limits (zero Rate: off, except the failed-authentication default).
	RateLimits RateLimits
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client for rate limits and logs.
	TrustedProxies []netip.Prefix

	// AccessLog logs one line per request at Info level.
	AccessLog bool
	// HandlerTimeout bounds one request's work (default 30 s).
	HandlerTimeout time.Duration
	// MaxBodyBytes caps request bodies (default 16 MiB).
	MaxBodyBytes int64
	// MaxBatchPoints caps the points of one batch request (default 100,000).
	MaxBatchPoints int

	// ChangeLog, when set, is the log of the store shared with other
	// replicas: the server follows it from ChangeSeq (the Seq the Index
	// reflects, Dataset.ChangeSeq) and applies every change committed
	// through another replica to its index and tiles (api/replica.go).
	ChangeLog data.ChangeLog
	ChangeSeq int64
	// ChangeNotify, when set with ChangeLog, calls fn on every committed
	// change's notification until ctx ends (pgstore.Store.Listen); the
	// follower reads the log then instead of waiting for FollowEvery.
	ChangeNotify func(ctx context.Context, fn func(seq int64)) error
	// FollowEvery is how often the change log is read without a
	// notification (default DefaultFollowEvery).
	FollowEvery time.Duration
}

// Defaults of the zero Config fields.
const (
	DefaultHandlerTimeout = 30 * time.Second
	DefaultMaxBodyBytes   = 16 << 20
	DefaultMaxBatchPoints = 100_000
)

// New builds the HTTP handler of a citygrid server.
func New(cfg Config) (http.Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	errorLog.Store(cfg.Logger)
	if cfg.Index == nil {
		return nil, errors.New("api: no spatial index")
	}
	if cfg.HandlerTimeout <= 0 {
		cfg.HandlerTimeout = DefaultHandlerTimeout
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxBatchPoints <= 0 {
		cfg.MaxBatchPoints = DefaultMaxBatchPoints
	}
	r := chi.NewRouter()
	srv := &Server{Mux: r}
	_ = srv.onClose // services with background writers: srv.onClose(wait)
	r.Use(requestContext(cfg.HandlerTimeout))
	m := newMetrics()
	r.Use(m.middleware)
	if cfg.AccessLog {
		r.Use(accessLog(cfg.Logger))
	}
	r.Use(recoverPanics(cfg.Logger))
	r.Use(limitBodies(cfg.MaxBodyBytes))
	sec := newSecurityMetrics()
	storeAuth, _ := cfg.Auth.(*StoreTokens)
	if cfg.Auth == nil && cfg.Tokens != nil {
		storeAuth = NewStoreTokens(cfg.Tokens)
		cfg.Auth = storeAuth
	}
	m.registerSecurity(sec, storeAuth)
	registerIndexGauges(m, cfg.Index)
	fails := cfg.RateLimits.AuthFailures
	if fails.Rate <= 0 {
		fails = defaultAuthFailures
	}
	r.Use(authenticate(cfg.Auth, newLimiter(fails), cfg.TrustedProxies, cfg.Logger, sec))
	r.Use(rateLimit(cfg.RateLimits, cfg.TrustedProxies, sec))
	r.Use(readPolicy(cfg.PrivateReads))
	sw := newStoreWatch(cfg) // notices imports by other processes (api/reload.go)
	r.Use(sw.middleware)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, fmt.Errorf("no such path %s: %w", r.URL.Path, data.ErrNotFound))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, errMethodNotAllowed))
	})

	health := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, healthBody{Status: "ok"})
	}
	r.Get("/healthz", health)
	// notReady lists what may take a running server out of service (a
	// replica whose change log was pruned past it: api/replica.go).
	var notReady []func() string
	r.Get("/readyz", func(w http.ResponseWriter, r *http.Request) {
		for _, f := range notReady {
			if stage := f(); stage != "" {
				w.Header().Set("Cache-Control", "no-store")
				writeJSON(w, http.StatusServiceUnavailable, healthBody{Status: "stale", Stage: stage})
				return
			}
		}
		health(w, r)
	})
	r.Get("/api/v1/openapi.json", serveOpenAPI)
	r.Get("/metrics", m.serve)
	(&tokenService{store: cfg.Tokens, auth: storeAuth}).mount(r)

	s := &spatialService{ix: cfg.Index, maxBatch: cfg.MaxBatchPoints}
	s.mount(r)
	gs, err := newGeocodeService(cfg.Index)
	if err != nil {
		return nil, err
	}
	gs.mount(r)

	ms, err := newMapService(cfg)
	if err != nil {
		return nil, err
	}
	ms.mount(r)
	board := newCaseBoard(cfg) // case map, statistics, /command (api/command.go); workflow: board.attach(ctx, store) and board.Apply as the store's listener
	board.mount(r)
	cs := newCaseService(cfg, board, gs) // case workflow and Open311 (api/cases.go, api/open311.go): feeds the board and registers board.Apply
	cs.mount(r)
	srv.onClose(cs.close) // stops following other replicas' case writes
	// live follows committed edits: edit services get it and call
	// live.Apply(changes) after each committed write, before answering.
	live := newLiveUpdater(cfg, cfg.Index, ms)
	live.geo = gs // unit-grid edits rebuild the geocoder
	sw.live = live
	if cfg.ChangeLog != nil { // a replica: follow the shared store's change log (api/replica.go)
		live.seqs = newAppliedSeqs()
		f := newFollower(cfg, live)
		registerFollowerMetrics(m, f)
		notReady = append(notReady, f.staleStage)
		srv.onClose(f.Close)
	}
	newEditService(cfg, live).mount(r)
	return srv, nil
}

// Server is the handler New returns: the router, and what has to be
// stopped or flushed when the process shuts down (background writers,
// sweeps). It satisfies chi.Routes, so tests can walk its routes.
type Server struct {
	*chi.Mux
	mu      sync.Mutex
	closers []func(context.Context) error
}

// onClose registers fn to run on Close (services call it from New for
// background work that writes: wait for it or stop it within ctx).
func (s *Server) onClose(fn func(context.Context) error) {
	s.mu.Lock()
	s.closers = append(s.closers, fn)
	s.mu.Unlock()
}

// Close runs the registered shutdown functions, last registered first,
// after the HTTP server has stopped taking requests and before the store
// is closed; ctx bounds them. It returns the first error.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	fns := s.closers
	s.closers = nil
	s.mu.Unlock()
	var first error
	for i := len(fns) - 1; i >= 0; i-- {
		if err := fns[i](ctx); err != nil && first == nil {
			first = err
		}
	}
	return first
}
