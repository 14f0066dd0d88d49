// Package api assembles citygrid's HTTP layer over a running city (package
// api/city): the middleware in its order (request id and deadline,
// metrics, access log, panic recovery, security headers, body limit,
// bearer tokens, cookie sessions with their CSRF check, rate limits, read
// policy), the probes, the metrics and the OpenAPI document,
// and the routes of each area, which live in their own packages: lookups,
// maps, editing, workflow, open311, command, field, auth and signin. Package httpx holds
// what the areas share, including the one error → status function.
package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"citygrid/api/admin"
	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/api/command"
	"citygrid/api/editing"
	"citygrid/api/field"
	"citygrid/api/httpx"
	"citygrid/api/lookups"
	"citygrid/api/maps"
	"citygrid/api/open311"
	"citygrid/api/signin"
	"citygrid/api/ui"
	"citygrid/api/workflow"
	"citygrid/data"
	"citygrid/data/accounts"

	"github.com/go-chi/chi/v5"
)

// Config is how the HTTP layer serves a city: who may do what, limits and
// logging. The city itself (store, index, tiles, cases) comes opened from
// city.Open.
type Config struct {
	Logger *slog.Logger
	// Auth checks bearer tokens; nil means the tokens of Tokens when that
	// is set, else no token is valid (every route behind requireRole
	// answers 401).
	Auth auth.Authenticator
	// Accounts signs people in with a user name and password and resolves
	// their session cookies (package data/accounts); nil: no sign-in,
	// bearer tokens only.
	Accounts *accounts.Service
	// Tokens is where API tokens are issued (`citygrid token`, the
	// /api/v1/tokens admin API); nil: no token API.
	Tokens data.TokenStore
	// PrivateReads closes every route outside the public list (map, tiles,
	// styles, fonts, Open311, probes) to requests without a valid token:
	// the production setting. The zero value (the demo's) lets anyone read
	// the lookups; writes need their role either way.
	PrivateReads bool
	// RateLimits are the per-IP, per-user and failed-authentication
	// limits (zero Rate: off, except the failed-authentication default).
	RateLimits auth.RateLimits
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client for rate limits and logs, and whose X-Forwarded-Host and
	// X-Forwarded-Proto name the URL clients reach the server by.
	TrustedProxies []netip.Prefix
	// PublicURL is the scheme, host and optional path prefix clients reach
	// the server by (https://grid.example.gov.cn); absolute URLs in
	// answers are built from it. Empty: from the request's Host, and the
	// forwarded headers of trusted proxies.
	PublicURL string

	// AccessLog logs one line per request at Info level.
	AccessLog bool
	// HandlerTimeout bounds one request's work (default 30 s).
	HandlerTimeout time.Duration
	// MaxBodyBytes caps request bodies (default 16 MiB).
	MaxBodyBytes int64
	// MaxBatchPoints caps the points of one batch request (default 100,000).
	MaxBatchPoints int
}

// Defaults of the zero Config fields.
const (
	DefaultHandlerTimeout = 30 * time.Second
	DefaultMaxBodyBytes   = 16 << 20
	DefaultMaxBatchPoints = 100_000
)

// New builds the HTTP handler that serves the opened city c. The city
// outlives the handler: its opener closes it after the HTTP server
// stopped.
func New(c *city.City, cfg Config) (http.Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	httpx.SetErrorLog(cfg.Logger)
	if c == nil || c.Index == nil {
		return nil, errors.New("api: no city")
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
	r.Use(httpx.RequestContext(cfg.HandlerTimeout))
	m := newMetrics()
	r.Use(m.middleware)
	if cfg.AccessLog {
		r.Use(accessLog(cfg.Logger))
	}
	r.Use(recoverPanics(cfg.Logger))
	r.Use(securityHeaders)
	r.Use(urlPolicy(cfg.PublicURL, cfg.TrustedProxies))
	r.Use(httpx.LimitBody(cfg.MaxBodyBytes))
	sec := auth.NewCounters()
	storeAuth, _ := cfg.Auth.(*auth.StoreTokens)
	if cfg.Auth == nil && cfg.Tokens != nil {
		storeAuth = auth.NewStoreTokens(cfg.Tokens)
		cfg.Auth = storeAuth
	}
	m.registerSecurity(sec, storeAuth)
	registerIndexGauges(m, c.Index)
	registerCalendarGauge(m, c.Workflow)
	r.Use(auth.Authenticate(cfg.Auth, cfg.RateLimits.AuthFailures, cfg.TrustedProxies, cfg.Logger, sec))
	sessions := auth.SessionOptions{Accounts: cfg.Accounts, TrustedProxies: cfg.TrustedProxies, Log: cfg.Logger}
	r.Use(auth.Sessions(sessions))
	r.Use(auth.LimitRates(cfg.RateLimits, cfg.TrustedProxies, sec))
	r.Use(auth.ReadPolicy(cfg.PrivateReads))
	// A write sent again with its Idempotency-Key gets its first answer
	// (the field app's outbox retries after a lost answer).
	r.Use(httpx.Idempotent(c.Replays, func(r *http.Request) string { return auth.PrincipalOf(r).User }, cfg.Logger))
	if c.Store != nil {
		r.Use(pokeCity(c)) // notices imports by other processes (city/watch.go)
	}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, fmt.Errorf("no such path %s: %w", r.URL.Path, data.ErrNotFound))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, httpx.ErrMethodNotAllowed))
	})

	health := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, http.StatusOK, healthBody{Status: "ok"})
	}
	r.Get("/healthz", health)
	// notReady lists what may take a running server out of service (a
	// replica whose change log was pruned past it: city/replica.go).
	var notReady []func() string
	r.Get("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		for _, f := range notReady {
			if stage := f(); stage != "" {
				httpx.WriteJSON(w, http.StatusServiceUnavailable, healthBody{Status: "stale", Stage: stage})
				return
			}
		}
		body := healthBody{Status: "ok", Overlaps: overlapsOf(c.Index)}
		if c.Workflow != nil {
			body.CalendarWarnings = c.Workflow.Service.ArrangementWarnings()
		}
		httpx.WriteJSON(w, http.StatusOK, body)
	})
	r.Get("/api/v1/openapi.json", serveOpenAPI)
	r.Method(http.MethodGet, "/metrics", m.serve())
	auth.MountTokens(r, cfg.Tokens, storeAuth)
	signin.Mount(r, sessions)

	if f := c.Follower; f != nil {
		registerFollowerMetrics(m, f)
		notReady = append(notReady, f.StaleStage)
	}
	lookups.Mount(r, c, cfg.MaxBatchPoints)
	maps.Mount(r, c, cfg.Logger)
	command.Mount(r, c.Board) // statistics, events, /command
	workflow.Mount(r, c)      // case workflow
	open311.Mount(r, c)       // Open311 GeoReport v2 over it
	commit := editing.Mount(r, c)
	mountOGC(r, c, commit) // OGC API Features and Tiles at /ogc
	// The work screens (api/ui) at /app/, when built; the log says how to
	// build them otherwise.
	if h, err := ui.Open(); err == nil {
		h.Mount(r)
	} else {
		// The routes stay, answering what to build, so that the router
		// is the same with or without the build.
		cfg.Logger.Error("work screens not served at /app/", "err", err)
		notBuilt := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			httpx.WriteJSON(w, http.StatusServiceUnavailable, httpx.ErrorBody{Error: ui.ErrNotBuilt.Error()})
		})
		r.Method(http.MethodGet, strings.TrimSuffix(ui.Prefix, "/"), notBuilt)
		r.Method(http.MethodGet, ui.Prefix+"*", notBuilt)
	}
	admin.Mount(r, c) // rules, catalogue, audit log, precedents
	field.Mount(r, c) // inspectors' duty and positions, the field app
	return r, nil
}

// pokeCity tells the city of every request, so that it notices imports
// made by other processes.
func pokeCity(c *city.City) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.Poke()
			next.ServeHTTP(w, r)
		})
	}
}

// urlPolicy tells httpx.BaseURL how to build the request's absolute URLs:
// from publicURL, or from its Host and, when the peer is one of trusted,
// the forwarded headers.
func urlPolicy(publicURL string, trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			peer := false
			if len(trusted) > 0 {
				if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
					a := ap.Addr().Unmap()
					for _, p := range trusted {
						peer = peer || p.Contains(a)
					}
				}
			}
			r = r.WithContext(httpx.WithURLPolicy(r.Context(), publicURL, peer, len(trusted) > 0))
			if httpx.VaryForwarded(r) {
				// Any answer may hold an absolute URL (TileJSON, styles,
				// pages, Open311, OGC links): a shared cache must key
				// them by the headers that built it.
				w.Header().Add("Vary", "X-Forwarded-Host, X-Forwarded-Proto")
			}
			next.ServeHTTP(w, r)
		})
	}
}
