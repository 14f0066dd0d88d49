package main

import (
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citygrid/api/auth"
	"citygrid/data"
	"citygrid/spatial/geocode"
)

func TestLoadConfigLayersFileThenEnvironmentThenFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "citygrid.json")
	writeFile(t, file, `{"dir": "/from/file", "addr": "127.0.0.1:1111", "handler_timeout": "7s", "max_batch_points": 500, "log_level": "debug"}`)
	env := map[string]string{
		"CITYGRID_ADDR":            "127.0.0.1:2222",
		"CITYGRID_HANDLER_TIMEOUT": "9s",
		"CITYGRID_ACCESS_LOG":      "false",
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	path, _ := configFlags(fs)
	if err := fs.Parse([]string{"--config", file, "--addr", "127.0.0.1:3333"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(fs, *path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"dir comes from the file", cfg.Dir, "/from/file"},
		{"addr comes from the flag over env and file", cfg.Addr, "127.0.0.1:3333"},
		{"handler timeout comes from env over the file", time.Duration(cfg.HandlerTimeout), 9 * time.Second},
		{"access log is switched off by env", cfg.AccessLog, false},
		{"batch cap comes from the file", cfg.MaxBatchPoints, 500},
		{"log level comes from the file", cfg.LogLevel, "debug"},
		{"write timeout keeps its default", time.Duration(cfg.WriteTimeout), 60 * time.Second},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadConfigFindsTheFileThroughTheEnvironment(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.json")
	writeFile(t, file, `{"dir": "/env/file"}`)
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	path, _ := configFlags(fs)
	_ = fs.Parse(nil)
	cfg, err := loadConfig(fs, *path, func(k string) string {
		if k == "CITYGRID_CONFIG" {
			return file
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dir != "/env/file" {
		t.Errorf("dir = %q, want /env/file", cfg.Dir)
	}
}

func TestLoadConfigRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		args []string
		want string
	}{
		{name: "a misspelt key in the file is rejected", file: `{"adr": "x"}`, want: `unknown field "adr"`},
		{name: "a malformed file is rejected", file: `{"dir": `, want: "citygrid.json"},
		{name: "a bad duration in the environment names the variable", env: map[string]string{"CITYGRID_READ_TIMEOUT": "soon"}, want: "CITYGRID_READ_TIMEOUT"},
		{name: "a negative duration is rejected", env: map[string]string{"CITYGRID_READ_TIMEOUT": "-1s"}, want: "negative"},
		{name: "an unknown log level is rejected", args: []string{"--log-level", "loud"}, want: "log_level"},
		{name: "an unknown log format is rejected", args: []string{"--log-format", "xml"}, want: "log_format"},
		{name: "a zero batch cap is rejected", args: []string{"--max-batch-points", "0"}, want: "max_batch_points"},
		{name: "an empty addr is rejected", args: []string{"--addr", ""}, want: "addr is empty"},
		{name: "a tiny gc percentage is rejected", args: []string{"--gc-percent", "1"}, want: "gc_percent"},
		{name: "a negative memory limit is rejected", env: map[string]string{"CITYGRID_MEMORY_LIMIT": "-5"}, want: "memory_limit"},
		{name: "a zero component tolerance is rejected", env: map[string]string{"CITYGRID_COMPONENT_TOLERANCE_M": "0"}, want: "component_tolerance_m"},
		{name: "a non-numeric component tolerance names the flag", args: []string{"--component-tolerance-m", "near"}, want: "component-tolerance-m"},
		{name: "a store that is neither the GeoPackage nor a postgres URL is rejected", args: []string{"--store", "mysql://db/city"}, want: "config: store"},
		{name: "a zero follow interval is rejected", env: map[string]string{"CITYGRID_FOLLOW_EVERY": "0s"}, want: "follow_every"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			path, _ := configFlags(fs)
			args := tt.args
			if tt.file != "" {
				file := filepath.Join(t.TempDir(), "citygrid.json")
				writeFile(t, file, tt.file)
				args = append([]string{"--config", file}, args...)
			}
			err := fs.Parse(args)
			if err == nil {
				_, err = loadConfig(fs, *path, func(k string) string { return tt.env[k] })
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLogAttrsListEverySetting(t *testing.T) {
	cfg := defaultServerConfig()
	attrs := cfg.logAttrs()
	if got, want := len(attrs), len(cfg.settings()); got != want {
		t.Fatalf("%d log attributes for %d settings", got, want)
	}
}

// TestStoreSettingFromTheFileWithItsPasswordRedacted: the store URL and
// the follow interval come from the file like any setting (the
// environment overriding the schema), and the log shows the URL with its
// password replaced.
func TestStoreSettingFromTheFileWithItsPasswordRedacted(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	path, _ := configFlags(fs)
	file := filepath.Join(t.TempDir(), "citygrid.json")
	writeFile(t, file, `{"store": "postgres://city:s3cret@db:5432/city", "follow_every": "500ms"}`)
	if err := fs.Parse([]string{"--config", file}); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(fs, *path, func(k string) string { return map[string]string{"CITYGRID_STORE_SCHEMA": "city_a"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store != "postgres://city:s3cret@db:5432/city" || cfg.StoreSchema != "city_a" || time.Duration(cfg.FollowEvery) != 500*time.Millisecond {
		t.Fatalf("store %q schema %q follow_every %v", cfg.Store, cfg.StoreSchema, cfg.FollowEvery)
	}
	var logged string
	for _, a := range cfg.logAttrs() {
		if a := a.(slog.Attr); a.Key == "store" {
			logged = a.Value.String()
		}
	}
	if strings.Contains(logged, "s3cret") || !strings.Contains(logged, "city:xxxxx@db:5432") {
		t.Errorf("store logged as %q, want the URL with the password redacted", logged)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoggerFlushesWarningsAtOnceAndInfoOnClose(t *testing.T) {
	var out syncBuf
	cfg := defaultServerConfig()
	log, closeLog := newLogger(&out, &cfg)
	log.Info("routine")
	log.Warn("trouble")
	if s := out.String(); !strings.Contains(s, "routine") || !strings.Contains(s, "trouble") {
		t.Fatalf("a warning should flush everything before it at once; got %q", s)
	}
	log.Info("last words")
	closeLog()
	if !strings.Contains(out.String(), "last words") {
		t.Errorf("close did not flush: %q", out.String())
	}
}

// syncBuf is a strings.Builder safe for the flusher goroutine.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLoadConfigReadsTheDataDirectorysOwnFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "citygrid.json"), `{"public_lookups": false, "rate_limit_ip": 50, "trusted_proxies": "10.0.0.0/8, 192.0.2.1"}`)
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	path, _ := configFlags(fs)
	if err := fs.Parse([]string{"--dir", dir, "--rate-limit-ip", "70"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(fs, *path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicLookups || cfg.RateLimitIP != 70 {
		t.Fatalf("public_lookups %v (want false from DIR/citygrid.json), rate_limit_ip %v (want 70 from the flag)", cfg.PublicLookups, cfg.RateLimitIP)
	}
	ps, err := cfg.trustedProxies()
	if err != nil || len(ps) != 2 || ps[1].String() != "192.0.2.1/32" {
		t.Fatalf("trusted proxies %v, %v", ps, err)
	}
	// A file named explicitly wins over the directory's.
	other := filepath.Join(t.TempDir(), "o.json")
	writeFile(t, other, `{"rate_limit_token": 5}`)
	cfg, err = loadConfig(fs, other, func(string) string { return "" })
	if err != nil || !cfg.PublicLookups || cfg.RateLimitToken != 5 {
		t.Fatalf("explicit file: %+v %v", cfg, err)
	}
	bad := flag.NewFlagSet("t", flag.ContinueOnError)
	bpath, _ := configFlags(bad)
	_ = bad.Parse([]string{"--trusted-proxies", "10.0.0.0/33"})
	if _, err := loadConfig(bad, *bpath, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "trusted_proxies") {
		t.Fatalf("bad proxy CIDR: %v", err)
	}
}

// TestProtectedModeRefusesToListenBeyondLoopbackWithoutAReadPolicy checks
// protected mode: the demo's default read policy is fine on loopback, but
// a server reachable from elsewhere must have public_lookups chosen in
// the file, the environment or a flag, and the refusal names the setting.
func TestProtectedModeRefusesToListenBeyondLoopbackWithoutAReadPolicy(t *testing.T) {
	dir := t.TempDir()
	withPolicy := filepath.Join(dir, "with.json")
	writeFile(t, withPolicy, `{"public_lookups": true}`)
	without := filepath.Join(dir, "without.json")
	writeFile(t, without, `{"access_log": false}`)
	cases := []struct {
		name   string
		args   []string
		env    map[string]string
		refuse bool
	}{
		{"loopback with the default policy starts", []string{"--addr", "127.0.0.1:0"}, nil, false},
		{"localhost with the default policy starts", []string{"--addr", "localhost:0"}, nil, false},
		{"IPv6 loopback with the default policy starts", []string{"--addr", "[::1]:0"}, nil, false},
		{"all interfaces with the default policy is refused", []string{"--addr", ":8080"}, nil, true},
		{"0.0.0.0 with the default policy is refused", []string{"--addr", "0.0.0.0:8080"}, nil, true},
		{"a LAN address with a file that does not choose is refused", []string{"--addr", "10.0.0.5:8080", "--config", without}, nil, true},
		{"a LAN address with the policy in the file starts", []string{"--addr", "10.0.0.5:8080", "--config", withPolicy}, nil, false},
		{"all interfaces with the policy from the environment starts", []string{"--addr", ":8080"}, map[string]string{"CITYGRID_PUBLIC_LOOKUPS": "false"}, false},
		{"all interfaces with the policy from a flag starts", []string{"--addr", ":8080", "--public-lookups=true"}, nil, false},
	}
	for _, c := range cases {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		path, _ := configFlags(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadConfig(fs, *path, func(k string) string { return c.env[k] })
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		err = cfg.checkExposure()
		if (err != nil) != c.refuse {
			t.Errorf("%s: got %v", c.name, err)
		}
		if err != nil && !strings.Contains(err.Error(), "public_lookups") {
			t.Errorf("%s: the refusal does not name the setting: %v", c.name, err)
		}
	}
	// serve itself refuses before it listens.
	writeFile(t, filepath.Join(dir, storeFile), "")
	err := runServe(t.Context(), []string{"--dir", dir, "--addr", "0.0.0.0:0", "--log-level", "error"})
	if err == nil || !strings.Contains(err.Error(), "protected mode") {
		t.Fatalf("serve on 0.0.0.0 without a read policy: %v", err)
	}
}

// TestDefaultLimitsStopAnAnonymousReportFloodButNotStaff: with no setting
// at all, one address posting 1,300 Open311 reports at once (as a flood
// did) gets its burst of 20 accepted and the rest 429 with Retry-After,
// while its lookups keep the larger per-address budget, another address
// is untouched and a token holder is not counted per address.
func TestDefaultLimitsStopAnAnonymousReportFloodButNotStaff(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	path, _ := configFlags(fs)
	_ = fs.Parse(nil)
	cfg, err := loadConfig(fs, *path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	staff := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(auth.WithPrincipal(r.Context(), data.Principal{User: "op1", Role: data.RoleOperator}))
		auth.LimitRates(cfg.rateLimits(), nil, auth.NewCounters())(ok).ServeHTTP(w, r)
	})
	h := auth.LimitRates(cfg.rateLimits(), nil, auth.NewCounters())(ok)
	do := func(h http.Handler, method, path, addr string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		r.RemoteAddr = addr + ":40000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	accepted := 0
	for range 1300 {
		w := do(h, "POST", "/open311/v2/requests.json", "198.51.100.7")
		if w.Code == http.StatusCreated {
			accepted++
		} else if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
			t.Fatalf("a refused report: %d %v", w.Code, w.Header())
		}
	}
	if accepted != 20 {
		t.Errorf("%d of 1,300 reports accepted, want the burst of 20", accepted)
	}
	if w := do(h, "GET", "/api/v1/locate?lon=118.78&lat=31.99", "198.51.100.7"); w.Code != http.StatusCreated {
		t.Errorf("a lookup after the report flood: %d", w.Code)
	}
	if w := do(h, "POST", "/open311/v2/requests.json", "198.51.100.8"); w.Code != http.StatusCreated {
		t.Errorf("a report from another address: %d", w.Code)
	}
	// The lookup budget: the burst of 1,000 less the 20 reports and the
	// lookup already spent, plus what 100/s refills while the test runs
	// (well under 0.15 s), then 429.
	got := 0
	for range 1100 {
		if do(h, "GET", "/tiles/14/1/1.mvt", "198.51.100.7").Code == http.StatusCreated {
			got++
		}
	}
	if got < 979 || got > 995 {
		t.Errorf("%d of 1,100 anonymous requests admitted at once, want the rest of the burst of 1,000", got)
	}
	for range 2000 {
		if w := do(staff, "POST", "/api/v1/cases", "198.51.100.7"); w.Code != http.StatusCreated {
			t.Fatalf("a staff write from the flooding address: %d", w.Code)
		}
	}
}

// TestGeocodeVocabularyFileExtendsTheGeocoder: the key comes from the
// file, the environment or a flag like any other; the words of the file
// it names reach the geocoder (雨中, a short form written for 雨花中学,
// finds the school only with the file); a missing file and a bad line
// stop loading with errors that name the key, the file and the line.
func TestGeocodeVocabularyFileExtendsTheGeocoder(t *testing.T) {
	dir := t.TempDir()
	vocab := filepath.Join(dir, "words.txt")
	writeFile(t, vocab, "# the city's words\nabbr 雨花中学 雨中\n")
	load := func(args []string, env map[string]string) (serverConfig, error) {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		path, _ := configFlags(fs)
		if err := fs.Parse(args); err != nil {
			return serverConfig{}, err
		}
		return loadConfig(fs, *path, func(k string) string { return env[k] })
	}
	conf := filepath.Join(dir, "c.json")
	writeFile(t, conf, `{"geocode_vocabulary": "`+vocab+`"}`)
	for name, how := range map[string]func() (serverConfig, error){
		"file": func() (serverConfig, error) { return load([]string{"--config", conf}, nil) },
		"environment": func() (serverConfig, error) {
			return load(nil, map[string]string{"CITYGRID_GEOCODE_VOCABULARY": vocab})
		},
		"flag": func() (serverConfig, error) { return load([]string{"--geocode-vocabulary", vocab}, nil) },
	} {
		cfg, err := how()
		if err != nil || cfg.GeocodeVocabulary != vocab {
			t.Fatalf("from the %s: %q, %v", name, cfg.GeocodeVocabulary, err)
		}
	}

	school := &data.Dataset{
		AdminUnits: []data.AdminUnit{{Level: data.LevelDistrict, Code: "320114", Name: "雨花台区", Parent: "3201",
			Geometry: orb.MultiPolygon{{{{118.70, 31.90}, {118.74, 31.90}, {118.74, 31.92}, {118.70, 31.92}, {118.70, 31.90}}}}}},
		POIs: []data.POI{{Code: "P1", Name: "雨花中学", Kind: "school", Point: orb.Point{118.73, 31.915}}},
	}
	first := func(v *geocode.Vocabulary) string {
		var opts []geocode.Option
		if v != nil {
			opts = append(opts, geocode.WithVocabulary(v))
		}
		g, err := geocode.Build(school, opts...)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := g.Forward("雨中", 1)
		if err != nil || len(rs) == 0 {
			return ""
		}
		return rs[0].Code
	}
	cfg, _ := load([]string{"--geocode-vocabulary", vocab}, nil)
	v, err := cfg.geocodeVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	if got := first(v); got != "P1" {
		t.Errorf("with the file, 雨中 finds %q, want the school P1", got)
	}
	if got := first(nil); got == "P1" {
		t.Errorf("without the file 雨中 finds the school: the test shows nothing")
	}
	// The default vocabulary is kept under the city's words.
	if g, err := geocode.Build(&data.Dataset{AdminUnits: school.AdminUnits, POIs: []data.POI{{Code: "P2", Name: "中国工商银行雨花支行", Kind: "bank", Point: orb.Point{118.71, 31.91}}}}, geocode.WithVocabulary(v)); err != nil {
		t.Fatal(err)
	} else if rs, _ := g.Forward("工行雨花支行", 1); len(rs) == 0 || rs[0].Code != "P2" {
		t.Errorf("工行雨花支行 with the city's file: %v, want the default abbreviation to find P2", rs)
	}

	bad := filepath.Join(dir, "bad.txt")
	writeFile(t, bad, "abbr 雨花中学 雨中\nalias 菜场 菜市场\n")
	for _, c := range []struct {
		name, path string
		want       []string
	}{
		{"a missing file", filepath.Join(dir, "none.txt"), []string{"geocode_vocabulary", "none.txt", "no such file"}},
		{"a line of an unknown kind", bad, []string{"geocode_vocabulary", "bad.txt", "line 2", `"alias"`}},
	} {
		_, err := load([]string{"--geocode-vocabulary", c.path}, nil)
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: err = %v, want one containing %q", c.name, err, w)
			}
		}
	}
}
