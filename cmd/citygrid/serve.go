package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"citygrid/api"
	"citygrid/api/city"
	"citygrid/api/web"
	"citygrid/data"
	"citygrid/data/accounts"
	"citygrid/data/cases/webhook"
	"citygrid/data/gpkg"
	"citygrid/data/pgstore"
	"citygrid/spatial"
)

// storeFile and tilesFile are the names of the store and the baked tiles
// inside a data directory.
const (
	storeFile = "citygrid.gpkg"
	tilesFile = "citygrid.mbtiles"
)

func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: citygrid serve --dir DIR --addr HOST:PORT [flags]

Serves the city stored in DIR/citygrid.gpkg (made by 'citygrid demo' or
'citygrid import'): the JSON API under /api/v1, vector tiles, styles and the
map page. /healthz answers 503 while the store loads and 200 once ready.
SIGINT or SIGTERM shuts down gracefully.

Settings come from defaults, then the --config JSON file, then CITYGRID_*
environment variables, then flags.

flags:
`)
		fs.PrintDefaults()
	}
	configPath, _ := configFlags(fs)
	if err := fs.Parse(args); err != nil {
		return helpIsNotAnError(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg, err := loadConfig(fs, *configPath, os.Getenv)
	if err != nil {
		return err
	}
	log, closeLog := newLogger(os.Stderr, &cfg)
	defer closeLog()
	if isPostgresURL(cfg.Store) {
		// A replica of a shared store: DIR holds only its own tiles
		// and uploads.
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
		return serveCity(ctx, &cfg, log, nil)
	}
	path := filepath.Join(cfg.Dir, storeFile)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no city in %s (%s is missing): run 'citygrid demo --dir %s' or 'citygrid import' first", cfg.Dir, storeFile, cfg.Dir)
		}
		return fmt.Errorf("store: %w", err)
	}
	return serveCity(ctx, &cfg, log, nil)
}

// helpIsNotAnError makes --help exit 0 after the usage text was printed.
func helpIsNotAnError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// serveCity listens on cfg.Addr at once, answering 503 while it runs
// prepare (the demo generation, or nothing) and loads the store, then serves
// the city until ctx is cancelled and shuts down gracefully.
func serveCity(ctx context.Context, cfg *serverConfig, log *slog.Logger, prepare func(ctx context.Context, gate *api.Gate) error) error {
	if err := cfg.checkExposure(); err != nil {
		return err
	}
	log.Info("citygrid starting", cfg.logAttrs()...)
	// The pages load MapLibre and ECharts from disk: without them every
	// page would be broken, so the server does not start (before the
	// minutes a demo generation may take).
	libs, err := web.Require()
	if err != nil {
		log.Error("front-end packages missing", "install", web.InstallCommand, "err", err)
		return err
	}
	log.Info("front-end packages", "maplibre", libs.MapLibre, "echarts", libs.ECharts)
	debug.SetGCPercent(cfg.GCPercent)
	if cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	gate := api.NewGate("starting")
	// inflight counts the handlers running: when the shutdown grace
	// runs out, srv.Close drops the connections but cannot stop a
	// handler in the middle of a write, so the store is closed only after
	// the last of them returned (bounded by lastWriters).
	var inflight sync.WaitGroup
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inflight.Add(1)
			defer inflight.Done()
			gate.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: time.Duration(cfg.ReadHeaderTimeout),
		ReadTimeout:       time.Duration(cfg.ReadTimeout),
		WriteTimeout:      time.Duration(cfg.WriteTimeout),
		IdleTimeout:       time.Duration(cfg.IdleTimeout),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())

	var store data.Store
	var running *city.City
	// The serving lock is released after the store is closed, when
	// serveCity returns.
	unlockServing := func() {}
	defer func() { unlockServing() }()
	startErr := func() error {
		if prepare != nil {
			if err := prepare(ctx, gate); err != nil {
				return err
			}
		}
		unlock, err := lockServing(cfg.Dir, false)
		if err != nil {
			return err
		}
		defer func() { unlockServing = unlock }()
		h, c, st, err := loadCity(ctx, cfg, log, gate)
		store, running = st, c
		if err != nil {
			return err
		}
		gate.Ready(h)
		return nil
	}()
	if startErr == nil {
		log.Info("ready", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String()+"/")
		select {
		case <-ctx.Done():
			log.Info("shutting down", "grace", cfg.ShutdownTimeout.String())
		case err := <-serveErr:
			startErr = fmt.Errorf("serve: %w", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.ShutdownTimeout))
	defer cancel()
	shutErr := srv.Shutdown(sctx)
	if shutErr != nil {
		shutErr = fmt.Errorf("shutdown: %w", shutErr)
		_ = srv.Close()
	}
	if shutErr != nil {
		waitFor(&inflight, lastWriters)
	}
	// The city's background work (follower, watch, board feed, sweeps)
	// stops within the same grace, before the store closes under it.
	if running != nil {
		if err := running.Close(sctx); err != nil && shutErr == nil {
			shutErr = fmt.Errorf("shutdown: %w", err)
		}
	}
	if store != nil {
		if err := store.Close(); err != nil && shutErr == nil {
			shutErr = fmt.Errorf("close store: %w", err)
		}
	}
	if startErr != nil {
		// A signal ended the start-up: whatever step it cut short
		// failed because of it (a cancelled query, a closed statement).
		if ctx.Err() != nil {
			log.Info("start-up interrupted", "step", startErr)
			return shutErr
		}
		return startErr
	}
	if shutErr == nil {
		log.Info("stopped")
	}
	return shutErr
}

// lastWriters bounds the wait for handlers still running after the
// shutdown grace ran out: every request's work is bounded by the handler
// timeout, and a write in flight finishes in milliseconds once the
// connections are gone.
const lastWriters = 5 * time.Second

// waitFor waits for wg, at most d.
func waitFor(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// loadCity opens the store, loads the city, opens it (city.Open: index,
// tiles, geocoder, case workflow, background work) and builds the HTTP
// handler over it, logging how long each step took. The city and the
// store it returns are closed by the caller, the city first, even on error.
func loadCity(ctx context.Context, cfg *serverConfig, log *slog.Logger, gate *api.Gate) (http.Handler, *city.City, data.Store, error) {
	path := filepath.Join(cfg.Dir, storeFile)
	gate.SetStage("opening store")
	t := time.Now()
	var st data.Store
	var err error
	if isPostgresURL(cfg.Store) {
		path = redactURL(cfg.Store)
		st, err = pgstore.Open(ctx, cfg.Store, pgstore.Options{Schema: cfg.StoreSchema})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("open store %s: %w", path, err)
		}
	} else if st, err = gpkg.Open(ctx, path); err != nil {
		if werr := dirWritable(cfg.Dir); werr != nil {
			// SQLite's error for this case ("unable to open database
			// file") does not say why.
			return nil, nil, nil, fmt.Errorf("open store %s: the data directory is not writable (%v); citygrid needs to write the store's -wal and -shm files beside it: %w", path, werr, err)
		}
		return nil, nil, nil, fmt.Errorf("open store %s: %w", path, err)
	}
	gate.SetStage("loading store")
	ds, err := st.Load(ctx)
	if err != nil {
		return nil, nil, st, fmt.Errorf("load store %s: %w", path, err)
	}
	log.Info("store loaded", "path", path, "took", time.Since(t).Round(time.Millisecond),
		"unit_grids", len(ds.UnitGrids), "management_grids", len(ds.ManagementGrids),
		"components", len(ds.Components), "addresses", len(ds.Addresses), "pois", len(ds.POIs), "change_seq", ds.ChangeSeq)
	vocab, err := cfg.geocodeVocabulary()
	if err != nil {
		return nil, nil, st, err
	}
	ccfg := city.Config{
		Store:             st,
		Dataset:           ds,
		IndexOptions:      spatial.Options{FallbackUnit: cfg.FallbackUnit, ComponentToleranceM: cfg.ComponentToleranceM},
		GeocodeVocabulary: vocab,
		Dir:               cfg.Dir,
		Logger:            log,
		Deliver:           webhook.Deliver(nil),
	}
	if isPostgresURL(cfg.Store) {
		rewindToBaked(ctx, cfg.Dir, st, ds, log) // keep this replica's baked tiles (serve_replica.go)
		replicaConfig(&ccfg, st, ds, cfg, log)
	}
	svc, closeAccounts, err := serveAccounts(ctx, cfg, st, ds, log)
	if err != nil {
		return nil, nil, st, err
	}
	if svc != nil {
		ccfg.Sessions = svc
		ccfg.Users = accountUsers{svc}
	}
	if closeAccounts != nil {
		ccfg.Closers = append(ccfg.Closers, closeAccounts)
	}
	gate.SetStage("building spatial index")
	c, err := city.Open(ctx, ccfg)
	if err != nil {
		return nil, nil, st, fmt.Errorf("open city: %w", err)
	}
	proxies, _ := cfg.trustedProxies() // validated with the configuration
	acfg := api.Config{
		PrivateReads:   !cfg.PublicLookups,
		RateLimits:     cfg.rateLimits(),
		TrustedProxies: proxies,
		PublicURL:      cfg.PublicURL,
		Logger:         log,
		AccessLog:      cfg.AccessLog,
		HandlerTimeout: time.Duration(cfg.HandlerTimeout),
		MaxBodyBytes:   cfg.MaxBodyBytes,
		MaxBatchPoints: cfg.MaxBatchPoints,
		Accounts:       svc,
	}
	acfg.Tokens, _ = st.(data.TokenStore)
	if isPostgresURL(cfg.Store) && c.Workflow != nil {
		// Replicas keep API tokens with the cases in the shared database.
		acfg.Tokens, _ = c.Workflow.Store.(data.TokenStore)
	}
	h, err := api.New(c, acfg)
	if err != nil {
		return nil, c, st, fmt.Errorf("api: %w", err)
	}
	return h, c, st, nil
}

// serveAccounts opens the accounts people sign in with: the tables in the
// data directory's GeoPackage, or the account schema of the PostgreSQL
// store that replicas share. The close function (nil for the GeoPackage,
// which closes with the store) runs when the city closes.
func serveAccounts(ctx context.Context, cfg *serverConfig, st data.Store, ds *data.Dataset, log *slog.Logger) (*accounts.Service, func() error, error) {
	dir := accounts.NewDatasetDirectory(ds)
	if g, ok := st.(*gpkg.Store); ok {
		as, err := accounts.NewSQLStore(ctx, g.DB())
		if err != nil {
			return nil, nil, fmt.Errorf("open accounts: %w", err)
		}
		return accounts.NewService(as, dir, accounts.Options{Log: log}), nil, nil
	}
	if !isPostgresURL(cfg.Store) {
		return nil, nil, nil // a store that keeps no accounts: bearer tokens only
	}
	pg, err := accounts.OpenPG(ctx, cfg.Store, "")
	if err != nil {
		return nil, nil, fmt.Errorf("open the accounts of %s: %w", redactURL(cfg.Store), err)
	}
	return accounts.NewService(pg, dir, accounts.Options{Log: log}), pg.Close, nil
}

// dirWritable reports why dir cannot take new files, or nil.
func dirWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".citygrid-probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
