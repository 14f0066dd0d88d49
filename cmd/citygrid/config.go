package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"citygrid/api/auth"
	"citygrid/api/city"
	"citygrid/data"
	"citygrid/spatial"
	"citygrid/spatial/geocode"
)

// serverConfig is everything a city changes about a running server. It is
// filled in this order, each step overriding the one before: built-in
// defaults, the JSON file named by --config or CITYGRID_CONFIG (else
// DIR/citygrid.json when the data directory has one), CITYGRID_*
// environment variables, and finally command-line flags.
type serverConfig struct {
	// Dir is the data directory (DIR/citygrid.gpkg, DIR/citygrid.mbtiles).
	Dir string `json:"dir"`
	// Addr is the HOST:PORT the server listens on.
	Addr string `json:"addr"`
	// Store is where the city is stored: empty (the default) for the
	// GeoPackage DIR/citygrid.gpkg, or a postgres://user@host:port/db URL
	// of a PostgreSQL + PostGIS store shared by several replicas (DIR then
	// holds this replica's baked tiles and uploads). StoreSchema is the
	// PostgreSQL schema of the store's tables.
	Store       string `json:"store"`
	StoreSchema string `json:"store_schema"`
	// FollowEvery is how often a replica reads the shared store's change
	// log when no notification woke it (a safety net; PostgreSQL NOTIFY
	// normally wakes it within milliseconds).
	FollowEvery duration `json:"follow_every"`

	// LogLevel is debug, info, warn or error; LogFormat is text or json.
	LogLevel  string `json:"log_level"`
	LogFormat string `json:"log_format"`
	// AccessLog logs one structured line per request.
	AccessLog bool `json:"access_log"`

	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are the
	// http.Server timeouts; HandlerTimeout bounds the work of one request;
	// ShutdownTimeout bounds how long in-flight requests may finish after
	// SIGINT/SIGTERM.
	ReadHeaderTimeout duration `json:"read_header_timeout"`
	ReadTimeout       duration `json:"read_timeout"`
	WriteTimeout      duration `json:"write_timeout"`
	IdleTimeout       duration `json:"idle_timeout"`
	HandlerTimeout    duration `json:"handler_timeout"`
	ShutdownTimeout   duration `json:"shutdown_timeout"`

	// MaxBodyBytes caps a request body; MaxBatchPoints caps one batch.
	MaxBodyBytes   int64 `json:"max_body_bytes"`
	MaxBatchPoints int   `json:"max_batch_points"`

	// FallbackUnit is the department code of the unit of last resort (兜底)
	// for responsibility; empty means the city-management centre.
	FallbackUnit string `json:"fallback_unit"`
	// ComponentToleranceM is how far from a case's point, in metres, the
	// responsibility lookup looks for the surveyed component it is about.
	ComponentToleranceM float64 `json:"component_tolerance_m"`

	// GCPercent is the garbage collector's target (GOGC). The city's
	// indexes are a large, long-lived, pointer-rich heap, so every
	// collection is expensive; collecting less often keeps the latency
	// tail short at the cost of memory (see README, Performance).
	GCPercent int `json:"gc_percent"`
	// MemoryLimit is a soft limit in bytes on the Go heap (GOMEMLIMIT);
	// near it the collector runs more often whatever GCPercent says.
	// 0 means none.
	MemoryLimit int64 `json:"memory_limit"`

	// PublicLookups lets requests without a token read the lookups
	// (locate, responsible, nearest, within, geocode) and every other
	// read route; off, only the public list (map page and assets, tiles,
	// styles, fonts, Open311, probes) is open and everything else needs a
	// token of some role. On for the demo; turn it off in production.
	PublicLookups bool `json:"public_lookups"`
	// RateLimitIP and RateLimitIPBurst limit anonymous requests per
	// client address (requests per second, burst); RateLimitToken and
	// RateLimitTokenBurst limit each user's authenticated requests.
	// 0 switches a limit off.
	RateLimitIP         float64 `json:"rate_limit_ip"`
	RateLimitIPBurst    int     `json:"rate_limit_ip_burst"`
	RateLimitToken      float64 `json:"rate_limit_token"`
	RateLimitTokenBurst int     `json:"rate_limit_token_burst"`
	// RateLimitReport and RateLimitReportBurst limit anonymous writes
	// (Open311 POST) per client address, on top of RateLimitIP.
	RateLimitReport      float64 `json:"rate_limit_report"`
	RateLimitReportBurst int     `json:"rate_limit_report_burst"`
	// TrustedProxies is a comma-separated list of CIDRs of reverse
	// proxies whose X-Forwarded-For names the client.
	TrustedProxies string `json:"trusted_proxies"`
	// PublicURL is the URL clients reach the server by; absolute URLs in
	// answers (TileJSON, styles, Open311 discovery) are built from it.
	PublicURL string `json:"public_url"`

	// readPolicyChosen records that public_lookups was set by the file,
	// the environment or a flag rather than left at its default: protected
	// mode (checkExposure) wants that choice made before the server
	// listens beyond loopback.
	readPolicyChosen bool

	// GeocodeVocabulary is a file of the city's own geocoder words, in the
	// form of spatial/geocode/vocabulary.txt (kind, abbr and org lines),
	// added to the vocabulary that ships with the geocoder; empty: that
	// vocabulary alone. A file that cannot be read or parsed stops the
	// server at start-up, naming the file and the line.
	GeocodeVocabulary string `json:"geocode_vocabulary"`
}

// Default per-address limits of anonymous requests: 100 requests per
// second with bursts of 1,000 (a map page and its ~60 tiles, styles and
// fonts is one burst; a whole office browsing the map behind one NAT
// averages a few per second), and 6 reports per minute with bursts of 20
// (a citizen reports a few a day).
var (
	DefaultRateLimitIP     = auth.RateLimit{Rate: 100, Burst: 1000}
	DefaultRateLimitReport = auth.RateLimit{Rate: 0.1, Burst: 20}
)

// defaultServerConfig is the configuration before any file, variable or flag.
func defaultServerConfig() serverConfig {
	return serverConfig{
		Dir:               "./city",
		Addr:              "127.0.0.1:8080",
		LogLevel:          "info",
		LogFormat:         "text",
		AccessLog:         true,
		ReadHeaderTimeout: duration(5 * time.Second),
		ReadTimeout:       duration(30 * time.Second),
		WriteTimeout:      duration(60 * time.Second),
		IdleTimeout:       duration(120 * time.Second),
		HandlerTimeout:    duration(30 * time.Second),
		ShutdownTimeout:   duration(15 * time.Second),
		MaxBodyBytes:      16 << 20,
		MaxBatchPoints:    100_000,
		StoreSchema:       "citygrid_store",
		FollowEvery:       duration(city.DefaultFollowEvery),

		ComponentToleranceM: spatial.DefaultComponentToleranceM,
		GCPercent:           400,

		PublicLookups: true,

		// On by default: a centre's anonymous traffic (the public map's
		// tiles, a citizen's few reports) stays far below these, while
		// a flood from one address is cut to them.
		RateLimitIP:          DefaultRateLimitIP.Rate,
		RateLimitIPBurst:     DefaultRateLimitIP.Burst,
		RateLimitReport:      DefaultRateLimitReport.Rate,
		RateLimitReportBurst: DefaultRateLimitReport.Burst,
	}
}

// duration is a time.Duration written as "30s" in files and variables.
type duration time.Duration

func (d duration) String() string { return time.Duration(d).String() }

func (d *duration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return errors.New("must not be negative")
	}
	*d = duration(v)
	return nil
}

// MarshalJSON writes the duration as text.
func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "30s" (or a number of seconds).
func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err2 := json.Unmarshal(b, &secs); err2 != nil {
			return fmt.Errorf("duration: want a string like \"30s\": %w", err)
		}
		*d = duration(secs * float64(time.Second))
		return nil
	}
	return d.Set(s)
}

// setting is one configurable field: its JSON key (also the flag name with
// '-' for '_', and the environment variable CITYGRID_<KEY>), its usage text
// and a flag.Value bound to the field.
type setting struct {
	key    string
	usage  string
	value  flag.Value
	secret bool
}

func (s setting) flagName() string { return strings.ReplaceAll(s.key, "_", "-") }
func (s setting) envName() string  { return "CITYGRID_" + strings.ToUpper(s.key) }

// settings lists the fields of c that files, variables and flags may set.
func (c *serverConfig) settings() []setting {
	return []setting{
		{key: "dir", usage: "data directory holding citygrid.gpkg", value: (*stringValue)(&c.Dir)},
		{key: "addr", usage: "HOST:PORT to listen on", value: (*stringValue)(&c.Addr)},
		{key: "store", usage: "store: empty for DIR/citygrid.gpkg, or postgres://user@host:port/db for a PostgreSQL + PostGIS store shared by replicas", value: (*stringValue)(&c.Store), secret: true},
		{key: "store_schema", usage: "PostgreSQL schema of the store's tables", value: (*stringValue)(&c.StoreSchema)},
		{key: "follow_every", usage: "how often a replica reads the shared store's change log without a notification", value: &c.FollowEvery},
		{key: "log_level", usage: "log level: debug, info, warn or error", value: (*stringValue)(&c.LogLevel)},
		{key: "log_format", usage: "log format: text or json", value: (*stringValue)(&c.LogFormat)},
		{key: "access_log", usage: "log one line per request", value: (*boolValue)(&c.AccessLog)},
		{key: "read_header_timeout", usage: "time allowed to read request headers", value: &c.ReadHeaderTimeout},
		{key: "read_timeout", usage: "time allowed to read a whole request", value: &c.ReadTimeout},
		{key: "write_timeout", usage: "time allowed to write a response", value: &c.WriteTimeout},
		{key: "idle_timeout", usage: "keep-alive idle timeout", value: &c.IdleTimeout},
		{key: "handler_timeout", usage: "time one request's work may take", value: &c.HandlerTimeout},
		{key: "shutdown_timeout", usage: "time in-flight requests get to finish on shutdown", value: &c.ShutdownTimeout},
		{key: "max_body_bytes", usage: "largest request body accepted", value: (*int64Value)(&c.MaxBodyBytes)},
		{key: "max_batch_points", usage: "most points in one batch request", value: (*intValue)(&c.MaxBatchPoints)},
		{key: "fallback_unit", usage: "department code of the unit of last resort (兜底); empty: the city-management centre", value: (*stringValue)(&c.FallbackUnit)},
		{key: "component_tolerance_m", usage: "metres within which a case is attributed to a surveyed component", value: (*float64Value)(&c.ComponentToleranceM)},
		{key: "gc_percent", usage: "garbage collector target percentage (GOGC); higher: fewer collections, more memory", value: (*intValue)(&c.GCPercent)},
		{key: "memory_limit", usage: "soft limit on the Go heap in bytes (GOMEMLIMIT); 0: none", value: (*int64Value)(&c.MemoryLimit)},
		{key: "public_lookups", usage: "let requests without a token read lookups and other read routes (off in production: only map, tiles, Open311 and probes stay public)", value: (*boolValue)(&c.PublicLookups)},
		{key: "rate_limit_ip", usage: "anonymous requests per second per client address; 0: no limit", value: (*float64Value)(&c.RateLimitIP)},
		{key: "rate_limit_ip_burst", usage: "burst of the per-address limit (default: one second's worth)", value: (*intValue)(&c.RateLimitIPBurst)},
		{key: "rate_limit_token", usage: "authenticated requests per second per user; 0: no limit", value: (*float64Value)(&c.RateLimitToken)},
		{key: "rate_limit_token_burst", usage: "burst of the per-user limit (default: one second's worth)", value: (*intValue)(&c.RateLimitTokenBurst)},
		{key: "rate_limit_report", usage: "anonymous writes (Open311 POST) per second per client address; 0: no limit", value: (*float64Value)(&c.RateLimitReport)},
		{key: "rate_limit_report_burst", usage: "burst of the per-address report limit", value: (*intValue)(&c.RateLimitReportBurst)},
		{key: "trusted_proxies", usage: "comma-separated CIDRs of reverse proxies whose X-Forwarded-For, -Host and -Proto are believed", value: (*stringValue)(&c.TrustedProxies)},
		{key: "public_url", usage: "URL clients reach the server by (https://host[/prefix]); absolute URLs in answers are built from it; empty: from the request's Host", value: (*stringValue)(&c.PublicURL)},
		{key: "geocode_vocabulary", usage: "file of the city's geocoder words (kind, abbr and org lines as in spatial/geocode/vocabulary.txt) added to the default vocabulary", value: (*stringValue)(&c.GeocodeVocabulary)},
	}
}

// validate checks the values that would otherwise fail late.
func (c *serverConfig) validate() error {
	if c.Dir == "" {
		return errors.New("config: dir is empty")
	}
	if c.Addr == "" {
		return errors.New("config: addr is empty")
	}
	if c.Store != "" && c.Store != "gpkg" && !isPostgresURL(c.Store) {
		return errors.New("config: store: want empty (the GeoPackage in dir) or a postgres:// URL")
	}
	if c.FollowEvery <= 0 {
		return errors.New("config: follow_every must be positive")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return fmt.Errorf("config: log_level: %w", err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("config: log_format: %q is neither text nor json", c.LogFormat)
	}
	if c.MaxBodyBytes <= 0 {
		return errors.New("config: max_body_bytes must be positive")
	}
	if c.MaxBatchPoints <= 0 {
		return errors.New("config: max_batch_points must be positive")
	}
	if c.HandlerTimeout <= 0 {
		return errors.New("config: handler_timeout must be positive")
	}
	if c.GCPercent < 10 {
		return errors.New("config: gc_percent must be at least 10")
	}
	if c.MemoryLimit < 0 {
		return errors.New("config: memory_limit must not be negative")
	}
	if !(c.ComponentToleranceM > 0 && c.ComponentToleranceM <= 1000) {
		return errors.New("config: component_tolerance_m must be greater than 0 and at most 1000")
	}
	if c.RateLimitIP < 0 || c.RateLimitToken < 0 || c.RateLimitIPBurst < 0 || c.RateLimitTokenBurst < 0 || c.RateLimitReport < 0 || c.RateLimitReportBurst < 0 {
		return errors.New("config: rate limits must not be negative")
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return errors.New("config: public_url: want http(s)://host[:port][/prefix] without query or credentials")
		}
	}
	if _, err := c.trustedProxies(); err != nil {
		return fmt.Errorf("config: trusted_proxies: %w", err)
	}
	if _, err := c.geocodeVocabulary(); err != nil {
		return err
	}
	return nil
}

// geocodeVocabulary reads the city's geocoder vocabulary file over the
// default vocabulary; nil when none is configured. Validation reads it
// once to fail before the server listens; loadCity reads it again to use.
func (c *serverConfig) geocodeVocabulary() (*geocode.Vocabulary, error) {
	if c.GeocodeVocabulary == "" {
		return nil, nil
	}
	v, err := geocode.LoadVocabulary(c.GeocodeVocabulary)
	var ve *data.ValidationError
	switch {
	case errors.As(err, &ve):
		return nil, fmt.Errorf("config: geocode_vocabulary: %w (want lines \"kind <POI kind> <word>…\", \"abbr <full> <short>…\" or \"org <word>…\")", err)
	case err != nil:
		return nil, fmt.Errorf("config: geocode_vocabulary: %w", err)
	}
	return v, nil
}

// trustedProxies parses TrustedProxies; a bare address is a /32 or /128.
func (c *serverConfig) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, err
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// rateLimits returns the configured limits for the api package.
func (c *serverConfig) rateLimits() auth.RateLimits {
	return auth.RateLimits{
		PerIP:    auth.RateLimit{Rate: c.RateLimitIP, Burst: c.RateLimitIPBurst},
		PerToken: auth.RateLimit{Rate: c.RateLimitToken, Burst: c.RateLimitTokenBurst},
		Reports:  auth.RateLimit{Rate: c.RateLimitReport, Burst: c.RateLimitReportBurst},
	}
}

// logAttrs returns the configuration as log attributes, secrets redacted.
func (c *serverConfig) logAttrs() []any {
	var attrs []any
	for _, s := range c.settings() {
		v := s.value.String()
		if s.secret && v != "" {
			if u, err := url.Parse(v); err == nil && u.Scheme != "" {
				v = u.Redacted() // a store URL: its password only
			} else {
				v = "[redacted]"
			}
		}
		attrs = append(attrs, slog.String(s.key, v))
	}
	return attrs
}

// configFlags registers --config and one flag per setting on fs. The flags
// are bound to a scratch configuration: loadConfig applies only the flags
// that were given, after the file and the environment.
func configFlags(fs *flag.FlagSet) (configPath *string, scratch *serverConfig) {
	scratch = new(serverConfig)
	*scratch = defaultServerConfig()
	configPath = fs.String("config", "", "JSON configuration file (also CITYGRID_CONFIG)")
	for _, s := range scratch.settings() {
		fs.Var(s.value, s.flagName(), s.usage+" (env "+s.envName()+")")
	}
	return configPath, scratch
}

// loadConfig builds the configuration from defaults, the file, the
// environment and the flags of fs that were set (fs must have been parsed).
func loadConfig(fs *flag.FlagSet, configPath string, getenv func(string) string) (serverConfig, error) {
	cfg := defaultServerConfig()
	if configPath == "" {
		configPath = getenv("CITYGRID_CONFIG")
	}
	if configPath == "" {
		// The data directory's own file, when it has one: a city's
		// settings travel with its data.
		dir := cfg.Dir
		if v, ok := lookupEnv(getenv, "CITYGRID_DIR"); ok {
			dir = v
		}
		if f := fs.Lookup("dir"); f != nil && flagSet(fs, "dir") {
			dir = f.Value.String()
		}
		if p := filepath.Join(dir, cityConfigFile); fileExists(p) {
			configPath = p
		}
	}
	if configPath != "" {
		f, err := os.Open(configPath)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		err = decodeConfig(f, &cfg)
		f.Close()
		if err == nil {
			cfg.readPolicyChosen = fileSets(configPath, "public_lookups")
		}
		if err != nil {
			return cfg, fmt.Errorf("config %s: %w", configPath, err)
		}
	}
	byFlag := map[string]setting{}
	for _, s := range cfg.settings() {
		byFlag[s.flagName()] = s
		if v, ok := lookupEnv(getenv, s.envName()); ok {
			if err := s.value.Set(v); err != nil {
				return cfg, fmt.Errorf("config: %s=%q: %w", s.envName(), v, err)
			}
			cfg.readPolicyChosen = cfg.readPolicyChosen || s.key == "public_lookups"
		}
	}
	var ferr error
	fs.Visit(func(f *flag.Flag) {
		if s, ok := byFlag[f.Name]; ok && ferr == nil {
			if err := s.value.Set(f.Value.String()); err != nil {
				ferr = fmt.Errorf("config: --%s: %w", f.Name, err)
			}
			cfg.readPolicyChosen = cfg.readPolicyChosen || s.key == "public_lookups"
		}
	})
	if ferr != nil {
		return cfg, ferr
	}
	return cfg, cfg.validate()
}

// fileSets reports whether the JSON configuration file at path names key
// (whatever its value).
func fileSets(path, key string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}

// checkExposure is protected mode: a server listening beyond loopback
// must have its read policy chosen explicitly, because the default
// (public lookups, for the demo) opens every read route to whoever can
// reach the port. Loopback stays as easy as it was.
func (c *serverConfig) checkExposure() error {
	if c.readPolicyChosen || loopbackAddr(c.Addr) {
		return nil
	}
	return fmt.Errorf("protected mode: addr %s listens beyond loopback, but no read policy was chosen; "+
		"set public_lookups explicitly (in the config file, CITYGRID_PUBLIC_LOOKUPS or --public-lookups): "+
		"false keeps every read route but the map, tiles, Open311 and probes behind a token (production), "+
		"true lets anyone read the lookups", c.Addr)
}

// loopbackAddr reports whether HOST:PORT listens on loopback only. An
// empty host or a name other than localhost listens (or may resolve)
// beyond it.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// cityConfigFile is the configuration file a data directory may hold;
// it is read when neither --config nor CITYGRID_CONFIG names another.
const cityConfigFile = "citygrid.json"

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// lookupEnv reads a variable through getenv; an empty value counts as unset.
func lookupEnv(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// decodeConfig reads a JSON configuration file over cfg, rejecting unknown
// keys so that a misspelt setting is not silently ignored.
func decodeConfig(r io.Reader, cfg *serverConfig) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// parseLevel reads a log level name.
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// newLogger makes the server's logger from the configuration, writing
// through a buffer flushed every 100 ms (and at once for warnings and
// errors); the returned function flushes and stops it.
func newLogger(w io.Writer, c *serverConfig) (*slog.Logger, func()) {
	level, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	lw := newLogWriter(w, 100*time.Millisecond)
	var h slog.Handler
	if c.LogFormat == "json" {
		h = slog.NewJSONHandler(lw, opts)
	} else {
		h = slog.NewTextHandler(lw, opts)
	}
	return slog.New(flushingHandler{h, lw}), func() { _ = lw.Close() }
}

type stringValue string

func (v *stringValue) String() string     { return string(*v) }
func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }

type boolValue bool

func (v *boolValue) String() string { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	*v = boolValue(b)
	return nil
}

// IsBoolFlag lets --access-log stand alone on the command line.
func (v *boolValue) IsBoolFlag() bool { return true }

type int64Value int64

func (v *int64Value) String() string { return strconv.FormatInt(int64(*v), 10) }
func (v *int64Value) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("want an integer")
	}
	*v = int64Value(n)
	return nil
}

type float64Value float64

func (v *float64Value) String() string { return strconv.FormatFloat(float64(*v), 'g', -1, 64) }
func (v *float64Value) Set(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errors.New("want a number")
	}
	*v = float64Value(f)
	return nil
}

type intValue int

func (v *intValue) String() string { return strconv.Itoa(int(*v)) }
func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("want an integer")
	}
	*v = intValue(n)
	return nil
}
